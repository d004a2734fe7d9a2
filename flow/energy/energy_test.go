package energy

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor/golden"
	"github.com/hifm-go/hifm/tensor/npy"
)

var _ = golden.Update

// cluster returns a random configuration of p particles in 3-D with
// pairwise distances bounded away from 0 (a jittered cubic lattice, spacing 1.1).
func cluster(rng *rand.Rand, p int) []float64 {
	y := make([]float64, 0, 3*p)
	for i := range p {
		y = append(y, 1.1*float64(i%3)+0.1*rng.NormFloat64(),
			1.1*float64((i/3)%3)+0.1*rng.NormFloat64(),
			1.1*float64(i/9)+0.1*rng.NormFloat64())
	}
	return y
}

// fdGrad and fdHess are central differences with step h: truncation error
// O(h²·V”') and round-off O(ε·|V|/h).
func fdGrad(e Energy, y []float64, h float64) []float64 {
	n := e.Dim()
	g := make([]float64, n)
	x := append([]float64(nil), y...)
	for i := range n {
		x[i] = y[i] + h
		p := e.Value(x)
		x[i] = y[i] - h
		m := e.Value(x)
		x[i] = y[i]
		g[i] = (p - m) / (2 * h)
	}
	return g
}

func fdHess(e Energy, y []float64, h float64) []float64 {
	n := e.Dim()
	H := make([]float64, n*n)
	x := append([]float64(nil), y...)
	gp, gm := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i] = y[i] + h
		e.Grad(x, gp)
		x[i] = y[i] - h
		e.Grad(x, gm)
		x[i] = y[i]
		for j := range n {
			H[j*n+i] = (gp[j] - gm[j]) / (2 * h)
		}
	}
	return H
}

func TestDerivativesMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	y1 := cluster(rng, 5)
	form, err := NewFormation(y1, 5, 3, CompleteGraph)
	if err != nil {
		t.Fatal(err)
	}
	lj := &LJ13{Particles: 5, SpatialDim: 3, Epsilon: 1, Rm: 1, Oscillator: 1}
	hq := make([]float64, 9)
	for i := range 3 {
		for j := range 3 {
			hq[i*3+j] = float64(1+i+j) / 3
		}
		hq[i*3+i] += 2
	}
	quad, err := NewQuadratic(hq, 3, []float64{1, -2, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	iso, err := NewIsotropic(2.5, 4, []float64{1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		e    Energy
	}{{"formation", form}, {"lj", lj}, {"quadratic", quad}, {"isotropic", iso}} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.e.Dim()
			y := make([]float64, n)
			if n == 15 {
				copy(y, cluster(rng, 5)) // off the minimum, so the e·I part of the Hessian is tested
			} else {
				for i := range y {
					y[i] = rng.NormFloat64()
				}
			}
			g := make([]float64, n)
			tc.e.Grad(y, g)
			h := make([]float64, n*n)
			tc.e.Hessian(y, h)
			// h = 1e-5: truncation ~1e-10·|V'''|, round-off ~1e-11·|V|;
			// the LJ terms reach |V'''| ~ 1e3 at r ≈ 0.9, so 1e-6 relative.
			opt := cmpopts.EquateApprox(1e-6, 1e-6)
			if d := cmp.Diff(fdGrad(tc.e, y, 1e-5), g, opt); d != "" {
				t.Errorf("gradient (-fd +closed form):\n%s", d)
			}
			if d := cmp.Diff(fdHess(tc.e, y, 1e-5), h, opt); d != "" {
				t.Errorf("Hessian (-fd +closed form):\n%s", d)
			}
			for i := range n {
				for j := range n {
					if h[i*n+j] != h[j*n+i] {
						t.Fatalf("Hessian not symmetric at (%d,%d)", i, j)
					}
				}
			}
		})
	}
}

func TestFormationMinimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	y1 := cluster(rng, 13)
	f, err := NewFormation(y1, 13, 3, CompleteGraph)
	if err != nil {
		t.Fatal(err)
	}
	if f.Edges() != 78 {
		t.Fatalf("complete graph on 13 has %d edges, want 78", f.Edges())
	}
	if v := f.Value(y1); v != 0 {
		t.Errorf("V(y1) = %v, want exactly 0 (target distances are y1's)", v)
	}
	g := make([]float64, 39)
	f.Grad(y1, g)
	for i, x := range g {
		if x != 0 {
			t.Fatalf("∇V(y1)[%d] = %v, want exactly 0", i, x)
		}
	}
	h := make([]float64, 39*39)
	f.Hessian(y1, h)
	// At y1 every e_ij is exactly 0, so Hessian and ½RᵀR sum the same products
	// in a different order: agreement to 1e-10 relative to the entries (~10).
	if d := cmp.Diff(f.HalfRtR(y1), h, cmpopts.EquateApprox(0, 1e-10)); d != "" {
		t.Errorf("Hessian at y1 vs ½RᵀR:\n%s", d)
	}
}

func TestLJ13StandardConfig(t *testing.T) {
	// Two particles at r = r_m: φ = −ε; the oscillator adds ½·2·(½)² = ¼.
	l := &LJ13{Particles: 2, SpatialDim: 3, Epsilon: 1, Rm: 1, Oscillator: 1}
	if e := l.Value([]float64{0, 0, 0, 1, 0, 0}); math.Abs(e-(-1+0.25)) > 1e-15 {
		t.Errorf("E = %v, want −0.75", e)
	}
	l.Oscillator = 0
	if e := l.Value([]float64{0, 0, 0, 2, 0, 0}); math.Abs(e-(math.Pow(0.5, 12)-2*math.Pow(0.5, 6))) > 1e-15 {
		t.Errorf("E(r=2) = %v", e)
	}
}

// TestLJ13MeanEnergy checks the energy convention against the reference
// samples (HIFM-MATH §4.2: mean ≈ −17.0).
func TestLJ13MeanEnergy(t *testing.T) {
	path := "../../../shared/data/lj13/test_split_LJ13-1000.npy"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("LJ13 reference data not found at %s (%v): skipping the mean-energy check", path, err)
	}
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 2 || a.Shape[1] != 39 {
		t.Fatalf("shape %v, want (b, 39)", a.Shape)
	}
	l := NewLJ13()
	var sum float64
	for i := range a.Shape[0] {
		sum += l.Value(a.Data[i*39 : (i+1)*39])
	}
	mean := sum / float64(a.Shape[0])
	t.Logf("mean LJ13 energy of %d samples: %.4f", a.Shape[0], mean)
	// The data README and the DEM paper quote −17.0; ±0.1 covers the Monte
	// Carlo error of 10 000 samples (std ≈ 2, so SE ≈ 0.02) and rounding.
	if math.Abs(mean-(-17.0)) > 0.1 {
		t.Errorf("mean energy %v, want −17.0 ± 0.1", mean)
	}
}

func TestConstructorErrors(t *testing.T) {
	if _, err := NewFormation([]float64{0, 0, 0}, 2, 3, CompleteGraph); err == nil {
		t.Error("wrong length accepted")
	}
	if _, err := NewFormation([]float64{0, 0, 0, math.NaN(), 0, 0}, 2, 3, CompleteGraph); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := NewQuadratic([]float64{1, 2, 3, 4}, 2, nil); err == nil {
		t.Error("non-symmetric H accepted")
	}
	if _, err := NewIsotropic(0, 3, nil); err == nil {
		t.Error("λ = 0 accepted")
	}
}
