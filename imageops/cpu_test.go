package imageops

import (
	"testing"
	"time"
)

// reportCPU reports the CPU time the process used since start (cpuTime) per iteration, as
// "cpu-ms/op": it depends much less on what else the machine runs than the wall-clock time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
