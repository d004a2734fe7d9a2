package energy

import (
	"errors"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// Graph is an energy written as an autodiff expression: Build maps the
// variable x (shape (Dim,)) to the scalar V(x). It implements Energy with
// value, gradient and Hessian from the autodiff engine, so closed forms can
// be checked against it and new energies need no hand-written derivatives.
type Graph struct {
	N     int
	Build func(x *autodiff.Node) *autodiff.Node
}

// Dim returns N.
func (e *Graph) Dim() int { return e.N }

func (e *Graph) eval(y []float64) (*autodiff.Graph, *autodiff.Node, *autodiff.Node) {
	checkLen("Graph", y, e.N)
	g := autodiff.NewGraph()
	x := g.Var(tensor.FromSlice(append([]float64(nil), y...), e.N))
	return g, x, e.Build(x)
}

// panicShape re-raises an error of the autodiff engine: Build's graph is a
// programming-level expression, so a failure is a shape error (the
// *tensor.ShapeError itself, or one naming op and err).
func panicShape(op string, err error) {
	var se *tensor.ShapeError
	if errors.As(err, &se) {
		panic(se)
	}
	panic(&tensor.ShapeError{Op: "energy." + op, Msg: err.Error()})
}

// Value returns V(y).
func (e *Graph) Value(y []float64) float64 {
	_, _, v := e.eval(y)
	return v.Item()
}

// Grad sets g = ∇V(y) by one reverse sweep.
func (e *Graph) Grad(y, g []float64) {
	checkLen("Graph.Grad", g, e.N)
	_, x, v := e.eval(y)
	gs, err := autodiff.GradValues(v, x)
	if err != nil {
		panicShape("Graph.Grad", err)
	}
	copy(g, gs[0].Data)
}

// Hessian sets h = ∇²V(y) (n reverse sweeps of the recorded gradient).
func (e *Graph) Hessian(y, h []float64) {
	checkLen("Graph.Hessian", h, e.N*e.N)
	_, x, v := e.eval(y)
	H, err := autodiff.Hessian(v, x)
	if err != nil {
		panicShape("Graph.Hessian", err)
	}
	copy(h, H.Data)
}

// Node builds Eq. 25 on the autodiff graph: x (any shape with Dim elements)
// ↦ ¼ Σ_E (||x_i − x_j||² − d_ij²)².
func (f *Formation) Node(x *autodiff.Node) *autodiff.Node {
	p := autodiff.Reshape(x, f.particles, f.dim)
	is, js := make([]int, len(f.edges)), make([]int, len(f.edges))
	for k, e := range f.edges {
		is[k], js[k] = e[0], e[1]
	}
	r2 := autodiff.SqNormAxis(autodiff.Sub(autodiff.GatherRows(p, is), autodiff.GatherRows(p, js)), 1)
	target := x.Graph().Const(tensor.FromSlice(append([]float64(nil), f.target...), len(f.target)))
	return autodiff.Scale(autodiff.Sum(autodiff.Square(autodiff.Sub(r2, target))), 0.25)
}

// Node builds the LJ13 energy of §4.2 on the autodiff graph.
func (l *LJ13) Node(x *autodiff.Node) *autodiff.Node {
	p := autodiff.Reshape(x, l.Particles, l.SpatialDim)
	var is, js []int
	for i := range l.Particles {
		for j := i + 1; j < l.Particles; j++ {
			is, js = append(is, i), append(js, j)
		}
	}
	r2 := autodiff.SqNormAxis(autodiff.Sub(autodiff.GatherRows(p, is), autodiff.GatherRows(p, js)), 1)
	rm6 := l.Rm * l.Rm * l.Rm * l.Rm * l.Rm * l.Rm
	// ε[(r_m/r)^12 − 2(r_m/r)^6] = ε[r_m^12 (r²)^−6 − 2 r_m^6 (r²)^−3]
	lj := autodiff.Sub(autodiff.Scale(autodiff.Pow(r2, -6), rm6*rm6), autodiff.Scale(autodiff.Pow(r2, -3), 2*rm6))
	e := autodiff.Scale(autodiff.Sum(lj), l.Epsilon)
	if l.Oscillator != 0 {
		c := autodiff.Sub(p, autodiff.BroadcastTo(autodiff.MeanAxis(p, 0), []int{l.Particles, l.SpatialDim}))
		e = autodiff.Add(e, autodiff.Scale(autodiff.Sum(autodiff.Square(c)), l.Oscillator/2))
	}
	return e
}
