package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Gaussian is N(Mean, B diag(Var) Bᵀ) with an orthonormal basis B
// (row-major n×n, column i = direction i; nil means the identity).
// It is the data law of the analytic cases of HIFM-MATH §7.
type Gaussian struct {
	Mean  []float64
	Basis []float64
	Var   []float64
}

// Dim returns n.
func (g Gaussian) Dim() int { return len(g.Mean) }

func (g Gaussian) coord(i int, x []float64) float64 {
	if g.Basis == nil {
		return x[i]
	}
	n := len(g.Mean)
	var w float64
	for j := range n {
		w += g.Basis[j*n+i] * x[j]
	}
	return w
}

// LogDensity returns log N(x; Mean, B diag(Var) Bᵀ).
func (g Gaussian) LogDensity(x []float64) float64 {
	mustLen("Gaussian.LogDensity", x, len(g.Mean))
	var q float64
	for i, v := range g.Var {
		z := g.coord(i, x) - g.coord(i, g.Mean)
		q += z*z/v + math.Log(2*math.Pi*v)
	}
	return -q / 2
}

// Sample fills x with a draw.
func (g Gaussian) Sample(rng *rand.Rand, x []float64) {
	n := len(g.Mean)
	mustLen("Gaussian.Sample", x, n)
	copy(x, g.Mean)
	for i, v := range g.Var {
		a := math.Sqrt(v) * rng.NormFloat64()
		if g.Basis == nil {
			x[i] += a
			continue
		}
		for j := range n {
			x[j] += g.Basis[j*n+i] * a
		}
	}
}

// check validates sizes and positivity.
func (g Gaussian) check() error {
	n := len(g.Mean)
	if n == 0 || len(g.Var) != n || (g.Basis != nil && len(g.Basis) != n*n) {
		return fmt.Errorf("flow: Gaussian with mean %d, var %d, basis %d entries: want n, n, n×n", n, len(g.Var), len(g.Basis))
	}
	for i, v := range g.Var {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("flow: Gaussian variance %d = %v, want finite ≥ 0", i, v)
		}
	}
	if i := firstNonFinite(g.Mean); i >= 0 {
		return fmt.Errorf("flow: Gaussian mean[%d] is not finite", i)
	}
	return nil
}

// OTMarginal is the exact marginal field of the OT path for Gaussian data
// N(m, S) (HIFM-MATH §7): p_s = N(s m, C_s), C_s = s² S + σ_s² σ_0² I, and
//
//	u(x, s) = m + ½ C_s' C_s⁻¹ (x − s m),  div u = ½ tr(C_s' C_s⁻¹).
//
// S and C_s share S's eigenbasis, so everything is per coordinate there.
type OTMarginal struct {
	Data Gaussian
	Path OTPath
}

// NewOTMarginal checks the data law.
func NewOTMarginal(data Gaussian, p OTPath) (*OTMarginal, error) {
	if err := data.check(); err != nil {
		return nil, err
	}
	return &OTMarginal{Data: data, Path: p}, nil
}

// Dim returns n.
func (f *OTMarginal) Dim() int { return f.Data.Dim() }

// Law returns p_s = N(s m, s² S + σ_s² σ_0² I); at s = 1 it is
// N(m, S + σ_min² σ_0² I), the density the CNF must reproduce.
func (f *OTMarginal) Law(s float64) Gaussian {
	g := Gaussian{Mean: make([]float64, f.Dim()), Basis: f.Data.Basis, Var: make([]float64, f.Dim())}
	sig := f.Path.SigmaS(s) * f.Path.Sigma0
	for i := range g.Mean {
		g.Mean[i] = s * f.Data.Mean[i]
		g.Var[i] = s*s*f.Data.Var[i] + sig*sig
	}
	return g
}

// Velocity implements Field.
func (f *OTMarginal) Velocity(s float64, y, v []float64) error {
	_, err := f.VelocityDiv(s, y, v)
	return err
}

// VelocityDiv implements DivField with the exact trace.
func (f *OTMarginal) VelocityDiv(s float64, y, v []float64) (float64, error) {
	n := f.Dim()
	mustLen("OTMarginal.Velocity", y, n)
	mustLen("OTMarginal.Velocity", v, n)
	g := f.Data
	sig := f.Path.SigmaS(s)
	dsig := -(1 - f.Path.SigmaMin)
	c0 := f.Path.Sigma0 * f.Path.Sigma0
	copy(v, g.Mean)
	var div float64
	for i, S := range g.Var {
		C := s*s*S + sig*sig*c0
		dC := 2*s*S + 2*sig*dsig*c0
		k := dC / (2 * C)
		div += k
		a := k * (g.coord(i, y) - s*g.coord(i, g.Mean))
		addDir(v, g.Basis, i, a)
	}
	return div, nil
}

