package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hifm-go/hifm/cmd/internal/repro"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor/npy"
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

With -shard i/n (or a Slurm array task / Kubernetes Indexed Job pod, see
below) the command evaluates a contiguous block of the test samples (the
first N chosen by -n): shard i gets samples ⌊(i−1)N/n⌋ … ⌊iN/n⌋−1, with the
same Hutchinson probes as in one run (probe stream = the sample's index in
the whole set), and writes nll.json and nll.npy (per-sample NLL and NFE)
into -out DIR. 'hifm nll merge' checks the shards agree (model parameters
and data sha256, options, code revision) and prints the same report as one
unsharded run; only seconds, seconds_per_sample and threads (timing) differ.

examples:
  hifm nll -ckpt runs/hifm -data lj13 -n 1000
  hifm nll -ckpt runs/mnist -data mnist -n 100 -hutchinson --json
  hifm nll -ckpt runs/hifm -data lj13 -n 1000 -shard 2/4 -out nll/2   # then: hifm nll merge nll/* --json

` + shardEnvHelp

func init() {
	register(&command{name: "nll", summary: "test NLL (both conventions) and NFE of a trained model", run: runNLL})
	register(&command{name: "nll merge", summary: "merge the shards of hifm nll -shard into one report", run: runNLLMerge})
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

// nllFormat names the layout of nll.json.
const nllFormat = "hifm-nll/1"

// nllShard is nll.json, written beside nll.npy by a sharded (or -out) run:
// everything a merge checks, and this shard's part.
type nllShard struct {
	Format   string       `json:"format"`
	Revision string       `json:"revision"`
	Modified bool         `json:"modified"` // local changes in the built tree
	Command  []string     `json:"command"`
	Config   train.Config `json:"config"`
	// ModelSHA256 is the SHA-256 of the parameters' float64 values (Params
	// order, little-endian); DataSHA256 that of the N test samples used.
	ModelSHA256 string      `json:"model_sha256"`
	DataSHA256  string      `json:"data_sha256"`
	Total       int         `json:"total"` // N, the samples of all shards
	Shard       repro.Shard `json:"shard"`
	First       int         `json:"first"` // index of this shard's first sample
	Count       int         `json:"count"`
	Method      string      `json:"method"`
	Seed        uint64      `json:"seed"`
	Report      *nllReport  `json:"report"` // this shard's samples only
}

// nllParams are the parsed flags of hifm nll.
type nllParams struct {
	ckpt, data, out    string
	n, probes, threads int
	rtol, atol         float64
	method             string
	seed               uint64
	shard              repro.Shard
	asJSON             bool
}

func runNLL(args []string, stdout, stderr io.Writer) error {
	p, err := parseNLL(args, stderr, os.Getenv)
	if err != nil {
		return err
	}
	cfg, net, err := loadCheckpoint(p.ckpt)
	if err != nil {
		return err
	}
	name := p.data
	if name == "" {
		if prev, _ := readTrainReport(p.ckpt); prev != nil && prev.Data != nil {
			name = prev.Data.Name
		} else {
			return usageError("-data is required (the checkpoint has no train.json naming its data)")
		}
	}
	set, spec, err := loadData(name, "test", cfg.Particles > 0, cfg.Seed+1)
	if err != nil {
		return err
	}
	if set, err = subset(set, p.n); err != nil {
		return err
	}
	spec.N = set.N
	if set.Dim != net.Dim() {
		return fmt.Errorf("-data %s has dimension %d, the model %d", name, set.Dim, net.Dim())
	}
	lo, hi := (p.shard.Index-1)*set.N/p.shard.Count, p.shard.Index*set.N/p.shard.Count
	if lo == hi {
		return usageError("shard %s of %d test samples is empty: use fewer shards", p.shard, set.N)
	}
	xs := make([][]float64, hi-lo)
	for i := range xs {
		xs[i] = set.Row(lo + i)
	}
	ctx, stop := withInterrupt(context.Background())
	defer stop()
	t0 := time.Now()
	r, err := infer.NLL(ctx, cfg.Inference(net), xs, infer.Options{RTol: p.rtol, ATol: p.atol, Method: p.method, Probes: p.probes,
		Seed: p.seed, Workers: p.threads, Offset: lo})
	if err != nil {
		if interrupted(ctx, err) {
			return errInterrupted
		}
		return err
	}
	rep := nllReportOf(r, cfg, p, spec, time.Since(t0).Seconds(), len(xs))
	if p.out != "" {
		sh := &nllShard{Format: nllFormat, Command: append([]string{"hifm", "nll"}, args...),
			Config: cfg, ModelSHA256: paramsSHA256(net), DataSHA256: dataSHA256(set), Total: set.N, Shard: p.shard,
			First: lo, Count: hi - lo, Method: r.Method, Seed: p.seed, Report: rep}
		sh.Revision, sh.Modified = repro.Revision()
		if err := writeNLLShard(p.out, sh, r); err != nil {
			return err
		}
	}
	return printNLLReport(stdout, rep, p.asJSON, r.Method, spec.Name)
}

// nllReportOf is the report of result r on n samples.
func nllReportOf(r *infer.NLLResult, cfg train.Config, p *nllParams, spec *dataSpec, seconds float64, n int) *nllReport {
	rep := nllFromResult(r, cfg)
	rep.Command, rep.Checkpoint, rep.Data, rep.RTol, rep.ATol, rep.Divergence = "nll", p.ckpt, spec, p.rtol, p.atol, r.Method
	if r.Method == infer.DivHutchinson {
		rep.Probes = p.probes
	}
	rep.Seconds, rep.SecPerSample, rep.Threads = seconds, seconds/float64(n), p.threads
	if spec.Name == "mnist" {
		b := r.BitsPerDim(1.0 / 256)
		rep.BitsPerDim = &b
	}
	return rep
}

func printNLLReport(stdout io.Writer, rep *nllReport, asJSON bool, method, data string) error {
	if asJSON {
		return writeJSON(stdout, rep)
	}
	printNLL(stdout, "test NLL", rep)
	n := rep.Data.N
	fmt.Fprintf(stdout, "%d samples of %s, rtol %g, atol %g, %s divergence, %.3f s per sample on %d threads\n",
		n, data, rep.RTol, rep.ATol, method, rep.SecPerSample, rep.Threads)
	return nil
}

func parseNLL(args []string, stderr io.Writer, getenv func(string) string) (*nllParams, error) {
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
	shardFlag := fs.String("shard", "", "evaluate block i/n of the test samples (default: from Slurm or Kubernetes, else 1/1); needs -out")
	shards := fs.Int("shards", 0, "number of shards when the index comes from JOB_COMPLETION_INDEX (or to override SLURM_ARRAY_TASK_COUNT)")
	out := fs.String("out", "", "also write nll.json and nll.npy (per-sample NLL, NFE) into this directory, for 'hifm nll merge'")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	switch {
	case *n < 0:
		return nil, usageError("-n %d: must be ≥ 0", *n)
	case !(*rtol > 0) || !(*atol > 0) || !finite(*rtol) || !finite(*atol):
		return nil, usageError("-rtol and -atol must be finite numbers > 0")
	case *probes < 1:
		return nil, usageError("-probes %d: must be ≥ 1", *probes)
	case *threads < 0:
		return nil, usageError("-threads %d: must be ≥ 0", *threads)
	}
	p := &nllParams{ckpt: *ckpt, data: *data, out: *out, n: *n, probes: *probes, threads: *threads, rtol: *rtol, atol: *atol,
		method: *div, seed: *seed, asJSON: *asJSON}
	switch {
	case *hutch:
		p.method = infer.DivHutchinson
	case p.method == "auto":
		p.method = ""
	case p.method != infer.DivExact && p.method != infer.DivHutchinson:
		return nil, usageError("-divergence %q: want exact, hutchinson or auto", p.method)
	}
	var err error
	if p.shard, _, err = parseShard(*shardFlag, *shards, getenv); err != nil {
		return nil, err
	}
	if p.shard.Count > 1 && p.out == "" {
		return nil, usageError("shard %s: give -out DIR for its nll.json and nll.npy (merged by 'hifm nll merge')", p.shard)
	}
	if p.threads == 0 {
		p.threads = runtime.GOMAXPROCS(0)
	}
	return p, nil
}

func writeNLLShard(dir string, sh *nllShard, r *infer.NLLResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	a := &npy.Array{Shape: []int{len(r.NLL), 2}, Data: make([]float64, 2*len(r.NLL))}
	for i := range r.NLL {
		a.Data[2*i], a.Data[2*i+1] = r.NLL[i], float64(r.NFE[i])
	}
	if err := npy.WriteFile(filepath.Join(dir, "nll.npy"), a); err != nil {
		return err
	}
	_, err := writeJSONFile(filepath.Join(dir, "nll.json"), sh)
	return err
}

// paramsSHA256 identifies a model by its parameter values.
func paramsSHA256(net model.Net) string {
	h := sha256.New()
	var b [8]byte
	for _, p := range net.Params() {
		for _, v := range p.Value.Data {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dataSHA256 identifies a test set by content (as config.json of hifm
// reproduce does).
func dataSHA256(s *dataset.Set) string { return repro.SetSHA256(s) }

const nllMergeHelp = `
Merge the directories of 'hifm nll -shard i/n -out DIR' into the report of
one unsharded run (same NLL, SE and NFE bits; only seconds,
seconds_per_sample and threads are timing). Refuses shards that disagree on
the model (parameter sha256), data (sha256), options or code revision, and
a shard missing or given twice.

