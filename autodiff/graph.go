// Package autodiff is a small reverse-mode automatic differentiation engine
// over tensor.Tensor values, modelled on micrograd: every Node remembers its
// inputs, the name of its op and a vector-Jacobian product (VJP). The VJPs are
// written with the same graph ops as the forward pass, so a gradient is
// itself a graph and can be differentiated again: Hessian-vector products,
// dense Hessians and exact divergences (HIFM-MATH §4.1 needs ∇²V, §6 needs
// div v_θ) all come from the one engine.
//
// # Graph, leaves and reuse
//
// A Graph (the tape) owns its nodes and their buffers. Leaves are variables
// (Graph.Var: parameters and inputs one differentiates with respect to) and
// constants (Graph.Const). Ops are package functions on nodes (Add, MatMul,
// Conv2d, ...). Graph.Reset returns every node struct and every buffer to
// pools keyed by size, so a training step that builds the same graph again
// allocates (almost) nothing after the first one. Values and gradients read
// from a graph are valid until its next Reset. A Graph is not safe for
// concurrent use; use one per goroutine.
//
// # Two backward modes
//
// VJP(dst, out, v, wrt, createGraph) runs the reverse sweep. With
// createGraph the gradient ops are recorded like forward ops (PyTorch's
// create_graph=True): the results are differentiable nodes. Without it the
// very same VJP code runs with recording switched off: no node is recorded,
// repeated gradient contributions are summed in place, and only the inputs
// on a path to wrt are visited. Both modes execute identical arithmetic, so
// first derivatives agree bit for bit.
//
// # Fused ops
//
// The files fused_*.go hold general fused ops: several elementwise or
// linear steps computed as one node with a hand-written VJP, for speed only
// (same value as the composed graph ops, checked by their tests). DenseAct
// is a dense layer plus activation, GatherOuterAct a gathered outer product
// plus activation, GroupNormFast group normalisation (GroupNormSiLU with a
// SiLU), and SoftplusCached and SiLUCached activations that keep σ(x) for
// the backward sweep (ActSigma reads it; AVX2+FMA assembly written by
// `go generate`: fused_softplus_gen.go). The EGNN and UNet models use them,
// but nothing in them is specific to a model.
//
// # Errors
//
// Ops are programming-level building blocks: a shape mismatch panics with a
// *tensor.ShapeError whose Op is "autodiff.<Op>" and which lists the shapes.
// The API functions (VJP, Grad, GradValues, JVP, HVP, Hessian, Divergence,
// Hutchinson) validate their arguments and convert such panics raised while
// they run into returned errors with tensor.Catch; a shape problem in their
// arguments is returned as a *tensor.ShapeError too (errors.As finds it).
// Callers that build graphs from user data can do the same with Catch. This
// is the project's one error policy (docs/CONTRIBUTING.md, "Errors").
package autodiff

import (
	"fmt"

	"github.com/hifm-go/hifm/tensor"
)

// vjpFunc adds the gradient contributions of n's inputs, given gy = ∂L/∂n,
// by calling n.g.acc for every input that n.g.want.
type vjpFunc func(n, gy *Node)

// Node is one value in a graph: a leaf or the result of an op.
type Node struct {
	g    *Graph
	val  tensor.Tensor
	shp  [4]int // inline backing for val.Shape and val.Strides (≤ 4 axes)
	str  [4]int
	buf  []float64 // pooled buffer owned by this node (nil for views/leaves)
	op   string
	in   [3]*Node
	nin  int
	ins  []*Node // inputs beyond three (Concat)
	vjp  vjpFunc
	req  bool // requires grad: a variable or depends on one through recorded ops
	leaf bool
	idx  int // position in g.nodes, -1 if not recorded

	// op parameters
	iarg [8]int
	farg float64
	flag [2]bool
	idxs []int
	aux  *Node // cached values an op keeps for its VJP (not differentiated)

	// state of the current backward pass (valid when stamp == g.stamp)
	depStamp  uint32 // depends on a wrt node
	gradStamp uint32
	grad      *Node
	gradOwned bool // grad's buffer belongs to this accumulation (no-record mode)
}

