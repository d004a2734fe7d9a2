package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/npy"
)

const crosscheckModelHelp = `
Evaluate a velocity network v_θ(y, s) (egnn, mlp or unet) of a checkpoint on
a batch, with its exact divergence and vector-Jacobian products, so that a
re-implementation (PyTorch, JAX) can be checked parameter by parameter.
The equations, parameter names and shapes: docs/CROSSCHECK.md
("crosscheck model").

Input .npz: y (b, n), s (b,) (the network's time input), optional
cotangent (b, n).
Output .npz (float64): v (b, n) = v_θ(y, s) (the network's raw output);
div (b,) = tr ∂v/∂y exactly (n reverse sweeps); with a cotangent c also
vjp_y (b, n) = ∂(Σ c·v)/∂y and vjp/<param name> (the parameter's shape) =
∂(Σ_batch c·v)/∂θ for every parameter.

-init writes a fresh (untrained) checkpoint into -out DIR, from the network
config (-model and the size flags, or -net JSON) and -seed (model.New(cfg,
seed): the same bits on every machine), with a training config (flow
options from -config, schema of 'crosscheck path') so that 'crosscheck
loss' and 'crosscheck nll' accept it too; DIR/params.npz holds every
parameter by name (numpy.load-able) and DIR/params.npz.json the config.

examples:
  hifm crosscheck model -init -model egnn -particles 13 -hidden 16 -seed 3 -out ckpt
  hifm crosscheck model -ckpt ckpt -in x.npz -out out.npz
  hifm crosscheck model -ckpt runs/table2 -ema -in x.npz -out out.npz
  hifm crosscheck model -init -model unet -net '{"height":8,"width":8,"channels":[4,8],"groups":2}' -seed 1 -out u
`

func init() {
	register(&command{
		name:    "crosscheck model",
		summary: "a network's v, exact divergence and VJPs on a batch; -init writes fresh weights",
		run:     runCrosscheckModel,
	})
}

