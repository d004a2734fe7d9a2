package model

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// UNet is a small DDPM-style UNet (Ronneberger et al. 2015; Ho et al. 2020)
// for one-channel images, the velocity field v_θ(y, s) for MNIST
// (HIFM-MATH §3, the isotropic-H image experiments). With channels
// c_0 … c_{L−1}:
//
//	time:   τ = W₂ SiLU(W₁ e(s)),  e the sinusoidal embedding, τ of width 4c_0
//	in:     h = conv3×3(x) to c_0
//	down:   level k: h = Res(h → c_k), keep skip_k, then 2×2 average pool (not after the last)
//	middle: h = Res(h → c_{L−1})
//	up:     level k = L−1 … 0: h = Res([h, skip_k] → c_k), then nearest 2× upsample (not after level 0)
//	out:    conv3×3(act(GN(h))) to 1 channel
//
// Res(x → c) is GN → act → conv3×3 → + Linear(act(τ)) per channel → GN → act
// → conv3×3, plus x (1×1 conv when the widths differ). GN is group norm with
// Groups groups (ε = 1e-5; autodiff.GroupNormFast), act the configured
// activation (SiLU default; GN → SiLU is one fused node, GroupNormSiLU).
// Convolutions and linear layers use PyTorch's default initialisation
// (weights and biases U(±1/√fan_in)); group-norm scales start at 1, shifts at 0.
type UNet struct {
	cfg    NetConfig
	params []*Param
	act    func(*autodiff.Node) *autodiff.Node
	freqs  *tensor.Tensor

	time1, time2 linear
	in           conv
	down         []resBlock
	mid          resBlock
	up           []resBlock // up[k] is level k
	outNorm      gnorm
	out          conv
}

type conv struct{ w, b, pad int }

type gnorm struct{ gamma, beta int }

type resBlock struct {
	n1    gnorm
	c1    conv
	temb  linear
	n2    gnorm
	c2    conv
	skip  conv
	hasSk bool
}

func (in *initer) conv(name string, cin, cout, k int) conv {
	bound := 1 / math.Sqrt(float64(cin*k*k))
	return conv{w: in.uniform(name+".weight", bound, cout, cin, k, k), b: in.uniform(name+".bias", bound, cout), pad: k / 2}
}

func (in *initer) gnorm(name string, c int) gnorm {
	return gnorm{gamma: in.add(name+".weight", in.tensor(func() *tensor.Tensor { return tensor.Full(1, c) }, c)),
		beta: in.add(name+".bias", in.tensor(func() *tensor.Tensor { return tensor.Zeros(c) }, c))}
}

func (in *initer) resBlock(name string, cin, cout, tdim int) resBlock {
	r := resBlock{
		n1:   in.gnorm(name+".norm1", cin),
		c1:   in.conv(name+".conv1", cin, cout, 3),
		temb: in.linear(name+".temb", tdim, cout, true),
		n2:   in.gnorm(name+".norm2", cout),
		c2:   in.conv(name+".conv2", cout, cout, 3),
	}
	if cin != cout {
		r.skip, r.hasSk = in.conv(name+".skip", cin, cout, 1), true
	}
	return r
}

func (c conv) apply(p []*autodiff.Node, x *autodiff.Node) *autodiff.Node {
	return autodiff.AddChannel(autodiff.Conv2d(x, p[c.w], 1, c.pad), p[c.b])
}

const groupNormEps = 1e-5

func (u *UNet) norm(p []*autodiff.Node, n gnorm, x *autodiff.Node) *autodiff.Node {
	return autodiff.GroupNormFast(x, u.cfg.Groups, p[n.gamma], p[n.beta], groupNormEps)
}

// normAct is act(GN(x)), one fused node (autodiff.GroupNormSiLU, same
// bits) for SiLU.
func (u *UNet) normAct(p []*autodiff.Node, n gnorm, x *autodiff.Node) *autodiff.Node {
	if u.cfg.Activation == "silu" {
		return autodiff.GroupNormSiLU(x, u.cfg.Groups, p[n.gamma], p[n.beta], groupNormEps)
	}
	return u.act(u.norm(p, n, x))
}

