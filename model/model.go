// Package model holds the velocity-field networks v_θ(y, s) of HI-FM
// (HIFM-MATH §1, §5): a time-conditioned MLP, an E(3)-equivariant graph
// network (EGNN, Satorras et al. 2021) for particle systems such as LJ13, and
// a small UNet for 28×28 images; the AdamW optimiser of Algorithm 1
// (HIFM-MATH §5) and the on-disk checkpoint format.
//
// A Net owns its parameters (plain tensors) and builds its forward pass in an
// autodiff.Graph supplied by the caller, who binds the parameters as graph
// variables so it can take gradients. Forward only reads the parameters and
// the net's immutable caches, so one Net may be used by several goroutines at
// once, each with its own graph.
package model

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// Param is one named trainable tensor.
type Param struct {
	Name  string
	Value *tensor.Tensor
}

// Net is a velocity-field network v_θ(y, s) on a batch.
type Net interface {
	// Params lists the trainable tensors in a fixed order.
	Params() []*Param
	// Dim is n, the flat data dimension (39 for LJ13, 784 for MNIST).
	Dim() int
	// Forward builds v = v_θ(y, s) in g: y is (B, n), s is (B, 1); p are
	// the graph nodes bound to Params() in the same order (g.Var(param.Value),
	// see Bind). The result is (B, n). Wrong shapes panic with a
	// *tensor.ShapeError (use tensor.Catch, or CheckInputs first).
	Forward(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) *autodiff.Node
	// Config describes the net; New(Config(), seed) rebuilds its structure.
	Config() NetConfig
}

// DivergenceNet is implemented by networks that can build their exact
// divergence div_y v_θ (HIFM-MATH §6) with the forward pass, more cheaply
// than autodiff.Divergence's n reverse sweeps. ForwardDivergence returns v
// (B, n) and div (B); ok is false when this net cannot (then fall back to
// autodiff.Divergence on Forward's output).
type DivergenceNet interface {
	Net
	ForwardDivergence(g *autodiff.Graph, p []*autodiff.Node, y, s *autodiff.Node) (v, div *autodiff.Node, ok bool)
}

// NetConfig is the JSON-serialisable description of a network. Zero fields
// take the defaults listed per field (WithDefaults fills them in; New stores
// the completed config, so Config() always shows every value used).
type NetConfig struct {
	// Kind is "mlp", "egnn" or "unet".
	Kind string `json:"kind"`
	// Dim is the flat data dimension n. EGNN: 3·Particles (may be left 0);
	// UNet: Height·Width, one image channel (may be left 0: 784 = 28·28).
	Dim int `json:"dim"`
	// Hidden is the hidden width (MLP default 256, EGNN default 64).
	Hidden int `json:"hidden,omitempty"`
	// Layers is the number of hidden layers (MLP, default 3) or of EGNN
	// layers (default 1, the paper's choice).
	Layers int `json:"layers,omitempty"`
	// Particles is N for the EGNN (13 for LJ13); particles live in 3-D.
	Particles int `json:"particles,omitempty"`
	// Activation is "softplus" (MLP and EGNN default) or "silu" (UNet
	// default).
	Activation string `json:"activation,omitempty"`
	// TimeEmbed is the width of the sinusoidal time embedding (even;
	// default 32).
	TimeEmbed int `json:"time_embed,omitempty"`
	// TimeScale multiplies s before the embedding (default 1: s ∈ [0, 1]
	// enters directly, as in TorchCFM's UNet).
	TimeScale float64 `json:"time_scale,omitempty"`
	// TimeMaxPeriod sets the lowest frequency 1/TimeMaxPeriod of the
	// embedding (default 10000, Vaswani et al.).
	TimeMaxPeriod float64 `json:"time_max_period,omitempty"`
	// Channels are the UNet's channel counts per resolution (default
	// [32, 64]: 28×28 and 14×14).
	Channels []int `json:"channels,omitempty"`
	// Groups is the number of GroupNorm groups in the UNet (default 8);
	// it must divide every channel count.
	Groups int `json:"groups,omitempty"`
	// Height and Width are the UNet's image size (default 28×28, one
	// channel); both must be divisible by 2^(len(Channels)−1).
	Height int `json:"height,omitempty"`
	Width  int `json:"width,omitempty"`
}