func runCrosscheckModel(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck model", crosscheckModelHelp, stderr)
	ckpt := fs.String("ckpt", "", "checkpoint directory (hifm train -out, or crosscheck model -init -out)")
	in := fs.String("in", "", "input .npz with y (b, n), s (b,), optional cotangent (b, n)")
	out := fs.String("out", "", "output .npz (with -init: the checkpoint directory)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	initF := fs.Bool("init", false, "write a fresh checkpoint into -out instead of evaluating")
	kind := fs.String("model", "", "-init: egnn, mlp or unet")
	seed := fs.Uint64("seed", 1, "-init: initialisation seed (model.New)")
	netJSON := fs.String("net", "", `-init: network config JSON (model.NetConfig keys, e.g. '{"hidden":32}'), overridden by the flags below when set`)
	particles := fs.Int("particles", 0, "-init: particles (egnn; mlp on particle data: enables the zero-CoM base)")
	dim := fs.Int("dim", 0, "-init: data dimension n (mlp; egnn: 3·particles)")
	hidden := fs.Int("hidden", 0, "-init: hidden width (0: the model's default)")
	layers := fs.Int("layers", 0, "-init: layers (0: the model's default)")
	cfgPath := fs.String("config", "", "-init: flow config JSON (schema of crosscheck path) stored in the training config")
	ema := fs.Bool("ema", false, "evaluate the checkpoint's parameter EMA (optim.npz ema/<name>) instead of its parameters")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *initF {
		if *ckpt != "" || *in != "" || *ema {
			return usageError("-init takes no -ckpt, -in or -ema (it writes a checkpoint into -out)")
		}
		if *out == "" {
			return usageError("-init needs -out DIR")
		}
		return runModelInit(*kind, *netJSON, *cfgPath, *out, *seed, *particles, *dim, *hidden, *layers, *asJSON, stdout)
	}
	if *kind != "" || *netJSON != "" || *particles != 0 || *dim != 0 || *hidden != 0 || *layers != 0 || *cfgPath != "" {
		return usageError("-model, -net, -particles, -dim, -hidden, -layers and -config are for -init only")
	}
	if *ckpt == "" || *in == "" || *out == "" {
		return usageError("-ckpt, -in and -out are required (see 'hifm crosscheck model -h')")
	}
	ck, err := model.LoadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	net, err := ck.Restore()
	if err != nil {
		return err
	}
	if *ema {
		if err := loadEMA(*ckpt, ck, net); err != nil {
			return err
		}
	}
	n := net.Dim()
	arrs, err := npy.ReadNPZ(*in)
	if err != nil {
		return err
	}
	ya, err := npzArray(arrs, *in, "y", fmt.Sprintf("(b, n) with n = %d (the network's dimension)", n), -1, n)
	if err != nil {
		return err
	}
	b := ya.Shape[0]
	if b == 0 {
		return fmt.Errorf("%s: empty batch (y has shape %v)", *in, ya.Shape)
	}
	sa, err := npzArray(arrs, *in, "s", fmt.Sprintf("(b,) with b = %d", b), b)
	if err != nil {
		return err
	}
	var cot *npy.Array
	if _, ok := arrs["cotangent"]; ok {
		if cot, err = npzArray(arrs, *in, "cotangent", fmt.Sprintf("(b, n) = (%d, %d)", b, n), b, n); err != nil {
			return err
		}
	}
	res, err := evalModel(net, ya.Data, sa.Data, cotData(cot), b)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	names := []string{"v", "div"}
	arrays := map[string]*npy.Array{
		"v":   {Shape: []int{b, n}, Data: res.v},
		"div": {Shape: []int{b}, Data: res.div},
	}
	if cot != nil {
		names = append(names, "vjp_y")
		arrays["vjp_y"] = &npy.Array{Shape: []int{b, n}, Data: res.vjpY}
		for i, p := range net.Params() {
			k := "vjp/" + p.Name
			names = append(names, k)
			arrays[k] = &npy.Array{Shape: append([]int{}, p.Value.Shape...), Data: res.vjpP[i]}
		}
	}
	if err := npy.WriteNPZ(*out, names, arrays); err != nil {
		return err
	}
	summary := map[string]any{
		"command": "crosscheck model", "version": hifmBuildVersion(), "ckpt": *ckpt, "step": ck.Step, "ema": *ema,
		"in": *in, "out": *out, "batch": b, "dim": n, "net": net.Config(), "params": paramInfos(net),
		"num_params": model.NumParams(net), "arrays": names, "cotangent": cot != nil,
		"divergence": "exact: tr ∂v/∂y by n reverse sweeps (autodiff.Divergence)",
	}
	if printed, err := writeSidecar(stdout, *out+".json", summary, *asJSON); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: %d arrays (v, div%s) for %s, b=%d, n=%d; config %s.json\n",
		*out, len(names), map[bool]string{true: ", vjp_y, vjp/<param>", false: ""}[cot != nil], net.Config().Kind, b, n, *out)
	return err
}

func cotData(a *npy.Array) []float64 {
	if a == nil {
		return nil
	}
	return a.Data
}

type modelEval struct {
	v, div, vjpY []float64
	vjpP         [][]float64
}

// evalModel evaluates v_θ(y, s), its exact divergence and, given a
// cotangent c, the VJPs of Σ c·v with respect to y and every parameter,
// in one graph. y is (b, n), s (b,), c (b, n) or nil.
func evalModel(net model.Net, y, s, c []float64, b int) (*modelEval, error) {
	n := net.Dim()
	g := autodiff.NewGraph()
	var v, yn *autodiff.Node
	var p []*autodiff.Node
	if err := tensor.Catch(func() {
		p = model.Bind(g, net)
		yn = g.Var(tensor.FromSlice(append([]float64(nil), y...), b, n))
		v = net.Forward(g, p, yn, g.Const(tensor.FromSlice(append([]float64(nil), s...), b, 1)))
	}); err != nil {
		return nil, err
	}
	res := &modelEval{v: append([]float64(nil), v.Value().Contiguous().Data[:b*n]...)}
	d, err := autodiff.Divergence(v, yn, true)
	if err != nil {
		return nil, err
	}
	res.div = append([]float64(nil), d.Data[:b]...)
	if c != nil {
		wrt := append([]*autodiff.Node{yn}, p...)
		gs, err := autodiff.VJP(nil, v, g.Const(tensor.FromSlice(append([]float64(nil), c...), b, n)), wrt, false)
		if err != nil {
			return nil, err
		}
		res.vjpY = append([]float64(nil), gs[0].Value().Contiguous().Data[:b*n]...)
		for _, gp := range gs[1:] {
			t := gp.Value().Contiguous()
			res.vjpP = append(res.vjpP, append([]float64(nil), t.Data[:t.Size()]...))
		}
	}
	return res, nil
}

