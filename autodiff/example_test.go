package autodiff_test

import (
	"fmt"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// A training step: parameters are variables, data constants; the graph is
// reset and rebuilt every step, reusing its buffers.
func ExampleGradValues() {
	w := tensor.FromSlice([]float64{0.5, -1}, 2, 1)
	x := tensor.FromSlice([]float64{1, 2, 3, 4}, 2, 2)
	target := tensor.FromSlice([]float64{1, 0}, 2, 1)
	g := autodiff.NewGraph()
	for step := 0; step < 2; step++ {
		g.Reset()
		wn := g.Var(w)
		y := autodiff.MatMul(g.Const(x), wn, false, false)
		loss := autodiff.Mean(autodiff.Square(autodiff.Sub(y, g.Const(target))))
		grads, err := autodiff.GradValues(loss, wn)
		if err != nil {
			panic(err)
		}
		fmt.Printf("loss %.4f grad [%.4g %.4g]\n", loss.Item(), grads[0].Data[0], grads[0].Data[1])
		tensor.Axpy(-0.01, grads[0], w) // plain gradient descent
	}
	// Output:
	// loss 6.2500 grad [-10 -15]
	// loss 3.4850 grad [-6.9 -10.6]
}

// The exact divergence of a field on a batch, one reverse sweep per
// dimension for all samples at once.
func ExampleDivergence() {
	g := autodiff.NewGraph()
	x := g.Var(tensor.FromSlice([]float64{1, 2, 0.5, -1}, 2, 2))
	y := autodiff.Mul(autodiff.Square(x), x) // y_i = x_i³, div = 3 Σ x_i²
	div, err := autodiff.Divergence(y, x, true)
	if err != nil {
		panic(err)
	}
	fmt.Println(div.Data)
	// Output: [15 3.75]
}
