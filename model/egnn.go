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
// paper's single layer it halves the whole network.
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

// Forward builds v_θ(y, s) (B, 3N) from y (B, 3N), particle-major
// (x_0, y_0, z_0, x_1, …), and s (B, 1).
func (e *EGNN) Forward(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) *autodiff.Node {
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
		w := p[ly.edge0.w]
		var upd, m *autodiff.Node
		if l == 0 && !e.orderedFirst {
			// Unordered pairs: pre = h⁰_b (W_a + W_b) + b + s_b w_s + d² w_d.
			diff := autodiff.Sub(autodiff.GatherRows(x, ix.pairI), autodiff.GatherRows(x, ix.pairJ))
			d2 := autodiff.Reshape(autodiff.SqNormAxis(diff, 1), -1, 1)
			wab := autodiff.Add(autodiff.Slice(w, 0, 0, hd), autodiff.Slice(w, 0, hd, 2*hd))
			cs := autodiff.Add(autodiff.Linear(h0, wab, p[ly.edge0.b]), autodiff.MatMul(s, autodiff.Slice(w, 0, 2*hd+1, 2*hd+2), false, false))
			pre := autodiff.Add(autodiff.GatherRows(cs, ix.pairSample), autodiff.MatMul(d2, autodiff.Slice(w, 0, 2*hd, 2*hd+1), false, false))
			m = e.act(ly.edge1.apply(p, e.act(pre)))
			phi := ly.coord1.apply(p, e.act(ly.coord0.apply(p, m)))
			trans := autodiff.Mul(diff, autodiff.ExpandAxis(autodiff.Reshape(phi, -1), 1, 3))
			upd = autodiff.Sub(autodiff.ScatterAddRows(trans, ix.pairI, rows), autodiff.ScatterAddRows(trans, ix.pairJ, rows))
			h = autodiff.GatherRows(h0, ix.nodeSample)
			if !ly.last {
				m = autodiff.Add(autodiff.ScatterAddRows(m, ix.pairI, rows), autodiff.ScatterAddRows(m, ix.pairJ, rows))
			}
		} else {
			if h == nil {
				h = autodiff.GatherRows(h0, ix.nodeSample)
			}
			if sEdge == nil {
				sEdge = autodiff.GatherRows(s, ix.edgeSample)
			}
			diff := autodiff.Sub(autodiff.GatherRows(x, ix.src), autodiff.GatherRows(x, ix.dst))
			d2 := autodiff.Reshape(autodiff.SqNormAxis(diff, 1), -1, 1)
			hi := autodiff.Linear(h, autodiff.Slice(w, 0, 0, hd), p[ly.edge0.b])
			hj := autodiff.MatMul(h, autodiff.Slice(w, 0, hd, 2*hd), false, false)
			rest := autodiff.MatMul(autodiff.Concat(1, d2, sEdge), autodiff.Slice(w, 0, 2*hd, 2*hd+2), false, false)
			pre := autodiff.Add(autodiff.Add(autodiff.GatherRows(hi, ix.src), autodiff.GatherRows(hj, ix.dst)), rest)
			m = e.act(ly.edge1.apply(p, e.act(pre)))
			phi := ly.coord1.apply(p, e.act(ly.coord0.apply(p, m)))
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
			h = autodiff.Add(h, ly.node1.apply(p, e.act(ly.node0.apply(p, autodiff.Concat(1, h, m)))))
		}
	}
	// Remove the mean displacement per sample (zero centre of mass).
	v := autodiff.Reshape(dx, b, n, 3)
	v = autodiff.Sub(v, autodiff.ExpandAxis(autodiff.MeanAxis(v, 1), 1, n))
	return autodiff.Reshape(v, b, 3*n)
}
