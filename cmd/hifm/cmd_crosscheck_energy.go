package main

import (
	"fmt"
	"io"
	"math"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/npy"
)

const crosscheckEnergyHelp = `
Evaluate a potential energy, its gradient and its Hessian on a batch of
configurations, so that another implementation can be checked against this
one. Schema: docs/CROSSCHECK.md ("crosscheck energy").

Input: -in y.npy of shape (b, n), n = P·d (P particles in d = -dim
dimensions, particle-major: x_0, y_0, z_0, x_1, …).

  lj13       E(y) = Σ_{i<j} [ (1/r_ij)^12 − 2 (1/r_ij)^6 ] + ½ Σ_i ||y_i − ȳ||²
             (docs/MATH.md §4.2: each unordered pair counted once, ε_LJ = r_m = 1,
             oscillator weight 1; bgflow's ordered-pair sum is twice the pair term)
  formation  V(y) = ¼ Σ_{i<j} ( ||y_i − y_j||² − d_ij² )²   (Eq. 25, complete graph)
             with d_ij the distances of -ref: shape (n,) or (1, n) (one
             reference for every row) or (b, n) (row k uses reference k)

Output .npz (float64): energy (b,), grad (b, n) (closed form), hessian
(b, n, n) (the project's autodiff: one recorded gradient, n reverse sweeps,
symmetrised (H + Hᵀ)/2).

examples:
  hifm crosscheck energy -energy lj13 -in y.npy -out e.npz
  hifm crosscheck energy -energy formation -in y.npy -ref y1.npy -out f.npz --json
`

func init() {
	register(&command{
		name:    "crosscheck energy",
		summary: "LJ13 or formation energy, gradient and Hessian on a batch (.npy in, .npz out)",
		run:     runCrosscheckEnergy,
	})
}

// energyGraph is an energy with closed-form value and gradient and an
// autodiff expression for the Hessian.
type energyGraph interface {
	energy.Energy
	Node(x *autodiff.Node) *autodiff.Node
}

