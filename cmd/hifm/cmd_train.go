package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor/npy"
)

const trainHelp = `
Train a velocity network by flow matching (Algorithm 1, HIFM-MATH §5) on the
HI-FM path or the optimal-transport baseline, and write a checkpoint
(params.npz, optim.npz, config.json; numpy-readable) into -out DIR together
with DIR/train.json (every setting, data, timings, losses).

Data: "lj13" (the reference LJ13 split in ../shared/data/lj13 or
$HIFM_LJ13_DIR; generate your own with 'hifm gen-lj13'), "mnist" (the GoMNIST
module's IDX files; pixels dequantised to [0, 1)) or FILE.npy: (N, 3P) or
(N, P, 3) particle configurations in 3-D (EGNN, zero-centre-of-mass base,
formation Hessian), or with -model mlp, or when not particle-shaped, an
(N, n) matrix (MLP, Gaussian base, isotropic Hessian).

Flags default to the paper's settings: HI-FM path, α = 1, interpolant
priority, isotropic stationary law, EGNN (width 64, one layer) for particles,
UNet for MNIST, AdamW with lr 1e-4 and optax's defaults, batch 256.
The result depends only on the settings and -seed, never on -threads.

Progress goes to stderr. Ctrl-C writes a checkpoint and exits; -resume
continues from DIR (to -steps, which may be raised) with identical results.
-out DIR holds checkpoint.json (the manifest naming the current checkpoint,
with checksums), the checkpoint itself in DIR/ckpt-<step>/ (params.npz,
optim.npz, config.json) and train.json (this run's report).

exit status: 0 done; 1 error (message on stderr); 2 bad flags or arguments;
130 interrupted (Ctrl-C or SIGTERM) after the checkpoint was written.

examples:
  hifm train -data lj13 -path hifm -steps 20000 -out runs/hifm
  hifm train -data lj13 -path ot -out runs/ot -threads 2
  hifm train -data lj13 -path hifm -hyperbolize -projection -alpha 1.5 -out runs/h15
  hifm train -out runs/hifm -resume -steps 40000
`

func init() {
	register(&command{name: "train", summary: "train a flow-matching model (HI-FM or OT) and write a checkpoint", run: runTrain})
}

// dataSpec is what -data names, resolved.
type dataSpec struct {
	Name  string `json:"name"`  // lj13, mnist or the file path
	Split string `json:"split"` // train/test for lj13 and mnist
	Path  string `json:"path,omitempty"`
	N     int    `json:"n"`
	Dim   int    `json:"dim"`
	// Particles > 0 for particle data (zero-CoM base, formation Hessian).
	Particles  int    `json:"particles,omitempty"`
	SpatialDim int    `json:"spatial_dim,omitempty"`
	Note       string `json:"note,omitempty"`
}

