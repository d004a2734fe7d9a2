package autodiff

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// TestActivationDerivativeOrders checks the polynomial recursion behind the
// fused activation derivatives: f⁽ᵏ⁾ against central differences of f⁽ᵏ⁻¹⁾
// for k ≤ 6, and the second derivatives against closed forms.
// Tolerance: h = 1e-5 gives truncation ~h²·|f⁽ᵏ⁺²⁾| ≲ 1e-8 (the higher
// derivatives of these functions stay below ~10³ on [−3, 3]) plus rounding
// ~1e-16/h·|f⁽ᵏ⁻¹⁾| ≲ 1e-9; 1e-6 relative with a 1e-6 floor is safe.
func TestActivationDerivativeOrders(t *testing.T) {
	const h = 1e-5
	xs := []float64{-3, -1.2, -0.3, 0, 0.4, 1.1, 2.7}
	eval := func(kind activation, k int, v float64) float64 {
		var y, c, d [1]float64
		actForward(kind, y[:], c[:], []float64{v})
		if kind == actTanh || kind == actSigmoid {
			c = y
		}
		if k == 0 {
			return y[0]
		}
		actDeriv(kind, k, d[:], []float64{v}, c[:], []float64{1})
		return d[0]
	}
	approx := cmpopts.EquateApprox(1e-6, 1e-6)
	for kind := actTanh; kind <= actSiLU; kind++ {
		for k := 1; k <= 6; k++ {
			var got, fd []float64
			for _, v := range xs {
				got = append(got, eval(kind, k, v))
				fd = append(fd, (eval(kind, k-1, v+h)-eval(kind, k-1, v-h))/(2*h))
			}
			if d := cmp.Diff(fd, got, approx); d != "" {
				t.Errorf("%s order %d vs differences (-fd +got):\n%s", actNames[kind], k, d)
			}
		}
	}
	closed := map[activation]func(v float64) float64{
		actTanh:    func(v float64) float64 { th := math.Tanh(v); return -2 * th * (1 - th*th) },
		actSigmoid: func(v float64) float64 { s := 1 / (1 + math.Exp(-v)); return s * (1 - s) * (1 - 2*s) },
		actSoftplus: func(v float64) float64 {
			s := 1 / (1 + math.Exp(-v))
			return s * (1 - s)
		},
		actSiLU: func(v float64) float64 { s := 1 / (1 + math.Exp(-v)); return s * (1 - s) * (2 + v*(1-2*s)) },
	}
	// Closed forms agree to rounding: 1e-13 relative.
	for kind, f := range closed {
		for _, v := range xs {
			if got, want := eval(kind, 2, v), f(v); math.Abs(got-want) > 1e-13*(1+math.Abs(want)) {
				t.Errorf("%s''(%g) = %.17g, closed form %.17g", actNames[kind], v, got, want)
			}
		}
	}
}

// formation builds the formation energy V(y) = ¼ Σ_{i<j} (‖y_i − y_j‖² − d_ij²)²
// (HIFM-MATH Eq. 25) of y (N·3) with the distances d of the reference y1.
func formation(y *Node, y1 *tensor.Tensor) *Node {
	n := y1.Size() / 3
	var I, J []int
	var d2 []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			I, J = append(I, i), append(J, j)
			var s float64
			for c := 0; c < 3; c++ {
				dv := y1.Data[3*i+c] - y1.Data[3*j+c]
				s += dv * dv
			}
			d2 = append(d2, s)
		}
	}
	p := Reshape(y, n, 3)
	diff := Sub(GatherRows(p, I), GatherRows(p, J))
	r := Sub(SqNormAxis(diff, 1), y.Graph().Const(tensor.FromSlice(d2, len(d2))))
	return Scale(Sum(Square(r)), 0.25)
}

