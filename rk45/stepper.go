package rk45

import (
	"fmt"
	"math"
)

// Stepper integrates one problem step by step (SciPy's RK45 solver object).
// All buffers are allocated by NewStepper (or grown by Reset); Step and
// DenseOutput allocate nothing.
type Stepper struct {
	f       Func
	n       int
	t, t1   float64
	tOld    float64
	dir     float64 // +1 forward, −1 backward (SciPy: +1 when t0 == t1)
	rtol    float64
	maxStep float64
	hAbs    float64 // suggested |h| for the next step
	opt     Options

	y, yOld, yNew, ytmp, fcur []float64
	atol                      []float64
	k                         [7][]float64 // stages; k[6] is f(t_new, y_new) (FSAL)
	q                         []float64    // dense Q = Kᵀ·P, 4 rows of n, valid if qOK
	qOK                       bool

	nfe, accepted, rejected int
	maxAttempts             int
	stepped                 bool // a successful step exists (dense output valid)
	done                    bool
	err                     error
}

// NewStepper validates the inputs, evaluates f(t0, y0) and selects the
// first step (SciPy's RK45.__init__: two evaluations unless
// Options.FirstStep is set). It integrates from t0 towards t1, forward or
// backward.
func NewStepper(f Func, t0, t1 float64, y0 []float64, opt Options) (*Stepper, error) {
	s := &Stepper{}
	if err := s.Reset(f, t0, t1, y0, opt); err != nil {
		return nil, err
	}
	return s, nil
}

// Reset restarts the stepper on a new problem, reusing its buffers when the
// dimension allows (no allocation if len(y0) is not larger than before).
func (s *Stepper) Reset(f Func, t0, t1 float64, y0 []float64, opt Options) error {
	if f == nil {
		return fmt.Errorf("rk45: nil right-hand side")
	}
	rtol, maxStep, err := opt.validate(t0, t1, y0)
	if err != nil {
		return err
	}
	n := len(y0)
	s.alloc(n)
	*s = Stepper{
		f: f, n: n, t: t0, t1: t1, tOld: t0, rtol: rtol, maxStep: maxStep, opt: opt,
		y: s.y, yOld: s.yOld, yNew: s.yNew, ytmp: s.ytmp, fcur: s.fcur, atol: s.atol, k: s.k, q: s.q,
	}
	s.dir = 1
	if t1 < t0 {
		s.dir = -1
	}
	s.maxAttempts = opt.MaxSteps
	if s.maxAttempts == 0 {
		s.maxAttempts = DefaultMaxSteps
	}
	copy(s.y, y0)
	if opt.ATolVec != nil {
		copy(s.atol, opt.ATolVec)
	} else {
		for i := range s.atol {
			s.atol[i] = opt.ATol
		}
	}
	if err := s.eval(t0, s.y, s.fcur); err != nil {
		s.err = err
		return err
	}
	if opt.FirstStep > 0 {
		s.hAbs = opt.FirstStep
	} else {
		h, err := s.initialStep()
		if err != nil {
			s.err = err
			return err
		}
		s.hAbs = h
	}
	return nil
}

// alloc makes every buffer length n, reusing capacity.
func (s *Stepper) alloc(n int) {
	if cap(s.y) >= n && cap(s.q) >= 4*n {
		s.y, s.yOld, s.yNew, s.ytmp, s.fcur, s.atol = s.y[:n], s.yOld[:n], s.yNew[:n], s.ytmp[:n], s.fcur[:n], s.atol[:n]
		for i := range s.k {
			s.k[i] = s.k[i][:n]
		}
		s.q = s.q[:4*n]
		return
	}
	slab := make([]float64, 17*n) // 6 vectors + 7 stages + 4 dense rows
	next := func() []float64 { v := slab[:n:n]; slab = slab[n:]; return v }
	s.y, s.yOld, s.yNew, s.ytmp, s.fcur, s.atol = next(), next(), next(), next(), next(), next()
	for i := range s.k {
		s.k[i] = next()
	}
	s.q = slab[: 4*n : 4*n]
}

