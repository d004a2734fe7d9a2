package flow

import (
	"math"
	"sync"

	"github.com/hifm-go/hifm/tensor"
)

// Path is a Gaussian conditional probability path p_s(y | y1) together with
// its flow map and conditional field (HIFM-MATH §1), in the spirit of Meta's
// flow_matching Path.sample and TorchCFM's sample_xt/compute_conditional_flow.
//
// s is always the interpolant in [0, 1]. spec is the per-sample spectrum
// (ignored by the OT path, may be nil there). Outputs must not alias inputs.
// Slices of the wrong length are programming errors and panic with a
// *tensor.ShapeError; user data is validated by the callers (e.g.
// CheckBatch).
type Path interface {
	// Dim is the data dimension n (0: any).
	Dim() int
	// Draw sets ys = ψ_s(y0 | y1) (F2) and us = the conditional field at ys
	// (F1; in the infinite scheme the Eq. 17 field at t(s)). It allocates nothing.
	Draw(ys, us, y0, y1 []float64, s float64, spec *Spectrum)
	// Mean sets mu = μ_s (conditional mean).
	Mean(mu, y1 []float64, s float64, spec *Spectrum)
	// Cov sets cov (n×n, row-major) = Σ_s (conditional covariance).
	Cov(cov []float64, s float64, spec *Spectrum)
}

func mustLen(op string, v []float64, n int) {
	if len(v) != n {
		panic(&tensor.ShapeError{Op: "flow." + op, Shapes: [][]int{{len(v)}, {n}}, Msg: "wrong slice length"})
	}
}

// OTPath is the optimal-transport path of Lipman et al. (HIFM-MATH §1.1):
//
//	μ_s = s·y1, σ_s = 1 − (1 − σ_min)s, y_s = s·y1 + σ_s·y0,
//	u_s(y|y1) = (y1 − (1 − σ_min) y)/(1 − (1 − σ_min)s) = y1 − (1 − σ_min) y0   (Eq. 18)
//
// with base N(0, σ_0² I).
type OTPath struct {
	SigmaMin float64
	Sigma0   float64
}

// Dim returns 0: the OT path works in any dimension.
func (OTPath) Dim() int { return 0 }

// SigmaS returns σ_s = 1 − (1 − σ_min)s.
func (p OTPath) SigmaS(s float64) float64 { return 1 - (1-p.SigmaMin)*s }

// Draw implements Path (Eq. 18).
func (p OTPath) Draw(ys, us, y0, y1 []float64, s float64, _ *Spectrum) {
	n := len(y1)
	mustLen("OTPath.Draw", ys, n)
	mustLen("OTPath.Draw", us, n)
	mustLen("OTPath.Draw", y0, n)
	sig := p.SigmaS(s)
	b := 1 - p.SigmaMin
	for i := range n {
		ys[i] = s*y1[i] + sig*y0[i]
		us[i] = y1[i] - b*y0[i]
	}
}

// Field sets u = u_s(y | y1) of Eq. 18 at an arbitrary y.
func (p OTPath) Field(u, y, y1 []float64, s float64) {
	b := 1 - p.SigmaMin
	den := 1 - b*s
	for i := range y1 {
		u[i] = (y1[i] - b*y[i]) / den
	}
}

// Mean implements Path: μ_s = s·y1.
func (p OTPath) Mean(mu, y1 []float64, s float64, _ *Spectrum) {
	mustLen("OTPath.Mean", mu, len(y1))
	for i := range y1 {
		mu[i] = s * y1[i]
	}
}

// Cov implements Path: Σ_s = σ_s² σ_0² I (n from len(cov) = n²).
func (p OTPath) Cov(cov []float64, s float64, _ *Spectrum) {
	n := int(math.Round(math.Sqrt(float64(len(cov)))))
	mustLen("OTPath.Cov", cov, n*n)
	clear(cov)
	v := p.SigmaS(s) * p.SigmaS(s) * p.Sigma0 * p.Sigma0
	for i := range n {
		cov[i*n+i] = v
	}
}

