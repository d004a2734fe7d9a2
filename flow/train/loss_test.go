package train

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/flow"
	"github.com/hifm-go/hifm/flow/energy"
)

// TestLossMatchesTrainStep is the agreement test of `hifm crosscheck
// loss` with training: Loss on the batch that step k draws (its y0, y1, s;
// spectra recomputed from the formation Hessian of each y1, as a user
// would supply them) gives bit-identical loss and parameter gradient to
// Trainer.TrainStep's. Bit equality is the right bar: both run the same
// per-chunk arithmetic (chunkLoss) in the same chunk order; any difference
// in the batch (y_s, u_s, spectra, time input) would show.
func TestLossMatchesTrainStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"egnn-hifm-projected", egnnConfig(5)},
		{"egnn-hifm-infinite", func() Config {
			c := egnnConfig(4)
			c.Flow.Scheme, c.Flow.Hyperbolize, c.Flow.Project = flow.SchemeInfinite, true, false
			return c
		}()},
		{"egnn-ot", func() Config { c := egnnConfig(4); c.Flow.Kind = flow.PathOT; return c }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.cfg.Net.Particles
			tr, err := New(tc.cfg, clusterSet(20, p, 3), 1)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // compare at step 2: parameters and moments no longer fresh
				if _, err := tr.TrainStep(1); err != nil {
					t.Fatal(err)
				}
			}
			k := tr.Step
			b, n := tr.Cfg.Batch, tr.n
			idx := make([]int, b)
			tr.batchIndices(k, idx)
			y0s, y1s, ss := make([]float64, 0, b*n), make([]float64, 0, b*n), []float64(nil)
			var spectra []*flow.Spectrum
			for ci, ch := range tr.chunks {
				copy(ch.idx, idx[ch.lo:ch.hi])
				if err := tr.fill(k, ci, ch); err != nil {
					t.Fatal(err)
				}
				y0s = append(y0s, ch.y0...)
				ss = append(ss, ch.s...)
			}
			pl := flow.Pipeline{Config: tr.Cfg.Flow}
			for _, i := range idx {
				y1 := tr.data[i]
				y1s = append(y1s, y1...)
				if tr.Cfg.Flow.Kind != flow.PathHIFM {
					continue
				}
				f, err := energy.NewFormation(y1, p, 3, energy.CompleteGraph)
				if err != nil {
					t.Fatal(err)
				}
				h := make([]float64, n*n)
				f.Hessian(y1, h)
				sp, err := pl.Spectrum(h, y1)
				if err != nil {
					t.Fatal(err)
				}
				spectra = append(spectra, sp)
			}
			got, err := Loss(tr.Net, tr.Cfg.Flow, tr.Cfg.Chunk, y0s, y1s, ss, spectra)
			if err != nil {
				t.Fatal(err)
			}
			info, err := tr.TrainStep(2)
			if err != nil {
				t.Fatal(err)
			}
			if got.Loss != info.Loss {
				t.Errorf("loss %v, training step %v", got.Loss, info.Loss)
			}
			var sum float64
			for _, q := range got.PerSample {
				sum += q
			}
			if d := sum/float64(b) - got.Loss; d > 1e-14*got.Loss || d < -1e-14*got.Loss {
				t.Errorf("mean of per-sample terms %v ≠ loss %v", sum/float64(b), got.Loss)
			}
			want := make([][]float64, len(tr.grads))
			have := make([][]float64, len(got.Grads))
			for i := range tr.grads {
				want[i] = append([]float64(nil), tr.grads[i].Data...)
				have[i] = append([]float64(nil), got.Grads[i].Contiguous().Data...)
			}
			if d := cmp.Diff(want, have); d != "" {
				t.Errorf("gradient differs from the training step's (-step +Loss):\n%s", d)
			}
		})
	}
}
