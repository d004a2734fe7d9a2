package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/hifm-go/hifm/cmd/internal/plot"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
)

// toyBeta is the inverse temperature of each example's Boltzmann density
// e^{−βV}: the ring's trough is then ≈ 0.18 wide, the well's samples reach
// its quartic walls.
var toyBeta = map[string]float64{energy.ToyRing: 4, energy.ToyWell: 1}

// Sizes of the -train lesson (small: the whole lesson runs in well under a
// minute on 2 cores).
var (
	toyTrainN = 2000 // training samples
	toyTestN  = 200  // test samples for the NLL
	toyGenN   = 400  // generated samples drawn
)

const (
	toyBox      = 3.0  // the rejection box [−3, 3]²
	toyEvals    = 8    // NLL evaluations per run
	toyEMA      = 0.99 // parameter EMA decay: the evaluated and sampled network
	toyBatch    = 128
	toyHidden   = 64
	toyLayers   = 3
	toyLearning = 2e-3
)

// toyTrainConfig is the training config of one path on a toy: a small MLP,
// and for HI-FM the autodiff Hessian of the energy (at the sample for the
// convex well; at the nearest minimum for the ring, whose samples inside
// the circle have negative tangential curvature).
func toyTrainConfig(name string, fc flow.Config, kind flow.PathKind, steps int64, seed uint64) train.Config {
	c := train.DefaultConfig()
	c.Flow = fc
	c.Flow.Kind = kind
	c.Net = model.NetConfig{Kind: model.KindMLP, Dim: 2, Hidden: toyHidden, Layers: toyLayers}
	c.Particles, c.SpatialDim = 0, 0
	c.Steps, c.Batch, c.Chunk, c.Seed = steps, toyBatch, 32, seed
	c.Optim.LR = toyLearning
	c.Optim.EMADecay = toyEMA
	if kind == flow.PathHIFM {
		c.Energy = name
		c.Hessian = train.HessianEnergy
		if name == energy.ToyRing {
			c.Hessian = train.HessianEnergyMin
		}
	}
	return c
}

// toyLogZ is ln ∫_box e^{−βV} by the midpoint rule on a 600×600 grid (the
// normaliser of the data density, for its exact NLL βV + ln Z).
func toyLogZ(toy energy.Toy, beta float64) float64 {
	const m = 600
	h := 2 * toyBox / m
	var z float64
	y := make([]float64, 2)
	for i := range m {
		for j := range m {
			y[0], y[1] = -toyBox+(float64(i)+0.5)*h, -toyBox+(float64(j)+0.5)*h
			z += math.Exp(-beta * toy.Value(y))
		}
	}
	return math.Log(z * h * h)
}

// toyTrainResult is what -train records in the example's config.json.
type toyTrainResult struct {
	Beta          float64        `json:"beta"`
	TrainN, TestN int            `json:"-"`
	DataNLL       float64        `json:"data_density_test_nll"`
	Runs          []toyRunResult `json:"runs"`
}

type toyRunResult struct {
	Label  string       `json:"label"`
	Config train.Config `json:"config"`
	Steps  []float64    `json:"nll_steps"`
	NLL    []float64    `json:"test_nll"`
}

// emaNet returns a copy of the trainer's network holding the parameter EMA
// (as flow/experiments evaluates its runs).
func emaNet(t *train.Trainer) (model.Net, error) {
	net, err := model.New(t.Net.Config(), 0)
	if err != nil {
		return nil, err
	}
	ps := net.Params()
	if t.Opt.EMA == nil || len(ps) != len(t.Opt.EMA) {
		return nil, fmt.Errorf("explain: the optimiser keeps no parameter EMA")
	}
	for i, p := range ps {
		copy(p.Value.Data, t.Opt.EMA[i].Data)
	}
	return net, nil
}

type toyRun struct {
	label   string
	steps   []float64
	nll     []float64
	samples []float64
}

