package crm

import (
	"testing"
	"time"
)

func TestWeightedRoundsHalfUp(t *testing.T) {
	for _, c := range []struct {
		amount int64
		prob   int
		want   int64
	}{{10001, 10, 1000}, {10005, 10, 1001}, {333, 60, 200}, {1, 50, 1}, {1, 49, 0}, {MaxAmount, 100, MaxAmount}} {
		d := Deal{Amount: c.amount, Probability: c.prob}
		if got := d.Weighted(); got != c.want {
			t.Errorf("%d × %d%% = %d, want %d", c.amount, c.prob, got, c.want)
		}
	}
}

func TestBuildForecastRoundsOncePerBucket(t *testing.T) {
	owner := int64(3)
	won := time.Date(2026, 7, 31, 23, 59, 0, 0, time.UTC)
	deals := []ForecastDeal{
		// Three deals of 0.4 weighted minor units each: 1.2 → 1, not 0.
		{Status: DealOpen, Amount: 1, Probability: 40, Currency: "EUR", ExpectedClose: "2026-07-01", OwnerID: &owner, OwnerName: "Ann"},
		{Status: DealOpen, Amount: 1, Probability: 40, Currency: "EUR", ExpectedClose: "2026-07-02", OwnerID: &owner, OwnerName: "Ann"},
		{Status: DealOpen, Amount: 1, Probability: 40, Currency: "EUR", ExpectedClose: "2026-07-03", OwnerID: &owner, OwnerName: "Ann"},
		{Status: DealWon, Amount: 500, Currency: "EUR", ClosedAt: &won},
		{Status: DealLost, Amount: 900, Currency: "EUR", ExpectedClose: "2026-07-03"},
		{Status: DealOpen, Amount: 100, Probability: 100, Currency: "EUR", ExpectedClose: "2026-09-01"}, // after the range
	}
	f := BuildForecast(deals, "2026-07", "2026-08")
	if len(f.ByMonth) != 1 || f.ByMonth[0].Weighted != 1 || f.ByMonth[0].Open != 3 || f.ByMonth[0].Won != 500 {
		t.Fatalf("by month = %+v", f.ByMonth)
	}
	if len(f.ByOwner) != 2 || f.ByOwner[0].OwnerName != "" || f.ByOwner[1].OwnerName != "Ann" || f.ByOwner[1].Weighted != 1 {
		t.Errorf("by owner = %+v", f.ByOwner)
	}
	// Many large deals do not overflow the sum.
	var big []ForecastDeal
	for range 100_000 {
		big = append(big, ForecastDeal{Status: DealOpen, Amount: MaxAmount, Probability: 99, Currency: "JPY", ExpectedClose: "2026-07-15"})
	}
	if got, want := BuildForecast(big, "", "").Totals[0].Weighted, int64(99_000_000_000_000_000); got != want {
		t.Errorf("big weighted = %d, want %d", got, want)
	}
}

func TestQuoteTotals(t *testing.T) {
	d := &Deal{Currency: "EUR", Lines: []DealLine{
		{SKU: "A", Quantity: 3, UnitPrice: 333, Discount: 0, TaxRateBP: 1900, Total: 999},   // tax 189.81 → 190
		{SKU: "B", Quantity: 1, UnitPrice: 1000, Discount: 250, TaxRateBP: 700, Total: 750}, // tax 52.5 → 53
	}}
	q := NewQuote(d, time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC))
	if q.Subtotal != 1999 || q.Discount != 250 || q.Tax != 243 || q.Total != 1999-250+243 {
		t.Errorf("quote = %+v", q)
	}
	if got := q.ValidUntil.Format(time.DateOnly); got != "2026-03-02" {
		t.Errorf("valid until %s, want 30 days later", got)
	}
}

func TestDealInputValidation(t *testing.T) {
	neg, cur, bad := int64(-1), "eur", "2026-13-01"
	in := DealInput{Title: new(string), Amount: &neg, Currency: &cur, ExpectedClose: &bad,
		Lines: &[]DealLineInput{{SKU: "bad sku!", Quantity: 0, Discount: -5}}}
	err := in.Validate(true)
	got := map[string]string{}
	for _, f := range FieldErrors(err) {
		got[f.Field] = f.Key
	}
	for field, key := range map[string]string{"title": "required", "amount": "out_of_range", "expected_close": "invalid_date",
		"lines[0].sku": "invalid_sku", "lines[0].quantity": "out_of_range", "lines[0].discount": "out_of_range"} {
		if got[field] != key {
			t.Errorf("%s = %q, want %q (all: %v)", field, got[field], key, got)
		}
	}
	if *in.Currency != "EUR" {
		t.Errorf("currency normalised to %q", *in.Currency)
	}
	if err := (&PipelineInput{Name: ptrTo("Renewals")}).Validate(true); err != nil {
		t.Errorf("pipeline without stages: %v (gets the default five)", err)
	}
}

func ptrTo[T any](v T) *T { return &v }
