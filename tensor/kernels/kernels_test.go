package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

const eps = 0x1p-52 // float64 machine epsilon (2u)

// guardNaN is a NaN with a recognisable payload; guard cells hold it and
// must still hold exactly these bits afterwards.
var guardNaN = math.Float64frombits(0x7ff8_dead_beef_0001)

const guardLen = 9

// guarded returns a slice of n random values at offset off inside a buffer
// whose guardLen cells before and after hold guardNaN. An input read past
// its end turns results into NaN; an output written past its end changes
// the guard.
type guarded struct {
	buf    []float64
	off, n int
}

func newGuarded(rng *rand.Rand, n, off int) *guarded {
	g := &guarded{buf: make([]float64, guardLen+off+n+guardLen), off: guardLen + off, n: n}
	for i := range g.buf {
		g.buf[i] = guardNaN
	}
	for i := 0; i < n; i++ {
		g.buf[g.off+i] = 2*rng.Float64() - 1
	}
	return g
}

func (g *guarded) s() []float64 { return g.buf[g.off : g.off+g.n : g.off+g.n] }

func (g *guarded) clone() *guarded {
	return &guarded{buf: append([]float64(nil), g.buf...), off: g.off, n: g.n}
}

func (g *guarded) checkGuards(t *testing.T, what string) {
	t.Helper()
	for i, v := range g.buf {
		if i >= g.off && i < g.off+g.n {
			continue
		}
		if math.Float64bits(v) != math.Float64bits(guardNaN) {
			t.Fatalf("%s: guard cell %d (slice is [%d,%d)) changed to %v", what, i, g.off, g.off+g.n, v)
		}
	}
}

// testSizes covers every length 0..70 (all tail combinations of the 16/4/1
// loops) and lengths around the block edges up to ~1030.
func testSizes() []int {
	var s []int
	for n := 0; n <= 70; n++ {
		s = append(s, n)
	}
	for _, e := range []int{127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1030} {
		s = append(s, e)
	}
	return s
}

// sets returns the kernel sets to test: generic always, the accelerated
// set when this build and CPU have one, and its AVX-512 GEMM variant.
func sets() []kernelSet {
	out := []kernelSet{generic}
	if acc, ok := accelerated(); ok {
		out = append(out, acc)
	}
	if acc, ok := accelerated512(); ok {
		out = append(out, acc)
	}
	return out
}

// exact compares bit patterns (NaN-safe).
var exact = cmp.Comparer(func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })

// TestLevel1NoAllocs: the vector kernels of every set (and the fused
// Axpy2, Axpy2Dot and Rot2 of the active one) work in the caller's slices
// and allocate nothing.
func TestLevel1NoAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 1001 // odd: the assembly's tail loops too
	x, y, z, d := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n), make([]float64, n)
	var s float64
	for _, set := range sets() {
		for name, f := range map[string]func(){
			"dot":  func() { s += set.dot(x, y) },
			"axpy": func() { set.axpy(1e-9, x, d) },
			"scal": func() { set.scal(1, d) },
			"add":  func() { set.add(d, x, y) },
			"mul":  func() { set.mul(d, x, y) },
			"rot":  func() { set.rot(d, z, 1, 0) },
		} {
			if a := testing.AllocsPerRun(10, f); a != 0 {
				t.Errorf("%s %s allocates %v times", set.name, name, a)
			}
		}
	}
	for name, f := range map[string]func(){
		"Axpy2":    func() { Axpy2(1e-9, x, 1e-9, y, d) },
		"Axpy2Dot": func() { s += Axpy2Dot(1e-9, x, 1e-9, y, d, z) },
		"Rot2":     func() { Rot2(d, z, y, 1, 0, 1, 0) },
	} {
		if a := testing.AllocsPerRun(10, f); a != 0 {
			t.Errorf("%s allocates %v times", name, a)
		}
	}
	if math.IsNaN(s) {
		t.Error("NaN")
	}
}

