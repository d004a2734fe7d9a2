package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/experiments"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
)

const benchTrainHelp = `
Measure training throughput (Algorithm 1 steps: batch draw, forward,
backward, AdamW) in samples per second.

  egnn: the paper's LJ13 model (EGNN, one layer, width 64, softplus) on the
        HI-FM path, LJ13 reference data when present (else jittered
        13-particle clusters; the cost does not depend on the values);
  unet: the MNIST UNet on the OT path with random 28×28 images; with
        -budget small|paper, Table 1's first row instead (HI-FM path with
        H = λI, batch, chunk, channels and groups of that budget), the
        step that testdata/peers/unet_torch.py times in PyTorch.

One untimed warm-up step fills the autodiff buffer pools, then -steps steps
are timed. -threads sets GOMAXPROCS and the number of workers.

examples:
  hifm bench train -model egnn -threads 1
  hifm bench train -model egnn -threads 2 --json
  hifm bench train -model unet -batch 32 -steps 3
  hifm bench train -model unet -budget small -threads 1 --json
`

func init() {
	register(&command{name: "bench train", summary: "training throughput (samples/s) of the EGNN or UNet", run: runBenchTrain})
}

type benchTrainResult struct {
	Model       string  `json:"model"`
	Threads     int     `json:"threads"`
	Batch       int     `json:"batch"`
	Chunk       int     `json:"chunk"`
	Steps       int     `json:"steps"`
	Params      int     `json:"params"`
	Seconds     float64 `json:"seconds"`
	MsPerStep   float64 `json:"ms_per_step"`
	SamplesPerS float64 `json:"samples_per_s"`
	// CPUSeconds is the process's CPU time over the timed steps, and
	// SamplesPerCPUS the throughput per CPU-second (-1: unavailable);
	// SamplesPerS/SamplesPerCPUS near Threads means the threads were busy.
	CPUSeconds     float64 `json:"cpu_seconds"`
	SamplesPerCPUS float64 `json:"samples_per_cpu_s"`
	Data           string  `json:"data"`
	Budget         string  `json:"budget,omitempty"`
}

func runBenchTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench train", benchTrainHelp, stderr)
	kind := fs.String("model", "egnn", "network: egnn or unet")
	threads := fs.Int("threads", 0, "threads (0: GOMAXPROCS)")
	batch := fs.Int("batch", 0, "batch size (0: 256 for egnn, 32 for unet)")
	chunk := fs.Int("chunk", 0, "samples per gradient chunk (0: 32 for egnn, 8 for unet)")
	steps := fs.Int("steps", 0, "timed steps (0: 10 for egnn, 3 for unet)")
	budget := fs.String("budget", "", "unet only: Table 1 budget whose step is timed (small or paper; \"\": the OT path with the default UNet)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threads < 0 || *batch < 0 || *chunk < 0 || *steps < 0 {
		return usageError("-threads, -batch, -chunk and -steps must be ≥ 0")
	}
	cfg := train.DefaultConfig()
	var set *dataset.Set
	res := benchTrainResult{Model: *kind, Budget: *budget}
	if *budget != "" && *kind != model.KindUNet {
		return usageError("-budget is for -model unet")
	}
	switch *kind {
	case model.KindEGNN:
		res.Batch, res.Chunk, res.Steps = 256, train.DefaultConfig().Chunk, 10
		if s, err := dataset.LoadLJ13Split("train"); err == nil {
			set, _ = s.Subset(min(s.N, 1000))
			res.Data = "LJ13 reference (first 1000)"
		} else {
			set = dataset.JitteredClusters(1000, 13, 7)
			res.Data = "jittered 13-particle clusters"
		}
	case model.KindUNet:
		res.Batch, res.Chunk, res.Steps = 32, 8, 3
		cfg.Flow.Kind = flow.PathOT
		cfg.Net = model.NetConfig{Kind: model.KindUNet}
		cfg.Particles, cfg.SpatialDim = 0, 0
		rng := rand.New(rand.NewPCG(1, 1))
		set = &dataset.Set{N: 256, Dim: 784, Data: make([]float64, 256*784)}
		for i := range set.Data {
			set.Data[i] = rng.Float64()
		}
		res.Data = "random 28×28 images"
		if *budget != "" {
			b, err := experiments.Budgets(experiments.Table1, *budget)
			if err != nil {
				return usageError("-budget: %v", err)
			}
			rows, err := experiments.Rows(experiments.Table1)
			if err != nil {
				return err
			}
			if cfg, err = experiments.Config(experiments.Table1, rows[0], b, experiments.DefaultOptions()); err != nil {
				return err
			}
			res.Batch, res.Chunk = b.Batch, b.Chunk
			res.Data += ", Table 1 row " + rows[0].ID
		}
	default:
		return usageError("-model %q: want egnn or unet", *kind)
	}
	if *batch > 0 {
		res.Batch = *batch
	}
	if *chunk > 0 {
		res.Chunk = *chunk
	}
	if *steps > 0 {
		res.Steps = *steps
	}
	th := *threads
	if th == 0 {
		th = runtime.GOMAXPROCS(0)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(th))
	res.Threads = th
	cfg.Batch, cfg.Chunk, cfg.Steps = res.Batch, res.Chunk, int64(res.Steps+1)
	tr, err := train.New(cfg, set, th)
	if err != nil {
		return err
	}
	res.Params = model.NumParams(tr.Net)
	if _, err := tr.TrainStep(th); err != nil {
		return err
	}
	c0 := processCPUSeconds()
	t0 := time.Now()
	for range res.Steps {
		if _, err := tr.TrainStep(th); err != nil {
			return err
		}
	}
	el := time.Since(t0).Seconds()
	res.CPUSeconds, res.SamplesPerCPUS = -1, -1
	if c1 := processCPUSeconds(); c0 >= 0 && c1 > c0 {
		res.CPUSeconds = c1 - c0
		res.SamplesPerCPUS = float64(res.Steps*res.Batch) / res.CPUSeconds
	}
	res.Seconds, res.MsPerStep = el, 1e3*el/float64(res.Steps)
	res.SamplesPerS = float64(res.Steps*res.Batch) / el
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "%s (%d parameters), batch %d in chunks of %d, %d threads: %.0f samples/s (%.1f ms per step, %d steps; %s)\n",
		res.Model, res.Params, res.Batch, res.Chunk, th, res.SamplesPerS, res.MsPerStep, res.Steps, res.Data)
	if res.CPUSeconds > 0 {
		fmt.Fprintf(stdout, "%.0f samples per CPU-second; %.2f CPUs busy on average (below %d: other jobs share the machine)\n",
			res.SamplesPerCPUS, res.CPUSeconds/el, th)
	}
	return nil
}
