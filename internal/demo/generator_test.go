package demo

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, time.November, 22, 10, 30, 0, 0, time.UTC)

// snapshot renders everything generated for index i as JSON, so two
// generators can be compared field by field through the pointers.
func snapshot(t *testing.T, g *Generator, i int) string {
	t.Helper()
	c, ci := g.Contact(i, 100)
	b, err := json.Marshal(struct {
		Contact    any
		Company    int
		Org        any
		Activities any
		Tasks      any
	}{c, ci, g.Company(i), g.Activities(i, testNow), g.Tasks(i, testNow)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeterminism(t *testing.T) {
	a, b, other := New(42), New(42), New(43)
	differ := 0
	for i := range 500 {
		got, want := snapshot(t, a, i), snapshot(t, b, i)
		if got != want {
			t.Fatalf("index %d: same seed gave different records:\n%s\n%s", i, got, want)
		}
		if snapshot(t, other, i) != got {
			differ++
		}
	}
	if differ < 495 {
		t.Errorf("seed 43 differs from seed 42 on %d of 500 indexes, want nearly all", differ)
	}
}

// TestIndependentOfOrder checks that record i does not depend on which
// records were generated before it, which parallel generation relies on.
func TestIndependentOfOrder(t *testing.T) {
	g := New(7)
	want := snapshot(t, g, 1234)
	for i := range 50 {
		snapshot(t, g, i)
	}
	if got := snapshot(t, New(7), 1234); got != want {
		t.Errorf("record 1234 changed after generating others:\n%s\n%s", got, want)
	}
	if got := snapshot(t, g, 1234); got != want {
		t.Errorf("record 1234 changed on a second call:\n%s\n%s", got, want)
	}
}

func TestProportions(t *testing.T) {
	g := New(1)
	const n = 20000
	companies := CompanyCount(n)
	langs, stages := map[string]int{}, map[string]int{}
	b2b := 0
	for i := range n {
		in, ci := g.Contact(i, companies)
		langs[*in.Language]++
		stages[*in.Stage]++
		if ci >= 0 {
			b2b++
		}
	}
	tests := []struct {
		name      string
		got       int
		want, tol float64
	}{
		{"en", langs["en"], 0.40, 0.02},
		{"fa", langs["fa"], 0.30, 0.02},
		{"ja", langs["ja"], 0.30, 0.02},
		{"b2b", b2b, 0.40, 0.02},
		{"subscriber", stages["subscriber"], 0.28, 0.02},
		{"lead", stages["lead"], 0.27, 0.02},
		{"customer", stages["customer"], 0.19, 0.02},
		{"churned", stages["churned"], 0.06, 0.01},
	}
	for _, tt := range tests {
		got := float64(tt.got) / n
		if got < tt.want-tt.tol || got > tt.want+tt.tol {
			t.Errorf("%s share = %.3f, want %.2f±%.2f", tt.name, got, tt.want, tt.tol)
		}
	}
}

func TestEmailsUnique(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	g := New(3)
	companies := CompanyCount(n)
	seen := make(map[string]int, n)
	for i := range n {
		in, _ := g.Contact(i, companies)
		for _, e := range *in.Emails {
			if j, dup := seen[e]; dup && j != i {
				t.Fatalf("email %q of contact %d already belongs to contact %d", e, i, j)
			}
			seen[e] = i
		}
	}
}

// TestEmailsMostlyPlain: in a demo-sized set people should look like
// people, with the de-duplicating index suffix the exception.
func TestEmailsMostlyPlain(t *testing.T) {
	g := New(5)
	suffixed := regexp.MustCompile(`\.\d+@`)
	n, plain := 2000, 0
	for i := range n {
		in, _ := g.Contact(i, CompanyCount(n))
		if !suffixed.MatchString(*in.Email) {
			plain++
		}
	}
	if got := float64(plain) / float64(n); got < 0.85 {
		t.Errorf("plain emails = %.2f of the first %d, want at least 0.85", got, n)
	}
}

func TestCompanyNamesUnique(t *testing.T) {
	g := New(9)
	names, domains := map[string]int{}, map[string]int{}
	for j := range 5000 {
		c := g.Company(j)
		if k, dup := domains[*c.Domain]; dup {
			t.Fatalf("company %d domain %q already used by %d", j, *c.Domain, k)
		}
		domains[*c.Domain] = j
		names[*c.Name]++
	}
	// Legal forms vary, so a name may only repeat with a different domain
	// if its stem repeats, which the permutation prevents.
	for name, n := range names {
		if n > 1 {
			t.Errorf("company name %q used %d times", name, n)
		}
	}
}

func TestContactCompanyMatchesCompany(t *testing.T) {
	g := New(11)
	for i := range 300 {
		in, ci := g.Contact(i, 50)
		if ci < 0 {
			if in.Title != nil {
				t.Errorf("contact %d: B2C contact has title %q", i, *in.Title)
			}
			continue
		}
		if ci >= 50 {
			t.Fatalf("contact %d: company index %d out of range [0,50)", i, ci)
		}
		c := g.Company(ci)
		if !strings.HasSuffix(*in.Email, "@"+*c.Domain) {
			t.Errorf("contact %d: email %q is not at company domain %q", i, *in.Email, *c.Domain)
		}
	}
}
