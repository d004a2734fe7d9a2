package flow

import (
	"errors"
	"fmt"
	"math"

	"github.com/hifm-go/hifm/rk45"
)

// Field is a time-dependent vector field v(s, y) on R^n: the learned
// v_θ(y, s) of flow matching or an analytic marginal field (§7).
type Field interface {
	Dim() int
	// Velocity sets v = v(s, y). It must not keep y or v.
	Velocity(s float64, y, v []float64) error
}

// DivField is a Field that also gives its divergence div_y v(s, y), exact
// (n reverse passes, forward mode, or a trace for affine fields) or a
// Hutchinson estimate with probes fixed during one solve (HIFM-MATH §6).
type DivField interface {
	Field
	// VelocityDiv sets v = v(s, y) and returns div_y v(s, y).
	VelocityDiv(s float64, y, v []float64) (float64, error)
}

// ODEOptions configures the likelihood and sampling solves (HIFM-MATH §6).
type ODEOptions struct {
	// RTol and ATol of Dormand–Prince (the paper's tables: 1e-2 both).
	RTol, ATol float64
	// T0 is the base end (0) and T1 the data end of the time interval:
	// 1, or 1 − δ for the finite scheme with δ > 0 (§3), or t(1 − δ) for
	// the infinite scheme. T1 == T0 == 0 means [0, 1].
	T0, T1 float64
	// Solver holds further rk45 options (MaxSteps, InitialStep, ...);
	// its RTol/ATol are overwritten by the fields above.
	Solver rk45.Options
}

func (o ODEOptions) interval() (float64, float64, error) {
	t0, t1 := o.T0, o.T1
	if t0 == 0 && t1 == 0 {
		t1 = 1
	}
	if math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0) || t1 <= t0 {
		return 0, 0, fmt.Errorf("flow: ODE interval [%v, %v] is not a finite interval with T0 < T1", t0, t1)
	}
	return t0, t1, nil
}

func (o ODEOptions) solver() rk45.Options {
	s := o.Solver
	s.RTol, s.ATol = o.RTol, o.ATol
	return s
}

// Likelihood is the result of LogLikelihood.
type Likelihood struct {
	// LogP = LogP0 + DeltaLogP is log p_1(x) in nats (normalised: the base's
	// normalising constant is included, see ZeroCOMBase.LogNormalizer).
	LogP float64
	// LogP0 is log p_0(y(T0)), DeltaLogP = −∫_{T0}^{T1} div v ds.
	LogP0, DeltaLogP float64
	// Y0 is the base point y(T0) reached from x.
	Y0 []float64
	// NFE counts field evaluations (rk45 NFE).
	NFE int
}

// LogLikelihood computes log p_1(x) of the flow of f with base p_0 by the
// augmented ODE integrated from T1 back to T0 (HIFM-MATH §6):
//
//	d/ds [y, ℓ] = [ v(s, y), div_y v(s, y) ],  y(T1) = x, ℓ(T1) = 0,
//	log p_1(x) = log p_0(y(T0)) + ℓ(T0)  (= log p_0(y(0)) − ∫ div v ds).
func LogLikelihood(f DivField, base Base, x []float64, opt ODEOptions) (*Likelihood, error) {
	n := f.Dim()
	if err := checkPoint("x", x, n, base); err != nil {
		return nil, err
	}
	t0, t1, err := opt.interval()
	if err != nil {
		return nil, err
	}
	y := make([]float64, n+1)
	copy(y, x)
	res, err := rk45.Solve(augmented(f, n), t1, t0, y, opt.solver())
	if err != nil {
		return nil, fmt.Errorf("flow: likelihood solve: %w", err)
	}
	return finish(res, base, n)
}

func augmented(f DivField, n int) rk45.Func {
	return func(s float64, y, dy []float64) error {
		div, err := f.VelocityDiv(s, y[:n], dy[:n])
		dy[n] = div
		return err
	}
}

func finish(res *rk45.Result, base Base, n int) (*Likelihood, error) {
	l := &Likelihood{Y0: append([]float64(nil), res.Y[:n]...), DeltaLogP: res.Y[n], NFE: res.NFE}
	l.LogP0 = base.LogDensity(l.Y0)
	l.LogP = l.LogP0 + l.DeltaLogP
	return l, nil
}

func checkPoint(name string, x []float64, n int, base Base) error {
	if len(x) != n {
		return fmt.Errorf("flow: %s has length %d, the field has dimension %d", name, len(x), n)
	}
	if base != nil && base.Dim() != n {
		return fmt.Errorf("flow: base has dimension %d, the field %d", base.Dim(), n)
	}
	if i := firstNonFinite(x); i >= 0 {
		return fmt.Errorf("flow: %s[%d] = %v is not finite", name, i, x[i])
	}
	return nil
}

// LogLikelihoodBatch is LogLikelihood for many points on `workers`
// goroutines; fields[w] is worker w's field (so a network can keep
// per-worker scratch), len(fields) ≥ workers (workers ≤ 0: len(fields)).
// Every result is the same as LogLikelihood's, whatever the worker count.
func LogLikelihoodBatch(fields []DivField, base Base, xs [][]float64, opt ODEOptions, workers int) ([]*Likelihood, error) {
	if len(fields) == 0 {
		return nil, errors.New("flow: no field")
	}
	if workers <= 0 || workers > len(fields) {
		workers = len(fields)
	}
	n := fields[0].Dim()
	y0s := make([][]float64, len(xs))
	for i, x := range xs {
		if err := checkPoint(fmt.Sprintf("x[%d]", i), x, n, base); err != nil {
			return nil, err
		}
		y0s[i] = append(append(make([]float64, 0, n+1), x...), 0)
	}
	t0, t1, err := opt.interval()
	if err != nil {
		return nil, err
	}
	res, err := rk45.SolveBatch(func(w, _ int, s float64, y, dy []float64) error {
		div, err := fields[w].VelocityDiv(s, y[:n], dy[:n])
		dy[n] = div
		return err
	}, t1, t0, y0s, opt.solver(), workers)
	if err != nil {
		return nil, fmt.Errorf("flow: likelihood solve: %w", err)
	}
	out := make([]*Likelihood, len(xs))
	for i := range res {
		out[i], _ = finish(&res[i], base, n)
	}
	return out, nil
}

// Sample integrates dy/ds = v(s, y) forward from the base point y0 at T0
// to T1 (HIFM-MATH §6) and returns y(T1) and the NFE.
func Sample(f Field, y0 []float64, opt ODEOptions) ([]float64, int, error) {
	n := f.Dim()
	if err := checkPoint("y0", y0, n, nil); err != nil {
		return nil, 0, err
	}
	t0, t1, err := opt.interval()
	if err != nil {
		return nil, 0, err
	}
	res, err := rk45.Solve(func(s float64, y, dy []float64) error { return f.Velocity(s, y, dy) }, t0, t1, y0, opt.solver())
	if err != nil {
		return nil, 0, fmt.Errorf("flow: sampling solve: %w", err)
	}
	return res.Y, res.NFE, nil
}
