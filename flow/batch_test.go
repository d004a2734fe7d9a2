package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/flow/energy"
)

func TestSamplerAndResidual(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	var data [][]float64
	for range 5 {
		data = append(data, lj13Like(rng))
	}
	for _, scheme := range []Scheme{SchemeFinite, SchemeInfinite} {
		cfg := Default()
		cfg.Scheme = scheme
		cfg.Delta = 0.01
		pl := Pipeline{Config: cfg}
		spectra, err := pl.Spectra(data, energy.FormationHessian(13, 3), 0)
		if err != nil {
			t.Fatal(err)
		}
		base := ZeroCOMBase{13, 3, 1}
		sm, err := NewSampler(cfg, base, data, spectra)
		if err != nil {
			t.Fatal(err)
		}
		bt := sm.NewBatch(4)
		idx := []int{4, 0, 2, 2}
		if err := sm.Fill(rand.New(rand.NewPCG(1, 2)), idx, bt); err != nil {
			t.Fatal(err)
		}
		ys, us, r := make([]float64, 39), make([]float64, 39), make([]float64, 39)
		for k, i := range idx {
			if bt.S[k] < 0 || bt.S[k] > 0.99 {
				t.Errorf("s = %v outside [0, 1−δ]", bt.S[k])
			}
			wantT := bt.S[k]
			if scheme == SchemeInfinite {
				wantT = Time(bt.S[k], spectra[i].Kappa)
			}
			if bt.Time[k] != wantT {
				t.Errorf("time %v, want %v", bt.Time[k], wantT)
			}
			y0 := bt.Y0[k*39 : (k+1)*39]
			sm.path.Draw(ys, us, y0, data[i], bt.S[k], spectra[i])
			if d := cmp.Diff(ys, bt.YS[k*39:(k+1)*39]); d != "" {
				t.Errorf("ys:\n%s", d)
			}
			// The zero-CoM base and a CoM-free y1 keep y_s and u_s CoM-free:
			// translations are null directions, which keep y0's zero CoM.
			for _, v := range [][]float64{ys, us} {
				for c := range 3 {
					var m float64
					for p := range 13 {
						m += v[3*p+c]
					}
					if math.Abs(m) > 1e-10 {
						t.Errorf("centre of mass %v", m)
					}
				}
			}
			// Residual: projected ≤ full, and projecting u's own null part gives 0 change for u − u.
			full := Residual(r, y0, us, spectra[i], false)
			proj := Residual(r, y0, us, spectra[i], true)
			if !(proj <= full) || proj <= 0 {
				t.Errorf("projected %v vs full %v", proj, full)
			}
		}
		// Same seed, same batch.
		bt2 := sm.NewBatch(4)
		_ = sm.Fill(rand.New(rand.NewPCG(1, 2)), idx, bt2)
		if d := cmp.Diff(bt, bt2); d != "" {
			t.Errorf("batch not reproducible:\n%s", d)
		}
		if a := testing.AllocsPerRun(5, func() { _ = sm.Fill(rng, idx, bt) }); a != 0 {
			t.Errorf("Fill allocates %v", a)
		}
	}
}