func TestLevel1AgainstGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, set := range sets() {
		for _, n := range testSizes() {
			for _, off := range []int{0, 1, 3} {
				name := fmt.Sprintf("%s/n=%d/off=%d", set.name, n, off)
				x, y, d := newGuarded(rng, n, off), newGuarded(rng, n, off+1), newGuarded(rng, n, 2)
				alpha := 2*rng.Float64() - 1

				// Dot: a different summation order than the reference loop.
				// Both are within γ_n·Σ|x_i y_i| of the exact sum (Higham
				// 3.1), so they differ by at most n·eps·Σ|x_i y_i|.
				got := set.dot(x.s(), y.s())
				want := dotGeneric(x.s(), y.s())
				var absSum float64
				for i, v := range x.s() {
					absSum += math.Abs(v * y.s()[i])
				}
				if math.IsNaN(got) || math.Abs(got-want) > float64(n)*eps*absSum {
					t.Errorf("%s dot = %v, generic %v (bound %g)", name, got, want, float64(n)*eps*absSum)
				}

				// Axpy with FMA: one rounding instead of two, so within
				// u|αx| + 2u|αx+y| < 2 eps (|αx|+|y|) of the two-rounding loop,
				// i.e. 2 ulps of the operands' magnitude.
				ya, yg := y.clone(), y.clone()
				set.axpy(alpha, x.s(), ya.s())
				axpyGeneric(alpha, x.s(), yg.s())
				ya.checkGuards(t, name+" axpy")
				for i := range ya.s() {
					bound := 2 * eps * (math.Abs(alpha*x.s()[i]) + math.Abs(y.s()[i]))
					if g, w := ya.s()[i], yg.s()[i]; math.IsNaN(g) || math.Abs(g-w) > bound {
						t.Fatalf("%s axpy[%d] = %v, generic %v", name, i, g, w)
					}
				}

				// Scal, Add, Mul are single IEEE operations: bit-identical.
				xs, xg := x.clone(), x.clone()
				set.scal(alpha, xs.s())
				scalGeneric(alpha, xg.s())
				xs.checkGuards(t, name+" scal")
				if diff := cmp.Diff(xg.s(), xs.s(), exact); diff != "" {
					t.Fatalf("%s scal (-generic +got):\n%s", name, diff)
				}
				for _, op := range []struct {
					name     string
					acc, ref func(dst, x, y []float64)
				}{{"add", set.add, addGeneric}, {"mul", set.mul, mulGeneric}} {
					da, dg := d.clone(), d.clone()
					op.acc(da.s(), x.s(), y.s())
					op.ref(dg.s(), x.s(), y.s())
					da.checkGuards(t, name+" "+op.name)
					if diff := cmp.Diff(dg.s(), da.s(), exact); diff != "" {
						t.Fatalf("%s %s (-generic +got):\n%s", name, op.name, diff)
					}
				}

				// Rot with FMA: as for axpy, within 2 eps (|c x|+|s y|) of
				// the reference for each output (|c y|+|s x| for y').
				th := rng.Float64() * 2 * math.Pi
				c, s := math.Cos(th), math.Sin(th)
				rx, ry, gx, gy := x.clone(), y.clone(), x.clone(), y.clone()
				set.rot(rx.s(), ry.s(), c, s)
				rotGeneric(gx.s(), gy.s(), c, s)
				rx.checkGuards(t, name+" rot x")
				ry.checkGuards(t, name+" rot y")
				for i := range rx.s() {
					bx := 2 * eps * (math.Abs(c*x.s()[i]) + math.Abs(s*y.s()[i]))
					by := 2 * eps * (math.Abs(c*y.s()[i]) + math.Abs(s*x.s()[i]))
					if math.Abs(rx.s()[i]-gx.s()[i]) > bx || math.Abs(ry.s()[i]-gy.s()[i]) > by || math.IsNaN(rx.s()[i]+ry.s()[i]) {
						t.Fatalf("%s rot[%d] = (%v,%v), generic (%v,%v)", name, i, rx.s()[i], ry.s()[i], gx.s()[i], gy.s()[i])
					}
				}
			}
		}
	}
}

// TestLevel1Values checks the exported functions on hand-computable data,
// whichever set is selected.
func TestLevel1Values(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := []float64{9, 8, 7, 6, 5, 4, 3, 2, 1, 100} // longer than x: allowed
	if got := Dot(x, y); got != 165 {
		t.Errorf("Dot = %v, want 165", got)
	}
	z := append([]float64(nil), y...)
	Axpy(2, x, z)
	want := []float64{11, 12, 13, 14, 15, 16, 17, 18, 19, 100}
	if d := cmp.Diff(want, z); d != "" {
		t.Errorf("Axpy (-want +got):\n%s", d)
	}
	Scal(0.5, z[:9])
	if d := cmp.Diff([]float64{5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5, 100}, z); d != "" {
		t.Errorf("Scal (-want +got):\n%s", d)
	}
	dst := make([]float64, 9)
	Add(dst, x, y)
	if d := cmp.Diff([]float64{10, 10, 10, 10, 10, 10, 10, 10, 10}, dst); d != "" {
		t.Errorf("Add (-want +got):\n%s", d)
	}
	Mul(dst, x, y)
	if d := cmp.Diff([]float64{9, 16, 21, 24, 25, 24, 21, 16, 9}, dst); d != "" {
		t.Errorf("Mul (-want +got):\n%s", d)
	}
	// Rotation by 90°: (x, y) -> (-y, x). cos(π/2) is not exactly 0, so
	// allow 1e-15 relative (|cos(π/2)| ≈ 6e-17 times values ≤ 9).
	rx, ry := append([]float64(nil), x...), append([]float64(nil), y[:9]...)
	Rot(rx, ry, math.Cos(math.Pi/2), 1)
	wantX := []float64{-9, -8, -7, -6, -5, -4, -3, -2, -1}
	if d := cmp.Diff(wantX, rx, cmpopts.EquateApprox(1e-15, 1e-15)); d != "" {
		t.Errorf("Rot x (-want +got):\n%s", d)
	}
	if d := cmp.Diff(x, ry, cmpopts.EquateApprox(1e-15, 1e-15)); d != "" {
		t.Errorf("Rot y (-want +got):\n%s", d)
	}
}

func TestDispatch(t *testing.T) {
	n := Name()
	if n != "generic" && n != "avx2fma" {
		t.Fatalf("Name() = %q", n)
	}
	av := Available()
	if av[len(av)-1] != "generic" {
		t.Errorf("Available() = %v, want generic last", av)
	}
	t.Setenv("HIFM_KERNELS", "generic")
	if s := selectKernels(); s.name != "generic" {
		t.Errorf("HIFM_KERNELS=generic selected %q", s.name)
	}
	t.Setenv("HIFM_KERNELS", "")
	if s := selectKernels(); s.name != av[0] {
		t.Errorf("default selection %q, want %q (first of Available)", s.name, av[0])
	}
	if s5, ok := accelerated512(); ok {
		if s := selectKernels(); s.gemmName != s5.gemmName {
			t.Errorf("default GEMM kernel %q, want %q", s.gemmName, s5.gemmName)
		}
		t.Setenv("HIFM_KERNELS", "avx2fma")
		if s := selectKernels(); s.name != "avx2fma" || s.nr != 8 {
			t.Errorf("HIFM_KERNELS=avx2fma selected %q/%q", s.name, s.gemmName)
		}
	}
}