// Value is the node's tensor (valid until the graph's Reset).
func (n *Node) Value() *tensor.Tensor { return &n.val }

// Shape is the shape of the node's value.
func (n *Node) Shape() []int { return n.val.Shape }

// Item is the value of a one-element node.
func (n *Node) Item() float64 { return n.val.Item() }

// Op names the operation that made the node ("var", "const" for leaves).
func (n *Node) Op() string { return n.op }

// Graph is the graph the node belongs to.
func (n *Node) Graph() *Graph { return n.g }

// RequiresGrad reports whether n depends on a variable through recorded ops.
func (n *Node) RequiresGrad() bool { return n.req }

// Inputs lists the nodes n was computed from.
func (n *Node) Inputs() []*Node {
	if n.ins != nil && n.nin > len(n.in) {
		return n.ins
	}
	return n.in[:n.nin]
}

func (n *Node) input(i int) *Node {
	if n.nin > len(n.in) {
		return n.ins[i]
	}
	return n.in[i]
}

func (n *Node) data() []float64 { return n.val.Data[:n.val.Size()] }

func (n *Node) String() string {
	return fmt.Sprintf("%s%s", n.op, tensor.ShapeString(n.val.Shape))
}

// Graph records ops on tensors and runs reverse sweeps over them.
type Graph struct {
	nodes  []*Node // recorded nodes in creation order: a topological order
	slab   [][]Node
	used   int                 // node structs handed out since Reset
	free   map[int][][]float64 // idle buffers by length
	record bool                // false inside a no-record backward sweep
	stamp  uint32              // current backward pass
}

// NewGraph returns an empty graph.
func NewGraph() *Graph {
	return &Graph{free: map[int][][]float64{}, record: true}
}

// Reset forgets every node and returns node structs and buffers to the
// pools. Nodes, values and gradients obtained before are invalid afterwards.
func (g *Graph) Reset() {
	for c := range g.slab {
		for i := range g.slab[c] {
			if c*slabSize+i >= g.used {
				break
			}
			n := &g.slab[c][i]
			if n.buf != nil {
				g.release(n.buf)
				n.buf = nil
			}
		}
	}
	g.used = 0
	g.nodes = g.nodes[:0]
	g.record = true
}

// Len is the number of recorded nodes.
func (g *Graph) Len() int { return len(g.nodes) }

const slabSize = 256

// alloc returns a buffer of length n from the pool (contents undefined).
func (g *Graph) alloc(n int) []float64 {
	if l := g.free[n]; len(l) > 0 {
		b := l[len(l)-1]
		g.free[n] = l[:len(l)-1]
		return b
	}
	return make([]float64, n)
}

// release returns a buffer to the pool.
func (g *Graph) release(b []float64) { g.free[len(b)] = append(g.free[len(b)], b) }

// node hands out a cleared node struct from the slab.
func (g *Graph) node() *Node {
	c, i := g.used/slabSize, g.used%slabSize
	if c == len(g.slab) {
		g.slab = append(g.slab, make([]Node, slabSize))
	}
	g.used++
	n := &g.slab[c][i]
	ins := n.ins[:0]
	*n = Node{g: g, ins: ins, idx: -1}
	return n
}

func (n *Node) setShape(shape []int) {
	k := len(shape)
	if k <= len(n.shp) {
		n.val.Shape, n.val.Strides = n.shp[:k], n.str[:k]
	} else {
		n.val.Shape, n.val.Strides = make([]int, k), make([]int, k)
	}
	copy(n.val.Shape, shape)
	s := 1
	for i := k - 1; i >= 0; i-- {
		n.val.Strides[i] = s
		s *= shape[i]
	}
}

func sizeOf(shape []int) int {
	s := 1
	for _, d := range shape {
		s *= d
	}
	return s
}

