package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/tensor/npy"
)

const crosscheckPathHelp = `
Evaluate the conditional path of HI-FM or OT on a batch, so that another
implementation can be checked against this one. Schema: docs/CROSSCHECK.md.

Input .npz: y0 (b,n) base samples, y1 (b,n) data samples, s (b,) interpolant
values, and for path "hifm" hessian (b,n,n) (the Hessian of each y1).
Output .npz (float64): ys (b,n) = ψ_s(y0|y1), us (b,n) = u_s(ys|y1); for
"hifm" also eigenvalues (b,n) after all processing (ascending, zeros on a kept
null space) and kappa (b,); in the infinite scheme also t (b,) = t(s) and us is
the Eq. 17 field u_t.

Config JSON (every key optional, defaults shown):
  {"path":"hifm", "sigma_min":0.001, "scheme":"finite", "alpha":1.0,
   "priority":"interpolant", "epsilon":0.01, "horizon":1.0,
   "hyperbolize":false, "null_tol":1e-8, "condition":0,
   "stationary":"isotropic", "sigma":0.1, "sigma0":1.0, "delta":1e-5}

For "hifm", s must lie in [0, 1−delta] (the finite window of HIFM-MATH §3).

example:
  hifm crosscheck path -config cfg.json -in batch.npz -out out.npz
`

func init() {
	register(&command{
		name:    "crosscheck path",
		summary: "evaluate HI-FM/OT conditional paths on a batch (.npz in/out)",
		run:     runCrosscheckPath,
	})
}

// loadPathConfig reads a crosscheck config: defaults, overridden by the
// keys present; unknown keys are an error.
func loadPathConfig(path string) (flow.Config, error) {
	cfg := flow.Default()
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %v", path, err)
	}
	if dec.More() {
		return cfg, fmt.Errorf("config %s: trailing data after the JSON object", path)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// pathBatch is a validated crosscheck input.
type pathBatch struct {
	b, n       int
	y0, y1, h  []float64
	s          []float64
	hasHessian bool
}

func getArray(arrs map[string]*npy.Array, in, name string, shape ...int) (*npy.Array, error) {
	a, ok := arrs[name]
	if !ok {
		return nil, fmt.Errorf("%s: missing array %q", in, name)
	}
	if len(a.Shape) != len(shape) {
		return nil, fmt.Errorf("%s: %q has shape %v, want %d dimensions %s", in, name, a.Shape, len(shape), shapeDesc(name))
	}
	for i, d := range shape {
		if d >= 0 && a.Shape[i] != d {
			return nil, fmt.Errorf("%s: %q has shape %v, want %s with b=%d, n=%d", in, name, a.Shape, shapeDesc(name), shape[0], shape[len(shape)-1])
		}
	}
	for i, x := range a.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			per := 1
			for _, d := range a.Shape[1:] {
				per *= d
			}
			return nil, fmt.Errorf("%s: %q has a non-finite value %v in sample %d", in, name, x, i/max(per, 1))
		}
	}
	return a, nil
}

func shapeDesc(name string) string {
	switch name {
	case "s":
		return "(b,)"
	case "hessian":
		return "(b,n,n)"
	}
	return "(b,n)"
}

func readPathBatch(in string, cfg *flow.Config) (*pathBatch, error) {
	arrs, err := npy.ReadNPZ(in)
	if err != nil {
		return nil, err
	}
	y1, err := getArray(arrs, in, "y1", -1, -1)
	if err != nil {
		return nil, err
	}
	pb := &pathBatch{b: y1.Shape[0], n: y1.Shape[1], y1: y1.Data}
	if pb.b == 0 || pb.n == 0 {
		return nil, fmt.Errorf("%s: empty batch (y1 has shape %v)", in, y1.Shape)
	}
	y0, err := getArray(arrs, in, "y0", pb.b, pb.n)
	if err != nil {
		return nil, err
	}
	s, err := getArray(arrs, in, "s", pb.b)
	if err != nil {
		return nil, err
	}
	pb.y0, pb.s = y0.Data, s.Data
	smax := 1.0
	if cfg.Kind == flow.PathHIFM {
		smax = cfg.SMax()
	}
	for i, v := range pb.s {
		if !(v >= 0 && v <= smax) {
			return nil, fmt.Errorf("%s: s[%d] = %v outside [0, %v] (path %q, delta %g)", in, i, v, smax, cfg.Kind, cfg.Delta)
		}
	}
	if cfg.Kind == flow.PathHIFM {
		h, err := getArray(arrs, in, "hessian", pb.b, pb.n, pb.n)
		if err != nil {
			return nil, err
		}
		pb.h, pb.hasHessian = h.Data, true
	}
	return pb, nil
}

