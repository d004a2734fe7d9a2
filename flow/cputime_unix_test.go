//go:build unix

package flow

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time (benchmarks report it
// beside wall time because other processes may share the cores).
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
