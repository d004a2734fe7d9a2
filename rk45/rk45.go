// Package rk45 is an explicit Dormand–Prince 5(4) integrator that makes the
// same decisions as SciPy's solve_ivp(method="RK45"): same tableau, initial
// step selection, RMS error norm, step-size controller and quartic dense
// output, with the floating-point operations in SciPy's order where it
// matters. Equal rtol/atol give the same accepted steps and the same number
// of right-hand-side evaluations (NFE) as SciPy, so that likelihoods and NFE
// compare one to one with SciPy-based implementations (HIFM-MATH §6).
//
// The reference is SciPy 1.10.1 (Debian bookworm), files
// scipy/integrate/_ivp/rk.py, common.py and base.py. Newer SciPy (PR #17348,
// after 1.10) clamps the initial step by the interval length and max_step;
// Options.InitialStep selects that rule (see InitialStepRule).
//
// Exactness: with NumPy's summation orders (numpy.go), a correctly rounded
// x**±0.2 (pow.go) and no fused multiply-adds, the accepted times, states
// and dense output equal SciPy's bit for bit on the golden problems of
// testdata/rk45 (six problems at rtol 1e-2, 1e-6, 1e-10). The orders are
// those of NumPy 1.24 / OpenBLAS 0.3.21 on the AVX-512 reference machine;
// SciPy on a BLAS that sums differently itself moves (accepted times by
// ~1e-9 relative at rtol = 1e-10 with the sequential sums tried first).
//
// Stepping allocates nothing after NewStepper; Solve and SolveBatch drive
// steppers to the end of the interval.
package rk45

import (
	"errors"
	"fmt"
	"math"
)

// Func is the right-hand side of y' = f(t, y). It writes f(t, y) into dydt
// (len(dydt) == len(y)) and must not keep y or dydt. A non-nil error aborts
// the integration and is returned wrapped.
type Func func(t float64, y, dydt []float64) error

// Step-size controller constants of SciPy's rk.py.
const (
	safety    = 0.9 // SAFETY
	minFactor = 0.2 // MIN_FACTOR: largest decrease after a rejection
	maxFactor = 10  // MAX_FACTOR: largest increase after an acceptance
	// The error exponent −1/(error_estimator_order+1) = −0.2 is applied by
	// powFifth.
)

// Dormand–Prince 5(4) tableau exactly as SciPy's RK45 class spells it
// (Go evaluates the constant quotients exactly and rounds once, as Python's
// int/int true division does).
const (
	c1, c2, c3, c4 = 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9

	a10 = 1.0 / 5
	a20 = 3.0 / 40
	a21 = 9.0 / 40
	a30 = 44.0 / 45
	a31 = -56.0 / 15
	a32 = 32.0 / 9
	a40 = 19372.0 / 6561
	a41 = -25360.0 / 2187
	a42 = 64448.0 / 6561
	a43 = -212.0 / 729
	a50 = 9017.0 / 3168
	a51 = -355.0 / 33
	a52 = 46732.0 / 5247
	a53 = 49.0 / 176
	a54 = -5103.0 / 18656

	b0 = 35.0 / 384 // b1 = 0
	b2 = 500.0 / 1113
	b3 = 125.0 / 192
	b4 = -2187.0 / 6784
	b5 = 11.0 / 84

	e0 = -71.0 / 57600 // e1 = 0
	e2 = 71.0 / 16695
	e3 = -71.0 / 1920
	e4 = 17253.0 / 339200
	e5 = -22.0 / 525
	e6 = 1.0 / 40
)

// denseP is SciPy's RK45.P (7 stages × 4 powers of x): Shampine's quartic
// interpolant with the optimal c6, y(t_old + x·h) = y_old + h·Kᵀ·P·[x, x², x³, x⁴].
var denseP = [7][4]float64{
	{1, -8048581381.0 / 2820520608, 8663915743.0 / 2820520608, -12715105075.0 / 11282082432},
	{0, 0, 0, 0},
	{0, 131558114200.0 / 32700410799, -68118460800.0 / 10900136933, 87487479700.0 / 32700410799},
	{0, -1754552775.0 / 470086768, 14199869525.0 / 1410260304, -10690763975.0 / 1880347072},
	{0, 127303824393.0 / 49829197408, -318862633887.0 / 49829197408, 701980252875.0 / 199316789632},
	{0, -282668133.0 / 205662961, 2019193451.0 / 616988883, -1453857185.0 / 822651844},
	{0, 40617522.0 / 29380423, -110615467.0 / 29380423, 69997945.0 / 29380423},
}

