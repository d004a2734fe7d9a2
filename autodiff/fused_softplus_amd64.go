//go:build amd64 && !purego

package autodiff

import "github.com/hifm-go/hifm/tensor/kernels"

// softplusVec is set when the AVX2+FMA kernels are in use (not with
// HIFM_KERNELS=generic), the same switch as package kernels.
var softplusVec = kernels.Name() == "avx2fma"

//go:noescape
func softplusSigmoidAVX2(y, c, x *float64, n int)

//go:noescape
func siluSigmoidAVX2(y, c, x *float64, n int)

func siluSigmoidBulk(y, c, x []float64) int {
	n := len(y) &^ 3
	if !softplusVec || n == 0 {
		return 0
	}
	siluSigmoidAVX2(&y[0], &c[0], &x[0], n)
	return n
}

func softplusSigmoidBulk(y, c, x []float64) int {
	n := len(y) &^ 3
	if !softplusVec || n == 0 {
		return 0
	}
	softplusSigmoidAVX2(&y[0], &c[0], &x[0], n)
	return n
}
