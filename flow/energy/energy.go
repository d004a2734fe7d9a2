// Package energy holds the potential energies HI-FM linearises (HIFM-MATH §4):
// the formation energy of Eq. 25, the LJ13 target energy of §4.2, a quadratic
// with a given Hessian, the isotropic quadratic used for MNIST (§3.1) and
// the paper's two-dimensional illustrations, the anisotropic well and the
// ring V = (‖y‖² − 1)² (Toy, toy2d.go).
//
// Every energy gives its value, gradient and Hessian in closed form on flat
// row-major []float64 (y has length Dim, the Hessian is Dim×Dim). The closed
// forms are checked against finite differences here and against autodiff in
// the flow tests, so that an autodiff-backed Energy can be swapped in.
package energy

import (
	"errors"
	"fmt"
	"math"

	"github.com/hifm-go/hifm/tensor"
)

// Energy is a twice-differentiable potential V: R^n → R.
//
// Grad and Hessian overwrite g (length Dim) and h (Dim×Dim, row-major).
// Methods panic with a *tensor.ShapeError on a wrong slice length (a
// programming error, docs/CONTRIBUTING.md "Errors"); constructors
// validate user data and return errors.
type Energy interface {
	Dim() int
	Value(y []float64) float64
	Grad(y, g []float64)
	Hessian(y, h []float64)
}

func checkLen(op string, y []float64, n int) {
	if len(y) != n {
		panic(&tensor.ShapeError{Op: "energy." + op, Shapes: [][]int{{len(y)}, {n}}, Msg: "wrong slice length"})
	}
}

func checkFinite(what string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("energy: %s[%d] = %v is not finite", what, i, x)
		}
	}
	return nil
}

// quadratic is NewQuadratic's energy.
type quadratic struct {
	n      int
	h      []float64
	center []float64
}

// NewQuadratic returns V(y) = ½ (y − c)ᵀ H (y − c), the linearised
// potential of Eq. 14 with a fixed Hessian, copying the symmetric n×n
// matrix h and the centre c (nil means 0).
func NewQuadratic(h []float64, n int, c []float64) (Energy, error) {
	if n < 1 || len(h) != n*n {
		return nil, fmt.Errorf("energy: quadratic Hessian has %d entries, want %d×%d", len(h), n, n)
	}
	if c == nil {
		c = make([]float64, n)
	}
	if len(c) != n {
		return nil, fmt.Errorf("energy: quadratic centre has length %d, want %d", len(c), n)
	}
	if err := checkFinite("H", h); err != nil {
		return nil, err
	}
	if err := checkFinite("centre", c); err != nil {
		return nil, err
	}
	for i := range n {
		for j := range i {
			if a, b := h[i*n+j], h[j*n+i]; math.Abs(a-b) > 1e-12*math.Max(1, math.Abs(a)+math.Abs(b)) {
				return nil, fmt.Errorf("energy: quadratic H is not symmetric: H[%d,%d]=%v, H[%d,%d]=%v", i, j, a, j, i, b)
			}
		}
	}
	return &quadratic{n: n, h: append([]float64(nil), h...), center: append([]float64(nil), c...)}, nil
}

// Dim returns n.
func (q *quadratic) Dim() int { return q.n }

// Value returns ½ (y − c)ᵀ H (y − c).
func (q *quadratic) Value(y []float64) float64 {
	checkLen("quadratic.Value", y, q.n)
	var v float64
	for i := range q.n {
		var row float64
		for j := range q.n {
			row += q.h[i*q.n+j] * (y[j] - q.center[j])
		}
		v += (y[i] - q.center[i]) * row
	}
	return v / 2
}

// Grad sets g = H (y − c).
func (q *quadratic) Grad(y, g []float64) {
	checkLen("quadratic.Grad", y, q.n)
	checkLen("quadratic.Grad", g, q.n)
	for i := range q.n {
		var row float64
		for j := range q.n {
			row += q.h[i*q.n+j] * (y[j] - q.center[j])
		}
		g[i] = row
	}
}

// Hessian sets h = H.
func (q *quadratic) Hessian(y, h []float64) {
	checkLen("quadratic.Hessian", y, q.n)
	checkLen("quadratic.Hessian", h, q.n*q.n)
	copy(h, q.h)
}

// isotropic is NewIsotropic's energy.
type isotropic struct {
	lambda float64
	center []float64 // length Dim
}

// NewIsotropic returns V(y) = ½λ||y − c||² on R^n (c nil means 0), Hessian
// λI: the MNIST choice of HIFM-MATH §3.1 ("MNIST in the paper uses
// H = λI"). λ must be > 0.
func NewIsotropic(lambda float64, n int, c []float64) (Energy, error) {
	if !(lambda > 0) || math.IsInf(lambda, 0) {
		return nil, fmt.Errorf("energy: isotropic λ = %v, want a finite value > 0", lambda)
	}
	if n < 1 {
		return nil, errors.New("energy: isotropic dimension must be ≥ 1")
	}
	if c == nil {
		c = make([]float64, n)
	}
	if len(c) != n {
		return nil, fmt.Errorf("energy: isotropic centre has length %d, want %d", len(c), n)
	}
	if err := checkFinite("centre", c); err != nil {
		return nil, err
	}
	return &isotropic{lambda: lambda, center: append([]float64(nil), c...)}, nil
}

// Dim returns n.
func (e *isotropic) Dim() int { return len(e.center) }

// Value returns ½λ||y − c||².
func (e *isotropic) Value(y []float64) float64 {
	checkLen("isotropic.Value", y, len(e.center))
	var s float64
	for i, c := range e.center {
		d := y[i] - c
		s += d * d
	}
	return e.lambda * s / 2
}

// Grad sets g = λ(y − c).
func (e *isotropic) Grad(y, g []float64) {
	checkLen("isotropic.Grad", y, len(e.center))
	checkLen("isotropic.Grad", g, len(e.center))
	for i, c := range e.center {
		g[i] = e.lambda * (y[i] - c)
	}
}

// Hessian sets h = λI.
func (e *isotropic) Hessian(y, h []float64) {
	n := len(e.center)
	checkLen("isotropic.Hessian", y, n)
	checkLen("isotropic.Hessian", h, n*n)
	clear(h)
	for i := range n {
		h[i*n+i] = e.lambda
	}
}
