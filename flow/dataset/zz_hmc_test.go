package dataset

import (
	"fmt"
	"math"
	"testing"

	"github.com/hifm-go/hifm/flow/energy"
)

func (c *chain) hmcStep(eps float64, L int, p []float64) (float64, bool) {
	for i := range p {
		p[i] = c.rng.NormFloat64()
	}
	removeCOM(p, c.e.Particles, c.e.SpatialDim)
	eps *= 0.9 + 0.2*c.rng.Float64()
	k0 := 0.0
	for _, x := range p {
		k0 += x * x
	}
	copy(c.yp, c.y)
	copy(c.gp, c.g)
	var ep float64
	for i := range p {
		p[i] -= eps / 2 * c.gp[i]
	}
	for l := 0; l < L; l++ {
		for i := range p {
			c.yp[i] += eps * p[i]
		}
		ep = c.valueGrad(c.yp, c.gp)
		s := eps
		if l == L-1 {
			s = eps / 2
		}
		for i := range p {
			p[i] -= s * c.gp[i]
		}
	}
	k1 := 0.0
	for _, x := range p {
		k1 += x * x
	}
	logA := c.E + k0/2 - ep - k1/2
	u := c.rng.Float64()
	if math.IsNaN(logA) || math.IsInf(ep, 0) || math.IsNaN(ep) {
		return 0, false
	}
	prob := math.Exp(min(logA, 0))
	if u < prob {
		c.y, c.yp = c.yp, c.y
		c.g, c.gp = c.gp, c.g
		c.E = ep
		return prob, true
	}
	return prob, false
}

func TestZZHMC(t *testing.T) {
	std := energy.NewLJ13()
	for _, L := range []int{5, 10, 20, 40} {
		e := energy.NewLJ13()
		e.Epsilon = 2
		c := newChain(e, 7, 0)
		p := make([]float64, 39)
		logEps := math.Log(0.01)
		var trace []float64
		acc := 0
		ntraj := 800000 / L
		for k := 0; k < ntraj; k++ {
			pr, ok := c.hmcStep(math.Exp(logEps), L, p)
			if k < 2000 {
				logEps += 0.05 * (pr - 0.75)
			} else if ok {
				acc++
			}
			if k >= 2000 {
				trace = append(trace, std.Value(c.y))
			}
		}
		n := len(trace)
		m := 0.0
		for _, v := range trace {
			m += v
		}
		m /= float64(n)
		v := 0.0
		for _, x := range trace {
			v += (x - m) * (x - m)
		}
		v /= float64(n)
		for _, b := range []int{20, 100, 500} {
			nb := n / b
			bv := 0.0
			for i := 0; i < nb; i++ {
				s := 0.0
				for _, x := range trace[i*b : (i+1)*b] {
					s += x
				}
				s /= float64(b)
				bv += (s - m) * (s - m)
			}
			bv /= float64(nb)
			fmt.Printf("L=%d eps=%.4f batch=%d IAT≈%.1f traj = %.0f grads mean=%.3f std=%.3f acc=%.3f\n", L, math.Exp(logEps), b, bv*float64(b)/v, bv*float64(b)/v*float64(L), m, math.Sqrt(v), float64(acc)/float64(len(trace)))
		}
	}
}
