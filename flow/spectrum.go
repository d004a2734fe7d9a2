package flow

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hifm-go/hifm/eig"
)

// Spectrum is the processed eigen-decomposition of one data sample's
// Hessian, everything the HI-FM path needs about y1 (HIFM-MATH §2–4):
// H = Q diag(Lambda) Qᵀ after null split, hyperbolization, condition-number
// rescale and priority scaling, the rate κ, the exponents r_i = λ_i/κ, the
// diffusion d_i and the stationary variances v_i^∞ = d_i/(2λ_i).
//
// Null-space directions (Null[i]) have λ_i = r_i = d_i = v_i^∞ = 0: they
// keep their base value and variance for all s (§4).
type Spectrum struct {
	N int
	// Q is the row-major n×n matrix whose column k is eigenvector k, or nil
	// for the identity (isotropic spectra, e.g. MNIST's H = λI, §3.1).
	Q []float64
	// Raw holds the eigenvalues of the input Hessian, ascending.
	Raw []float64
	// Lambda holds the processed eigenvalues, ascending, 0 on a kept null space.
	Lambda []float64
	Null   []bool
	NNull  int
	// LambdaMin is the smallest non-zero processed eigenvalue.
	LambdaMin float64
	// Kappa is κ of ds/dt = κ(1 − s) (Eq. 21).
	Kappa float64
	R     []float64 // r_i = λ_i/κ
	D     []float64 // d_i: D = Q diag(d) Qᵀ
	VInf  []float64 // v_i^∞ = d_i/(2λ_i)
	// QtY1 is Qᵀy1, so that m_i(0) = q_iᵀ(μ_0 − y1) = −QtY1[i] (μ_0 = 0).
	QtY1 []float64
	// nullSpace and nullVar are the reading of the null coordinates
	// (Config.NullSpace) and, for NullSpaceConjugate, their variance σ².
	nullSpace NullSpace
	nullVar   float64
	// uniform is set when every coordinate has the same (r, v^∞): then
	// Q diag(·) Qᵀ is a multiple of I and draws cost O(n).
	uniform bool
}

// Pipeline turns Hessians into Spectra (HIFM-MATH §3.1, §4; Algorithm 1's
// precompute step): eig.Sym (tridiagonal QL, Jacobi for graded matrices) → null/hyperbolic split (τ) → optional
// hyperbolize → condition-number rescale (K) → priority scaling (α, ε, T)
// → diffusion (isotropic or anisotropic, σ²).
type Pipeline struct {
	Config Config
	// Eig are the eigensolver options (nil: eig defaults).
	Eig *eig.Options
}

// ErrHessian marks a Hessian the pipeline cannot use.
var ErrHessian = errors.New("flow: bad Hessian")

// Spectrum processes the symmetric n×n Hessian h of the data sample y1
// (length n). h is not modified.
func (p *Pipeline) Spectrum(h, y1 []float64) (*Spectrum, error) {
	return p.spectrum(h, y1, nil)
}

// spectrum is Spectrum with the eigensolver's scratch memory w (nil: a new
// one; else w.N() must be len(y1)): Spectra reuses one per worker, so that
// a sample allocates only the Spectrum it returns.
func (p *Pipeline) spectrum(h, y1 []float64, w *eig.Workspace) (*Spectrum, error) {
	c := &p.Config
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Kind != PathHIFM {
		return nil, cfgErr("spectra are only defined for path \"hifm\", not %q", c.Kind)
	}
	n := len(y1)
	if n == 0 {
		return nil, errors.New("flow: empty sample y1")
	}
	if len(h) != n*n {
		return nil, fmt.Errorf("%w: %d entries, want %d×%d for a sample of length %d", ErrHessian, len(h), n, n, n)
	}
	if i := firstNonFinite(y1); i >= 0 {
		return nil, fmt.Errorf("flow: y1[%d] = %v is not finite", i, y1[i])
	}
	if i := firstNonFinite(h); i >= 0 {
		return nil, fmt.Errorf("%w: entry (%d,%d) = %v is not finite", ErrHessian, i/n, i%n, h[i])
	}
	if w == nil {
		w = eig.NewWorkspace(n)
	}
	res := new(eig.Result) // its slices become the Spectrum's Q and Raw
	if err := w.Sym(res, h, p.Eig); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrHessian, err)
	}
	sp := &Spectrum{N: n, Q: res.Vectors, Raw: res.Values}
	if err := sp.process(c, y1); err != nil {
		return nil, err
	}
	return sp, nil
}

