//go:build !amd64 || purego

package kernels

// accelerated reports no accelerated set where no assembly is compiled.
func accelerated() (kernelSet, bool) { return kernelSet{}, false }

// accelerated512 reports no AVX-512 GEMM where no assembly is compiled.
func accelerated512() (kernelSet, bool) { return kernelSet{}, false }