// TestHessianClosedForms compares dense Hessians with closed forms.
func TestHessianClosedForms(t *testing.T) {
	// Rounding only (a handful of flops per entry): 1e-12 relative.
	approx := cmpopts.EquateApprox(1e-12, 1e-12)
	r := tensor.NewRNG(11)

	// Quadratic f = ½ xᵀAx + bᵀx + Σ sin x_i: H = (A + Aᵀ)/2 − diag(sin x).
	n := 5
	a, b, x0 := tensor.RandN(r, n, n), tensor.RandN(r, n), tensor.RandN(r, n)
	h, err := HessianFunc(func(x *Node) *Node {
		g := x.Graph()
		col := Reshape(x, n, 1)
		q := Scale(Sum(Mul(col, MatMul(g.Const(a), col, false, false))), 0.5)
		return Add(Add(q, Sum(Mul(x, g.Const(b)))), Sum(Sin(x)))
	}, x0)
	if err != nil {
		t.Fatal(err)
	}
	want := tensor.New(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			want.Data[i*n+j] = 0.5 * (a.Data[i*n+j] + a.Data[j*n+i])
		}
		want.Data[i*n+i] -= math.Sin(x0.Data[i])
	}
	if d := cmp.Diff(want.Data, h.Data, approx); d != "" {
		t.Errorf("quadratic Hessian (-closed +autodiff):\n%s", d)
	}

	// Formation energy at its minimum y1: H = ½ RᵀR (HIFM-MATH §4.1).
	np := 5
	y1 := tensor.RandN(r, np*3)
	hf, err := HessianFunc(func(y *Node) *Node { return formation(y, y1) }, y1)
	if err != nil {
		t.Fatal(err)
	}
	m := 3 * np
	rt := tensor.New(np*(np-1)/2, m)
	e := 0
	for i := 0; i < np; i++ {
		for j := i + 1; j < np; j++ {
			for c := 0; c < 3; c++ {
				dv := 2 * (y1.Data[3*i+c] - y1.Data[3*j+c])
				rt.Data[e*m+3*i+c], rt.Data[e*m+3*j+c] = dv, -dv
			}
			e++
		}
	}
	want = tensor.MatMul(nil, rt, rt, true, false)
	tensor.Scale(want, 0.5, want)
	if d := cmp.Diff(want.Data, hf.Data, cmpopts.EquateApprox(1e-12, 1e-11)); d != "" {
		t.Errorf("formation-energy Hessian at y1 (-½RᵀR +autodiff):\n%s", d)
	}
}

// fdJacobian returns the central-difference Jacobian of f: R^n → R^m.
func fdJacobian(f func(x *tensor.Tensor) *tensor.Tensor, x *tensor.Tensor, h float64) *tensor.Tensor {
	n := x.Size()
	m := f(x).Size()
	jac := tensor.New(m, n)
	for j := 0; j < n; j++ {
		old := x.Data[j]
		x.Data[j] = old + h
		fp := f(x).Clone()
		x.Data[j] = old - h
		fm := f(x)
		x.Data[j] = old
		for i := 0; i < m; i++ {
			jac.Data[i*n+j] = (fp.Data[i] - fm.Data[i]) / (2 * h)
		}
	}
	return jac
}

// field is a small coupled vector field R^d → R^d per sample (rows of x).
func field(x *Node, w1, w2 *tensor.Tensor) *Node {
	g := x.Graph()
	h := Tanh(MatMul(x, g.Const(w1), false, false))
	return Add(MatMul(Softplus(h), g.Const(w2), false, false), Mul(Sin(x), x))
}

func evalField(x, w1, w2 *tensor.Tensor) *tensor.Tensor {
	g := NewGraph()
	return field(g.Const(x), w1, w2).Value().Clone()
}

// TestJVPAndHVP checks J·v against central differences of the field along
// v, and H·v against the dense Hessian times v.
func TestJVPAndHVP(t *testing.T) {
	r := tensor.NewRNG(12)
	w1, w2 := tensor.RandN(r, 4, 6), tensor.RandN(r, 6, 4)
	x0, v := tensor.RandN(r, 3, 4), tensor.RandN(r, 3, 4)
	g := NewGraph()
	x := g.Var(x0)
	jv, err := JVP(field(x, w1, w2), x, v)
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	xp, xm := x0.Clone(), x0.Clone()
	tensor.Axpy(h, v, xp)
	tensor.Axpy(-h, v, xm)
	fd := tensor.Sub(nil, evalField(xp, w1, w2), evalField(xm, w1, w2))
	tensor.Scale(fd, 1/(2*h), fd)
	// central differences, h = 1e-6: see TestOpsFiniteDifferences
	if d := cmp.Diff(fd.Data, jv.Data, cmpopts.EquateApprox(1e-6, 1e-7)); d != "" {
		t.Errorf("JVP vs directional differences (-fd +jvp):\n%s", d)
	}

	// f = Σ field ⊙ field: H·v vs dense H times v (rounding only: 1e-12).
	xv := x0.Reshape(12)
	scalar := func(x *Node) *Node {
		y := field(Reshape(x, 3, 4), w1, w2)
		return Sum(Mul(y, y))
	}
	hd, err := HessianFunc(scalar, xv)
	if err != nil {
		t.Fatal(err)
	}
	g2 := NewGraph()
	xn := g2.Var(xv)
	hv, err := HVP(scalar(xn), xn, v.Reshape(12))
	if err != nil {
		t.Fatal(err)
	}
	want := tensor.MatMul(nil, hd, v.Reshape(12, 1), false, false)
	if d := cmp.Diff(want.Data, hv.Data, cmpopts.EquateApprox(1e-12, 1e-12)); d != "" {
		t.Errorf("HVP vs dense Hessian·v (-Hv +hvp):\n%s", d)
	}
}