func runCrosscheckPath(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck path", crosscheckPathHelp, stderr)
	cfgPath := fs.String("config", "", "config JSON file (empty: all defaults)")
	in := fs.String("in", "", "input .npz with y0, y1, s (and hessian for hifm)")
	out := fs.String("out", "", "output .npz")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	workers := fs.Int("workers", 0, "goroutines for the spectra (0: GOMAXPROCS; results do not depend on it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return usageError("-in and -out are required (see 'hifm crosscheck path -h')")
	}
	cfg, err := loadPathConfig(*cfgPath)
	if err != nil {
		return err
	}
	pb, err := readPathBatch(*in, &cfg)
	if err != nil {
		return err
	}
	b, n := pb.b, pb.n
	ys, us := make([]float64, b*n), make([]float64, b*n)
	arrays := map[string]*npy.Array{
		"ys": {Shape: []int{b, n}, Data: ys},
		"us": {Shape: []int{b, n}, Data: us},
	}
	names := []string{"ys", "us"}
	row := func(v []float64, i int) []float64 { return v[i*n : (i+1)*n] }
	switch cfg.Kind {
	case flow.PathOT:
		p := flow.OTPath{SigmaMin: cfg.SigmaMin, Sigma0: cfg.Sigma0}
		for i := range b {
			p.Draw(row(ys, i), row(us, i), row(pb.y0, i), row(pb.y1, i), pb.s[i], nil)
		}
	case flow.PathHIFM:
		y1s := make([][]float64, b)
		for i := range b {
			y1s[i] = row(pb.y1, i)
		}
		pl := flow.Pipeline{Config: cfg}
		specs, err := pl.Spectra(y1s, func(i int, _, h []float64) error {
			copy(h, pb.h[i*n*n:(i+1)*n*n])
			return nil
		}, *workers)
		if err != nil {
			return fmt.Errorf("%s: %w", *in, err)
		}
		p := flow.NewHIFMPath(cfg)
		eigs, kappa := make([]float64, b*n), make([]float64, b)
		var tt []float64
		if cfg.Scheme == flow.SchemeInfinite {
			tt = make([]float64, b)
		}
		for i, sp := range specs {
			p.Draw(row(ys, i), row(us, i), row(pb.y0, i), y1s[i], pb.s[i], sp)
			copy(row(eigs, i), sp.Lambda)
			kappa[i] = sp.Kappa
			if tt != nil {
				tt[i] = flow.Time(pb.s[i], sp.Kappa)
			}
		}
		arrays["eigenvalues"] = &npy.Array{Shape: []int{b, n}, Data: eigs}
		arrays["kappa"] = &npy.Array{Shape: []int{b}, Data: kappa}
		names = append(names, "eigenvalues", "kappa")
		if tt != nil {
			arrays["t"] = &npy.Array{Shape: []int{b}, Data: tt}
			names = append(names, "t")
		}
	default:
		return errors.New("unreachable: unknown path")
	}
	if err := npy.WriteNPZ(*out, names, arrays); err != nil {
		return err
	}
	smax := 1.0
	if cfg.Kind == flow.PathHIFM {
		smax = cfg.SMax()
	}
	summary := map[string]any{
		"command": "crosscheck path", "version": hifmBuildVersion(), "in": *in,
		"out": *out, "batch": b, "dim": n, "arrays": names,
		"config": cfg, "s_window": []float64{0, smax},
	}
	if printed, err := writeSidecar(stdout, *out+".json", summary, *asJSON); err != nil || printed {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %v for b=%d, n=%d (path %s", *out, names, b, n, cfg.Kind)
	if cfg.Kind == flow.PathHIFM {
		fmt.Fprintf(stdout, ", scheme %s, s window [0, 1−δ] = [0, %v]", cfg.Scheme, smax)
	}
	fmt.Fprintln(stdout, ")")
	return nil
}
