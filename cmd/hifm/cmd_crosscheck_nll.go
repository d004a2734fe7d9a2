package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor/npy"
)

const crosscheckNLLHelp = `
Per-sample negative log-likelihood of a checkpoint's network (HIFM-MATH §6)
on configurations you give, with the numbers needed to compare another
implementation step by step. Schema: docs/CROSSCHECK.md ("crosscheck nll").

The augmented ODE d/ds [y, ℓ] = [v_θ(y, s), div v_θ(y, s)] is integrated
with Dormand–Prince RK45 (SciPy's decisions) from the data end T1 back to
T0 (OT: [0, 1]; HI-FM finite: [0, 1−δ]; infinite: [0, t(1−δ)]), one solve
per sample; for particle data the field and its divergence live on the
zero-centre-of-mass subspace. The divergence is exact (-divergence exact)
or Hutchinson's estimate with -probes Rademacher probes drawn from
(-seed, sample index), fixed during each solve.

Input: -in y.npy of shape (b, n), n the network's dimension.
Output .npz (float64):
  nll         (b,)    −log p_1(y), normalised: the base's constant included
                      (for particles ½(N−1)d·ln(2πσ_0²), 33.08 for LJ13; DEM)
  nll_bgflow  (b,)    nll − that constant (bgflow's mean-free prior; = nll
                      for non-particle data)
  nfe         (b,)    function evaluations of each solve
  base_point  (b, n)  y(T0), the base point the solve reached
  log_p0      (b,)    log p_0(base_point), normalised
  int_div     (b,)    ∫_{T0}^{T1} div v_θ ds along the path, so that
                      nll = int_div − log_p0
A failed solve gives NaN in its rows and is listed in the JSON config.

examples:
  hifm crosscheck nll -ckpt runs/hifm -in y.npy -out nll.npz
  hifm crosscheck nll -ckpt ckpt -in y.npy -out nll.npz -rtol 1e-6 -atol 1e-6 --json
  hifm crosscheck nll -ckpt ckpt -in y.npy -out nll.npz -divergence hutchinson -probes 4 -seed 2
  hifm crosscheck nll -ckpt runs/table2 -ema -in y.npy -out nll.npz
`

func init() {
	register(&command{
		name:    "crosscheck nll",
		summary: "per-sample NLL (both conventions), NFE and base point of a checkpoint on y.npy",
		run:     runCrosscheckNLL,
	})
}

