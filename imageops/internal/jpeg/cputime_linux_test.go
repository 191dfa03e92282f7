package jpeg

import (
	"syscall"
	"testing"
)

// processCPU returns the CPU time (user and system) the process has used so far.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reportCPU runs f b.N times and reports, besides the wall time, the process's CPU time per
// operation ("cpu-ns/op"): on a machine shared with other work, the wall time measures the
// waiting too, the CPU time does not.
func reportCPU(b *testing.B, f func()) {
	start := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(processCPU()-start)/float64(n), "cpu-ns/op")
}
