//go:build unix

package experiments

import "syscall"

// cpuSeconds is the process's user + system CPU time: benchmarks report
// throughput per CPU second too, which is less sensitive than wall time to
// other processes sharing the machine.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
