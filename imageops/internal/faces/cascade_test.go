package faces

import (
	"image"
	"sort"
	"testing"

	pigo "github.com/esimov/pigo/core"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pigoDetect is what pigo itself finds with p: RunCascade, ClusterDetections, the MinQ filter,
// in DetectWith's order.
func pigoDetect(t testing.TB, pix []uint8, w, h int, p Params) []Face {
	pg, err := pigo.NewPigo().Unpack(facefinder)
	require.NoError(t, err)
	p = p.withDefaults()
	dets := pg.RunCascade(pigo.CascadeParams{MinSize: p.MinSize, MaxSize: min(w, h), ShiftFactor: p.ShiftFactor, ScaleFactor: p.ScaleFactor,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: w}}, 0)
	var out []Face
	for _, d := range pg.ClusterDetections(dets, p.IoU) {
		if d.Q >= p.MinQ {
			half := d.Scale / 2
			out = append(out, Face{image.Rect(d.Col-half, d.Row-half, d.Col-half+d.Scale, d.Row-half+d.Scale).Intersect(image.Rect(0, 0, w, h)), d.Q})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if area(out[i].Rect) != area(out[j].Rect) {
			return area(out[i].Rect) > area(out[j].Rect)
		}
		return out[i].Q > out[j].Q
	})
	return out
}

// TestDetectMatchesPigo: this package's loop and merging give pigo's faces (pigo sorts the raw
// detections with an unstable sort, so a merged score may differ in its last bits).
func TestDetectMatchesPigo(t *testing.T) {
	for _, size := range [][2]int{{80, 100}, {128, 160}, {320, 400}} {
		w, h := size[0], size[1]
		g := samplePhoto(t, w, h)
		for _, p := range []Params{Defaults, {ShiftFactor: 0.05, ScaleFactor: 1.05, MinQ: 0.1}, {ShiftFactor: 0.1, ScaleFactor: 1.1, MinQ: 5}} {
			want := pigoDetect(t, g, w, h, p)
			got := DetectWith(g, w, h, w, p)
			require.Len(t, got, len(want), "%d×%d %+v", w, h, p)
			require.NotEmpty(t, got)
			for i := range want {
				assert.Equal(t, want[i].Rect, got[i].Rect)
				assert.InDelta(t, want[i].Q, got[i].Q, 1e-3*float64(want[i].Q))
			}
		}
	}
}

func TestCascadeRawMatchesPigo(t *testing.T) {
	c := classifier()
	pg, err := pigo.NewPigo().Unpack(facefinder)
	require.NoError(t, err)
	w, h := 320, 400
	g := samplePhoto(t, w, h)
	want := pg.RunCascade(pigo.CascadeParams{MinSize: 20, MaxSize: 320, ShiftFactor: 0.07, ScaleFactor: 1.07,
		ImageParams: pigo.ImageParams{Pixels: g, Rows: h, Cols: w, Dim: w}}, 0)
	var got []pigo.Detection
	c.run(&scan{}, g, w, h, w, layout{minSize: 20, maxSize: 320, shiftFactor: 0.07, scaleFactor: 1.07}, c.trees, func(row, col, scale, _ int, q float32) {
		got = append(got, pigo.Detection{Row: row, Col: col, Scale: scale, Q: q})
	})
	require.NotEmpty(t, got)
	require.Equal(t, want, got)
}

func BenchmarkCascade(b *testing.B) {
	w, h := 320, 400
	g := samplePhoto(b, w, h)
	p := Params{ShiftFactor: 0.1, ScaleFactor: 1.1, MinQ: 5}
	b.Run("pigo", func(b *testing.B) {
		start := cpuTime()
		for range b.N {
			pigoDetect(b, g, w, h, p)
		}
		reportCPU(b, start)
	})
	b.Run("ours", func(b *testing.B) {
		start := cpuTime()
		for range b.N {
			DetectWith(g, w, h, w, p)
		}
		reportCPU(b, start)
	})
}

// TestCellWindows: CellWindows counts what a Scan looks at, cell by cell, and a Mask keeps the
// windows of its cells only.
func TestCellWindows(t *testing.T) {
	w, h := 203, 131
	g := make([]uint8, w*h)
	p := ScanParams{MinSize: 20, MaxSize: 60, ShiftFactor: 0.2, ScaleFactor: 1.2, Centred: true}
	counts, cols, rows := CellWindows(w, h, p, 16)
	require.Equal(t, [2]int{13, 9}, [2]int{cols, rows})
	seen := make([]int, cols*rows)
	var sc Scanner
	sc.Scan(g, w, h, w, p, func(win Window) {
		c := win.Rect.Min.Add(win.Rect.Max).Div(2)
		seen[min(c.Y/16, rows-1)*cols+min(c.X/16, cols-1)]++
	})
	assert.Equal(t, counts, seen)
	mask := &Mask{Cell: 16, Cols: cols, Rows: rows, Allowed: make([]bool, cols*rows)}
	mask.Allowed[3*cols+4], mask.Allowed[rows*cols-1] = true, true
	p.Mask = mask
	n := 0
	sc.Scan(g, w, h, w, p, func(Window) { n++ })
	assert.Equal(t, counts[3*cols+4]+counts[rows*cols-1], n)
}

// TestClassify: Classify gives what a Scan gives for the same window.
func TestClassify(t *testing.T) {
	w, h := 128, 160
	g := samplePhoto(t, w, h)
	var sc, one Scanner
	n := 0
	sc.Scan(g, w, h, w, ScanParams{MinSize: 20, ShiftFactor: 0.1, ScaleFactor: 1.1}, func(win Window) {
		c := win.Rect.Min.Add(image.Pt(win.Rect.Dx()/2, win.Rect.Dy()/2))
		passed, q := one.Classify(g, w, h, w, c, win.Rect.Dx())
		require.Equal(t, [2]any{win.Passed, win.Q}, [2]any{passed, q}, "%v", win.Rect)
		if passed == Trees() {
			n++
		}
	})
	assert.Positive(t, n, "some windows pass the whole cascade on the face")
	passed, _ := one.Classify(g, w, h, w, image.Pt(5, 5), 40)
	assert.Zero(t, passed, "a window that sticks out")
}
