package flow

import (
	"fmt"
	"math/rand/v2"
)

// Residual sets r = P(v − u) and returns ||r||², one sample's term of the
// flow-matching loss of Algorithm 1 (HIFM-MATH §5): P = P_h = Q_h Q_hᵀ when
// project (§4 "Projection"), else I. The gradient with respect to v is 2r.
// r may alias v or u.
func Residual(r, v, u []float64, sp *Spectrum, project bool) float64 {
	for i := range r {
		r[i] = v[i] - u[i]
	}
	if project && sp != nil {
		ProjectHyperbolic(r, r, sp)
	}
	var q float64
	for _, x := range r {
		q += x * x
	}
	return q
}

// Batch is one training batch of Algorithm 1, row-major (b, n).
type Batch struct {
	Index []int     // data indices
	S     []float64 // interpolant s ∈ [0, 1−δ]
	Time  []float64 // the network's time input: s (finite scheme, OT) or t(s) (infinite)
	Y0    []float64 // base samples
	YS    []float64 // ψ_s(y0 | y1) (F2)
	US    []float64 // target field (F1, or Eq. 17 in the infinite scheme)
}

// Sampler draws training batches (Algorithm 1's inner loop): base y0 ~ p_0,
// s ~ U[0, 1−δ] (the finite window of §3; U[0,1] for OT), then (y_s, u_s).
// NewSampler builds it; its state is fixed there, so that the path always
// matches the config and the spectra the data.
type Sampler struct {
	cfg     Config
	path    Path
	base    Base
	data    [][]float64
	spectra []*Spectrum // per data sample (HI-FM); nil for OT
}

// NewSampler checks that data, spectra and base agree.
func NewSampler(cfg Config, base Base, data [][]float64, spectra []*Spectrum) (*Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("flow: sampler needs data")
	}
	n := base.Dim()
	for i, y := range data {
		if len(y) != n {
			return nil, fmt.Errorf("flow: data sample %d has length %d, base dimension %d", i, len(y), n)
		}
	}
	sm := &Sampler{cfg: cfg, base: base, data: data}
	switch cfg.Kind {
	case PathOT:
		sm.path = OTPath{SigmaMin: cfg.SigmaMin, Sigma0: cfg.Sigma0}
	case PathHIFM:
		if len(spectra) != len(data) {
			return nil, fmt.Errorf("flow: %d spectra for %d data samples", len(spectra), len(data))
		}
		for i, sp := range spectra {
			if sp == nil || sp.N != n {
				return nil, fmt.Errorf("flow: spectrum %d missing or of the wrong dimension", i)
			}
		}
		sm.path = NewHIFMPath(cfg)
		sm.spectra = spectra
	}
	return sm, nil
}

// NewBatch allocates a batch of b samples.
func (sm *Sampler) NewBatch(b int) *Batch {
	n := sm.base.Dim()
	return &Batch{Index: make([]int, b), S: make([]float64, b), Time: make([]float64, b),
		Y0: make([]float64, b*n), YS: make([]float64, b*n), US: make([]float64, b*n)}
}

// Fill draws a batch for the data indices idx (len(idx) = batch size),
// consuming rng in a fixed order (per sample: y0, then s), so a seed
// reproduces the batch. It allocates nothing.
func (sm *Sampler) Fill(rng *rand.Rand, idx []int, bt *Batch) error {
	n := sm.base.Dim()
	if len(bt.Index) != len(idx) || len(bt.Y0) != len(idx)*n {
		return fmt.Errorf("flow: batch of %d rows for %d indices", len(bt.Index), len(idx))
	}
	smax := 1.0
	if sm.cfg.Kind == PathHIFM {
		smax = sm.cfg.SMax()
	}
	for k, i := range idx {
		if i < 0 || i >= len(sm.data) {
			return fmt.Errorf("flow: data index %d out of range [0, %d)", i, len(sm.data))
		}
		y0 := bt.Y0[k*n : (k+1)*n]
		sm.base.Sample(rng, y0)
		s := rng.Float64() * smax
		var sp *Spectrum
		bt.Time[k] = s
		if sm.spectra != nil {
			sp = sm.spectra[i]
			if sm.cfg.Scheme == SchemeInfinite {
				bt.Time[k] = Time(s, sp.Kappa)
			}
		}
		bt.Index[k], bt.S[k] = i, s
		sm.path.Draw(bt.YS[k*n:(k+1)*n], bt.US[k*n:(k+1)*n], y0, sm.data[i], s, sp)
	}
	return nil
}