// HIFMPath is the Hessian-informed path (HIFM-MATH §2–3): in the eigen-
// coordinates z = Qᵀ(y − y1) of the sample's processed Hessian every
// coordinate is an Ornstein–Uhlenbeck process re-timed by s(t) = 1 − e^{−κt}
// (Eq. 21), so e^{−λ_i t(s)} = (1 − s)^{r_i} and (Eq. 22)
//
//	m_i(s) = (1 − s)^{r_i} m_i(0),       m_i(0) = q_iᵀ(μ_0 − y1), μ_0 = 0
//	v_i(s) = (1 − s)^{2r_i} c + v_i^∞ (1 − (1 − s)^{2r_i}),  c = σ_0²
//
// The base is N(0, σ_0² I) (or its zero-centre-of-mass restriction: the
// formulas only use Qᵀy0, and the null directions keep their base values).
type HIFMPath struct {
	Scheme Scheme
	Sigma0 float64
}

// NewHIFMPath returns the HI-FM path of a validated config.
func NewHIFMPath(c Config) HIFMPath { return HIFMPath{Scheme: c.Scheme, Sigma0: c.Sigma0} }

// Dim returns 0: the dimension comes from the spectrum.
func (HIFMPath) Dim() int { return 0 }

// coord holds the §3 quantities of one eigen-coordinate at s.
type coord struct {
	p   float64 // (1 − s)^r, the mean factor m(s)/m(0)
	dp  float64 // d/ds of p: −r (1 − s)^{r−1}
	v   float64 // v(s)
	dv  float64 // v'(s) = −2r (1 − s)^{2r−1} (c − v^∞)
	sqv float64 // sqrt(v(s)/c), the F2 scale σ(s)/σ(0)
}

// coordAt evaluates Eq. 22 for exponent r at s. logq = ln(1 − s).
// A null coordinate (r = 0) has p = 1, v = c and zero derivatives.
func coordAt(r, vinf, c, s, logq float64) coord {
	if r == 0 {
		return coord{p: 1, v: c, sqv: 1}
	}
	var k coord
	var q1, q2 float64 // (1 − s)^{r−1} and (1 − s)^{2r−1}
	if s < 1 {
		k.p = math.Exp(r * logq)
		q1 = k.p / (1 - s)
		q2 = k.p * q1
	} else {
		// s = 1 (only with δ = 0): Pow gives 0, 1 or +Inf for exponents
		// > 0, = 0, < 0 — the blow-up of m' for r < 1 (§3).
		k.p = 0
		q1 = math.Pow(0, r-1)
		q2 = math.Pow(0, 2*r-1)
	}
	k.dp = -r * q1
	k.v = vinf + k.p*k.p*(c-vinf)
	if c != vinf { // avoid 0·Inf at s = 1
		k.dv = -2 * r * q2 * (c - vinf)
	}
	k.sqv = math.Sqrt(k.v / c)
	return k
}

// coord is coordAt for coordinate i of the spectrum, with the null
// coordinates of the Config.NullSpace reading (HIFM-MATH §4): invariant
// keeps the base value and variance c (mean factor 1, F2 scale 1),
// conjugate holds them at the target's mean with variance σ², projected at
// the target's mean with variance 0. The field is zero there in every reading.
func (sp *Spectrum) coord(i int, c, s, logq float64) coord {
	if !sp.Null[i] {
		return coordAt(sp.R[i], sp.VInf[i], c, s, logq)
	}
	switch sp.nullSpace {
	case NullSpaceConjugate:
		return coord{v: sp.nullVar, sqv: math.Sqrt(sp.nullVar / c)}
	case NullSpaceProjected:
		return coord{}
	}
	return coord{p: 1, v: c, sqv: 1}
}

// Time returns t(s) = −ln(1 − s)/κ (Eq. 21).
func Time(s, kappa float64) float64 { return -math.Log1p(-s) / kappa }

// Interp returns s(t) = 1 − e^{−κt} (Eq. 21).
func Interp(t, kappa float64) float64 { return -math.Expm1(-kappa * t) }

// timeFactor is ds/dt = κ(1 − s) in the infinite scheme, 1 in the finite one:
// u_t = u_s · ds/dt.
func (p HIFMPath) timeFactor(s float64, sp *Spectrum) float64 {
	if p.Scheme == SchemeInfinite {
		return sp.Kappa * (1 - s)
	}
	return 1
}