// newNode makes the result node of op with a fresh pooled buffer of the
// given shape. It is recorded (and requires grad when an input does) unless
// the graph is in a no-record sweep; the caller sets vjp.
func (g *Graph) newNode(op string, shape []int, vjp vjpFunc, ins ...*Node) *Node {
	n := g.view(op, shape, nil, vjp, ins...)
	n.buf = g.alloc(sizeOf(shape))
	n.val.Data = n.buf
	return n
}

// view is newNode for a result that shares data with an input (Reshape).
func (g *Graph) view(op string, shape []int, data []float64, vjp vjpFunc, ins ...*Node) *Node {
	for i, x := range ins {
		if x.g != g {
			panic(&tensor.ShapeError{Op: "autodiff." + op, Shapes: [][]int{ins[0].val.Shape, x.val.Shape},
				Msg: fmt.Sprintf("input %d belongs to another graph", i)})
		}
	}
	n := g.node()
	n.op = op
	n.setShape(shape)
	n.val.Data = data
	n.nin = len(ins)
	if len(ins) <= len(n.in) {
		copy(n.in[:], ins)
	} else {
		n.ins = append(n.ins, ins...)
	}
	if g.record {
		for _, x := range ins {
			n.req = n.req || x.req
		}
		if n.req {
			n.vjp = vjp
		}
		n.idx = len(g.nodes)
		g.nodes = append(g.nodes, n)
	}
	return n
}

func (g *Graph) leaf(op string, t *tensor.Tensor, req bool) *Node {
	n := g.node()
	n.op, n.leaf, n.req = op, true, req
	t = t.Contiguous()
	n.setShape(t.Shape)
	n.val.Data = t.Data[:t.Size()]
	n.idx = len(g.nodes)
	g.nodes = append(g.nodes, n)
	return n
}

// Var makes a variable leaf over t (shared, not copied): a parameter or an
// input to differentiate with respect to.
func (g *Graph) Var(t *tensor.Tensor) *Node { return g.leaf("var", t, true) }

// Const makes a constant leaf over t (shared, not copied).
func (g *Graph) Const(t *tensor.Tensor) *Node { return g.leaf("const", t, false) }

// Full makes a constant leaf with every element v, in a pooled buffer.
func (g *Graph) Full(v float64, shape ...int) *Node {
	n := g.newNode("const", shape, nil)
	n.leaf = true
	d := n.data()
	for i := range d {
		d[i] = v
	}
	return n
}

// Scalar makes a 0-d constant.
func (g *Graph) Scalar(v float64) *Node { return g.Full(v) }

// Zeros makes a constant zero leaf of the given shape.
func (g *Graph) Zeros(shape ...int) *Node { return g.Full(0, shape...) }

// want reports whether x lies on a path to a wrt node of the current sweep.
func (g *Graph) want(x *Node) bool { return x.depStamp == g.stamp }

// acc adds the contribution c to x's gradient (micrograd's +=).
func (g *Graph) acc(x, c *Node) {
	switch {
	case x.gradStamp != g.stamp:
		x.grad, x.gradStamp, x.gradOwned = c, g.stamp, false
	case !g.record && x.gradOwned:
		tensor.Add(&x.grad.val, &x.grad.val, &c.val)
	default:
		x.grad = Add(x.grad, c)
		x.gradOwned = !g.record
	}
}

