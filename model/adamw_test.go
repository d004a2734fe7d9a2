package model

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hifm-go/hifm/tensor"
)

func adamwProblem() ([]*Param, [][]*tensor.Tensor) {
	params := []*Param{
		{Name: "a", Value: tensor.FromSlice([]float64{1, -2}, 2)},
		{Name: "b", Value: tensor.FromSlice([]float64{0.5}, 1, 1)},
	}
	steps := [][]float64{{0.1, -0.3, 2.0}, {-0.2, 0.05, -1.0}, {0.3, 0.0, 0.5}}
	var grads [][]*tensor.Tensor
	for _, g := range steps {
		grads = append(grads, []*tensor.Tensor{tensor.FromSlice(g[:2], 2), tensor.FromSlice(g[2:], 1, 1)})
	}
	return params, grads
}

// TestAdamWHandComputed runs three steps on a 3-number problem and compares
// with the trajectory of testdata/adamw_ref.py (the same formula in plain
// Python doubles). The two differ only in rounding (math.Pow vs **, the
// order is the same), so 1e-15 relative; a wrong formula (bias correction,
// decay not scaled by lr, eps inside the root, clipping after the moments)
// changes the third digit or earlier.
func TestAdamWHandComputed(t *testing.T) {
	for _, c := range []struct {
		name      string
		clip, ema float64
		want      [][]float64 // θ after each step
		wantEMA   [][]float64
	}{
		{name: "plain", want: [][]float64{
			{0.899000009999999, -1.8980000033333333, 0.3995000005},
			{0.9347113603784888, -1.842248250641875, 0.37246679670193156},
			{0.8994525425773643, -1.7987768959140842, 0.33805141534174077},
		}},
		{name: "clip 0.5, ema 0.9", clip: 0.5, ema: 0.9, want: [][]float64{
			{0.8990000404968971, -1.8980000134989694, 0.39950000202484565},
			{0.9538853247968788, -1.8558478992439642, 0.40394040269480985},
			{0.9092177338625438, -1.8228755056366475, 0.37317964052759756},
		}, wantEMA: [][]float64{
			{0.9899000040496897, -1.9898000013498969, 0.4899500002024846},
			{0.9862985361244085, -1.9764047911393035, 0.4813490404517171},
			{0.9785904558982221, -1.9610518625890379, 0.47053210045930516},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultAdamW()
			cfg.LR, cfg.WeightDecay, cfg.ClipNorm, cfg.EMADecay = 0.1, 0.01, c.clip, c.ema
			params, grads := adamwProblem()
			o, err := NewAdamW(cfg, params)
			if err != nil {
				t.Fatal(err)
			}
			for s, g := range grads {
				norm, err := o.Update(params, g)
				if err != nil {
					t.Fatal(err)
				}
				if want := GlobalNorm(g); norm != want {
					t.Errorf("step %d: norm %g, want %g", s+1, norm, want)
				}
				got := append(append([]float64{}, params[0].Value.Data...), params[1].Value.Data...)
				opt := cmpopts.EquateApprox(1e-15, 0)
				if d := cmp.Diff(c.want[s], got, opt); d != "" {
					t.Errorf("step %d θ (-want +got):\n%s", s+1, d)
				}
				if c.wantEMA != nil {
					e := append(append([]float64{}, o.EMA[0].Data...), o.EMA[1].Data...)
					if d := cmp.Diff(c.wantEMA[s], e, opt); d != "" {
						t.Errorf("step %d EMA (-want +got):\n%s", s+1, d)
					}
				}
			}
			if o.Step != 3 {
				t.Errorf("step count %d", o.Step)
			}
		})
	}
}

func TestAdamWErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  func(*AdamWConfig)
		want string
	}{
		{func(c *AdamWConfig) { c.LR = math.NaN() }, "lr"},
		{func(c *AdamWConfig) { c.Beta1 = 1 }, "betas"},
		{func(c *AdamWConfig) { c.EMADecay = 1 }, "ema_decay"},
		{func(c *AdamWConfig) { c.ClipNorm = -1 }, "clip_norm"},
	} {
		cfg := DefaultAdamW()
		c.cfg(&cfg)
		if _, err := NewAdamW(cfg, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want error about %s", err, c.want)
		}
	}
	params, grads := adamwProblem()
	o, _ := NewAdamW(DefaultAdamW(), params)
	before := params[0].Value.Clone()
	grads[0][0].Data[1] = math.Inf(1)
	if _, err := o.Update(params, grads[0]); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("Inf gradient: %v", err)
	}
	if !cmp.Equal(before.Data, params[0].Value.Data) || o.Step != 0 {
		t.Error("failed update changed the state")
	}
	if _, err := o.Update(params, grads[1][:1]); err == nil {
		t.Error("accepted a missing gradient")
	}
	if _, err := o.Update(params, []*tensor.Tensor{tensor.New(3), grads[1][1]}); err == nil {
		t.Error("accepted a gradient of the wrong shape")
	}
}
