package dataset

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hifm-go/hifm/flow/energy"
)

// Rejection samples of e^{−β(‖y‖²−1)²} have the law of that density: the
// radius r has density ∝ r e^{−β(r²−1)²}, whose mean we integrate by the
// midpoint rule; 4000 samples give a standard error ≈ 0.2/√4000 ≈ 0.003,
// so 0.015 is 5 standard errors.
func TestBoltzmannRing(t *testing.T) {
	const beta = 4
	ring, err := energy.NewToy(energy.ToyRing)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Boltzmann(ring, beta, 2.5, 4000, 7)
	if err != nil {
		t.Fatal(err)
	}
	var mean float64
	for i := range set.N {
		y := set.Row(i)
		mean += math.Hypot(y[0], y[1])
	}
	mean /= float64(set.N)
	var num, den float64
	for k := range 20000 {
		r := (float64(k) + 0.5) * 2.5 / 20000
		w := r * math.Exp(-beta*(r*r-1)*(r*r-1))
		num += r * w
		den += w
	}
	if want := num / den; math.Abs(mean-want) > 0.015 {
		t.Errorf("mean radius %v, want %v", mean, want)
	}
	again, _ := Boltzmann(ring, beta, 2.5, 4000, 7)
	if d := cmp.Diff(set.Data, again.Data); d != "" {
		t.Error("same seed, different samples")
	}
	for _, bad := range []struct {
		beta, box float64
		n         int
	}{{0, 1, 1}, {1, 0, 1}, {1, 1, 0}, {math.NaN(), 1, 1}} {
		if _, err := Boltzmann(ring, bad.beta, bad.box, bad.n, 1); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}
