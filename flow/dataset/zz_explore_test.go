package dataset

import (
	"fmt"
	"math"
	"testing"

	"github.com/hifm-go/hifm/flow/energy"
	"github.com/hifm-go/hifm/tensor/npy"
)

func TestZZExplore(t *testing.T) {
	e := energy.NewLJ13()
	var sets [][]float64
	for _, f := range []string{"val", "test"} {
		a, err := npy.ReadFile("/work/shared/data/lj13/" + f + "_split_LJ13-1000.npy")
		if err != nil {
			t.Fatal(err)
		}
		n := a.Shape[0]
		var s, s2, maxcom, minr, maxr float64
		minr = 1e9
		for i := 0; i < n; i++ {
			y := a.Data[i*39 : (i+1)*39]
			v := e.Value(y)
			s += v
			s2 += v * v
			for d := 0; d < 3; d++ {
				c := 0.0
				for p := 0; p < 13; p++ {
					c += y[p*3+d]
				}
				maxcom = math.Max(maxcom, math.Abs(c/13))
			}
			for p := 0; p < 13; p++ {
				for q := p + 1; q < 13; q++ {
					r := math.Sqrt(sq(y[p*3]-y[q*3]) + sq(y[p*3+1]-y[q*3+1]) + sq(y[p*3+2]-y[q*3+2]))
					minr = math.Min(minr, r)
					maxr = math.Max(maxr, r)
				}
			}
		}
		m := s / float64(n)
		fmt.Printf("%s n=%d mean=%.4f std=%.4f maxcom=%g r=[%g,%g]\n", f, n, m, math.Sqrt(s2/float64(n)-m*m), maxcom, minr, maxr)
		sets = append(sets, a.Data)
	}
	for _, bins := range []int{25, 50, 100, 200} {
		h := func(d []float64) []float64 {
			c := make([]float64, bins+2)
			n := len(d) / 39
			for i := 0; i < n; i++ {
				y := d[i*39:]
				for p := 0; p < 13; p++ {
					for q := p + 1; q < 13; q++ {
						r := math.Sqrt(sq(y[p*3]-y[q*3]) + sq(y[p*3+1]-y[q*3+1]) + sq(y[p*3+2]-y[q*3+2]))
						k := int((r - 0) / 5 * float64(bins))
						if k >= bins {
							k = bins
						}
						c[k+1]++
					}
				}
			}
			for i := range c {
				c[i] /= float64(n * 78)
			}
			return c
		}
		a, b := h(sets[0]), h(sets[1])
		tv := 0.0
		for i := range a {
			tv += math.Abs(a[i] - b[i])
		}
		// half-sample
		a2 := h(sets[0][:len(sets[0])/4])
		tv2 := 0.0
		for i := range a {
			tv2 += math.Abs(a2[i] - b[i])
		}
		fmt.Printf("bins=%d TV(val,test)=%.4f TV(val/4,test)=%.4f\n", bins, tv/2, tv2/2)
	}
}
func sq(x float64) float64 { return x * x }

func TestZZChain(t *testing.T) {
	e := energy.NewLJ13()
	e.Epsilon = 2
	std := energy.NewLJ13()
	for _, h0 := range []float64{2e-3} {
		c := newChain(e, 7, h0)
		logH := math.Log(c.h)
		var trace []float64
		acc := 0
		for k := 0; k < 400000; k++ {
			p, ok := c.step()
			if k < 4000 {
				logH += 0.05 * (p - 0.574)
				c.h = math.Exp(logH)
			} else if ok {
				acc++
			}
			if k%500 == 0 && k < 10000 {
				fmt.Printf("k=%d E=%.2f h=%.4g\n", k, c.E, c.h)
			}
			if k >= 10000 {
				trace = append(trace, std.Value(c.y))
			}
		}
		// IAT via batch means
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
		for _, b := range []int{100, 1000, 5000, 10000} {
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
			fmt.Printf("h=%g batch=%d IAT≈%.1f mean=%.3f std=%.3f acc=%.3f\n", c.h, b, bv*float64(b)/v, m, math.Sqrt(v), float64(acc)/float64(len(trace)))
		}
	}
}
