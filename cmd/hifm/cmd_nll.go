package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/hifm-go/hifm/flow/train"
)

const nllHelp = `
Test negative log-likelihood of a trained model (HIFM-MATH §6): the
augmented ODE d/ds [y, ℓ] = [v_θ, div v_θ] is integrated from the data end
back to the base with Dormand–Prince RK45 (the paper: rtol = atol = 1e-2),
one solve per test sample, in parallel; the divergence is exact (the
network's analytic form or n reverse sweeps) for n ≤ 100 and Hutchinson's
estimate with Rademacher probes fixed during each solve for larger n
(images); -divergence chooses either.

NLL is in nats per sample, normalised: for particles it is the density on
the zero-centre-of-mass subspace ((N−1)·3 = 36 dimensions for LJ13) including
the base's constant ½(N−1)d·ln(2πσ_0²) (33.08 for LJ13, the DEM convention);
bgflow's mean-free prior drops that constant, so its convention is printed
beside it. For MNIST bits per dimension are printed too. The number of
function evaluations (NFE) is per solve. Results do not depend on -threads.

examples:
  hifm nll -ckpt runs/hifm -data lj13 -n 1000
  hifm nll -ckpt runs/mnist -data mnist -n 100 -hutchinson --json
`

func init() {
	register(&command{name: "nll", summary: "test NLL (both conventions) and NFE of a trained model", run: runNLL})
}

type nllReport struct {
	Command       string     `json:"command"`
	Checkpoint    string     `json:"checkpoint"`
	Data          *dataSpec  `json:"data"`
	N             int        `json:"n"`
	RTol          float64    `json:"rtol"`
	ATol          float64    `json:"atol"`
	Divergence    string     `json:"divergence"`
	Probes        int        `json:"probes,omitempty"`
	NLL           float64    `json:"nll"`
	SE            float64    `json:"nll_se"`
	Convention    string     `json:"convention"`
	NLLBgflow     *float64   `json:"nll_bgflow,omitempty"`
	LogNormalizer float64    `json:"log_normalizer,omitempty"`
	BitsPerDim    *float64   `json:"bits_per_dim,omitempty"`
	DensityDim    int        `json:"density_dim"`
	MeanNFE       float64    `json:"mean_nfe"`
	Interval      [2]float64 `json:"interval"`
	Seconds       float64    `json:"seconds"`
	SecPerSample  float64    `json:"seconds_per_sample"`
	Threads       int        `json:"threads"`
	Failed        []int      `json:"failed_samples,omitempty"`
	FailedError   string     `json:"failed_first_error,omitempty"`
}

