package infer_test

import (
	"math/rand/v2"
	"testing"

	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/model"
)

// TestFieldNoAlloc: one evaluation of the network field, the right-hand
// side of every likelihood and sampling solve, allocates nothing after
// warm-up (the graph, the bound parameters and the VJP slices are reused)
// when the divergence is analytic (the EGNN) or not needed (Velocity).
// autodiff.Divergence and Hutchinson return a fresh tensor (4
// allocations: the tensor, its shape, strides and data); nothing else may
// allocate, in particular nothing per reverse sweep (there are 39 + 3 here).
func TestFieldNoAlloc(t *testing.T) {
	egnn, err := model.New(model.NetConfig{Kind: model.KindEGNN, Particles: 13, Hidden: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := model.New(model.NetConfig{Kind: model.KindMLP, Dim: 6, Hidden: 8, Layers: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name      string
		net       model.Net
		particles int
		method    string
		sweeps    bool    // reverse sweeps even for the EGNN
		want      float64 // allocations per VelocityDiv
	}{
		{"egnn-analytic", egnn, 13, infer.DivExact, false, 0},
		{"egnn-sweeps", egnn, 13, infer.DivExact, true, 4},
		{"egnn-hutchinson", egnn, 13, infer.DivHutchinson, false, 4},
		{"mlp-exact", mlp, 0, infer.DivExact, false, 4},
	} {
		f := mustField(t, c.net, c.method, c.particles, 3)
		if c.sweeps {
			infer.SetNoAnalytic(f)
		}
		if c.method == infer.DivHutchinson {
			infer.SetProbes(f, rng, 2)
		}
		n := c.net.Dim()
		y, v := make([]float64, n), make([]float64, n)
		for i := range y {
			y[i] = rng.NormFloat64()
		}
		div := func() {
			if _, err := f.VelocityDiv(0.3, y, v); err != nil {
				t.Fatal(err)
			}
		}
		vel := func() {
			if err := f.Velocity(0.3, y, v); err != nil {
				t.Fatal(err)
			}
		}
		div()
		vel()
		if a := testing.AllocsPerRun(5, div); a != c.want {
			t.Errorf("%s: VelocityDiv allocates %v times, want %v", c.name, a, c.want)
		}
		if a := testing.AllocsPerRun(5, vel); a != 0 {
			t.Errorf("%s: Velocity allocates %v times", c.name, a)
		}
	}
}

// TestNLLSolveNoAlloc: NLL's per-call setup (fields, graphs, result
// slices) aside, the likelihood solve of one test sample allocates nothing
// once its worker is warm (the stepper, the right-hand side and the probe
// RNG are reused) with the EGNN's analytic divergence; with reverse sweeps
// or Hutchinson's estimate, only the 4 allocations per evaluation of the
// tensor autodiff returns (TestFieldNoAlloc).
func TestNLLSolveNoAlloc(t *testing.T) {
	egnn, err := model.New(model.NetConfig{Kind: model.KindEGNN, Particles: 13, Hidden: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := model.New(model.NetConfig{Kind: model.KindMLP, Dim: 6, Hidden: 8, Layers: 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	x13 := clusterSet(1, 13, 1).Row(0)
	x6 := []float64{0.3, -1.2, 0.8, 0.1, -0.4, 1.5}
	for _, c := range []struct {
		name      string
		net       model.Net
		particles int
		method    string
		x         []float64
		perEval   float64 // allocations per evaluation
	}{
		{"egnn-analytic", egnn, 13, infer.DivExact, x13, 0},
		{"egnn-hutchinson", egnn, 13, infer.DivHutchinson, x13, 4},
		{"mlp-exact", mlp, 0, infer.DivExact, x6, 4},
	} {
		solve := infer.NLLSolve(mustField(t, c.net, c.method, c.particles, 3), c.x, 2)
		nfe, err := solve()
		if err != nil {
			t.Fatal(err)
		}
		a := testing.AllocsPerRun(3, func() {
			if _, err := solve(); err != nil {
				t.Fatal(err)
			}
		})
		if want := c.perEval * float64(nfe); a != want {
			t.Errorf("%s: a solve (%d evaluations) allocates %v times, want %v", c.name, nfe, a, want)
		}
	}
}