// TestDivergence checks the exact divergence against the trace of the
// central-difference Jacobian of each sample, and the batched sweep (n
// sweeps for all samples) against one sample at a time.
func TestDivergence(t *testing.T) {
	r := tensor.NewRNG(13)
	w1, w2 := tensor.RandN(r, 5, 7), tensor.RandN(r, 7, 5)
	x0 := tensor.RandN(r, 4, 5)
	g := NewGraph()
	x := g.Var(x0)
	div, err := Divergence(field(x, w1, w2), x, true)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.SameShape(div.Shape, []int{4}) {
		t.Fatalf("divergence shape %v, want (4)", div.Shape)
	}
	for b := 0; b < 4; b++ {
		row := x0.Row(b).Clone()
		jac := fdJacobian(func(z *tensor.Tensor) *tensor.Tensor {
			return evalField(z.Reshape(1, 5), w1, w2)
		}, row, 1e-6)
		var tr float64
		for i := 0; i < 5; i++ {
			tr += jac.Data[i*5+i]
		}
		// trace of a central-difference Jacobian: 5 entries each within ~1e-9
		if math.Abs(tr-div.Data[b]) > 1e-7*(1+math.Abs(tr)) {
			t.Errorf("sample %d: divergence %.12g, FD Jacobian trace %.12g", b, div.Data[b], tr)
		}
		g1 := NewGraph()
		x1 := g1.Var(row.Reshape(1, 5))
		one, err := Divergence(field(x1, w1, w2), x1, false)
		if err != nil {
			t.Fatal(err)
		}
		// same arithmetic per sample: equal to rounding of the sum order
		if math.Abs(one.Item()-div.Data[b]) > 1e-13*(1+math.Abs(tr)) {
			t.Errorf("sample %d: batched %.17g, single %.17g", b, div.Data[b], one.Item())
		}
	}
}

// TestDivergenceAllocs: on a warm graph, Divergence and Hutchinson
// allocate only the tensor they return (4 allocations: the tensor, its
// shape, strides and data), however many reverse sweeps they run: nothing
// per sweep (the likelihood solves call them at every evaluation).
func TestDivergenceAllocs(t *testing.T) {
	r := tensor.NewRNG(14)
	for _, n := range []int{5, 39} {
		w1, w2 := tensor.RandN(r, n, 7), tensor.RandN(r, 7, n)
		g := NewGraph()
		x := g.Var(tensor.RandN(r, 3, n))
		y := field(x, w1, w2)
		probes := []*tensor.Tensor{tensor.RandN(r, 3, n), tensor.RandN(r, 3, n)}
		for name, f := range map[string]func() error{
			"Divergence": func() error { _, err := Divergence(y, x, true); return err },
			"Hutchinson": func() error { _, err := Hutchinson(y, x, probes, true); return err },
		} {
			if err := f(); err != nil {
				t.Fatal(err)
			}
			if a := testing.AllocsPerRun(5, func() { _ = f() }); a != 4 {
				t.Errorf("n=%d: %s allocates %v times, want 4", n, name, a)
			}
		}
	}
}

