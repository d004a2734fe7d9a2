//go:build unix

package main

import "syscall"

// processCPUSeconds is the user + system CPU time of this process so far
// (-1 when unavailable): benchmarks report samples per CPU-second, which
// stays meaningful on a machine shared with other jobs.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
}
