//go:build !linux

package faces

import (
	"testing"
	"time"
)

// cpuTime is the process's CPU time where the system reports it (Linux); elsewhere benchmarks
// report no CPU time.
func cpuTime() time.Duration { return 0 }

func reportCPU(*testing.B, time.Duration) {}
