package autodiff

import (
	"fmt"
	"math/rand/v2"

	"github.com/hifm-go/hifm/tensor"
)

// mark remembers the pool position so that scratch nodes of a no-record
// sweep can be handed back with rewind.
type mark struct{ used, nodes int }

func (g *Graph) mark() mark { return mark{g.used, len(g.nodes)} }

// rewind returns every node made since m (and its buffer) to the pools.
func (g *Graph) rewind(m mark) {
	for i := m.used; i < g.used; i++ {
		n := &g.slab[i/slabSize][i%slabSize]
		if n.buf != nil {
			g.release(n.buf)
			n.buf = nil
		}
	}
	g.used = m.used
	g.nodes = g.nodes[:m.nodes]
}

func sameGraph(api string, a, b *Node) error {
	if a == nil || b == nil {
		return fmt.Errorf("autodiff.%s: nil node", api)
	}
	if a.g != b.g {
		return fmt.Errorf("autodiff.%s: nodes from different graphs", api)
	}
	return nil
}

// JVP returns J·v, J = ∂y/∂x, by forward-over-reverse ("double VJP"): with
// a dummy cotangent u, w(u) = Jᵀu is linear in u, and the VJP of w with
// respect to u, seeded with v, is J·v. v has x's shape; the result has y's.
func JVP(y, x *Node, v *tensor.Tensor) (*tensor.Tensor, error) {
	if err := sameGraph("JVP", y, x); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("autodiff.JVP: nil tangent")
	}
	if !tensor.SameShape(v.Shape, x.val.Shape) {
		return nil, shapeErr("JVP", "tangent must have x's shape", v.Shape, x.val.Shape)
	}
	g := y.g
	u := g.Var(tensor.New(y.val.Shape...))
	w, err := VJP(nil, y, u, []*Node{x}, true)
	if err != nil {
		return nil, err
	}
	jv, err := VJP(nil, w[0], g.Const(v), []*Node{u}, false)
	if err != nil {
		return nil, err
	}
	return jv[0].val.Clone(), nil
}

// HVP returns H·v, H = ∇²f(x) the Hessian of the scalar f with respect to
// x: the VJP of the recorded gradient, seeded with v (H is symmetric).
func HVP(f, x *Node, v *tensor.Tensor) (*tensor.Tensor, error) {
	if err := sameGraph("HVP", f, x); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("autodiff.HVP: nil vector")
	}
	if !tensor.SameShape(v.Shape, x.val.Shape) {
		return nil, shapeErr("HVP", "vector must have x's shape", v.Shape, x.val.Shape)
	}
	gr, err := Grad(f, x)
	if err != nil {
		return nil, err
	}
	hv, err := VJP(nil, gr[0], f.g.Const(v), []*Node{x}, false)
	if err != nil {
		return nil, err
	}
	return hv[0].val.Clone(), nil
}

// Hessian returns the dense n×n Hessian ∇²f of the scalar f with respect to
// x (n = x's size, flattened row-major), e.g. H = ∇²V(y1) of HIFM-MATH §2
// and §4.1: one recorded gradient, then n no-record VJPs of it with the
// unit vectors. The result is symmetrised, (H + Hᵀ)/2, which only removes
// rounding differences.
func Hessian(f, x *Node) (*tensor.Tensor, error) {
	if err := sameGraph("Hessian", f, x); err != nil {
		return nil, err
	}
	gr, err := Grad(f, x)
	if err != nil {
		return nil, err
	}
	g, n := f.g, x.val.Size()
	h := tensor.New(n, n)
	wrt, row := []*Node{x}, make([]*Node, 0, 1) // reused by every row's VJP
	for i := 0; i < n; i++ {
		m := g.mark()
		e := g.Zeros(x.val.Shape...)
		e.val.Data[i] = 1
		row, err = VJP(row, gr[0], e, wrt, false)
		if err != nil {
			return nil, err
		}
		copy(h.Data[i*n:(i+1)*n], row[0].data())
		g.rewind(m)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := 0.5 * (h.Data[i*n+j] + h.Data[j*n+i])
			h.Data[i*n+j], h.Data[j*n+i] = s, s
		}
	}
	return h, nil
}

// HessianFunc evaluates f on a fresh graph at x and returns its Hessian
// (see Hessian). Shape errors raised inside f are returned.
func HessianFunc(f func(x *Node) *Node, x *tensor.Tensor) (h *tensor.Tensor, err error) {
	g := NewGraph()
	var fx, xn *Node
	if err := tensor.Catch(func() { xn = g.Var(x); fx = f(xn) }); err != nil {
		return nil, err
	}
	return Hessian(fx, xn)
}