// eval calls f, counts the evaluation and checks the output.
func (s *Stepper) eval(t float64, y, dydt []float64) error {
	s.nfe++
	if err := s.f(t, y, dydt); err != nil {
		return fmt.Errorf("rk45: right-hand side failed at t=%v: %w", t, err)
	}
	return checkFinite(t, dydt)
}

// initialStep is SciPy's select_initial_step (Hairer–Nørsett–Wanner II.4)
// for the embedded order 4, in the variant chosen by Options.InitialStep.
func (s *Stepper) initialStep() (float64, error) {
	n := s.n
	if n == 0 {
		return math.Inf(1), nil
	}
	interval := math.Abs(s.t1 - s.t)
	clamped := s.opt.InitialStep == InitialStepClamped
	if clamped && interval == 0 {
		return 0, nil
	}
	y0, f0, atol, rtol := s.y, s.fcur, s.atol[:n], s.rtol
	scale, a, b := s.yOld[:n], s.ytmp[:n], s.yNew[:n] // scratch
	for i := range scale {
		scale[i] = atol[i] + float64(math.Abs(y0[i])*rtol)
		a[i] = y0[i] / scale[i]
		b[i] = f0[i] / scale[i]
	}
	ss0, ss1 := sumSq8(a), sumSq8(b)
	d0, d1 := rmsNorm(ss0, n), rmsNorm(ss1, n)
	h0 := 0.01 * d0 / d1
	if d0 < 1e-5 || d1 < 1e-5 {
		h0 = 1e-6
	}
	if clamped {
		h0 = math.Min(h0, interval)
	}
	hd := h0 * s.dir
	y1, f1 := s.ytmp, s.yNew
	for i := range y1 {
		y1[i] = y0[i] + float64(hd*f0[i])
	}
	if err := s.eval(s.t+hd, y1, f1); err != nil {
		return 0, err
	}
	d := s.ytmp[:n] // y1 is no longer needed
	for i := range f1 {
		d[i] = (f1[i] - f0[i]) / scale[i]
	}
	ss2 := sumSq8(d)
	d2 := rmsNorm(ss2, n) / h0
	var h1 float64
	if d1 <= 1e-15 && d2 <= 1e-15 {
		h1 = pyMax(1e-6, h0*1e-3)
	} else {
		h1 = powFifth(0.01/pyMax(d1, d2), false)
	}
	h := pyMin(100*h0, h1)
	if clamped {
		h = pyMin(pyMin(h, interval), s.maxStep)
	}
	if math.IsNaN(h) {
		// SciPy would go on with a NaN step; a zero scale (atol = 0 and a
		// zero component) is the usual cause.
		return 0, fmt.Errorf("rk45: initial step selection gave NaN (atol = 0 with a zero component of y0?); set ATol > 0 or FirstStep")
	}
	return h, nil
}

// T is the current time.
func (s *Stepper) T() float64 { return s.t }

// TOld is the time before the last successful step.
func (s *Stepper) TOld() float64 { return s.tOld }

// Y is the current state (a view; do not modify, valid until the next Step).
func (s *Stepper) Y() []float64 { return s.y }

// StepSize is the size |t − t_old| of the last successful step.
func (s *Stepper) StepSize() float64 { return math.Abs(s.t - s.tOld) }

// NextStep is the suggested |h| for the next step.
func (s *Stepper) NextStep() float64 { return s.hAbs }

// NFE is the number of right-hand-side evaluations so far (SciPy's nfev).
func (s *Stepper) NFE() int { return s.nfe }

// Accepted and Rejected count the steps so far.
func (s *Stepper) Accepted() int { return s.accepted }

// Rejected counts the rejected step attempts so far.
func (s *Stepper) Rejected() int { return s.rejected }

// Done reports whether t1 was reached.
func (s *Stepper) Done() bool { return s.done }

// Err is the error that stopped the stepper, if any.
func (s *Stepper) Err() error { return s.err }

