package autodiff

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

// SoftplusCached must agree with Softplus in value, gradient and Hessian.
// Both compute the same function by different formulas (log1p via
// log(1 + e) + correction vs math.Log1p), so values differ by a few ulps:
// 1e-15 relative bounds that. Derivatives use σ from the same exponential.
func TestSoftplusCachedMatchesSoftplus(t *testing.T) {
	xs := []float64{-800, -40, -20, -5, -1, -1e-3, -1e-300, 0, 1e-300, 1e-8, 0.3, 1, 5, 20, 37, 40, 800}
	x := tensor.FromSlice(xs, len(xs))
	rng := tensor.NewRNG(1)
	w := tensor.RandN(rng, len(xs))
	f := func(act func(*Node) *Node) (val, grad, hvp []float64) {
		g := NewGraph()
		xv := g.Var(x)
		y := act(xv)
		val = append(val, y.Value().Data...)
		loss := Sum(Mul(Square(y), g.Const(w))) // non-linear in y: exercises σ'
		gr, err := Grad(loss, xv)
		if err != nil {
			t.Fatal(err)
		}
		grad = append(grad, gr[0].Value().Data...)
		h, err := HVP(loss, xv, w)
		if err != nil {
			t.Fatal(err)
		}
		return val, grad, h.Data
	}
	// Sigmoid's derivative σ − σ² cancels for large |x| (relative error
	// ulp/(1 − σ) ≈ 5e-8 at |x| = 20, and 0 instead of e^−40 at 40), while
	// sigmoidFast uses σ(x)σ(−x): compare its derivatives to 1e-7 relative,
	// 1e-15 absolute.
	for _, pair := range []struct {
		name      string
		ref, fast func(*Node) *Node
		derivOpt  cmp.Option
	}{{"softplus", Softplus, SoftplusCached, nil}, {"silu", SiLU, SiLUCached, nil},
		{"sigmoid", Sigmoid, sigmoidFast, cmpopts.EquateApprox(1e-7, 1e-15)}} {
		v1, g1, h1 := f(pair.ref)
		v2, g2, h2 := f(pair.fast)
		opt := cmpopts.EquateApprox(1e-15, 1e-300)
		dopt := opt
		if pair.derivOpt != nil {
			dopt = pair.derivOpt
		}
		for _, c := range []struct {
			name string
			a, b []float64
			opt  cmp.Option
		}{{"value", v1, v2, opt}, {"gradient", g1, g2, dopt}, {"Hessian-vector", h1, h2, dopt}} {
			if d := cmp.Diff(c.a, c.b, c.opt); d != "" {
				t.Errorf("%s %s (-reference +fast):\n%s", pair.name, c.name, d)
			}
		}
		for i, v := range v2 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s(%g) = %g", pair.name, xs[i], v)
			}
		}
	}
}

// logOnePlus against math.Log on [1, 2]: both are the e_log.c algorithm, so
// they agree to an ulp (1e-16 absolute on values ≤ ln 2).
func TestLogOnePlus(t *testing.T) {
	for i := 0; i <= 100000; i++ {
		w := 1 + float64(i)/100000
		if d := math.Abs(logOnePlus(w) - math.Log(w)); d > 1.2e-16 {
			t.Fatalf("logOnePlus(%v) = %v, math.Log %v", w, logOnePlus(w), math.Log(w))
		}
	}
}

// softplusRef is softplus and σ by math.Log1p and math.Exp, the reference
// for the kernel.
func softplusRef(v float64) (float64, float64) {
	e := math.Exp(-math.Abs(v))
	s := 1 / (1 + e)
	if v < 0 {
		s = e / (1 + e)
	}
	return max(v, 0) + math.Log1p(e), s
}