// IsotropicSpectrumInto writes into sp the spectrum of H = λI on R^n,
// without an eigen-decomposition (Q = identity, stored as nil): MNIST's
// choice (§3.1). It reuses sp's slices when they are long enough (the
// trainer draws a fresh isotropic spectrum for every sample of every
// batch, and this keeps the step free of allocations); the result does not
// depend on what sp held before (new(Spectrum) for a fresh one).
func (p *Pipeline) IsotropicSpectrumInto(sp *Spectrum, lambda float64, y1 []float64) error {
	c := &p.Config
	if err := c.Validate(); err != nil {
		return err
	}
	if !finitePos(lambda) {
		return fmt.Errorf("%w: isotropic λ = %v, want > 0", ErrHessian, lambda)
	}
	n := len(y1)
	if i := firstNonFinite(y1); i >= 0 {
		return fmt.Errorf("flow: y1[%d] = %v is not finite", i, y1[i])
	}
	*sp = Spectrum{N: n, Raw: reuse(sp.Raw, n), Lambda: sp.Lambda, Null: sp.Null, R: sp.R, D: sp.D, VInf: sp.VInf, QtY1: sp.QtY1}
	for i := range sp.Raw {
		sp.Raw[i] = lambda
	}
	return sp.process(c, y1)
}

// reuse returns s[:n] zeroed, or a new slice when s is too short.
func reuse[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func firstNonFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}

