package tensor

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// exact compares bit for bit; approx allows the rounding of FMA kernels and
// reassociated sums: 1e-13 relative is ~500 ulps, far below any real error.
var (
	exact  = cmpopts.EquateNaNs()
	approx = cmpopts.EquateApprox(1e-13, 1e-13)
)

func mustShapeError(t *testing.T, op string, f func()) {
	t.Helper()
	err := Catch(f)
	var se *ShapeError
	if !errors.As(err, &se) {
		t.Fatalf("%s: want a *ShapeError, got %v", op, err)
	}
	if !strings.Contains(se.Error(), "tensor."+op) || !strings.Contains(se.Error(), "(") {
		t.Fatalf("%s: error %q does not name the op and shapes", op, se)
	}
}

func TestElementwiseBroadcast(t *testing.T) {
	rng := NewRNG(1)
	a := RandN(rng, 3, 4, 5)
	full := RandN(rng, 3, 4, 5)
	row := RandN(rng, 5)
	mat := RandN(rng, 4, 5)
	one := Scalar(2.5)
	ops := map[string]struct {
		f   func(dst, a, b *Tensor) *Tensor
		ref func(x, y float64) float64
	}{
		"Add": {Add, func(x, y float64) float64 { return x + y }},
		"Sub": {Sub, func(x, y float64) float64 { return x - y }},
		"Mul": {Mul, func(x, y float64) float64 { return x * y }},
		"Div": {Div, func(x, y float64) float64 { return x / y }},
	}
	for name, op := range ops {
		for _, b := range []*Tensor{full, row, mat, one} {
			got := op.f(nil, a, b)
			want := make([]float64, a.Size())
			for i := range want {
				want[i] = op.ref(a.Data[i], b.Data[i%b.Size()])
			}
			if d := cmp.Diff(want, got.Data, exact); d != "" {
				t.Errorf("%s with b%s: %s", name, ShapeString(b.Shape), d)
			}
		}
		// In place: dst aliases a.
		c := a.Clone()
		op.f(c, c, full)
		if d := cmp.Diff(op.f(nil, a, full).Data, c.Data, exact); d != "" {
			t.Errorf("%s in place: %s", name, d)
		}
		mustShapeError(t, name, func() { op.f(nil, a, RandN(rng, 4)) })
		mustShapeError(t, name, func() { op.f(New(2), a, full) })
	}
	got := AddRow(nil, mat, row)
	want := Add(nil, mat, row)
	if d := cmp.Diff(want.Data, got.Data, exact); d != "" {
		t.Error(d)
	}
	mustShapeError(t, "AddRow", func() { AddRow(nil, mat, RandN(rng, 4)) })
}

func TestScaleAxpyApply(t *testing.T) {
	rng := NewRNG(2)
	x, y := RandN(rng, 7, 3), RandN(rng, 7, 3)
	want := make([]float64, 21)
	for i := range want {
		want[i] = y.Data[i] + 0.5*x.Data[i]
	}
	Axpy(0.5, x, y)
	if d := cmp.Diff(want, y.Data, approx); d != "" {
		t.Error(d)
	}
	s := Scale(nil, -3, x)
	for i := range want {
		want[i] = -3 * x.Data[i]
	}
	if d := cmp.Diff(want, s.Data, exact); d != "" {
		t.Error(d)
	}
	ap := Apply(nil, x, math.Exp)
	for i := range want {
		want[i] = math.Exp(x.Data[i])
	}
	if d := cmp.Diff(want, ap.Data, exact); d != "" {
		t.Error(d)
	}
	mustShapeError(t, "Axpy", func() { Axpy(1, x, New(3, 7)) })
	if got, w := Dot(x, y), func() float64 {
		var s float64
		for i := range x.Data {
			s += x.Data[i] * y.Data[i]
		}
		return s
	}(); math.Abs(got-w) > 1e-13*math.Abs(w)+1e-13 {
		t.Errorf("Dot = %v, want %v", got, w)
	}
}

