package flow

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/eig"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// randOrtho returns a random n×n orthogonal matrix (Gram–Schmidt of a
// Gaussian matrix), row-major.
func randOrtho(rng *rand.Rand, n int) []float64 {
	q := make([]float64, n*n)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	for j := range n { // orthonormalise columns
		for k := range j {
			var d float64
			for i := range n {
				d += q[i*n+j] * q[i*n+k]
			}
			for i := range n {
				q[i*n+j] -= d * q[i*n+k]
			}
		}
		var s float64
		for i := range n {
			s += q[i*n+j] * q[i*n+j]
		}
		s = math.Sqrt(s)
		for i := range n {
			q[i*n+j] /= s
		}
	}
	return q
}

// withSpectrum returns Q diag(lam) Qᵀ, exactly symmetrised.
func withSpectrum(q, lam []float64) []float64 {
	n := len(lam)
	h := make([]float64, n*n)
	for a := range n {
		for b := range n {
			var s float64
			for k := range n {
				s += q[a*n+k] * lam[k] * q[b*n+k]
			}
			h[a*n+b] = s
		}
	}
	for a := range n {
		for b := range a {
			m := (h[a*n+b] + h[b*n+a]) / 2
			h[a*n+b], h[b*n+a] = m, m
		}
	}
	return h
}

func randVec(rng *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

// testCase is one processed spectrum with its sample.
type testCase struct {
	name string
	cfg  Config
	lam  []float64 // raw spectrum
}

func pathCases() []testCase {
	mk := func(f func(*Config)) Config { c := Default(); f(&c); return c }
	return []testCase{
		{"default", Default(), []float64{0.5, 1, 2, 7, 30}},
		{"alpha0.5", mk(func(c *Config) { c.Alpha = 0.5 }), []float64{0.5, 1, 2, 7, 30}},
		{"alpha1.5-anisotropic", mk(func(c *Config) { c.Alpha = 1.5; c.Stationary = StationaryAnisotropic }), []float64{0.5, 1, 2, 7, 30}},
		{"null-space", mk(func(c *Config) { c.Sigma0 = 0.7 }), []float64{0, 1e-14, 1, 3, 9}},
		{"null-conjugate", mk(func(c *Config) { c.Sigma0 = 0.7; c.Sigma = 0.2; c.NullSpace = NullSpaceConjugate }), []float64{0, 1e-14, 1, 3, 9}},
		{"null-projected", mk(func(c *Config) { c.NullSpace = NullSpaceProjected; c.Stationary = StationaryAnisotropic }), []float64{0, 1e-14, 1, 3, 9}},
		{"hyperbolize-K", mk(func(c *Config) { c.Hyperbolize = true; c.Condition = 4 }), []float64{0, 1, 3, 9, 100}},
		{"data-priority", mk(func(c *Config) { c.Priority = PriorityData; c.Alpha = 1.5 }), []float64{0.2, 1, 3, 9, 10}},
		{"none", mk(func(c *Config) { c.Priority = PriorityNone; c.Alpha = 2; c.Sigma = 0.3 }), []float64{0, 0.4, 1, 3, 5}},
	}
}

func buildCase(t *testing.T, tc testCase, seed uint64) (*Spectrum, []float64, []float64, *rand.Rand) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	n := len(tc.lam)
	h := withSpectrum(randOrtho(rng, n), tc.lam)
	y1 := randVec(rng, n, 1)
	pl := Pipeline{Config: tc.cfg}
	sp, err := pl.Spectrum(h, y1)
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	return sp, h, y1, rng
}

