package energy

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/eig"
)

// TestFormationAutodiffHessian: the autodiff Hessian of Eq. 25 at y1 equals
// the closed form ½RᵀR to 1e-10 and has exactly 6 zero eigenvalues for a
// rigid 3-D formation (HIFM-MATH §4.1).
func TestFormationAutodiffHessian(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	y1 := cluster(rng, 13)
	f, err := NewFormation(y1, 13, 3, CompleteGraph)
	if err != nil {
		t.Fatal(err)
	}
	ad := &Graph{N: 39, Build: f.Node}
	h := make([]float64, 39*39)
	ad.Hessian(y1, h)
	closed := f.HalfRtR(y1)
	// Both sum the same O(10)-sized products in different orders: 1e-10 absolute.
	if d := cmp.Diff(closed, h, cmpopts.EquateApprox(0, 1e-10)); d != "" {
		t.Errorf("autodiff Hessian vs ½RᵀR:\n%s", d)
	}
	res, err := eig.Sym(h, 39, nil)
	if err != nil {
		t.Fatal(err)
	}
	lmax := res.Values[38]
	zeros := 0
	for _, l := range res.Values {
		if l < 1e-8*lmax { // the pipeline's default τ
			zeros++
		}
	}
	// The 7th eigenvalue of a generic rigid formation is O(1), far above τ·λ_max.
	if zeros != 6 || res.Values[6] < 1e-3*lmax {
		t.Errorf("%d zero eigenvalues (λ_7/λ_max = %.3g), want exactly 6", zeros, res.Values[6]/lmax)
	}
}

// TestAutodiffMatchesClosedForms: value, gradient and Hessian of the
// autodiff expressions equal the closed forms, off the minimum.
func TestAutodiffMatchesClosedForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	y1 := cluster(rng, 6)
	y := cluster(rng, 6)
	f, err := NewFormation(y1, 6, 3, CompleteGraph)
	if err != nil {
		t.Fatal(err)
	}
	lj := &LJ13{Particles: 6, SpatialDim: 3, Epsilon: 1, Rm: 1, Oscillator: 1}
	for _, tc := range []struct {
		name   string
		closed Energy
		ad     Energy
	}{
		{"formation", f, &Graph{N: 18, Build: f.Node}},
		{"lj", lj, &Graph{N: 18, Build: lj.Node}},
	} {
		n := tc.closed.Dim()
		// Same formulas, different summation order: 1e-12 relative, 1e-10
		// absolute (LJ Hessian entries reach ~1e3 at r ≈ 0.9).
		opt := cmpopts.EquateApprox(1e-12, 1e-10)
		if d := cmp.Diff(tc.closed.Value(y), tc.ad.Value(y), opt); d != "" {
			t.Errorf("%s value:\n%s", tc.name, d)
		}
		g1, g2 := make([]float64, n), make([]float64, n)
		tc.closed.Grad(y, g1)
		tc.ad.Grad(y, g2)
		if d := cmp.Diff(g1, g2, opt); d != "" {
			t.Errorf("%s gradient:\n%s", tc.name, d)
		}
		h1, h2 := make([]float64, n*n), make([]float64, n*n)
		tc.closed.Hessian(y, h1)
		tc.ad.Hessian(y, h2)
		if d := cmp.Diff(h1, h2, opt); d != "" {
			t.Errorf("%s Hessian:\n%s", tc.name, d)
		}
	}
}
