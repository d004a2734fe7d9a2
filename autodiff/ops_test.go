package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// opCase is one op under test: inputs of the given shapes (drawn from rng)
// and the op applied to them.
type opCase struct {
	name   string
	shapes func(r *rand.Rand) [][]int
	// init fills input i (default: standard normal)
	init func(r *rand.Rand, i int, t *tensor.Tensor)
	f    func(xs []*Node) *Node
}

func dims(r *rand.Rand, rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + r.IntN(4)
	}
	return s
}

func same(n int) func(r *rand.Rand) [][]int {
	return func(r *rand.Rand) [][]int {
		s := dims(r, 1+r.IntN(3))
		out := make([][]int, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
}

// suffix gives (a, b) with b a trailing part of a (row broadcasting) or
// a's own shape or one element.
func suffix(r *rand.Rand) [][]int {
	a := dims(r, 1+r.IntN(3))
	switch r.IntN(3) {
	case 0:
		return [][]int{a, a}
	case 1:
		return [][]int{a, {1}}
	}
	return [][]int{a, a[r.IntN(len(a)):]}
}

func positive(r *rand.Rand, _ int, t *tensor.Tensor) {
	for i := range t.Data {
		t.Data[i] = 0.5 + 2*r.Float64()
	}
}

// awayFromZero keeps ReLU's inputs off its kink, where differences fail.
func awayFromZero(r *rand.Rand, _ int, t *tensor.Tensor) {
	for i := range t.Data {
		v := 0.2 + r.Float64()
		if r.IntN(2) == 0 {
			v = -v
		}
		t.Data[i] = v
	}
}

func opCases() []opCase {
	un := func(name string, f func(*Node) *Node) opCase {
		return opCase{name: name, shapes: same(1), f: func(x []*Node) *Node { return f(x[0]) }}
	}
	cases := []opCase{
		{name: "Add", shapes: suffix, f: func(x []*Node) *Node { return Add(x[0], x[1]) }},
		{name: "Sub", shapes: suffix, f: func(x []*Node) *Node { return Sub(x[0], x[1]) }},
		{name: "Mul", shapes: suffix, f: func(x []*Node) *Node { return Mul(x[0], x[1]) }},
		{name: "Div", shapes: suffix, init: func(r *rand.Rand, i int, t *tensor.Tensor) {
			if i == 1 {
				positive(r, i, t)
				return
			}
			for j := range t.Data {
				t.Data[j] = r.NormFloat64()
			}
		}, f: func(x []*Node) *Node { return Div(x[0], x[1]) }},
		un("Neg", Neg),
		un("Scale", func(x *Node) *Node { return Scale(x, -1.7) }),
		un("AddScalar", func(x *Node) *Node { return AddScalar(x, 0.3) }),
		un("Square", Square),
		{name: "Sqrt", shapes: same(1), init: positive, f: func(x []*Node) *Node { return Sqrt(x[0]) }},
		un("Exp", Exp),
		{name: "Log", shapes: same(1), init: positive, f: func(x []*Node) *Node { return Log(x[0]) }},
		{name: "Pow", shapes: same(1), init: positive, f: func(x []*Node) *Node { return Pow(x[0], -1.3) }},
		un("Softplus", Softplus),
		un("SiLU", SiLU),
		un("Tanh", Tanh),
		un("Sigmoid", Sigmoid),
		{name: "ReLU", shapes: same(1), init: awayFromZero, f: func(x []*Node) *Node { return Mul(ReLU(x[0]), x[0]) }},
		un("Sin", Sin),
		un("Cos", Cos),
		un("Sum", Sum),
		un("Mean", Mean),
		un("SumAxis", func(x *Node) *Node { return SumAxis(x, len(x.Shape())-1) }),
		un("SumAxis0", func(x *Node) *Node { return SumAxis(x, 0) }),
		un("MeanAxis", func(x *Node) *Node { return MeanAxis(x, -1) }),
		un("SqNormAxis", func(x *Node) *Node { return SqNormAxis(x, -1) }),
		un("SqNormAxis0", func(x *Node) *Node { return SqNormAxis(x, 0) }),
		un("ExpandAxis", func(x *Node) *Node { return Mul(ExpandAxis(x, 1, 3), ExpandAxis(x, 1, 3)) }),
		{name: "SumTo", shapes: suffix, f: func(x []*Node) *Node { return Mul(SumTo(x[0], x[1].Shape()), x[1]) }},
		{name: "BroadcastTo", shapes: suffix, f: func(x []*Node) *Node { return Mul(BroadcastTo(x[1], x[0].Shape()), x[0]) }},
		{name: "MatMul", shapes: func(r *rand.Rand) [][]int { return [][]int{dims(r, 2), nil} }, f: nil},
		un("Reshape", func(x *Node) *Node { return Square(Reshape(x, -1)) }),
		{name: "Transpose", shapes: func(r *rand.Rand) [][]int { return [][]int{dims(r, 2)} },
			f: func(x []*Node) *Node { return Mul(Transpose(x[0]), Transpose(x[0])) }},
		{name: "Concat", shapes: func(r *rand.Rand) [][]int {
			a, b := dims(r, 3), dims(r, 3)
			b[0], b[2] = a[0], a[2]
			return [][]int{a, b, a}
		}, f: func(x []*Node) *Node { return Square(Concat(1, x[0], x[1], x[2])) }},
		{name: "Concat4", shapes: func(r *rand.Rand) [][]int {
			a := dims(r, 2)
			return [][]int{a, a, a, a}
		}, f: func(x []*Node) *Node {
			return Mul(Concat(0, x[0], x[1], x[2], x[3]), Concat(0, x[3], x[2], x[1], x[0]))
		}},
		{name: "Slice", shapes: func(r *rand.Rand) [][]int { s := dims(r, 3); s[1] = 4; return [][]int{s} },
			f: func(x []*Node) *Node { return Square(Slice(x[0], 1, 1, 3)) }},
		{name: "GatherRows", shapes: func(r *rand.Rand) [][]int { return [][]int{{4, 1 + r.IntN(3)}} },
			f: func(x []*Node) *Node { return Square(GatherRows(x[0], []int{3, 0, 0, 2, 3, 3})) }},
		{name: "ScatterAddRows", shapes: func(r *rand.Rand) [][]int { return [][]int{{6, 1 + r.IntN(3)}} },
			f: func(x []*Node) *Node { return Square(ScatterAddRows(x[0], []int{3, 0, 0, 2, 3, 3}, 5)) }},
		{name: "Linear", shapes: func(r *rand.Rand) [][]int {
			in, out := 1+r.IntN(4), 1+r.IntN(4)
			return [][]int{{2, 1 + r.IntN(3), in}, {in, out}, {out}}
		}, f: func(x []*Node) *Node { return Tanh(Linear(x[0], x[1], x[2])) }},
		{name: "Conv2d", shapes: func(r *rand.Rand) [][]int {
			c := 1 + r.IntN(2)
			return [][]int{{2, c, 5, 6}, {3, c, 3, 2}}
		}, f: func(x []*Node) *Node { return Square(Conv2d(x[0], x[1], 1, 1)) }},
		{name: "Conv2dStride2", shapes: func(r *rand.Rand) [][]int {
			return [][]int{{2, 2, 7, 6}, {2, 2, 3, 3}}
		}, f: func(x []*Node) *Node { return Square(Conv2d(x[0], x[1], 2, 1)) }},
		{name: "Conv2dStride3Pad2", shapes: func(r *rand.Rand) [][]int {
			return [][]int{{1, 2, 5, 7}, {2, 2, 2, 3}}
		}, f: func(x []*Node) *Node { return Square(Conv2d(x[0], x[1], 3, 2)) }},
		{name: "AddChannel", shapes: func(r *rand.Rand) [][]int { return [][]int{{2, 3, 2, 2}, {3}} },
			f: func(x []*Node) *Node { return Square(AddChannel(x[0], x[1])) }},
		{name: "MulChannel", shapes: func(r *rand.Rand) [][]int { return [][]int{{2, 3, 2, 2}, {3}} },
			f: func(x []*Node) *Node { return Square(MulChannel(x[0], x[1])) }},
		{name: "ChannelSum", shapes: func(r *rand.Rand) [][]int { return [][]int{{2, 3, 2, 2}} },
			f: func(x []*Node) *Node { return Square(ChannelSum(x[0])) }},
		{name: "AvgPool2d", shapes: func(r *rand.Rand) [][]int { return [][]int{{2, 2, 4, 6}} },
			f: func(x []*Node) *Node { return Square(AvgPool2d(x[0], 2)) }},
		{name: "Upsample2d", shapes: func(r *rand.Rand) [][]int { return [][]int{{2, 2, 2, 3}} },
			f: func(x []*Node) *Node { return Square(Upsample2d(x[0], 2)) }},
		{name: "GroupNorm", shapes: func(r *rand.Rand) [][]int { return [][]int{{2, 4, 3, 3}, {4}, {4}} },
			f: func(x []*Node) *Node { return GroupNorm(x[0], 2, x[1], x[2], 1e-5) }},
	}
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		ta, tb := tr[0], tr[1]
		cases = append(cases, opCase{name: fmt.Sprintf("MatMul_%v_%v", ta, tb), shapes: func(r *rand.Rand) [][]int {
			m, k, n := 1+r.IntN(4), 1+r.IntN(4), 1+r.IntN(4)
			a, b := []int{m, k}, []int{k, n}
			if ta {
				a = []int{k, m}
			}
			if tb {
				b = []int{n, k}
			}
			return [][]int{a, b}
		}, f: func(x []*Node) *Node { return MatMul(x[0], x[1], ta, tb) }})
	}
	out := cases[:0]
	for _, c := range cases {
		if c.f != nil {
			out = append(out, c)
		}
	}
	return out
}

// loss reduces an op's output to a scalar with fixed random weights w
// (so every output element matters differently): L = Σ w ⊙ op(x).
func lossOf(c opCase, g *Graph, xs []*Node, w *tensor.Tensor) *Node {
	y := c.f(xs)
	if w == nil {
		return y
	}
	return Sum(Mul(y, g.Const(w)))
}

func inputs(c opCase, r *rand.Rand) []*tensor.Tensor {
	shapes := c.shapes(r)
	xs := make([]*tensor.Tensor, len(shapes))
	for i, s := range shapes {
		xs[i] = tensor.New(s...)
		if c.init != nil {
			c.init(r, i, xs[i])
		} else {
			for j := range xs[i].Data {
				xs[i].Data[j] = r.NormFloat64()
			}
		}
	}
	return xs
}

// evalLoss builds the case on a fresh graph and returns L, its gradients
// (recorded mode and no-record mode) and a Hessian-vector product H·v over
// all inputs jointly.
func evalCase(t *testing.T, c opCase, xs []*tensor.Tensor, w *tensor.Tensor, v []*tensor.Tensor) (l float64, grads, fast, hv []*tensor.Tensor) {
	g := NewGraph()
	nodes := make([]*Node, len(xs))
	for i, x := range xs {
		nodes[i] = g.Var(x)
	}
	if w == nil {
		y := c.f(nodes)
		w = tensor.New(y.Shape()...)
		for i := range w.Data {
			w.Data[i] = math.Sin(float64(3*i + 1))
		}
	}
	L := lossOf(c, g, nodes, w)
	fg, err := GradValues(L, nodes...)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	for _, f := range fg {
		fast = append(fast, f.Clone())
	}
	gr, err := Grad(L, nodes...)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	for _, gn := range gr {
		grads = append(grads, gn.Value().Clone())
	}
	if v != nil {
		// H·v = ∇(Σ_i ⟨∇_i L, v_i⟩)
		var dot *Node
		for i, gn := range gr {
			d := Sum(Mul(gn, g.Const(v[i])))
			if dot == nil {
				dot = d
			} else {
				dot = Add(dot, d)
			}
		}
		hn, err := GradValues(dot, nodes...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, h := range hn {
			hv = append(hv, h.Clone())
		}
	}
	return L.Item(), grads, fast, hv
}

// TestOpsFiniteDifferences checks every op's first derivatives (both
// backward modes) against central differences and its second derivatives
// (Hessian-vector products through the recorded VJPs) against central
// differences of the gradient, on random shapes in float64.
//
// Tolerance: with h = 1e-6 the central difference has truncation error
// ~h²·|f”'| ≈ 1e-12 and rounding error ~ε·|f|/h ≈ 1e-10 for |f| ~ 1 (the
// losses here are O(1–100)), so agreement to 1e-6 relative (with an
// absolute floor of 1e-6) leaves a wide margin yet catches any wrong VJP,
// whose errors are O(1).
func TestOpsFiniteDifferences(t *testing.T) {
	const h = 1e-6
	approx := cmpopts.EquateApprox(1e-6, 1e-6)
	r := tensor.NewRNG(5)
	for _, c := range opCases() {
		for trial := 0; trial < 3; trial++ {
			xs := inputs(c, r)
			v := make([]*tensor.Tensor, len(xs))
			for i, x := range xs {
				v[i] = tensor.RandN(r, x.Shape...)
			}
			var w *tensor.Tensor
			{
				g := NewGraph()
				ns := make([]*Node, len(xs))
				for i, x := range xs {
					ns[i] = g.Const(x)
				}
				w = tensor.RandN(r, c.f(ns).Shape()...)
			}
			_, grads, fast, hv := evalCase(t, c, xs, w, v)
			for i := range grads {
				// identical arithmetic in both modes: bit-equal
				if d := cmp.Diff(grads[i].Data, fast[i].Data); d != "" {
					t.Errorf("%s: input %d: recorded and no-record gradients differ:\n%s", c.name, i, d)
				}
			}
			for i, x := range xs {
				fd := make([]float64, x.Size())
				hfd := make([]float64, x.Size())
				_ = hfd
				for j := range x.Data {
					old := x.Data[j]
					x.Data[j] = old + h
					lp, _, _, _ := evalCase(t, c, xs, w, nil)
					x.Data[j] = old - h
					lm, _, _, _ := evalCase(t, c, xs, w, nil)
					x.Data[j] = old
					fd[j] = (lp - lm) / (2 * h)
				}
				if d := cmp.Diff(fd, grads[i].Data, approx); d != "" {
					t.Errorf("%s %v: input %d gradient vs finite differences (-fd +ad):\n%s", c.name, shapesOf(xs), i, d)
				}
			}
			// H·v vs (∇L(x + h v) − ∇L(x − h v)) / 2h
			shift := func(s float64) []*tensor.Tensor {
				out := make([]*tensor.Tensor, len(xs))
				for i, x := range xs {
					out[i] = x.Clone()
					tensor.Axpy(s, v[i], out[i])
				}
				return out
			}
			_, gp, _, _ := evalCase(t, c, shift(h), w, nil)
			_, gm, _, _ := evalCase(t, c, shift(-h), w, nil)
			for i := range xs {
				fd := make([]float64, xs[i].Size())
				for j := range fd {
					fd[j] = (gp[i].Data[j] - gm[i].Data[j]) / (2 * h)
				}
				if d := cmp.Diff(fd, hv[i].Data, approx); d != "" {
					t.Errorf("%s %v: input %d Hessian-vector product vs differences of gradients (-fd +ad):\n%s", c.name, shapesOf(xs), i, d)
				}
			}
		}
	}
}

func shapesOf(xs []*tensor.Tensor) [][]int {
	s := make([][]int, len(xs))
	for i, x := range xs {
		s[i] = x.Shape
	}
	return s
}