// TestF1IsDerivativeOfF2: dψ_s/ds = u_s(ψ_s) (HIFM-MATH §1), by central
// differences of Draw's ys against Draw's us.
func TestF1IsDerivativeOfF2(t *testing.T) {
	for _, tc := range pathCases() {
		t.Run(tc.name, func(t *testing.T) {
			sp, _, y1, rng := buildCase(t, tc, 1)
			n := sp.N
			p := NewHIFMPath(tc.cfg)
			y0 := randVec(rng, n, tc.cfg.Sigma0)
			ys, us := make([]float64, n), make([]float64, n)
			yp, ym, scratch := make([]float64, n), make([]float64, n), make([]float64, n)
			for _, s := range []float64{0, 0.1, 0.5, 0.9, 0.99} {
				p.Draw(ys, us, y0, y1, s, sp)
				h := 1e-6 * math.Max(1e-3, 1-s)
				fd := make([]float64, n)
				if s == 0 { // one-sided, second order: (−3ψ(0) + 4ψ(h) − ψ(2h))/(2h)
					p.Draw(yp, scratch, y0, y1, h, sp)
					p.Draw(ym, scratch, y0, y1, 2*h, sp)
					for i := range fd {
						fd[i] = (-3*ys[i] + 4*yp[i] - ym[i]) / (2 * h)
					}
				} else {
					p.Draw(yp, scratch, y0, y1, s+h, sp)
					p.Draw(ym, scratch, y0, y1, s-h, sp)
					for i := range fd {
						fd[i] = (yp[i] - ym[i]) / (2 * h)
					}
				}
				// Second-order differences: error O(h²·ψ''') ≈ 1e-12·r³|m0|/(1−s)²
				// (r ≤ 300 here: ≤ 3e-5 relative) plus round-off 1e-16/h ≈ 1e-10.
				if d := cmp.Diff(fd, us, cmpopts.EquateApprox(1e-4, 1e-6)); d != "" {
					t.Errorf("s=%v: (-FD of F2 +F1):\n%s", s, d)
				}
			}
		})
	}
}

// TestFieldForms: Draw's us equals Field at ys (F1 off the flow map), Eq. 17
// equals F1 in the infinite scheme, and u_s = u_t/(κ(1 − s)) (HIFM-MATH §3).
func TestFieldForms(t *testing.T) {
	for _, tc := range pathCases() {
		t.Run(tc.name, func(t *testing.T) {
			sp, _, y1, rng := buildCase(t, tc, 2)
			n := sp.N
			fin := NewHIFMPath(tc.cfg)
			inf := fin
			inf.Scheme = SchemeInfinite
			y0 := randVec(rng, n, tc.cfg.Sigma0)
			ys, us, ut, f, e17 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			ys2 := make([]float64, n)
			// All forms are O(n) flops of well-scaled terms; 1e-12 relative.
			opt := cmpopts.EquateApprox(1e-12, 1e-12)
			for _, s := range []float64{0, 0.3, 0.8, 0.999} {
				fin.Draw(ys, us, y0, y1, s, sp)
				fin.Field(f, ys, y1, s, sp)
				if d := cmp.Diff(us, f, opt); d != "" {
					t.Errorf("s=%v Draw vs Field:\n%s", s, d)
				}
				inf.Draw(ys2, ut, y0, y1, s, sp)
				if d := cmp.Diff(ys, ys2); d != "" {
					t.Errorf("s=%v: infinite scheme moved the sample:\n%s", s, d)
				}
				tt := Time(s, sp.Kappa)
				inf.FieldT(e17, ys, y1, tt, sp)
				if d := cmp.Diff(ut, e17, opt); d != "" {
					t.Errorf("s=%v Eq. 17 vs F1·κ(1−s):\n%s", s, d)
				}
				back := make([]float64, n)
				for i := range back {
					back[i] = e17[i] / (sp.Kappa * (1 - s))
				}
				if d := cmp.Diff(us, back, opt); d != "" {
					t.Errorf("s=%v u_s vs u_t/(κ(1−s)):\n%s", s, d)
				}
			}
		})
	}
}