// loadData resolves -data for a split ("train" or "test"). particles asks
// FILE.npy to be read as particle configurations in 3-D.
func loadData(name, split string, particles bool, seed uint64) (*dataset.Set, *dataSpec, error) {
	spec := &dataSpec{Name: name, Split: split}
	var set *dataset.Set
	var err error
	switch {
	case name == "lj13":
		spec.Path, err = dataset.LJ13Split(split)
		if err != nil {
			return nil, nil, fmt.Errorf("-data lj13: %w (or pass -data FILE.npy, e.g. from 'hifm gen-lj13 -n 10000 -out lj13.npy')", err)
		}
		set, err = dataset.LoadLJ13(spec.Path)
	case name == "mnist":
		set, err = dataset.LoadMNIST(split, dataset.MNISTOptions{Dequantize: true, Seed: seed})
		spec.Note = "pixels (x + u)/256, u ~ U[0,1) (uniform dequantisation)"
	case name == "":
		return nil, nil, usageError("-data is required (lj13, mnist or FILE.npy)")
	case strings.HasSuffix(name, ".npy"):
		spec.Path, spec.Split = name, ""
		if _, serr := os.Stat(name); serr != nil {
			return nil, nil, fmt.Errorf("-data %s: %v", name, serr)
		}
		if particles {
			set, err = dataset.LoadLJ13(name)
		} else {
			var a *npy.Array
			if a, err = npy.ReadFile(name); err == nil {
				if len(a.Shape) != 2 || a.Shape[0] < 1 || a.Shape[1] < 1 {
					return nil, nil, fmt.Errorf("-data %s: shape %v; want a matrix (N samples, n coordinates)", name, a.Shape)
				}
				set = &dataset.Set{N: a.Shape[0], Dim: a.Shape[1], Data: a.Data}
			}
		}
	default:
		return nil, nil, usageError("-data %q: want lj13, mnist or a .npy file", name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("-data %s: %w", name, err)
	}
	if set.Recentred {
		spec.Note = fmt.Sprintf("centre of mass removed (largest |COM| was %.3g)", set.MaxCOM)
	}
	spec.N, spec.Dim, spec.Particles, spec.SpatialDim = set.N, set.Dim, set.Particles, set.SpatialDim
	return set, spec, nil
}

// trainReport is DIR/train.json and the --json output of train.
type trainReport struct {
	Command     string       `json:"command"`
	Args        []string     `json:"args"`
	HifmVersion string       `json:"hifm_version"`
	GoVersion   string       `json:"go_version"`
	Data        *dataSpec    `json:"data"`
	Config      train.Config `json:"config"`
	NumParams   int          `json:"num_params"`
	Threads     int          `json:"threads"` // does not affect the result
	StepsDone   int64        `json:"steps_done"`
	Epochs      float64      `json:"epochs"`
	FinalLoss   float64      `json:"final_loss"`
	Seconds     float64      `json:"seconds"`
	SamplesPerS float64      `json:"samples_per_s"`
	Interrupted bool         `json:"interrupted"`
	ResumedFrom int64        `json:"resumed_from_step,omitempty"`
	Checkpoint  string       `json:"checkpoint"`
	Evals       []evalPoint  `json:"evals,omitempty"`
	Note        string       `json:"note"`
}

type evalPoint struct {
	Step    int64   `json:"step"`
	Epoch   float64 `json:"epoch"`
	NLL     float64 `json:"test_nll"`
	SE      float64 `json:"test_nll_se"`
	MeanNFE float64 `json:"mean_nfe"`
}

// trainOpts are train's flags, parsed and checked.
type trainOpts struct {
	data, pathKind, nullSpace, stationary, priority, scheme, modelKind string
	hyper, proj, resume, asJSON                                        bool
	alpha, sigma, cond, lr, wd, clip, ema                              float64
	hidden, layers, batch, chunk, ntrain, threads, evalN               int
	steps, every, evalEvery                                            int64
	seed                                                               uint64
	out                                                                string
	set                                                                map[string]bool // flags given on the command line
}

// runTrain is parse → config (new or resumed trainer) → run → write.
func runTrain(args []string, stdout, stderr io.Writer) error {
	o, err := parseTrainFlags(args, stderr)
	if err != nil {
		return err
	}
	th := o.threads
	if th == 0 {
		th = runtime.GOMAXPROCS(0)
	}
	var tr *train.Trainer
	var spec *dataSpec
	var trainSet *dataset.Set
	var resumedFrom int64
	if o.resume {
		if tr, spec, trainSet, err = resumeTrainer(o, th); err != nil {
			return err
		}
		resumedFrom = tr.Step
	} else if tr, spec, trainSet, err = newTrainer(o, th, stderr); err != nil {
		return err
	}
	rep := &trainReport{Command: "train", Args: args, HifmVersion: hifmBuildVersion(), GoVersion: runtime.Version(),
		Data: spec, Config: tr.Cfg, NumParams: model.NumParams(tr.Net), Threads: th, Checkpoint: o.out,
		ResumedFrom: resumedFrom,
		Note:        "loss = mean over the batch of ||P(v_θ − u)||² (HIFM-MATH §5); the result depends on config and seed only"}
	if prev, _ := readTrainReport(o.out); prev != nil && o.resume {
		rep.Evals = prev.Evals
	}
	res, el, err := runTrainer(tr, o, th, spec, trainSet, rep, stderr)
	if err != nil {
		return err
	}
	start := resumedFrom // steps done before this session
	rep.StepsDone, rep.FinalLoss, rep.Seconds, rep.Interrupted = res.Steps, res.Loss, el.Seconds(), res.Interrupted
	rep.Epochs = tr.Epoch(res.Steps)
	if el > 0 {
		rep.SamplesPerS = float64((res.Steps-start)*int64(tr.Cfg.Batch)) / el.Seconds()
	}
	js, err := writeJSONFile(filepath.Join(o.out, "train.json"), rep)
	if err != nil {
		return err
	}
	if res.Interrupted {
		return fmt.Errorf("%w at step %d of %d; checkpoint written to %s (continue with: hifm train -out %s -resume)",
			errInterrupted, res.Steps, tr.Cfg.Steps, o.out, o.out)
	}
	if o.asJSON {
		_, err := stdout.Write(js)
		return err
	}
	printTrainSummary(stdout, tr, spec, rep, th, el, o.out)
	return nil
}

// parseTrainFlags parses and checks train's flags.
func parseTrainFlags(args []string, stderr io.Writer) (*trainOpts, error) {
	fs := newFlagSet("train", trainHelp, stderr)
	def := train.DefaultConfig()
	o := &trainOpts{set: map[string]bool{}}
	fs.StringVar(&o.data, "data", "lj13", "training data: lj13, mnist or FILE.npy")
	fs.StringVar(&o.pathKind, "path", "hifm", "conditional path: hifm or ot")
	fs.BoolVar(&o.hyper, "hyperbolize", false, "replace null eigenvalues by λ_min (HIFM-MATH §4)")
	fs.StringVar(&o.nullSpace, "null-space", string(flow.NullSpaceInvariant), "reading of a kept null space: invariant, conjugate or projected (§4; docs/MATH.md)")
	fs.BoolVar(&o.proj, "projection", false, "match only in the hyperbolic space, ||P_h(v − u)||² (§4)")
	fs.StringVar(&o.stationary, "stationary", "isotropic", "stationary law: isotropic or anisotropic (§4)")
	fs.Float64Var(&o.alpha, "alpha", def.Flow.Alpha, "α = κ/λ_min (Table 1: 0.5, 1, 1.5)")
	fs.StringVar(&o.priority, "priority", "interpolant", "priority: interpolant, data or none (§3.1)")
	fs.Float64Var(&o.sigma, "sigma", def.Flow.Sigma, "σ of the stationary law (v^∞ = σ² isotropic)")
	fs.StringVar(&o.scheme, "scheme", "finite", "time variable: finite (s) or infinite (t)")
	fs.Float64Var(&o.cond, "condition", 0, "condition-number cap K (0: none)")
	fs.StringVar(&o.modelKind, "model", "", "network: egnn, mlp or unet (default: egnn for particles, unet for mnist, else mlp)")
	fs.IntVar(&o.hidden, "hidden", 0, "hidden width (0: the model's default, EGNN 64, MLP 256)")
	fs.IntVar(&o.layers, "layers", 0, "layers (0: the model's default, EGNN 1, MLP 3)")
	fs.Int64Var(&o.steps, "steps", def.Steps, "optimiser steps (with -resume: the new total)")
	fs.IntVar(&o.batch, "batch", def.Batch, "batch size")
	fs.IntVar(&o.chunk, "chunk", def.Chunk, "samples per gradient chunk (fixed work unit; part of the result)")
	fs.Float64Var(&o.lr, "lr", def.Optim.LR, "AdamW learning rate")
	fs.Float64Var(&o.wd, "wd", def.Optim.WeightDecay, "AdamW weight decay")
	fs.Float64Var(&o.clip, "clip", 0, "global gradient-norm clip (0: off)")
	fs.Float64Var(&o.ema, "ema", 0, "parameter EMA decay (0: off)")
	fs.Uint64Var(&o.seed, "seed", def.Seed, "seed of the initialisation and of every training draw")
	fs.IntVar(&o.ntrain, "n", 0, "use the first N training samples (0: all)")
	fs.StringVar(&o.out, "out", "", "output directory: checkpoint.json, DIR/ckpt-<step>/ and train.json (required)")
	fs.BoolVar(&o.resume, "resume", false, "continue the run checkpointed in -out")
	fs.IntVar(&o.threads, "threads", 0, "worker goroutines (0: GOMAXPROCS); does not change the result")
	fs.Int64Var(&o.every, "ckpt-every", 1000, "write a checkpoint every K steps (0: only at the end)")
	fs.Int64Var(&o.evalEvery, "eval-every", 0, "every K steps compute the test NLL (Fig. 4 curves; 0: off)")
	fs.IntVar(&o.evalN, "eval-n", 100, "test samples per evaluation")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	switch {
	case o.out == "":
		return nil, usageError("-out DIR is required")
	case o.threads < 0:
		return nil, usageError("-threads %d: must be ≥ 0", o.threads)
	case o.every < 0 || o.evalEvery < 0:
		return nil, usageError("-ckpt-every and -eval-every must be ≥ 0")
	case o.ntrain < 0:
		return nil, usageError("-n %d: must be ≥ 0", o.ntrain)
	case o.evalN < 1:
		return nil, usageError("-eval-n %d: must be ≥ 1", o.evalN)
	}
	if o.resume {
		for _, name := range []string{"path", "hyperbolize", "null-space", "projection", "stationary", "alpha", "priority", "sigma", "scheme",
			"condition", "model", "hidden", "layers", "batch", "chunk", "lr", "wd", "clip", "ema", "seed"} {
			if o.set[name] {
				return nil, usageError("-%s cannot be combined with -resume: the checkpoint's settings are used", name)
			}
		}
	}
	return o, nil
}

// resumeTrainer continues the run checkpointed in -out on the same data
// (the previous train.json's -data and -n unless given again).
func resumeTrainer(o *trainOpts, th int) (*train.Trainer, *dataSpec, *dataset.Set, error) {
	cfg, _, _, err := train.Load(o.out)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-resume: %w", err)
	}
	prev, _ := readTrainReport(o.out)
	dataName, n := o.data, o.ntrain
	if prev != nil && prev.Data != nil {
		if !o.set["data"] {
			dataName = prev.Data.Name
		}
		if !o.set["n"] {
			n = prev.Data.N
		}
	}
	trainSet, spec, err := loadData(dataName, "train", cfg.Particles > 0, cfg.Seed)
	if err != nil {
		return nil, nil, nil, err
	}
	if trainSet, err = subset(trainSet, n); err != nil {
		return nil, nil, nil, err
	}
	spec.N = trainSet.N
	st := int64(0)
	if o.set["steps"] {
		st = o.steps
	}
	tr, err := train.Resume(o.out, trainSet, st, th)
	if err != nil {
		return nil, nil, nil, err
	}
	return tr, spec, trainSet, nil
}

