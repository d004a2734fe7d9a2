//go:build !unix

package rk45

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
