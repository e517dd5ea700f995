package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// fitMLE maximises the mean log-likelihood over log parameters. When the
// maximum lies at a boundary — a shape parameter (shape[i]) beyond
// 1e-4..1e4, which happens when a heterogeneity distribution degenerates
// (every customer alike, or nobody dropping out) and the likelihood is
// flat along a ridge to 0 or infinity — or cannot be found, it fits
// again with a weak normal prior (sd 5) on the log shape parameters,
// which keeps them finite and moderate; regularized reports that. Data
// that determine the parameters, such as the CDNOW sample, never reach
// the second fit, so the published estimates are the pure maximum.
func fitMLE(loglik func(v, grad []float64) (float64, error), n float64, start []float64, shape []bool) ([]float64, int, bool, error) {
	problem := func(w float64) optimize.Problem {
		return optimize.Problem{
			Func: func(v []float64) float64 {
				ll, err := loglik(v, nil)
				if err != nil {
					return math.Inf(1)
				}
				var pen float64
				for i, x := range v {
					if shape[i] {
						pen += x * x / (2 * priorSD * priorSD)
					}
				}
				return (-ll + w*pen) / n
			},
			Grad: func(g, v []float64) {
				_, _ = loglik(v, g)
				for i := range g {
					g[i] = -g[i]
					if shape[i] {
						g[i] += w * v[i] / (priorSD * priorSD)
					}
					g[i] /= n
				}
			},
		}
	}
	x, iters, err := minimize(problem(0), start)
	if err == nil && !atBoundary(x, shape) {
		return x, iters, false, nil
	}
	x2, it2, err2 := minimize(problem(1), start)
	if err2 != nil {
		if err == nil {
			return x, iters + it2, false, nil
		}
		return nil, iters + it2, false, err
	}
	return x2, iters + it2, true, nil
}

const priorSD = 5

func atBoundary(x []float64, shape []bool) bool {
	for i, v := range x {
		if shape[i] && math.Abs(v) > math.Log(1e4) {
			return true
		}
	}
	return false
}

// gradTol is the largest gradient (of the mean log-likelihood per
// customer, in log parameters) a solution may have.
const gradTol = 1e-4

// maxLogParam bounds |ln θ|: beyond it a parameter ran to 0 or infinity.
const maxLogParam = 25

// minimize maximises a mean log-likelihood: BFGS with the analytic
// gradient, then, when BFGS stops short (a line search that cannot
// improve on a flat ridge, which happens when a heterogeneity
// distribution degenerates and two parameters grow together), Nelder-Mead
// from where it stopped. A solution is accepted when its gradient is
// within gradTol and its parameters are finite and bounded.
func minimize(prob optimize.Problem, start []float64) ([]float64, int, error) {
	res, err := optimize.Minimize(prob, start, &optimize.Settings{GradientThreshold: 1e-9, MajorIterations: 500}, &optimize.BFGS{})
	x, iters := start, 0
	if res != nil {
		x, iters = res.X, res.Stats.MajorIterations
	}
	if err != nil || !converged(prob, x) {
		nm, nerr := optimize.Minimize(prob, x, &optimize.Settings{MajorIterations: 4000}, &optimize.NelderMead{})
		if nm != nil && nerr == nil && finite(nm.F) && (res == nil || nm.F <= res.F+1e-12) {
			x, iters = nm.X, iters+nm.Stats.MajorIterations
			err = nil
		}
	}
	if !converged(prob, x) {
		if err == nil {
			err = errors.New("the likelihood has no maximum within bounds")
		}
		return nil, iters, err
	}
	return x, iters, nil
}

func converged(prob optimize.Problem, x []float64) bool {
	if !finite(prob.Func(x)) {
		return false
	}
	g := make([]float64, len(x))
	prob.Grad(g, x)
	for i := range x {
		if !finite(x[i], g[i]) || math.Abs(x[i]) > maxLogParam || math.Abs(g[i]) > gradTol {
			return false
		}
	}
	return true
}

func divergedErr(model string, x []float64) error {
	ps := make([]string, len(x))
	for i, v := range x {
		ps[i] = fmt.Sprintf("%.3g", math.Exp(v))
	}
	return fmt.Errorf("%s fit did not converge (parameters %v)", model, ps)
}