// flowConfig is the path config of the flags.
func flowConfig(o *trainOpts) flow.Config {
	fc := train.DefaultConfig().Flow
	fc.Kind = flow.PathKind(o.pathKind)
	fc.Hyperbolize, fc.Project = o.hyper, o.proj
	fc.Stationary = flow.Stationary(o.stationary)
	fc.NullSpace = flow.NullSpace(o.nullSpace)
	fc.Alpha, fc.Priority, fc.Sigma = o.alpha, flow.Priority(o.priority), o.sigma
	fc.Scheme, fc.Condition = flow.Scheme(o.scheme), o.cond
	return fc
}

// trainConfig is the training config of the flags for trainSet (the model
// kind chosen by the data when -model is not given).
func trainConfig(o *trainOpts, trainSet *dataset.Set, kind string) (train.Config, error) {
	cfg := train.DefaultConfig()
	cfg.Flow = flowConfig(o)
	if kind == "" {
		switch {
		case trainSet.Particles > 0 && trainSet.SpatialDim == 3:
			kind = model.KindEGNN
		case o.data == "mnist":
			kind = model.KindUNet
		default:
			kind = model.KindMLP
		}
	}
	cfg.Net = model.NetConfig{Kind: kind, Dim: trainSet.Dim, Hidden: o.hidden, Layers: o.layers}
	cfg.Particles, cfg.SpatialDim, cfg.Hessian = trainSet.Particles, trainSet.SpatialDim, ""
	if kind == model.KindEGNN {
		if trainSet.Particles == 0 {
			return cfg, usageError("-model egnn needs particle data (lj13 or an (N, 3P) / (N, P, 3) file)")
		}
		cfg.Net.Particles = trainSet.Particles
	}
	cfg.Steps, cfg.Batch, cfg.Chunk, cfg.Seed = o.steps, o.batch, o.chunk, o.seed
	cfg.Optim.LR, cfg.Optim.WeightDecay, cfg.Optim.ClipNorm, cfg.Optim.EMADecay = o.lr, o.wd, o.clip, o.ema
	if err := cfg.Validate(); err != nil {
		return cfg, usageError("%v", err)
	}
	return cfg, nil
}