func runCrosscheckEnergy(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crosscheck energy", crosscheckEnergyHelp, stderr)
	kind := fs.String("energy", "", "lj13 or formation (required)")
	in := fs.String("in", "", "input .npy of configurations (b, n) (required)")
	ref := fs.String("ref", "", "formation only: reference configurations, (n,), (1, n) or (b, n)")
	out := fs.String("out", "", "output .npz (required)")
	dim := fs.Int("dim", 3, "spatial dimension d of each particle (n = P·d)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *kind != "lj13" && *kind != "formation":
		return usageError("-energy must be lj13 or formation, got %q", *kind)
	case *in == "" || *out == "":
		return usageError("-in and -out are required (see 'hifm crosscheck energy -h')")
	case *dim < 1 || *dim > 16:
		return usageError("-dim must be in [1, 16], got %d", *dim)
	case *kind == "formation" && *ref == "":
		return usageError("-energy formation needs -ref (the configurations whose distances d_ij are the targets)")
	case *kind == "lj13" && *ref != "":
		return usageError("-ref is only for -energy formation")
	}
	ya, err := npy.ReadFile(*in)
	if err != nil {
		return err
	}
	if err := checkArray(ya, *in, "(b, n)", -1, -1); err != nil {
		return err
	}
	b, n := ya.Shape[0], ya.Shape[1]
	if b == 0 || n == 0 {
		return fmt.Errorf("%s: empty batch (shape %v)", *in, ya.Shape)
	}
	if n%*dim != 0 || n / *dim < 2 {
		return fmt.Errorf("%s: n = %d is not P·d with d = %d and P ≥ 2 particles", *in, n, *dim)
	}
	particles := n / *dim
	var refs []float64
	var perRow bool
	if *ref != "" {
		ra, err := npy.ReadFile(*ref)
		if err != nil {
			return err
		}
		switch {
		case len(ra.Shape) == 1:
			err = checkArray(ra, *ref, "(n,)", n)
		case len(ra.Shape) == 2 && ra.Shape[0] == 1:
			err = checkArray(ra, *ref, "(1, n)", 1, n)
		default:
			err = checkArray(ra, *ref, "(b, n) (or (n,), (1, n): one reference for all rows)", b, n)
			perRow = true
		}
		if err != nil {
			return err
		}
		refs = ra.Data
	}
	energies := make([]float64, b)
	grads := make([]float64, b*n)
	hess := make([]float64, b*n*n)
	var e energyGraph
	if *kind == "lj13" {
		l := energy.NewLJ13()
		l.Particles, l.SpatialDim = particles, *dim
		e = l
	}
	for i := range b {
		y := ya.Data[i*n : (i+1)*n]
		if *kind == "formation" && (i == 0 || perRow) {
			r := refs[:n]
			if perRow {
				r = refs[i*n : (i+1)*n]
			}
			f, err := energy.NewFormation(r, particles, *dim, energy.CompleteGraph)
			if err != nil {
				return fmt.Errorf("%s: reference %d: %w", *ref, i, err)
			}
			e = f
		}
		energies[i] = e.Value(y)
		e.Grad(y, grads[i*n:(i+1)*n])
		g := &energy.Graph{N: n, Build: e.Node}
		g.Hessian(y, hess[i*n*n:(i+1)*n*n])
		if err := finiteRow(hess[i*n*n:(i+1)*n*n], grads[i*n:(i+1)*n], energies[i]); err != nil {
			return fmt.Errorf("%s: sample %d: %v (two particles at the same place?)", *in, i, err)
		}
	}
	names := []string{"energy", "grad", "hessian"}
	arrays := map[string]*npy.Array{
		"energy":  {Shape: []int{b}, Data: energies},
		"grad":    {Shape: []int{b, n}, Data: grads},
		"hessian": {Shape: []int{b, n, n}, Data: hess},
	}
	if err := npy.WriteNPZ(*out, names, arrays); err != nil {
		return err
	}
	convention := "E(y) = Σ_{i<j} ε[(r_m/r_ij)^12 − 2(r_m/r_ij)^6] + ½Σ_i||y_i − ȳ||², unordered pairs, ε = r_m = 1, oscillator 1 (docs/MATH.md §4.2)"
	refMode := ""
	if *kind == "formation" {
		convention = "V(y) = ¼Σ_{i<j}(||y_i − y_j||² − d_ij²)², complete graph, d_ij from -ref (Eq. 25)"
		refMode = "one for all rows"
		if perRow {
			refMode = "one per row"
		}
	}
	mean, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, v := range energies {
		mean += v / float64(b)
		lo, hi = min(lo, v), max(hi, v)
	}
	summary := map[string]any{
		"command": "crosscheck energy", "version": hifmBuildVersion(), "energy": *kind,
		"convention": convention, "in": *in, "out": *out, "batch": b, "dim": n,
		"particles": particles, "spatial_dim": *dim, "arrays": names,
		"hessian_method": "autodiff (recorded gradient, n reverse sweeps, symmetrised)",
		"energy_mean":    mean, "energy_min": lo, "energy_max": hi,
	}
	if *ref != "" {
		summary["ref"], summary["ref_mode"] = *ref, refMode
	}
	if printed, err := writeSidecar(stdout, *out+".json", summary, *asJSON); err != nil || printed {
		return err
	}
	_, err = fmt.Fprintf(stdout, "wrote %s: energy (%d,), grad (%d,%d), hessian (%d,%d,%d) of %s; mean energy %.6g (min %.6g, max %.6g); config %s.json\n",
		*out, b, b, n, b, n, n, *kind, mean, lo, hi, *out)
	return err
}

// finiteRow reports the first non-finite energy, gradient or Hessian entry.
func finiteRow(h, g []float64, e float64) error {
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return fmt.Errorf("energy is %v", e)
	}
	for j, x := range g {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("grad[%d] is %v", j, x)
		}
	}
	for j, x := range h {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("hessian entry %d is %v", j, x)
		}
	}
	return nil
}
