package rk45_test

// Runnable examples for docs/MATH.md (HIFM-MATH §6, §7). Numbers are printed
// with %.6f; NFE and step counts are integers decided by comparisons of
// error estimates far from their thresholds here, so the text is the same
// for every kernel build.

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/rk45"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// Exponential decay y' = −y, y(0) = 1, on [0, 2]: the exact solution is
// e^{−t}. Solve reports the number of right-hand-side evaluations (NFE,
// SciPy's nfev): the cost figure of the paper's tables, which use
// rtol = atol = 1e-2. The tolerances bound the local error per step, not the
// global error: at 1e-2 three steps suffice and y(2) is 7 % off; 1e-6 costs
// 50 evaluations and is exact to six decimals.
func ExampleSolve() {
	decay := func(_ float64, y, dydt []float64) error {
		dydt[0] = -y[0]
		return nil
	}
	for _, tol := range []float64{1e-2, 1e-6} {
		res, err := rk45.Solve(decay, 0, 2, []float64{1}, rk45.Options{RTol: tol, ATol: tol})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("tol %.0e: y(2) = %.6f (exact %.6f), NFE %d, accepted %d, rejected %d\n",
			tol, res.Y[0], math.Exp(-2), res.NFE, res.Accepted, res.Rejected)
	}
	// Output:
	// tol 1e-02: y(2) = 0.144581 (exact 0.135335), NFE 20, accepted 3, rejected 0
	// tol 1e-06: y(2) = 0.135335 (exact 0.135335), NFE 50, accepted 8, rejected 0
}

// The likelihood ODE of HIFM-MATH §6 augments the state with the log-density
// change: d/ds [y, ℓ] = [v, div v]. For v = a·y in 1-D, div v = a, so
// integrating back from s = 1 to 0 gives ℓ(0) = −a and y(0) = e^{−a} y(1).
func ExampleSolve_augmented() {
	const a = 0.5
	field := func(_ float64, y, d []float64) error {
		d[0] = a * y[0] // v(s, y)
		d[1] = a        // div_y v
		return nil
	}
	res, err := rk45.Solve(field, 1, 0, []float64{2, 0}, rk45.Options{RTol: 1e-8, ATol: 1e-8})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("y(0) = %.6f (exact %.6f)\n", res.Y[0], 2*math.Exp(-a))
	fmt.Printf("l(0) = %.6f (exact %.6f)\n", res.Y[1], -a)
	// Output:
	// y(0) = 1.213061 (exact 1.213061)
	// l(0) = -0.500000 (exact -0.500000)
}
