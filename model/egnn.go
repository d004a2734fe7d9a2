package model

import (
	"fmt"
	"math"
	"sync"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// EGNN is the E(3)-equivariant graph network of Satorras, Hoogeboom and
// Welling (2021, Eqs. 3–6) on the complete graph of N particles in 3-D, used
// as the velocity field v_θ(y, s) for LJ13 (HIFM-MATH §4: the field must
// commute with rotations, reflections and permutations and ignore
// translations, so that densities live on the centre-of-mass-free subspace).
//
// Node features start from the time embedding, h_i⁰ = W_e e(s) + b_e (the same
// for every particle: LJ13's particles are identical). Layer l, for every
// ordered pair i ≠ j:
//
//	m_ij   = φ_e(h_i, h_j, ‖x_i − x_j‖², s)            (Eq. 3)
//	x_i   ← x_i + C Σ_{j≠i} (x_i − x_j) φ_x(m_ij)       (Eq. 4), C = 1/(N−1)
//	h_i   ← h_i + φ_h(h_i, Σ_{j≠i} m_ij)                (Eqs. 5–6, residual)
//
// φ_e = σ∘Linear∘σ∘Linear on [h_i, h_j, d², s] (2H+2 → H → H), φ_x =
// Linear(no bias)∘σ∘Linear (H → H → 1, last layer Xavier-uniform with gain
// 0.001 as in Satorras et al.'s code), φ_h = Linear∘σ∘Linear (2H → H → H).
// The output is the displacement v_i = x_i^L − x_i⁰ minus its mean over the
// particles, so Σ_i v_i = 0 (the field is tangent to the zero-CoM subspace).
// The last layer's node update cannot change the output and is omitted (with
// the paper's single layer there is no φ_h at all).
//
// All B·N·(N−1) edges of a batch go through each edge-MLP layer as one GEMM.
// φ_e's first layer, W·[h_i, h_j, d², s], is evaluated as
// (h W_a)_i + (h W_b)_j + [d², s] W_r: the node products are computed once per
// node (N−1 times fewer rows) and gathered to the edges.
//
// In the first layer every particle of a sample has the same features h⁰, so
// m_ij = m_ji: the layer is evaluated on the N(N−1)/2 unordered pairs i < j
// and each message is used in both directions (x_i gains (x_i − x_j)φ_x(m_ij),
// x_j gains (x_j − x_i)φ_x(m_ij)). This is the same function (it differs from
// the ordered-edge evaluation only by rounding) at half the cost; with the
// paper's single layer it halves the whole network. Dense layers run with
// their activations as single graph nodes (autodiff.DenseAct and, for the
// first edge layer, autodiff.GatherOuterAct), which saves memory passes.
type EGNN struct {
	cfg    NetConfig
	params []*Param
	act    func(*autodiff.Node) *autodiff.Node
	freqs  *tensor.Tensor
	embed  linear
	layers []egnnLayer

	mu    sync.Mutex
	index map[int]*edgeIndex // by batch size; immutable once built

	// orderedFirst evaluates the first layer on ordered edges too (tests
	// compare the pair evaluation with it).
	orderedFirst bool
}

type egnnLayer struct {
	edge0, edge1   linear
	coord0, coord1 linear
	node0, node1   linear // unused (b = w = 0) in the last layer
	last           bool
}

// edgeIndex lists, for a batch of B samples, the edges e = (b, i, j), i ≠ j,
// in the order b, i, j: src[e] = b·N + i, dst[e] = b·N + j, and the sample
// of every edge and node; and likewise the unordered pairs i < j.
type edgeIndex struct {
	src, dst, edgeSample, nodeSample []int
	pairI, pairJ, pairSample         []int
}

func newEGNN(c NetConfig, in *initer) (Net, error) {
	h := c.Hidden
	e := &EGNN{cfg: c, act: mustActivation(c.Activation), freqs: timeFreqs(c), index: map[int]*edgeIndex{}}
	e.embed = in.linear("egnn.embed", c.TimeEmbed, h, true)
	for l := range c.Layers {
		p := fmt.Sprintf("egnn.%d.", l)
		ly := egnnLayer{last: l == c.Layers-1}
		ly.edge0 = in.linear(p+"edge.0", 2*h+2, h, true)
		ly.edge1 = in.linear(p+"edge.1", h, h, true)
		ly.coord0 = in.linear(p+"coord.0", h, h, true)
		gain := 0.001
		ly.coord1 = linear{w: in.uniform(p+"coord.1.weight", gain*math.Sqrt(6/float64(h+1)), h, 1), b: -1}
		if !ly.last {
			ly.node0 = in.linear(p+"node.0", 2*h, h, true)
			ly.node1 = in.linear(p+"node.1", h, h, true)
		}
		e.layers = append(e.layers, ly)
	}
	e.params = in.params
	return e, nil
}

// Params lists the embedding, then per layer the edge, coordinate and node
// MLPs' weights and biases.
func (e *EGNN) Params() []*Param { return e.params }

// Dim is 3N.
func (e *EGNN) Dim() int { return e.cfg.Dim }

// Config is the completed config.
func (e *EGNN) Config() NetConfig { return e.cfg }

// edges returns the (cached) edge lists for batch size b.
func (e *EGNN) edges(b int) *edgeIndex {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ix, ok := e.index[b]; ok {
		return ix
	}
	n := e.cfg.Particles
	ne := b * n * (n - 1)
	ix := &edgeIndex{src: make([]int, 0, ne), dst: make([]int, 0, ne), edgeSample: make([]int, 0, ne), nodeSample: make([]int, b*n)}
	for s := range b {
		for i := range n {
			ix.nodeSample[s*n+i] = s
			for j := range n {
				if j != i {
					ix.src = append(ix.src, s*n+i)
					ix.dst = append(ix.dst, s*n+j)
					ix.edgeSample = append(ix.edgeSample, s)
				}
				if j > i {
					ix.pairI = append(ix.pairI, s*n+i)
					ix.pairJ = append(ix.pairJ, s*n+j)
					ix.pairSample = append(ix.pairSample, s)
				}
			}
		}
	}
	if len(e.index) > 16 { // bound the cache for callers cycling through many batch sizes
		clear(e.index)
	}
	e.index[b] = ix
	return ix
}

// pairState holds the first layer's intermediate nodes on the P unordered
// pairs (ForwardDivergence differentiates through them).
type pairState struct {
	diff, d2 *autodiff.Node // (P, 3), (P, 1)
	pre, z2  *autodiff.Node // pre-activations of φ_e's two layers (P, H)
	z3, phi  *autodiff.Node // pre-activation of φ_x's hidden layer (P, H); φ_x (P, 1)
	a1, a2   *autodiff.Node // activations σ(pre), σ(z2) (P, H)
	a3       *autodiff.Node // activation σ(z3) (P, H)
	wd       *autodiff.Node // the d² row of φ_e's first weight (H)
}

// pairLayer is the first layer on the unordered pairs: the coordinate
// update Σ_j (x_i − x_j)φ_x(m_ij) (unscaled) and, unless it is the last
// layer, the aggregated messages Σ_j m_ij. φ_e's first layer is
// h⁰_b (W_a + W_b) + b + s_b w_s + d² w_d.
//
// fused evaluates the first edge layer and the dense layers with their
// activations as single nodes (autodiff.GatherOuterAct, DenseAct); the
// pre-activations st.pre, st.z2 and st.z3 are then nil.
func (e *EGNN) pairLayer(p []*autodiff.Node, ly egnnLayer, ix *edgeIndex, x, h0, s *autodiff.Node, rows int, fused bool) (upd, agg *autodiff.Node, st pairState) {
	hd := e.cfg.Hidden
	w := p[ly.edge0.w]
	st.diff = autodiff.Sub(autodiff.GatherRows(x, ix.pairI), autodiff.GatherRows(x, ix.pairJ))
	st.d2 = autodiff.Reshape(autodiff.SqNormAxis(st.diff, 1), -1, 1)
	wab := autodiff.Add(autodiff.Slice(w, 0, 0, hd), autodiff.Slice(w, 0, hd, 2*hd))
	cs := autodiff.Add(autodiff.Linear(h0, wab, p[ly.edge0.b]), autodiff.MatMul(s, autodiff.Slice(w, 0, 2*hd+1, 2*hd+2), false, false))
	wd := autodiff.Slice(w, 0, 2*hd, 2*hd+1)
	st.wd = autodiff.Reshape(wd, hd)
	var m *autodiff.Node
	if fused {
		a1 := autodiff.GatherOuterAct(cs, ix.pairSample, st.d2, wd, e.cfg.Activation == "silu")
		m = ly.edge1.applyAct(p, a1, e.cfg.Activation, e.act)
		st.phi = ly.coord1.apply(p, ly.coord0.applyAct(p, m, e.cfg.Activation, e.act))
	} else {
		st.pre = autodiff.Add(autodiff.GatherRows(cs, ix.pairSample), autodiff.MatMul(st.d2, wd, false, false))
		st.a1 = e.act(st.pre)
		st.z2 = ly.edge1.apply(p, st.a1)
		st.a2 = e.act(st.z2)
		m = st.a2
		st.z3 = ly.coord0.apply(p, m)
		st.a3 = e.act(st.z3)
		st.phi = ly.coord1.apply(p, st.a3)
	}
	trans := autodiff.Mul(st.diff, autodiff.ExpandAxis(autodiff.Reshape(st.phi, -1), 1, 3))
	upd = autodiff.Sub(autodiff.ScatterAddRows(trans, ix.pairI, rows), autodiff.ScatterAddRows(trans, ix.pairJ, rows))
	if !ly.last {
		agg = autodiff.Add(autodiff.ScatterAddRows(m, ix.pairI, rows), autodiff.ScatterAddRows(m, ix.pairJ, rows))
	}
	return upd, agg, st
}

// Forward builds v_θ(y, s) (B, 3N) from y (B, 3N), particle-major
// (x_0, y_0, z_0, x_1, …), and s (B, 1).
func (e *EGNN) Forward(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) *autodiff.Node {
	v, _, _ := e.forward(p, y, s, true)
	return v
}

// forward is Forward, also returning the first layer's pair state (ok
// false when the first layer ran on ordered edges).
func (e *EGNN) forward(p []*autodiff.Node, y, s *autodiff.Node, fused bool) (v *autodiff.Node, first pairState, ok bool) {
	checkForward("EGNN", e, p, y, s)
	b, n, hd := y.Shape()[0], e.cfg.Particles, e.cfg.Hidden
	ix := e.edges(b)
	rows := b * n
	x0 := autodiff.Reshape(y, rows, 3)
	h0 := e.embed.apply(p, timeEmbed(s, e.freqs)) // (B, H): h⁰ of every particle of a sample
	var h, sEdge *autodiff.Node
	c := 1 / float64(n-1)
	x := x0
	var dx *autodiff.Node
	for l, ly := range e.layers {
		var upd, m *autodiff.Node
		if l == 0 && !e.orderedFirst {
			upd, m, first = e.pairLayer(p, ly, ix, x, h0, s, rows, fused)
			ok = true
			h = autodiff.GatherRows(h0, ix.nodeSample)
		} else {
			if h == nil {
				h = autodiff.GatherRows(h0, ix.nodeSample)
			}
			if sEdge == nil {
				sEdge = autodiff.GatherRows(s, ix.edgeSample)
			}
			w := p[ly.edge0.w]
			diff := autodiff.Sub(autodiff.GatherRows(x, ix.src), autodiff.GatherRows(x, ix.dst))
			d2 := autodiff.Reshape(autodiff.SqNormAxis(diff, 1), -1, 1)
			hi := autodiff.Linear(h, autodiff.Slice(w, 0, 0, hd), p[ly.edge0.b])
			hj := autodiff.MatMul(h, autodiff.Slice(w, 0, hd, 2*hd), false, false)
			rest := autodiff.MatMul(autodiff.Concat(1, d2, sEdge), autodiff.Slice(w, 0, 2*hd, 2*hd+2), false, false)
			pre := autodiff.Add(autodiff.Add(autodiff.GatherRows(hi, ix.src), autodiff.GatherRows(hj, ix.dst)), rest)
			m = ly.edge1.applyAct(p, e.act(pre), e.cfg.Activation, e.act)
			phi := ly.coord1.apply(p, ly.coord0.applyAct(p, m, e.cfg.Activation, e.act))
			trans := autodiff.Mul(diff, autodiff.ExpandAxis(autodiff.Reshape(phi, -1), 1, 3))
			upd = autodiff.ScatterAddRows(trans, ix.src, rows)
			if !ly.last {
				m = autodiff.ScatterAddRows(m, ix.src, rows)
			}
		}
		upd = autodiff.Scale(upd, c)
		if dx == nil {
			dx = upd
		} else {
			dx = autodiff.Add(dx, upd)
		}
		if !ly.last {
			x = autodiff.Add(x0, dx)
			h = autodiff.Add(h, ly.node1.apply(p, ly.node0.applyAct(p, autodiff.Concat(1, h, m), e.cfg.Activation, e.act)))
		}
	}
	// Remove the mean displacement per sample (zero centre of mass).
	v = autodiff.Reshape(dx, b, n, 3)
	v = autodiff.Sub(v, autodiff.ExpandAxis(autodiff.MeanAxis(v, 1), 1, n))
	return autodiff.Reshape(v, b, 3*n), first, ok
}

// ForwardDivergence builds v = v_θ(y, s) and its exact divergence
// div_y v_θ (B) (HIFM-MATH §6) for the single-layer EGNN (the paper's),
// analytically: the features h⁰ do not depend on y, so φ_ij = φ(d²_ij) is a
// scalar function of d²_ij = ‖x_i − x_j‖² and
//
//	∂/∂x_i · [(x_i − x_j) φ(d²_ij)] = 3φ + 2 d²_ij φ'(d²_ij),
//
// while removing the mean adds nothing (Σ_i ∂v_l/∂x_i = 0 by translation
// invariance). So div v = C Σ_{i≠j} (3φ_ij + 2 d²_ij φ'_ij), C = 1/(N−1),
// with φ' from one forward-mode pass through φ_x∘φ_e (tangent w_d on the
// pre-activation): two extra GEMMs instead of 3N reverse sweeps. ok is
// false for more than one layer; use autodiff.Divergence then.
func (e *EGNN) ForwardDivergence(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) (v, div *autodiff.Node, ok bool) {
	if len(e.layers) != 1 || e.orderedFirst {
		return nil, nil, false
	}
	v, st, _ := e.forward(p, y, s, false)
	ly := e.layers[0]
	deriv := actDeriv(e.cfg.Activation)
	t := autodiff.Mul(deriv(st.pre, st.a1), st.wd)
	t = autodiff.Mul(deriv(st.z2, st.a2), autodiff.MatMul(t, p[ly.edge1.w], false, false))
	t = autodiff.Mul(deriv(st.z3, st.a3), autodiff.MatMul(t, p[ly.coord0.w], false, false))
	dphi := autodiff.MatMul(t, p[ly.coord1.w], false, false) // (P, 1)
	pair := autodiff.Add(autodiff.Scale(st.phi, 3), autodiff.Scale(autodiff.Mul(st.d2, dphi), 2))
	b := y.Shape()[0]
	ix := e.edges(b)
	// Each unordered pair stands for (i, j) and (j, i).
	div = autodiff.Reshape(autodiff.Scale(autodiff.ScatterAddRows(pair, ix.pairSample, b), 2/float64(e.cfg.Particles-1)), b)
	return v, div, true
}

// actDeriv returns f'(x) for the named activation f as graph ops, given x
// and the activation node f(x) (whose cached σ(x) autodiff.ActSigma reads):
// softplus' = σ, SiLU' = σ(x)(1 + x(1 − σ(x))).
func actDeriv(name string) func(x, fx *autodiff.Node) *autodiff.Node {
	if name == "silu" {
		return func(x, fx *autodiff.Node) *autodiff.Node {
			sg := autodiff.ActSigma(fx)
			return autodiff.Mul(sg, autodiff.AddScalar(autodiff.Mul(x, autodiff.AddScalar(autodiff.Neg(sg), 1)), 1))
		}
	}
	return func(_, fx *autodiff.Node) *autodiff.Node { return autodiff.ActSigma(fx) }
}
