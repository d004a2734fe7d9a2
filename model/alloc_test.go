package model

import (
	"testing"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// bindInto is Bind into a reused slice (Bind returns a new one per call).
func bindInto(g *autodiff.Graph, net Net, p []*autodiff.Node) []*autodiff.Node {
	ps := net.Params()
	if len(p) != len(ps) {
		p = make([]*autodiff.Node, len(ps))
	}
	for i, pr := range ps {
		p[i] = g.Var(pr.Value)
	}
	return p
}

// stepper returns one flow-matching-style training step of net on a
// reused graph, mean‖v_θ(y, s) − u‖² and its parameter gradients, as the
// trainer runs it: parameters bound into a reused slice and the gradients
// by autodiff.VJP into a reused one (Bind and GradValues return new
// slices, three allocations a step).
func stepper(tb testing.TB, net Net, batch int) func() {
	rng := tensor.NewRNG(1)
	y := tensor.RandN(rng, batch, net.Dim())
	s := tensor.RandU(rng, 0, 1, batch, 1)
	u := tensor.RandN(rng, batch, net.Dim())
	one := tensor.Scalar(1)
	g := autodiff.NewGraph()
	var p, gs []*autodiff.Node
	return func() {
		g.Reset()
		p = bindInto(g, net, p)
		v := net.Forward(g, p, g.Const(y), g.Const(s))
		loss := autodiff.Mean(autodiff.Square(autodiff.Sub(v, g.Const(u))))
		var err error
		if gs, err = autodiff.VJP(gs, loss, g.Const(one), p, false); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestStepNoAlloc: after warm-up, forward + backward of every network
// (and the EGNN's analytic divergence, the likelihood's right-hand side)
// allocate nothing: every node and buffer comes from the graph's pools.
func TestStepNoAlloc(t *testing.T) {
	for _, c := range []struct {
		cfg      NetConfig
		batch    int
		analytic bool // test ForwardDivergence (the one-layer EGNN's)
	}{
		{NetConfig{Kind: KindEGNN, Particles: 5, Hidden: 8, Layers: 1}, 4, true},
		{NetConfig{Kind: KindEGNN, Particles: 5, Hidden: 8, Layers: 2}, 4, false},
		{NetConfig{Kind: KindMLP, Dim: 6, Hidden: 16, Layers: 2}, 8, false},
		{NetConfig{Kind: KindUNet, Channels: []int{4, 8}, Groups: 2, Height: 8, Width: 8, TimeEmbed: 8}, 3, false},
	} {
		net, err := New(c.cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		step := stepper(t, net, c.batch)
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%s: %v allocations per step", c.cfg.Kind, a)
		}
		if !c.analytic {
			continue
		}
		dn := net.(DivergenceNet)
		rng := tensor.NewRNG(2)
		y, s := tensor.RandN(rng, c.batch, net.Dim()), tensor.RandU(rng, 0, 1, c.batch, 1)
		g := autodiff.NewGraph()
		var p []*autodiff.Node
		div := func() {
			g.Reset()
			p = bindInto(g, net, p)
			if _, _, ok := dn.ForwardDivergence(g, p, g.Const(y), g.Const(s)); !ok {
				t.Fatalf("%s: no analytic divergence", c.cfg.Kind)
			}
		}
		div()
		if a := testing.AllocsPerRun(5, div); a != 0 {
			t.Errorf("%s: %v allocations per analytic divergence", c.cfg.Kind, a)
		}
	}
}
