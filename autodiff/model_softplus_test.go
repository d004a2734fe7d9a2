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
	v1, g1, h1 := f(Softplus)
	v2, g2, h2 := f(SoftplusCached)
	opt := cmpopts.EquateApprox(1e-15, 1e-300)
	for _, c := range []struct {
		name string
		a, b []float64
	}{{"value", v1, v2}, {"gradient", g1, g2}, {"Hessian-vector", h1, h2}} {
		if d := cmp.Diff(c.a, c.b, opt); d != "" {
			t.Errorf("%s (-Softplus +SoftplusCached):\n%s", c.name, d)
		}
	}
	for i, v := range v2 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("softplus(%g) = %g", xs[i], v)
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
	// softplus against log1p in the tails and near 0 (relative, 4 ulps).
	for i := -200000; i <= 200000; i++ {
		v := float64(i) / 5000
		var y, s [1]float64
		actForward(actSoftplus, y[:], s[:], []float64{v})
		want := max(v, 0) + math.Log1p(math.Exp(-math.Abs(v)))
		if math.Abs(y[0]-want) > 4.5e-16*want || y[0] != softplus(v) {
			t.Fatalf("softplus(%v) = %v (scalar %v), want %v", v, y[0], softplus(v), want)
		}
	}
}
