package resize

import (
	"syscall"
	"time"
	"unsafe"
)

// threadCPU returns the processor time the calling OS thread has used. Benchmarks and the cost
// model's checks lock their goroutine to its thread and measure this rather than wall time:
// on a shared machine, wall time counts the waits for a core as well.
func threadCPU() time.Duration {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

const haveThreadCPU = true