// Step advances by one accepted step (SciPy's OdeSolver.step and
// RungeKutta._step_impl): it retries with smaller steps until the error
// norm is below 1 and never steps past t1. After reaching t1 it returns
// ErrFinished; after a failure it returns the same error again.
func (s *Stepper) Step() error {
	if s.err != nil {
		return s.err
	}
	if s.done {
		return ErrFinished
	}
	if s.n == 0 || s.t == s.t1 {
		// SciPy's corner case: an empty system or no interval is one
		// "step" straight to t1 without evaluations.
		copy(s.yOld, s.y)
		s.tOld, s.t = s.t, s.t1
		s.done, s.stepped, s.qOK = true, true, false
		s.accepted++
		return nil
	}
	t := s.t
	minStep := 10 * math.Abs(math.Nextafter(t, s.dir*math.Inf(1))-t)
	hAbs := s.hAbs
	if hAbs > s.maxStep {
		hAbs = s.maxStep
	} else if hAbs < minStep {
		hAbs = minStep
	}
	rejected := false
	var tNew float64
	for {
		if hAbs < minStep {
			return s.fail(fmt.Errorf("%w (step %v at t=%v)", ErrStepTooSmall, hAbs, t))
		}
		if s.accepted+s.rejected >= s.maxAttempts {
			return s.fail(fmt.Errorf("%w: %d step attempts at t=%v", ErrMaxSteps, s.maxAttempts, t))
		}
		h := hAbs * s.dir
		tNew = t + h
		if s.dir*(tNew-s.t1) > 0 {
			tNew = s.t1
		}
		h = tNew - t
		hAbs = math.Abs(h)
		s.qOK = false
		if err := s.rkStep(t, h); err != nil {
			return s.fail(err)
		}
		errNorm := s.errorNorm(h)
		if errNorm < 1 {
			factor := float64(maxFactor)
			if errNorm != 0 {
				factor = pyMin(maxFactor, safety*powFifth(errNorm, true))
			}
			if rejected {
				factor = pyMin(1, factor)
			}
			hAbs *= factor
			break
		}
		hAbs *= pyMax(minFactor, safety*powFifth(errNorm, true))
		rejected = true
		s.rejected++
	}
	s.yOld, s.y, s.yNew = s.y, s.yNew, s.yOld
	copy(s.fcur, s.k[6])
	s.tOld, s.t = t, tNew
	s.hAbs = hAbs
	s.accepted++
	s.stepped = true
	if s.dir*(s.t-s.t1) >= 0 {
		s.done = true
	}
	return nil
}

func (s *Stepper) fail(err error) error {
	s.err = err
	return err
}

// rkStep is SciPy's rk_step: the six stages, y_new = y + h·Σ b_j K_j and
// the FSAL evaluation K_6 = f(t + h, y_new). Each stage increment is
// (Σ_j a_sj K_j)·h, summed over the stages in order as np.dot(K[:s].T, a)
// does for n ≥ 2 (for n = 1 NumPy takes its 1-D dot, see rkStep1).
func (s *Stepper) rkStep(t, h float64) error {
	n := s.n
	if n == 1 {
		return s.rkStep1(t, h)
	}
	y, yt, yn := s.y[:n], s.ytmp[:n], s.yNew[:n]
	k0, k1, k2, k3, k4, k5 := s.k[0][:n], s.k[1][:n], s.k[2][:n], s.k[3][:n], s.k[4][:n], s.k[5][:n]
	copy(k0, s.fcur)

	for i := range yt {
		yt[i] = y[i] + float64(float64(k0[i]*a10)*h)
	}
	if err := s.eval(t+float64(c1*h), yt, k1); err != nil {
		return err
	}
	for i := range yt {
		d := float64(k0[i]*a20) + float64(k1[i]*a21)
		yt[i] = y[i] + float64(d*h)
	}
	if err := s.eval(t+float64(c2*h), yt, k2); err != nil {
		return err
	}
	for i := range yt {
		d := float64(k0[i]*a30) + float64(k1[i]*a31)
		d += float64(k2[i] * a32)
		yt[i] = y[i] + float64(d*h)
	}
	if err := s.eval(t+float64(c3*h), yt, k3); err != nil {
		return err
	}
	for i := range yt {
		d := float64(k0[i]*a40) + float64(k1[i]*a41)
		d += float64(k2[i] * a42)
		d += float64(k3[i] * a43)
		yt[i] = y[i] + float64(d*h)
	}
	if err := s.eval(t+float64(c4*h), yt, k4); err != nil {
		return err
	}
	for i := range yt {
		d := float64(k0[i]*a50) + float64(k1[i]*a51)
		d += float64(k2[i] * a52)
		d += float64(k3[i] * a53)
		d += float64(k4[i] * a54)
		yt[i] = y[i] + float64(d*h)
	}
	if err := s.eval(t+h, yt, k5); err != nil {
		return err
	}
	for i := range yn {
		// b1 = 0: adding the zero product changes nothing.
		d := float64(k0[i]*b0) + float64(k2[i]*b2)
		d += float64(k3[i] * b3)
		d += float64(k4[i] * b4)
		d += float64(k5[i] * b5)
		yn[i] = y[i] + float64(h*d)
	}
	return s.eval(t+h, yn, s.k[6])
}

