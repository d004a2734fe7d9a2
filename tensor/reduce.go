package tensor

import (
	"fmt"
	"math"
)

// Sum returns the sum of all elements (sequential order, so the result is
// the same on every machine and kernel set).
func Sum(a *Tensor) float64 {
	a = a.Contiguous()
	var s float64
	for _, v := range a.Data[:a.Size()] {
		s += v
	}
	return s
}

// Mean returns the mean of all elements (NaN for an empty tensor).
func Mean(a *Tensor) float64 { return Sum(a) / float64(a.Size()) }

// Max returns the largest element (−Inf for an empty tensor; NaN if any is NaN).
func Max(a *Tensor) float64 {
	a = a.Contiguous()
	m := math.Inf(-1)
	for _, v := range a.Data[:a.Size()] {
		if v > m || v != v {
			m = v
			if v != v {
				return v
			}
		}
	}
	return m
}

// axisSplit views a's shape as (outer, n, inner) around axis.
func axisSplit(op string, a *Tensor, axis int) (outer, n, inner int, out []int) {
	if axis < 0 {
		axis += len(a.Shape)
	}
	if axis < 0 || axis >= len(a.Shape) {
		shapePanic(op, fmt.Sprintf("axis %d out of range", axis), a.Shape)
	}
	outer, inner = 1, 1
	for i := 0; i < axis; i++ {
		outer *= a.Shape[i]
	}
	for i := axis + 1; i < len(a.Shape); i++ {
		inner *= a.Shape[i]
	}
	out = append(append([]int{}, a.Shape[:axis]...), a.Shape[axis+1:]...)
	return outer, a.Shape[axis], inner, out
}

func reduceAxis(op string, dst, a *Tensor, axis int, init float64, f func(acc, v float64) float64) *Tensor {
	a = a.Contiguous()
	outer, n, inner, out := axisSplit(op, a, axis)
	dst = prepare(op, dst, out)
	for o := 0; o < outer; o++ {
		d := dst.Data[o*inner : (o+1)*inner]
		for i := range d {
			d[i] = init
		}
		for k := 0; k < n; k++ {
			src := a.Data[(o*n+k)*inner : (o*n+k+1)*inner]
			for i, v := range src {
				d[i] = f(d[i], v)
			}
		}
	}
	return dst
}

// SumAxis sums a along axis (negative counts from the end); the axis is
// dropped from the result's shape.
func SumAxis(dst, a *Tensor, axis int) *Tensor {
	return reduceAxis("SumAxis", dst, a, axis, 0, func(acc, v float64) float64 { return acc + v })
}

// MeanAxis averages a along axis.
func MeanAxis(dst, a *Tensor, axis int) *Tensor {
	_, n, _, _ := axisSplit("MeanAxis", a, axis)
	dst = SumAxis(dst, a, axis)
	if n > 0 {
		Scale(dst, 1/float64(n), dst)
	}
	return dst
}

// MaxAxis takes the maximum of a along axis (NaN propagates).
func MaxAxis(dst, a *Tensor, axis int) *Tensor {
	return reduceAxis("MaxAxis", dst, a, axis, math.Inf(-1), func(acc, v float64) float64 {
		if v > acc || v != v || acc != acc {
			if acc != acc {
				return acc
			}
			return v
		}
		return acc
	})
}
