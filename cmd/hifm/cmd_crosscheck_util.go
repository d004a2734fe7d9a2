package main

import (
	"fmt"
	"math"

	"github.com/hifm-go/hifm/model"
	"github.com/hifm-go/hifm/tensor"
	"github.com/hifm-go/hifm/tensor/npy"
)

// checkArray validates one input array of a crosscheck command: its rank,
// the dimensions given (−1: any) and that every value is finite. what
// names the array as the user knows it ("y.npy", `"y" of x.npz`); desc is
// the expected shape in words ("(b, n)"). Errors name the array, the
// sample (index along axis 0) and what was expected.
func checkArray(a *npy.Array, what, desc string, shape ...int) error {
	if len(a.Shape) != len(shape) {
		return fmt.Errorf("%s has shape %v, want %d dimensions %s", what, a.Shape, len(shape), desc)
	}
	for i, d := range shape {
		if d >= 0 && a.Shape[i] != d {
			return fmt.Errorf("%s has shape %v, want %s = %v", what, a.Shape, desc, shapeWithAny(shape))
		}
	}
	per := 1
	for _, d := range a.Shape[1:] {
		per *= d
	}
	for i, x := range a.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if len(a.Shape) == 0 {
				return fmt.Errorf("%s is %v, want a finite value", what, x)
			}
			return fmt.Errorf("%s has a non-finite value %v in sample %d (flat index %d); want finite values", what, x, i/max(per, 1), i)
		}
	}
	return nil
}

// shapeWithAny prints a shape with −1 shown as "·".
func shapeWithAny(shape []int) string {
	s := "("
	for i, d := range shape {
		if i > 0 {
			s += ", "
		}
		if d < 0 {
			s += "·"
		} else {
			s += fmt.Sprint(d)
		}
	}
	if len(shape) == 1 {
		s += ","
	}
	return s + ")"
}

// npzArray fetches and validates array name of the .npz file in.
func npzArray(arrs map[string]*npy.Array, in, name, desc string, shape ...int) (*npy.Array, error) {
	a, ok := arrs[name]
	if !ok {
		return nil, fmt.Errorf("%s: missing array %q, want %s", in, name, desc)
	}
	if err := checkArray(a, fmt.Sprintf("%s: %q", in, name), desc, shape...); err != nil {
		return nil, err
	}
	return a, nil
}

// loadEMA replaces net's parameters by the checkpoint's parameter EMA
// (optim.npz "ema/<name>", what reproduce evaluates when training kept an
// EMA); an error when the checkpoint has none.
func loadEMA(dir string, ck *model.Checkpoint, net model.Net) error {
	if ck.Optim == nil || ck.Optim.EMA == nil {
		return fmt.Errorf("-ema: checkpoint %s keeps no parameter EMA (trained without -ema)", dir)
	}
	ps := net.Params()
	if len(ck.Optim.EMA) != len(ps) {
		return fmt.Errorf("-ema: checkpoint %s has %d EMA tensors for %d parameters", dir, len(ck.Optim.EMA), len(ps))
	}
	for i, p := range ps {
		tensor.Copy(p.Value, ck.Optim.EMA[i])
	}
	return nil
}