// newTrainer loads the data, builds the config and starts a fresh run in
// -out (which must not hold a checkpoint yet).
func newTrainer(o *trainOpts, th int, stderr io.Writer) (*train.Trainer, *dataSpec, *dataset.Set, error) {
	fc := flowConfig(o)
	if err := fc.Validate(); err != nil { // before loading data
		return nil, nil, nil, usageError("%v", err)
	}
	kind := o.modelKind
	switch kind {
	case "", model.KindEGNN, model.KindMLP, model.KindUNet:
	default:
		return nil, nil, nil, usageError("-model %q: want egnn, mlp or unet", kind)
	}
	particles := kind == model.KindEGNN || (kind == "" && o.data != "mnist")
	trainSet, spec, err := loadData(o.data, "train", particles, o.seed)
	if err != nil && kind == "" && strings.HasSuffix(o.data, ".npy") {
		// Not particle-shaped: a plain (N, n) matrix for the MLP.
		trainSet, spec, err = loadData(o.data, "train", false, o.seed)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if trainSet, err = subset(trainSet, o.ntrain); err != nil {
		return nil, nil, nil, err
	}
	spec.N = trainSet.N
	cfg, err := trainConfig(o, trainSet, kind)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, nil, nil, fmt.Errorf("-out %s: %w", o.out, err)
	}
	if _, err := os.Stat(filepath.Join(o.out, "checkpoint.json")); err == nil {
		return nil, nil, nil, fmt.Errorf("-out %s already holds a checkpoint: continue it with -resume or choose another directory", o.out)
	}
	fmt.Fprintf(stderr, "train: %s, %d samples of dimension %d; precomputing spectra…\n", spec.Name, trainSet.N, trainSet.Dim)
	tr, err := train.New(cfg, trainSet, th)
	if err != nil {
		return nil, nil, nil, err
	}
	return tr, spec, trainSet, nil
}