// rkStep1 is rkStep for a scalar ODE: NumPy computes np.dot of a (1, s)
// matrix with a vector as a 1-D dot, in sum8's order, peeling the first
// product for the odd rows of A (see sum8From).
func (s *Stepper) rkStep1(t, h float64) error {
	k := &s.k
	k[0][0] = s.fcur[0]
	y := s.y[0]
	var p [7]float64
	stage := func(st int, c float64, a []float64) error {
		for j := range a {
			p[j] = k[j][0] * a[j]
		}
		var d float64
		if st%2 == 1 {
			d = sum8From(p[0], p[1:len(a)])
		} else {
			d = sum8(p[:len(a)])
		}
		s.ytmp[0] = y + float64(d*h)
		return s.eval(t+float64(c*h), s.ytmp, k[st])
	}
	if err := stage(1, c1, []float64{a10}); err != nil {
		return err
	}
	if err := stage(2, c2, []float64{a20, a21}); err != nil {
		return err
	}
	if err := stage(3, c3, []float64{a30, a31, a32}); err != nil {
		return err
	}
	if err := stage(4, c4, []float64{a40, a41, a42, a43}); err != nil {
		return err
	}
	if err := stage(5, 1, []float64{a50, a51, a52, a53, a54}); err != nil {
		return err
	}
	bw := [6]float64{b0, 0, b2, b3, b4, b5}
	for j := range bw {
		p[j] = k[j][0] * bw[j]
	}
	s.yNew[0] = y + float64(h*sum8(p[:6]))
	return s.eval(t+h, s.yNew, k[6])
}

// errorNorm is SciPy's _estimate_error_norm: the RMS norm of
// (Σ_j e_j K_j)·h / (atol + max(|y|, |y_new|)·rtol), with np.linalg.norm's
// summation order (sumSq8).
func (s *Stepper) errorNorm(h float64) float64 {
	n := s.n
	y, yn, atol, x := s.y[:n], s.yNew[:n], s.atol[:n], s.ytmp[:n]
	k0, k2, k3, k4, k5, k6 := s.k[0][:n], s.k[2][:n], s.k[3][:n], s.k[4][:n], s.k[5][:n], s.k[6][:n]
	rtol := s.rtol
	if n == 1 {
		p := [7]float64{k0[0] * e0, 0, k2[0] * e2, k3[0] * e3, k4[0] * e4, k5[0] * e5, k6[0] * e6}
		sc := atol[0] + float64(math.Max(math.Abs(y[0]), math.Abs(yn[0]))*rtol)
		x[0] = float64(sum8(p[:])*h) / sc
		return rmsNorm(sumSq8(x), n)
	}
	for i := range x {
		// np.maximum of finite values (f outputs are checked, so y is).
		m := math.Abs(y[i])
		if a := math.Abs(yn[i]); a > m {
			m = a
		}
		sc := atol[i] + float64(m*rtol)
		// e1 = 0 is skipped (an exact zero term).
		e := float64(k0[i]*e0) + float64(k2[i]*e2)
		e += float64(k3[i] * e3)
		e += float64(k4[i] * e4)
		e += float64(k5[i] * e5)
		e += float64(k6[i] * e6)
		x[i] = float64(e*h) / sc
	}
	return rmsNorm(sumSq8(x), n)
}

