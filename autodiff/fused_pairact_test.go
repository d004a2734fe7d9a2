package autodiff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// GatherOuterAct against f(GatherRows(c, idx) + u·w): value, gradients in
// both sweep modes and a Hessian-vector product in u. Different rounding
// only: 1e-13 relative.
func TestGatherOuterActMatchesComposite(t *testing.T) {
	rng := tensor.NewRNG(10)
	c, u, w := tensor.RandN(rng, 3, 6), tensor.RandN(rng, 7, 1), tensor.RandN(rng, 1, 6)
	idx := []int{0, 0, 1, 2, 2, 2, 1}
	wt, v := tensor.RandN(rng, 7, 6), tensor.RandN(rng, 7, 1)
	type result struct{ Val, GC, GU, GW, RC, HV []float64 }
	run := func(f func(c, u, w *Node) *Node) result {
		g := NewGraph()
		cn, un, wn := g.Var(c), g.Var(u), g.Var(w)
		y := f(cn, un, wn)
		loss := Sum(Mul(Square(y), g.Const(wt)))
		var r result
		r.Val = append(r.Val, y.Value().Data...)
		gs, err := GradValues(loss, cn, un, wn)
		if err != nil {
			t.Fatal(err)
		}
		r.GC, r.GU, r.GW = append(r.GC, gs[0].Data...), append(r.GU, gs[1].Data...), append(r.GW, gs[2].Data...)
		rec, err := Grad(loss, cn)
		if err != nil {
			t.Fatal(err)
		}
		r.RC = append(r.RC, rec[0].Value().Data...)
		h, err := HVP(loss, un, v)
		if err != nil {
			t.Fatal(err)
		}
		r.HV = h.Data
		return r
	}
	for _, k := range []struct {
		name string
		silu bool
		act  func(*Node) *Node
	}{{"softplus", false, Softplus}, {"silu", true, SiLU}} {
		want := run(func(c, u, w *Node) *Node { return k.act(Add(GatherRows(c, idx), MatMul(u, w, false, false))) })
		got := run(func(c, u, w *Node) *Node { return GatherOuterAct(c, idx, u, w, k.silu) })
		if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-13, 1e-14)); d != "" {
			t.Errorf("%s (-composite +GatherOuterAct):\n%s", k.name, d)
		}
	}
	for _, bad := range [][]int{{0, 1, 2, 3, 0, 0, 0}, {0, 1}} {
		if err := tensor.Catch(func() {
			g := NewGraph()
			GatherOuterAct(g.Var(c), bad, g.Var(u), g.Var(w), false)
		}); err == nil {
			t.Errorf("indices %v accepted", bad)
		}
	}
}
