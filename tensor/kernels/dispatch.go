package kernels

import (
	"os"

	"github.com/klauspost/cpuid/v2"
)

// impl is the kernel set in use, chosen once at start-up.
var impl = selectKernels()

// selectKernels picks the best set for this CPU. HIFM_KERNELS=generic
// forces the generic set; HIFM_KERNELS=avx2fma keeps the AVX2 GEMM
// micro-kernel on AVX-512 machines (same bits, for comparison).
func selectKernels() kernelSet {
	env := os.Getenv("HIFM_KERNELS")
	if env == "generic" {
		return generic
	}
	if env != "avx2fma" {
		if s, ok := accelerated512(); ok {
			return s
		}
	}
	if s, ok := accelerated(); ok {
		return s
	}
	return generic
}

// Name reports the kernel set in use: "avx2fma" or "generic".
func Name() string { return impl.name }

// GemmKernel describes the GEMM micro-kernel in use: "avx512 6x16",
// "avx2 6x8" or "go 6x8". Both assembly kernels give the same bits.
func GemmKernel() string { return impl.gemmName }

// CPUModel reports the processor's brand string ("" if unknown).
func CPUModel() string { return cpuid.CPU.BrandName }

// reportedFeatures are the instruction-set features relevant to numerical
// kernels, in the order Features lists them.
var reportedFeatures = []cpuid.FeatureID{
	cpuid.SSE2, cpuid.SSE3, cpuid.SSE4, cpuid.SSE42, cpuid.AVX, cpuid.AVX2,
	cpuid.FMA3, cpuid.OSXSAVE, cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512VL,
	cpuid.AVX512BW, cpuid.AVX512CD,
}

// Features lists the numerically relevant CPU features present ("AVX2",
// "FMA3", "AVX512F", ...), as detected by cpuid (which includes OS support
// for the wider registers).
func Features() []string {
	var out []string
	for _, f := range reportedFeatures {
		if cpuid.CPU.Supports(f) {
			out = append(out, f.String())
		}
	}
	return out
}

// Available reports the kernel sets this binary could use on this CPU, best
// first; the first one is used unless HIFM_KERNELS=generic.
func Available() []string {
	if s, ok := accelerated(); ok {
		return []string{s.name, generic.name}
	}
	return []string{generic.name}
}
