package imageops

import (
	"image"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEffects measures the finishing touches the SDK grammar added, alone (no decode,
// resize or encode), on a 1024² photo-like picture: ns per output pixel, and the bytes allocated
// (B/op; divide by outpx for bytes per pixel). Each effect is measured at both ends of its
// strength, to show that its cost does not grow with it. "copy" is the 4 MiB copy each
// iteration makes of the input (the effects work in place), included in every row.
// Results and the command are in BENCHMARKS.md.
func BenchmarkEffects(b *testing.B) {
	const n = 1024
	photo := photoImage(n)
	// A copy with a 10 % white frame, for e_trim to cut.
	framed := image.NewRGBA(photo.Rect)
	copy(framed.Pix, photo.Pix)
	for y := range n {
		for x := range n {
			if x < n/10 || y < n/10 || x >= n-n/10 || y >= n-n/10 {
				copy(framed.Pix[y*framed.Stride+4*x:], []uint8{255, 255, 255, 255})
			}
		}
	}
	for _, tr := range []string{
		"copy",
		"e_vibrance:1", "e_vibrance:100",
		"e_unsharp_mask:1", "e_unsharp_mask:2000",
		"e_vignette:1", "e_vignette:100",
		"e_blackwhite:0", "e_blackwhite:100",
		"e_improve:1", "e_improve:indoor",
		"e_auto_brightness", "e_auto_contrast", "e_auto_color",
		"e_tint:1:red", "e_tint:equalize:100:red:blue:yellow:green:white",
		"co_red,e_colorize:1", "co_red,e_colorize:100",
		"e_outline:inner:1", "e_outline:inner:100", "e_outline:outer:1", "e_outline:outer:100", "e_outline:outer:5:2000",
		"e_shadow:0,x_0,y_0", "e_shadow:100,x_100,y_-100",
		"e_trim:0", "e_trim:100",
		"a_1", "a_45", "a_-20",
		"b_auto,c_pad,h_1024,w_1024", "b_auto:predominant,c_pad,h_1024,w_1024",
	} {
		b.Run(tr, func(b *testing.B) {
			src := photo
			if strings.HasPrefix(tr, "e_trim") {
				src = framed
			}
			var p plan
			if tr != "copy" {
				plans, err := planChain(mustChain(b, tr), n, n, Limits{}.WithDefaults(), nil)
				if err != nil {
					b.Fatal(err)
				}
				p = plans[0]
			}
			in := image.NewRGBA(src.Rect)
			var out image.Image
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				copy(in.Pix, src.Pix)
				if tr == "copy" {
					out = in
					continue
				}
				if p.trim {
					out = in.SubImage(trimRect(in, p.effect))
					continue
				}
				out = apply(in, p)
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			px := out.Bounds().Dx() * out.Bounds().Dy()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(px), "ns/px")
			// CPU time tells the cost on a shared, loaded machine better than the wall clock.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(px), "cpu-ns/px")
			b.ReportMetric(float64(px), "outpx")
		})
	}
}
