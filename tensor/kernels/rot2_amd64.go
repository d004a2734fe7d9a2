//go:build amd64 && !purego

package kernels

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

//go:noescape
func rot2AVX2(x1, x2, y *float64, n int, c1, s1, c2, s2 float64)

//go:noescape
func rot2AVX512(x1, x2, y *float64, n int, c1, s1, c2, s2 float64)

// rot2Accel uses the 8-lane body when the selected set uses AVX-512 (its
// GEMM micro-kernel name says so; HIFM_KERNELS=avx2fma keeps 4 lanes).
func rot2Accel() func(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	if strings.HasPrefix(impl.gemmName, "avx512") && cpuid.CPU.Supports(cpuid.AVX512F) {
		return rot2Asm512
	}
	return rot2Asm
}

// rot2Variants lists the assembly bodies this CPU can run, for tests.
func rot2Variants() []rot2Variant {
	var v []rot2Variant
	if _, ok := accelerated(); ok {
		v = append(v, rot2Variant{"avx2", rotAsm, rot2Asm})
	}
	if _, ok := accelerated512(); ok {
		v = append(v, rot2Variant{"avx512", rotAsm, rot2Asm512})
	}
	return v
}

func rot2Asm(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	if len(x1) == 0 {
		return
	}
	x2, y = x2[:len(x1)], y[:len(x1)]
	rot2AVX2(&x1[0], &x2[0], &y[0], len(x1), c1, s1, c2, s2)
}

func rot2Asm512(x1, x2, y []float64, c1, s1, c2, s2 float64) {
	if len(x1) == 0 {
		return
	}
	x2, y = x2[:len(x1)], y[:len(x1)]
	rot2AVX512(&x1[0], &x2[0], &y[0], len(x1), c1, s1, c2, s2)
}
