package faces

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used (user and system), which depends much less on
// what else the machine runs than the wall-clock time benchmarks measure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since start per iteration, as "cpu-ms/op".
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
