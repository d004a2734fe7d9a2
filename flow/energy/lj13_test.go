package energy

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// ValueGradFast (the generator's 3-D loop) agrees with ValueGrad
// (HIFM-MATH §4.2). Both sum the same 78 pair terms of size ≲ 10² in
// different orders, so they agree to a few ulps of the largest term: 1e-12
// relative to the gradient's scale. The second energy is the generator's
// (dataset.SamplingLJ13: ε = 2).
func TestValueGradFastMatchesValueGrad(t *testing.T) {
	rng := tensor.NewRNG(3)
	for _, e := range []*LJ13{NewLJ13(), {Particles: 13, SpatialDim: 3, Epsilon: 2, Rm: 1, Oscillator: 1}, {Particles: 5, SpatialDim: 3, Epsilon: 0.7, Rm: 1.3, Oscillator: 0.4}} {
		for trial := range 5 {
			y := cluster(rng, e.Particles)
			for i := range y {
				y[i] += 0.05 * float64(trial) * rng.NormFloat64()
			}
			g1, g2 := make([]float64, e.Dim()), make([]float64, e.Dim())
			v1 := e.ValueGradFast(y, g1)
			v2 := e.ValueGrad(y, g2)
			scale := 0.0
			for _, x := range g2 {
				scale = math.Max(scale, math.Abs(x))
			}
			if math.Abs(v1-v2) > 1e-12*math.Max(1, math.Abs(v2)) {
				t.Errorf("P=%d value %v, ValueGrad %v", e.Particles, v1, v2)
			}
			if d := cmp.Diff(g2, g1, cmpopts.EquateApprox(0, 1e-12*math.Max(1, scale))); d != "" {
				t.Errorf("P=%d gradient (-ValueGrad +fast):\n%s", e.Particles, d)
			}
		}
	}
}

// BenchmarkLJ13Grad compares the generator's specialised 3-D gradient with
// the general ValueGrad it replaces in the HMC inner loop.
func BenchmarkLJ13Grad(b *testing.B) {
	e := NewLJ13()
	e.Epsilon = 2
	y := cluster(tensor.NewRNG(1), 13)
	g := make([]float64, 39)
	b.Run("specialised", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.ValueGradFast(y, g)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/78, "ns/pair")
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.ValueGrad(y, g)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/78, "ns/pair")
	})
}

// TestNoAllocs: the energies' values, gradients and Hessians write into
// the caller's slices and allocate nothing (the HMC generator's leapfrog
// calls ValueGradFast ~10⁵ times a chain; the formation Hessian is the
// per-sample precompute of every LJ13 run), and NewFormation allocates
// only what it returns.
func TestNoAllocs(t *testing.T) {
	rng := tensor.NewRNG(4)
	y := cluster(rng, 13)
	g, h := make([]float64, 39), make([]float64, 39*39)
	lj := NewLJ13()
	f, err := NewFormation(y, 13, 3, CompleteGraph)
	if err != nil {
		t.Fatal(err)
	}
	for name, fn := range map[string]func(){
		"LJ13.Value":         func() { _ = lj.Value(y) },
		"LJ13.Grad":          func() { lj.Grad(y, g) },
		"LJ13.ValueGrad":     func() { _ = lj.ValueGrad(y, g) },
		"LJ13.ValueGradFast": func() { _ = lj.ValueGradFast(y, g) },
		"LJ13.Hessian":       func() { lj.Hessian(y, h) },
		"Formation.Value":    func() { _ = f.Value(y) },
		"Formation.Grad":     func() { f.Grad(y, g) },
		"Formation.Hessian":  func() { f.Hessian(y, h) },
	} {
		fn()
		if a := testing.AllocsPerRun(10, fn); a != 0 {
			t.Errorf("%s allocates %v times", name, a)
		}
	}
	// NewFormation (once per sample in FormationHessian) allocates what it
	// returns: the Formation, its edges and its targets, sized up front.
	if a := testing.AllocsPerRun(10, func() { _, _ = NewFormation(y, 13, 3, CompleteGraph) }); a != 3 {
		t.Errorf("NewFormation allocates %v times, want 3", a)
	}
}