// Kinds of network.
const (
	KindMLP  = "mlp"
	KindEGNN = "egnn"
	KindUNet = "unet"
)

// WithDefaults returns c with every zero field set to its default for c.Kind.
func (c NetConfig) WithDefaults() NetConfig {
	c.Channels = slices.Clone(c.Channels)
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	if c.TimeScale == 0 {
		c.TimeScale = 1
	}
	if c.TimeMaxPeriod == 0 {
		c.TimeMaxPeriod = 10000
	}
	def(&c.TimeEmbed, 32)
	switch c.Kind {
	case KindMLP:
		def(&c.Hidden, 256)
		def(&c.Layers, 3)
		if c.Activation == "" {
			c.Activation = "softplus"
		}
	case KindEGNN:
		def(&c.Hidden, 64)
		def(&c.Layers, 1)
		if c.Dim == 0 {
			c.Dim = 3 * c.Particles
		}
		if c.Particles == 0 && c.Dim%3 == 0 {
			c.Particles = c.Dim / 3
		}
		if c.Activation == "" {
			c.Activation = "softplus"
		}
	case KindUNet:
		def(&c.Height, 28)
		def(&c.Width, 28)
		def(&c.Dim, c.Height*c.Width)
		def(&c.Groups, 8)
		if len(c.Channels) == 0 {
			c.Channels = []int{32, 64}
		}
		if c.Activation == "" {
			c.Activation = "silu"
		}
	}
	return c
}

// Validate reports what is wrong with a (defaults-filled) config.
func (c NetConfig) Validate() error {
	if c.Kind != KindMLP && c.Kind != KindEGNN && c.Kind != KindUNet {
		return fmt.Errorf("model: unknown network kind %q (want mlp, egnn or unet)", c.Kind)
	}
	if _, err := activation(c.Activation); err != nil {
		return err
	}
	if c.TimeEmbed < 2 || c.TimeEmbed%2 != 0 || c.TimeEmbed > 1<<16 {
		return fmt.Errorf("model: time_embed must be even and in [2, 65536], got %d", c.TimeEmbed)
	}
	if !(c.TimeScale > 0) || math.IsInf(c.TimeScale, 0) || !(c.TimeMaxPeriod > 1) || math.IsInf(c.TimeMaxPeriod, 0) {
		return fmt.Errorf("model: time_scale must be > 0 and time_max_period > 1 (finite), got %g and %g", c.TimeScale, c.TimeMaxPeriod)
	}
	const maxWidth = 1 << 16
	switch c.Kind {
	case KindMLP:
		if c.Dim < 1 || c.Dim > 1<<20 {
			return fmt.Errorf("model: mlp dim must be in [1, 2^20], got %d", c.Dim)
		}
		if c.Hidden < 1 || c.Hidden > maxWidth || c.Layers < 1 || c.Layers > 64 {
			return fmt.Errorf("model: mlp needs hidden in [1, %d] and layers in [1, 64], got %d and %d", maxWidth, c.Hidden, c.Layers)
		}
	case KindEGNN:
		if c.Particles < 2 || c.Particles > 4096 {
			return fmt.Errorf("model: egnn needs 2 to 4096 particles, got %d", c.Particles)
		}
		if c.Dim != 3*c.Particles {
			return fmt.Errorf("model: egnn dim must be 3·particles = %d (3-D particles), got %d", 3*c.Particles, c.Dim)
		}
		if c.Hidden < 1 || c.Hidden > maxWidth || c.Layers < 1 || c.Layers > 64 {
			return fmt.Errorf("model: egnn needs hidden in [1, %d] and layers in [1, 64], got %d and %d", maxWidth, c.Hidden, c.Layers)
		}
	case KindUNet:
		if len(c.Channels) < 1 || len(c.Channels) > 6 {
			return fmt.Errorf("model: unet needs 1 to 6 channel counts, got %d", len(c.Channels))
		}
		if c.Groups < 1 {
			return fmt.Errorf("model: unet groups must be ≥ 1, got %d", c.Groups)
		}
		for _, ch := range c.Channels {
			if ch < 1 || ch > 4096 || ch%c.Groups != 0 {
				return fmt.Errorf("model: unet channels %v must be in [1, 4096] and divisible by groups %d", c.Channels, c.Groups)
			}
		}
		f := 1 << (len(c.Channels) - 1)
		if c.Height < 1 || c.Width < 1 || c.Height%f != 0 || c.Width%f != 0 || c.Height > 4096 || c.Width > 4096 {
			return fmt.Errorf("model: unet image %d×%d must be divisible by %d (%d resolutions)", c.Height, c.Width, f, len(c.Channels))
		}
		if c.Dim != c.Height*c.Width {
			return fmt.Errorf("model: unet dim must be height·width = %d (one channel), got %d", c.Height*c.Width, c.Dim)
		}
	default:
		return fmt.Errorf("model: unknown network kind %q (want mlp, egnn or unet)", c.Kind)
	}
	return nil
}

