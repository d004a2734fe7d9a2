package autodiff

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// TestGroupNormSiLU: the fused node against SiLUCached(GroupNormFast(·)).
// Values and the no-record gradients (training's sweep) must have the same
// bits, on shapes whose group and tensor sizes are and are not multiples
// of the sigmoid kernel's 4-wide blocks; the recorded gradient and a
// Hessian-vector product (second order through the fused VJP) agree to
// 1e-12 relative (different summation orders on O(1) values).
func TestGroupNormSiLU(t *testing.T) {
	rng := tensor.NewRNG(8)
	for _, sh := range [][]int{{2, 6, 3, 4}, {3, 4, 3, 5}, {1, 2, 7}, {2, 8, 28, 28}} {
		t.Run(fmt.Sprint(sh), func(t *testing.T) {
			groups := 2
			x := tensor.RandN(rng, sh...)
			tensor.AddScalar(x, x, 0.3)
			gamma, beta := tensor.RandN(rng, sh[1]), tensor.RandN(rng, sh[1])
			w, v := tensor.RandN(rng, sh...), tensor.RandN(rng, sh...)
			type result struct{ Val, GX, GG, GB, RX, RG, HV []float64 }
			run := func(fused bool) result {
				g := NewGraph()
				xn, gn, bn := g.Var(x), g.Var(gamma), g.Var(beta)
				var y *Node
				if fused {
					y = GroupNormSiLU(xn, groups, gn, bn, 1e-5)
				} else {
					y = SiLUCached(GroupNormFast(xn, groups, gn, bn, 1e-5))
				}
				loss := Sum(Mul(Square(y), g.Const(w)))
				var r result
				r.Val = append(r.Val, y.Value().Data...)
				gs, err := GradValues(loss, xn, gn, bn)
				if err != nil {
					t.Fatal(err)
				}
				r.GX, r.GG, r.GB = append(r.GX, gs[0].Data...), append(r.GG, gs[1].Data...), append(r.GB, gs[2].Data...)
				rec, err := Grad(loss, xn, gn)
				if err != nil {
					t.Fatal(err)
				}
				r.RX, r.RG = append(r.RX, rec[0].Value().Data...), append(r.RG, rec[1].Value().Data...)
				h, err := HVP(loss, xn, v)
				if err != nil {
					t.Fatal(err)
				}
				r.HV = h.Data
				return r
			}
			want, got := run(false), run(true)
			exact := func(r result) result { return result{Val: r.Val, GX: r.GX, GG: r.GG, GB: r.GB} }
			if d := cmp.Diff(exact(want), exact(got)); d != "" {
				t.Errorf("values and no-record gradients differ (-two nodes +fused):\n%s", d)
			}
			if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 1e-12)); d != "" {
				t.Errorf("recorded gradient or HVP (-two nodes +fused):\n%s", d)
			}
		})
	}
	if err := tensor.Catch(func() {
		g := NewGraph()
		GroupNormSiLU(g.Var(tensor.RandN(rng, 1, 6, 2)), 4, g.Var(tensor.RandN(rng, 6)), g.Var(tensor.RandN(rng, 6)), 1e-5)
	}); err == nil {
		t.Error("4 groups of 6 channels accepted")
	}
}
