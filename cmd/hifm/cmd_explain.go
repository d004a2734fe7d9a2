package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
)

const explainHelp = `A step-by-step walk through one HI-FM conditional path on a tiny example:
4 particles in 3-D (a slightly irregular tetrahedron, n = 12), its
formation-energy Hessian, the null space, the processed spectrum, κ and r_i,
and μ(s), Σ(s) and u(y, s) at a few s. Every line cites the equation of
HIFM-MATH.md it illustrates; docs/MATH.md maps each equation to its code.

With -example well|ring it walks through one data point of a 2-D energy
(an anisotropic well; the ring V = (‖y‖² − 1)², whose tangent is a null
direction), and with -out DIR draws the conditional paths of OT and HI-FM
(α = 0.5, 1, 1.5) over the energy's contours, the conditional densities'
ellipses, κ and s(t) for both priorities, the Hessian field and (ring) the
null direction's treatments side by side. -train also trains a small
MLP on Boltzmann samples of the energy with OT and HI-FM (ring: every
treatment of the null direction) and draws its samples and test NLL
(about 20 s on 2 cores).

examples:
  hifm explain
  hifm explain -example ring -out pics
  hifm explain -example well -alpha 1.5 -out pics
  hifm explain -example ring -train -out pics
  hifm explain -hyperbolize -stationary anisotropic -alpha 1.5
  hifm explain --json`

// explainState collects every number printed, for --json and the tests.
type explainState struct {
	Config     flow.Config        `json:"config"`
	Y1         []float64          `json:"y1"`
	Y0         []float64          `json:"y0"`
	RawEigen   []float64          `json:"hessian_eigenvalues"`
	RawNullDim int                `json:"hessian_null_dim"`
	NullDim    int                `json:"null_dim"`
	Lambda     []float64          `json:"processed_eigenvalues"`
	Kappa      float64            `json:"kappa"`
	R          []float64          `json:"r"`
	D          []float64          `json:"d"`
	VInf       []float64          `json:"v_inf"`
	Steps      []explainAtS       `json:"steps"`
	Checks     map[string]float64 `json:"checks"`
}

type explainAtS struct {
	S        float64   `json:"s"`
	Mean     []float64 `json:"mean"`
	CovDiag  []float64 `json:"cov_eigen"`
	YS       []float64 `json:"ys"`
	US       []float64 `json:"us"`
	DistToY1 float64   `json:"dist_mean_to_y1"`
}

func init() {
	register(&command{name: "explain", summary: "walk through one HI-FM conditional path, equation by equation", run: runExplain})
}

func runExplain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", explainHelp, stderr)
	cfg := flow.Default()
	cfg.Kind = flow.PathHIFM
	fs.Float64Var(&cfg.Alpha, "alpha", cfg.Alpha, "α = κ/λ_min (HIFM-MATH §3; Table 1 uses 0.5, 1, 1.5)")
	prio := fs.String("priority", string(flow.PriorityInterpolant), "interpolant|data|none (§3.1)")
	stat := fs.String("stationary", string(flow.StationaryIsotropic), "isotropic|anisotropic (§4)")
	fs.BoolVar(&cfg.Hyperbolize, "hyperbolize", false, "replace null eigenvalues by λ_min (§4)")
	nullSpace := fs.String("null-space", string(flow.NullSpaceInvariant), "reading of a kept null space: invariant, conjugate or projected (§4)")
	fs.Float64Var(&cfg.Condition, "condition", 0, "condition-number bound K (0: off, §4)")
	fs.Float64Var(&cfg.Sigma, "sigma", cfg.Sigma, "σ of the stationary law (§4)")
	asJSON := fs.Bool("json", false, "print every number as JSON instead of the walk-through")
	example := fs.String("example", "", "a 2-D lesson instead of the 12-dimensional one: well|ring (the paper's Fig. 1–2)")
	out := fs.String("out", "", "with -example: write the pictures (SVG) and config.json into this directory")
	paths := fs.Int("paths", 24, "with -out: base draws whose conditional paths are drawn")
	doTrain := fs.Bool("train", false, "with -example and -out: train an MLP with OT and HI-FM on Boltzmann samples of the energy")
	steps := fs.Int64("steps", 2000, "with -train: optimiser steps per run")
	seed := fs.Uint64("seed", 1, "with -out: seed of the base draws, data and training")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.Priority, cfg.Stationary = flow.Priority(*prio), flow.Stationary(*stat)
	cfg.NullSpace = flow.NullSpace(*nullSpace)
	if err := cfg.Validate(); err != nil {
		return usageError("%v", err)
	}
	switch {
	case *example != "" && *example != energy.ToyWell && *example != energy.ToyRing:
		return usageError("-example %q: want %q or %q", *example, energy.ToyWell, energy.ToyRing)
	case *example == "" && (*out != "" || *doTrain):
		return usageError("-out and -train need -example well|ring (the 12-dimensional walk-through has no pictures)")
	case *doTrain && *out == "":
		return usageError("-train needs -out DIR for its pictures")
	case *paths < 1 || *paths > 1000:
		return usageError("-paths %d: want 1…1000", *paths)
	case *steps < 1:
		return usageError("-steps %d: want ≥ 1", *steps)
	}
	if *example != "" {
		return runExplain2D(cfg, *example, *out, *paths, *doTrain, *steps, *seed, *asJSON, stdout, stderr)
	}
	st, err := explain(cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, st)
	}
	printExplain(stdout, st)
	return nil
}

