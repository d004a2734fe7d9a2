package autodiff

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

// jsonTensor is a tensor as make_goldens.py writes it.
type jsonTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (j jsonTensor) tensor() *tensor.Tensor {
	return tensor.FromSlice(append([]float64(nil), j.Data...), j.Shape...)
}

type torchCase struct {
	Inputs  map[string]jsonTensor `json:"inputs"`
	Outputs map[string]jsonTensor `json:"outputs"`
}

type torchGoldens struct {
	TorchVersion string    `json:"torch_version"`
	MLP          torchCase `json:"mlp"`
	Conv         torchCase `json:"conv"`
}

const torchGoldenPath = "../testdata/autodiff/torch_goldens.json"

// torchApprox: both sides are float64 computations of the same expressions
// that differ only in summation order (GEMM blocking, reductions), which
// changes results by a few ulps times the condition of the sums; 1e-10
// relative (absolute floor 1e-13 for entries that are nearly zero) is the
// issue's requirement and leaves orders of magnitude of headroom.
var torchApprox = cmpopts.EquateApprox(1e-10, 1e-13)

func compareTorch(t *testing.T, what string, want jsonTensor, got *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(want.Shape, got.Shape) && !(len(want.Shape) == 0 && got.Size() == 1) {
		t.Errorf("%s: shape %v, PyTorch has %v", what, got.Shape, want.Shape)
		return
	}
	if d := cmp.Diff(want.Data, got.Contiguous().Data[:got.Size()], torchApprox); d != "" {
		t.Errorf("%s differs from PyTorch (-torch +autodiff):\n%s", what, d)
	}
}

func loadTorch(t *testing.T) *torchGoldens {
	f, err := golden.Read[torchGoldens](torchGoldenPath)
	if err != nil {
		t.Fatalf("%v (regenerate with /usr/bin/python3 testdata/autodiff/make_goldens.py)", err)
	}
	t.Logf("golden produced by: %s", f.ProducedBy)
	return &f.Value
}

// TestTorchMLP compares a softplus MLP's output, MSE loss, gradients, a
// Hessian-vector product and the exact per-sample divergence of the field
// with PyTorch autograd.
func TestTorchMLP(t *testing.T) {
	c := loadTorch(t).MLP
	g := NewGraph()
	in := map[string]*Node{}
	for k, v := range c.Inputs {
		in[k] = g.Var(v.tensor())
	}
	field := func(x *Node) *Node {
		h := Softplus(Linear(x, in["w1"], in["b1"]))
		h = Softplus(Linear(h, in["w2"], in["b2"]))
		return Linear(h, in["w3"], in["b3"])
	}
	y := field(in["x"])
	loss := Mean(Square(Sub(y, in["target"])))
	names := []string{"x", "w1", "b1", "w2", "b2", "w3", "b3"}
	wrt := make([]*Node, len(names))
	for i, k := range names {
		wrt[i] = in[k]
	}
	compareTorch(t, "y", c.Outputs["y"], y.Value())
	compareTorch(t, "loss", c.Outputs["loss"], loss.Value())
	grads, err := GradValues(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range names {
		compareTorch(t, "grad_"+k, c.Outputs["grad_"+k], grads[i])
	}
	hv, err := HVP(loss, in["x"], c.Inputs["v"].tensor())
	if err != nil {
		t.Fatal(err)
	}
	compareTorch(t, "hvp_x", c.Outputs["hvp_x"], hv)
	div, err := Divergence(y, in["x"], true)
	if err != nil {
		t.Fatal(err)
	}
	compareTorch(t, "div", c.Outputs["div"], div)
}

// TestTorchConvNet compares a conv → group norm → SiLU → avg pool →
// strided conv → tanh → upsample network's output, loss and gradients with
// PyTorch autograd.
func TestTorchConvNet(t *testing.T) {
	c := loadTorch(t).Conv
	g := NewGraph()
	in := map[string]*Node{}
	for k, v := range c.Inputs {
		in[k] = g.Var(v.tensor())
	}
	h := AddChannel(Conv2d(in["x"], in["w1"], 1, 1), in["b1"])
	h = GroupNorm(h, 2, in["gamma"], in["beta"], 1e-5)
	h = SiLU(h)
	h = AvgPool2d(h, 2)
	h = AddChannel(Conv2d(h, in["w2"], 2, 1), in["b2"])
	h = Tanh(h)
	y := Upsample2d(h, 2)
	loss := Add(Sum(Mul(y, in["r"])), Mean(Softplus(y)))
	compareTorch(t, "y", c.Outputs["y"], y.Value())
	compareTorch(t, "loss", c.Outputs["loss"], loss.Value())
	names := []string{"x", "w1", "b1", "gamma", "beta", "w2", "b2"}
	wrt := make([]*Node, len(names))
	for i, k := range names {
		wrt[i] = in[k]
	}
	grads, err := GradValues(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range names {
		compareTorch(t, "grad_"+k, c.Outputs["grad_"+k], grads[i])
	}
}