// New builds the network described by cfg (defaults filled in) with
// parameters initialised from a PCG generator seeded by seed: the same
// config and seed give the same bits.
func New(cfg NetConfig, seed uint64) (Net, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Count the parameters first (no allocation), so that an absurd config
	// is an error, not an out-of-memory crash.
	dry := &initer{countOnly: true}
	if _, err := build(cfg, dry); err != nil {
		return nil, err
	}
	if dry.count > MaxParams {
		return nil, fmt.Errorf("model: %s config has %d parameters, more than the limit %d", cfg.Kind, dry.count, MaxParams)
	}
	return build(cfg, &initer{rng: tensor.NewRNG(seed)})
}

// MaxParams bounds the number of scalar parameters New accepts (2 GiB of
// float64).
const MaxParams = 1 << 28

func build(cfg NetConfig, in *initer) (Net, error) {
	switch cfg.Kind {
	case KindMLP:
		return newMLP(cfg, in), nil
	case KindEGNN:
		return newEGNN(cfg, in)
	default:
		return newUNet(cfg, in)
	}
}

// MarshalConfig is json.Marshal of the net's config.
func MarshalConfig(n Net) ([]byte, error) { return json.Marshal(n.Config()) }

// Bind makes every parameter of n a variable of g, in Params() order: the
// p argument of Forward.
func Bind(g *autodiff.Graph, n Net) []*autodiff.Node {
	ps := n.Params()
	out := make([]*autodiff.Node, len(ps))
	for i, p := range ps {
		out[i] = g.Var(p.Value)
	}
	return out
}

// CheckInputs validates the shapes of Forward's inputs for n: y (B, n) and
// s (B, 1), B ≥ 1.
func CheckInputs(n Net, y, s *tensor.Tensor) error {
	if y == nil || s == nil {
		return fmt.Errorf("model: nil input")
	}
	if len(y.Shape) != 2 || y.Shape[1] != n.Dim() || y.Shape[0] < 1 {
		return fmt.Errorf("model: y must be (B, %d), got %s", n.Dim(), tensor.ShapeString(y.Shape))
	}
	if len(s.Shape) != 2 || s.Shape[0] != y.Shape[0] || s.Shape[1] != 1 {
		return fmt.Errorf("model: s must be (%d, 1), got %s", y.Shape[0], tensor.ShapeString(s.Shape))
	}
	return nil
}

// NumParams is the total number of scalar parameters of n.
func NumParams(n Net) int {
	k := 0
	for _, p := range n.Params() {
		k += p.Value.Size()
	}
	return k
}

// initer creates parameters in order from one seeded generator. With
// countOnly it only adds up their sizes (count; no tensors, no draws).
type initer struct {
	rng       *rand.Rand
	params    []*Param
	countOnly bool
	count     int
}

