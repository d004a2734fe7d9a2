package kernels

import (
	"math/rand/v2"
	"testing"
)

// Rot2 must give exactly the bits of two Rot calls in the same set (the
// eig golden files rely on it), for every length through the vector body
// and the scalar tail, in the selected set and in the generic one.
func TestRot2MatchesTwoRots(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 2*r.Float64() - 1
		}
		return s
	}
	sets := []rot2Variant{
		{"selected", impl.rot, rot2Impl},
		{"generic", rotGeneric, rot2Generic},
	}
	// Every assembly body against the avx2fma Rot (same FMA operations).
	sets = append(sets, rot2Variants()...)
	for _, set := range sets {
		for n := 0; n <= 83; n++ {
			x1, x2, y := fill(n), fill(n), fill(n)
			c1, s1, c2, s2 := r.Float64(), r.Float64(), r.Float64(), -r.Float64()
			a1, a2, ay := append([]float64(nil), x1...), append([]float64(nil), x2...), append([]float64(nil), y...)
			set.rot(a1, ay, c1, s1)
			set.rot(a2, ay, c2, s2)
			set.rot2(x1, x2, y, c1, s1, c2, s2)
			for i := range n {
				if x1[i] != a1[i] || x2[i] != a2[i] || y[i] != ay[i] {
					t.Fatalf("%s n=%d i=%d: Rot2 (%v,%v,%v), two Rots (%v,%v,%v)", set.name, n, i, x1[i], x2[i], y[i], a1[i], a2[i], ay[i])
				}
			}
		}
	}
}
