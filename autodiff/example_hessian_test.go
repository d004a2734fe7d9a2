package autodiff_test

// Runnable examples for docs/MATH.md (HIFM-MATH §4.1, §6). Numbers are
// printed with %.6f, so the text is the same for every kernel build.

import (
	"fmt"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// HessianFunc gives the dense Hessian of a scalar expression: here the
// formation energy of Eq. 25 for two particles on a line with target
// distance d = 1, V(x) = ¼((x_1 − x_0)² − d²)². At its minimum x = (0, 1) the
// Hessian is ½RᵀR = [[2, −2], [−2, 2]] (HIFM-MATH §4.1); off the minimum the
// stretch term e = (x_1 − x_0)² − d² adds to it: ∂²V/∂x_1² = 3(x_1 − x_0)² − d².
func ExampleHessianFunc() {
	v := func(x *autodiff.Node) *autodiff.Node {
		d := autodiff.Sub(autodiff.Slice(x, 0, 1, 2), autodiff.Slice(x, 0, 0, 1))
		e := autodiff.AddScalar(autodiff.Square(d), -1) // ||x_1 − x_0||² − d²
		return autodiff.Scale(autodiff.Sum(autodiff.Square(e)), 0.25)
	}
	for _, x := range [][]float64{{0, 1}, {0, 2}} {
		h, err := autodiff.HessianFunc(v, tensor.FromSlice(x, 2))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("x = %v: H = [[%.6f %.6f] [%.6f %.6f]]\n", x, h.Data[0], h.Data[1], h.Data[2], h.Data[3])
	}
	// Output:
	// x = [0 1]: H = [[2.000000 -2.000000] [-2.000000 2.000000]]
	// x = [0 2]: H = [[11.000000 -11.000000] [-11.000000 11.000000]]
}

// Hutchinson's estimator of a divergence (HIFM-MATH §6): the mean of εᵀJε
// over Rademacher probes ε. For the linear field y = A x the exact
// divergence is tr A; each probe gives tr A plus the off-diagonal terms
// Σ_{i≠j} ε_i A_ij ε_j = ±0.75 here, which average out. The likelihood
// solve keeps its probes fixed during one integration, so the estimated
// divergence is a fixed function of (s, y) (flow/infer.NLL, Options.Probes).
func ExampleHutchinson() {
	g := autodiff.NewGraph()
	a := tensor.FromSlice([]float64{1, 0.5, 0.25, 2}, 2, 2) // tr A = 3
	x := g.Var(tensor.FromSlice([]float64{0.3, -0.7}, 2, 1))
	y := autodiff.MatMul(g.Const(a), x, false, false)
	exact, err := autodiff.Divergence(y, x, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	probes := []*tensor.Tensor{
		tensor.FromSlice([]float64{1, 1}, 2, 1),
		tensor.FromSlice([]float64{1, -1}, 2, 1),
	}
	fmt.Printf("exact divergence %.6f\n", exact.Item())
	for _, p := range probes {
		est, err := autodiff.Hutchinson(y, x, []*tensor.Tensor{p}, false)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("probe %v: %.6f\n", p.Data, est.Item())
	}
	est, err := autodiff.Hutchinson(y, x, probes, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("mean over both probes: %.6f\n", est.Item())
	// Output:
	// exact divergence 3.000000
	// probe [1 1]: 3.750000
	// probe [1 -1]: 2.250000
	// mean over both probes: 3.000000
}
