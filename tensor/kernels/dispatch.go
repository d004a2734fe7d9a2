package kernels

import (
	"os"
	"runtime"
)

// impl is the kernel set in use, chosen once at start-up.
var impl = selectKernels()

func selectKernels() kernelSet {
	if os.Getenv("HIFM_KERNELS") == "generic" {
		return generic
	}
	if s, ok := accelerated(); ok {
		return s
	}
	return generic
}

// Name reports the kernel set in use: "avx2fma" or "generic".
func Name() string { return impl.name }

// Arch reports GOARCH, for CPU reports.
func Arch() string { return runtime.GOARCH }
