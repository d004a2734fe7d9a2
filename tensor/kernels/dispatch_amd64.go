//go:build amd64 && !purego

package kernels

import "github.com/klauspost/cpuid/v2"

// accelerated returns the AVX2+FMA set when the CPU has AVX2 and FMA3 and
// the OS saves ymm state. cpuid sets AVX (and so AVX2) only after XGETBV
// confirms OS support; OSXSAVE is checked too for clarity.
func accelerated() (kernelSet, bool) {
	if cpuid.CPU.Supports(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.OSXSAVE) {
		return avx2fma, true
	}
	return kernelSet{}, false
}

// accelerated512 returns the AVX2+FMA set with the AVX-512 GEMM
// micro-kernel when the CPU has AVX-512F and the OS saves zmm state
// (cpuid checks XGETBV for both before setting AVX512F).
func accelerated512() (kernelSet, bool) {
	if _, ok := accelerated(); ok && cpuid.CPU.Supports(cpuid.AVX512F) {
		return avx2fma512, true
	}
	return kernelSet{}, false
}
