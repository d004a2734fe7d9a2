package infer

import (
	"fmt"
	"math/rand/v2"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
)

// Divergence methods of NLL (Options.Method; HIFM-MATH §6).
const (
	DivExact      = "exact"      // n reverse sweeps sharing one forward pass
	DivHutchinson = "hutchinson" // Rademacher probes fixed during one solve
)

// netField is a trained network as a flow.DivField on one point at a time
// (the likelihood and sampling ODEs of HIFM-MATH §6). It owns an autodiff
// graph, reused (Reset) at every evaluation, so a netField belongs to one
// goroutine (NLL and Sample make one per worker); the network itself is
// shared read-only.
type netField struct {
	net    model.Net
	method string // DivExact or DivHutchinson (newNetField)
	// particles and spatialDim (> 0 for particle data) make the field live
	// on the zero-centre-of-mass subspace (HIFM-MATH §4): the velocity's
	// centre of mass is removed, v ← P f, and the divergence is the
	// subspace trace tr(P J P) = tr(J) − (1/N) Σ_d 1_dᵀ J 1_d, 1_d the
	// indicator of coordinate d of every particle (three extra sweeps).
	// For a translation-invariant, mean-free network (the EGNN) both
	// changes vanish.
	particles, spatialDim int

	// noAnalytic forces autodiff.Divergence even when the network has an
	// analytic divergence (model.DivergenceNet): tests and benchmarks only
	// (export_test.go).
	noAnalytic bool

	// probes are the Hutchinson probes (each of length Dim) used by
	// VelocityDiv, set once per solve by setProbes so that the estimate is
	// a fixed function of (s, y) during it; probeT are their tensors.
	probes [][]float64
	probeT []*tensor.Tensor

	ones []*tensor.Tensor // 1_d seeds for the subspace correction

	g    *autodiff.Graph
	y, s *tensor.Tensor
	// p holds the parameters bound in g for the current evaluation, wrt
	// and gs the argument and result of comCorrection's VJPs: reused, so
	// that an evaluation allocates nothing after the first.
	p   []*autodiff.Node
	wrt [1]*autodiff.Node
	gs  []*autodiff.Node
}

// bind binds the network's parameters in f.g (model.Bind into f.p).
func (f *netField) bind() []*autodiff.Node {
	ps := f.net.Params()
	if len(f.p) != len(ps) {
		f.p = make([]*autodiff.Node, len(ps))
	}
	for i, p := range ps {
		f.p[i] = f.g.Var(p.Value)
	}
	return f.p
}

// newNetField returns the field of m's network, on m's particle layout,
// with the given divergence method.
func newNetField(m Model, method string) (*netField, error) {
	switch method {
	case "":
		method = DivExact
	case DivExact, DivHutchinson:
	default:
		return nil, fmt.Errorf("infer: divergence method %q: want %q or %q", method, DivExact, DivHutchinson)
	}
	n := m.Net.Dim()
	return &netField{net: m.Net, method: method, particles: m.Particles, spatialDim: m.SpatialDim,
		g: autodiff.NewGraph(), y: tensor.Zeros(1, n), s: tensor.Zeros(1, 1)}, nil
}

// Dim is the data dimension.
func (f *netField) Dim() int { return f.net.Dim() }

// setProbes draws k Rademacher probes from rng (Hutchinson's estimator).
// For particle data each probe is projected onto the zero-centre-of-mass
// subspace, so the estimate is of the subspace trace tr(P J P)
// (HIFM-MATH §4, §6).
func (f *netField) setProbes(rng *rand.Rand, k int) {
	n := f.Dim()
	if len(f.probes) != k {
		f.probes = make([][]float64, k)
		f.probeT = make([]*tensor.Tensor, k)
		for i := range f.probes {
			f.probes[i] = make([]float64, n)
			f.probeT[i] = tensor.FromSlice(f.probes[i], 1, n)
		}
	}
	for _, p := range f.probes {
		for i := range p {
			p[i] = float64(2*int(rng.Uint64()&1) - 1)
		}
		if f.particles > 0 {
			flow.RemoveCOM(p, f.spatialDim)
		}
	}
}