// TestIsotropicAlpha1IsOTMean: H = λI, α = 1, c = 1, μ_0 = 0 gives the mean
// path s·y1 (HIFM-MATH §3).
func TestIsotropicAlpha1IsOTMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 6
	y1 := randVec(rng, n, 2)
	for _, pr := range []Priority{PriorityInterpolant, PriorityNone} {
		cfg := Default()
		cfg.Priority = pr
		h := withSpectrum(randOrtho(rng, n), []float64{3, 3, 3, 3, 3, 3})
		pl := Pipeline{Config: cfg}
		for name, mk := range map[string]func() (*Spectrum, error){
			"jacobi":    func() (*Spectrum, error) { return pl.Spectrum(h, y1) },
			"isotropic": func() (*Spectrum, error) { sp := new(Spectrum); return sp, pl.IsotropicSpectrumInto(sp, 3, y1) },
		} {
			sp, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			p := NewHIFMPath(cfg)
			mu := make([]float64, n)
			for _, s := range []float64{0, 0.25, 0.5, 0.9, 1} {
				p.Mean(mu, y1, s, sp)
				want := make([]float64, n)
				for i := range want {
					want[i] = s * y1[i]
				}
				// r = 1 up to the Jacobi eigenvalues' relative error
				// (~1e-15), so (1 − s)^r matches 1 − s to ~1e-14.
				if d := cmp.Diff(want, mu, cmpopts.EquateApprox(1e-12, 1e-12)); d != "" {
					t.Errorf("%s/%s s=%v: mean (-s·y1 +HI-FM):\n%s", pr, name, s, d)
				}
			}
		}
	}
}

// gaussLogPdf is log N(y; mu, Q diag(v) Qᵀ).
func gaussLogPdf(y, mu []float64, sp *Spectrum, v []float64) float64 {
	var q, ld float64
	for i := range sp.N {
		var z float64
		for j := range sp.N {
			z += sp.Q[j*sp.N+i] * (y[j] - mu[j])
		}
		q += z * z / v[i]
		ld += math.Log(2 * math.Pi * v[i])
	}
	return -0.5 * (q + ld)
}

// TestContinuityEquation: ∂p/∂s + ∇·(p u) = 0 for the conditional Gaussian
// p_s(y|y1) = N(μ_s, Σ_s) and the field F1, by central differences, in the
// form divided by p: ∂log p/∂s + ∇·u + u·∇log p = 0.
func TestContinuityEquation(t *testing.T) {
	for _, tc := range pathCases() {
		t.Run(tc.name, func(t *testing.T) {
			sp, _, y1, rng := buildCase(t, tc, 3)
			n := sp.N
			p := NewHIFMPath(tc.cfg)
			mu := make([]float64, n)
			m, v := make([]float64, n), make([]float64, n)
			logp := func(y []float64, s float64) float64 {
				p.Mean(mu, y1, s, sp)
				p.Moments(m, v, s, sp)
				return gaussLogPdf(y, mu, sp, v)
			}
			u, up, um := make([]float64, n), make([]float64, n), make([]float64, n)
			for _, s := range []float64{0.1, 0.5, 0.9} {
				// A typical point: μ_s + Q sqrt(v) ξ.
				p.Mean(mu, y1, s, sp)
				p.Moments(m, v, s, sp)
				y := append([]float64(nil), mu...)
				for i := range n {
					sp.addCol(y, i, math.Sqrt(v[i])*rng.NormFloat64())
				}
				hs := 1e-5 * (1 - s)
				res := (logp(y, s+hs) - logp(y, s-hs)) / (2 * hs)
				scale := math.Abs(res)
				p.Field(u, y, y1, s, sp)
				h := 1e-5 * math.Sqrt(v[0])
				for k := range n {
					yk := append([]float64(nil), y...)
					yk[k] = y[k] + h
					p.Field(up, yk, y1, s, sp)
					lp := logp(yk, s)
					yk[k] = y[k] - h
					p.Field(um, yk, y1, s, sp)
					lm := logp(yk, s)
					div := (up[k] - um[k]) / (2 * h)
					adv := u[k] * (lp - lm) / (2 * h)
					res += div + adv
					scale += math.Abs(div) + math.Abs(adv)
				}
				// Central differences with relative steps 1e-5: truncation
				// ~1e-10 and round-off ~1e-16·|log p|/1e-5 relative to the
				// terms; 1e-6 of their total magnitude.
				if math.Abs(res) > 1e-6*scale {
					t.Errorf("s=%v: residual %.3g (terms total %.6g)", s, res, scale)
				}
			}
		})
	}
}

func TestOTPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	n := 4
	p := OTPath{SigmaMin: 0.01, Sigma0: 1.3}
	y0, y1 := randVec(rng, n, 1.3), randVec(rng, n, 1)
	ys, us, f := make([]float64, n), make([]float64, n), make([]float64, n)
	yp, ym := make([]float64, n), make([]float64, n)
	for _, s := range []float64{0, 0.4, 1} {
		p.Draw(ys, us, y0, y1, s, nil)
		p.Field(f, ys, y1, s)
		// Eq. 18 in y and in y0 agree to round-off.
		if d := cmp.Diff(us, f, cmpopts.EquateApprox(1e-12, 1e-12)); d != "" {
			t.Errorf("s=%v: Eq. 18 forms differ:\n%s", s, d)
		}
		p.Draw(yp, f, y0, y1, s+1e-6, nil)
		p.Draw(ym, f, y0, y1, s-1e-6, nil)
		for i := range yp {
			yp[i] = (yp[i] - ym[i]) / 2e-6
		}
		// ψ is linear in s: the difference quotient is exact up to round-off 1e-16/1e-6.
		if d := cmp.Diff(yp, us, cmpopts.EquateApprox(0, 1e-8)); d != "" {
			t.Errorf("s=%v: dψ/ds vs u:\n%s", s, d)
		}
	}
}

// TestSpectrumPipeline checks each stage on a known spectrum.
func TestSpectrumPipeline(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 5
	q := randOrtho(rng, n)
	y1 := randVec(rng, n, 1)
	raw := []float64{0, 0, 1, 4, 100}
	h := withSpectrum(q, raw)
	ln100 := math.Log(100)
	// Jacobi's eigenvalues are accurate to ~1e-14·λ_max; 1e-12 relative + absolute.
	opt := cmpopts.EquateApprox(1e-12, 1e-12)
	for _, tc := range []struct {
		name   string
		f      func(*Config)
		lambda []float64
		kappa  float64
		nnull  int
	}{
		{"interpolant", func(c *Config) {}, []float64{0, 0, ln100, 4 * ln100, 100 * ln100}, ln100, 2},
		{"interpolant-alpha2", func(c *Config) { c.Alpha = 2 }, []float64{0, 0, ln100 / 2, 2 * ln100, 50 * ln100}, ln100, 2},
		{"hyperbolize", func(c *Config) { c.Hyperbolize = true; c.Priority = PriorityNone }, []float64{1, 1, 1, 4, 100}, 1, 0},
		{"condition10", func(c *Config) { c.Condition = 10; c.Priority = PriorityNone; c.Alpha = 0.5 }, []float64{0, 0, 1, 2, 10}, 0.5, 2},
		{"condition-not-needed", func(c *Config) { c.Condition = 1000; c.Priority = PriorityNone }, []float64{0, 0, 1, 4, 100}, 1, 2},
		{"data", func(c *Config) { c.Priority = PriorityData; c.Alpha = 1.5 }, nil, 1.5 * ln100, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Default()
			tc.f(&cfg)
			pl := Pipeline{Config: cfg}
			sp, err := pl.Spectrum(h, y1)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.lambda
			if want == nil { // data priority: λ_min = ln(||y1||/ε)/T
				lm := math.Log(norm(y1)/cfg.Epsilon) / cfg.Horizon
				want = []float64{0, 0, lm, 4 * lm, 100 * lm}
			}
			if d := cmp.Diff(want, sp.Lambda, opt); d != "" {
				t.Errorf("eigenvalues:\n%s", d)
			}
			if math.Abs(sp.Kappa-tc.kappa) > 1e-12*tc.kappa || sp.NNull != tc.nnull {
				t.Errorf("κ = %v, null = %d; want %v, %d", sp.Kappa, sp.NNull, tc.kappa, tc.nnull)
			}
			for i := range n {
				if sp.Null[i] {
					if sp.R[i] != 0 || sp.D[i] != 0 || sp.VInf[i] != 0 {
						t.Errorf("null coordinate %d has r, d, v∞ = %v, %v, %v", i, sp.R[i], sp.D[i], sp.VInf[i])
					}
					continue
				}
				if math.Abs(sp.R[i]-sp.Lambda[i]/sp.Kappa) > 1e-15*sp.R[i] {
					t.Errorf("r[%d] = %v ≠ λ/κ", i, sp.R[i])
				}
				// Lyapunov: 2λ v∞ = d (HΣ∞ + Σ∞H = D in the eigenbasis).
				if math.Abs(2*sp.Lambda[i]*sp.VInf[i]-sp.D[i]) > 1e-14*sp.D[i] {
					t.Errorf("coordinate %d: 2λv∞ = %v, d = %v", i, 2*sp.Lambda[i]*sp.VInf[i], sp.D[i])
				}
				if math.Abs(sp.VInf[i]-cfg.Sigma*cfg.Sigma) > 1e-15 {
					t.Errorf("isotropic v∞[%d] = %v, want σ²", i, sp.VInf[i])
				}
			}
			if tc.name == "interpolant-alpha2" {
				if r := sp.R[2]; math.Abs(r-0.5) > 1e-12 {
					t.Errorf("r_min = %v, want 1/α = 0.5", r)
				}
			}
		})
	}
	// Anisotropic: v∞_i = σ² λ_min/λ_i, largest along the softest direction.
	cfg := Default()
	cfg.Stationary = StationaryAnisotropic
	cfg.Priority = PriorityNone
	pl := Pipeline{Config: cfg}
	sp, err := pl.Spectrum(h, y1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]float64{0, 0, 0.01, 0.0025, 0.0001}, sp.VInf, opt); d != "" {
		t.Errorf("anisotropic v∞:\n%s", d)
	}
}

func TestSpectrumErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 4
	q := randOrtho(rng, n)
	y1 := randVec(rng, n, 1)
	good := withSpectrum(q, []float64{0, 1, 2, 3})
	nan := append([]float64(nil), good...)
	nan[5] = math.NaN()
	asym := append([]float64(nil), good...)
	asym[1] += 0.5
	for _, tc := range []struct {
		name string
		h    []float64
		y1   []float64
		f    func(*Config)
		want string
	}{
		{"negative", withSpectrum(q, []float64{-1e-3, 1, 2, 3}), y1, nil, "negative eigenvalue"},
		{"nan", nan, y1, nil, "not finite"},
		{"nan-y1", good, []float64{0, math.NaN(), 0, 0}, nil, "not finite"},
		{"dims", good, []float64{1, 2, 3}, nil, "want 3×3"},
		{"asym", asym, y1, nil, "not symmetric"},
		{"zero", make([]float64, 16), y1, nil, "not positive"},
		{"alpha", good, y1, func(c *Config) { c.Alpha = 0 }, "alpha"},
		{"K", good, y1, func(c *Config) { c.Condition = 0.5 }, "condition"},
		{"eps0", good, y1, func(c *Config) { c.Epsilon = 0 }, "epsilon"},
		{"eps1", good, y1, func(c *Config) { c.Epsilon = 1 }, "epsilon"},
		{"delta", good, y1, func(c *Config) { c.Delta = 1 }, "delta"},
		{"deltaneg", good, y1, func(c *Config) { c.Delta = -0.1 }, "delta"},
		{"scheme", good, y1, func(c *Config) { c.Scheme = "weird" }, "scheme"},
		{"data-near", good, []float64{1e-4, 0, 0, 0}, func(c *Config) { c.Priority = PriorityData }, "data priority"},
	} {
		cfg := Default()
		if tc.f != nil {
			tc.f(&cfg)
		}
		pl := Pipeline{Config: cfg}
		_, err := pl.Spectrum(tc.h, tc.y1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// Spectra names the failing sample, the lowest one.
	pl := Pipeline{Config: Default()}
	bad := withSpectrum(q, []float64{-1, 1, 2, 3})
	hs := [][]float64{good, good, bad, bad}
	_, err := pl.Spectra([][]float64{y1, y1, y1, y1}, func(i int, _, h []float64) error { copy(h, hs[i]); return nil }, 2)
	if err == nil || !strings.HasPrefix(err.Error(), "sample 2:") || !errors.Is(err, ErrHessian) {
		t.Errorf("Spectra error %v, want one starting with \"sample 2:\" wrapping ErrHessian", err)
	}
}

// TestSpectraDeterministic: the cache is bit-identical for any worker count.
func TestSpectraDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	n := 6
	var y1s, hs [][]float64
	for range 9 {
		y1s = append(y1s, randVec(rng, n, 1))
		hs = append(hs, withSpectrum(randOrtho(rng, n), []float64{0, 0.5, 1, 2, 3, 8}))
	}
	hf := func(i int, _, h []float64) error { copy(h, hs[i]); return nil }
	pl := Pipeline{Config: Default()}
	a, err := pl.Spectra(y1s, hf, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pl.Spectra(y1s, hf, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b, cmp.AllowUnexported(Spectrum{})); d != "" {
		t.Errorf("1 vs 3 workers differ:\n%s", d)
	}
}

func TestProjectHyperbolic(t *testing.T) {
	tc := pathCases()[3] // two null eigenvalues
	sp, _, _, rng := buildCase(t, tc, 4)
	n := sp.N
	v := randVec(rng, n, 1)
	pv, ppv := make([]float64, n), make([]float64, n)
	ProjectHyperbolic(pv, v, sp)
	ProjectHyperbolic(ppv, pv, sp)
	// P is a projection: idempotent, kills null vectors, keeps hyperbolic ones.
	opt := cmpopts.EquateApprox(0, 1e-14)
	if d := cmp.Diff(pv, ppv, opt); d != "" {
		t.Errorf("P_h not idempotent:\n%s", d)
	}
	for i := range n {
		col := make([]float64, n)
		for j := range n {
			col[j] = sp.Q[j*n+i]
		}
		ProjectHyperbolic(pv, col, sp)
		want := col
		if sp.Null[i] {
			want = make([]float64, n)
		}
		if d := cmp.Diff(want, pv, opt); d != "" {
			t.Errorf("P_h q_%d (null=%v):\n%s", i, sp.Null[i], d)
		}
	}
}

func TestZeroCOMBase(t *testing.T) {
	b, err := NewZeroCOMBase(13, 3, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	y := make([]float64, 39)
	b.Sample(rng, y)
	for k := range 3 {
		var m float64
		for i := range 13 {
			m += y[i*3+k]
		}
		if math.Abs(m) > 1e-14 {
			t.Errorf("centre of mass %d = %v", k, m)
		}
	}
	var q float64
	for _, x := range y {
		q += x * x
	}
	want := -0.5*q/0.64 - 18*math.Log(2*math.Pi*0.64)
	if got := b.LogDensity(y); math.Abs(got-want) > 1e-12 {
		t.Errorf("log p0 = %v, want %v", got, want)
	}
	// The σ0 = 1 normaliser is 18 ln 2π ≈ 33.08 nats (§6).
	if c := (ZeroCOMBase{13, 3, 1}).LogNormalizer(); math.Abs(c-33.0818) > 1e-4 {
		t.Errorf("normaliser %v, want ≈ 33.0818", c)
	}
	// Shifting all particles does not change the subspace density.
	y2 := append([]float64(nil), y...)
	for i := range y2 {
		y2[i] += float64(i%3 + 1)
	}
	if math.Abs(b.LogDensity(y2)-b.LogDensity(y)) > 1e-12 {
		t.Error("log density depends on the centre of mass")
	}
}

func TestDrawAllocatesNothing(t *testing.T) {
	tc := pathCases()[0]
	sp, _, y1, rng := buildCase(t, tc, 5)
	p := NewHIFMPath(tc.cfg)
	y0 := randVec(rng, sp.N, 1)
	ys, us := make([]float64, sp.N), make([]float64, sp.N)
	if a := testing.AllocsPerRun(10, func() { p.Draw(ys, us, y0, y1, 0.3, sp) }); a != 0 {
		t.Errorf("Draw allocates %v times", a)
	}
}

// TestSpectraWorkspace: Spectra's per-sample step (eigensolver workspace
// reused from sample to sample) gives the Spectrum of a fresh Pipeline.Spectrum
// bit for bit and allocates only what it returns: the Spectrum and its 8
// slices (Q, Raw, Lambda, Null, R, D, VInf, QtY1).
func TestSpectraWorkspace(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pl := Pipeline{Config: Default()}
	w := eig.NewWorkspace(39)
	h := make([]float64, 39*39)
	for range 3 {
		y1 := lj13Like(rng)
		f, err := energy.NewFormation(y1, 13, 3, energy.CompleteGraph)
		if err != nil {
			t.Fatal(err)
		}
		f.Hessian(y1, h)
		want, err := pl.Spectrum(h, y1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pl.spectrum(h, y1, w)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got, cmp.AllowUnexported(Spectrum{})); d != "" {
			t.Fatalf("with a reused workspace the spectrum differs:\n%s", d)
		}
		if a := testing.AllocsPerRun(5, func() { _, _ = pl.spectrum(h, y1, w) }); a != 9 {
			t.Errorf("a spectrum allocates %v times, want 9 (the Spectrum and its slices)", a)
		}
	}
}

// TestBlowUpNearOne: with α > 1 (r_min = 1/α < 1) the field m'(s) grows
// like (1 − s)^{r−1} as s → 1 and is infinite at s = 1; α = 1 stays finite.
// This is why the finite scheme samples s ∈ [0, 1−δ] (HIFM-MATH §3).
func TestBlowUpNearOne(t *testing.T) {
	for _, alpha := range []float64{1, 1.5} {
		cfg := Default()
		cfg.Alpha, cfg.Delta = alpha, 0
		sp, _, y1, rng := buildCase(t, testCase{"blowup", cfg, []float64{1, 2, 3}}, 81)
		p := NewHIFMPath(cfg)
		y0 := randVec(rng, 3, 1)
		ys, us := make([]float64, 3), make([]float64, 3)
		var norms []float64
		for _, s := range []float64{1 - 1e-2, 1 - 1e-4, 1 - 1e-6, 1} {
			p.Draw(ys, us, y0, y1, s, sp)
			norms = append(norms, norm(us))
		}
		if alpha == 1 {
			// r_min = 1: m' → −m(0) along the softest direction, finite.
			if math.IsInf(norms[3], 0) || math.IsNaN(norms[3]) || norms[2] > 10*norms[0] {
				t.Errorf("α = 1: |u| = %v, want bounded", norms)
			}
		} else {
			// r_min = 2/3: |u| ~ (1−s)^{−1/3}, ×100^{1/3} ≈ 4.6 per two decades, Inf at 1.
			if !(norms[1] > 4*norms[0] && norms[2] > 4*norms[1] && math.IsInf(norms[3], 1)) {
				t.Errorf("α = 1.5: |u| = %v, want growth ~(1−s)^(−1/3) and +Inf at s = 1", norms)
			}
		}
	}
}

// TestNullSpaceReadings: along the null space (HIFM-MATH §4) the field is
// zero in every reading, and the sampled null coordinates z_0 = Q_0ᵀ(y_s − y1)
// are the base's (invariant: −Q_0ᵀy1 + Q_0ᵀy0), the base's scaled to the
// stationary σ at the target (conjugate: (σ/σ_0)·Q_0ᵀy0), or zero
// (projected), for every s.
func TestNullSpaceReadings(t *testing.T) {
	for _, ns := range []NullSpace{NullSpaceInvariant, NullSpaceConjugate, NullSpaceProjected} {
		t.Run(string(ns), func(t *testing.T) {
			cfg := Default()
			cfg.Sigma0, cfg.Sigma, cfg.NullSpace = 0.7, 0.2, ns
			sp, _, y1, rng := buildCase(t, testCase{name: string(ns), cfg: cfg, lam: []float64{0, 0, 1, 3, 9}}, 7)
			if sp.NNull != 2 {
				t.Fatalf("%d null directions, want 2", sp.NNull)
			}
			n := sp.N
			p := NewHIFMPath(cfg)
			y0 := randVec(rng, n, cfg.Sigma0)
			ys, us, d := make([]float64, n), make([]float64, n), make([]float64, n)
			for _, s := range []float64{0, 0.4, 0.99} {
				p.Draw(ys, us, y0, y1, s, sp)
				for i := range d {
					d[i] = ys[i] - y1[i]
				}
				var got, want, field []float64
				for i := range n {
					if !sp.Null[i] {
						continue
					}
					got = append(got, sp.proj(i, d))
					field = append(field, sp.proj(i, us))
					switch ns {
					case NullSpaceInvariant:
						want = append(want, -sp.QtY1[i]+sp.proj(i, y0))
					case NullSpaceConjugate:
						want = append(want, cfg.Sigma/cfg.Sigma0*sp.proj(i, y0))
					case NullSpaceProjected:
						want = append(want, 0)
					}
				}
				// O(n) dot products of O(1) terms: 1e-13 absolute.
				if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-13)); diff != "" {
					t.Errorf("s=%v null coordinates of y_s − y1 (-want +got):\n%s", s, diff)
				}
				if diff := cmp.Diff([]float64{0, 0}, field, cmpopts.EquateApprox(0, 1e-13)); diff != "" {
					t.Errorf("s=%v null coordinates of u (-want +got):\n%s", s, diff)
				}
			}
		})
	}
	bad := Default()
	bad.NullSpace = "orbit"
	if err := bad.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("null_space %q: err = %v, want ErrConfig", bad.NullSpace, err)
	}
}