// runTrainer runs tr to its Steps with checkpoints, progress on stderr and,
// with -eval-every, test NLLs appended to rep.Evals; Ctrl-C stops it after a
// checkpoint (res.Interrupted). It returns the result and the wall time.
func runTrainer(tr *train.Trainer, o *trainOpts, th int, spec *dataSpec, trainSet *dataset.Set, rep *trainReport, stderr io.Writer) (*train.Result, time.Duration, error) {
	ctx, stop := withInterrupt(context.Background())
	defer stop()
	opt := train.RunOptions{Workers: th, CheckpointDir: o.out, CheckpointEvery: o.every}
	if o.evalEvery > 0 {
		test, _, err := loadData(spec.Name, "test", tr.Cfg.Particles > 0, tr.Cfg.Seed+1)
		if err != nil && spec.Split == "" {
			test, err = trainSet, nil // a single file: evaluate on (a prefix of) it
		}
		if err != nil {
			return nil, 0, err
		}
		var evalXs [][]float64
		for i := range min(o.evalN, test.N) {
			evalXs = append(evalXs, test.Row(i))
		}
		opt.EvalEvery = o.evalEvery
		opt.Eval = func(ctx context.Context, t *train.Trainer, info train.StepInfo) error {
			r, err := infer.NLL(ctx, t.Cfg.Inference(t.Net), evalXs, infer.Options{Workers: th})
			if err != nil {
				if ctx.Err() != nil {
					return nil // interrupted: the run stops and checkpoints
				}
				return err
			}
			rep.Evals = append(rep.Evals, evalPoint{Step: info.Step, Epoch: info.Epoch, NLL: r.Mean, SE: r.SE, MeanNFE: r.MeanNFE})
			fmt.Fprintf(stderr, "eval step %d (epoch %.2f): test NLL %.4f ± %.4f nats (%d samples), mean NFE %.1f\n",
				info.Step, info.Epoch, r.Mean, r.SE, len(evalXs), r.MeanNFE)
			return nil
		}
	}
	// Progress counts this session's steps (so rate and ETA are right
	// after -resume); the label says where it started.
	start := tr.Step
	label := "train"
	if start > 0 {
		label = fmt.Sprintf("train (resumed at step %d)", start)
	}
	prog := newProgress(stderr, label, tr.Cfg.Steps-start)
	opt.OnStep = func(si train.StepInfo) {
		prog.update(si.Step-start, si.Loss, (si.Step-start)*int64(tr.Cfg.Batch))
	}
	t0 := time.Now()
	res, err := tr.Run(ctx, opt)
	el := time.Since(t0)
	if err != nil {
		prog.abort()
		return nil, el, err
	}
	if res.Interrupted {
		prog.abort()
	} else {
		prog.finish(res.Steps-start, res.Loss, (res.Steps-start)*int64(tr.Cfg.Batch))
	}
	return res, el, nil
}