// TestDivergenceConvField: the batched exact divergence of an image-shaped
// field (conv → SiLU → conv, padding keeps the shape) against the trace of
// the finite-difference Jacobian of each image.
func TestDivergenceConvField(t *testing.T) {
	r := tensor.NewRNG(16)
	w1, w2 := tensor.RandN(r, 3, 1, 3, 3), tensor.RandN(r, 1, 3, 3, 3)
	f := func(x *Node) *Node {
		g := x.Graph()
		return Conv2d(SiLU(Conv2d(x, g.Const(w1), 1, 1)), g.Const(w2), 1, 1)
	}
	x0 := tensor.RandN(r, 2, 1, 4, 4)
	g := NewGraph()
	x := g.Var(x0)
	div, err := Divergence(f(x), x, true)
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < 2; b++ {
		jac := fdJacobian(func(z *tensor.Tensor) *tensor.Tensor {
			return f(NewGraph().Const(z.Reshape(1, 1, 4, 4))).Value().Clone()
		}, x0.Rows(b, b+1).Clone(), 1e-6)
		var tr float64
		for i := 0; i < 16; i++ {
			tr += jac.Data[i*16+i]
		}
		// 16 central differences (h = 1e-6), each within ~1e-9
		if math.Abs(tr-div.Data[b]) > 1e-7*(1+math.Abs(tr)) {
			t.Errorf("image %d: divergence %.12g, FD Jacobian trace %.12g", b, div.Data[b], tr)
		}
	}
}

// TestHutchinson checks that Hutchinson's estimate with Rademacher probes
// converges to the exact divergence: with K probes its error must stay
// within 5 standard deviations σ/√K, where for Rademacher probes
// Var(εᵀJε) = Σ_{i<j} (J_ij + J_ji)² (computed from the exact Jacobian). A
// field with a diagonal Jacobian must be estimated exactly by every probe.
func TestHutchinson(t *testing.T) {
	r := tensor.NewRNG(14)
	w1, w2 := tensor.RandN(r, 6, 5), tensor.RandN(r, 5, 6)
	x0 := tensor.RandN(r, 2, 6)
	g := NewGraph()
	x := g.Var(x0)
	y := field(x, w1, w2)
	exact, err := Divergence(y, x, true)
	if err != nil {
		t.Fatal(err)
	}
	const k = 4000
	probes := make([]*tensor.Tensor, k)
	for i := range probes {
		probes[i] = Rademacher(r, 2, 6)
	}
	est, err := Hutchinson(y, x, probes, true)
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < 2; b++ {
		jac := fdJacobian(func(z *tensor.Tensor) *tensor.Tensor { return evalField(z.Reshape(1, 6), w1, w2) }, x0.Row(b).Clone(), 1e-6)
		var v float64
		for i := 0; i < 6; i++ {
			for j := i + 1; j < 6; j++ {
				s := jac.Data[i*6+j] + jac.Data[j*6+i]
				v += s * s
			}
		}
		sd := math.Sqrt(v / k)
		if e := math.Abs(est.Data[b] - exact.Data[b]); e > 5*sd {
			t.Errorf("sample %d: Hutchinson %.6g vs exact %.6g: error %.3g > 5σ/√K = %.3g", b, est.Data[b], exact.Data[b], e, 5*sd)
		}
		if sd == 0 {
			t.Fatalf("degenerate test field: zero variance")
		}
	}
	// Diagonal Jacobian (elementwise field): every probe is exact.
	yd := Tanh(Mul(x, x))
	ex, err := Divergence(yd, x, true)
	if err != nil {
		t.Fatal(err)
	}
	one, err := Hutchinson(yd, x, probes[:1], true)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(ex.Data, one.Data, cmpopts.EquateApprox(1e-14, 0)); d != "" {
		t.Errorf("diagonal field: one probe must be exact (-exact +hutchinson):\n%s", d)
	}
}

// TestGraphReuse rebuilds the same step after Reset: identical results and,
// after warm-up, (almost) no allocations.
func TestGraphReuse(t *testing.T) {
	m := newMLP(6, 16, 5)
	r := tensor.NewRNG(15)
	x, target := tensor.RandN(r, 32, 6), tensor.RandN(r, 32, 5)
	g := NewGraph()
	ps := make([]*Node, 6)
	l0, gr0, err := m.step(g, x, target, ps)
	if err != nil {
		t.Fatal(err)
	}
	var first [][]float64
	for _, gr := range gr0 {
		first = append(first, append([]float64(nil), gr.Data...))
	}
	n0 := g.Len()
	for i := 0; i < 3; i++ {
		g.Reset()
		l, gr, err := m.step(g, x, target, ps)
		if err != nil {
			t.Fatal(err)
		}
		if l != l0 || g.Len() != n0 {
			t.Fatalf("rebuild %d: loss %v nodes %d, first %v nodes %d", i, l, g.Len(), l0, n0)
		}
		for j := range gr {
			if d := cmp.Diff(first[j], gr[j].Data); d != "" {
				t.Fatalf("rebuild %d: gradient %d differs:\n%s", i, j, d)
			}
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		g.Reset()
		m.step(g, x, target, ps)
	})
	// GradValues returns two small slices per call; nothing else may allocate.
	if allocs > 4 {
		t.Errorf("a reused training step allocates %v times, want ≤ 4", allocs)
	}
}

