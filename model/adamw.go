package model

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/tensor"
)

// AdamWConfig holds the optimiser's hyper-parameters (HIFM-MATH §5,
// Algorithm 1). Zero values are not defaults: start from DefaultAdamW.
type AdamWConfig struct {
	LR          float64 `json:"lr"`           // learning rate (paper: 1e-4)
	Beta1       float64 `json:"beta1"`        // first-moment decay (0.9)
	Beta2       float64 `json:"beta2"`        // second-moment decay (0.999)
	Eps         float64 `json:"eps"`          // added to √v̂ (1e-8)
	WeightDecay float64 `json:"weight_decay"` // decoupled decay (1e-4)
	// ClipNorm > 0 clips the gradient to this global norm before the Adam
	// moments (optax.clip_by_global_norm chained before adamw); 0 is off.
	ClipNorm float64 `json:"clip_norm,omitempty"`
	// EMADecay in (0, 1) keeps an exponential moving average of the
	// parameters, ema ← d·ema + (1 − d)·θ after every step, starting from
	// the initial θ (no debiasing); 0 is off.
	EMADecay float64 `json:"ema_decay,omitempty"`
}

// DefaultAdamW is optax.adamw's defaults (b1 0.9, b2 0.999, eps 1e-8,
// weight_decay 1e-4) with the paper's learning rate 1e-4.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
}

// Validate reports a hyper-parameter outside its range.
func (c AdamWConfig) Validate() error {
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !fin(c.LR) || c.LR < 0:
		return fmt.Errorf("adamw: lr must be finite and ≥ 0, got %g", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("adamw: betas must be in [0, 1), got %g, %g", c.Beta1, c.Beta2)
	case !fin(c.Eps) || c.Eps < 0:
		return fmt.Errorf("adamw: eps must be finite and ≥ 0, got %g", c.Eps)
	case !fin(c.WeightDecay) || c.WeightDecay < 0:
		return fmt.Errorf("adamw: weight_decay must be finite and ≥ 0, got %g", c.WeightDecay)
	case !fin(c.ClipNorm) || c.ClipNorm < 0:
		return fmt.Errorf("adamw: clip_norm must be finite and ≥ 0 (0 = off), got %g", c.ClipNorm)
	case !(c.EMADecay >= 0 && c.EMADecay < 1):
		return fmt.Errorf("adamw: ema_decay must be in [0, 1) (0 = off), got %g", c.EMADecay)
	}
	return nil
}

// AdamW is optax.adamw (Loshchilov & Hutter 2019, decoupled weight decay)
// with optional global-norm clipping and a parameter EMA. Step t = 1, 2, …
// does, for every parameter θ with gradient g, in this order:
//
//	g ← g · min(1, ClipNorm/‖g‖)           (‖g‖ over all parameters; if ClipNorm > 0)
//	m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
//	m̂ = m/(1 − β1ᵗ),        v̂ = v/(1 − β2ᵗ)
//	θ ← θ − lr · (m̂/(√v̂ + ε) + wd · θ)
//	ema ← d · ema + (1 − d) · θ            (if EMADecay = d > 0)
//
// exactly optax.chain(clip_by_global_norm, scale_by_adam(eps_root=0),
// add_decayed_weights(wd), scale(−lr)): the decay is applied to every
// parameter and scaled by lr.
type AdamW struct {
	Cfg  AdamWConfig
	Step int64            // steps taken (optax's count)
	M, V []*tensor.Tensor // first and second moments, one per parameter
	EMA  []*tensor.Tensor // parameter EMA (nil when off)
}

// NewAdamW returns an optimiser for params with zero moments (and the EMA
// starting at the current parameters).
func NewAdamW(cfg AdamWConfig, params []*Param) (*AdamW, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &AdamW{Cfg: cfg}
	for _, p := range params {
		o.M = append(o.M, tensor.Zeros(p.Value.Shape...))
		o.V = append(o.V, tensor.Zeros(p.Value.Shape...))
		if cfg.EMADecay > 0 {
			o.EMA = append(o.EMA, p.Value.Clone())
		}
	}
	return o, nil
}

// GlobalNorm is √(Σ_k ‖g_k‖²) over all tensors, summed in order.
func GlobalNorm(grads []*tensor.Tensor) float64 {
	var s float64
	for _, g := range grads {
		for _, v := range g.Data[:g.Size()] {
			s += v * v
		}
	}
	return math.Sqrt(s)
}

// Update applies one step to params (in place) with gradients grads (same
// order and shapes; not modified). It returns the gradient's global norm
// before clipping. A non-finite gradient is an error and changes nothing.
func (o *AdamW) Update(params []*Param, grads []*tensor.Tensor) (float64, error) {
	if len(params) != len(o.M) || len(grads) != len(params) {
		return 0, fmt.Errorf("adamw: %d parameters and %d gradients for an optimiser of %d", len(params), len(grads), len(o.M))
	}
	for i, p := range params {
		if !tensor.SameShape(p.Value.Shape, o.M[i].Shape) || grads[i] == nil || !tensor.SameShape(grads[i].Shape, o.M[i].Shape) {
			return 0, fmt.Errorf("adamw: parameter %d (%s) or its gradient does not have the optimiser's shape %s", i, p.Name, tensor.ShapeString(o.M[i].Shape))
		}
	}
	norm := GlobalNorm(grads)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("adamw: non-finite gradient (global norm %g) at step %d", norm, o.Step+1)
	}
	c := o.Cfg
	scale := 1.0
	if c.ClipNorm > 0 && norm > c.ClipNorm {
		scale = c.ClipNorm / norm
	}
	o.Step++
	t := float64(o.Step)
	bc1, bc2 := 1-math.Pow(c.Beta1, t), 1-math.Pow(c.Beta2, t)
	for i, p := range params {
		th, g := p.Value.Data[:p.Value.Size()], grads[i].Data[:len(o.M[i].Data)]
		m, v := o.M[i].Data, o.V[i].Data
		for k, gk := range g {
			if scale != 1 {
				gk *= scale
			}
			m[k] = c.Beta1*m[k] + (1-c.Beta1)*gk
			v[k] = c.Beta2*v[k] + (1-c.Beta2)*gk*gk
			mh, vh := m[k]/bc1, v[k]/bc2
			th[k] -= c.LR * (mh/(math.Sqrt(vh)+c.Eps) + c.WeightDecay*th[k])
		}
		if o.EMA != nil {
			e := o.EMA[i].Data
			for k, x := range th {
				e[k] = c.EMADecay*e[k] + (1-c.EMADecay)*x
			}
		}
	}
	return norm, nil
}
