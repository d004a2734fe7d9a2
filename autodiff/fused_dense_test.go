package autodiff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// DenseAct against the composite act(Linear(x, w, b)): value, gradients in
// both sweep modes, and a Hessian-vector product in x (through the recorded
// VJP). Same quantities, different rounding: 1e-13 relative.
func TestDenseActMatchesComposite(t *testing.T) {
	rng := tensor.NewRNG(9)
	x, w, b := tensor.RandN(rng, 7, 5), tensor.RandN(rng, 5, 6), tensor.RandN(rng, 6)
	wt := tensor.RandN(rng, 7, 6)
	v := tensor.RandN(rng, 7, 5)
	type result struct{ Val, GX, GW, GB, RW, HV []float64 }
	run := func(f func(x, w, b *Node) *Node) result {
		g := NewGraph()
		xn, wn, bn := g.Var(x), g.Var(w), g.Var(b)
		y := f(xn, wn, bn)
		loss := Sum(Mul(Square(y), g.Const(wt)))
		var r result
		r.Val = append(r.Val, y.Value().Data...)
		gs, err := GradValues(loss, xn, wn, bn)
		if err != nil {
			t.Fatal(err)
		}
		r.GX, r.GW, r.GB = append(r.GX, gs[0].Data...), append(r.GW, gs[1].Data...), append(r.GB, gs[2].Data...)
		rec, err := Grad(loss, wn)
		if err != nil {
			t.Fatal(err)
		}
		r.RW = append(r.RW, rec[0].Value().Data...)
		h, err := HVP(loss, xn, v)
		if err != nil {
			t.Fatal(err)
		}
		r.HV = h.Data
		return r
	}
	for _, c := range []struct {
		name string
		silu bool
		act  func(*Node) *Node
	}{{"softplus", false, Softplus}, {"silu", true, SiLU}} {
		want := run(func(x, w, b *Node) *Node { return c.act(Linear(x, w, b)) })
		got := run(func(x, w, b *Node) *Node { return DenseAct(x, w, b, c.silu) })
		if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-13, 1e-14)); d != "" {
			t.Errorf("%s (-composite +DenseAct):\n%s", c.name, d)
		}
	}
	if err := tensor.Catch(func() {
		g := NewGraph()
		DenseAct(g.Var(x), g.Var(w), g.Var(tensor.New(5)), false)
	}); err == nil {
		t.Error("bias of the wrong length accepted")
	}
}
