package model

import (
	"testing"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// benchStep runs forward + backward of the flow-matching-style loss
// mean‖v_θ(y, s) − u‖² on one reused graph (stepper: as the trainer runs
// it, allocation-free) and reports samples/s.
func benchStep(b *testing.B, net Net, batch int) {
	step := stepper(b, net, batch)
	step() // warm-up: two passes, the graph's pools settle on the second
	step()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuSeconds()
	for range b.N {
		step()
	}
	reportRate(b, batch, c0)
}

// reportRate reports samples/s of wall time and, where the OS tells, per
// CPU second (samples/cpu-s: with GOMAXPROCS=1 the single-thread rate with
// less noise from other processes).
func reportRate(b *testing.B, batch int, cpu0 float64) {
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	if c := cpuSeconds() - cpu0; c > 0 && cpu0 > 0 {
		b.ReportMetric(float64(batch)*float64(b.N)/c, "samples/cpu-s")
	}
}

// BenchmarkEGNNStep: LJ13, width 64, one layer, batch 256 (the paper's
// benchmark network); PyTorch CPU float64 does ≈ 570 samples/s on one thread.
func BenchmarkEGNNStep(b *testing.B) {
	net, err := New(NetConfig{Kind: "egnn", Particles: 13, Hidden: 64, Layers: 1}, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("batch=256", func(b *testing.B) { benchStep(b, net, 256) })
	// As the trainer runs it: 8 chunks of 32 samples, one graph each.
	b.Run("chunks=8x32", func(b *testing.B) { benchChunks(b, net, 8, 32) })
}

// benchChunks is benchStep over k chunks of the batch, each with its own graph.
func benchChunks(b *testing.B, net Net, k, chunk int) {
	steps := make([]func(), k)
	for i := range steps {
		steps[i] = stepper(b, net, chunk)
	}
	step := func() {
		for _, s := range steps {
			s()
		}
	}
	step() // warm-up: two passes, the graph's pools settle on the second
	step()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuSeconds()
	for range b.N {
		step()
	}
	reportRate(b, k*chunk, c0)
}

func BenchmarkEGNNForward(b *testing.B) {
	net, _ := New(NetConfig{Kind: "egnn", Particles: 13, Hidden: 64, Layers: 1}, 1)
	rng := tensor.NewRNG(1)
	y := tensor.RandN(rng, 256, 39)
	s := tensor.RandU(rng, 0, 1, 256, 1)
	g := autodiff.NewGraph()
	var p []*autodiff.Node
	for range 2 { // warm the buffer pools: they settle on the second pass
		g.Reset()
		p = bindInto(g, net, p)
		net.Forward(g, p, g.Const(y), g.Const(s))
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuSeconds()
	for range b.N {
		g.Reset()
		p = bindInto(g, net, p)
		net.Forward(g, p, g.Const(y), g.Const(s))
	}
	reportRate(b, 256, c0)
}

func BenchmarkMLPStep(b *testing.B) {
	net, _ := New(NetConfig{Kind: "mlp", Dim: 39, Hidden: 256, Layers: 3}, 1)
	benchStep(b, net, 256)
}

// BenchmarkUNetStep: the default MNIST UNet (channels 32/64), batch 32.
func BenchmarkUNetStep(b *testing.B) {
	net, err := New(NetConfig{Kind: "unet"}, 1)
	if err != nil {
		b.Fatal(err)
	}
	benchStep(b, net, 32)
}

// BenchmarkEGNNDivergence: v and its exact divergence for 256 LJ13
// configurations, analytic (ForwardDivergence) and by autodiff.Divergence
// (39 reverse sweeps); PyTorch's loop of 39 VJPs takes ≈ 10 s here.
func BenchmarkEGNNDivergence(b *testing.B) {
	net, _ := New(NetConfig{Kind: "egnn", Particles: 13, Hidden: 64, Layers: 1}, 1)
	rng := tensor.NewRNG(1)
	y := tensor.RandN(rng, 256, 39)
	s := tensor.RandU(rng, 0, 1, 256, 1)
	g := autodiff.NewGraph()
	var p []*autodiff.Node
	b.Run("analytic", func(b *testing.B) {
		run := func() {
			g.Reset()
			p = bindInto(g, net, p)
			if _, _, ok := net.(DivergenceNet).ForwardDivergence(g, p, g.Const(y), g.Const(s)); !ok {
				b.Fatal("no analytic divergence")
			}
		}
		run() // warm-up: two passes
		run()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			run()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/batch256")
	})
	b.Run("sweeps", func(b *testing.B) {
		run := func() {
			g.Reset()
			p = bindInto(g, net, p)
			yn := g.Var(y)
			v := net.Forward(g, p, yn, g.Const(s))
			if _, err := autodiff.Divergence(v, yn, true); err != nil {
				b.Fatal(err)
			}
		}
		run() // warm-up: two passes
		run()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			run()
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/batch256")
	})
}

// BenchmarkEGNNDivergenceOne: v and the analytic divergence for a single
// LJ13 configuration, as one right-hand side of the likelihood ODE.
func BenchmarkEGNNDivergenceOne(b *testing.B) {
	net, _ := New(NetConfig{Kind: "egnn", Particles: 13, Hidden: 64, Layers: 1}, 1)
	rng := tensor.NewRNG(1)
	y := tensor.RandN(rng, 1, 39)
	s := tensor.RandU(rng, 0, 1, 1, 1)
	g := autodiff.NewGraph()
	dn := net.(DivergenceNet)
	var p []*autodiff.Node
	run := func() {
		g.Reset()
		p = bindInto(g, net, p)
		if _, _, ok := dn.ForwardDivergence(g, p, g.Const(y), g.Const(s)); !ok {
			b.Fatal("no analytic divergence")
		}
	}
	run() // warm-up: two passes
	run()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		run()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
}
