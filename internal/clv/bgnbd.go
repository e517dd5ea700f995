package clv

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
)

// Customer is a customer's calibration summary in weeks: X repeat
// purchase days, Tx the time of the last purchase day after the first, T
// the time from the first purchase day to the end of the calibration.
type Customer struct {
	X, Tx, T float64
}

// BGNBD are the parameters of the BG/NBD model: the purchase rate λ of an
// active customer is Gamma(R, Alpha) across customers, and after each
// purchase a customer drops out with probability p ~ Beta(A, B).
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
}

// BGNBDFit is a fitted model with its log-likelihood.
type BGNBDFit struct {
	BGNBD
	LogLikelihood float64 `json:"log_likelihood"`
	Customers     int     `json:"customers"`
	Iterations    int     `json:"iterations"`
	// Regularized says the maximum likelihood ran to a boundary and the
	// weak prior of fitMLE picked the estimate.
	Regularized bool `json:"regularized"`
}

// ErrNoRepeat and ErrTooFew explain why a fit was not attempted.
var (
	ErrTooFew   = errors.New("too few customers to fit the model")
	ErrNoRepeat = errors.New("no repeat buyers: the model cannot be fitted")
)

// MinCustomers is the smallest customer base a fit is attempted on.
const MinCustomers = 10

// triple is a unique (x, t_x, T) with the number of customers having it.
type triple struct {
	x, tx, T float64
	n        float64
	xi       int // index into the per-x caches
	ti, txi  int // indexes of T and t_x in the distinct-value tables
}

type compressed struct {
	ts []triple
	xs []float64 // distinct x values
	vs []float64 // distinct T and t_x values: ln(α+v) is computed once per value
	n  float64
}

// compress groups identical histories, so the likelihood is evaluated
// once per distinct (x, t_x, T).
func compress(cs []Customer) compressed {
	m := make(map[Customer]float64, len(cs)/4+1)
	for _, c := range cs {
		m[c]++
	}
	ts := make([]triple, 0, len(m))
	for c, n := range m {
		ts = append(ts, triple{x: c.X, tx: c.Tx, T: c.T, n: n})
	}
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.x != b.x {
			return a.x < b.x
		}
		if a.tx != b.tx {
			return a.tx < b.tx
		}
		return a.T < b.T
	})
	var xs []float64
	for i := range ts {
		if len(xs) == 0 || xs[len(xs)-1] != ts[i].x {
			xs = append(xs, ts[i].x)
		}
		ts[i].xi = len(xs) - 1
	}
	// Times are whole days in weeks: a few hundred distinct values for
	// any number of customers.
	idx := map[float64]int{}
	var vs []float64
	at := func(v float64) int {
		i, ok := idx[v]
		if !ok {
			i = len(vs)
			idx[v] = i
			vs = append(vs, v)
		}
		return i
	}
	for i := range ts {
		ts[i].ti, ts[i].txi = at(ts[i].T), at(ts[i].tx)
	}
	return compressed{ts: ts, xs: xs, vs: vs, n: float64(len(cs))}
}

// LogLikelihood is the BG/NBD log-likelihood of the customers (FHL 2005,
// eq. 6):
//
//	L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
//	  + δ(x>0) · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
func (p BGNBD) LogLikelihood(cs []Customer) float64 {
	c := compress(cs)
	ll, _ := p.loglik(c, nil)
	return ll
}

