package energy

import "github.com/hifm-go/hifm/flow/internal/com"

// LJ13 is the Lennard-Jones cluster target energy of HIFM-MATH §4.2
// (Klein et al. 2023 / Köhler et al. 2020, temperature 1, ε_LJ = r_m = 1):
//
//	E(y) = Σ_{i<j} ε [ (r_m/r_ij)^12 − 2 (r_m/r_ij)^6 ] + ½ Σ_i ||y_i − ȳ||²
//
// The harmonic term (weight Oscillator, 1 in the convention) keeps the
// cluster together; it is translation invariant.
type LJ13 struct {
	Particles  int     // 13
	SpatialDim int     // 3
	Epsilon    float64 // ε_LJ = 1
	Rm         float64 // r_m = 1
	Oscillator float64 // weight of ½ Σ||y_i − ȳ||², 1
}

// NewLJ13 returns the standard 13-particle, 3-D target with ε = r_m = 1 and
// oscillator weight 1.
func NewLJ13() *LJ13 {
	return &LJ13{Particles: 13, SpatialDim: 3, Epsilon: 1, Rm: 1, Oscillator: 1}
}

// Dim returns Particles·SpatialDim.
func (l *LJ13) Dim() int { return l.Particles * l.SpatialDim }

// Value returns E(y).
func (l *LJ13) Value(y []float64) float64 {
	checkLen("LJ13.Value", y, l.Dim())
	return l.ValueGrad(y, nil)
}

// Grad sets g = ∇E(y).
func (l *LJ13) Grad(y, g []float64) {
	checkLen("LJ13.Grad", g, l.Dim())
	l.ValueGrad(y, g)
}

// ValueGrad returns E(y) and, when g is not nil, sets g = ∇E(y).
// With a = r_m²/r², the pair term is φ = ε(a⁶ − 2a³) and
// dφ/d(r²) = −6ε(a⁶ − a³)/r².
func (l *LJ13) ValueGrad(y, g []float64) float64 {
	n, d := l.Dim(), l.SpatialDim
	checkLen("LJ13.ValueGrad", y, n)
	if g != nil {
		checkLen("LJ13.ValueGrad", g, n)
		clear(g)
	}
	rm2 := l.Rm * l.Rm
	var e float64
	for i := range l.Particles {
		for j := i + 1; j < l.Particles; j++ {
			s := sqDist(y, i, j, d)
			a := rm2 / s
			a3 := a * a * a
			a6 := a3 * a3
			e += l.Epsilon * (a6 - 2*a3)
			if g != nil {
				f := -6 * l.Epsilon * (a6 - a3) / s
				for k := range d {
					x := 2 * f * (y[i*d+k] - y[j*d+k])
					g[i*d+k] += x
					g[j*d+k] -= x
				}
			}
		}
	}
	if l.Oscillator != 0 {
		var mean [16]float64
		m := mean[:0]
		if d > len(mean) {
			m = make([]float64, 0, d)
		}
		m = m[:d]
		com.Mean(y, d, m)
		var o float64
		for i := range l.Particles {
			for k := range d {
				x := y[i*d+k] - m[k]
				o += x * x
				if g != nil {
					g[i*d+k] += l.Oscillator * x
				}
			}
		}
		e += l.Oscillator * o / 2
	}
	return e
}

// ValueGradFast returns E(y) and sets g = ∇E(y) (g must not be nil) by a
// loop specialised for 3-D particles (the LJ13 generator's HMC inner
// loop); it sums in another order than ValueGrad, so the two agree to
// rounding, not bit for bit. Other dimensions use ValueGrad.
func (l *LJ13) ValueGradFast(y, g []float64) float64 {
	if l.SpatialDim != 3 {
		return l.ValueGrad(y, g)
	}
	checkLen("LJ13.ValueGradFast", y, l.Dim())
	checkLen("LJ13.ValueGradFast", g, l.Dim())
	return valueGrad3(y, g, l.Particles, l.Epsilon, l.Rm*l.Rm, l.Oscillator)
}

