package clv

import (
	"math"
)

// Weeks per month and per day, for the time conversions of the scores.
const (
	WeeksPerDay   = 1.0 / 7
	WeeksPerMonth = 365.25 / 12 / 7
)

// Summarize turns a customer's purchase days (ascending, distinct UTC day
// numbers) and the net value of each into the model inputs as of day asOf
// (days after asOf are ignored): repeat purchase days x, t_x and T in
// weeks (the first purchase day is time 0, asOf is T), and the mean value
// of the repeat purchase days. ok is false when the customer had no
// purchase by asOf.
func Summarize(days []int32, value []float64, asOf int32) (c Customer, s Spend, ok bool) {
	n := 0
	for n < len(days) && days[n] <= asOf {
		n++
	}
	if n == 0 {
		return Customer{}, Spend{}, false
	}
	first, last := days[0], days[n-1]
	c = Customer{X: float64(n - 1), Tx: float64(last-first) * WeeksPerDay, T: float64(asOf-first) * WeeksPerDay}
	s.X = c.X
	if n > 1 {
		var sum float64
		for _, v := range value[1:n] {
			sum += v
		}
		s.Mean = sum / float64(n-1)
	}
	return c, s, true
}

// Models are the fitted models a score is computed from.
type Models struct {
	BG BGNBD
	GG GammaGamma
	// AnnualDiscount is the yearly discount rate of the CLV (0.1 = 10 %).
	AnnualDiscount float64

	cache map[cacheKey]*cached
}

type cacheKey struct{ x, T float64 }

// cached are the parts of a score that depend on (x, T) only: the
// hypergeometric terms of E[Y(t)] before the P(alive) factor.
type cached struct {
	e30, e90, e365 float64 // E[Y(t)] / P(alive)
	disc           float64 // Σ months (E_m − E_{m−1}) / (1+d)^m, / P(alive)
}

// NewModels prepares the models for scoring many customers.
func NewModels(bg BGNBD, gg GammaGamma, annualDiscount float64) *Models {
	return &Models{BG: bg, GG: gg, AnnualDiscount: annualDiscount, cache: map[cacheKey]*cached{}}
}

// Score is one customer's value figures.
type Score struct {
	PAlive     float64 // probability of being active now
	Exp30      float64 // expected purchase days in the next 30, 90, 365 days
	Exp90      float64
	Exp365     float64
	ExpSpend   float64 // expected value per future purchase (Gamma-Gamma)
	CLV12      float64 // discounted expected value of the next 12 months
	ChurnRisk  float64 // P(no purchase in the next 90 days)
	ChurnBand  string  // low, medium, high
	NextWeeks  float64 // weeks from asOf to the expected next purchase
	HasNext    bool
	AvgBetween float64 // mean days between purchase days (x ≥ 1)
}

// ChurnHorizonWeeks is the 90-day horizon of the churn risk.
const ChurnHorizonWeeks = 90 * WeeksPerDay

// Churn bands: a churn risk below 0.5 is low, below 0.8 medium, else high.
const (
	ChurnMedium = 0.5
	ChurnHigh   = 0.8
)

// Band names the churn band of a churn risk.
func Band(risk float64) string {
	switch {
	case risk >= ChurnHigh:
		return "high"
	case risk >= ChurnMedium:
		return "medium"
	}
	return "low"
}

func (m *Models) parts(x, T float64) *cached {
	k := cacheKey{x, T}
	if c, ok := m.cache[k]; ok {
		return c
	}
	e := func(t float64) float64 { return m.BG.expectedIfAlive(t, x, T) }
	c := &cached{e30: e(30 * WeeksPerDay), e90: e(90 * WeeksPerDay), e365: e(365 * WeeksPerDay)}
	monthly := math.Pow(1+m.AnnualDiscount, 1.0/12) - 1
	prev := 0.0
	for mo := 1; mo <= 12; mo++ {
		cur := e(float64(mo) * WeeksPerMonth)
		c.disc += (cur - prev) / math.Pow(1+monthly, float64(mo))
		prev = cur
	}
	m.cache[k] = c
	return c
}

// Score computes a customer's figures. Not safe for concurrent use (the
// cache); use one Models per goroutine or Clone.
//
// CLV: with d the annual discount rate, the monthly rate is
// (1+d)^(1/12) − 1 and month m's expected purchases are
// E[Y(m·w)] − E[Y((m−1)·w)] (w weeks a month, E the conditional
// expectation of the BG/NBD), so
//
//	CLV₁₂ = E[M] · Σ_{m=1..12} (E[Y(m·w)] − E[Y((m−1)·w)]) / (1 + d_month)^m
//
// with E[M] the Gamma-Gamma expected spend: the expected value of the
// next year's purchases, in today's money.
func (m *Models) Score(c Customer, s Spend) Score {
	pa := m.BG.PAlive(c.X, c.Tx, c.T)
	p := m.parts(c.X, c.T)
	sc := Score{PAlive: pa, Exp30: pa * p.e30, Exp90: pa * p.e90, Exp365: pa * p.e365}
	sc.ExpSpend = m.GG.ExpectedSpend(s.X, s.Mean)
	sc.CLV12 = pa * p.disc * sc.ExpSpend
	sc.ChurnRisk = m.BG.PNoPurchase(ChurnHorizonWeeks, c.X, c.Tx, c.T)
	sc.ChurnBand = Band(sc.ChurnRisk)
	sc.NextWeeks, sc.HasNext = m.BG.NextPurchase(c.X, c.Tx, c.T)
	if c.X >= 1 {
		sc.AvgBetween = c.Tx * 7 / c.X
	}
	for _, v := range []*float64{&sc.PAlive, &sc.Exp30, &sc.Exp90, &sc.Exp365, &sc.ExpSpend, &sc.CLV12, &sc.ChurnRisk, &sc.NextWeeks, &sc.AvgBetween} {
		if !finite(*v) || *v < 0 {
			*v = 0
		}
	}
	return sc
}

// Clone is a Models with its own cache, for another goroutine.
func (m *Models) Clone() *Models { return NewModels(m.BG, m.GG, m.AnnualDiscount) }
