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

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", trainHelp, stderr)
	def := train.DefaultConfig()
	data := fs.String("data", "lj13", "training data: lj13, mnist or FILE.npy")
	pathKind := fs.String("path", "hifm", "conditional path: hifm or ot")
	hyper := fs.Bool("hyperbolize", false, "replace null eigenvalues by λ_min (HIFM-MATH §4)")
	nullSpace := fs.String("null-space", string(flow.NullSpaceInvariant), "reading of a kept null space: invariant, conjugate or projected (§4; docs/MATH.md)")
	proj := fs.Bool("projection", false, "match only in the hyperbolic space, ||P_h(v − u)||² (§4)")
	stationary := fs.String("stationary", "isotropic", "stationary law: isotropic or anisotropic (§4)")
	alpha := fs.Float64("alpha", def.Flow.Alpha, "α = κ/λ_min (Table 1: 0.5, 1, 1.5)")
	priority := fs.String("priority", "interpolant", "priority: interpolant, data or none (§3.1)")
	sigma := fs.Float64("sigma", def.Flow.Sigma, "σ of the stationary law (v^∞ = σ² isotropic)")
	scheme := fs.String("scheme", "finite", "time variable: finite (s) or infinite (t)")
	cond := fs.Float64("condition", 0, "condition-number cap K (0: none)")
	modelKind := fs.String("model", "", "network: egnn, mlp or unet (default: egnn for particles, unet for mnist, else mlp)")
	hidden := fs.Int("hidden", 0, "hidden width (0: the model's default, EGNN 64, MLP 256)")
	layers := fs.Int("layers", 0, "layers (0: the model's default, EGNN 1, MLP 3)")
	steps := fs.Int64("steps", def.Steps, "optimiser steps (with -resume: the new total)")
	batch := fs.Int("batch", def.Batch, "batch size")
	chunk := fs.Int("chunk", def.Chunk, "samples per gradient chunk (fixed work unit; part of the result)")
	lr := fs.Float64("lr", def.Optim.LR, "AdamW learning rate")
	wd := fs.Float64("wd", def.Optim.WeightDecay, "AdamW weight decay")
	clip := fs.Float64("clip", 0, "global gradient-norm clip (0: off)")
	ema := fs.Float64("ema", 0, "parameter EMA decay (0: off)")
	seed := fs.Uint64("seed", def.Seed, "seed of the initialisation and of every training draw")
	ntrain := fs.Int("n", 0, "use the first N training samples (0: all)")
	out := fs.String("out", "", "output directory: checkpoint.json, DIR/ckpt-<step>/ and train.json (required)")
	resume := fs.Bool("resume", false, "continue the run checkpointed in -out")
	threads := fs.Int("threads", 0, "worker goroutines (0: GOMAXPROCS); does not change the result")
	every := fs.Int64("ckpt-every", 1000, "write a checkpoint every K steps (0: only at the end)")
	evalEvery := fs.Int64("eval-every", 0, "every K steps compute the test NLL (Fig. 4 curves; 0: off)")
	evalN := fs.Int("eval-n", 100, "test samples per evaluation")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *out == "":
		return usageError("-out DIR is required")
	case *threads < 0:
		return usageError("-threads %d: must be ≥ 0", *threads)
	case *every < 0 || *evalEvery < 0:
		return usageError("-ckpt-every and -eval-every must be ≥ 0")
	case *ntrain < 0:
		return usageError("-n %d: must be ≥ 0", *ntrain)
	case *evalN < 1:
		return usageError("-eval-n %d: must be ≥ 1", *evalN)
	}
	th := *threads
	if th == 0 {
		th = runtime.GOMAXPROCS(0)
	}

	var tr *train.Trainer
	var spec *dataSpec
	var trainSet *dataset.Set
	var resumedFrom int64
	if *resume {
		for _, name := range []string{"path", "hyperbolize", "null-space", "projection", "stationary", "alpha", "priority", "sigma", "scheme",
			"condition", "model", "hidden", "layers", "batch", "chunk", "lr", "wd", "clip", "ema", "seed"} {
			if set[name] {
				return usageError("-%s cannot be combined with -resume: the checkpoint's settings are used", name)
			}
		}
		cfg, _, _, err := train.Load(*out)
		if err != nil {
			return fmt.Errorf("-resume: %w", err)
		}
		prev, _ := readTrainReport(*out)
		dataName, n := *data, *ntrain
		if prev != nil && prev.Data != nil {
			if !set["data"] {
				dataName = prev.Data.Name
			}
			if !set["n"] {
				n = prev.Data.N
			}
		}
		trainSet, spec, err = loadData(dataName, "train", cfg.Particles > 0, cfg.Seed)
		if err != nil {
			return err
		}
		if trainSet, err = subset(trainSet, n); err != nil {
			return err
		}
		spec.N = trainSet.N
		st := int64(0)
		if set["steps"] {
			st = *steps
		}
		if tr, err = train.Resume(*out, trainSet, st, th); err != nil {
			return err
		}
		resumedFrom = tr.Step
	} else {
		cfg := def
		cfg.Flow.Kind = flow.PathKind(*pathKind)
		cfg.Flow.Hyperbolize, cfg.Flow.Project = *hyper, *proj
		cfg.Flow.Stationary = flow.Stationary(*stationary)
		cfg.Flow.NullSpace = flow.NullSpace(*nullSpace)
		cfg.Flow.Alpha, cfg.Flow.Priority, cfg.Flow.Sigma = *alpha, flow.Priority(*priority), *sigma
		cfg.Flow.Scheme, cfg.Flow.Condition = flow.Scheme(*scheme), *cond
		if err := cfg.Flow.Validate(); err != nil {
			return usageError("%v", err)
		}
		kind := *modelKind
		switch kind {
		case "", model.KindEGNN, model.KindMLP, model.KindUNet:
		default:
			return usageError("-model %q: want egnn, mlp or unet", kind)
		}
		particles := kind == model.KindEGNN || (kind == "" && *data != "mnist")
		var err error
		trainSet, spec, err = loadData(*data, "train", particles, *seed)
		if err != nil && kind == "" && strings.HasSuffix(*data, ".npy") {
			// Not particle-shaped: a plain (N, n) matrix for the MLP.
			trainSet, spec, err = loadData(*data, "train", false, *seed)
		}
		if err != nil {
			return err
		}
		if trainSet, err = subset(trainSet, *ntrain); err != nil {
			return err
		}
		spec.N = trainSet.N
		if kind == "" {
			switch {
			case trainSet.Particles > 0 && trainSet.SpatialDim == 3:
				kind = model.KindEGNN
			case *data == "mnist":
				kind = model.KindUNet
			default:
				kind = model.KindMLP
			}
		}
		cfg.Net = model.NetConfig{Kind: kind, Dim: trainSet.Dim, Hidden: *hidden, Layers: *layers}
		cfg.Particles, cfg.SpatialDim, cfg.Hessian = trainSet.Particles, trainSet.SpatialDim, ""
		if kind == model.KindEGNN {
			if trainSet.Particles == 0 {
				return usageError("-model egnn needs particle data (lj13 or an (N, 3P) / (N, P, 3) file)")
			}
			cfg.Net.Particles = trainSet.Particles
		}
		cfg.Steps, cfg.Batch, cfg.Chunk, cfg.Seed = *steps, *batch, *chunk, *seed
		cfg.Optim.LR, cfg.Optim.WeightDecay, cfg.Optim.ClipNorm, cfg.Optim.EMADecay = *lr, *wd, *clip, *ema
		if err := cfg.Validate(); err != nil {
			return usageError("%v", err)
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("-out %s: %w", *out, err)
		}
		if _, err := os.Stat(filepath.Join(*out, "checkpoint.json")); err == nil {
			return fmt.Errorf("-out %s already holds a checkpoint: continue it with -resume or choose another directory", *out)
		}
		fmt.Fprintf(stderr, "train: %s, %d samples of dimension %d; precomputing spectra…\n", spec.Name, trainSet.N, trainSet.Dim)
		if tr, err = train.New(cfg, trainSet, th); err != nil {
			return err
		}
	}

	rep := &trainReport{Command: "train", Args: args, HifmVersion: hifmBuildVersion(), GoVersion: runtime.Version(),
		Data: spec, Config: tr.Cfg, NumParams: model.NumParams(tr.Net), Threads: th, Checkpoint: *out,
		ResumedFrom: resumedFrom,
		Note:        "loss = mean over the batch of ||P(v_θ − u)||² (HIFM-MATH §5); the result depends on config and seed only"}
	if prev, _ := readTrainReport(*out); prev != nil && *resume {
		rep.Evals = prev.Evals
	}

	var evalXs [][]float64
	ctx, stop := withInterrupt(context.Background())
	defer stop()
	opt := train.RunOptions{Workers: th, CheckpointDir: *out, CheckpointEvery: *every}
	if *evalEvery > 0 {
		test, _, err := loadData(spec.Name, "test", tr.Cfg.Particles > 0, tr.Cfg.Seed+1)
		if err != nil && spec.Split == "" {
			test, err = trainSet, nil // a single file: evaluate on (a prefix of) it
		}
		if err != nil {
			return err
		}
		for i := range min(*evalN, test.N) {
			evalXs = append(evalXs, test.Row(i))
		}
		opt.EvalEvery = *evalEvery
		opt.Eval = func(ctx context.Context, t *train.Trainer, info train.StepInfo) error {
			r, err := infer.NLL(ctx, t.Cfg.Inference(t.Net), evalXs, infer.NLLOptions{Workers: th})
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
		return err
	}
	if res.Interrupted {
		prog.abort()
	} else {
		prog.finish(res.Steps-start, res.Loss, (res.Steps-start)*int64(tr.Cfg.Batch))
	}
	rep.StepsDone, rep.FinalLoss, rep.Seconds, rep.Interrupted = res.Steps, res.Loss, el.Seconds(), res.Interrupted
	rep.Epochs = tr.Epoch(res.Steps)
	if el > 0 {
		rep.SamplesPerS = float64((res.Steps-start)*int64(tr.Cfg.Batch)) / el.Seconds()
	}
	js, err := writeJSONFile(filepath.Join(*out, "train.json"), rep)
	if err != nil {
		return err
	}
	if res.Interrupted {
		return fmt.Errorf("%w at step %d of %d; checkpoint written to %s (continue with: hifm train -out %s -resume)",
			errInterrupted, res.Steps, tr.Cfg.Steps, *out, *out)
	}
	if *asJSON {
		_, err := stdout.Write(js)
		return err
	}
	fmt.Fprintf(stdout, "trained %s on %s (%s path", tr.Cfg.Net.Kind, spec.Name, tr.Cfg.Flow.Kind)
	if tr.Cfg.Flow.Kind == flow.PathHIFM {
		fmt.Fprintf(stdout, ", α %g, %s priority, %s", tr.Cfg.Flow.Alpha, tr.Cfg.Flow.Priority, tr.Cfg.Flow.Stationary)
		if tr.Cfg.Flow.Hyperbolize {
			fmt.Fprint(stdout, ", hyperbolized")
		}
		if tr.Cfg.Flow.Project {
			fmt.Fprint(stdout, ", projected")
		}
	}
	fmt.Fprintf(stdout, "): %d steps (%.2f epochs), final loss %.5g\n", res.Steps, rep.Epochs, res.Loss)
	fmt.Fprintf(stdout, "%.0f samples/s on %d threads, %.1f s; checkpoint and train.json in %s\n", rep.SamplesPerS, th, el.Seconds(), *out)
	return nil
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