examples:
  hifm nll merge nll/1 nll/2 nll/3 nll/4 --json
  hifm nll merge nll/* -out nll/merged
`

func runNLLMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("nll merge DIR...", nllMergeHelp, stderr)
	out := fs.String("out", "", "also write the merged nll.json and nll.npy into this directory")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError("no directories to merge (see 'hifm nll merge -h')")
	}
	shards := make([]*nllShard, len(paths))
	parts := make([]*infer.NLLResult, len(paths))
	for k, dir := range paths {
		if shards[k], parts[k], err = readNLLShard(dir); err != nil {
			return err
		}
	}
	order, err := checkNLLShards(paths, shards)
	if err != nil {
		return err
	}
	var seconds float64
	var threads int
	ordered := make([]*infer.NLLResult, len(order))
	for j, k := range order {
		ordered[j] = parts[k]
		seconds += shards[k].Report.Seconds
		threads = max(threads, shards[k].Report.Threads)
	}
	r, err := infer.MergeNLL(ordered...)
	if err != nil {
		return err
	}
	s0 := shards[order[0]]
	rep0 := s0.Report
	p := &nllParams{ckpt: rep0.Checkpoint, rtol: rep0.RTol, atol: rep0.ATol, probes: rep0.Probes, threads: threads}
	spec := *rep0.Data
	spec.N = s0.Total
	rep := nllReportOf(r, s0.Config, p, &spec, seconds, s0.Total)
	if *out != "" {
		sh := *s0
		sh.Command, sh.Shard, sh.First, sh.Count, sh.Report = append([]string{"hifm", "nll", "merge"}, args...), repro.Shard{Index: 1, Count: 1}, 0, s0.Total, rep
		if err := writeNLLShard(*out, &sh, r); err != nil {
			return err
		}
	}
	return printNLLReport(stdout, rep, *asJSON, r.Method, spec.Name)
}

func readNLLShard(dir string) (*nllShard, *infer.NLLResult, error) {
	b, err := os.ReadFile(filepath.Join(dir, "nll.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s is not a hifm nll -out directory: %v", dir, err)
	}
	var sh nllShard
	if err := json.Unmarshal(b, &sh); err != nil {
		return nil, nil, fmt.Errorf("%s/nll.json: %v", dir, err)
	}
	if sh.Format != nllFormat || sh.Report == nil || sh.Report.Data == nil {
		return nil, nil, fmt.Errorf("%s/nll.json: format %q, want %q", dir, sh.Format, nllFormat)
	}
	a, err := npy.ReadFile(filepath.Join(dir, "nll.npy"))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != sh.Count || a.Shape[1] != 2 {
		return nil, nil, fmt.Errorf("%s/nll.npy has shape %v, want [%d 2]", dir, a.Shape, sh.Count)
	}
	r := &infer.NLLResult{NLL: make([]float64, sh.Count), NFE: make([]int, sh.Count), Dim: sh.Report.DensityDim,
		Method: sh.Method, LogNormalizer: sh.Report.LogNormalizer}
	for i := range r.NLL {
		r.NLL[i], r.NFE[i] = a.Data[2*i], int(a.Data[2*i+1])
	}
	if sh.Report.FailedError != "" {
		r.FirstError = errors.New(sh.Report.FailedError)
	}
	return &sh, r, nil
}

// checkNLLShards checks that the shards are the parts of one evaluation
// and returns their indices in shard order.
func checkNLLShards(paths []string, shards []*nllShard) ([]int, error) {
	s0 := shards[0]
	key := func(s *nllShard) string {
		r := s.Report
		return fmt.Sprintf("model %s, data %s (%s, %d samples), revision %s (modified %v), rtol %g, atol %g, %s divergence, probes %d, seed %d, %d shards",
			s.ModelSHA256, s.DataSHA256, r.Data.Name, s.Total, s.Revision, s.Modified, r.RTol, r.ATol, s.Method, r.Probes, s.Seed, s.Shard.Count)
	}
	order := make([]int, s0.Shard.Count)
	for i := range order {
		order[i] = -1
	}
	for k, s := range shards {
		if key(s) != key(s0) {
			return nil, fmt.Errorf("%s and %s are not shards of one evaluation:\n  %s\n  %s", paths[0], paths[k], key(s0), key(s))
		}
		i := s.Shard.Index - 1
		if i < 0 || i >= len(order) {
			return nil, fmt.Errorf("%s: invalid shard %s", paths[k], s.Shard)
		}
		if order[i] >= 0 {
			return nil, fmt.Errorf("shard %s given twice: %s and %s", s.Shard, paths[order[i]], paths[k])
		}
		order[i] = k
	}
	next := 0
	for i, k := range order {
		if k < 0 {
			return nil, fmt.Errorf("shard %d/%d is missing", i+1, len(order))
		}
		if shards[k].First != next {
			return nil, fmt.Errorf("%s: shard %s starts at sample %d, want %d", paths[k], shards[k].Shard, shards[k].First, next)
		}
		next += shards[k].Count
	}
	if next != s0.Total {
		return nil, fmt.Errorf("the shards hold %d samples, want %d", next, s0.Total)
	}
	return order, nil
}

// nllFromResult fills the NLL numbers and their conventions.
func nllFromResult(r *infer.NLLResult, cfg train.Config) *nllReport {
	rep := &nllReport{NLL: r.Mean, SE: r.SE, MeanNFE: r.MeanNFE, DensityDim: r.Dim, Failed: r.Failed}
	if r.FirstError != nil {
		rep.FailedError = r.FirstError.Error()
	}
	rep.Interval[0], rep.Interval[1], _ = infer.Model{Flow: cfg.Flow}.Interval()
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
