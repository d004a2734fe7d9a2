package experiments

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/hifm-go/hifm/flow/dataset"
	"github.com/hifm-go/hifm/flow/train"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/kernels"
)

// BenchmarkTable1Train: one Algorithm 1 step (batch draw on the HI-FM path
// with H = λI, UNet forward and backward, AdamW) of Table 1's first row at
// the small (batch 16, channels 8/16) and paper (batch 128, channels
// 32/64) budgets, on one thread, on random 28×28 images (the cost does not
// depend on the pixel values). Its PyTorch twin is
// testdata/peers/unet_torch.py (README, "Performance"), which reports the
// same two rates.
func BenchmarkTable1Train(b *testing.B) {
	set := &dataset.Set{N: 256, Dim: 784, Data: tensor.RandU(tensor.NewRNG(1), 0, 1, 256*784).Data}
	rows, err := Rows(Table1)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{BudgetSmall, BudgetPaper} {
		b.Run(fmt.Sprintf("budget=%s/threads=1", name), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
			defer kernels.SetThreads(kernels.SetThreads(1))
			bud, err := Budgets(Table1, name)
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := Config(Table1, rows[0], bud, DefaultOptions())
			if err != nil {
				b.Fatal(err)
			}
			cfg.Steps = 1 << 40
			tr, err := train.New(cfg, set, 1)
			if err != nil {
				b.Fatal(err)
			}
			for range 2 { // warm-up: graph and buffer pools
				if _, err := tr.TrainStep(1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuSeconds()
			for range b.N {
				if _, err := tr.TrainStep(1); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N * cfg.Batch)
			b.ReportMetric(n/b.Elapsed().Seconds(), "samples/s")
			// Per CPU second: the one-thread rate with less noise from other
			// processes sharing the machine.
			if c := cpuSeconds() - c0; c > 0 && c0 > 0 {
				b.ReportMetric(n/c, "samples/cpu-s")
			}
		})
	}
}