// add registers a parameter and returns its index.
func (in *initer) add(name string, t *tensor.Tensor) int {
	in.params = append(in.params, &Param{Name: name, Value: t})
	return len(in.params) - 1
}

// tensor returns a new tensor from fill, or a nil-valued placeholder that
// only counts in countOnly mode.
func (in *initer) tensor(fill func() *tensor.Tensor, shape ...int) *tensor.Tensor {
	if in.countOnly {
		k := 1
		for _, d := range shape {
			k *= d
			if k > MaxParams {
				k = MaxParams + 1
			}
		}
		in.count = min(in.count+k, MaxParams+1)
		return nil
	}
	return fill()
}

// uniform registers a parameter drawn from U(−bound, bound).
func (in *initer) uniform(name string, bound float64, shape ...int) int {
	return in.add(name, in.tensor(func() *tensor.Tensor { return tensor.RandU(in.rng, -bound, bound, shape...) }, shape...))
}

// linear is a dense layer x·W + b with W (in, out) and b (out), initialised
// as PyTorch's nn.Linear: W and b both U(−1/√in, 1/√in) (Kaiming-uniform
// with a = √5). b < 0 means no bias.
type linear struct{ w, b int }

func (in *initer) linear(name string, nin, nout int, bias bool) linear {
	bound := 1 / math.Sqrt(float64(nin))
	l := linear{w: in.uniform(name+".weight", bound, nin, nout), b: -1}
	if bias {
		l.b = in.uniform(name+".bias", bound, nout)
	}
	return l
}

func (l linear) apply(p []*autodiff.Node, x *autodiff.Node) *autodiff.Node {
	var b *autodiff.Node
	if l.b >= 0 {
		b = p[l.b]
	}
	return autodiff.Linear(x, p[l.w], b)
}

// applyAct is act(x·W + b) as one fused node (autodiff.DenseAct) when x
// is 2-D and the layer has a bias, else act(apply(x)).
func (l linear) applyAct(p []*autodiff.Node, x *autodiff.Node, actName string, act func(*autodiff.Node) *autodiff.Node) *autodiff.Node {
	if l.b >= 0 && len(x.Shape()) == 2 && (actName == "softplus" || actName == "silu") {
		return autodiff.DenseAct(x, p[l.w], p[l.b], actName == "silu")
	}
	return act(l.apply(p, x))
}

// activation maps a config name to the graph op.
func activation(name string) (func(*autodiff.Node) *autodiff.Node, error) {
	switch name {
	case "softplus":
		return autodiff.SoftplusCached, nil
	case "silu":
		return autodiff.SiLUCached, nil
	}
	return nil, fmt.Errorf("model: unknown activation %q (want softplus or silu)", name)
}

func mustActivation(name string) func(*autodiff.Node) *autodiff.Node {
	f, err := activation(name)
	if err != nil {
		panic(err)
	}
	return f
}

// timeFreqs returns the row (1, TimeEmbed/2) of angular frequencies
// ω_k = TimeScale · TimeMaxPeriod^(−k/half), k = 0..half−1.
func timeFreqs(c NetConfig) *tensor.Tensor {
	half := c.TimeEmbed / 2
	f := tensor.New(1, half)
	for k := range half {
		f.Data[k] = c.TimeScale * math.Exp(-math.Log(c.TimeMaxPeriod)*float64(k)/float64(half))
	}
	return f
}

// timeEmbed is the sinusoidal embedding [sin(ω s), cos(ω s)] (B, TimeEmbed)
// of s (B, 1) (Vaswani et al. 2017; Ho et al. 2020), built from graph ops so
// it is differentiable in s.
func timeEmbed(s *autodiff.Node, freqs *tensor.Tensor) *autodiff.Node {
	arg := autodiff.MatMul(s, s.Graph().Const(freqs), false, false)
	return autodiff.Concat(1, autodiff.Sin(arg), autodiff.Cos(arg))
}