func addDir(v, basis []float64, i int, a float64) {
	if basis == nil {
		v[i] += a
		return
	}
	n := len(v)
	for j := range n {
		v[j] += basis[j*n+i] * a
	}
}

// HIFMMarginal is the exact marginal field of the HI-FM path with a fixed
// spectrum (H independent of y1) for Gaussian data N(m, Q diag(S) Qᵀ),
// diagonal in H's eigenbasis Q (HIFM-MATH §7). In the coordinates
// x_i = q_iᵀy the conditional law is N(a_i y1_i, v_i(s)), a_i = 1 − (1−s)^{r_i},
// so the marginal is N(a_i m_i, C_i = a_i² S_i + v_i(s)) and
//
//	u_i = a_i' m_i + ½ C_i'/C_i (x_i − a_i m_i),  div u = Σ_i ½ C_i'/C_i.
//
// In the infinite scheme the time argument is t and the field is
// multiplied by ds/dt = κ(1 − s(t)).
type HIFMMarginal struct {
	Data Gaussian // Basis = Spec.Q
	Spec *Spectrum
	Path HIFMPath
}

// NewHIFMMarginal builds the field for data with mean m and variances
// vars along the spectrum's eigenvectors.
func NewHIFMMarginal(sp *Spectrum, p HIFMPath, mean, vars []float64) (*HIFMMarginal, error) {
	g := Gaussian{Mean: mean, Basis: sp.Q, Var: vars}
	if err := g.check(); err != nil {
		return nil, err
	}
	if g.Dim() != sp.N {
		return nil, fmt.Errorf("flow: data dimension %d, spectrum %d", g.Dim(), sp.N)
	}
	return &HIFMMarginal{Data: g, Spec: sp, Path: p}, nil
}

// Dim returns n.
func (f *HIFMMarginal) Dim() int { return f.Spec.N }

// S returns the interpolant of the field's time argument.
func (f *HIFMMarginal) S(time float64) float64 {
	if f.Path.Scheme == SchemeInfinite {
		return Interp(time, f.Spec.Kappa)
	}
	return time
}

// Law returns the marginal p_s in the eigenbasis (s is the interpolant).
func (f *HIFMMarginal) Law(s float64) Gaussian {
	n := f.Dim()
	g := Gaussian{Mean: make([]float64, n), Basis: f.Spec.Q, Var: make([]float64, n)}
	c := f.Path.Sigma0 * f.Path.Sigma0
	logq := math.Log1p(-s)
	for i := range n {
		k := f.Spec.coord(i, c, s, logq)
		a := 1 - k.p
		g.Var[i] = a*a*f.Data.Var[i] + k.v
		addDir(g.Mean, f.Spec.Q, i, a*f.Data.coord(i, f.Data.Mean))
	}
	return g
}

// Velocity implements Field.
func (f *HIFMMarginal) Velocity(time float64, y, v []float64) error {
	_, err := f.VelocityDiv(time, y, v)
	return err
}

// VelocityDiv implements DivField with the exact trace.
func (f *HIFMMarginal) VelocityDiv(time float64, y, v []float64) (float64, error) {
	n := f.Dim()
	mustLen("HIFMMarginal.Velocity", y, n)
	mustLen("HIFMMarginal.Velocity", v, n)
	s := f.S(time)
	tf := f.Path.timeFactor(s, f.Spec)
	c := f.Path.Sigma0 * f.Path.Sigma0
	logq := math.Log1p(-s)
	clear(v)
	var div float64
	for i := range n {
		k := f.Spec.coord(i, c, s, logq)
		S := f.Data.Var[i]
		m := f.Data.coord(i, f.Data.Mean)
		a, da := 1-k.p, -k.dp
		C := a*a*S + k.v
		dC := 2*a*da*S + k.dv
		h := dC / (2 * C)
		div += h
		addDir(v, f.Spec.Q, i, tf*(da*m+h*(f.Data.coord(i, y)-a*m)))
	}
	return tf * div, nil
}
