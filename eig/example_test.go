package eig_test

import (
	"fmt"

	"github.com/hifm-go/hifm/eig"
)

// The 3×3 matrix [[2,-1,0],[-1,2,-1],[0,-1,2]] has eigenvalues 2−√2, 2, 2+√2.
func ExampleSym() {
	a := []float64{
		2, -1, 0,
		-1, 2, -1,
		0, -1, 2,
	}
	r, err := eig.Sym(a, 3, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for j, l := range r.Values {
		fmt.Printf("λ = %.6f  v = %+.4f\n", l, r.Vector(j))
	}
	// Output:
	// λ = 0.585786  v = [+0.5000 +0.7071 +0.5000]
	// λ = 2.000000  v = [+0.7071 +0.0000 -0.7071]
	// λ = 3.414214  v = [-0.5000 +0.7071 -0.5000]
}
