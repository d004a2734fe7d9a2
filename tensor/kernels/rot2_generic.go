//go:build !amd64 || purego

package kernels

func rot2Accel() func(x1, x2, y []float64, c1, s1, c2, s2 float64) { return rot2Generic }
