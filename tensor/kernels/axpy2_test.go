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

// Axpy2Dot must give exactly the bits of Axpy2 then Dot in the same set.
func TestAxpy2DotMatches(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 2*r.Float64() - 1
		}
		return s
	}
	type variant struct {
		name string
		dot  func(x, y []float64) float64
		a2   func(a1 float64, x1 []float64, a2 float64, x2, y []float64)
		a2d  func(a1 float64, x1 []float64, a2 float64, x2, y, z []float64) float64
	}
	sets := []variant{
		{"selected", impl.dot, axpy2Impl, axpy2DotImpl},
		{"generic", dotGeneric, axpy2Generic, axpy2DotGeneric},
	}
	for n := 0; n <= 70; n++ {
		for _, set := range sets {
			x1, x2, y, z := fill(n), fill(n), fill(n+2), fill(n+1)
			a1, a2 := r.Float64(), -r.Float64()
			want := append([]float64(nil), y...)
			set.a2(a1, x1, a2, x2, want)
			wd := set.dot(want[:n], z)
			got := set.a2d(a1, x1, a2, x2, y, z)
			if got != wd {
				t.Fatalf("%s n=%d: dot %v, want %v", set.name, n, got, wd)
			}
			for i := range y {
				if y[i] != want[i] {
					t.Fatalf("%s n=%d i=%d: y %v, want %v", set.name, n, i, y[i], want[i])
				}
			}
		}
	}
}
