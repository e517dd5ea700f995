package clv

import (
	"errors"
	"math"
	"testing"
)

func TestFitRefusesWhatCannotConverge(t *testing.T) {
	few := []Customer{{1, 2, 5}, {0, 0, 3}}
	if _, err := FitBGNBD(few); !errors.Is(err, ErrTooFew) {
		t.Errorf("two customers: err = %v, want ErrTooFew", err)
	}
	var once []Customer
	for i := 0; i < 50; i++ {
		once = append(once, Customer{0, 0, float64(i + 1)})
	}
	if _, err := FitBGNBD(once); !errors.Is(err, ErrNoRepeat) {
		t.Errorf("no repeat buyers: err = %v, want ErrNoRepeat", err)
	}
	if _, err := FitBGNBD(append(once, Customer{math.NaN(), 0, 1})); err == nil {
		t.Error("NaN input accepted")
	}
	if _, err := FitGammaGamma([]Spend{{0, 0}, {0, 0}}); !errors.Is(err, ErrNoRepeat) {
		t.Errorf("gamma-gamma without repeat buyers: err = %v", err)
	}
	if _, err := FitGammaGamma([]Spend{{1, 10}, {2, 20}}); !errors.Is(err, ErrTooFew) {
		t.Errorf("gamma-gamma with two: err = %v", err)
	}
	// Identical spends: the heterogeneity vanishes and q runs away; the
	// fit must say so, not return Inf.
	var same []Spend
	for i := 0; i < 40; i++ {
		same = append(same, Spend{2, 10})
	}
	if g, err := FitGammaGamma(same); err == nil && !finite(g.P, g.Q, g.Gamma, g.LogLikelihood) {
		t.Errorf("non-finite fit without error: %+v", g)
	}
}

// TestDegenerateDropout: customers who buy like clockwork, a third once,
// leave the dropout heterogeneity undetermined (a, b → ∞ along a ridge);
// the fit falls back to the weak prior and says so, with finite figures.
func TestDegenerateDropout(t *testing.T) {
	var cs []Customer
	for i := 0; i < 40; i++ {
		gap, stop := int32(20+(i%9)*15), int32(730)
		if i%3 == 0 {
			stop = int32(i%50 + 1)
		}
		if i%4 == 1 {
			stop = 400
		}
		var days []int32
		for d := int32(i % 50); d < stop && d <= 730; d += gap {
			days = append(days, d)
		}
		c, _, _ := Summarize(days, make([]float64, len(days)), 730)
		cs = append(cs, c)
	}
	fit, err := FitBGNBD(cs)
	if err != nil {
		t.Fatal(err)
	}
	if !fit.Regularized || !finite(fit.R, fit.Alpha, fit.A, fit.B, fit.LogLikelihood) || fit.A > 1e4 || fit.B > 1e4 {
		t.Errorf("fit = %+v", fit)
	}
	m := NewModels(fit.BGNBD, GammaGamma{6, 4, 15}, 0.1)
	for _, c := range cs {
		s := m.Score(c, Spend{})
		if !finite(s.PAlive, s.Exp365, s.CLV12, s.ChurnRisk) || s.PAlive > 1 {
			t.Errorf("%+v: %+v", c, s)
		}
	}
}

// TestGradients compares the analytic gradients with central differences.
func TestGradients(t *testing.T) {
	cs := []Customer{{0, 0, 30}, {2, 20.5, 38}, {5, 30, 31}, {1, 0.5, 12}, {7, 35, 39}}
	p := BGNBD{0.4, 5, 0.9, 2.1}
	c := compress(cs)
	g := make([]float64, 4)
	p.loglik(c, g)
	v := []float64{math.Log(p.R), math.Log(p.Alpha), math.Log(p.A), math.Log(p.B)}
	for i := range v {
		h := 1e-6
		up, dn := append([]float64(nil), v...), append([]float64(nil), v...)
		up[i] += h
		dn[i] -= h
		f := func(w []float64) float64 {
			ll, _ := BGNBD{math.Exp(w[0]), math.Exp(w[1]), math.Exp(w[2]), math.Exp(w[3])}.loglik(c, nil)
			return ll
		}
		num := (f(up) - f(dn)) / (2 * h)
		if math.Abs(num-g[i]) > 1e-5*math.Max(1, math.Abs(num)) {
			t.Errorf("BG/NBD d/dθ%d analytic %.8f numeric %.8f", i, g[i], num)
		}
	}
	ss := []Spend{{1, 10}, {3, 25.5}, {2, 7}, {6, 40}}
	gg := GammaGamma{3, 4, 12}
	g3 := make([]float64, 3)
	gg.loglik(newSpends(ss), g3)
	w := []float64{math.Log(gg.P), math.Log(gg.Q), math.Log(gg.Gamma)}
	for i := range w {
		h := 1e-6
		up, dn := append([]float64(nil), w...), append([]float64(nil), w...)
		up[i] += h
		dn[i] -= h
		f := func(x []float64) float64 {
			return GammaGamma{math.Exp(x[0]), math.Exp(x[1]), math.Exp(x[2])}.LogLikelihood(ss)
		}
		num := (f(up) - f(dn)) / (2 * h)
		if math.Abs(num-g3[i]) > 1e-5*math.Max(1, math.Abs(num)) {
			t.Errorf("Gamma-Gamma d/dθ%d analytic %.8f numeric %.8f", i, g3[i], num)
		}
	}
}