// Draw implements Path with F2 and F1 in eigen-coordinates: with w = Qᵀy0,
//
//	z_i = m_i(s) + sqrt(v_i(s)/c) w_i,  ys = y1 + Q z,
//	u_i = m_i'(s) + v_i'(s)/(2 v_i(s)) (z_i − m_i(s)),  us = Q u.
//
// Cost O(n²) (O(n) for isotropic spectra); no allocation.
func (p HIFMPath) Draw(ys, us, y0, y1 []float64, s float64, sp *Spectrum) {
	n := sp.N
	mustLen("HIFMPath.Draw", ys, n)
	mustLen("HIFMPath.Draw", us, n)
	mustLen("HIFMPath.Draw", y0, n)
	mustLen("HIFMPath.Draw", y1, n)
	c := p.Sigma0 * p.Sigma0
	logq := math.Log1p(-s)
	tf := p.timeFactor(s, sp)
	if sp.uniform {
		// Every coordinate has the same coefficients: Q diag(a) Qᵀ = aI.
		k := coordAt(sp.R[0], sp.VInf[0], c, s, logq)
		hr := halfRatio(k)
		for i := range n {
			m0 := -y1[i]
			g := k.sqv * y0[i] // ys − μ_s
			ys[i] = y1[i] + k.p*m0 + g
			us[i] = tf * (k.dp*m0 + hr*g)
		}
		return
	}
	if sp.Q == nil {
		for i := range n {
			k := sp.coord(i, c, s, logq)
			m0 := -y1[i]
			g := k.sqv * y0[i]
			ys[i] = y1[i] + k.p*m0 + g
			us[i] = tf * (k.dp*m0 + halfRatio(k)*g)
		}
		return
	}
	// Row-major passes over Q (contiguous): w = Qᵀy0, then z and u per
	// coordinate, then ys = y1 + Q z and us = Q u.
	var stack [3 * 128]float64
	var buf []float64
	if 3*n <= len(stack) {
		buf = stack[:3*n]
	} else {
		bp := getScratch(3 * n)
		defer scratchPool.Put(bp)
		buf = *bp
	}
	w, z, u := buf[:n], buf[n:2*n], buf[2*n:3*n]
	Q := sp.Q
	clear(w)
	for j := range n {
		a := y0[j]
		row := Q[j*n : (j+1)*n]
		for k, q := range row {
			w[k] += q * a
		}
	}
	for i := range n {
		k := sp.coord(i, c, s, logq)
		m0 := -sp.QtY1[i]
		g := k.sqv * w[i]
		z[i] = k.p*m0 + g
		u[i] = tf * (k.dp*m0 + halfRatio(k)*g)
	}
	for j := range n {
		row := Q[j*n : (j+1)*n]
		a, b := dot2(row, z, u)
		ys[j] = y1[j] + a
		us[j] = b
	}
}

// dot2 returns (q·z, q·u) with two accumulators each, to shorten the
// floating-point add chains (pure Go: kernels would make the caller's stack
// buffers escape).
func dot2(q, z, u []float64) (float64, float64) {
	z, u = z[:len(q)], u[:len(q)]
	var a0, a1, b0, b1 float64
	k := 0
	for ; k+1 < len(q); k += 2 {
		a0 += q[k] * z[k]
		b0 += q[k] * u[k]
		a1 += q[k+1] * z[k+1]
		b1 += q[k+1] * u[k+1]
	}
	if k < len(q) {
		a0 += q[k] * z[k]
		b0 += q[k] * u[k]
	}
	return a0 + a1, b0 + b1
}

var scratchPool sync.Pool

// getScratch returns a pooled buffer of length n (no allocation once warm).
func getScratch(n int) *[]float64 {
	if bp, ok := scratchPool.Get().(*[]float64); ok && cap(*bp) >= n {
		*bp = (*bp)[:n]
		return bp
	}
	b := make([]float64, n)
	return &b
}

// halfRatio is v'(s)/(2v(s)) (0 on null coordinates).
func halfRatio(k coord) float64 {
	if k.dv == 0 {
		return 0
	}
	return k.dv / (2 * k.v)
}

// Field sets u = u_s(y | y1) (F1 in eigen-coordinates, Eq. 22) at an
// arbitrary y; in the infinite scheme it returns u_t = κ(1 − s)·u_s.
func (p HIFMPath) Field(u, y, y1 []float64, s float64, sp *Spectrum) {
	n := sp.N
	mustLen("HIFMPath.Field", u, n)
	mustLen("HIFMPath.Field", y, n)
	c := p.Sigma0 * p.Sigma0
	logq := math.Log1p(-s)
	tf := p.timeFactor(s, sp)
	clear(u)
	for i := range n {
		k := sp.coord(i, c, s, logq)
		z := sp.proj(i, y) - sp.proj(i, y1)
		m0 := -sp.proj(i, y1)
		ui := tf * (k.dp*m0 + halfRatio(k)*(z-k.p*m0))
		sp.addCol(u, i, ui)
	}
}

