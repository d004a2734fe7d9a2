package model

import (
	"fmt"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// MLP is the plain velocity field v_θ(y, s) = W_L σ(… σ(W_1 [y, e(s)] + b_1) …)
// + b_L with e(s) the sinusoidal time embedding (HIFM-MATH §1: any v_θ(y, s)
// regressed on the conditional field). Layers hidden layers of width Hidden.
type MLP struct {
	cfg    NetConfig
	params []*Param
	layers []linear // Layers hidden layers, then the output layer
	act    func(*autodiff.Node) *autodiff.Node
	freqs  *tensor.Tensor
}

func newMLP(c NetConfig, in *initer) *MLP {
	m := &MLP{cfg: c, act: mustActivation(c.Activation), freqs: timeFreqs(c)}
	width := c.Dim + c.TimeEmbed
	for l := range c.Layers {
		m.layers = append(m.layers, in.linear(fmt.Sprintf("mlp.%d", l), width, c.Hidden, true))
		width = c.Hidden
	}
	m.layers = append(m.layers, in.linear("mlp.out", width, c.Dim, true))
	m.params = in.params
	return m
}

// Params lists the weights and biases, input layer first.
func (m *MLP) Params() []*Param { return m.params }

// Dim is the data dimension n.
func (m *MLP) Dim() int { return m.cfg.Dim }

// Config is the completed config.
func (m *MLP) Config() NetConfig { return m.cfg }

// Forward builds v_θ(y, s) (B, n) from y (B, n) and s (B, 1).
func (m *MLP) Forward(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) *autodiff.Node {
	checkForward("MLP", m, p, y, s)
	h := autodiff.Concat(1, y, timeEmbed(s, m.freqs))
	last := len(m.layers) - 1
	for _, l := range m.layers[:last] {
		h = l.applyAct(p, h, m.cfg.Activation, m.act)
	}
	return m.layers[last].apply(p, h)
}

// checkForward panics with a *tensor.ShapeError when Forward's arguments do
// not fit the net.
func checkForward(op string, n Net, p []*autodiff.Node, y, s *autodiff.Node) {
	ys, ss := y.Shape(), s.Shape()
	bad := len(ys) != 2 || ys[1] != n.Dim() || len(ss) != 2 || ss[0] != ys[0] || ss[1] != 1
	if bad {
		panic(&tensor.ShapeError{Op: "model." + op + ".Forward", Shapes: [][]int{ys, ss},
			Msg: fmt.Sprintf("want y (B, %d) and s (B, 1)", n.Dim())})
	}
	if len(p) != len(n.Params()) {
		panic(&tensor.ShapeError{Op: "model." + op + ".Forward", Shapes: [][]int{ys, ss},
			Msg: fmt.Sprintf("%d parameter nodes for %d parameters", len(p), len(n.Params()))})
	}
}
