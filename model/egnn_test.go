package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/npy"
)

// testEGNN builds a small EGNN whose coordinate-output weights are O(1)
// instead of the 0.001-gain initialisation, so the field is O(1) and the
// tests' tolerances are relative ones.
func testEGNN(t testing.TB, particles, hidden, layers int, seed uint64) Net {
	t.Helper()
	net, err := New(NetConfig{Kind: "egnn", Particles: particles, Hidden: hidden, Layers: layers, TimeEmbed: 8}, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range net.Params() {
		if strings.HasSuffix(p.Name, "coord.1.weight") {
			tensor.Scale(p.Value, 1000, p.Value)
		}
	}
	return net
}

// randomOrthogonal returns a Haar-ish random 3×3 orthogonal matrix (Gram–
// Schmidt on Gaussian columns), with determinant −1 when reflect is set.
func randomOrthogonal(rng *rand.Rand, reflect bool) [3][3]float64 {
	var q [3][3]float64 // q[k] is column k
	for k := range 3 {
		for {
			var v [3]float64
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			for j := range k {
				d := v[0]*q[j][0] + v[1]*q[j][1] + v[2]*q[j][2]
				for i := range v {
					v[i] -= d * q[j][i]
				}
			}
			nrm := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
			if nrm > 1e-3 {
				for i := range v {
					q[k][i] = v[i] / nrm
				}
				break
			}
		}
	}
	det := q[0][0]*(q[1][1]*q[2][2]-q[1][2]*q[2][1]) - q[0][1]*(q[1][0]*q[2][2]-q[1][2]*q[2][0]) + q[0][2]*(q[1][0]*q[2][1]-q[1][1]*q[2][0])
	if (det < 0) != reflect {
		for i := range 3 {
			q[2][i] = -q[2][i]
		}
	}
	var r [3][3]float64 // r[i][k] = q[k][i]
	for i := range 3 {
		for k := range 3 {
			r[i][k] = q[k][i]
		}
	}
	return r
}

// transform applies x_i ↦ R x_i + shift to every particle of every row.
func transform(y *tensor.Tensor, r [3][3]float64, shift [3]float64) *tensor.Tensor {
	out := tensor.New(y.Shape...)
	for p := 0; p < y.Size(); p += 3 {
		for i := range 3 {
			out.Data[p+i] = r[i][0]*y.Data[p] + r[i][1]*y.Data[p+1] + r[i][2]*y.Data[p+2] + shift[i]
		}
	}
	return out
}

// permute moves particle perm[i] of every row to position i.
func permute(y *tensor.Tensor, perm []int) *tensor.Tensor {
	out := tensor.New(y.Shape...)
	n := len(perm)
	for b := 0; b < y.Shape[0]; b++ {
		for i, pi := range perm {
			copy(out.Data[b*3*n+3*i:][:3], y.Data[b*3*n+3*pi:][:3])
		}
	}
	return out
}

// Equivariance holds exactly in exact arithmetic; in float64 the
// rotated/permuted evaluation differs only by rounding (sums in a different
// order, rotated coordinates rounded), a few ulps of the O(1) values, so
// 1e-10 absolute on an O(1) field is a safe bound that any broken symmetry
// (errors O(1)) would violate.
func TestEGNNEquivariance(t *testing.T) {
	const n, batch = 5, 6
	for _, layers := range []int{1, 2} {
		net := testEGNN(t, n, 16, layers, uint64(layers))
		rng := tensor.NewRNG(42)
		y := tensor.RandN(rng, batch, 3*n)
		s := tensor.RandU(rng, 0, 1, batch, 1)
		v := forward(t, net, y, s)
		if m := tensor.Max(tensor.Apply(nil, v, math.Abs)); m < 1e-2 {
			t.Fatalf("field too small to test (max |v| = %g)", m)
		}
		opt := cmpopts.EquateApprox(0, 1e-10)
		// Zero centre of mass of the output.
		for b := range batch {
			for k := range 3 {
				var sum float64
				for i := range n {
					sum += v.Data[b*3*n+3*i+k]
				}
				if math.Abs(sum) > 1e-12 {
					t.Errorf("layers %d sample %d: Σ_i v_i[%d] = %g", layers, b, k, sum)
				}
			}
		}
		for trial := range 4 {
			r := randomOrthogonal(rng, trial%2 == 1)
			shift := [3]float64{rng.NormFloat64() * 3, rng.NormFloat64() * 3, rng.NormFloat64() * 3}
			// v(R y + t) = R v(y).
			got := forward(t, net, transform(y, r, shift), s)
			if d := cmp.Diff(transform(v, r, [3]float64{}).Data, got.Data, opt); d != "" {
				t.Errorf("layers %d, rotation (reflect %v) + translation: %s", layers, trial%2 == 1, d)
			}
			// v(y + t) = v(y).
			got = forward(t, net, transform(y, [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, shift), s)
			if d := cmp.Diff(v.Data, got.Data, opt); d != "" {
				t.Errorf("layers %d, translation: %s", layers, d)
			}
			// v(P y) = P v(y).
			perm := rng.Perm(n)
			got = forward(t, net, permute(y, perm), s)
			if d := cmp.Diff(permute(v, perm).Data, got.Data, opt); d != "" {
				t.Errorf("layers %d, permutation %v: %s", layers, perm, d)
			}
		}
	}
}

// A sanity check that the test above can fail: a plain MLP on the same
// coordinates is not rotation-equivariant.
func TestEquivarianceTestDetectsMLP(t *testing.T) {
	net, _ := New(NetConfig{Kind: "mlp", Dim: 15, Hidden: 16, Layers: 1}, 3)
	rng := tensor.NewRNG(1)
	y, s := tensor.RandN(rng, 2, 15), tensor.RandU(rng, 0, 1, 2, 1)
	r := randomOrthogonal(rng, false)
	got := forward(t, net, transform(y, r, [3]float64{}), s)
	want := transform(forward(t, net, y, s), r, [3]float64{})
	if cmp.Equal(want.Data, got.Data, cmpopts.EquateApprox(0, 1e-10)) {
		t.Error("MLP looks equivariant: the check is vacuous")
	}
}

func TestEGNNGradient(t *testing.T) {
	net := testEGNN(t, 4, 6, 2, 3)
	rng := tensor.NewRNG(8)
	gradCheck(t, net, tensor.RandN(rng, 3, 12), tensor.RandU(rng, 0, 1, 3, 1), 3, 21)
}

func TestEGNNBatchIndependence(t *testing.T) {
	net := testEGNN(t, 4, 8, 2, 4)
	rng := tensor.NewRNG(9)
	y, s := tensor.RandN(rng, 5, 12), tensor.RandU(rng, 0, 1, 5, 1)
	v := forward(t, net, y, s)
	for b := range 5 {
		vb := forward(t, net, y.Rows(b, b+1).Clone(), s.Rows(b, b+1).Clone())
		// Same arithmetic per sample, only the batch layout differs.
		if d := cmp.Diff(v.Data[b*12:(b+1)*12], vb.Data, cmpopts.EquateApprox(0, 1e-13)); d != "" {
			t.Errorf("sample %d alone: %s", b, d)
		}
	}
}

// The first layer's pair evaluation (m_ij = m_ji used twice) against the
// ordered-edge evaluation: the same function, different rounding (h(W_a +
// W_b) vs hW_a + hW_b, sums in another order), so 1e-12 on an O(1) field;
// the gradients must agree too.
func TestEGNNPairsMatchOrderedEdges(t *testing.T) {
	for _, layers := range []int{1, 3} {
		net := testEGNN(t, 6, 8, layers, 12)
		ordered := testEGNN(t, 6, 8, layers, 12).(*EGNN)
		ordered.orderedFirst = true
		rng := tensor.NewRNG(uint64(layers))
		y, s := tensor.RandN(rng, 4, 18), tensor.RandU(rng, 0, 1, 4, 1)
		opt := cmpopts.EquateApprox(0, 1e-12)
		if d := cmp.Diff(forward(t, ordered, y, s).Data, forward(t, net, y, s).Data, opt); d != "" {
			t.Errorf("layers %d: field differs: %s", layers, d)
		}
		w := tensor.RandN(rng, 4, 18)
		grad := func(n Net) [][]float64 {
			g := autodiff.NewGraph()
			p := Bind(g, n)
			gs, err := autodiff.GradValues(scalarLoss(g, n, p, g.Const(y), g.Const(s), w), p...)
			if err != nil {
				t.Fatal(err)
			}
			var out [][]float64
			for _, x := range gs {
				out = append(out, append([]float64{}, x.Data...))
			}
			return out
		}
		if d := cmp.Diff(grad(ordered), grad(net), cmpopts.EquateApprox(1e-10, 1e-12)); d != "" {
			t.Errorf("layers %d: gradients differ: %s", layers, d)
		}
	}
}

// The analytic divergence of the one-layer EGNN against autodiff's exact
// divergence (39 reverse sweeps): both exact, they differ by rounding only,
// so 1e-10 relative to the largest divergence.
func TestEGNNForwardDivergence(t *testing.T) {
	for _, act := range []string{"softplus", "silu"} {
		net, err := New(NetConfig{Kind: "egnn", Particles: 5, Hidden: 16, Layers: 1, Activation: act}, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range net.Params() {
			if strings.HasSuffix(p.Name, "coord.1.weight") {
				tensor.Scale(p.Value, 1000, p.Value)
			}
		}
		dn, ok := net.(DivergenceNet)
		if !ok {
			t.Fatal("EGNN does not implement DivergenceNet")
		}
		rng := tensor.NewRNG(7)
		y, s := tensor.RandN(rng, 6, 15), tensor.RandU(rng, 0, 1, 6, 1)
		g := autodiff.NewGraph()
		p := Bind(g, net)
		yn := g.Var(y)
		v := net.Forward(g, p, yn, g.Const(s))
		want, err := autodiff.Divergence(v, yn, true)
		if err != nil {
			t.Fatal(err)
		}
		g2 := autodiff.NewGraph()
		v2, div, ok := dn.ForwardDivergence(g2, Bind(g2, net), g2.Const(y), g2.Const(s))
		if !ok {
			t.Fatal("one-layer EGNN refused ForwardDivergence")
		}
		if d := cmp.Diff(v.Value().Data, v2.Value().Data); d != "" {
			t.Errorf("%s: v differs: %s", act, d)
		}
		scale := tensor.Max(tensor.Apply(nil, want, math.Abs))
		if scale < 1e-2 {
			t.Fatalf("%s: divergence too small to test (%g)", act, scale)
		}
		if d := cmp.Diff(want.Data, div.Value().Data, cmpopts.EquateApprox(0, 1e-10*scale)); d != "" {
			t.Errorf("%s: divergence (-autodiff +analytic):\n%s", act, d)
		}
	}
	net2 := testEGNN(t, 4, 8, 2, 1)
	g := autodiff.NewGraph()
	if _, _, ok := net2.(DivergenceNet).ForwardDivergence(g, Bind(g, net2), g.Const(tensor.New(1, 12)), g.Const(tensor.New(1, 1))); ok {
		t.Error("two-layer EGNN claims an analytic divergence")
	}
}

// TestEGNNTorchGolden compares with an independent PyTorch implementation
// of the same architecture on ordered edges (testdata/egnn_torch.py, torch
// 1.13, float64): a two-layer EGNN with 5 particles, its field v and the
// gradients of Σ w⊙v with respect to every parameter and to y. Same
// function, different summation orders and pair evaluation of the first
// layer: 1e-12 relative / 1e-13 absolute.
func TestEGNNTorchGolden(t *testing.T) {
	ref, err := npy.ReadNPZ("testdata/egnn_torch.npz")
	if err != nil {
		t.Fatal(err)
	}
	net, err := New(NetConfig{Kind: "egnn", Particles: 5, Hidden: 8, Layers: 2, TimeEmbed: 8}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var saved []*Param
	for _, p := range net.Params() {
		a := ref["param/"+p.Name]
		if a == nil {
			t.Fatalf("golden has no parameter %s", p.Name)
		}
		saved = append(saved, &Param{Name: p.Name, Value: tensor.FromSlice(a.Data, a.Shape...)})
	}
	if err := LoadParams(net, saved); err != nil {
		t.Fatal(err)
	}
	arr := func(k string) *tensor.Tensor { a := ref[k]; return tensor.FromSlice(a.Data, a.Shape...) }
	y, s, w := arr("y"), arr("s"), arr("w")
	g := autodiff.NewGraph()
	p := Bind(g, net)
	yn := g.Var(y)
	v := net.Forward(g, p, yn, g.Const(s))
	opt := cmpopts.EquateApprox(1e-12, 1e-13)
	if d := cmp.Diff(ref["v"].Data, v.Value().Data, opt); d != "" {
		t.Errorf("v (-torch +go):\n%s", d)
	}
	grads, err := autodiff.GradValues(autodiff.Sum(autodiff.Mul(v, g.Const(w))), append(p, yn)...)
	if err != nil {
		t.Fatal(err)
	}
	for i, prm := range net.Params() {
		if d := cmp.Diff(ref["grad/"+prm.Name].Data, grads[i].Data, opt); d != "" {
			t.Errorf("gradient of %s (-torch +go):\n%s", prm.Name, d)
		}
	}
	if d := cmp.Diff(ref["grad/y"].Data, grads[len(grads)-1].Data, opt); d != "" {
		t.Errorf("gradient of y (-torch +go):\n%s", d)
	}
}
