package imageops

import (
	"bytes"
	"image"
	"image/jpeg"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// measureAnalysis returns the bytes analyze allocates for a decoded picture.
func measureAnalysis(img image.Image) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	analyze(img)
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAnalysisWorkBytes: analysisWorkBytes bounds what analysis allocates beyond the decoded
// source, for JPEG (YCbCr) and RGBA sources of every shape, with and without faces (run with -v
// to see how close it is).
func TestAnalysisWorkBytes(t *testing.T) {
	sizes := [][2]int{{64, 64}, {320, 400}, {1024, 1024}, {1600, 500}, {500, 1600}, {2400, 1600}, {300, 2400}}
	if testing.Short() {
		sizes = sizes[:4]
	}
	for _, sz := range sizes {
		w, h := sz[0], sz[1]
		for _, kind := range []string{"jpeg", "rgba", "face"} {
			var img image.Image
			switch kind {
			case "jpeg":
				m, err := jpeg.Decode(bytes.NewReader(jpegBytes(t, exactPhoto(w, h), 85)))
				require.NoError(t, err)
				img = m
			case "rgba":
				img = exactPhoto(w, h)
			case "face":
				img = composition(t, max(w, 200), max(h, 200), image.Pt(0, 0))
			}
			b := img.Bounds()
			got := measureAnalysis(img)
			_, isJPEG := img.(*image.YCbCr)
			bound := analysisWorkBytes(b.Dx(), b.Dy(), isJPEG)
			t.Logf("%s %d×%d: allocated %d bytes, bound %d (%.1f×)", kind, b.Dx(), b.Dy(), got, bound, float64(bound)/float64(got))
			assert.LessOrEqual(t, int64(got), bound, "%s %d×%d", kind, b.Dx(), b.Dy())
		}
	}
	require.Positive(t, analysisWorkBytes(1, 1, true))
}

var tile512 = sync.OnceValue(func() *image.RGBA { return photoImage(512) })

// exactPhoto returns a w×h photo-like picture of its own (not a view into a larger one): the
// 512² photo-like picture, tiled.
func exactPhoto(w, h int) *image.RGBA {
	src := tile512()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := 0; x < w; x += 512 {
			copy(m.Pix[y*m.Stride+4*x:y*m.Stride+4*min(w, x+512)], src.Pix[(y%512)*src.Stride:])
		}
	}
	return m
}