// InitialStepRule selects the variant of SciPy's select_initial_step.
type InitialStepRule int

const (
	// InitialStepSciPy110 is select_initial_step of SciPy ≤ 1.10 (Debian
	// bookworm's 1.10.1, the golden files' version): the probe step h0 and
	// the result are not limited by the interval length or MaxStep (MaxStep
	// still limits every step actually taken).
	InitialStepSciPy110 InitialStepRule = iota
	// InitialStepClamped is the rule of newer SciPy (PR #17348): the probe
	// h0 is clamped to |t1−t0| and the result to min(|t1−t0|, MaxStep);
	// t0 == t1 skips the probe evaluation.
	InitialStepClamped
)

// DefaultMaxSteps bounds the step attempts (accepted + rejected) when
// Options.MaxSteps is 0, so that a hopeless problem ends in an error.
const DefaultMaxSteps = 1_000_000

// Options configures an integration. The zero value is valid: rtol is then
// raised to the floor 100·eps and atol is 0 (SciPy's defaults are
// rtol = 1e-3, atol = 1e-6, see DefaultOptions).
type Options struct {
	// RTol is the relative tolerance; values below 100·eps are raised to
	// 100·eps as SciPy does (SciPy also warns). Negative or NaN is an error.
	RTol float64
	// ATol is the absolute tolerance for every component, used when ATolVec
	// is nil. Negative or NaN is an error.
	ATol float64
	// ATolVec, if non-nil, is a per-component absolute tolerance
	// (len(ATolVec) == len(y0)).
	ATolVec []float64
	// FirstStep, if positive, is the first step size (SciPy's first_step);
	// 0 selects it automatically. It must not exceed |t1 − t0|.
	FirstStep float64
	// MaxStep bounds every step size; 0 means unbounded.
	MaxStep float64
	// MaxSteps bounds the step attempts (accepted + rejected); 0 means
	// DefaultMaxSteps. Exceeding it is ErrMaxSteps.
	MaxSteps int
	// Dense makes Solve keep the interpolant of every step in
	// Result.Solution.
	Dense bool
	// RecordTimes makes Solve record t0 and every accepted time in
	// Result.Times (solve_ivp's sol.t).
	RecordTimes bool
	// InitialStep selects the initial-step rule (default: SciPy 1.10).
	InitialStep InitialStepRule
}

// DefaultOptions returns SciPy's defaults rtol = 1e-3, atol = 1e-6.
func DefaultOptions() Options { return Options{RTol: 1e-3, ATol: 1e-6} }

// Errors reported by the integrator (wrapped with the time and details).
var (
	// ErrNonFinite: the right-hand side returned NaN or ±Inf.
	ErrNonFinite = errors.New("rk45: right-hand side returned a non-finite value")
	// ErrStepTooSmall: the step fell below 10 ulps of t (SciPy's
	// "Required step size is less than spacing between numbers.").
	ErrStepTooSmall = errors.New("rk45: required step size is less than spacing between numbers")
	// ErrMaxSteps: more step attempts than Options.MaxSteps.
	ErrMaxSteps = errors.New("rk45: step limit exceeded")
	// ErrFinished: Step was called after the integration reached t1.
	ErrFinished = errors.New("rk45: integration already finished")
	// ErrNoStep: DenseOutput was called before a successful step.
	ErrNoStep = errors.New("rk45: dense output needs a successful step")
)

// rtolFloor is SciPy's minimum relative tolerance 100·eps.
const rtolFloor = 100 * 2.220446049250313e-16

