package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor/npy"
)

const crosscheckLossHelp = `
Evaluate the flow-matching loss of Algorithm 1 (HIFM-MATH §5) of a
checkpoint's network on a batch you give, with the per-sample terms and the
parameter gradient: what to compare first when a training curve differs.
Schema: docs/CROSSCHECK.md ("crosscheck loss").

Input .npz: y0 (b, n) base samples, y1 (b, n) data samples, s (b,)
interpolant values, and for path "hifm" hessian (b, n, n) (the Hessian of
each y1; Algorithm 1 uses the formation energy's, e.g. from
'hifm crosscheck energy -energy formation -in y1.npy -ref y1.npy').
Config: the JSON of 'crosscheck path' (path, scheme, α, ε, T, hyperbolize,
condition, project, …); without -config the checkpoint's training flow
config, else the defaults.

  y_s = ψ_s(y0 | y1) (F2), u = u_s(y_s | y1) (F1; Eq. 17 u_t in the infinite scheme)
  r_b = P (v_θ(y_s, t) − u)   (P = P_h if "project", else I; t = s, or t(s) if infinite)
  loss = (1/b) Σ_b ||r_b||²

Output .npz (float64): loss (), per_sample (b,) = ||r_b||², residual (b, n)
= r, v (b, n), ys (b, n), us (b, n), time (b,) (the network's time input),
and grad/<param name> = ∂loss/∂θ for every parameter. The batch is cut into
chunks of -chunk samples whose gradients are summed in order, exactly as
'hifm train' does: same batch, weights and chunk give the training step's
gradient bit for bit.

examples:
  hifm crosscheck loss -ckpt runs/hifm -in batch.npz -out loss.npz
  hifm crosscheck loss -config cfg.json -ckpt ckpt -in batch.npz -out loss.npz --json
`

func init() {
	register(&command{
		name:    "crosscheck loss",
		summary: "flow-matching loss, per-sample residuals and parameter gradient on a batch",
		run:     runCrosscheckLoss,
	})
}

func runCrosscheckLoss(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck loss", crosscheckLossHelp, stderr)
	cfgPath := fs.String("config", "", "flow config JSON (schema of crosscheck path; empty: the checkpoint's, else defaults)")
	ckpt := fs.String("ckpt", "", "checkpoint directory (required)")
	in := fs.String("in", "", "input .npz with y0, y1, s (and hessian for hifm) (required)")
	out := fs.String("out", "", "output .npz (required)")
	chunk := fs.Int("chunk", 0, "samples per gradient chunk (0: the checkpoint's training chunk, else 32)")
	workers := fs.Int("workers", 0, "goroutines for the spectra (0: GOMAXPROCS; results do not depend on it)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *ckpt == "" || *in == "" || *out == "":
		return usageError("-ckpt, -in and -out are required (see 'hifm crosscheck loss -h')")
	case *chunk < 0:
		return usageError("-chunk must be ≥ 0, got %d", *chunk)
	case *workers < 0:
		return usageError("-workers must be ≥ 0, got %d", *workers)
	}
	ck, err := model.LoadCheckpoint(*ckpt)
	if err != nil {
		return err
	}
	net, err := ck.Restore()
	if err != nil {
		return err
	}
	cfg, source := flow.Default(), "defaults"
	var tc *train.Config
	if len(ck.Train) > 0 {
		var c train.Config
		dec := json.NewDecoder(bytes.NewReader(ck.Train))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return fmt.Errorf("checkpoint %s: training config: %v", *ckpt, err)
		}
		tc = &c
		cfg, source = c.Flow, "checkpoint "+*ckpt
	}
	if *cfgPath != "" {
		if cfg, err = loadPathConfig(*cfgPath); err != nil {
			return err
		}
		source = *cfgPath
	}
	if *chunk == 0 {
		*chunk = train.DefaultConfig().Chunk
		if tc != nil && tc.Chunk > 0 {
			*chunk = tc.Chunk
		}
	}
	pb, err := readPathBatch(*in, &cfg)
	if err != nil {
		return err
	}
	b, n := pb.b, pb.n
	if n != net.Dim() {
		return fmt.Errorf("%s: \"y1\" has shape [%d %d], want (b, n) with n = %d (the network's dimension)", *in, b, n, net.Dim())
	}
	var spectra []*flow.Spectrum
	if cfg.Kind == flow.PathHIFM {
		y1s := make([][]float64, b)
		for i := range b {
			y1s[i] = pb.y1[i*n : (i+1)*n]
		}
		pl := flow.Pipeline{Config: cfg}
		if spectra, err = pl.Spectra(y1s, func(i int, _, h []float64) error {
			copy(h, pb.h[i*n*n:(i+1)*n*n])
			return nil
		}, *workers); err != nil {
			return fmt.Errorf("%s: %w", *in, err)
		}
	}
	r, err := train.Loss(net, cfg, *chunk, pb.y0, pb.y1, pb.s, spectra)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	names := []string{"loss", "per_sample", "residual", "v", "ys", "us", "time"}
	arrays := map[string]*npy.Array{
		"loss":       {Shape: []int{}, Data: []float64{r.Loss}},
		"per_sample": {Shape: []int{b}, Data: r.PerSample},
		"residual":   {Shape: []int{b, n}, Data: r.Residual},
		"v":          {Shape: []int{b, n}, Data: r.V},
		"ys":         {Shape: []int{b, n}, Data: r.YS},
		"us":         {Shape: []int{b, n}, Data: r.US},
		"time":       {Shape: []int{b}, Data: r.Time},
	}
	for i, p := range net.Params() {
		k := "grad/" + p.Name
		names = append(names, k)
		g := r.Grads[i].Contiguous()
		arrays[k] = &npy.Array{Shape: append([]int{}, g.Shape...), Data: g.Data[:g.Size()]}
	}
	if err := npy.WriteNPZ(*out, names, arrays); err != nil {
		return err
	}
	summary := map[string]any{
		"command": "crosscheck loss", "version": hifmBuildVersion(), "ckpt": *ckpt, "step": ck.Step,
		"in": *in, "out": *out, "batch": b, "dim": n, "config": cfg, "config_source": source,
		"chunk": *chunk, "net": net.Config(), "arrays": names, "loss": r.Loss,
		"grad_norm": model.GlobalNorm(r.Grads),
	}
	if printed, err := writeSidecar(stdout, *out+".json", summary, *asJSON); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(stdout, "loss %.17g (b=%d, n=%d, path %s, chunk %d), gradient norm %.6g; wrote %s and %s.json\n",
		r.Loss, b, n, cfg.Kind, *chunk, model.GlobalNorm(r.Grads), *out, *out)
	return err
}
