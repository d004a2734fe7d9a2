//go:build amd64 && !purego

package kernels

//go:noescape
func rot2AVX2(x1, x2, y *float64, n int, c1, s1, c2, s2 float64)

func rot2Accel() func(x1, x2, y []float64, c1, s1, c2, s2 float64) { return rot2Asm }

func rot2Asm(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	if len(x1) == 0 {
		return
	}
	x2, y = x2[:len(x1)], y[:len(x1)]
	rot2AVX2(&x1[0], &x2[0], &y[0], len(x1), c1, s1, c2, s2)
}
