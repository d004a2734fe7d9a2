package energy

import (
	"errors"
	"strings"
	"testing"

	"github.com/hifm-go/hifm/autodiff"
	"github.com/hifm-go/hifm/tensor"
)

// TestPanicsAreShapeErrors: the error policy (docs/CONTRIBUTING.md,
// "Errors"): a wrong slice length, and an autodiff energy whose graph
// fails, panic with a *tensor.ShapeError (never a string), which
// tensor.Catch returns as an error.
func TestPanicsAreShapeErrors(t *testing.T) {
	vec := &Graph{N: 3, Build: func(x *autodiff.Node) *autodiff.Node { return autodiff.Square(x) }} // not a scalar
	for name, c := range map[string]struct {
		f    func()
		want string
	}{
		"length":  {func() { NewLJ13().Value(make([]float64, 5)) }, "energy.LJ13.Value: shape mismatch (5) vs (39)"},
		"grad":    {func() { vec.Grad(make([]float64, 3), make([]float64, 3)) }, "autodiff.GradValues: shape mismatch (3)"},
		"hessian": {func() { vec.Hessian(make([]float64, 3), make([]float64, 9)) }, "shape mismatch (3)"},
	} {
		err := tensor.Catch(c.f)
		if !errors.As(err, new(*tensor.ShapeError)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want a *tensor.ShapeError containing %q", name, err, c.want)
		}
	}
}
