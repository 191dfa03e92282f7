//go:build !linux

package jpeg

import "testing"

// reportCPU runs f b.N times (the CPU time is measured on Linux only).
func reportCPU(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