func (f *netField) forward(s float64, y []float64) (*autodiff.Node, *autodiff.Node, error) {
	f.g.Reset()
	copy(f.y.Data, y)
	f.s.Data[0] = s
	var out, yn *autodiff.Node
	err := tensor.Catch(func() {
		p := f.bind()
		yn = f.g.Var(f.y)
		out = f.net.Forward(f.g, p, yn, f.g.Const(f.s))
	})
	return out, yn, err
}

// Velocity implements flow.Field: v = v_θ(y, s) (mean-free for particles).
func (f *netField) Velocity(s float64, y, v []float64) error {
	out, _, err := f.forward(s, y)
	if err != nil {
		return err
	}
	f.copyVelocity(v, out)
	return nil
}

func (f *netField) copyVelocity(v []float64, out *autodiff.Node) {
	copy(v, out.Value().Contiguous().Data)
	if f.particles > 0 {
		flow.RemoveCOM(v, f.spatialDim)
	}
}

// comCorrection returns (1/N) Σ_d 1_dᵀ J 1_d, the part of tr J outside
// the zero-CoM subspace (see particles).
func (f *netField) comCorrection(out, yn *autodiff.Node) (float64, error) {
	n, d := f.Dim(), f.spatialDim
	if f.ones == nil {
		for k := range d {
			t := tensor.Zeros(1, n)
			for i := k; i < n; i += d {
				t.Data[i] = 1
			}
			f.ones = append(f.ones, t)
		}
	}
	var c float64
	f.wrt[0] = yn
	for _, e := range f.ones {
		gs, err := autodiff.VJP(f.gs, out, f.g.Const(e), f.wrt[:], false)
		if err != nil {
			return 0, err
		}
		f.gs = gs
		gd := gs[0].Value().Contiguous().Data
		for i := range e.Data {
			c += gd[i] * e.Data[i]
		}
	}
	return c / float64(f.particles), nil
}

// VelocityDiv implements flow.DivField: v = v_θ(y, s) and div_y v, exact
// (the network's analytic model.DivergenceNet form when it has one, else
// autodiff.Divergence: n reverse sweeps of one forward pass) or by
// Hutchinson with the probes set by setProbes.
func (f *netField) VelocityDiv(s float64, y, v []float64) (float64, error) {
	if dn, ok := f.net.(model.DivergenceNet); ok && f.method == DivExact && !f.noAnalytic {
		f.g.Reset()
		copy(f.y.Data, y)
		f.s.Data[0] = s
		var out, div *autodiff.Node
		var have bool
		if err := tensor.Catch(func() {
			out, div, have = dn.ForwardDivergence(f.g, f.bind(), f.g.Const(f.y), f.g.Const(f.s))
		}); err != nil {
			return 0, err
		}
		if have {
			f.copyVelocity(v, out)
			return div.Value().Contiguous().Data[0], nil
		}
	}
	out, yn, err := f.forward(s, y)
	if err != nil {
		return 0, err
	}
	f.copyVelocity(v, out)
	var d *tensor.Tensor
	if f.method == DivHutchinson {
		if len(f.probeT) == 0 {
			return 0, fmt.Errorf("infer: Hutchinson divergence without probes (setProbes not called)")
		}
		d, err = autodiff.Hutchinson(out, yn, f.probeT, true)
	} else {
		d, err = autodiff.Divergence(out, yn, true)
		if err == nil && f.particles > 0 {
			var c float64
			if c, err = f.comCorrection(out, yn); err == nil {
				return d.Data[0] - c, nil
			}
		}
	}
	if err != nil {
		return 0, err
	}
	return d.Data[0], nil
}