// TestErrors: mismatches name the op and the shapes; the API returns errors.
func TestErrors(t *testing.T) {
	g := NewGraph()
	a := g.Var(tensor.New(2, 3))
	b := g.Var(tensor.New(4))
	err := tensor.Catch(func() { Add(a, b) })
	var se *tensor.ShapeError
	if !errors.As(err, &se) || se.Op != "autodiff.Add" || !strings.Contains(err.Error(), "(2, 3) vs (4)") {
		t.Errorf("Add mismatch: got %v", err)
	}
	err = tensor.Catch(func() { MatMul(a, a, false, false) })
	if err == nil || !strings.Contains(err.Error(), "autodiff.MatMul") || !strings.Contains(err.Error(), "(2, 3) vs (2, 3)") {
		t.Errorf("MatMul mismatch: got %v", err)
	}
	err = tensor.Catch(func() { Conv2d(g.Var(tensor.New(1, 2, 4, 4)), g.Var(tensor.New(3, 1, 3, 3)), 1, 0) })
	if err == nil || !strings.Contains(err.Error(), "autodiff.Conv2d") || !strings.Contains(err.Error(), "(1, 2, 4, 4) vs (3, 1, 3, 3)") {
		t.Errorf("Conv2d mismatch: got %v", err)
	}
	other := NewGraph().Var(tensor.New(2, 3))
	if err := tensor.Catch(func() { Add(a, other) }); err == nil || !strings.Contains(err.Error(), "another graph") {
		t.Errorf("mixing graphs: got %v", err)
	}
	// API functions return shape errors as *tensor.ShapeError too
	// (docs/CONTRIBUTING.md, "Errors").
	isShape := func(err error) bool { return errors.As(err, new(*tensor.ShapeError)) }
	s := Sum(a)
	if _, err := VJP(nil, s, g.Full(1, 2), []*Node{a}, false); !isShape(err) || !strings.Contains(err.Error(), "cotangent") {
		t.Errorf("bad cotangent: got %v", err)
	}
	if _, err := Grad(Square(a), a); !isShape(err) || !strings.Contains(err.Error(), "(2, 3)") {
		t.Errorf("non-scalar loss: got %v", err)
	}
	c := g.Const(tensor.New(3))
	if _, err := Grad(Sum(c), c); err == nil || !strings.Contains(err.Error(), "Graph.Var") {
		t.Errorf("gradient w.r.t. a constant: got %v", err)
	}
	if _, err := Divergence(Sum(a), a, true); !isShape(err) || !strings.Contains(err.Error(), "same shape") {
		t.Errorf("divergence of a non-field: got %v", err)
	}
	if _, err := Hutchinson(a, a, []*tensor.Tensor{tensor.New(3)}, true); !isShape(err) || !strings.Contains(err.Error(), "probe 0") {
		t.Errorf("bad probe: got %v", err)
	}
	if _, err := JVP(s, a, tensor.New(3)); !isShape(err) || !strings.Contains(err.Error(), "autodiff.JVP: shape mismatch (3) vs (2, 3)") {
		t.Errorf("bad tangent: got %v", err)
	}
	if _, err := HVP(s, a, tensor.New(2, 2)); !isShape(err) {
		t.Errorf("bad HVP vector: got %v", err)
	}
	if _, err := HessianFunc(func(x *Node) *Node { return Sum(Add(x, b)) }, tensor.New(3)); !isShape(err) || !strings.Contains(err.Error(), "autodiff.Add") {
		t.Errorf("HessianFunc with a bad graph: got %v", err)
	}
	// A wrt node the output does not depend on gets zeros.
	z, err := GradValues(Sum(a), a, b)
	if err != nil || z[1].Size() != 4 || tensor.Sum(z[1]) != 0 {
		t.Errorf("unreached wrt: %v %v", z, err)
	}
}
