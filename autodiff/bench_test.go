package autodiff

import (
	"testing"

	"github.com/hifm-go/hifm/tensor"
)

// mlp is a small flow-matching field: (x, s) → width → width → d with SiLU,
// the shape of the models hifm trains.
type mlp struct {
	w1, b1, w2, b2, w3, b3 *tensor.Tensor
}

func newMLP(in, width, out int) *mlp {
	r := tensor.NewRNG(1)
	sc := func(t *tensor.Tensor, s float64) *tensor.Tensor { tensor.Scale(t, s, t); return t }
	return &mlp{
		w1: sc(tensor.RandN(r, in, width), 0.5), b1: tensor.New(width),
		w2: sc(tensor.RandN(r, width, width), 0.15), b2: tensor.New(width),
		w3: sc(tensor.RandN(r, width, out), 0.15), b3: tensor.New(out),
	}
}

func (m *mlp) params() []*tensor.Tensor { return []*tensor.Tensor{m.w1, m.b1, m.w2, m.b2, m.w3, m.b3} }

// step builds the forward pass and the MSE loss on g and returns the
// parameter gradients (no-record backward).
func (m *mlp) step(g *Graph, x, target *tensor.Tensor, ps []*Node) (float64, []*tensor.Tensor, error) {
	for i, p := range m.params() {
		ps[i] = g.Var(p)
	}
	h := SiLU(Linear(g.Const(x), ps[0], ps[1]))
	h = SiLU(Linear(h, ps[2], ps[3]))
	y := Linear(h, ps[4], ps[5])
	loss := Mean(Square(Sub(y, g.Const(target))))
	gr, err := GradValues(loss, ps...)
	return loss.Item(), gr, err
}

// BenchmarkMLPTrainStep: forward + loss + parameter gradients of a
// 40→64→64→39 SiLU MLP on a batch of 256 (LJ13-sized data), graph reused.
func BenchmarkMLPTrainStep(b *testing.B) {
	m := newMLP(40, 64, 39)
	r := tensor.NewRNG(2)
	x, target := tensor.RandN(r, 256, 40), tensor.RandN(r, 256, 39)
	g := NewGraph()
	ps := make([]*Node, 6)
	step := func() {
		g.Reset()
		if _, _, err := m.step(g, x, target, ps); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up: the graph's pools (GradValues then makes 2 slices a step)
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	flops := 3 * 2 * 256 * (40*64 + 64*64 + 64*39) // forward + 2 backward GEMMs
	b.ReportMetric(float64(flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GEMM-GFLOP/s")
}

// BenchmarkMLPDivergence: exact divergence of the same field on a batch of
// 256 in 39 dimensions (39 reverse sweeps sharing one forward pass).
func BenchmarkMLPDivergence(b *testing.B) {
	m := newMLP(39, 64, 39)
	r := tensor.NewRNG(3)
	x := tensor.RandN(r, 256, 39)
	g := NewGraph()
	div := func() {
		g.Reset()
		xn := g.Var(x)
		h := SiLU(Linear(xn, g.Const(m.w1), g.Const(m.b1)))
		h = SiLU(Linear(h, g.Const(m.w2), g.Const(m.b2)))
		y := Linear(h, g.Const(m.w3), g.Const(m.b3))
		if _, err := Divergence(y, xn, true); err != nil {
			b.Fatal(err)
		}
	}
	div() // warm-up: the graph's pools (Divergence then allocates only its result)
	div()
	b.ReportAllocs()
	for b.Loop() {
		div()
	}
}

// BenchmarkConvStep: a UNet-like block on 28×28 MNIST-sized images, batch
// 16: conv 1→32, group norm, SiLU, pool, conv 32→32, upsample, conv 32→1.
func BenchmarkConvStep(b *testing.B) {
	r := tensor.NewRNG(4)
	x := tensor.RandN(r, 16, 1, 28, 28)
	w1, w2, w3 := tensor.RandN(r, 32, 1, 3, 3), tensor.RandN(r, 32, 32, 3, 3), tensor.RandN(r, 1, 32, 3, 3)
	gam, bet := tensor.Full(1, 32), tensor.New(32)
	g := NewGraph()
	step := func() {
		g.Reset()
		ps := []*Node{g.Var(w1), g.Var(w2), g.Var(w3), g.Var(gam), g.Var(bet)}
		h := Conv2d(g.Const(x), ps[0], 1, 1)
		h = SiLU(GroupNorm(h, 8, ps[3], ps[4], 1e-5))
		h = AvgPool2d(h, 2)
		h = SiLU(Conv2d(h, ps[1], 1, 1))
		h = Upsample2d(h, 2)
		y := Conv2d(h, ps[2], 1, 1)
		if _, err := GradValues(Mean(Square(y)), ps...); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up: the graph's pools
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}

// BenchmarkEGNNLayerStep: forward + backward of one EGNN layer (Satorras
// et al.) on LJ13-sized data: batch 256 × 13 particles, all 156 ordered
// pairs per system (39 936 edges), width 64. Exercises GatherRows,
// ScatterAddRows, SqNormAxis, Concat and ExpandAxis at full size.
func BenchmarkEGNNLayerStep(b *testing.B) {
	const B, N, W = 256, 13, 64
	r := tensor.NewRNG(5)
	var I, J []int
	for s := 0; s < B; s++ {
		for i := 0; i < N; i++ {
			for j := 0; j < N; j++ {
				if i != j {
					I, J = append(I, s*N+i), append(J, s*N+j)
				}
			}
		}
	}
	E := len(I)
	x0, h0, target := tensor.RandN(r, B*N, 3), tensor.RandN(r, B*N, W), tensor.RandN(r, B*N, 3)
	sc := func(t *tensor.Tensor, s float64) *tensor.Tensor { tensor.Scale(t, s, t); return t }
	params := []*tensor.Tensor{
		sc(tensor.RandN(r, 2*W+1, W), 0.1), tensor.New(W), // edge MLP 1
		sc(tensor.RandN(r, W, W), 0.1), tensor.New(W), // edge MLP 2
		sc(tensor.RandN(r, W, 1), 0.1),                  // coordinate weight φ_x
		sc(tensor.RandN(r, 2*W, W), 0.1), tensor.New(W), // node MLP 1
		sc(tensor.RandN(r, W, W), 0.1), tensor.New(W), // node MLP 2
	}
	g := NewGraph()
	p := make([]*Node, len(params))
	step := func() {
		g.Reset()
		for i, t := range params {
			p[i] = g.Var(t)
		}
		x, h := g.Const(x0), g.Const(h0)
		d := Sub(GatherRows(x, I), GatherRows(x, J))
		r2 := Reshape(SqNormAxis(d, 1), E, 1)
		m := SiLU(Linear(Concat(1, GatherRows(h, I), GatherRows(h, J), r2), p[0], p[1]))
		m = SiLU(Linear(m, p[2], p[3]))
		phi := Reshape(Linear(m, p[4], nil), E)
		xn := Add(x, ScatterAddRows(Mul(d, ExpandAxis(phi, 1, 3)), I, B*N))
		agg := ScatterAddRows(m, I, B*N)
		hn := Add(h, Linear(SiLU(Linear(Concat(1, h, agg), p[5], p[6])), p[7], p[8]))
		loss := Add(Mean(Square(Sub(xn, g.Const(target)))), Mean(Square(hn)))
		if _, err := GradValues(loss, p...); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up: the graph's pools
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(E), "edges")
}
