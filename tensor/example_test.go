package tensor_test

// Runnable examples for docs/MATH.md. Every product below is of small
// integers or is printed with %.6f, so the text is the same with the AVX2
// kernels, -tags purego and HIFM_KERNELS=generic.

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

func printMatrix(t *tensor.Tensor) {
	r, c := t.Shape[0], t.Shape[1]
	for i := range r {
		for j := range c {
			fmt.Printf(" %8.3f", t.At(i, j))
		}
		fmt.Println()
	}
}

// MatMul computes op(a)·op(b); the flags transpose without copying. Here
// H = ½RᵀR for the one-edge formation of two particles on a line at
// distance 1 (HIFM-MATH §4.1): R = [2(y_1 − y_2), −2(y_1 − y_2)] = [−2, 2].
func ExampleMatMul() {
	r := tensor.FromSlice([]float64{-2, 2}, 1, 2)
	h := tensor.MatMul(nil, r, r, true, false) // Rᵀ·R, shape (2, 2)
	h = tensor.Scale(h, 0.5, h)
	fmt.Println("shape", h.Shape)
	printMatrix(h)
	// Output:
	// shape [2 2]
	//     2.000   -2.000
	//    -2.000    2.000
}

// Gemm is the in-place form c = α·op(a)·op(b) + β·c, the kernel every dense
// layer and the Q diag(·) Qᵀ products reduce to.
func ExampleGemm() {
	a := tensor.FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.FromSlice([]float64{1, 0, 0, 1, 1, 1}, 3, 2)
	c := tensor.Full(1, 2, 2)
	tensor.Gemm(false, false, 2, a, b, -1, c) // c = 2·a·b − c
	printMatrix(c)
	// Output:
	//     7.000    9.000
	//    19.000   21.000
}

// Shape mismatches are programming errors and panic with a *ShapeError;
// Catch turns the panic into an error at an API boundary.
func ExampleCatch() {
	a := tensor.Zeros(2, 3)
	b := tensor.Zeros(2, 3)
	err := tensor.Catch(func() { tensor.MatMul(nil, a, b, false, false) })
	fmt.Println(err)
	// Output:
	// tensor.MatMul: shape mismatch (2, 3) vs (2, 3): inner dimensions 3 and 2 (transA=false transB=false)
}

// NewRNG is the single source of randomness: the same seed gives the same
// numbers on every machine and build.
func ExampleNewRNG() {
	x := tensor.RandN(tensor.NewRNG(42), 3)
	y := tensor.RandN(tensor.NewRNG(42), 3)
	fmt.Printf("%.6f %.6f %.6f\n", x.Data[0], x.Data[1], x.Data[2])
	fmt.Println("reproducible:", x.Data[2] == y.Data[2])
	// Output:
	// -0.744093 -0.723721 1.114651
	// reproducible: true
}