// perSample checks y = f(x) for the divergence estimators and returns the
// batch size and the per-sample dimension.
func perSample(api string, y, x *Node, batch bool) (b, n int, err error) {
	if err := sameGraph(api, y, x); err != nil {
		return 0, 0, err
	}
	if !tensor.SameShape(y.val.Shape, x.val.Shape) {
		return 0, 0, shapeErr(api, "field and x must have the same shape", y.val.Shape, x.val.Shape)
	}
	b = 1
	if batch {
		if len(x.val.Shape) < 1 || x.val.Shape[0] < 1 {
			return 0, 0, shapeErr(api, "batched x needs a leading batch axis", x.val.Shape)
		}
		b = x.val.Shape[0]
	}
	return b, x.val.Size() / b, nil
}

func divShape(b int, batch bool) *tensor.Tensor {
	if batch {
		return tensor.New(b)
	}
	return tensor.Scalar(0)
}

// Divergence returns the exact divergence ∇·f = tr ∂y/∂x of a field y = f(x)
// with y and x of the same shape (HIFM-MATH §6, the likelihood's −div v_θ).
// With batch, axis 0 indexes independent samples and the result holds one
// divergence per sample (shape (B)); else x is one sample (result 0-d). One
// forward pass is shared by n = size/B reverse sweeps: sweep i seeds the
// unit vector e_i in every sample at once, so the cost is n sweeps, not n·B.
// This assumes sample b of y depends only on sample b of x (no batch
// coupling such as batch norm).
func Divergence(y, x *Node, batch bool) (*tensor.Tensor, error) {
	b, n, err := perSample("Divergence", y, x, batch)
	if err != nil {
		return nil, err
	}
	out := divShape(b, batch)
	g := y.g
	// One result slice for every sweep (VJP(nil, …) would make one each).
	wrt, gx := []*Node{x}, make([]*Node, 0, 1)
	for i := 0; i < n; i++ {
		m := g.mark()
		e := g.Zeros(x.val.Shape...)
		for s := 0; s < b; s++ {
			e.val.Data[s*n+i] = 1
		}
		gx, err = VJP(gx, y, e, wrt, false)
		if err != nil {
			return nil, err
		}
		d := gx[0].data()
		for s := 0; s < b; s++ {
			out.Data[s] += d[s*n+i]
		}
		g.rewind(m)
	}
	return out, nil
}

// Hutchinson returns Hutchinson's estimate of the divergence of y = f(x),
// the mean over probes ε of εᵀ(∂y/∂x)ε, per sample when batch is set (see
// Divergence). Each probe has x's shape; Rademacher probes (Rademacher) give
// the smallest variance. One reverse sweep per probe.
func Hutchinson(y, x *Node, probes []*tensor.Tensor, batch bool) (*tensor.Tensor, error) {
	b, n, err := perSample("Hutchinson", y, x, batch)
	if err != nil {
		return nil, err
	}
	if len(probes) == 0 {
		return nil, fmt.Errorf("autodiff.Hutchinson: no probes")
	}
	out := divShape(b, batch)
	g := y.g
	wrt, gx := []*Node{x}, make([]*Node, 0, 1) // reused by every probe's VJP
	for k, p := range probes {
		if p == nil {
			return nil, fmt.Errorf("autodiff.Hutchinson: probe %d is nil", k)
		}
		if !tensor.SameShape(p.Shape, x.val.Shape) {
			return nil, shapeErr("Hutchinson", fmt.Sprintf("probe %d must have x's shape", k), p.Shape, x.val.Shape)
		}
		m := g.mark()
		gx, err = VJP(gx, y, g.Const(p), wrt, false)
		if err != nil {
			return nil, err
		}
		d, pd := gx[0].data(), p.Contiguous().Data
		for s := 0; s < b; s++ {
			var acc float64
			for i := s * n; i < (s+1)*n; i++ {
				acc += d[i] * pd[i]
			}
			out.Data[s] += acc
		}
		g.rewind(m)
	}
	for s := range out.Data {
		out.Data[s] /= float64(len(probes))
	}
	return out, nil
}

// Rademacher returns a tensor of independent ±1 draws (probability ½ each)
// from rng, for Hutchinson.
func Rademacher(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		if rng.Uint64()&1 == 0 {
			t.Data[i] = 1
		} else {
			t.Data[i] = -1
		}
	}
	return t
}
