package kernels

import (
	"math/rand/v2"
	"testing"
)

// Axpy2 must give exactly the bits of two Axpy calls in the same set (the
// eigensolver's results do not depend on which it calls), for every length
// through the vector bodies and the scalar tail.
func TestAxpy2MatchesTwoAxpys(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 2*r.Float64() - 1
		}
		return s
	}
	sets := []axpy2Variant{
		{"selected", impl.axpy, axpy2Impl},
		{"generic", axpyGeneric, axpy2Generic},
	}
	sets = append(sets, axpy2Variants()...) // against the avx2fma Axpy
	for _, set := range sets {
		for n := 0; n <= 41; n++ {
			x1, x2, y := fill(n), fill(n), fill(n+3)
			a1, a2 := r.Float64(), -r.Float64()
			want := append([]float64(nil), y...)
			set.axpy(a1, x1, want)
			set.axpy(a2, x2, want)
			set.axpy2(a1, x1, a2, x2, y)
			for i := range y {
				if y[i] != want[i] {
					t.Fatalf("%s n=%d i=%d: Axpy2 %v, two Axpys %v", set.name, n, i, y[i], want[i])
				}
			}
		}
	}
}