// TestIsotropicSpectrumInto: rebuilding an isotropic spectrum in place
// (the trainer's per-batch path) gives exactly a fresh spectrum's result
// whatever the reused struct held before, for every priority (the data
// priority depends on ||y1||), and allocates nothing once warm.
func TestIsotropicSpectrumInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sp Spectrum
	for _, pr := range []Priority{PriorityData, PriorityInterpolant, PriorityNone, PriorityData} {
		c := Default()
		c.Priority = pr
		pl := &Pipeline{Config: c}
		for range 2 {
			y1 := make([]float64, 12)
			for i := range y1 {
				y1[i] = rng.NormFloat64()
			}
			want := new(Spectrum)
			if err := pl.IsotropicSpectrumInto(want, 2.5, y1); err != nil {
				t.Fatal(err)
			}
			if err := pl.IsotropicSpectrumInto(&sp, 2.5, y1); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, &sp, cmp.AllowUnexported(Spectrum{})); d != "" {
				t.Fatalf("priority %s: in-place spectrum differs: %s", pr, d)
			}
			if a := testing.AllocsPerRun(5, func() { _ = pl.IsotropicSpectrumInto(&sp, 2.5, y1) }); a != 0 {
				t.Errorf("priority %s: %v allocations per rebuild", pr, a)
			}
		}
	}
	if err := (&Pipeline{Config: Default()}).IsotropicSpectrumInto(&sp, -1, make([]float64, 3)); err == nil {
		t.Error("λ = −1 accepted")
	}
}

// TestWrongLengthPanicsWithShapeError: the error policy (docs/CONTRIBUTING.md,
// "Errors"): a slice of the wrong length is a *tensor.ShapeError panic that
// tensor.Catch turns into an error naming the method.
func TestWrongLengthPanicsWithShapeError(t *testing.T) {
	p := OTPath{SigmaMin: 0.01, Sigma0: 1}
	b := GaussianBase{N: 3, Sigma0: 1}
	for name, f := range map[string]func(){
		"flow.GaussianBase.LogDensity": func() { b.LogDensity(make([]float64, 2)) },
		"flow.OTPath.Mean":             func() { p.Mean(make([]float64, 2), make([]float64, 3), 0.5, nil) },
	} {
		err := tensor.Catch(f)
		var se *tensor.ShapeError
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), name+": shape mismatch (2) vs (3)") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
