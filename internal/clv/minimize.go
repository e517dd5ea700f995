package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

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
