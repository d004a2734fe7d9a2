// Package flow implements the conditional probability paths of HI-FM and
// of the optimal-transport baseline (HIFM-MATH §1–4), the per-sample
// Hessian spectrum pipeline that parametrises HI-FM (§3.1, §4), the
// zero-centre-of-mass base of particle systems (§4), the likelihood and
// sampling integrators (§6) and the analytic Gaussian marginal fields used
// as exact references (§7).
//
// The layout follows Meta's flow_matching and TorchCFM: a Config holds every
// **[choice]** of HIFM-MATH as a named option; a Pipeline turns a Hessian
// into a Spectrum once per data sample; a Path draws (y_s, u_s) for
// (y0, y1, s) into caller buffers and exposes the conditional mean and
// covariance; a Field is anything with a velocity and a divergence, which
// the likelihood integrator consumes.
package flow

import (
	"errors"
	"fmt"
	"math"
)

// PathKind selects the conditional path.
type PathKind string

const (
	PathHIFM PathKind = "hifm" // Hessian-informed path, HIFM-MATH §2–3
	PathOT   PathKind = "ot"   // optimal-transport path, Eq. 18 (§1.1)
)

// Scheme selects the training time variable (HIFM-MATH §3, "Training schemes").
type Scheme string

const (
	// SchemeFinite learns v(y, s) on s ∈ [0, 1−δ] with the field of Eq. 22 (default).
	SchemeFinite Scheme = "finite"
	// SchemeInfinite learns v(y, t) with Eq. 17 on t = t(s) ∈ [0, ∞).
	SchemeInfinite Scheme = "infinite"
)

// Priority selects how κ and the spectrum scale are set (HIFM-MATH §3.1, Table 1).
type Priority string

const (
	// PriorityInterpolant: κ = ln(1/ε)/T and the spectrum is scaled so that
	// λ_min = κ/α, hence r_min = 1/α for every sample.
	PriorityInterpolant Priority = "interpolant"
	// PriorityData: the spectrum is scaled per sample so that
	// λ_min = ln(||μ_0 − y1||/ε)/T, and κ = α ln(1/ε)/T.
	PriorityData Priority = "data"
	// PriorityNone: κ = α·λ_min with the spectrum unscaled.
	PriorityNone Priority = "none"
)

// Stationary selects the diffusion D = Q diag(d) Qᵀ (HIFM-MATH §4).
type Stationary string

const (
	// StationaryIsotropic: d_i = 2σ²λ_i, so v_i^∞ = σ².
	StationaryIsotropic Stationary = "isotropic"
	// StationaryAnisotropic: d_i = 2σ²λ_min, so v_i^∞ = σ²λ_min/λ_i.
	StationaryAnisotropic Stationary = "anisotropic"
)

// NullSpace selects what the conditional path does along the null space of
// the Hessian (HIFM-MATH §4, paper §4.3's two priorities) when it is not
// hyperbolized. In every reading the null coordinates have λ = r = d = 0, so
// the target field is zero there; the readings differ in where the sampled
// path puts those coordinates. **[choice]**: the paper's text allows each.
type NullSpace string

const (
	// NullSpaceInvariant ("Invariant Distribution", the default): null
	// coordinates keep the base sample's value and variance σ_0² for all s,
	// so the base is the same invariant law for every y1 and "stationary
	// null-space dynamics are experienced in areas other than the equilibria".
	NullSpaceInvariant NullSpace = "invariant"
	// NullSpaceConjugate ("Topological Conjugacy"): null coordinates start
	// and stay at the target, mean Q_0ᵀy1 and variance σ² (the stationary σ
	// of the hyperbolic directions), so the null space is only experienced
	// at the target; the path's s = 0 law then differs from the base there.
	NullSpaceConjugate NullSpace = "conjugate"
	// NullSpaceProjected: the projection acts on the sampled path too, not
	// only on the loss: y_s lies in y1 + span(Q_h) (null variance 0).
	NullSpaceProjected NullSpace = "projected"
)