// explainY1 is a slightly irregular tetrahedron (so the spectrum has no
// accidental degeneracy beyond the symmetries), centre of mass removed.
var explainY1 = []float64{
	1.0, 0.1, -0.7,
	-1.1, 0.9, -0.6,
	0.05, -1.0, -0.75,
	0.05, 0.0, 2.05,
}

func explain(cfg flow.Config) (*explainState, error) {
	const particles, dim = 4, 3
	n := particles * dim
	y1 := append([]float64(nil), explainY1...)
	flow.RemoveCOM(y1, dim)
	form, err := energy.NewFormation(y1, particles, dim, energy.CompleteGraph)
	if err != nil {
		return nil, err
	}
	h := make([]float64, n*n)
	form.Hessian(y1, h)
	// A fixed base draw y0 (zero centre of mass), so the output is reproducible.
	y0 := make([]float64, n)
	for i := range y0 {
		y0[i] = math.Sin(1.7*float64(i) + 0.3)
	}
	flow.RemoveCOM(y0, dim)
	return explainPath(cfg, y1, y0, h)
}

// explainPath computes every number of the walk-through for the data point
// y1 with Hessian h and the base draw y0: spectrum (§2–4), the path at a
// few s (Eq. 22, F1, F2) and the F1/Eq. 17 checks.
func explainPath(cfg flow.Config, y1, y0, h []float64) (*explainState, error) {
	n := len(y1)
	pl := flow.Pipeline{Config: cfg}
	sp, err := pl.Spectrum(h, y1)
	if err != nil {
		return nil, err
	}
	st := &explainState{Config: cfg, Y1: y1, Y0: y0, RawEigen: sp.Raw, NullDim: sp.NNull,
		Lambda: sp.Lambda, Kappa: sp.Kappa, R: sp.R, D: sp.D, VInf: sp.VInf, Checks: map[string]float64{}}
	lmax := sp.Raw[n-1]
	for _, l := range sp.Raw {
		if l < cfg.NullTol*lmax {
			st.RawNullDim++
		}
	}
	path := flow.NewHIFMPath(cfg)
	m, v := make([]float64, n), make([]float64, n)
	for _, s := range []float64{0, 0.25, 0.5, 0.9, cfg.SMax()} {
		at := explainAtS{S: s, Mean: make([]float64, n), CovDiag: make([]float64, n), YS: make([]float64, n), US: make([]float64, n)}
		path.Mean(at.Mean, y1, s, sp)
		path.Moments(m, v, s, sp)
		copy(at.CovDiag, v)
		path.Draw(at.YS, at.US, y0, y1, s, sp)
		var d float64
		for i := range y1 {
			d += (at.Mean[i] - y1[i]) * (at.Mean[i] - y1[i])
		}
		at.DistToY1 = math.Sqrt(d)
		st.Steps = append(st.Steps, at)
	}
	// Checks: F1 is the s-derivative of F2 (central difference, h = 1e-6),
	// and Eq. 17 divided by ds/dt = κ(1 − s) equals F1 (§3).
	s, hs := 0.5, 1e-6
	yp, ym, up, u := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	path.Draw(yp, up, y0, y1, s+hs, sp)
	path.Draw(ym, up, y0, y1, s-hs, sp)
	ys := make([]float64, n)
	path.Draw(ys, u, y0, y1, s, sp)
	var e1, e2 float64
	for i := range u {
		e1 = math.Max(e1, math.Abs((yp[i]-ym[i])/(2*hs)-u[i]))
	}
	ut := make([]float64, n)
	path.FieldT(ut, ys, y1, flow.Time(s, sp.Kappa), sp)
	for i := range u {
		e2 = math.Max(e2, math.Abs(ut[i]/(sp.Kappa*(1-s))-u[i]))
	}
	st.Checks["max_abs_F1_minus_dF2ds"] = e1
	st.Checks["max_abs_eq17_over_kappa_minus_F1"] = e2
	return st, nil
}

