package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Spend is a repeat customer's spend: X repeat transactions (purchase
// days after the first) with mean value Mean.
type Spend struct {
	X, Mean float64
}

// GammaGamma are the parameters of the Gamma-Gamma spend model: a
// transaction's value is Gamma(P, ν) and ν is Gamma(Q, Gamma) across
// customers, so a customer's mean spend is pν⁻¹ and the population mean
// is pγ/(q−1).
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
}

// GammaGammaFit is a fitted model with its log-likelihood.
type GammaGammaFit struct {
	GammaGamma
	LogLikelihood float64 `json:"log_likelihood"`
	Customers     int     `json:"customers"`
	Iterations    int     `json:"iterations"`
	Regularized   bool    `json:"regularized"`
}

// LogLikelihood is the log-likelihood of the customers' mean spends
// (Fader & Hardie 2013, eq. 3, the density of z̄ given x):
//
//	ln f = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln z̄ + px ln x
//	       − (px+q) ln(γ + x z̄)
func (g GammaGamma) LogLikelihood(ss []Spend) float64 {
	ll, _ := g.loglik(newSpends(ss), nil)
	return ll
}

// spends are the repeat customers' spends with what the likelihood needs
// of them precomputed: ln z̄, ln x, and the index of x among the distinct
// frequencies (the Γ and ψ terms depend on x only, so they are computed
// once per frequency, not per customer).
type spends struct {
	x, z, lz, lx []float64
	xi           []int
	xs           []float64
}

func newSpends(ss []Spend) *spends {
	d := &spends{}
	idx := map[float64]int{}
	for _, s := range ss {
		i, ok := idx[s.X]
		if !ok {
			i = len(d.xs)
			idx[s.X] = i
			d.xs = append(d.xs, s.X)
		}
		d.x, d.z = append(d.x, s.X), append(d.z, s.Mean)
		d.lz, d.lx = append(d.lz, math.Log(s.Mean)), append(d.lx, math.Log(s.X))
		d.xi = append(d.xi, i)
	}
	return d
}

func (g GammaGamma) loglik(d *spends, grad []float64) (float64, error) {
	p, q, gm := g.P, g.Q, g.Gamma
	lq, _ := math.Lgamma(q)
	lgm := math.Log(gm)
	// Per distinct x: lnΓ(px+q) − lnΓ(px) and ψ(px+q), ψ(px+q) − ψ(px).
	type perX struct{ lg, dpq, dd float64 }
	px := make([]perX, len(d.xs))
	for i, x := range d.xs {
		a, _ := math.Lgamma(p*x + q)
		b, _ := math.Lgamma(p * x)
		px[i].lg = a - b
		if grad != nil {
			px[i].dpq = mathext.Digamma(p*x + q)
			px[i].dd = px[i].dpq - mathext.Digamma(p*x)
		}
	}
	var ll, gp, gq, gg float64
	var psiQ float64
	if grad != nil {
		psiQ = mathext.Digamma(q)
	}
	for i, x := range d.x {
		c := &px[d.xi[i]]
		pxv := p * x
		den := gm + x*d.z[i]
		lgz := math.Log(den)
		ll += c.lg - lq + q*lgm + (pxv-1)*d.lz[i] + pxv*d.lx[i] - (pxv+q)*lgz
		if grad != nil {
			gp += x * (c.dd + d.lz[i] + d.lx[i] - lgz)
			gq += c.dpq - psiQ + lgm - lgz
			gg += q/gm - (pxv+q)/den
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2] = gp*p, gq*q, gg*gm
	}
	if !finite(ll) {
		return ll, errors.New("the Gamma-Gamma likelihood is not finite")
	}
	return ll, nil
}

// FitGammaGamma finds the maximum-likelihood parameters for the repeat
// customers' mean spends (x ≥ 1, mean > 0; others are skipped).
func FitGammaGamma(in []Spend) (GammaGammaFit, error) {
	ss := make([]Spend, 0, len(in))
	var mean float64
	for _, s := range in {
		if s.X >= 1 && s.Mean > 0 && finite(s.Mean) {
			ss = append(ss, s)
			mean += s.Mean
		}
	}
	if len(ss) == 0 {
		return GammaGammaFit{}, ErrNoRepeat
	}
	if len(ss) < MinCustomers {
		return GammaGammaFit{}, fmt.Errorf("%w (%d repeat buyers with spend, at least %d)", ErrTooFew, len(ss), MinCustomers)
	}
	mean /= float64(len(ss))
	n := float64(len(ss))
	from := func(v []float64) GammaGamma { return GammaGamma{math.Exp(v[0]), math.Exp(v[1]), math.Exp(v[2])} }
	// Start where the population mean pγ/(q−1) equals the observed mean.
	start := []float64{0, math.Log(3), math.Log(2 * mean)}
	d := newSpends(ss)
	loglik := func(v, gr []float64) (float64, error) { return from(v).loglik(d, gr) }
	x, iters, reg, err := fitMLE(loglik, n, start, []bool{true, true, false})
	if err != nil {
		return GammaGammaFit{}, fmt.Errorf("Gamma-Gamma fit did not converge: %v", err)
	}
	g := from(x)
	ll, lerr := g.loglik(d, nil)
	if lerr != nil || !finite(g.P, g.Q, g.Gamma, ll) {
		return GammaGammaFit{}, divergedErr("Gamma-Gamma", x)
	}
	if g.Q <= 1 {
		return GammaGammaFit{}, fmt.Errorf("Gamma-Gamma fit has q=%.3g ≤ 1: the mean spend is unbounded (too few or too varied repeat buyers)", g.Q)
	}
	return GammaGammaFit{GammaGamma: g, LogLikelihood: ll, Customers: len(ss), Iterations: iters, Regularized: reg}, nil
}

// ExpectedSpend is the expected value of a customer's future transactions
// given x repeat transactions with mean z̄ (Fader & Hardie 2013, eq. 5):
//
//	E[M | p, q, γ, z̄, x] = p(γ + x z̄) / (px + q − 1)
//
// a weighted mean of the population mean pγ/(q−1) and the customer's own
// z̄. With x = 0 it is the population mean.
func (g GammaGamma) ExpectedSpend(x, mean float64) float64 {
	if x <= 0 || mean <= 0 {
		x, mean = 0, 0
	}
	return g.P * (g.Gamma + x*mean) / (g.P*x + g.Q - 1)
}