// validate checks the user inputs and returns the effective rtol and
// max step. n is len(y0).
func (o *Options) validate(t0, t1 float64, y0 []float64) (rtol, maxStep float64, err error) {
	if !isFinite(t0) || !isFinite(t1) {
		return 0, 0, fmt.Errorf("rk45: t0 = %v and t1 = %v must be finite", t0, t1)
	}
	for i, v := range y0 {
		if !isFinite(v) {
			return 0, 0, fmt.Errorf("rk45: y0[%d] = %v is not finite", i, v)
		}
	}
	if math.IsNaN(o.RTol) || o.RTol < 0 {
		return 0, 0, fmt.Errorf("rk45: rtol = %v must be ≥ 0", o.RTol)
	}
	rtol = o.RTol
	if rtol < rtolFloor {
		rtol = rtolFloor
	}
	if o.ATolVec != nil {
		if len(o.ATolVec) != len(y0) {
			return 0, 0, fmt.Errorf("rk45: len(ATolVec) = %d but len(y0) = %d", len(o.ATolVec), len(y0))
		}
		for i, a := range o.ATolVec {
			if math.IsNaN(a) || a < 0 || math.IsInf(a, 1) {
				return 0, 0, fmt.Errorf("rk45: ATolVec[%d] = %v must be finite and ≥ 0", i, a)
			}
		}
	} else if math.IsNaN(o.ATol) || o.ATol < 0 || math.IsInf(o.ATol, 1) {
		return 0, 0, fmt.Errorf("rk45: atol = %v must be finite and ≥ 0", o.ATol)
	}
	if math.IsNaN(o.FirstStep) || o.FirstStep < 0 {
		return 0, 0, fmt.Errorf("rk45: first step %v must be positive (or 0 for automatic)", o.FirstStep)
	}
	if o.FirstStep > math.Abs(t1-t0) {
		return 0, 0, fmt.Errorf("rk45: first step %v exceeds the interval |t1 - t0| = %v", o.FirstStep, math.Abs(t1-t0))
	}
	if math.IsNaN(o.MaxStep) || o.MaxStep < 0 {
		return 0, 0, fmt.Errorf("rk45: max step %v must be positive (or 0 for unbounded)", o.MaxStep)
	}
	maxStep = o.MaxStep
	if maxStep == 0 {
		maxStep = math.Inf(1)
	}
	if o.MaxSteps < 0 {
		return 0, 0, fmt.Errorf("rk45: MaxSteps = %d must be ≥ 0", o.MaxSteps)
	}
	if o.InitialStep != InitialStepSciPy110 && o.InitialStep != InitialStepClamped {
		return 0, 0, fmt.Errorf("rk45: unknown InitialStepRule %d", o.InitialStep)
	}
	return rtol, maxStep, nil
}

func isFinite(v float64) bool { return v-v == 0 }

// pyMin and pyMax are Python's builtin min/max of two floats: the first
// argument wins unless the second compares strictly smaller/larger, so a
// NaN second argument is ignored (SciPy's controller relies on this).
func pyMin(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

func pyMax(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// rmsNorm is SciPy's common.norm: np.linalg.norm(x)/sqrt(x.size), with
// np.linalg.norm(x) = sqrt(x·x).
func rmsNorm(ss float64, n int) float64 {
	return math.Sqrt(ss) / math.Sqrt(float64(n))
}

// checkFinite returns ErrNonFinite (wrapped with t and the component) if d
// holds NaN or ±Inf. v*0 is NaN exactly for NaN/Inf; four independent sums
// keep the scan off the add latency chain.
func checkFinite(t float64, d []float64) error {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(d); i += 4 {
		q := d[i : i+4 : i+4]
		a0 += q[0] * 0
		a1 += q[1] * 0
		a2 += q[2] * 0
		a3 += q[3] * 0
	}
	for ; i < len(d); i++ {
		a0 += d[i] * 0
	}
	if (a0+a1)+(a2+a3) == 0 {
		return nil
	}
	for i, v := range d {
		if !isFinite(v) {
			return fmt.Errorf("%w: component %d is %v at t=%v", ErrNonFinite, i, v, t)
		}
	}
	return nil
}
