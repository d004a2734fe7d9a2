//go:build !unix

package experiments

func cpuSeconds() float64 { return 0 }