// loglik returns the summed log-likelihood and, when grad is non-nil, its
// gradient with respect to (ln r, ln α, ln a, ln b).
func (p BGNBD) loglik(c compressed, grad []float64) (float64, error) {
	r, al, a, b := p.R, p.Alpha, p.A, p.B
	lbab := mathext.Lbeta(a, b)
	// Per distinct x: the parts that depend on x and the parameters only.
	type perX struct {
		lg, l1, l2 float64 // lnΓ(r+x)−lnΓ(r)+r ln α, ln B(a,b+x)−ln B(a,b), ln B(a+1,b+x−1)−ln B(a,b)
		dr         float64 // ψ(r+x)−ψ(r)
		da1, db1   float64 // d l1 / da, db
		da2, db2   float64
	}
	lr, _ := math.Lgamma(r)
	px := make([]perX, len(c.xs))
	var psiA, psiB, psiAB, psiA1 float64
	if grad != nil {
		psiA, psiB, psiAB, psiA1 = mathext.Digamma(a), mathext.Digamma(b), mathext.Digamma(a+b), mathext.Digamma(a+1)
	}
	for i, x := range c.xs {
		lrx, _ := math.Lgamma(r + x)
		q := perX{lg: lrx - lr + r*math.Log(al), l1: mathext.Lbeta(a, b+x) - lbab}
		if x > 0 {
			q.l2 = mathext.Lbeta(a+1, b+x-1) - lbab
		}
		if grad != nil {
			psiABX := mathext.Digamma(a + b + x)
			q.dr = mathext.Digamma(r+x) - mathext.Digamma(r)
			q.da1 = psiA - psiABX - (psiA - psiAB)
			q.db1 = mathext.Digamma(b+x) - psiABX - (psiB - psiAB)
			if x > 0 {
				q.da2 = psiA1 - psiABX - (psiA - psiAB)
				q.db2 = mathext.Digamma(b+x-1) - psiABX - (psiB - psiAB)
			}
		}
		px[i] = q
	}
	lv := make([]float64, len(c.vs))  // ln(α+v)
	inv := make([]float64, len(c.vs)) // 1/(α+v)
	for i, v := range c.vs {
		lv[i], inv[i] = math.Log(al+v), 1/(al+v)
	}
	var ll, gr, gal, ga, gb float64
	lal := math.Log(al)
	for _, t := range c.ts {
		q := &px[t.xi]
		lT := lv[t.ti]
		e1 := q.l1 - (r+t.x)*lT
		w1, w2 := 1.0, 0.0
		lse := e1
		var ltx float64
		if t.x > 0 {
			ltx = lv[t.txi]
			e2 := q.l2 - (r+t.x)*ltx
			// log(e^e1 + e^e2) with one exp and one log.
			d := e2 - e1
			if d > 0 {
				ed := math.Exp(-d)
				lse = e2 + math.Log1p(ed)
				w1, w2 = ed/(1+ed), 1/(1+ed)
			} else {
				ed := math.Exp(d)
				lse = e1 + math.Log1p(ed)
				w1, w2 = 1/(1+ed), ed/(1+ed)
			}
		}
		ll += t.n * (q.lg + lse)
		if grad != nil {
			gr += t.n * (q.dr + lal - w1*lT - w2*ltx)
			sum := w1 * inv[t.ti]
			if t.x > 0 {
				sum += w2 * inv[t.txi]
			}
			gal += t.n * (r/al - (r+t.x)*sum)
			ga += t.n * (w1*q.da1 + w2*q.da2)
			gb += t.n * (w1*q.db1 + w2*q.db2)
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2], grad[3] = gr*r, gal*al, ga*a, gb*b
	}
	if math.IsNaN(ll) || math.IsInf(ll, 0) {
		return ll, errors.New("the BG/NBD likelihood is not finite")
	}
	return ll, nil
}

// FitBGNBD finds the maximum-likelihood parameters for the customers.
func FitBGNBD(cs []Customer) (BGNBDFit, error) {
	if len(cs) < MinCustomers {
		return BGNBDFit{}, fmt.Errorf("%w (%d, at least %d)", ErrTooFew, len(cs), MinCustomers)
	}
	repeat := 0
	for _, c := range cs {
		if !(c.X >= 0 && c.Tx >= 0 && c.T >= c.Tx) || math.IsInf(c.T, 0) {
			return BGNBDFit{}, fmt.Errorf("invalid customer summary x=%v t_x=%v T=%v", c.X, c.Tx, c.T)
		}
		if c.X > 0 {
			repeat++
		}
	}
	if repeat == 0 {
		return BGNBDFit{}, ErrNoRepeat
	}
	c := compress(cs)
	from := func(v []float64) BGNBD {
		return BGNBD{math.Exp(v[0]), math.Exp(v[1]), math.Exp(v[2]), math.Exp(v[3])}
	}
	// The mean purchase interval sets α's scale; (1, mean T, 1, 3) is BTYD's
	// start (1, 3, 1, 3) adjusted to the data's time scale.
	var meanT float64
	for _, c := range cs {
		meanT += c.T
	}
	meanT /= float64(len(cs))
	start := []float64{0, math.Log(math.Max(meanT/10, 1e-3)), 0, math.Log(3)}
	loglik := func(v, g []float64) (float64, error) { return from(v).loglik(c, g) }
	x, iters, reg, err := fitMLE(loglik, c.n, start, []bool{true, false, true, true})
	if err != nil {
		return BGNBDFit{}, fmt.Errorf("BG/NBD fit did not converge: %v", err)
	}
	p := from(x)
	ll, lerr := p.loglik(c, nil)
	if lerr != nil || !finite(p.R, p.Alpha, p.A, p.B, ll) {
		return BGNBDFit{}, divergedErr("BG/NBD", x)
	}
	// The conditional expectation must be computable at the solution
	// (the hypergeometric series of a degenerate fit may not be).
	if e := p.ExpectedPurchases(52, 1, meanT/2, meanT); !finite(e) || e < 0 {
		return BGNBDFit{}, divergedErr("BG/NBD", x)
	}
	return BGNBDFit{BGNBD: p, LogLikelihood: ll, Customers: len(cs), Iterations: iters, Regularized: reg}, nil
}