func runNLL(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("nll", nllHelp, stderr)
	ckpt := fs.String("ckpt", "", "checkpoint directory (the -out of hifm train; required)")
	data := fs.String("data", "", "test data: lj13, mnist or FILE.npy (default: the training data's test split)")
	n := fs.Int("n", 0, "use the first N test samples (0: all)")
	rtol := fs.Float64("rtol", 1e-2, "RK45 relative tolerance (paper: 1e-2)")
	atol := fs.Float64("atol", 1e-2, "RK45 absolute tolerance (paper: 1e-2)")
	div := fs.String("divergence", "auto", "divergence: exact, hutchinson, or auto (exact for n ≤ 100, else hutchinson)")
	hutch := fs.Bool("hutchinson", false, "shorthand for -divergence hutchinson")
	probes := fs.Int("probes", 1, "Rademacher probes per solve for -hutchinson")
	seed := fs.Uint64("seed", 1, "seed of the Hutchinson probes")
	threads := fs.Int("threads", 0, "worker goroutines (0: GOMAXPROCS); does not change the result")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *n < 0:
		return usageError("-n %d: must be ≥ 0", *n)
	case !(*rtol > 0) || !(*atol > 0) || !finite(*rtol) || !finite(*atol):
		return usageError("-rtol and -atol must be finite numbers > 0")
	case *probes < 1:
		return usageError("-probes %d: must be ≥ 1", *probes)
	case *threads < 0:
		return usageError("-threads %d: must be ≥ 0", *threads)
	}
	method := *div
	switch {
	case *hutch:
		method = train.DivHutchinson
	case method == "auto":
		method = ""
	case method != train.DivExact && method != train.DivHutchinson:
		return usageError("-divergence %q: want exact, hutchinson or auto", method)
	}
	cfg, net, err := loadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	name := *data
	if name == "" {
		if prev, _ := readTrainReport(*ckpt); prev != nil && prev.Data != nil {
			name = prev.Data.Name
		} else {
			return usageError("-data is required (the checkpoint has no train.json naming its data)")
		}
	}
	set, spec, err := loadData(name, "test", cfg.Particles > 0, cfg.Seed+1)
	if err != nil {
		return err
	}
	if set, err = subset(set, *n); err != nil {
		return err
	}
	spec.N = set.N
	if set.Dim != net.Dim() {
		return fmt.Errorf("-data %s has dimension %d, the model %d", name, set.Dim, net.Dim())
	}
	th := *threads
	if th == 0 {
		th = runtime.GOMAXPROCS(0)
	}
	xs := make([][]float64, set.N)
	for i := range xs {
		xs[i] = set.Row(i)
	}
	ctx, stop := withInterrupt(context.Background())
	defer stop()
	t0 := time.Now()
	r, err := train.NLL(ctx, net, cfg, xs, train.NLLOptions{RTol: *rtol, ATol: *atol, Method: method, Probes: *probes, Seed: *seed, Workers: th})
	if err != nil {
		if interrupted(ctx, err) {
			return fmt.Errorf("interrupted")
		}
		return err
	}
	el := time.Since(t0)
	rep := nllFromResult(r, cfg)
	rep.Command, rep.Checkpoint, rep.Data, rep.RTol, rep.ATol, rep.Divergence = "nll", *ckpt, spec, *rtol, *atol, r.Method
	if r.Method == train.DivHutchinson {
		rep.Probes = *probes
	}
	rep.Seconds, rep.SecPerSample, rep.Threads = el.Seconds(), el.Seconds()/float64(set.N), th
	if name == "mnist" {
		b := r.BitsPerDim(1.0 / 256)
		rep.BitsPerDim = &b
	}
	if *asJSON {
		js, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", js)
		return err
	}
	printNLL(stdout, "test NLL", rep)
	fmt.Fprintf(stdout, "%d samples of %s, rtol %g, atol %g, %s divergence, %.3f s per sample on %d threads\n",
		set.N, spec.Name, *rtol, *atol, r.Method, rep.SecPerSample, th)
	return nil
}

// nllFromResult fills the NLL numbers and their conventions.
func nllFromResult(r *train.NLLResult, cfg train.Config) *nllReport {
	rep := &nllReport{NLL: r.Mean, SE: r.SE, MeanNFE: r.MeanNFE, DensityDim: r.Dim, Failed: r.Failed}
	if r.FirstError != nil {
		rep.FailedError = r.FirstError.Error()
	}
	rep.Interval[0], rep.Interval[1], _ = train.Interval(cfg.Flow)
	if cfg.Particles > 0 {
		b := r.BgflowMean()
		rep.NLLBgflow, rep.LogNormalizer = &b, r.LogNormalizer
		rep.Convention = fmt.Sprintf("normalised density on the zero-CoM subspace (%d dims), base constant ½(N−1)d·ln(2πσ0²) = %.2f included (DEM); nll_bgflow omits it", r.Dim, r.LogNormalizer)
	} else {
		rep.Convention = fmt.Sprintf("normalised density on R^%d", r.Dim)
	}
	return rep
}

func printNLL(w io.Writer, label string, rep *nllReport) {
	fmt.Fprintf(w, "%s %.4f ± %.4f nats (normalised", label, rep.NLL, rep.SE)
	if rep.NLLBgflow != nil {
		fmt.Fprintf(w, ", zero-CoM subspace of %d dims); bgflow convention (without %.2f): %.4f", rep.DensityDim, rep.LogNormalizer, *rep.NLLBgflow)
	} else {
		fmt.Fprint(w, ")")
	}
	if rep.BitsPerDim != nil && !math.IsNaN(*rep.BitsPerDim) {
		fmt.Fprintf(w, "; %.4f bits/dim", *rep.BitsPerDim)
	}
	fmt.Fprintf(w, "; mean NFE %.1f\n", rep.MeanNFE)
	if len(rep.Failed) > 0 {
		fmt.Fprintf(w, "warning: %d solve(s) failed and are excluded from the mean (the learned field diverged; train longer or lower -lr); first: %s\n",
			len(rep.Failed), rep.FailedError)
	}
}
