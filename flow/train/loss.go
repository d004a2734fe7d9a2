package train

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
)

// LossResult is the flow-matching loss of a batch and its gradient.
type LossResult struct {
	// Loss = (1/B) Σ_b ||P(v_θ(y_s, t) − u)||² (P = P_h with Project, else I).
	Loss float64
	// PerSample[b] = ||P(v_θ − u)||² of sample b; Residual (B×n) is P(v_θ − u).
	PerSample, Residual []float64
	// V = v_θ(y_s, t), YS = ψ_s(y0 | y1) (F2), US the target (F1, or Eq. 17
	// in the infinite scheme), all B×n; Time (B) the network's time input:
	// s, or t(s) = −ln(1 − s)/κ in the infinite scheme.
	V, YS, US, Time []float64
	// Grads[i] = ∂Loss/∂θ_i, in net.Params() order.
	Grads []*tensor.Tensor
}

// Loss evaluates the loss of Algorithm 1 (HIFM-MATH §5) and its parameter
// gradient on a batch given explicitly, row-major: base samples y0 and data
// samples y1 (B×n), interpolant values s (B), and for the HI-FM path the
// processed spectrum of every y1 (flow.Pipeline.Spectrum of its Hessian;
// nil for OT). It computes exactly what Trainer.TrainStep does for a batch
// it drew: the batch is cut into chunks of chunk samples (≤ 0:
// defaultChunk), each chunk's gradient of its share Σ||P(v − u)||²/B is
// one reverse sweep, and the chunks' losses and gradients are summed in
// chunk order; so for the same batch, parameters and chunk size the result
// is bit-identical to the training step's.
func Loss(net model.Net, fc flow.Config, chunk int, y0, y1, s []float64, spectra []*flow.Spectrum) (*LossResult, error) {
	if err := fc.Validate(); err != nil {
		return nil, err
	}
	n := net.Dim()
	b := len(s)
	switch {
	case b == 0:
		return nil, fmt.Errorf("train: loss of an empty batch")
	case len(y0) != b*n || len(y1) != b*n:
		return nil, fmt.Errorf("train: loss batch: y0 and y1 must have %d×%d values, got %d and %d", b, n, len(y0), len(y1))
	case fc.Kind == flow.PathHIFM && len(spectra) != b:
		return nil, fmt.Errorf("train: loss batch: %d spectra for %d HI-FM samples", len(spectra), b)
	}
	if chunk <= 0 {
		chunk = defaultChunk
	}
	var path flow.Path = flow.OTPath{SigmaMin: fc.SigmaMin, Sigma0: fc.Sigma0}
	smax := 1.0
	if fc.Kind == flow.PathHIFM {
		path, smax = flow.NewHIFMPath(fc), fc.SMax()
	}
	r := &LossResult{PerSample: make([]float64, b), Residual: make([]float64, b*n), V: make([]float64, b*n),
		YS: make([]float64, b*n), US: make([]float64, b*n), Time: make([]float64, b)}
	spec := make([]*flow.Spectrum, b)
	for i, si := range s {
		if !(si >= 0 && si <= smax) {
			return nil, fmt.Errorf("train: loss batch: s[%d] = %v outside [0, %v]", i, si, smax)
		}
		var sp *flow.Spectrum
		if fc.Kind == flow.PathHIFM {
			if sp = spectra[i]; sp == nil || sp.N != n {
				return nil, fmt.Errorf("train: loss batch: spectrum %d missing or not of dimension %d", i, n)
			}
		}
		spec[i] = sp
		r.Time[i] = si
		if sp != nil && fc.Scheme == flow.SchemeInfinite {
			r.Time[i] = flow.Time(si, sp.Kappa)
		}
		path.Draw(r.YS[i*n:(i+1)*n], r.US[i*n:(i+1)*n], y0[i*n:(i+1)*n], y1[i*n:(i+1)*n], si, sp)
	}
	project := fc.Project && fc.Kind == flow.PathHIFM
	g := autodiff.NewGraph()
	p := make([]*autodiff.Node, len(net.Params()))
	res := make([]float64, min(chunk, b)*n)
	for lo := 0; lo < b; lo += chunk {
		hi := min(lo+chunk, b)
		m := hi - lo
		yT := tensor.FromSlice(r.YS[lo*n:hi*n], m, n)
		sT := tensor.FromSlice(r.Time[lo:hi], m, 1)
		seedT := tensor.FromSlice(res[:m*n], m, n)
		g.Reset()
		loss, v, gs, err := chunkLoss(g, net, p, yT, sT, seedT, r.US[lo*n:hi*n], spec[lo:hi], project, b, r.PerSample[lo:hi], r.Residual[lo*n:hi*n], nil)
		if err != nil {
			return nil, fmt.Errorf("train: loss, samples %d–%d: %w", lo, hi-1, err)
		}
		copy(r.V[lo*n:hi*n], v)
		r.Loss += loss
		for i, gn := range gs {
			if lo == 0 {
				r.Grads = append(r.Grads, gn.Value().Clone())
			} else {
				tensor.Add(r.Grads[i], r.Grads[i], gn.Value())
			}
		}
	}
	if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		return r, fmt.Errorf("train: loss is %v", r.Loss)
	}
	return r, nil
}

// chunkLoss is one chunk's share of the loss of Algorithm 1 (shared by
// Trainer.TrainStep and Loss so both do the same arithmetic): v = v_θ(y, t)
// in g with the parameters bound into p, per[j] = ||P(v_j − u_j)||² and
// resOut = P(v − u) (when not nil), then seed (the cotangent's storage) =
// 2P(v − u)/batch = d loss/dv, and the VJP. It returns Σ_j per[j]/batch,
// v's values and the parameter gradients (valid until g's next Reset).
func chunkLoss(g *autodiff.Graph, net model.Net, p []*autodiff.Node, yT, sT, seedT *tensor.Tensor, us []float64, spec []*flow.Spectrum, project bool, batch int, per, resOut []float64, gsBuf []*autodiff.Node) (float64, []float64, []*autodiff.Node, error) {
	var v *autodiff.Node
	if err := tensor.Catch(func() {
		for i, pr := range net.Params() {
			p[i] = g.Var(pr.Value)
		}
		v = net.Forward(g, p, g.Const(yT), g.Const(sT))
	}); err != nil {
		return 0, nil, nil, err
	}
	vd := v.Value().Contiguous().Data
	n := net.Dim()
	inv := 1 / float64(batch)
	res := seedT.Data[:len(spec)*n]
	var loss float64
	for j := range spec {
		q := flow.Residual(res[j*n:(j+1)*n], vd[j*n:(j+1)*n], us[j*n:(j+1)*n], spec[j], project)
		loss += q
		if per != nil {
			per[j] = q
		}
	}
	if resOut != nil {
		copy(resOut, res)
	}
	// d/dv of Σ||P(v − u)||²/B is 2P(v − u)/B (P is an orthogonal projection).
	for i := range res {
		res[i] *= 2 * inv
	}
	gs, err := autodiff.VJP(gsBuf, v, g.Const(seedT), p, false)
	if err != nil {
		return 0, nil, nil, err
	}
	return loss * inv, vd, gs, nil
}
