package train

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
)

// benchLJ13 returns LJ13 training data: the reference split when present,
// else a jittered cluster set of the same shape.
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

// BenchmarkTrainEGNN: Algorithm 1 steps of the paper's LJ13 model (EGNN,
// width 64, one layer, batch 256, HI-FM path) on 1 and 2 threads.
func BenchmarkTrainEGNN(b *testing.B) {
	set := benchLJ13(b, 1000)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(th))
			cfg := DefaultConfig()
			cfg.Steps = 1 << 40
			tr, err := New(cfg, set, th)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.TrainStep(th); err != nil { // warm-up: graph pools
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := tr.TrainStep(th); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*cfg.Batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkTrainUNet: training steps of the MNIST UNet (OT path, batch 32)
// on synthetic 28×28 images.
func BenchmarkTrainUNet(b *testing.B) {
	set := &dataset.Set{N: 64, Dim: 784, Data: tensor.RandU(tensor.NewRNG(1), 0, 1, 64*784).Data}
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(th))
			cfg := DefaultConfig()
			cfg.Flow.Kind = "ot"
			cfg.Net = model.NetConfig{Kind: model.KindUNet}
			cfg.Particles, cfg.SpatialDim = 0, 0
			cfg.Batch, cfg.Chunk, cfg.Steps = 32, 8, 1<<40
			tr, err := New(cfg, set, th)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.TrainStep(th); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := tr.TrainStep(th); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*cfg.Batch)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
