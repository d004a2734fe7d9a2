package rk45

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// oscillator is y0' = y1, y1' = −y0 (y0 = cos t, y1 = −sin t from (1, 0)).
func oscillator(_ float64, y, d []float64) error {
	d[0], d[1] = y[1], -y[0]
	return nil
}

func TestClosedForms(t *testing.T) {
	// Global errors of an adaptive RK45 run stay within a small multiple of
	// the tolerance over these short intervals; 100·tol leaves room for
	// error growth without accepting a wrong method (which errs by ≫ 1e-3).
	const tol = 1e-10
	opt := Options{RTol: tol, ATol: tol}
	cases := []struct {
		name   string
		f      Func
		t0, t1 float64
		y0     []float64
		want   []float64
	}{
		{"decay", func(_ float64, y, d []float64) error { d[0] = -y[0]; return nil },
			0, 2, []float64{1}, []float64{math.Exp(-2)}},
		{"oscillator", oscillator, 0, 5, []float64{1, 0}, []float64{math.Cos(5), -math.Sin(5)}},
		{"oscillator backward", oscillator, 5, 0, []float64{math.Cos(5), -math.Sin(5)}, []float64{1, 0}},
		{"time-dependent y'=2ty backward", func(t float64, y, d []float64) error { d[0] = 2 * t * y[0]; return nil },
			1, 0, []float64{math.E}, []float64{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Solve(c.f, c.t0, c.t1, c.y0, opt)
			if err != nil {
				t.Fatal(err)
			}
			if res.T != c.t1 {
				t.Errorf("final time %v, want exactly %v", res.T, c.t1)
			}
			if d := cmp.Diff(c.want, res.Y, cmpopts.EquateApprox(0, 100*tol)); d != "" {
				t.Errorf("y(t1) (-exact +got):\n%s", d)
			}
			if res.NFE != 2+6*(res.Accepted+res.Rejected) {
				t.Errorf("NFE %d ≠ 2 + 6·(%d + %d)", res.NFE, res.Accepted, res.Rejected)
			}
		})
	}
}

// kepler is the two-body problem y = (x, y, vx, vy).
func kepler(_ float64, y, d []float64) error {
	r2 := y[0]*y[0] + y[1]*y[1]
	r3 := r2 * math.Sqrt(r2)
	d[0], d[1], d[2], d[3] = y[2], y[3], -y[0]/r3, -y[1]/r3
	return nil
}