func TestScoreFiguresAreConsistent(t *testing.T) {
	m := NewModels(BGNBD{0.243, 4.414, 0.793, 2.426}, GammaGamma{6.25, 3.74, 15.44}, 0.1)
	for _, c := range []struct {
		cust  Customer
		spend Spend
	}{
		{Customer{0, 0, 0}, Spend{}}, {Customer{0, 0, 38}, Spend{}}, {Customer{2, 30.43, 38.86}, Spend{2, 22.35}},
		{Customer{20, 38, 39}, Spend{20, 50}}, {Customer{3, 2, 70}, Spend{3, 15}}, {Customer{400, 100, 100.1}, Spend{400, 5}},
	} {
		s := m.Score(c.cust, c.spend)
		for name, v := range map[string]float64{"p_alive": s.PAlive, "e30": s.Exp30, "e90": s.Exp90, "e365": s.Exp365,
			"spend": s.ExpSpend, "clv": s.CLV12, "churn": s.ChurnRisk} {
			if !finite(v) || v < 0 {
				t.Errorf("%+v: %s = %v", c.cust, name, v)
			}
		}
		if s.PAlive > 1 || s.ChurnRisk > 1 || !(s.Exp30 <= s.Exp90 && s.Exp90 <= s.Exp365) {
			t.Errorf("%+v: %+v", c.cust, s)
		}
		// The 12-month CLV lies between the undiscounted value of the
		// first 11 and 12 months' purchases: discounting at 10 % a year
		// takes off less than a month.
		e12 := m.BG.ExpectedPurchases(12*WeeksPerMonth, c.cust.X, c.cust.Tx, c.cust.T) * s.ExpSpend
		if s.CLV12 > e12+1e-9 || s.CLV12 < e12/1.1-1e-9 {
			t.Errorf("%+v: CLV %v outside (%v, %v]", c.cust, s.CLV12, e12/1.1, e12)
		}
		// Churn risk is 1 − P(any purchase in 90 days) ≥ 1 − E[Y(90 days)].
		if s.ChurnRisk < 1-s.Exp90-1e-9 {
			t.Errorf("%+v: churn %v < 1 − E90 %v", c.cust, s.ChurnRisk, 1-s.Exp90)
		}
		if s.HasNext {
			if got := m.BG.PNoPurchase(s.NextWeeks, c.cust.X, c.cust.Tx, c.cust.T); math.Abs(got-0.5) > 1e-9 {
				t.Errorf("%+v: P(no purchase by next order) = %v, want 0.5", c.cust, got)
			}
		}
	}
}

func TestQuintilesAndGroups(t *testing.T) {
	got := Quintiles([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, false)
	want := []uint8{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("quintiles = %v, want %v", got, want)
		}
	}
	low := Quintiles([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, true)
	if low[0] != 5 || low[9] != 1 {
		t.Errorf("low-best quintiles = %v", low)
	}
	// Ties share a score: six one-time buyers of ten score as the middle of their run.
	tied := Quintiles([]float64{1, 1, 1, 1, 1, 1, 2, 2, 3, 9}, false)
	if tied[0] != tied[5] || tied[0] != 2 || tied[9] != 5 {
		t.Errorf("tied quintiles = %v", tied)
	}
	cases := map[[2]int]string{{5, 5}: "champions", {5, 4}: "champions", {4, 5}: "loyal", {3, 4}: "loyal",
		{5, 2}: "potential_loyalists", {4, 3}: "potential_loyalists", {4, 1}: "promising", {5, 1}: "new",
		{3, 3}: "need_attention", {3, 1}: "need_attention", {2, 5}: "cant_lose", {1, 5}: "cant_lose",
		{2, 3}: "at_risk", {1, 4}: "at_risk", {2, 2}: "hibernating", {2, 1}: "hibernating", {1, 1}: "lost", {1, 2}: "lost"}
	for rf, want := range cases {
		if got := Group(rf[0], rf[1]); got != want {
			t.Errorf("Group(%d, %d) = %s, want %s", rf[0], rf[1], got, want)
		}
	}
	seen := map[string]bool{}
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			seen[Group(r, f)] = true
		}
	}
	if len(seen) != len(Groups) {
		t.Errorf("groups reached %v, want all of %v", seen, Groups)
	}
}