func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// PAlive is the probability that a customer with history (x, t_x, T) is
// still active at T (FHL 2008 note 021, eq. 1):
//
//	P(alive) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
func (p BGNBD) PAlive(x, tx, T float64) float64 {
	if x <= 0 {
		return 1
	}
	lr := math.Log(p.A/(p.B+x-1)) + (p.R+x)*(math.Log(p.Alpha+T)-math.Log(p.Alpha+tx))
	if lr > 700 {
		return 0
	}
	return 1 / (1 + math.Exp(lr))
}

// Expected is the number of repeat purchases a new customer is expected to
// make in t weeks (FHL 2005, eq. 9):
//
//	E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))]
func (p BGNBD) Expected(t float64) float64 {
	if t <= 0 {
		return 0
	}
	h := mathext.Hypergeo(p.R, p.B, p.A+p.B-1, t/(p.Alpha+t))
	return (p.A + p.B - 1) / (p.A - 1) * (1 - math.Pow(p.Alpha/(p.Alpha+t), p.R)*h)
}

// ExpectedPurchases is the number of purchases a customer with history
// (x, t_x, T) is expected to make in the next t weeks (FHL 2005, eq. 10):
//
//	E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1)
//	    · [1 − ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))]
//	    / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
func (p BGNBD) ExpectedPurchases(t, x, tx, T float64) float64 {
	return p.expectedIfAlive(t, x, T) * p.PAlive(x, tx, T)
}

// expectedIfAlive is ExpectedPurchases before the P(alive) factor: it
// depends on x and T only, so the score job computes it once per (x, T).
func (p BGNBD) expectedIfAlive(t, x, T float64) float64 {
	if t <= 0 {
		return 0
	}
	z := t / (p.Alpha + T + t)
	h := mathext.Hypergeo(p.R+x, p.B+x, p.A+p.B+x-1, z)
	v := (p.A + p.B + x - 1) / (p.A - 1) * (1 - math.Exp((p.R+x)*math.Log((p.Alpha+T)/(p.Alpha+T+t)))*h)
	if !finite(v) || v < 0 {
		return 0
	}
	return v
}

// PNoPurchase is the probability that a customer with history (x, t_x, T)
// makes no purchase in the next tau weeks.
//
// Derivation: a BG/NBD customer can drop out only right after a purchase,
// so one who is alive at T makes no purchase in (T, T+τ] exactly when the
// next exponential inter-purchase time exceeds τ: probability e^(−λτ).
// Given the history and being alive, the likelihood in (λ, p) is
// (1−p)^x λ^x e^(−λT), so λ | alive ~ Gamma(r+x, α+T) and
// E[e^(−λτ) | alive] = ((α+T)/(α+T+τ))^(r+x). A customer who is no longer
// alive buys nothing. Hence
//
//	P(no purchase in τ) = 1 − P(alive) + P(alive) · ((α+T)/(α+T+τ))^(r+x)
func (p BGNBD) PNoPurchase(tau, x, tx, T float64) float64 {
	pa := p.PAlive(x, tx, T)
	q := math.Exp((p.R + x) * math.Log((p.Alpha+T)/(p.Alpha+T+tau)))
	v := 1 - pa + pa*q
	return math.Min(1, math.Max(0, v))
}

// NextPurchase is the time in weeks from T by which the customer has more
// likely than not bought again: the τ solving P(no purchase in τ) = ½, so
//
//	((α+T)/(α+T+τ))^(r+x) = 1 − 1/(2·P(alive)),  τ = (α+T)·(k^(−1/(r+x)) − 1)
//
// with k the right-hand side. ok is false when P(alive) ≤ ½ (more likely
// gone than not: no expected next purchase).
func (p BGNBD) NextPurchase(x, tx, T float64) (weeks float64, ok bool) {
	pa := p.PAlive(x, tx, T)
	if pa <= 0.5 {
		return 0, false
	}
	k := 1 - 0.5/pa
	tau := (p.Alpha + T) * (math.Exp(-math.Log(k)/(p.R+x)) - 1)
	if !finite(tau) || tau < 0 {
		return 0, false
	}
	return tau, true
}
