package energy

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// Toy is a two-dimensional energy of the paper's illustrations (its
// Fig. 1–2, HIFM-MATH §4): closed-form value, gradient and Hessian, the same
// expression on the autodiff graph (Node, so that Graph{N: 2, Build: Node}
// gives autodiff derivatives), and the minimum nearest to a point.
type Toy interface {
	Energy
	Name() string
	Node(x *autodiff.Node) *autodiff.Node
	// NearestMinimum sets m to the minimum of V closest to y and reports
	// whether it is unique (false: y is equidistant, e.g. the ring's centre).
	NearestMinimum(y, m []float64) bool
}

// Toy energy names (the -example values of `hifm explain`), for NewToy:
// ToyWell is the anisotropic well ½(A y₁² + B y₂²) + ¼ C ‖y‖⁴ with
// A = 4, B = 0.25, C = 0.1; ToyRing the ring (‖y‖² − 1)², whose minima
// form the unit circle.
const (
	ToyWell = "well"
	ToyRing = "ring"
)

// NewToy returns the toy energy called name with its default parameters.
func NewToy(name string) (Toy, error) {
	switch name {
	case ToyWell:
		return defaultWell(), nil
	case ToyRing:
		return ring{}, nil
	}
	return nil, fmt.Errorf("energy: unknown toy energy %q (want %q or %q)", name, ToyWell, ToyRing)
}

// well is the anisotropic quadratic/quartic well (ToyWell)
//
//	V(y) = ½(A y₁² + B y₂²) + ¼ C ‖y‖⁴,
//
// convex (for A, B, C ≥ 0) with its minimum at 0 and a Hessian that stiffens
// away from it: H = diag(A, B) + C(‖y‖² I + 2 y yᵀ).
type well struct{ a, b, c float64 }

// defaultWell is the well of `hifm explain -example well`: stiffness ratio
// A/B = 16 at the minimum, a ratio that the quartic term lowers away from it.
func defaultWell() well { return well{a: 4, b: 0.25, c: 0.1} }

func (well) Name() string { return ToyWell }
func (well) Dim() int     { return 2 }

// Value returns V(y).
func (w well) Value(y []float64) float64 {
	checkLen("well.Value", y, 2)
	r2 := y[0]*y[0] + y[1]*y[1]
	return 0.5*(w.a*y[0]*y[0]+w.b*y[1]*y[1]) + 0.25*w.c*r2*r2
}

// Grad sets g = (A y₁, B y₂) + C‖y‖² y.
func (w well) Grad(y, g []float64) {
	checkLen("well.Grad", y, 2)
	checkLen("well.Grad", g, 2)
	r2 := y[0]*y[0] + y[1]*y[1]
	g[0] = w.a*y[0] + w.c*r2*y[0]
	g[1] = w.b*y[1] + w.c*r2*y[1]
}

// Hessian sets h = diag(A, B) + C(‖y‖² I + 2 y yᵀ).
func (w well) Hessian(y, h []float64) {
	checkLen("well.Hessian", y, 2)
	checkLen("well.Hessian", h, 4)
	r2 := y[0]*y[0] + y[1]*y[1]
	h[0] = w.a + w.c*(r2+2*y[0]*y[0])
	h[1] = 2 * w.c * y[0] * y[1]
	h[2] = h[1]
	h[3] = w.b + w.c*(r2+2*y[1]*y[1])
}

// Node builds V on the autodiff graph (x of shape (2,)).
func (w well) Node(x *autodiff.Node) *autodiff.Node {
	k := x.Graph().Const(tensor.FromSlice([]float64{w.a / 2, w.b / 2}, 2))
	quad := autodiff.Sum(autodiff.Mul(k, autodiff.Square(x)))
	r2 := autodiff.Sum(autodiff.Square(x))
	return autodiff.Add(quad, autodiff.Scale(autodiff.Square(r2), w.c/4))
}

// NearestMinimum sets m = 0, the unique minimum.
func (well) NearestMinimum(y, m []float64) bool {
	checkLen("well.NearestMinimum", m, 2)
	m[0], m[1] = 0, 0
	return true
}

// ring is the circular trough V(y) = (‖y‖² − 1)² (ToyRing): its minima form
// the unit circle, and at each of them H = 8 y yᵀ has one null direction,
// the tangent (the rotation the energy is blind to, HIFM-MATH §4).
type ring struct{}

func (ring) Name() string { return ToyRing }
func (ring) Dim() int     { return 2 }

// Value returns (‖y‖² − 1)².
func (ring) Value(y []float64) float64 {
	checkLen("ring.Value", y, 2)
	d := y[0]*y[0] + y[1]*y[1] - 1
	return d * d
}

// Grad sets g = 4(‖y‖² − 1) y.
func (ring) Grad(y, g []float64) {
	checkLen("ring.Grad", y, 2)
	checkLen("ring.Grad", g, 2)
	d := 4 * (y[0]*y[0] + y[1]*y[1] - 1)
	g[0], g[1] = d*y[0], d*y[1]
}

// Hessian sets h = 4(‖y‖² − 1) I + 8 y yᵀ.
func (ring) Hessian(y, h []float64) {
	checkLen("ring.Hessian", y, 2)
	checkLen("ring.Hessian", h, 4)
	d := 4 * (y[0]*y[0] + y[1]*y[1] - 1)
	h[0] = d + 8*y[0]*y[0]
	h[1] = 8 * y[0] * y[1]
	h[2] = h[1]
	h[3] = d + 8*y[1]*y[1]
}

// Node builds V on the autodiff graph (x of shape (2,)).
func (ring) Node(x *autodiff.Node) *autodiff.Node {
	return autodiff.Square(autodiff.AddScalar(autodiff.Sum(autodiff.Square(x)), -1))
}

// NearestMinimum sets m = y/‖y‖ (the radial projection onto the circle);
// at y = 0 every point of the circle is nearest: m = (1, 0), false.
func (ring) NearestMinimum(y, m []float64) bool {
	checkLen("ring.NearestMinimum", y, 2)
	checkLen("ring.NearestMinimum", m, 2)
	r := math.Hypot(y[0], y[1])
	if r == 0 {
		m[0], m[1] = 1, 0
		return false
	}
	m[0], m[1] = y[0]/r, y[1]/r
	return true
}

// AutodiffHessian sets h = ∇²V(y) of the toy by the autodiff engine (two
// reverse sweeps of the recorded gradient, HIFM-MATH §5's precompute).
func AutodiffHessian(t Toy, y, h []float64) {
	(&Graph{N: t.Dim(), Build: t.Node}).Hessian(y, h)
}

// ToyHessian returns, as a flow.HessianFunc, the autodiff Hessian of the
// toy energy called name (NewToy) at each sample y1, or at the minimum
// nearest to it when atMin: Algorithm 1's precompute for the "energy" and
// "energy-min" Hessian sources of package train (HIFM-MATH §4), fed to
// flow.Pipeline.Spectra.
func ToyHessian(name string, atMin bool) (func(i int, y1, h []float64) error, error) {
	e, err := NewToy(name)
	if err != nil {
		return nil, err
	}
	return func(_ int, y1, h []float64) error {
		if len(y1) != e.Dim() {
			return fmt.Errorf("energy: %q is %d-dimensional, the sample %d", name, e.Dim(), len(y1))
		}
		at := y1
		if atMin {
			at = make([]float64, len(y1))
			if !e.NearestMinimum(y1, at) {
				return fmt.Errorf("energy: the sample %v has no unique nearest minimum of %q", y1, name)
			}
		}
		AutodiffHessian(e, at, h)
		return nil
	}, nil
}
