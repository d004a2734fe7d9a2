package dataset

import (
	"testing"

	"github.com/hifm-go/hifm/flow/energy"
)

func BenchmarkZZStep(b *testing.B) {
	e := energy.NewLJ13()
	e.Epsilon = 2
	c := newChain(e, 1, 6e-4)
	for b.Loop() {
		c.step()
	}
}
func BenchmarkZZValueGrad(b *testing.B) {
	e := energy.NewLJ13()
	c := newChain(e, 1, 6e-4)
	for b.Loop() {
		e.ValueGrad(c.y, c.g)
	}
}