// res applies a residual block to x (B, C, H, W) with the activated time
// features at (B, T).
func (u *UNet) res(p []*autodiff.Node, r resBlock, x, at *autodiff.Node) *autodiff.Node {
	sh := x.Shape()
	h := r.c1.apply(p, u.normAct(p, r.n1, x))
	// Add the time features t (B, C) per sample and channel: AddChannel on
	// the (1, B·C, H, W) view adds t[b, c] to plane (b, c).
	bc := sh[0] * h.Shape()[1]
	t := autodiff.Reshape(r.temb.apply(p, at), bc)
	h = autodiff.Reshape(autodiff.AddChannel(autodiff.Reshape(h, 1, bc, sh[2], sh[3]), t), h.Shape()...)
	h = r.c2.apply(p, u.normAct(p, r.n2, h))
	if r.hasSk {
		x = r.skip.apply(p, x)
	}
	return autodiff.Add(h, x)
}

func newUNet(c NetConfig, in *initer) (Net, error) {
	u := &UNet{cfg: c, act: mustActivation(c.Activation), freqs: timeFreqs(c)}
	ch := c.Channels
	tdim := 4 * ch[0]
	u.time1 = in.linear("unet.time.0", c.TimeEmbed, tdim, true)
	u.time2 = in.linear("unet.time.1", tdim, tdim, true)
	u.in = in.conv("unet.in", 1, ch[0], 3)
	prev := ch[0]
	for k, ck := range ch {
		u.down = append(u.down, in.resBlock(fmt.Sprintf("unet.down.%d", k), prev, ck, tdim))
		prev = ck
	}
	u.mid = in.resBlock("unet.mid", prev, prev, tdim)
	u.up = make([]resBlock, len(ch))
	for k := len(ch) - 1; k >= 0; k-- {
		u.up[k] = in.resBlock(fmt.Sprintf("unet.up.%d", k), prev+ch[k], ch[k], tdim)
		prev = ch[k]
	}
	u.outNorm = in.gnorm("unet.out.norm", ch[0])
	u.out = in.conv("unet.out", ch[0], 1, 3)
	u.params = in.params
	return u, nil
}

// Params lists the time MLP, input conv, down, middle and up blocks and the
// output layers.
func (u *UNet) Params() []*Param { return u.params }

// Dim is Height·Width.
func (u *UNet) Dim() int { return u.cfg.Dim }

// Config is the completed config.
func (u *UNet) Config() NetConfig { return u.cfg }

// Forward builds v_θ(y, s) (B, H·W) from images y (B, H·W), row-major, and
// s (B, 1).
func (u *UNet) Forward(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) *autodiff.Node {
	checkForward("UNet", u, p, y, s)
	b := y.Shape()[0]
	at := u.act(u.time2.apply(p, u.act(u.time1.apply(p, timeEmbed(s, u.freqs)))))
	h := u.in.apply(p, autodiff.Reshape(y, b, 1, u.cfg.Height, u.cfg.Width))
	last := len(u.cfg.Channels) - 1
	skips := make([]*autodiff.Node, len(u.cfg.Channels))
	for k, r := range u.down {
		h = u.res(p, r, h, at)
		skips[k] = h
		if k < last {
			h = autodiff.AvgPool2d(h, 2)
		}
	}
	h = u.res(p, u.mid, h, at)
	for k := last; k >= 0; k-- {
		h = u.res(p, u.up[k], autodiff.Concat(1, h, skips[k]), at)
		if k > 0 {
			h = autodiff.Upsample2d(h, 2)
		}
	}
	h = u.out.apply(p, u.normAct(p, u.outNorm, h))
	return autodiff.Reshape(h, b, u.cfg.Dim)
}