// printTrainSummary prints the text report of a finished run.
func printTrainSummary(w io.Writer, tr *train.Trainer, spec *dataSpec, rep *trainReport, th int, el time.Duration, out string) {
	fmt.Fprintf(w, "trained %s on %s (%s path", tr.Cfg.Net.Kind, spec.Name, tr.Cfg.Flow.Kind)
	if tr.Cfg.Flow.Kind == flow.PathHIFM {
		fmt.Fprintf(w, ", α %g, %s priority, %s", tr.Cfg.Flow.Alpha, tr.Cfg.Flow.Priority, tr.Cfg.Flow.Stationary)
		if tr.Cfg.Flow.Hyperbolize {
			fmt.Fprint(w, ", hyperbolized")
		}
		if tr.Cfg.Flow.Project {
			fmt.Fprint(w, ", projected")
		}
	}
	fmt.Fprintf(w, "): %d steps (%.2f epochs), final loss %.5g\n", rep.StepsDone, rep.Epochs, rep.FinalLoss)
	fmt.Fprintf(w, "%.0f samples/s on %d threads, %.1f s; checkpoint and train.json in %s\n", rep.SamplesPerS, th, el.Seconds(), out)
}

func subset(s *dataset.Set, n int) (*dataset.Set, error) {
	if n == 0 || n >= s.N {
		return s, nil
	}
	return s.Subset(n)
}

func readTrainReport(dir string) (*trainReport, error) {
	b, err := os.ReadFile(filepath.Join(dir, "train.json"))
	if err != nil {
		return nil, err
	}
	var r trainReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// loadCheckpoint loads a trained model for nll/sample with a clear error.
func loadCheckpoint(dir string) (train.Config, model.Net, error) {
	if dir == "" {
		return train.Config{}, nil, usageError("-ckpt DIR is required (the -out of hifm train)")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return train.Config{}, nil, fmt.Errorf("-ckpt %s: not a directory (give the -out DIR of hifm train)", dir)
	}
	cfg, net, _, err := train.Load(dir)
	if err != nil {
		return train.Config{}, nil, err
	}
	return cfg, net, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