// proj returns q_iᵀx.
func (sp *Spectrum) proj(i int, x []float64) float64 {
	if sp.Q == nil {
		return x[i]
	}
	n := sp.N
	var w float64
	for j := range n {
		w += sp.Q[j*n+i] * x[j]
	}
	return w
}

// addCol adds a·q_i to dst.
func (sp *Spectrum) addCol(dst []float64, i int, a float64) {
	if sp.Q == nil {
		dst[i] += a
		return
	}
	n := sp.N
	for j := range n {
		dst[j] += sp.Q[j*n+i] * a
	}
}

// FieldT sets u = u_t(y | y1) by Eq. 17 directly,
//
//	u_t = −H (y − y1) + ½ D Σ_t⁻¹ (y − μ_t),
//
// with H = Q diag(λ) Qᵀ, D = Q diag(d) Qᵀ and Σ_t from Eq. 16 (reciprocals
// of v_i(t)). It is an independent formula for tests and the infinite scheme.
func (p HIFMPath) FieldT(u, y, y1 []float64, t float64, sp *Spectrum) {
	n := sp.N
	mustLen("HIFMPath.FieldT", u, n)
	c := p.Sigma0 * p.Sigma0
	clear(u)
	for i := range n {
		z := sp.proj(i, y) - sp.proj(i, y1)
		m0 := -sp.proj(i, y1)
		l := sp.Lambda[i]
		if sp.Null[i] {
			continue // λ = d = 0: u = 0
		}
		e := math.Exp(-l * t)
		m := e * m0
		v := e*e*c + sp.VInf[i]*(1-e*e) // Eq. 16
		sp.addCol(u, i, -l*z+0.5*sp.D[i]/v*(z-m))
	}
}

// Moments sets the eigen-coordinate moments m_i(s) and v_i(s) of Eq. 22.
func (p HIFMPath) Moments(m, v []float64, s float64, sp *Spectrum) {
	c := p.Sigma0 * p.Sigma0
	logq := math.Log1p(-s)
	for i := range sp.N {
		k := sp.coord(i, c, s, logq)
		m[i] = -k.p * sp.QtY1[i]
		v[i] = k.v
	}
}

// Mean implements Path: μ_s = y1 + Q m(s).
func (p HIFMPath) Mean(mu, y1 []float64, s float64, sp *Spectrum) {
	n := sp.N
	mustLen("HIFMPath.Mean", mu, n)
	c := p.Sigma0 * p.Sigma0
	logq := math.Log1p(-s)
	copy(mu, y1)
	for i := range n {
		k := sp.coord(i, c, s, logq)
		sp.addCol(mu, i, -k.p*sp.QtY1[i])
	}
}

// Cov implements Path: Σ_s = Q diag(v(s)) Qᵀ.
func (p HIFMPath) Cov(cov []float64, s float64, sp *Spectrum) {
	n := sp.N
	mustLen("HIFMPath.Cov", cov, n*n)
	c := p.Sigma0 * p.Sigma0
	logq := math.Log1p(-s)
	clear(cov)
	for i := range n {
		v := sp.coord(i, c, s, logq).v
		if sp.Q == nil {
			cov[i*n+i] = v
			continue
		}
		for a := range n {
			qa := sp.Q[a*n+i] * v
			for b := range n {
				cov[a*n+b] += qa * sp.Q[b*n+i]
			}
		}
	}
}

// ProjectHyperbolic sets dst = P_h v with P_h = Q_h Q_hᵀ, the projection
// onto the hyperbolic (non-null) eigenspace of the sample (HIFM-MATH §4,
// "Projection": L = ||P_h(v_θ − u)||²). Computed as v − Q_0 Q_0ᵀ v, O(n·n_0).
// dst may alias v.
func ProjectHyperbolic(dst, v []float64, sp *Spectrum) {
	mustLen("ProjectHyperbolic", dst, sp.N)
	mustLen("ProjectHyperbolic", v, sp.N)
	copy(dst, v)
	if sp.NNull == 0 {
		return
	}
	for i, null := range sp.Null {
		if null {
			sp.addCol(dst, i, -sp.proj(i, v))
		}
	}
}
