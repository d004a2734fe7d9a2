//go:build amd64 && !purego

package kernels

// accelerated returns the AVX2+FMA set when the CPU and OS support it.
// TODO(kernels): assembly twins; until then the generic set.
func accelerated() (kernelSet, bool) { return kernelSet{}, false }
