// Package infer evaluates a trained velocity network v_θ(y, s): the test
// log-likelihood by the augmented ODE (NLL, HIFM-MATH §6) and samples by
// forward integration (Sample), both with the network as a flow.DivField
// (exact or Hutchinson divergence). It needs the network and its path, not the trainer:
// package train builds a Model from its config (train.Config.Inference).
//
// Every result is the same for any number of workers: each test point or
// sample is an independent solve whose random numbers (Hutchinson probes,
// base draws) come from PCG streams seeded by (Seed, index).
package infer

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/model"
)

// Model is what inference needs of a training run: the network, the
// probability path it was trained on (its interval and σ_0) and the
// particle layout (Particles, SpatialDim > 0 for particle data, whose
// density lives on the zero-centre-of-mass subspace, HIFM-MATH §4).
type Model struct {
	Net                   model.Net
	Flow                  flow.Config
	Particles, SpatialDim int
}

// Base returns the base distribution p_0: the zero-CoM Gaussian for
// particle data (HIFM-MATH §4), else N(0, σ_0² I).
func (m Model) Base() (flow.Base, error) {
	if m.Particles > 0 {
		return flow.NewZeroCOMBase(m.Particles, m.SpatialDim, m.Flow.Sigma0)
	}
	return flow.GaussianBase{N: m.Net.Dim(), Sigma0: m.Flow.Sigma0}, nil
}

// Interval returns the time interval [T0, T1] of the likelihood and
// sampling solves (HIFM-MATH §3, §6): [0, 1] for OT, [0, 1 − δ] for the
// finite HI-FM scheme, [0, t(1 − δ)] for the infinite one, with κ common
// to all samples (interpolant priority: κ = ln(1/ε)/T; data priority:
// κ = α ln(1/ε)/T; §3.1). An infinite scheme without a common κ is an
// error wrapping flow.ErrConfig.
func (m Model) Interval() (t0, t1 float64, err error) {
	fc := m.Flow
	if fc.Kind == flow.PathOT {
		return 0, 1, nil
	}
	smax := fc.SMax()
	if fc.Scheme != flow.SchemeInfinite {
		return 0, smax, nil
	}
	var kappa float64
	switch fc.Priority {
	case flow.PriorityInterpolant:
		kappa = math.Log(1/fc.Epsilon) / fc.Horizon
	case flow.PriorityData:
		kappa = fc.Alpha * math.Log(1/fc.Epsilon) / fc.Horizon
	default:
		return 0, 0, fmt.Errorf("%w: infinite scheme with priority %q has no common κ", flow.ErrConfig, fc.Priority)
	}
	return 0, flow.Time(smax, kappa), nil
}

// setup returns the base and the interval of m, or the first error.
func (m Model) setup() (flow.Base, float64, float64, error) {
	if m.Net == nil {
		return nil, 0, 0, fmt.Errorf("infer: no network")
	}
	base, err := m.Base()
	if err != nil {
		return nil, 0, 0, err
	}
	t0, t1, err := m.Interval()
	return base, t0, t1, err
}
