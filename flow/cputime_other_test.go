//go:build !unix

package flow

import "time"

// cpuTime is unavailable here: the benchmarks leave their CPU metrics out.
func cpuTime() (time.Duration, bool) { return 0, false }
