//go:build !amd64 || purego

package kernels

func rot2Accel() func(x1, x2, y []float64, c1, s1, c2, s2 float64) { return rot2Generic }

// rot2Variants lists the assembly bodies this CPU can run: none here.
func rot2Variants() []rot2Variant { return nil }
