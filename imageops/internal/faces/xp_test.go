package faces

import (
	"testing"

	pigo "github.com/esimov/pigo/core"
)

func BenchmarkXPScan(b *testing.B) {
	w, h := 320, 400
	g := samplePhoto(b, w, h)
	tex := make([]uint8, len(g))
	for y := range h {
		copy(tex[y*w:], g[((y*37)%h)*w:((y*37)%h+1)*w])
	}
	b.Run("ours", func(b *testing.B) {
		var sc Scanner
		n := 0
		start := cpuTime()
		for range b.N {
			sc.Scan(tex, w, h, w, ScanParams{MinSize: 20, ShiftFactor: 0.2, ScaleFactor: 1.2, MinTrees: 0}, func(Window) { n++ })
		}
		reportCPU(b, start)
		b.ReportMetric(float64(n)/float64(b.N), "windows")
	})
	b.Run("pigo", func(b *testing.B) {
		pg, _ := pigo.NewPigo().Unpack(facefinder)
		start := cpuTime()
		for range b.N {
			pg.RunCascade(pigo.CascadeParams{MinSize: 20, MaxSize: 320, ShiftFactor: 0.2, ScaleFactor: 1.2, ImageParams: pigo.ImageParams{Pixels: tex, Rows: h, Cols: w, Dim: w}}, 0)
		}
		reportCPU(b, start)
	})
}
