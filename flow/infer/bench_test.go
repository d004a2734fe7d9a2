package infer_test

import (
	"context"
	"testing"
	"time"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/infer"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
)

// benchLJ13 returns LJ13 data: the reference split when present, else a
// jittered cluster set of the same shape.
func benchLJ13(b *testing.B, n int) *dataset.Set {
	if s, err := dataset.LoadLJ13Split("train"); err == nil {
		sub, err := s.Subset(min(n, s.N))
		if err != nil {
			b.Fatal(err)
		}
		return sub
	}
	return clusterSet(n, 13, 1)
}

// BenchmarkDivergenceEGNN: the exact divergence of the LJ13 EGNN field for
// a batch of 256 configurations: "sweeps" is autodiff.Divergence (39
// reverse sweeps of one forward pass, what PyTorch's loop of 39 VJPs
// does), "analytic" the network's own model.DivergenceNet form.
func BenchmarkDivergenceEGNN(b *testing.B) {
	set := benchLJ13(b, 256)
	net, err := model.New(model.NetConfig{Kind: model.KindEGNN, Particles: 13}, 1)
	if err != nil {
		b.Fatal(err)
	}
	y := tensor.FromSlice(set.Data[:256*39], 256, 39)
	s := tensor.RandU(tensor.NewRNG(2), 0, 1, 256, 1)
	g := autodiff.NewGraph()
	p := make([]*autodiff.Node, len(net.Params()))
	for _, mode := range []string{"sweeps", "analytic"} {
		b.Run(mode, func(b *testing.B) {
			run := func() {
				g.Reset()
				for i, pr := range net.Params() { // model.Bind into a reused slice
					p[i] = g.Var(pr.Value)
				}
				if mode == "analytic" {
					if _, _, ok := net.(model.DivergenceNet).ForwardDivergence(g, p, g.Const(y), g.Const(s)); !ok {
						b.Fatal("no analytic divergence")
					}
					return
				}
				yn := g.Var(y)
				v := net.Forward(g, p, yn, g.Const(s))
				if _, err := autodiff.Divergence(v, yn, true); err != nil {
					b.Fatal(err)
				}
			}
			run() // warm-up: two passes
			run()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				run()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/batch256")
		})
	}
}

// BenchmarkNLLLJ13: seconds per LJ13 test sample of the likelihood at
// rtol = atol = 1e-2 (the paper's setting) with the exact divergence (the
// EGNN's analytic form), for an (untrained) EGNN on the HI-FM path, one
// worker.
func BenchmarkNLLLJ13(b *testing.B) {
	set := benchLJ13(b, 8)
	cfg := train.DefaultConfig()
	net, err := model.New(cfg.Net, 1)
	if err != nil {
		b.Fatal(err)
	}
	xs := make([][]float64, set.N)
	for i := range xs {
		xs[i] = set.Row(i)
	}
	for _, mode := range []string{"analytic", "sweeps"} {
		b.Run(mode, func(b *testing.B) {
			var nfe float64
			t0 := time.Now()
			for range b.N {
				r, err := infer.NLL(context.Background(), cfg.Inference(net), xs, infer.WithSweeps(infer.Options{Workers: 1}, mode == "sweeps"))
				if err != nil {
					b.Fatal(err)
				}
				nfe = r.MeanNFE
			}
			b.ReportMetric(time.Since(t0).Seconds()/float64(b.N*len(xs)), "s/sample")
			b.ReportMetric(nfe, "NFE")
		})
	}
}
