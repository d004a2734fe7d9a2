//go:build !unix

package flow

import "time"

// cpuTime is unavailable here: the cpu-ns metrics read 0.
func cpuTime() time.Duration { return 0 }