// VJP returns vᵀ·∂out/∂w for every w in wrt: the reverse sweep seeded with v
// (out's shape). wrt nodes must require grad; a wrt node out does not depend
// on gets zeros. With createGraph the results are recorded nodes that can
// be differentiated again; otherwise they are plain values (valid until
// Reset) computed by the same VJP code without recording. The results are
// appended to dst[:0]: pass nil, or the previous result to reuse its
// storage (the training step's reverse sweep then allocates nothing).
func VJP(dst []*Node, out, v *Node, wrt []*Node, createGraph bool) (grads []*Node, err error) {
	if out == nil || v == nil {
		return nil, fmt.Errorf("autodiff.VJP: nil output or cotangent")
	}
	g := out.g
	if v.g != g {
		return nil, fmt.Errorf("autodiff.VJP: cotangent and output from different graphs")
	}
	if !tensor.SameShape(v.val.Shape, out.val.Shape) {
		return nil, shapeErr("VJP", "cotangent must have the output's shape", v.val.Shape, out.val.Shape)
	}
	if out.idx < 0 {
		return nil, fmt.Errorf("autodiff.VJP: output %s was not recorded", out)
	}
	for i, w := range wrt {
		if w == nil || w.g != g || !w.req || w.idx < 0 {
			return nil, fmt.Errorf("autodiff.VJP: wrt[%d] is not a recorded node of this graph that requires grad (make it with Graph.Var)", i)
		}
	}
	if dst == nil {
		dst = make([]*Node, 0, len(wrt))
	}
	err = tensor.Catch(func() { grads = g.backward(dst[:0], out, v, wrt, createGraph) })
	return grads, err
}

// backward is the reverse sweep. Creation order is a topological order, so
// walking g.nodes backwards from out visits every node after all of its
// consumers; nodes added during a recorded sweep come after out and are not
// visited.
func (g *Graph) backward(grads []*Node, out, v *Node, wrt []*Node, createGraph bool) []*Node {
	g.stamp++
	lo := out.idx
	for _, w := range wrt {
		w.depStamp = g.stamp
		lo = min(lo, w.idx)
	}
	// Forward sweep: mark the nodes that depend on a wrt node.
	for _, n := range g.nodes[lo : out.idx+1] {
		if n.depStamp == g.stamp || !n.req || n.leaf {
			continue
		}
		for i := 0; i < n.nin; i++ {
			if n.input(i).depStamp == g.stamp {
				n.depStamp = g.stamp
				break
			}
		}
	}
	saved := g.record
	g.record = createGraph
	defer func() { g.record = saved }()
	if out.depStamp == g.stamp {
		out.grad, out.gradStamp, out.gradOwned = v, g.stamp, false
		for i := out.idx; i >= lo; i-- {
			n := g.nodes[i]
			if n.gradStamp != g.stamp || n.depStamp != g.stamp || n.vjp == nil {
				continue
			}
			n.vjp(n, n.grad)
		}
	}
	for _, w := range wrt {
		if w.gradStamp == g.stamp {
			grads = append(grads, w.grad)
		} else {
			grads = append(grads, g.Zeros(w.val.Shape...))
		}
	}
	return grads
}

// Grad returns ∂loss/∂w for a scalar loss as recorded, differentiable nodes
// (create_graph=True).
func Grad(loss *Node, wrt ...*Node) ([]*Node, error) {
	if err := scalarCheck("Grad", loss); err != nil {
		return nil, err
	}
	return VJP(nil, loss, loss.g.Scalar(1).reshapeLike(loss), wrt, true)
}

// GradValues returns ∂loss/∂w for a scalar loss as tensors, without
// recording the backward pass: the fast path for training. The tensors are
// owned by the graph and valid until Reset.
func GradValues(loss *Node, wrt ...*Node) ([]*tensor.Tensor, error) {
	if err := scalarCheck("GradValues", loss); err != nil {
		return nil, err
	}
	gs, err := VJP(nil, loss, loss.g.Scalar(1).reshapeLike(loss), wrt, false)
	if err != nil {
		return nil, err
	}
	out := make([]*tensor.Tensor, len(gs))
	for i, gn := range gs {
		out[i] = &gn.val
	}
	return out, nil
}

func scalarCheck(api string, loss *Node) error {
	if loss == nil {
		return fmt.Errorf("autodiff.%s: nil loss", api)
	}
	if loss.val.Size() != 1 {
		return shapeErr(api, "loss must have one element", loss.val.Shape)
	}
	return nil
}

// reshapeLike gives a one-element constant the (one-element) shape of x.
func (n *Node) reshapeLike(x *Node) *Node {
	n.setShape(x.val.Shape)
	return n
}