// valueGrad3 is ValueGrad for 3-D particles with g ≠ nil, specialised for
// the LJ13 generator's inner loop (one division per pair, no bounds checks
// in the pair loop); it agrees with ValueGrad to rounding (lj13_test.go).
func valueGrad3(y, g []float64, p int, eps, rm2, osc float64) float64 {
	y, g = y[:3*p], g[:3*p]
	clear(g)
	var e float64
	for i := 0; i < p; i++ {
		xi, yi, zi := y[3*i], y[3*i+1], y[3*i+2]
		var gx, gy, gz float64
		for j := i + 1; j < p; j++ {
			yj := y[3*j : 3*j+3 : 3*j+3]
			dx, dy, dz := xi-yj[0], yi-yj[1], zi-yj[2]
			inv := 1 / (dx*dx + dy*dy + dz*dz)
			a := rm2 * inv
			a3 := a * a * a
			a6 := a3 * a3
			e += a6 - 2*a3
			// ∂φ/∂y_i = 2 dφ/d(r²) δ = 12ε(a³ − a⁶)/r² δ
			f := 12 * eps * (a3 - a6) * inv
			gj := g[3*j : 3*j+3 : 3*j+3]
			gx += f * dx
			gy += f * dy
			gz += f * dz
			gj[0] -= f * dx
			gj[1] -= f * dy
			gj[2] -= f * dz
		}
		g[3*i] += gx
		g[3*i+1] += gy
		g[3*i+2] += gz
	}
	e *= eps
	if osc != 0 {
		var mx, my, mz float64
		for i := 0; i < p; i++ {
			mx += y[3*i]
			my += y[3*i+1]
			mz += y[3*i+2]
		}
		inv := 1 / float64(p)
		mx, my, mz = mx*inv, my*inv, mz*inv
		var o float64
		for i := 0; i < p; i++ {
			dx, dy, dz := y[3*i]-mx, y[3*i+1]-my, y[3*i+2]-mz
			o += dx*dx + dy*dy + dz*dz
			g[3*i] += osc * dx
			g[3*i+1] += osc * dy
			g[3*i+2] += osc * dz
		}
		e += osc * o / 2
	}
	return e
}

// Hessian sets h = ∇²E(y). Pair blocks are 2f I + 4f' δδᵀ with
// f = dφ/d(r²) and f' = 6ε(7a⁶ − 4a³)/r⁴; the oscillator adds
// Oscillator·(I − 11ᵀ/N) ⊗ I_d.
func (l *LJ13) Hessian(y, h []float64) {
	n, d := l.Dim(), l.SpatialDim
	checkLen("LJ13.Hessian", y, n)
	checkLen("LJ13.Hessian", h, n*n)
	clear(h)
	rm2 := l.Rm * l.Rm
	for i := range l.Particles {
		for j := i + 1; j < l.Particles; j++ {
			s := sqDist(y, i, j, d)
			a := rm2 / s
			a3 := a * a * a
			a6 := a3 * a3
			f := -6 * l.Epsilon * (a6 - a3) / s
			fp := 6 * l.Epsilon * (7*a6 - 4*a3) / (s * s)
			for p := range d {
				dp := y[i*d+p] - y[j*d+p]
				for q := range d {
					dq := y[i*d+q] - y[j*d+q]
					x := 4 * fp * (dp * dq) // parenthesised so the block is exactly symmetric
					if p == q {
						x += 2 * f
					}
					h[(i*d+p)*n+i*d+q] += x
					h[(j*d+p)*n+j*d+q] += x
					h[(i*d+p)*n+j*d+q] -= x
					h[(j*d+p)*n+i*d+q] -= x
				}
			}
		}
	}
	if l.Oscillator != 0 {
		inv := 1 / float64(l.Particles)
		for i := range l.Particles {
			for j := range l.Particles {
				c := -inv
				if i == j {
					c += 1
				}
				for k := range d {
					h[(i*d+k)*n+j*d+k] += l.Oscillator * c
				}
			}
		}
	}
}