func runCrosscheckNLL(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck nll", crosscheckNLLHelp, stderr)
	ckpt := fs.String("ckpt", "", "checkpoint directory with a training config (hifm train -out, crosscheck model -init -out) (required)")
	in := fs.String("in", "", "input .npy of configurations (b, n) (required)")
	out := fs.String("out", "", "output .npz (required)")
	rtol := fs.Float64("rtol", 1e-2, "RK45 relative tolerance (paper: 1e-2)")
	atol := fs.Float64("atol", 1e-2, "RK45 absolute tolerance (paper: 1e-2)")
	div := fs.String("divergence", "exact", "exact or hutchinson")
	probes := fs.Int("probes", 1, "Rademacher probes per solve (hutchinson)")
	seed := fs.Uint64("seed", 1, "seed of the Hutchinson probes")
	workers := fs.Int("workers", 0, "goroutines (0: GOMAXPROCS); results do not depend on it")
	maxSteps := fs.Int("max-steps", 0, "RK45 step attempts per solve (0: rk45's default)")
	ema := fs.Bool("ema", false, "use the checkpoint's parameter EMA (what reproduce evaluates) instead of its parameters")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *ckpt == "" || *in == "" || *out == "":
		return usageError("-ckpt, -in and -out are required (see 'hifm crosscheck nll -h')")
	case !(*rtol > 0) || !(*atol > 0) || !finite(*rtol) || !finite(*atol):
		return usageError("-rtol and -atol must be finite numbers > 0")
	case *div != infer.DivExact && *div != infer.DivHutchinson:
		return usageError("-divergence %q: want exact or hutchinson", *div)
	case *probes < 1:
		return usageError("-probes must be ≥ 1, got %d", *probes)
	case *workers < 0 || *maxSteps < 0:
		return usageError("-workers and -max-steps must be ≥ 0")
	}
	cfg, net, err := loadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	if *ema {
		ck, err := model.LoadCheckpoint(*ckpt)
		if err != nil {
			return err
		}
		if err := loadEMA(*ckpt, ck, net); err != nil {
			return err
		}
	}
	n := net.Dim()
	ya, err := npy.ReadFile(*in)
	if err != nil {
		return err
	}
	if err := checkArray(ya, *in, fmt.Sprintf("(b, n) with n = %d (the network's dimension)", n), -1, n); err != nil {
		return err
	}
	b := ya.Shape[0]
	if b == 0 {
		return fmt.Errorf("%s: empty batch (shape %v)", *in, ya.Shape)
	}
	xs := make([][]float64, b)
	for i := range xs {
		xs[i] = ya.Data[i*n : (i+1)*n]
	}
	base, err := cfg.Inference(net).Base()
	if err != nil {
		return err
	}
	t0, t1, err := infer.Model{Flow: cfg.Flow}.Interval()
	if err != nil {
		return err
	}
	ctx, stop := withInterrupt(context.Background())
	defer stop()
	r, err := infer.NLL(ctx, cfg.Inference(net), xs, infer.Options{RTol: *rtol, ATol: *atol, Method: *div, Probes: *probes,
		Seed: *seed, Workers: *workers, MaxSteps: *maxSteps})
	if err != nil {
		if interrupted(ctx, err) {
			return errInterrupted
		}
		return fmt.Errorf("%s: %w", *in, err)
	}
	nllB, nfe, bp := make([]float64, b), make([]float64, b), make([]float64, b*n)
	logp0, intDiv := make([]float64, b), make([]float64, b)
	for i := range b {
		nllB[i] = r.NLL[i] - r.LogNormalizer
		nfe[i] = float64(r.NFE[i])
		if r.Base[i] == nil {
			for j := range n {
				bp[i*n+j] = math.NaN()
			}
			logp0[i], intDiv[i] = math.NaN(), math.NaN()
			continue
		}
		copy(bp[i*n:], r.Base[i])
		logp0[i] = base.LogDensity(r.Base[i])
		intDiv[i] = r.NLL[i] + logp0[i]
	}
	names := []string{"nll", "nll_bgflow", "nfe", "base_point", "log_p0", "int_div"}
	arrays := map[string]*npy.Array{
		"nll":        {Shape: []int{b}, Data: r.NLL},
		"nll_bgflow": {Shape: []int{b}, Data: nllB},
		"nfe":        {Shape: []int{b}, Data: nfe},
		"base_point": {Shape: []int{b, n}, Data: bp},
		"log_p0":     {Shape: []int{b}, Data: logp0},
		"int_div":    {Shape: []int{b}, Data: intDiv},
	}
	if err := npy.WriteNPZ(*out, names, arrays); err != nil {
		return err
	}
	summary := map[string]any{
		"command": "crosscheck nll", "version": hifmBuildVersion(), "ckpt": *ckpt, "ema": *ema, "in": *in, "out": *out,
		"batch": b, "dim": n, "density_dim": r.Dim, "flow": cfg.Flow, "net": net.Config(),
		"interval": []float64{t0, t1}, "rtol": *rtol, "atol": *atol, "divergence": r.Method,
		"convention":     "nll: normalised (base constant included, DEM); nll_bgflow = nll − log_normalizer",
		"log_normalizer": r.LogNormalizer, "nll_mean": r.Mean, "nll_se": r.SE, "nll_bgflow_mean": r.BgflowMean(),
		"mean_nfe": r.MeanNFE, "arrays": names, "seed": *seed,
	}
	if r.Method == infer.DivHutchinson {
		summary["probes"] = *probes
	}
	if len(r.Failed) > 0 {
		summary["failed_samples"], summary["failed_first_error"] = r.Failed, r.FirstError.Error()
	}
	if printed, err := writeSidecar(stdout, *out+".json", summary, *asJSON); err != nil || printed {
		return err
	}
	fmt.Fprintf(stdout, "NLL %.6f ± %.6f nats (normalised; bgflow convention %.6f), mean NFE %.1f, %s divergence, b=%d; wrote %s and %s.json\n",
		r.Mean, r.SE, r.BgflowMean(), r.MeanNFE, r.Method, b, *out, *out)
	if len(r.Failed) > 0 {
		fmt.Fprintf(stdout, "warning: %d solve(s) failed (NaN rows): samples %v; first: %v\n", len(r.Failed), r.Failed, r.FirstError)
	}
	return nil
}
