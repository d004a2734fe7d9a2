package energy

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The closed forms of the toy energies agree with the autodiff engine to
// rounding (1e-12 relative: a few dozen flops on O(1) values) and with
// central differences (h = 1e-5: truncation O(h²·V”') ≈ 1e-9).
func TestToyDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, name := range []string{ToyWell, ToyRing} {
		e, err := NewToy(name)
		if err != nil {
			t.Fatal(err)
		}
		ad := &Graph{N: 2, Build: e.Node}
		for range 20 {
			y := []float64{2 * rng.NormFloat64(), 2 * rng.NormFloat64()}
			g, ga := make([]float64, 2), make([]float64, 2)
			h, ha := make([]float64, 4), make([]float64, 4)
			e.Grad(y, g)
			ad.Grad(y, ga)
			e.Hessian(y, h)
			AutodiffHessian(e, y, ha)
			rel := cmpopts.EquateApprox(1e-12, 1e-12)
			if d := cmp.Diff(e.Value(y), ad.Value(y), rel); d != "" {
				t.Errorf("%s value at %v: %s", name, y, d)
			}
			if d := cmp.Diff(g, ga, rel); d != "" {
				t.Errorf("%s grad at %v: %s", name, y, d)
			}
			if d := cmp.Diff(h, ha, rel); d != "" {
				t.Errorf("%s Hessian at %v: %s", name, y, d)
			}
			fd := cmpopts.EquateApprox(1e-7, 1e-7)
			if d := cmp.Diff(g, fdGrad(e, y, 1e-5), fd); d != "" {
				t.Errorf("%s grad vs finite differences: %s", name, d)
			}
			if d := cmp.Diff(h, fdHess(e, y, 1e-5), fd); d != "" {
				t.Errorf("%s Hessian vs finite differences: %s", name, d)
			}
		}
	}
}

// At every minimum of the ring, H = 8 m mᵀ: eigenvalue 8 along m (radial)
// and an exact null direction along the tangent (HIFM-MATH §4).
func TestRingNullDirection(t *testing.T) {
	var r ring
	for _, y := range [][]float64{{0.3, 0.4}, {-2, 1}, {0, -0.1}} {
		m := make([]float64, 2)
		if !r.NearestMinimum(y, m) {
			t.Fatalf("%v: not unique", y)
		}
		if v := r.Value(m); v > 1e-30 {
			t.Errorf("V(%v) = %v at the nearest minimum", m, v)
		}
		h := make([]float64, 4)
		AutodiffHessian(r, m, h)
		tang := []float64{-m[1], m[0]}
		ht := []float64{h[0]*tang[0] + h[1]*tang[1], h[2]*tang[0] + h[3]*tang[1]}
		hm := []float64{h[0]*m[0] + h[1]*m[1], h[2]*m[0] + h[3]*m[1]}
		if math.Hypot(ht[0], ht[1]) > 1e-14 {
			t.Errorf("H·tangent = %v, want 0", ht)
		}
		if d := cmp.Diff(hm, []float64{8 * m[0], 8 * m[1]}, cmpopts.EquateApprox(1e-14, 1e-14)); d != "" {
			t.Errorf("H·m ≠ 8m: %s", d)
		}
	}
	if r.NearestMinimum([]float64{0, 0}, make([]float64, 2)) {
		t.Error("the centre has no unique nearest minimum")
	}
	if _, err := NewToy("bogus"); err == nil {
		t.Error("want an error for an unknown toy")
	}
}
