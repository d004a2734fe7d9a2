package dataset

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/flow/internal/splitmix"
)

// Boltzmann draws n samples of the density ∝ e^{−βV(y)} restricted to the
// box [−L, L]^d by rejection from the uniform law on the box: a proposal y
// is kept with probability e^{−βV(y)}, exact when V ≥ 0 on the box (the
// toy energies' minimum value is 0, so acceptance is as high as it can be).
// The result depends only on (e, β, L, n, seed). For low-dimensional
// energies (the 2-D toys of `hifm explain`); the acceptance rate falls
// exponentially with the dimension.
func Boltzmann(e energy.Energy, beta, box float64, n int, seed uint64) (*Set, error) {
	d := e.Dim()
	switch {
	case !(beta > 0) || math.IsInf(beta, 0):
		return nil, fmt.Errorf("dataset: Boltzmann β = %v, want a finite value > 0", beta)
	case !(box > 0) || math.IsInf(box, 0):
		return nil, fmt.Errorf("dataset: Boltzmann box half-width %v, want a finite value > 0", box)
	case n < 1:
		return nil, fmt.Errorf("dataset: Boltzmann sample count %d < 1", n)
	case d < 1 || d > 8:
		return nil, fmt.Errorf("dataset: Boltzmann rejection sampling in dimension %d (want 1…8)", d)
	}
	rng := rand.New(rand.NewPCG(splitmix.Mix(seed), splitmix.Mix(seed^0x626f6c747a)))
	out := &Set{N: n, Dim: d, Data: make([]float64, n*d)}
	y := make([]float64, d)
	maxTries := 100000 * n
	for k, tries := 0, 0; k < n; tries++ {
		if tries >= maxTries {
			return nil, errors.New("dataset: Boltzmann rejection sampling accepts almost nothing (β too large or the box misses the minima)")
		}
		for i := range y {
			y[i] = box * (2*rng.Float64() - 1)
		}
		v := e.Value(y)
		if v < 0 || math.IsNaN(v) {
			return nil, fmt.Errorf("dataset: Boltzmann rejection needs V ≥ 0 on the box; V(%v) = %v", y, v)
		}
		if rng.Float64() < math.Exp(-beta*v) {
			copy(out.Row(k), y)
			k++
		}
	}
	return out, nil
}
