package model

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// forward evaluates net on fresh tensors and returns v (B, n).
func forward(t testing.TB, net Net, y, s *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	g := autodiff.NewGraph()
	var out *tensor.Tensor
	if err := tensor.Catch(func() {
		v := net.Forward(g, Bind(g, net), g.Const(y), g.Const(s))
		out = v.Value().Clone()
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// scalarLoss is L = Σ w ⊙ v_θ(y, s) for a fixed weight tensor w: a linear
// functional, so its gradient exercises every path of the network.
func scalarLoss(g *autodiff.Graph, net Net, p []*autodiff.Node, y, s *autodiff.Node, w *tensor.Tensor) *autodiff.Node {
	return autodiff.Sum(autodiff.Mul(net.Forward(g, p, y, s), g.Const(w)))
}

// gradCheck compares the autodiff gradient of scalarLoss with respect to
// the parameters and to y against central finite differences at k
// coordinates per tensor (chosen by rng), with step h = 1e-5. Truncation
// error is O(h²·|L⁽³⁾|) ≈ 1e-10 and rounding O(ε|L|/h) ≈ 1e-11 for O(1)
// losses, so a mixed tolerance |a − f| ≤ 1e-6·(1 + |f|) has a wide margin
// while catching any wrong VJP (errors are then O(1)).
func gradCheck(t *testing.T, net Net, y, s *tensor.Tensor, k int, seed uint64) {
	t.Helper()
	rng := tensor.NewRNG(seed)
	w := tensor.RandN(rng, y.Shape...)
	g := autodiff.NewGraph()
	p := Bind(g, net)
	yn := g.Var(y)
	loss := scalarLoss(g, net, p, yn, g.Const(s), w)
	grads, err := autodiff.GradValues(loss, append(append([]*autodiff.Node{}, p...), yn)...)
	if err != nil {
		t.Fatal(err)
	}
	eval := func() float64 {
		g2 := autodiff.NewGraph()
		return scalarLoss(g2, net, Bind(g2, net), g2.Const(y), g2.Const(s), w).Item()
	}
	tensors := make([]*tensor.Tensor, 0, len(grads))
	names := make([]string, 0, len(grads))
	for _, prm := range net.Params() {
		tensors = append(tensors, prm.Value)
		names = append(names, prm.Name)
	}
	tensors = append(tensors, y)
	names = append(names, "input y")
	const h = 1e-5
	checked := 0
	for i, x := range tensors {
		for range k {
			j := rng.IntN(x.Size())
			old := x.Data[j]
			x.Data[j] = old + h
			fp := eval()
			x.Data[j] = old - h
			fm := eval()
			x.Data[j] = old
			fd := (fp - fm) / (2 * h)
			ad := grads[i].Data[j]
			if math.Abs(ad-fd) > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("%s[%d]: autodiff %.12g, finite difference %.12g", names[i], j, ad, fd)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	c := NetConfig{Kind: "egnn", Particles: 13}.WithDefaults()
	if c.Dim != 39 || c.Hidden != 64 || c.Layers != 1 || c.Activation != "softplus" {
		t.Errorf("egnn defaults: %+v", c)
	}
	u := NetConfig{Kind: "unet"}.WithDefaults()
	if u.Dim != 784 || !cmp.Equal(u.Channels, []int{32, 64}) || u.Activation != "silu" {
		t.Errorf("unet defaults: %+v", u)
	}
	bad := []struct {
		cfg  NetConfig
		want string
	}{
		{NetConfig{Kind: "cnn", Dim: 3}, "unknown network kind"},
		{NetConfig{Kind: "mlp"}, "dim"},
		{NetConfig{Kind: "mlp", Dim: 4, Activation: "relu6"}, "activation"},
		{NetConfig{Kind: "mlp", Dim: 4, TimeEmbed: 3}, "time_embed"},
		{NetConfig{Kind: "mlp", Dim: 4, Hidden: -1}, "hidden"},
		{NetConfig{Kind: "mlp", Dim: 4, TimeScale: math.NaN()}, "time_scale"},
		{NetConfig{Kind: "egnn", Dim: 40}, "particles"},
		{NetConfig{Kind: "egnn", Particles: 1}, "particles"},
		{NetConfig{Kind: "egnn", Particles: 4, Dim: 13}, "3·particles"},
		{NetConfig{Kind: "unet", Channels: []int{32, 60}}, "divisible by groups"},
		{NetConfig{Kind: "unet", Height: 27}, "divisible"},
		{NetConfig{Kind: "unet", Dim: 100}, "height·width"},
		{NetConfig{Kind: "mlp", Dim: 1 << 20, Hidden: 1 << 16}, "parameters"},
		{NetConfig{Kind: "egnn", Particles: 13, Hidden: 1 << 16, Layers: 64}, "parameters"},
		{NetConfig{Kind: "unet", Channels: []int{4096, 4096, 4096}, Groups: 8}, "parameters"},
		{NetConfig{Kind: "mlp", Dim: 3, TimeEmbed: 1 << 20}, "time_embed"},
	}
	for _, b := range bad {
		_, err := New(b.cfg, 1)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("New(%+v) = %v, want error containing %q", b.cfg, err, b.want)
		}
	}
}

func TestMLPShapesDeterminismAndConfig(t *testing.T) {
	net, err := New(NetConfig{Kind: "mlp", Dim: 5, Hidden: 16, Layers: 2}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(net.Params()); got != 6 {
		t.Fatalf("%d params, want 6 (3 layers × weight, bias)", got)
	}
	if NumParams(net) != (5+32)*16+16+16*16+16+16*5+5 {
		t.Errorf("NumParams = %d", NumParams(net))
	}
	rng := tensor.NewRNG(3)
	y, s := tensor.RandN(rng, 4, 5), tensor.RandU(rng, 0, 1, 4, 1)
	v := forward(t, net, y, s)
	if !cmp.Equal(v.Shape, []int{4, 5}) {
		t.Fatalf("shape %v", v.Shape)
	}
	// Same config and seed: same bits, also when rebuilt from its JSON.
	b, err := MarshalConfig(net)
	if err != nil {
		t.Fatal(err)
	}
	var c NetConfig
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	net2, err := New(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(v.Data, forward(t, net2, y, s).Data); d != "" {
		t.Errorf("rebuilt net differs: %s", d)
	}
	// Rows are independent samples: evaluating row 2 alone gives the same.
	v1 := forward(t, net, y.Rows(2, 3).Clone(), s.Rows(2, 3).Clone())
	if d := cmp.Diff(v.Data[10:15], v1.Data, cmpopts.EquateApprox(0, 1e-14)); d != "" {
		t.Errorf("row 2 alone differs: %s", d)
	}
	// A different seed gives different parameters.
	net3, _ := New(c, 8)
	if cmp.Equal(net.Params()[0].Value.Data, net3.Params()[0].Value.Data) {
		t.Error("seed does not change the parameters")
	}
	if err := CheckInputs(net, y, tensor.New(4, 2)); err == nil {
		t.Error("CheckInputs accepted s of shape (4, 2)")
	}
	if err := tensor.Catch(func() {
		g := autodiff.NewGraph()
		net.Forward(g, Bind(g, net), g.Const(tensor.New(4, 6)), g.Const(s))
	}); err == nil {
		t.Error("Forward accepted y of width 6")
	}
}

func TestMLPGradient(t *testing.T) {
	for _, act := range []string{"softplus", "silu"} {
		t.Run(act, func(t *testing.T) {
			net, err := New(NetConfig{Kind: "mlp", Dim: 4, Hidden: 8, Layers: 2, TimeEmbed: 6, Activation: act}, 11)
			if err != nil {
				t.Fatal(err)
			}
			rng := tensor.NewRNG(5)
			gradCheck(t, net, tensor.RandN(rng, 3, 4), tensor.RandU(rng, 0, 1, 3, 1), 4, 9)
		})
	}
}

func TestTimeEmbedding(t *testing.T) {
	c := NetConfig{Kind: "mlp", Dim: 1, TimeEmbed: 4}.WithDefaults()
	f := timeFreqs(c)
	// ω = [1, 10000^(−1/2)] for half = 2.
	if d := cmp.Diff([]float64{1, 0.01}, f.Data, cmpopts.EquateApprox(1e-15, 0)); d != "" {
		t.Error(d)
	}
	g := autodiff.NewGraph()
	e := timeEmbed(g.Const(tensor.FromSlice([]float64{0.5}, 1, 1)), f)
	want := []float64{math.Sin(0.5), math.Sin(0.005), math.Cos(0.5), math.Cos(0.005)}
	if d := cmp.Diff(want, e.Value().Data, cmpopts.EquateApprox(1e-15, 0)); d != "" {
		t.Error(d)
	}
}

// One net is shared by goroutines, each with its own graph (the trainer's
// chunks): results must equal the sequential ones bit for bit.
func TestConcurrentForward(t *testing.T) {
	for _, cfg := range []NetConfig{
		{Kind: "egnn", Particles: 6, Hidden: 8, Layers: 2},
		{Kind: "unet", Channels: []int{4, 8}, Groups: 2, Height: 8, Width: 8},
	} {
		net, err := New(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		rng := tensor.NewRNG(2)
		var ys, ss []*tensor.Tensor
		for b := range 6 {
			ys = append(ys, tensor.RandN(rng, 1+b%3, net.Dim()))
			ss = append(ss, tensor.RandU(rng, 0, 1, 1+b%3, 1))
		}
		want := make([][]float64, len(ys))
		for i := range ys {
			want[i] = forward(t, net, ys[i], ss[i]).Data
		}
		got := make([][]float64, len(ys))
		done := make(chan int)
		for i := range ys {
			go func() {
				g := autodiff.NewGraph()
				for range 3 {
					g.Reset()
					v := net.Forward(g, Bind(g, net), g.Const(ys[i]), g.Const(ss[i]))
					got[i] = append(got[i][:0], v.Value().Data...)
				}
				done <- i
			}()
		}
		for range ys {
			<-done
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: concurrent results differ: %s", cfg.Kind, d)
		}
	}
}