func TestKeplerPeriod(t *testing.T) {
	// After one period 2π the orbit returns to its start; energy
	// v²/2 − 1/r is conserved. Tolerance 1e-6 for rtol = 1e-10: the
	// eccentric orbit's phase error grows over the period (SciPy's run of
	// the same problem ends 1.1e-9 off, see the golden file).
	e := 0.5
	y0 := []float64{1 - e, 0, 0, math.Sqrt((1 + e) / (1 - e))}
	res, err := Solve(kepler, 0, 2*math.Pi, y0, Options{RTol: 1e-10, ATol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(y0, res.Y, cmpopts.EquateApprox(0, 1e-6)); d != "" {
		t.Errorf("state after one period (-start +end):\n%s", d)
	}
	energy := func(y []float64) float64 {
		return (y[2]*y[2]+y[3]*y[3])/2 - 1/math.Hypot(y[0], y[1])
	}
	if d := math.Abs(energy(res.Y) - energy(y0)); d > 1e-8 {
		t.Errorf("energy drift %g", d)
	}
}

// fixedSolve integrates the oscillator over [0, 1] with n fixed steps.
func fixedSolve(t *testing.T, n int) []float64 {
	t.Helper()
	s, err := NewStepper(oscillator, 0, 1, []float64{1, 0}, Options{RTol: 1e-3, ATol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	h := 1.0 / float64(n)
	for i := 0; i < n; i++ {
		if _, err := s.StepFixed(h); err != nil {
			t.Fatal(err)
		}
	}
	return s.Y()
}

func TestFifthOrderConvergence(t *testing.T) {
	// Global error of a 5th-order method ∝ h⁵: halving h divides it by 32.
	// At these step sizes the ratio is within ±15 % of 32 (next-order
	// terms); a 4th-order method gives 16, a 6th 64.
	var errs []float64
	for _, n := range []int{8, 16, 32} {
		y := fixedSolve(t, n)
		errs = append(errs, math.Hypot(y[0]-math.Cos(1), y[1]+math.Sin(1)))
	}
	for i := 1; i < len(errs); i++ {
		r := errs[i-1] / errs[i]
		if r < 32*0.85 || r > 32*1.15 {
			t.Errorf("error ratio %g (errors %g → %g), want ≈ 32", r, errs[i-1], errs[i])
		}
	}
}

func TestLocalOrders(t *testing.T) {
	// One step from the exact y(0) = 1 of y' = y: the step's local error is
	// O(h⁶) (5th-order method, ratio 64 when halving h) and the quartic
	// dense output's error at mid-step O(h⁵) (4th-order interpolant, ratio
	// 32); ±15 % for the next-order terms.
	grow := func(_ float64, y, d []float64) error { d[0] = y[0]; return nil }
	var endErr, midErr []float64
	for _, h := range []float64{0.1, 0.05, 0.025} {
		s, err := NewStepper(grow, 0, 1, []float64{1}, Options{RTol: 1e-3, ATol: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StepFixed(h); err != nil {
			t.Fatal(err)
		}
		endErr = append(endErr, math.Abs(s.Y()[0]-math.Exp(h)))
		mid := []float64{0}
		if err := s.DenseOutput(h/2, mid); err != nil {
			t.Fatal(err)
		}
		midErr = append(midErr, math.Abs(mid[0]-math.Exp(h/2)))
	}
	for i := 1; i < 3; i++ {
		if r := endErr[i-1] / endErr[i]; r < 64*0.85 || r > 64*1.15 {
			t.Errorf("step local error ratio %g, want ≈ 64 (errors %v)", r, endErr)
		}
		if r := midErr[i-1] / midErr[i]; r < 32*0.85 || r > 32*1.15 {
			t.Errorf("dense output error ratio %g, want ≈ 32 (errors %v)", r, midErr)
		}
	}
}

func TestDenseOutputEndpoints(t *testing.T) {
	// The interpolant passes through both ends of the step: at x = 0
	// exactly y_old, at x = 1 y_new up to rounding (Σ P rows = B).
	s, err := NewStepper(kepler, 0, 1, []float64{0.5, 0, 0, math.Sqrt(3)}, Options{RTol: 1e-6, ATol: 1e-6})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 4)
	if err := s.DenseOutput(0, got); !errors.Is(err, ErrNoStep) {
		t.Fatalf("dense output before a step: %v, want ErrNoStep", err)
	}
	for i := 0; i < 3; i++ {
		if err := s.Step(); err != nil {
			t.Fatal(err)
		}
	}
	yNew := append([]float64(nil), s.Y()...)
	if err := s.DenseOutput(s.T(), got); err != nil {
		t.Fatal(err)
	}
	// 1e-14 absolute: |y| ≤ 2, a few roundings of h·Σ.
	if d := cmp.Diff(yNew, got, cmpopts.EquateApprox(0, 1e-14)); d != "" {
		t.Errorf("dense output at t_new (-y_new +dense):\n%s", d)
	}
	if err := s.DenseOutput(s.TOld(), got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(s.yOld, got); d != "" {
		t.Errorf("dense output at t_old is not y_old:\n%s", d)
	}
	if err := s.DenseOutput(0, make([]float64, 3)); err == nil {
		t.Error("dense output into a short slice: no error")
	}
}

func TestStepperMatchesSolve(t *testing.T) {
	opt := Options{RTol: 1e-6, ATol: 1e-8, RecordTimes: true}
	res, err := Solve(kepler, 0, 3, []float64{0.5, 0, 0, math.Sqrt(3)}, opt)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStepper(kepler, 0, 3, []float64{0.5, 0, 0, math.Sqrt(3)}, opt)
	if err != nil {
		t.Fatal(err)
	}
	times := []float64{0}
	for !s.Done() {
		if err := s.Step(); err != nil {
			t.Fatal(err)
		}
		times = append(times, s.T())
	}
	if d := cmp.Diff(res.Times, times); d != "" {
		t.Errorf("times differ:\n%s", d)
	}
	if d := cmp.Diff(res.Y, s.Y()); d != "" {
		t.Errorf("final state differs:\n%s", d)
	}
	if err := s.Step(); !errors.Is(err, ErrFinished) {
		t.Errorf("step after the end: %v, want ErrFinished", err)
	}
	if res.Rejected == 0 && res.NFE != 2+6*res.Accepted {
		t.Errorf("NFE %d for %d accepted steps", res.NFE, res.Accepted)
	}
}

func TestErrors(t *testing.T) {
	nanAfter := func(t float64, y, d []float64) error {
		d[0] = -y[0]
		if t > 0.5 {
			d[0] = math.NaN()
		}
		return nil
	}
	_, err := Solve(nanAfter, 0, 1, []float64{1}, Options{RTol: 1e-6, ATol: 1e-6})
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "t=") {
		t.Errorf("NaN right-hand side: %v, want ErrNonFinite naming t", err)
	}
	infAt0 := func(_ float64, _, d []float64) error { d[0] = math.Inf(1); return nil }
	if _, err := Solve(infAt0, 0, 1, []float64{1}, Options{RTol: 1e-6}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("Inf at t0: %v, want ErrNonFinite", err)
	}
	boom := errors.New("boom")
	failing := func(t float64, _, d []float64) error {
		if t > 0.1 {
			return boom
		}
		d[0] = 1
		return nil
	}
	res, err := Solve(failing, 0, 1, []float64{0}, Options{RTol: 1e-6, ATol: 1e-6})
	if !errors.Is(err, boom) {
		t.Errorf("failing right-hand side: %v, want wrapped boom", err)
	}
	if res == nil || res.T > 0.1 || res.NFE == 0 {
		t.Errorf("partial result %+v", res)
	}
	// y' = y², y(0) = 1 blows up at t = 1: the step shrinks below 10 ulps.
	blow := func(_ float64, y, d []float64) error { d[0] = y[0] * y[0]; return nil }
	res, err = Solve(blow, 0, 2, []float64{1}, Options{RTol: 1e-6, ATol: 1e-6})
	if !errors.Is(err, ErrStepTooSmall) || res.T < 0.99 || res.T > 1.01 {
		t.Errorf("blow-up: %v at t=%v, want ErrStepTooSmall near t = 1", err, res.T)
	}
	_, err = Solve(oscillator, 0, 100, []float64{1, 0}, Options{RTol: 1e-8, ATol: 1e-8, MaxSteps: 20})
	if !errors.Is(err, ErrMaxSteps) {
		t.Errorf("step limit: %v, want ErrMaxSteps", err)
	}

	bad := []struct {
		name   string
		f      Func
		t0, t1 float64
		y0     []float64
		opt    Options
	}{
		{"nil f", nil, 0, 1, []float64{1}, Options{}},
		{"rtol < 0", oscillator, 0, 1, []float64{1, 0}, Options{RTol: -1}},
		{"rtol NaN", oscillator, 0, 1, []float64{1, 0}, Options{RTol: math.NaN()}},
		{"atol < 0", oscillator, 0, 1, []float64{1, 0}, Options{ATol: -1}},
		{"atol Inf", oscillator, 0, 1, []float64{1, 0}, Options{ATol: math.Inf(1)}},
		{"atol vector length", oscillator, 0, 1, []float64{1, 0}, Options{ATolVec: []float64{1}}},
		{"atol vector negative", oscillator, 0, 1, []float64{1, 0}, Options{ATolVec: []float64{1, -1}}},
		{"first step < 0", oscillator, 0, 1, []float64{1, 0}, Options{FirstStep: -1}},
		{"first step too long", oscillator, 0, 1, []float64{1, 0}, Options{FirstStep: 2}},
		{"first step on empty interval", oscillator, 1, 1, []float64{1, 0}, Options{FirstStep: 0.1}},
		{"max step < 0", oscillator, 0, 1, []float64{1, 0}, Options{MaxStep: -1}},
		{"max steps < 0", oscillator, 0, 1, []float64{1, 0}, Options{MaxSteps: -1}},
		{"y0 NaN", oscillator, 0, 1, []float64{math.NaN(), 0}, Options{}},
		{"t1 Inf", oscillator, 0, math.Inf(1), []float64{1, 0}, Options{}},
		{"initial step rule", oscillator, 0, 1, []float64{1, 0}, Options{InitialStep: 7}},
		{"atol 0 and zero component", oscillator, 0, 1, []float64{0, 0}, Options{RTol: 1e-3}},
	}
	for _, c := range bad {
		if _, err := Solve(c.f, c.t0, c.t1, c.y0, c.opt); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestRTolFloor(t *testing.T) {
	// SciPy raises rtol below 100·eps to 100·eps: rtol 0 and 100·eps give
	// the same run.
	a, err := Solve(oscillator, 0, 1, []float64{1, 0}, Options{ATol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Solve(oscillator, 0, 1, []float64{1, 0}, Options{RTol: 100 * 2.220446049250313e-16, ATol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	if a.NFE != b.NFE || !cmp.Equal(a.Y, b.Y) {
		t.Errorf("rtol 0: NFE %d y %v; rtol 100 eps: NFE %d y %v", a.NFE, a.Y, b.NFE, b.Y)
	}
}

func TestDegenerate(t *testing.T) {
	// SciPy 1.10 with t0 == t1: f(t0), the initial-step probe, one step of
	// length zero (nfev 2, len(sol.t) 2, as in the golden file).
	res, err := Solve(oscillator, 1, 1, []float64{1, 2}, Options{RTol: 1e-6, RecordTimes: true, Dense: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.NFE != 2 || res.Accepted != 1 || !cmp.Equal(res.Times, []float64{1, 1}) || !cmp.Equal(res.Y, []float64{1, 2}) {
		t.Errorf("t0 == t1: %+v", res)
	}
	y := make([]float64, 2)
	if err := res.Solution.At(1, y); err != nil || !cmp.Equal(y, []float64{1, 2}) {
		t.Errorf("dense output on an empty interval: %v %v", y, err)
	}
	// Newer SciPy skips the probe.
	res, err = Solve(oscillator, 1, 1, []float64{1, 2}, Options{RTol: 1e-6, InitialStep: InitialStepClamped})
	if err != nil || res.NFE != 1 {
		t.Errorf("t0 == t1 with the clamped rule: NFE %d, err %v; want 1", res.NFE, err)
	}
	// Empty system: one evaluation at t0, nothing else (as SciPy).
	calls := 0
	res, err = Solve(func(_ float64, _, _ []float64) error { calls++; return nil }, 0, 1, nil, Options{})
	if err != nil || res.NFE != 1 || calls != 1 || res.T != 1 || res.Accepted != 1 {
		t.Errorf("empty system: %+v, %d calls, %v", res, calls, err)
	}
}

func TestInitialStepRules(t *testing.T) {
	// On a short interval SciPy 1.10 probes f beyond t1; the clamped rule
	// (SciPy PR #17348) never evaluates outside [t0, t1].
	const t1 = 1e-4
	var maxT float64
	f := func(t float64, y, d []float64) error {
		maxT = math.Max(maxT, t)
		d[0] = -y[0]
		return nil
	}
	if _, err := Solve(f, 0, t1, []float64{1}, Options{RTol: 1e-3, ATol: 1e-6}); err != nil {
		t.Fatal(err)
	}
	if maxT <= t1 {
		t.Errorf("SciPy 1.10 rule: largest t %v, expected a probe beyond t1 = %v", maxT, t1)
	}
	maxT = 0
	res, err := Solve(f, 0, t1, []float64{1}, Options{RTol: 1e-3, ATol: 1e-6, InitialStep: InitialStepClamped})
	if err != nil {
		t.Fatal(err)
	}
	if maxT > t1 {
		t.Errorf("clamped rule: f evaluated at %v > t1", maxT)
	}
	// The clamped first step is the whole interval: one step.
	if res.Accepted != 1 {
		t.Errorf("clamped rule: %d steps, want 1", res.Accepted)
	}
	// MaxStep bounds every step under both rules.
	res, err = Solve(oscillator, 0, 1, []float64{1, 0}, Options{RTol: 1e-3, ATol: 1e-6, MaxStep: 0.1, RecordTimes: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(res.Times); i++ {
		if res.Times[i]-res.Times[i-1] > 0.1+1e-15 { // slack: rounding of the difference
			t.Errorf("step %d of %v exceeds MaxStep", i, res.Times[i]-res.Times[i-1])
		}
	}
}

func TestZeroAllocsPerStep(t *testing.T) {
	for _, n := range []int{1, 2, 39} {
		a := make([]float64, n*n)
		for i := range a {
			a[i] = math.Sin(float64(i)) / float64(n)
		}
		for i := 0; i < n; i++ {
			a[i*n+i] -= 1
		}
		f := func(_ float64, y, d []float64) error { MatVecNumPy(a, n, n, y, d); return nil }
		y0 := make([]float64, n)
		for i := range y0 {
			y0[i] = 1
		}
		opt := Options{RTol: 1e-6, ATol: 1e-6}
		s, err := NewStepper(f, 0, 1e9, y0, opt)
		if err != nil {
			t.Fatal(err)
		}
		dst := make([]float64, n)
		allocs := testing.AllocsPerRun(200, func() {
			if s.Done() {
				if err := s.Reset(f, 0, 1e9, y0, opt); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Step(); err != nil {
				t.Fatal(err)
			}
			if err := s.DenseOutput(s.T(), dst); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("n=%d: %v allocations per step, want 0", n, allocs)
		}
	}
}

// TestSolveBatchAllocsPerProblem: SolveBatch's per-call setup aside (the
// result and error slices, the workers), a problem allocates only its end
// point Result.Y: the stepper is reset per worker and the Result written
// in place, so 8 problems cost 7 allocations more than 1.
func TestSolveBatchAllocsPerProblem(t *testing.T) {
	const n = 5
	a := make([]float64, n*n)
	for i := range a {
		a[i] = math.Cos(float64(i)) / n
	}
	f := func(_, _ int, _ float64, y, d []float64) error { MatVecNumPy(a, n, n, y, d); return nil }
	y0s := make([][]float64, 8)
	for i := range y0s {
		y0s[i] = make([]float64, n)
		y0s[i][i%n] = 1
	}
	opt := Options{RTol: 1e-3, ATol: 1e-6}
	solve := func(k int) func() {
		return func() {
			if _, err := SolveBatch(f, 0, 2, y0s[:k], opt, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	one, eight := testing.AllocsPerRun(20, solve(1)), testing.AllocsPerRun(20, solve(8))
	if eight-one != 7 {
		t.Errorf("SolveBatch allocates %v times for 1 problem, %v for 8: want 7 more (one Result.Y each)", one, eight)
	}
}

func TestSolveBatch(t *testing.T) {
	const n, problems = 5, 23
	a := make([]float64, n*n)
	for i := range a {
		a[i] = math.Cos(float64(3*i)) / 2
	}
	y0s := make([][]float64, problems)
	for p := range y0s {
		y0s[p] = make([]float64, n)
		for i := range y0s[p] {
			y0s[p][i] = math.Sin(float64(p*n+i)) * float64(p+1)
		}
	}
	// Each problem has its own rate, so step sequences differ.
	f := func(_, problem int, _ float64, y, d []float64) error {
		MatVecNumPy(a, n, n, y, d)
		for i := range d {
			d[i] *= 1 + float64(problem)/10
		}
		return nil
	}
	opt := Options{RTol: 1e-7, ATol: 1e-9, RecordTimes: true}
	var want []Result
	for p := range y0s {
		r, err := Solve(func(t float64, y, d []float64) error { return f(0, p, t, y, d) }, 1, 0, y0s[p], opt)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, *r)
	}
	if want[0].NFE == want[problems-1].NFE {
		t.Fatalf("problems are too alike to test independent step control")
	}
	for _, workers := range []int{1, 3, 0} {
		got, err := SolveBatch(f, 1, 0, y0s, opt, workers)
		if err != nil {
			t.Fatal(err)
		}
		// Bit-identical: each problem runs exactly the Solve algorithm.
		if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Solution{})); d != "" {
			t.Errorf("workers=%d: batch differs from Solve (-solve +batch):\n%s", workers, d)
		}
	}
	// Failures: the lowest failing problem index is reported.
	bad := func(w, problem int, t float64, y, d []float64) error {
		if err := f(w, problem, t, y, d); err != nil {
			return err
		}
		if problem == 7 || problem == 15 {
			d[0] = math.NaN()
		}
		return nil
	}
	for _, workers := range []int{1, 4} {
		_, err := SolveBatch(bad, 1, 0, y0s, opt, workers)
		if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "problem 7:") {
			t.Errorf("workers=%d: %v, want problem 7's ErrNonFinite", workers, err)
		}
	}
}
