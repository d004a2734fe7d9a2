package rk45

import (
	"fmt"
	"sort"
)

// Result is the outcome of Solve.
type Result struct {
	// T and Y are the final time and state (t1 on success; the last
	// accepted point when Solve returns an error).
	T float64
	Y []float64
	// Times holds t0 and every accepted time (solve_ivp's sol.t) when
	// Options.RecordTimes is set.
	Times []float64
	// NFE counts right-hand-side evaluations (SciPy's nfev, including
	// f(t0) and the initial-step probe). Accepted = len(sol.t) − 1 in
	// SciPy; Rejected = (NFE − 2)/6 − Accepted with automatic first step.
	NFE, Accepted, Rejected int
	// Solution is the dense output over all accepted steps when
	// Options.Dense is set.
	Solution *Solution
}

// Solve integrates y' = f(t, y) from t0 to t1 (t1 < t0 integrates
// backward) as SciPy's solve_ivp(f, (t0, t1), y0, method="RK45") does
// (HIFM-MATH §6). On failure it returns the partial Result up to the last
// accepted step together with the error.
func Solve(f Func, t0, t1 float64, y0 []float64, opt Options) (*Result, error) {
	s, err := NewStepper(f, t0, t1, y0, opt)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	return res, drive(res, s, t0, opt)
}

// drive steps s to the end and collects the result into res (a zero
// Result; SolveBatch passes its element, Solve a new one).
func drive(res *Result, s *Stepper, t0 float64, opt Options) error {
	if opt.RecordTimes {
		res.Times = append(res.Times, t0)
	}
	var sol *Solution
	if opt.Dense {
		sol = &Solution{n: s.n, ts: []float64{t0}}
	}
	var err error
	for !s.Done() {
		if err = s.Step(); err != nil {
			break
		}
		if opt.RecordTimes {
			res.Times = append(res.Times, s.t)
		}
		if sol != nil {
			sol.push(s)
		}
	}
	res.T = s.t
	res.Y = append([]float64(nil), s.y...)
	res.NFE, res.Accepted, res.Rejected = s.nfe, s.accepted, s.rejected
	res.Solution = sol
	return err
}

// Solution is the piecewise quartic dense output over the accepted steps
// (SciPy's OdeSolution of RkDenseOutput segments).
type Solution struct {
	n  int
	ts []float64 // t0 and every accepted time
	// seg holds per step: y_old (n values) then Q = Kᵀ·P (4n values).
	seg []float64
}

func (sol *Solution) push(s *Stepper) {
	n := s.n
	sol.ts = append(sol.ts, s.t)
	sol.seg = append(sol.seg, s.yOld...)
	if n == 0 || s.t == s.tOld {
		// Constant segment (SciPy's ConstantDenseOutput).
		sol.seg = append(sol.seg, make([]float64, 4*n)...)
		return
	}
	if !s.qOK {
		s.computeQ()
	}
	sol.seg = append(sol.seg, s.q...)
}

// Times returns t0 and the accepted times that delimit the segments.
func (sol *Solution) Times() []float64 { return sol.ts }

// At evaluates the dense output at t into dst (len n). The segment is
// chosen as SciPy's OdeSolution does (at a breakpoint, the earlier step in
// integration order); t outside the interval is extrapolated from the end
// segment.
func (sol *Solution) At(t float64, dst []float64) error {
	if len(dst) != sol.n {
		return fmt.Errorf("rk45: Solution.At into len %d, want %d", len(dst), sol.n)
	}
	nseg := len(sol.ts) - 1
	if nseg < 1 {
		return ErrNoStep
	}
	var seg int
	if sol.ts[nseg] >= sol.ts[0] {
		// np.searchsorted(ts, t, side="left")
		ind := sort.Search(len(sol.ts), func(i int) bool { return sol.ts[i] >= t })
		seg = min(max(ind-1, 0), nseg-1)
	} else {
		// Descending: searchsorted(ts[::-1], t, side="right"), mirrored.
		m := len(sol.ts)
		ind := sort.Search(m, func(i int) bool { return sol.ts[m-1-i] > t })
		seg = nseg - 1 - min(max(ind-1, 0), nseg-1)
	}
	n := sol.n
	blk := sol.seg[seg*5*n : (seg+1)*5*n]
	tOld, tNew := sol.ts[seg], sol.ts[seg+1]
	h := tNew - tOld
	if h == 0 || n == 0 {
		copy(dst, blk[:n])
		return nil
	}
	evalDense(dst, blk[:n], blk[n:], n, (t-tOld)/h, h)
	return nil
}