// explainTrain trains OT and HI-FM on Boltzmann samples of the toy and
// draws the generated samples beside the data and the test NLL against
// training steps.
func explainTrain(out, name string, fc flow.Config, steps int64, seed uint64, stderr io.Writer) ([]string, *toyTrainResult, error) {
	res := &toyTrainResult{Beta: toyBeta[name], TrainN: toyTrainN, TestN: toyTestN}
	toy, err := energy.NewToy(name)
	if err != nil {
		return nil, nil, err
	}
	beta := toyBeta[name]
	set, err := dataset.Boltzmann(toy, beta, toyBox, toyTrainN, seed)
	if err != nil {
		return nil, nil, err
	}
	test, err := dataset.Boltzmann(toy, beta, toyBox, toyTestN, seed+1000)
	if err != nil {
		return nil, nil, err
	}
	xs := make([][]float64, test.N)
	var trueNLL float64
	logZ := toyLogZ(toy, beta)
	for i := range xs {
		xs[i] = test.Row(i)
		trueNLL += (beta*toy.Value(xs[i]) + logZ) / float64(test.N)
	}
	res.DataNLL = trueNLL
	ctx := context.Background()
	every := max(1, steps/toyEvals)
	type variant struct {
		label string
		fc    flow.Config
	}
	vs := []variant{{"OT", fc}}
	vs[0].fc.Kind = flow.PathOT
	hifm := fc
	hifm.Kind = flow.PathHIFM
	if name == energy.ToyRing {
		// Treatments of the null direction (§4), as in ring_null.svg.
		kept, loss, path, hyp := hifm, hifm, hifm, hifm
		kept.Hyperbolize, kept.Project, kept.NullSpace = false, false, flow.NullSpaceInvariant
		loss.Hyperbolize, loss.Project, loss.NullSpace = false, true, flow.NullSpaceInvariant
		path.Hyperbolize, path.Project, path.NullSpace = false, false, flow.NullSpaceProjected
		hyp.Hyperbolize, hyp.Project = true, false
		vs = append(vs, variant{"HI-FM invariant", kept}, variant{"HI-FM proj. loss", loss},
			variant{"HI-FM proj. path", path}, variant{"HI-FM hyperbolized", hyp})
	} else {
		vs = append(vs, variant{"HI-FM", hifm})
	}
	var runs []toyRun
	for _, v := range vs {
		cfg := toyTrainConfig(name, v.fc, v.fc.Kind, steps, seed)
		label := v.label
		if v.fc.Kind == flow.PathHIFM {
			label += fmt.Sprintf(" α=%g", v.fc.Alpha)
		}
		start := time.Now()
		run := toyRun{label: label}
		eval := func(ctx context.Context, t *train.Trainer, info train.StepInfo) error {
			net, err := emaNet(t)
			if err != nil {
				return err
			}
			r, err := infer.NLL(ctx, t.Cfg.Inference(net), xs, infer.Options{})
			if err != nil {
				return err
			}
			run.steps, run.nll = append(run.steps, float64(info.Step)), append(run.nll, r.Mean)
			return nil
		}
		tr, _, err := train.Train(ctx, cfg, set, train.RunOptions{EvalEvery: every, Eval: eval})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", label, err)
		}
		net, err := emaNet(tr)
		if err != nil {
			return nil, nil, err
		}
		if run.samples, _, err = infer.Sample(ctx, tr.Cfg.Inference(net), toyGenN, infer.Options{Seed: seed}); err != nil {
			return nil, nil, fmt.Errorf("%s: sampling: %w", label, err)
		}
		fmt.Fprintf(stderr, "explain -train: %s, %d steps: test NLL %.4g (data density %.4g) in %.1fs\n",
			label, steps, run.nll[len(run.nll)-1], trueNLL, time.Since(start).Seconds())
		runs = append(runs, run)
		res.Runs = append(res.Runs, toyRunResult{Label: label, Config: cfg, Steps: run.steps, NLL: run.nll})
	}
	fs := &figSet{name: name, toy: toy, lim: 2.2}
	if name == energy.ToyWell {
		fs.lim = 3
	}
	fs.levels = map[string][]float64{energy.ToyRing: {0.05, 0.25, 1, 3}, energy.ToyWell: {0.5, 1, 2, 4, 8}}[name]
	cont, err := fs.contours()
	if err != nil {
		return nil, nil, err
	}
	scatter := func(title string, d []float64, col string) plot.Panel {
		n := min(len(d)/2, toyGenN)
		px, py := make([]float64, n), make([]float64, n)
		for i := range n {
			px[i], py[i] = d[2*i], d[2*i+1]
		}
		return plot.Panel{Title: title, XLabel: "y₁", YLabel: "y₂", Equal: true, XRange: [2]float64{-fs.lim, fs.lim}, YRange: [2]float64{-fs.lim, fs.lim},
			Lines: cont, Points: []plot.Points{{X: px, Y: py, Color: col, R: 1.4, Opacity: 0.7}}}
	}
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"}
	samples := &plot.Panels{Title: fmt.Sprintf("%s: %d Boltzmann samples ∝ exp(−%gV) and %d generated by each trained MLP (%d steps)", name, toyGenN, beta, toyGenN, steps),
		PanelW: 220, PanelH: 220, Cols: 3, Panels: []plot.Panel{scatter("data", set.Data, "#333333")}}
	nll := plot.Panel{Title: "test NLL (nats) against training steps", XLabel: "step", YLabel: "NLL"}
	var keys []plot.Key
	for i, r := range runs {
		samples.Panels = append(samples.Panels, scatter(r.label, r.samples, colors[i]))
		nll.Lines = append(nll.Lines, plot.Line{X: r.steps, Y: r.nll, Color: colors[i], Width: 2})
		keys = append(keys, plot.Key{Label: r.label, Color: colors[i]})
	}
	nll.Lines = append(nll.Lines, plot.Line{X: []float64{0, float64(steps)}, Y: []float64{trueNLL, trueNLL}, Color: "#999", Dash: true})
	keys = append(keys, plot.Key{Label: "the data density exp(−βV)/Z", Color: "#999", Dash: true})
	nllFig := &plot.Panels{Title: fmt.Sprintf("%s: likelihood of %d test samples (augmented ODE, §6)", name, toyTestN), PanelW: 460, PanelH: 280, Legend: keys, Panels: []plot.Panel{nll}}
	names := []string{name + "_train_samples.svg", name + "_train_nll.svg"}
	for i, f := range []*plot.Panels{samples, nllFig} {
		if err := plot.WriteFile(filepath.Join(out, names[i]), f.SVG); err != nil {
			return nil, nil, err
		}
	}
	return names, res, nil
}
