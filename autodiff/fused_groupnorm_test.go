package autodiff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// GroupNormFast against the composite GroupNorm: value, first derivatives
// in both sweep modes (no-record uses the closed form, recorded the graph
// formula) and a Hessian-vector product (differentiating the recorded
// gradient). The same quantities by different summation orders: 1e-12
// relative on O(1) values.
func TestGroupNormFastMatchesGroupNorm(t *testing.T) {
	rng := tensor.NewRNG(4)
	x := tensor.RandN(rng, 2, 6, 3, 4)
	tensor.AddScalar(x, x, 0.7) // non-zero group means
	gamma, beta := tensor.RandN(rng, 6), tensor.RandN(rng, 6)
	w := tensor.RandN(rng, 2, 6, 3, 4)
	v := tensor.RandN(rng, 2, 6, 3, 4)
	type result struct{ Val, GX, GG, GB, RX, HV []float64 }
	run := func(gn func(x *Node, groups int, gamma, beta *Node, eps float64) *Node) result {
		g := NewGraph()
		xn, gn1, bn := g.Var(x), g.Var(gamma), g.Var(beta)
		y := gn(xn, 3, gn1, bn, 1e-5)
		loss := Sum(Mul(Square(y), g.Const(w))) // non-linear: second order matters
		var r result
		r.Val = append(r.Val, y.Value().Data...)
		gs, err := GradValues(loss, xn, gn1, bn)
		if err != nil {
			t.Fatal(err)
		}
		r.GX, r.GG, r.GB = append(r.GX, gs[0].Data...), append(r.GG, gs[1].Data...), append(r.GB, gs[2].Data...)
		rec, err := Grad(loss, xn)
		if err != nil {
			t.Fatal(err)
		}
		r.RX = append(r.RX, rec[0].Value().Data...)
		h, err := HVP(loss, xn, v)
		if err != nil {
			t.Fatal(err)
		}
		r.HV = h.Data
		return r
	}
	want, got := run(GroupNorm), run(GroupNormFast)
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 1e-12)); d != "" {
		t.Errorf("(-GroupNorm +GroupNormFast):\n%s", d)
	}
	if err := tensor.Catch(func() {
		g := NewGraph()
		GroupNormFast(g.Var(x), 4, g.Var(gamma), g.Var(beta), 1e-5)
	}); err == nil {
		t.Error("4 groups of 6 channels accepted")
	}
}
