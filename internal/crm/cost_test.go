package crm

import (
	"slices"
	"testing"
)

func TestApplyCost(t *testing.T) {
	s := func(v string) *string { return &v }
	n := func(v int64) *int64 { return &v }
	for _, c := range []struct {
		name   string
		in     CostInput
		want   Cost
		fields []string
	}{
		{"acquisition month", CostInput{Kind: s("acquisition"), Key: s(" Google Ads "), Date: s("2025-02"), Amount: n(1000)},
			Cost{Kind: "acquisition", Key: "google ads", Date: "2025-02-01", Amount: 1000, Per: 1, Currency: "USD"}, nil},
		{"acquisition day names its month", CostInput{Kind: s("acquisition"), Key: s("ads"), Date: s("2025-02-17"), Amount: n(5), Currency: s("eur")},
			Cost{Kind: "acquisition", Key: "ads", Date: "2025-02-01", Amount: 5, Per: 1, Currency: "EUR"}, nil},
		{"product keeps the SKU's case", CostInput{Kind: s("product"), Key: s("Mug-01"), Date: s("2025-01-05"), Amount: n(420), Per: n(10)},
			Cost{Kind: "product", Key: "Mug-01", Date: "2025-01-05", Amount: 420, Per: 10, Currency: "USD"}, nil},
		{"staff any kind", CostInput{Kind: s("staff"), Key: s("*"), Date: s("2025-01-01"), Amount: n(50)},
			Cost{Kind: "staff", Key: "*", Date: "2025-01-01", Amount: 50, Per: 1, Currency: "USD"}, nil},
		{"month only for acquisition", CostInput{Kind: s("product"), Key: s("A"), Date: s("2025-01"), Amount: n(1)}, Cost{}, []string{"date"}},
		{"everything wrong", CostInput{Kind: s("message"), Key: s("fax"), Date: s("01/02/2025"), Amount: n(-1), Per: n(0), Currency: s("EURO")},
			Cost{}, []string{"date", "key", "amount", "per", "currency"}},
		{"no kind, no date", CostInput{Key: s("x"), Amount: n(1)}, Cost{}, []string{"kind", "date"}},
		{"too much", CostInput{Kind: s("acquisition"), Key: s("ads"), Date: s("2025-01"), Amount: n(MaxCostAmount + 1)}, Cost{}, []string{"amount"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got Cost
			err := ApplyCost(&got, c.in, "USD")
			var fields []string
			for _, fe := range FieldErrors(err) {
				fields = append(fields, fe.Field)
			}
			if !slices.Equal(fields, c.fields) {
				t.Fatalf("fields %v, want %v (%v)", fields, c.fields, err)
			}
			if c.fields == nil && got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