func TestReductions(t *testing.T) {
	a := FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if Sum(a) != 21 || Mean(a) != 3.5 || Max(a) != 6 {
		t.Fatalf("Sum/Mean/Max = %v %v %v", Sum(a), Mean(a), Max(a))
	}
	checks := []struct {
		name string
		got  *Tensor
		want []float64
		shp  []int
	}{
		{"SumAxis0", SumAxis(nil, a, 0), []float64{5, 7, 9}, []int{3}},
		{"SumAxis1", SumAxis(nil, a, 1), []float64{6, 15}, []int{2}},
		{"SumAxis-1", SumAxis(nil, a, -1), []float64{6, 15}, []int{2}},
		{"MeanAxis0", MeanAxis(nil, a, 0), []float64{2.5, 3.5, 4.5}, []int{3}},
		{"MaxAxis1", MaxAxis(nil, a, 1), []float64{3, 6}, []int{2}},
	}
	for _, c := range checks {
		if d := cmp.Diff(c.want, c.got.Data, exact); d != "" || !SameShape(c.got.Shape, c.shp) {
			t.Errorf("%s: %v %s", c.name, c.got.Shape, d)
		}
	}
	nan := FromSlice([]float64{1, math.NaN(), 3}, 3)
	if !math.IsNaN(Max(nan)) || !math.IsNaN(MaxAxis(nil, nan, 0).Data[0]) {
		t.Error("Max must propagate NaN")
	}
	mustShapeError(t, "SumAxis", func() { SumAxis(nil, a, 2) })
	b := RandN(NewRNG(3), 2, 3, 4)
	s := SumAxis(nil, b, 1)
	for i := 0; i < 2; i++ {
		for k := 0; k < 4; k++ {
			w := b.At(i, 0, k) + b.At(i, 1, k) + b.At(i, 2, k)
			if s.At(i, k) != w {
				t.Fatalf("SumAxis 3-D at (%d,%d): %v want %v", i, k, s.At(i, k), w)
			}
		}
	}
}

func naiveMatMul(a, b *Tensor, ta, tb bool) *Tensor {
	get := func(x *Tensor, t bool, i, j int) float64 {
		if t {
			return x.At(j, i)
		}
		return x.At(i, j)
	}
	m, k := a.Shape[0], a.Shape[1]
	if ta {
		m, k = k, m
	}
	n := b.Shape[1]
	if tb {
		n = b.Shape[0]
	}
	c := New(m, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				s += get(a, ta, i, p) * get(b, tb, p, j)
			}
			c.Set(s, i, j)
		}
	}
	return c
}

func TestMatMul(t *testing.T) {
	rng := NewRNG(4)
	for _, sz := range [][3]int{{1, 1, 1}, {1, 7, 5}, {7, 1, 5}, {5, 7, 1}, {13, 17, 19}, {39, 39, 39}, {64, 3, 100}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a := RandN(rng, m, k)
				if ta {
					a = RandN(rng, k, m)
				}
				b := RandN(rng, k, n)
				if tb {
					b = RandN(rng, n, k)
				}
				want := naiveMatMul(a, b, ta, tb)
				got := MatMul(nil, a, b, ta, tb)
				if d := cmp.Diff(want.Data, got.Data, approx); d != "" {
					t.Errorf("%v ta=%v tb=%v: %s", sz, ta, tb, d)
				}
				// A strided transpose view must read like the flag.
				if !ta {
					at := Transpose(nil, a).TransposeView()
					if d := cmp.Diff(want.Data, MatMul(nil, at, b, false, tb).Data, approx); d != "" {
						t.Errorf("%v view: %s", sz, d)
					}
				}
			}
		}
	}
	a, b := RandN(rng, 4, 3), RandN(rng, 3, 5)
	c := RandN(rng, 4, 5)
	c0 := c.Clone()
	Gemm(false, false, 2, a, b, -1, c)
	ab := naiveMatMul(a, b, false, false)
	for i := range c.Data {
		if w := 2*ab.Data[i] - c0.Data[i]; math.Abs(c.Data[i]-w) > 1e-13*(1+math.Abs(w)) {
			t.Fatalf("Gemm alpha/beta at %d: %v want %v", i, c.Data[i], w)
		}
	}
	mustShapeError(t, "MatMul", func() { MatMul(nil, a, a, false, false) })
	mustShapeError(t, "Gemm", func() { Gemm(false, false, 1, a, b, 0, New(5, 4)) })
}