// The kernel (AVX2 where available, else the scalar loop) against math's
// log1p/exp. Both sides round at several steps (Taylor exp, polynomial log,
// the log1p correction), so they may differ by a few ulps: 1e-15 relative;
// beyond x < −708 the kernel flushes e^x to 0 where math.Exp returns a
// subnormal (absolute 1e-300). Odd lengths exercise the scalar tail.
func TestSoftplusSigmoidKernel(t *testing.T) {
	rng := tensor.NewRNG(3)
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1e-8, -1e-8, 0.3465, -0.3466, 0.8813, -0.8814,
		1, -1, 20, -20, 36.7, -36.8, 40, -40, 700, -700, 708, -708, 708.5, -708.5, 720, -720, 745, -745, 800, -800,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	for range 20000 {
		xs = append(xs, rng.NormFloat64()*5)
	}
	for range 2000 {
		xs = append(xs, (rng.Float64()-0.5)*1500)
	}
	for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, len(xs)} {
		x := xs[:n]
		y, c := make([]float64, n), make([]float64, n)
		ys, cs := make([]float64, n), make([]float64, n)
		softplusSigmoid(y, c, x)
		siluSigmoid(ys, cs, x)
		for i, v := range x {
			wy, wc := softplusRef(v)
			if cs[i] != c[i] && !(math.IsNaN(c[i]) && math.IsNaN(cs[i])) {
				t.Errorf("σ(%v): %v from the SiLU kernel, %v from softplus's", v, cs[i], c[i])
			}
			if ws := v * wc; ys[i] != ws && !(math.Abs(ys[i]-ws) <= 1e-15*math.Abs(ws) || math.Abs(ys[i]-ws) < 1e-300) && !math.IsNaN(v) && !math.IsInf(v, 0) {
				t.Errorf("silu(%v) = %v, want %v", v, ys[i], ws)
			}
			if math.IsNaN(v) && (!math.IsNaN(ys[i]) || !math.IsNaN(cs[i])) {
				t.Errorf("silu(NaN) = %v, %v", ys[i], cs[i])
			}
			if math.IsNaN(v) {
				if !math.IsNaN(y[i]) || !math.IsNaN(c[i]) {
					t.Errorf("x = NaN: got %v, %v", y[i], c[i])
				}
				continue
			}
			if y[i] != wy && !(math.Abs(y[i]-wy) <= 1e-15*math.Abs(wy) || math.Abs(y[i]-wy) < 1e-300) {
				t.Errorf("softplus(%v) = %v, want %v", v, y[i], wy)
			}
			if c[i] != wc && !(math.Abs(c[i]-wc) <= 1e-15*math.Abs(wc) || math.Abs(c[i]-wc) < 1e-300) {
				t.Errorf("σ(%v) = %v, want %v", v, c[i], wc)
			}
		}
	}
}

func BenchmarkSoftplusSigmoid(b *testing.B) {
	rng := tensor.NewRNG(1)
	x := tensor.RandN(rng, 1<<16).Data
	y, c := make([]float64, len(x)), make([]float64, len(x))
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			softplusSigmoid(y, c, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			softplusSigmoidGeneric(y, c, x)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
	})
}

// ActSigma reads σ from an activation's cache: the same values as
// sigmoidFast, and the same derivatives (its VJP is sigmoidFast's).
func TestActSigma(t *testing.T) {
	rng := tensor.NewRNG(5)
	x := tensor.RandN(rng, 3, 8)
	tensor.Scale(x, 4, x)
	w, v := tensor.RandN(rng, 3, 8), tensor.RandN(rng, 3, 8)
	for _, act := range []func(*Node) *Node{Softplus, SiLU, SoftplusCached, SiLUCached} {
		run := func(sig func(x *Node) *Node) (val, hv []float64) {
			g := NewGraph()
			xn := g.Var(x)
			s := sig(xn)
			loss := Sum(Mul(Square(s), g.Const(w)))
			h, err := HVP(loss, xn, v)
			if err != nil {
				t.Fatal(err)
			}
			return append([]float64{}, s.Value().Data...), h.Data
		}
		v1, h1 := run(sigmoidFast)
		v2, h2 := run(func(x *Node) *Node { return ActSigma(act(x)) })
		// Values: the caches of Softplus/SiLU (scalar σ) and sigmoidFast
		// (kernel) may differ by an ulp; derivatives go through the same ops.
		opt := cmpopts.EquateApprox(1e-15, 0)
		if d := cmp.Diff(v1, v2, opt); d != "" {
			t.Errorf("value: %s", d)
		}
		if d := cmp.Diff(h1, h2, cmpopts.EquateApprox(1e-13, 1e-15)); d != "" {
			t.Errorf("HVP: %s", d)
		}
	}
	if err := tensor.Catch(func() {
		g := NewGraph()
		ActSigma(Tanh(g.Var(x)))
	}); err == nil {
		t.Error("ActSigma accepted a Tanh node")
	}
}
