package eig_test

// Runnable examples for docs/MATH.md (HIFM-MATH §2, §4, §7). Numbers are
// printed with %.6f, so the text is the same for every kernel build.

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/eig"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// clean rounds to 6 decimals and drops the sign of zero.
func clean(x float64) float64 {
	r := math.Round(x*1e6) / 1e6
	if r == 0 {
		return 0
	}
	return r
}

// The tridiagonal [-1, 2, -1] matrix of order n has the known spectrum
// λ_k = 2 − 2cos(kπ/(n+1)) and eigenvectors v_k(j) = sqrt(2/(n+1))·sin(jkπ/(n+1))
// (HIFM-MATH §7). Sym returns the eigenvalues ascending and unit eigenvectors
// as the columns of a row-major matrix, each with its largest component
// positive.
func ExampleSym() {
	const n = 5
	a := make([]float64, n*n)
	for i := range n {
		a[i*n+i] = 2
		if i > 0 {
			a[i*n+i-1], a[(i-1)*n+i] = -1, -1
		}
	}
	res, err := eig.Sym(a, n, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print("Sym:    ")
	for _, l := range res.Values {
		fmt.Printf(" %.6f", clean(l))
	}
	fmt.Print("\nknown:  ")
	for k := 1; k <= n; k++ {
		fmt.Printf(" %.6f", clean(2-2*math.Cos(float64(k)*math.Pi/(n+1))))
	}
	fmt.Print("\nv_1:    ")
	for _, x := range res.Vector(0) {
		fmt.Printf(" %.6f", clean(x))
	}
	fmt.Println()
	// Output:
	// Sym:     0.267949 1.000000 2.000000 3.000000 3.732051
	// known:   0.267949 1.000000 2.000000 3.000000 3.732051
	// v_1:     0.288675 0.500000 0.577350 0.500000 0.288675
}

// A rank-deficient matrix: H = ½RᵀR of two particles on a line at distance 1
// (HIFM-MATH §4.1) has one zero eigenvalue, the translation, which the flow
// pipeline puts in the null space (λ < τ·λ_max).
func ExampleSym_nullSpace() {
	h := []float64{2, -2, -2, 2}
	res, err := eig.Sym(h, 2, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("eigenvalues %.6f %.6f\n", clean(res.Values[0]), clean(res.Values[1]))
	v := res.Vector(0)
	fmt.Printf("null vector %.6f %.6f\n", clean(v[0]), clean(v[1]))
	// Output:
	// eigenvalues 0.000000 4.000000
	// null vector 0.707107 0.707107
}

// Non-symmetric input is a user error, not a panic: the error says which
// entries disagree and by how much.
func ExampleSym_error() {
	_, err := eig.Sym([]float64{1, 2, 0, 1}, 2, nil)
	fmt.Println(err)
	// Output:
	// eig: matrix is not symmetric: |a[0,1] − a[1,0]| = 2 exceeds SymTol·max|a| = 1e-10·2
}