func TestShapeOps(t *testing.T) {
	rng := NewRNG(5)
	a, b := RandN(rng, 2, 3, 4), RandN(rng, 2, 5, 4)
	c := Concat(nil, 1, a, b)
	if !SameShape(c.Shape, []int{2, 8, 4}) {
		t.Fatalf("Concat shape %v", c.Shape)
	}
	if d := cmp.Diff(a.Data, Slice(nil, c, 1, 0, 3).Data, exact); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff(b.Data, Slice(nil, c, 1, 3, 8).Data, exact); d != "" {
		t.Error(d)
	}
	mustShapeError(t, "Concat", func() { Concat(nil, 0, a, b) })
	mustShapeError(t, "Slice", func() { Slice(nil, a, 1, 2, 5) })

	src := RandN(rng, 4, 3)
	idx := []int{3, 0, 3, 1, 2}
	g := GatherRows(nil, src, idx)
	for i, r := range idx {
		if d := cmp.Diff(src.Row(r).Data, g.Row(i).Data, exact); d != "" {
			t.Error(d)
		}
	}
	acc := New(4, 3)
	ScatterAddRows(acc, g, idx)
	for r := 0; r < 4; r++ {
		n := 0.0
		for _, j := range idx {
			if j == r {
				n++
			}
		}
		for k := 0; k < 3; k++ {
			if w := n * src.At(r, k); math.Abs(acc.At(r, k)-w) > 1e-15*math.Abs(w) {
				t.Errorf("scatter (%d,%d) = %v want %v", r, k, acc.At(r, k), w)
			}
		}
	}
	mustShapeError(t, "GatherRows", func() { GatherRows(nil, src, []int{4}) })
	mustShapeError(t, "ScatterAddRows", func() { ScatterAddRows(acc, g, idx[:2]) })

	r := a.Reshape(6, -1)
	if !SameShape(r.Shape, []int{6, 4}) || &r.Data[0] != &a.Data[0] {
		t.Errorf("Reshape: %v", r.Shape)
	}
	mustShapeError(t, "Reshape", func() { a.Reshape(5, -1) })
	tr := Transpose(nil, src)
	for i := 0; i < 4; i++ {
		for j := 0; j < 3; j++ {
			if tr.At(j, i) != src.At(i, j) {
				t.Fatal("Transpose")
			}
		}
	}
	if d := cmp.Diff(tr.Data, src.TransposeView().Clone().Data, exact); d != "" {
		t.Error(d)
	}
	rows := src.Rows(1, 3)
	rows.Set(42, 0, 0)
	if src.At(1, 0) != 42 {
		t.Error("Rows must be a view")
	}
	mustShapeError(t, "Rows", func() { src.Rows(2, 5) })
}

func TestRNGDeterministic(t *testing.T) {
	a, b := RandN(NewRNG(9), 100), RandN(NewRNG(9), 100)
	if d := cmp.Diff(a.Data, b.Data, exact); d != "" {
		t.Error(d)
	}
	u := RandU(NewRNG(9), -2, 3, 1000)
	if Max(u) >= 3 || -Max(Scale(nil, -1, u)) < -2 {
		t.Error("RandU out of range")
	}
	if m := Mean(RandN(NewRNG(1), 100000)); math.Abs(m) > 0.02 { // 6σ for n = 1e5
		t.Errorf("RandN mean %v", m)
	}
}

func TestNoAllocsWithDestination(t *testing.T) {
	rng := NewRNG(6)
	a, b, dst := RandN(rng, 64, 64), RandN(rng, 64), New(64, 64)
	c := New(64, 64)
	allocs := testing.AllocsPerRun(20, func() {
		Add(dst, a, b)
		Mul(dst, dst, a)
		MatMul(c, a, dst, false, true)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per call with destinations given", allocs)
	}
}

func BenchmarkMatMul64(b *testing.B) {
	rng := NewRNG(7)
	x, y, c := RandN(rng, 64, 64), RandN(rng, 64, 64), New(64, 64)
	MatMul(c, x, y, false, false) // warm-up: the GEMM buffers
	b.ReportAllocs()
	for b.Loop() {
		MatMul(c, x, y, false, false)
	}
	b.ReportMetric(2*64*64*64*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