type paramShape struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

func paramInfos(net model.Net) []paramShape {
	var out []paramShape
	for _, p := range net.Params() {
		out = append(out, paramShape{p.Name, append([]int{}, p.Value.Shape...)})
	}
	return out
}

// runModelInit writes a fresh checkpoint (crosscheck model -init).
func runModelInit(kind, netJSON, cfgPath, dir string, seed uint64, particles, dim, hidden, layers int, asJSON bool, stdout io.Writer) error {
	var nc model.NetConfig
	if netJSON != "" {
		if err := json.Unmarshal([]byte(netJSON), &nc); err != nil {
			return usageError("-net: %v", err)
		}
	}
	if kind != "" {
		nc.Kind = kind
	}
	switch nc.Kind {
	case model.KindEGNN, model.KindMLP, model.KindUNet:
	default:
		return usageError("-model must be egnn, mlp or unet, got %q", nc.Kind)
	}
	if particles < 0 || dim < 0 || hidden < 0 || layers < 0 {
		return usageError("-particles, -dim, -hidden and -layers must be ≥ 0")
	}
	if particles > 0 {
		nc.Particles = particles
	}
	if dim > 0 {
		nc.Dim = dim
	}
	if hidden > 0 {
		nc.Hidden = hidden
	}
	if layers > 0 {
		nc.Layers = layers
	}
	if nc.Kind == model.KindEGNN && nc.Particles == 0 && nc.Dim == 0 {
		nc.Particles = 13
	}
	net, err := model.New(nc, seed)
	if err != nil {
		return usageError("%v", err)
	}
	fc, err := loadPathConfig(cfgPath)
	if err != nil {
		return err
	}
	tc := train.DefaultConfig()
	tc.Flow, tc.Net, tc.Seed = fc, net.Config(), seed
	tc.Particles, tc.SpatialDim, tc.Hessian = 0, 0, train.HessianIsotropic
	tc.IsoLambda = 1
	if p := net.Config().Particles; nc.Kind == model.KindEGNN || particles > 0 {
		if nc.Kind != model.KindEGNN {
			p = particles
		}
		tc.Particles, tc.SpatialDim, tc.Hessian, tc.IsoLambda = p, 3, train.HessianFormation, 0
	}
	if err := tc.Validate(); err != nil {
		return usageError("%v", err)
	}
	tj, err := json.Marshal(tc)
	if err != nil {
		return err
	}
	if err := model.SaveCheckpoint(dir, &model.Checkpoint{Net: net.Config(), Params: net.Params(), Train: tj}); err != nil {
		return err
	}
	names := make([]string, 0, len(net.Params()))
	arrays := map[string]*npy.Array{}
	for _, p := range net.Params() {
		c := p.Value.Contiguous()
		names = append(names, p.Name)
		arrays[p.Name] = &npy.Array{Shape: append([]int{}, c.Shape...), Data: c.Data[:c.Size()]}
	}
	pz := filepath.Join(dir, "params.npz")
	if err := npy.WriteNPZ(pz, names, arrays); err != nil {
		return err
	}
	summary := map[string]any{
		"command": "crosscheck model -init", "version": hifmBuildVersion(), "out": dir, "seed": seed,
		"net": net.Config(), "train": tc, "params": paramInfos(net), "num_params": model.NumParams(net),
		"params_npz": pz,
	}
	if printed, err := writeSidecar(stdout, pz+".json", summary, asJSON); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote checkpoint %s (%s, %d parameters in %d tensors, seed %d) and %s; config %s.json\n",
		dir, net.Config().Kind, model.NumParams(net), len(names), seed, pz, pz)
	return err
}