// process applies the §3.1/§4 steps to sp.Raw.
func (sp *Spectrum) process(c *Config, y1 []float64) error {
	n := sp.N
	raw := sp.Raw
	lmax := raw[n-1]
	if !(lmax > 0) {
		return fmt.Errorf("%w: largest eigenvalue %v is not positive (no hyperbolic directions)", ErrHessian, lmax)
	}
	// Null/hyperbolic split, §4 **[choice]**: λ_i ≤ τ·λ_max is null;
	// λ_i < −τ·λ_max means the sample is not at a minimum.
	tol := c.NullTol * lmax
	if raw[0] < -tol {
		return fmt.Errorf("%w: negative eigenvalue %.6g below −τ·λ_max = %.3g (τ = null_tol = %g): y1 is not a minimum of the energy",
			ErrHessian, raw[0], -tol, c.NullTol)
	}
	sp.Lambda = reuse(sp.Lambda, n)
	sp.Null = reuse(sp.Null, n)
	lmin := math.Inf(1)
	for i, l := range raw {
		if l <= tol {
			sp.Null[i] = true
			sp.NNull++
		} else {
			sp.Lambda[i] = l
			lmin = math.Min(lmin, l)
		}
	}
	// Hyperbolize (§4): every null eigenvalue becomes λ_min.
	if c.Hyperbolize {
		for i := range sp.Null {
			if sp.Null[i] {
				sp.Null[i] = false
				sp.Lambda[i] = lmin
			}
		}
		sp.NNull = 0
	}
	// Condition number (§4 **[choice]**): λ ← λ_min (λ/λ_min)^p with
	// p = ln K / ln(λ_max/λ_min), so λ_max ↦ K·λ_min and the order is kept.
	if K := c.Condition; K > 0 && lmax/lmin > K {
		pw := math.Log(K) / math.Log(lmax/lmin)
		for i, l := range sp.Lambda {
			if !sp.Null[i] {
				sp.Lambda[i] = lmin * math.Pow(l/lmin, pw)
			}
		}
	}
	// Priority (§3.1, Table 1).
	var scale float64
	switch c.Priority {
	case PriorityInterpolant:
		sp.Kappa = math.Log(1/c.Epsilon) / c.Horizon
		scale = sp.Kappa / c.Alpha / lmin
	case PriorityData:
		dist := norm(y1) // ||μ_0 − y1||, μ_0 = 0
		if dist <= c.Epsilon {
			return fmt.Errorf("flow: data priority needs ||μ_0 − y1|| = %g > ε = %g (the Eq. 20 bound is already below ε)", dist, c.Epsilon)
		}
		scale = math.Log(dist/c.Epsilon) / c.Horizon / lmin
		sp.Kappa = c.Alpha * math.Log(1/c.Epsilon) / c.Horizon
	case PriorityNone:
		scale = 1
		sp.Kappa = c.Alpha * lmin
	}
	sp.LambdaMin = lmin * scale
	for i := range sp.Lambda {
		sp.Lambda[i] *= scale
	}
	// r_i and diffusion (§4): isotropic d_i = 2σ²λ_i, anisotropic d_i = 2σ²λ_min.
	sp.R = reuse(sp.R, n)
	sp.D = reuse(sp.D, n)
	sp.VInf = reuse(sp.VInf, n)
	s2 := c.Sigma * c.Sigma
	for i, l := range sp.Lambda {
		if sp.Null[i] {
			continue
		}
		sp.R[i] = l / sp.Kappa
		switch c.Stationary {
		case StationaryIsotropic:
			sp.D[i] = 2 * s2 * l
			sp.VInf[i] = s2
		case StationaryAnisotropic:
			sp.D[i] = 2 * s2 * sp.LambdaMin
			sp.VInf[i] = s2 * sp.LambdaMin / l
		}
	}
	sp.nullSpace, sp.nullVar = c.NullSpace, s2
	sp.QtY1 = reuse(sp.QtY1, n)
	sp.qt(sp.QtY1, y1)
	sp.uniform = true
	for i := range n {
		if sp.R[i] != sp.R[0] || sp.VInf[i] != sp.VInf[0] || sp.Null[i] != sp.Null[0] {
			sp.uniform = false
			break
		}
	}
	return nil
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// qt sets dst = Qᵀx.
func (sp *Spectrum) qt(dst, x []float64) {
	if sp.Q == nil {
		copy(dst, x)
		return
	}
	n := sp.N
	clear(dst)
	for j, xj := range x {
		row := sp.Q[j*n : (j+1)*n]
		for k, q := range row {
			dst[k] += q * xj
		}
	}
}

// HessianFunc writes the Hessian of sample i (its data vector y1) into h (n×n).
type HessianFunc func(i int, y1, h []float64) error

// Spectra computes the spectrum of every sample in parallel: the cache of
// Algorithm 1's precompute step (HIFM-MATH §5). Each sample is independent,
// so the result is the same for any number of workers (≤ 0: GOMAXPROCS).
// On failure the error of the lowest failing index is returned, naming it.
func (p *Pipeline) Spectra(y1s [][]float64, hess HessianFunc, workers int) ([]*Spectrum, error) {
	if err := p.Config.Validate(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(y1s))
	out := make([]*Spectrum, len(y1s))
	errs := make([]error, len(y1s))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h []float64
			var w *eig.Workspace
			for {
				i := int(next.Add(1)) - 1
				if i >= len(y1s) {
					return
				}
				n := len(y1s[i])
				if cap(h) < n*n {
					h = make([]float64, n*n)
				}
				h = h[:n*n]
				if err := hess(i, y1s[i], h); err != nil {
					errs[i] = err
					continue
				}
				if w == nil || w.N() != n {
					w = eig.NewWorkspace(n)
				}
				out[i], errs[i] = p.spectrum(h, y1s[i], w)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
	}
	return out, nil
}