// StepFixed takes one step of exactly h·direction (clamped at t1) without
// error control, for convergence studies. It returns the error norm SciPy's
// controller would have seen.
func (s *Stepper) StepFixed(h float64) (errNorm float64, err error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.done {
		return 0, ErrFinished
	}
	if !(h > 0) || math.IsInf(h, 1) {
		return 0, fmt.Errorf("rk45: fixed step %v must be positive and finite", h)
	}
	t := s.t
	tNew := t + h*s.dir
	if s.dir*(tNew-s.t1) > 0 {
		tNew = s.t1
	}
	hs := tNew - t
	s.qOK = false
	if err := s.rkStep(t, hs); err != nil {
		return 0, s.fail(err)
	}
	errNorm = s.errorNorm(hs)
	s.yOld, s.y, s.yNew = s.y, s.yNew, s.yOld
	copy(s.fcur, s.k[6])
	s.tOld, s.t = t, tNew
	s.accepted++
	s.stepped = true
	if s.dir*(s.t-s.t1) >= 0 {
		s.done = true
	}
	return errNorm, nil
}

// DenseOutput writes the interpolant of the last successful step at t into
// dst (len n): SciPy's RkDenseOutput, y_old + h·Q·[x, x², x³, x⁴] with
// x = (t − t_old)/h and Q = Kᵀ·P (HIFM-MATH §6). t outside [t_old, t] is
// extrapolated, as in SciPy.
func (s *Stepper) DenseOutput(t float64, dst []float64) error {
	if !s.stepped {
		return ErrNoStep
	}
	if len(dst) != s.n {
		return fmt.Errorf("rk45: dense output into len %d, want %d", len(dst), s.n)
	}
	h := s.t - s.tOld
	if s.n == 0 || h == 0 {
		copy(dst, s.y)
		return nil
	}
	if !s.qOK {
		s.computeQ()
	}
	evalDense(dst, s.yOld, s.q, s.n, (t-s.tOld)/h, h)
	return nil
}

// computeQ forms Q = Kᵀ·P (n × 4, stored as 4 rows of n) summing over the
// stages in order as the matrix product does.
func (s *Stepper) computeQ() {
	n := s.n
	for c := 0; c < 4; c++ {
		row := s.q[c*n : (c+1)*n]
		for i := range row {
			var acc float64
			for j := 0; j < 7; j++ {
				acc += float64(s.k[j][i] * denseP[j][c])
			}
			row[i] = acc
		}
	}
	s.qOK = true
}

// evalDense computes dst = h·(Q·p) + yOld, p = cumprod(x, x, x, x), with
// Q·p summed as NumPy's Q @ p does for 4 columns: (q0p1 + q2p3) + (q1p2 + q3p4)
// (MatVecNumPy's order; the same for a single row).
func evalDense(dst, yOld, q []float64, n int, x, h float64) {
	p1 := x
	p2 := p1 * x
	p3 := p2 * x
	p4 := p3 * x
	q0, q1, q2, q3 := q[:n], q[n:2*n], q[2*n:3*n], q[3*n:4*n]
	yOld = yOld[:n]
	for i := range dst[:n] {
		ev := float64(q0[i]*p1) + float64(q2[i]*p3)
		od := float64(q1[i]*p2) + float64(q3[i]*p4)
		dst[i] = float64(h*(ev+od)) + yOld[i]
	}
}
