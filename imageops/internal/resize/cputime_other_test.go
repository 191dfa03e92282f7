//go:build !linux

package resize

import "time"

var processStart = time.Now()

// threadCPU stands in for the thread's processor time where it is not measured: wall time.
func threadCPU() time.Duration { return time.Since(processStart) }

const haveThreadCPU = false