// Config holds every option of the paths. Its JSON form is the schema of
// `hifm crosscheck path -config` (docs/CROSSCHECK.md); every key is optional
// and Default gives the values of a missing key.
type Config struct {
	Kind PathKind `json:"path"`

	// SigmaMin is σ_min of the OT path (Eq. 18).
	SigmaMin float64 `json:"sigma_min"`

	Scheme Scheme `json:"scheme"`
	// Alpha is α = κ/λ_min (HIFM-MATH §3, Table 1: 0.5, 1.0, 1.5).
	Alpha    float64  `json:"alpha"`
	Priority Priority `json:"priority"`
	// Epsilon is the tolerance ε ∈ (0,1) of the priorities (§3.1).
	Epsilon float64 `json:"epsilon"`
	// Horizon is T > 0 of the priorities (§3.1, T = 1).
	Horizon float64 `json:"horizon"`
	// Hyperbolize replaces every null eigenvalue by λ_min (§4).
	Hyperbolize bool `json:"hyperbolize"`
	// NullTol is τ: eigenvalues λ_i < τ·λ_max form the null space (§4,
	// **[choice]** τ = 1e-8). Eigenvalues below −τ·λ_max are an error.
	NullTol float64 `json:"null_tol"`
	// Condition is K: if λ_max/λ_min > K the non-zero spectrum is rescaled
	// geometrically (§4 **[choice]**); 0 means no rescaling, else K ≥ 1.
	Condition  float64    `json:"condition"`
	Stationary Stationary `json:"stationary"`
	// Sigma is σ of the stationary law (§4: v^∞ = σ² isotropic).
	Sigma float64 `json:"sigma"`
	// Sigma0 is the base standard deviation: base N(0, σ_0² I), c_i = σ_0².
	// The base mean μ_0 is 0.
	Sigma0 float64 `json:"sigma0"`
	// Delta is δ: the finite scheme samples s ∈ [0, 1−δ] so that m_i'(s)
	// stays finite when r_i < 1 (§3 **[choice]**, default 1e-5).
	Delta float64 `json:"delta"`
	// Project matches only in the hyperbolic space, L = ||P_h(v_θ − u)||²
	// with P_h = Q_h Q_hᵀ per sample (§4 "Projection", Table 2). A loss
	// option: it does not change the path (crosscheck path ignores it).
	Project bool `json:"project"`
	// NullSpace is the reading of the null-space path when it is kept
	// (Hyperbolize off; §4 **[choice]**, default NullSpaceInvariant; "" means
	// the default).
	NullSpace NullSpace `json:"null_space"`
}

// Default returns the default configuration (the defaults of the issue and
// of docs/CROSSCHECK.md).
func Default() Config {
	return Config{
		Kind:       PathHIFM,
		SigmaMin:   0.001,
		Scheme:     SchemeFinite,
		Alpha:      1,
		Priority:   PriorityInterpolant,
		Epsilon:    0.01,
		Horizon:    1,
		NullTol:    1e-8,
		Condition:  0,
		Stationary: StationaryIsotropic,
		Sigma:      0.1,
		Sigma0:     1,
		Delta:      1e-5,
		NullSpace:  NullSpaceInvariant,
	}
}

// ErrConfig marks an invalid configuration.
var ErrConfig = errors.New("flow: invalid config")

func cfgErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

func finitePos(x float64) bool { return x > 0 && !math.IsInf(x, 0) }

// Validate reports the first invalid option.
func (c *Config) Validate() error {
	switch c.Kind {
	case PathHIFM, PathOT:
	default:
		return cfgErr("path %q: want \"hifm\" or \"ot\"", c.Kind)
	}
	if !(c.SigmaMin >= 0 && c.SigmaMin < 1) {
		return cfgErr("sigma_min = %v: want 0 ≤ σ_min < 1", c.SigmaMin)
	}
	if !finitePos(c.Sigma0) {
		return cfgErr("sigma0 = %v: want a finite value > 0", c.Sigma0)
	}
	if !(c.Delta >= 0 && c.Delta < 1) {
		return cfgErr("delta = %v: want 0 ≤ δ < 1", c.Delta)
	}
	if c.Kind == PathOT {
		return nil
	}
	switch c.Scheme {
	case SchemeFinite, SchemeInfinite:
	default:
		return cfgErr("scheme %q: want \"finite\" or \"infinite\"", c.Scheme)
	}
	if !finitePos(c.Alpha) {
		return cfgErr("alpha = %v: want α > 0", c.Alpha)
	}
	switch c.Priority {
	case PriorityInterpolant, PriorityData, PriorityNone:
	default:
		return cfgErr("priority %q: want \"interpolant\", \"data\" or \"none\"", c.Priority)
	}
	if !(c.Epsilon > 0 && c.Epsilon < 1) {
		return cfgErr("epsilon = %v: want 0 < ε < 1", c.Epsilon)
	}
	if !finitePos(c.Horizon) {
		return cfgErr("horizon = %v: want T > 0", c.Horizon)
	}
	if !(c.NullTol >= 0 && c.NullTol < 1) {
		return cfgErr("null_tol = %v: want 0 ≤ τ < 1", c.NullTol)
	}
	if c.Condition != 0 && !(c.Condition >= 1 && !math.IsInf(c.Condition, 0)) {
		return cfgErr("condition = %v: want K ≥ 1, or 0 for no rescaling", c.Condition)
	}
	switch c.Stationary {
	case StationaryIsotropic, StationaryAnisotropic:
	default:
		return cfgErr("stationary %q: want \"isotropic\" or \"anisotropic\"", c.Stationary)
	}
	if !finitePos(c.Sigma) {
		return cfgErr("sigma = %v: want σ > 0", c.Sigma)
	}
	switch c.NullSpace {
	case "", NullSpaceInvariant, NullSpaceConjugate, NullSpaceProjected:
	default:
		return cfgErr("null_space %q: want \"invariant\", \"conjugate\" or \"projected\"", c.NullSpace)
	}
	return nil
}

// SMax returns the largest s of the finite scheme, 1 − δ (HIFM-MATH §3).
func (c *Config) SMax() float64 { return 1 - c.Delta }