func fmtVec(v []float64, k int) string {
	parts := make([]string, 0, k+1)
	for i, x := range v {
		if i == k {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(v)-k))
			break
		}
		parts = append(parts, fmt.Sprintf("%.4g", x))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func printExplain(w io.Writer, st *explainState) {
	c := st.Config
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("HI-FM, one conditional path, step by step (4 particles in 3-D, n = 12)")
	p("")
	p("1. Data sample y1 (centre of mass removed, HIFM-MATH §4):")
	for i := 0; i < 4; i++ {
		p("     particle %d: %s", i, fmtVec(st.Y1[3*i:3*i+3], 3))
	}
	p("2. Energy: formation energy V(y) = ¼ Σ_(i,j) (|y_i − y_j|² − d_ij²)², d_ij from y1   (Eq. 25)")
	p("   y1 is a minimum (V = 0); H = ∇²V(y1) = ½ RᵀR   (§4.1)")
	p("3. eigendecomposition H = Q Λ Qᵀ (eig.Sym), eigenvalues ascending   (§2):")
	p("     %s", fmtVec(st.RawEigen, 12))
	p("4. Null space: λ_i < τ·λ_max with τ = %g gives %d zero eigenvalues   (§4)", c.NullTol, st.RawNullDim)
	p("   (3 translations + 3 rotations of a rigid 3-D formation)")
	if c.Hyperbolize {
		p("   hyperbolize: every zero eigenvalue is replaced by λ_min; null space left: %d   (§4)", st.NullDim)
	} else {
		switch c.NullSpace {
		case flow.NullSpaceConjugate:
			p("   kept, read \"conjugate\": null coordinates sit at y1's with variance σ² for all s   (§4)")
		case flow.NullSpaceProjected:
			p("   kept, read \"projected\": null coordinates sit at y1's with variance 0   (§4)")
		default:
			p("   kept: null coordinates keep their base value and variance for all s   (§4)")
		}
	}
	if c.Condition > 0 {
		p("   condition number: λ ← λ_min (λ/λ_min)^p with p = ln K/ln(λ_max/λ_min), K = %g (§4)", c.Condition)
	}
	printPathSteps(w, st)
}

// printPathSteps prints steps 5–8 (priority, diffusion, the path, checks),
// common to the 12-dimensional walk-through and the 2-D examples.
func printPathSteps(w io.Writer, st *explainState) {
	c := st.Config
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("5. Priority %q, α = %g, ε = %g, T = %g   (§3.1)", c.Priority, c.Alpha, c.Epsilon, c.Horizon)
	p("   κ = %.6g   (ds/dt = κ(1 − s), s(t) = 1 − e^{−κt}, Eq. 21)", st.Kappa)
	p("   processed λ: %s", fmtVec(st.Lambda, len(st.Lambda)))
	p("   r_i = λ_i/κ: %s   (e^{−λ_i t(s)} = (1 − s)^{r_i})", fmtVec(st.R, len(st.R)))
	p("6. Diffusion %q, σ = %g: d_i = %s", c.Stationary, c.Sigma, fmtVec(st.D, len(st.D)))
	p("   stationary variances v_i^∞ = d_i/(2λ_i): %s   (Eq. 16)", fmtVec(st.VInf, len(st.VInf)))
	p("7. The path from the base sample y0 (|y0| = %.4g) to y1, in s   (Eq. 22, F1, F2):", norm2(st.Y0))
	for _, at := range st.Steps {
		p("   s = %-8.6g |μ(s) − y1| = %-9.4g hyperbolic v_i(s) = %s", at.S, at.DistToY1, fmtVec(at.CovDiag[st.NullDim:], 6))
		k := min(3, len(at.YS))
		p("              y_s[0:%d] = %s   u(y_s, s)[0:%d] = %s", k, fmtVec(at.YS[:k], k), k, fmtVec(at.US[:k], k))
	}
	p("   s stops at 1 − δ = %g: r_i < 1 (α > 1) makes m_i'(s) blow up as s → 1   (§3)", c.SMax())
	p("8. Checks:")
	p("   max |F1 − d/ds F2| (central difference, h = 1e-6)      = %.2e", st.Checks["max_abs_F1_minus_dF2ds"])
	p("   max |Eq. 17 / (κ(1 − s)) − F1| at s = 0.5             = %.2e", st.Checks["max_abs_eq17_over_kappa_minus_F1"])
}

func norm2(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}
