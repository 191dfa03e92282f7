package faces

import (
	"image/jpeg"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// samplePhoto returns pigo's sample photo (../../testdata/pigo-sample.jpg, 320×400, one face)
// as w×h luma.
func samplePhoto(t testing.TB, w, h int) []uint8 {
	t.Helper()
	f, err := os.Open("../../testdata/pigo-sample.jpg")
	require.NoError(t, err)
	defer f.Close()
	img, err := jpeg.Decode(f)
	require.NoError(t, err)
	small := resize.Resize(img, w, h)
	g := make([]uint8, w*h)
	for i := range g {
		p := small.Pix[4*i:]
		g[i] = uint8((299*int(p[0]) + 587*int(p[1]) + 114*int(p[2])) / 1000)
	}
	return g
}

func TestDetectSample(t *testing.T) {
	for _, size := range [][2]int{{80, 100}, {128, 160}, {160, 200}} {
		w, h := size[0], size[1]
		fs := Detect(samplePhoto(t, w, h), w, h, w)
		require.Len(t, fs, 1, "%d×%d", w, h)
		r := fs[0].Rect
		c := r.Min.Add(r.Max).Div(2)
		// The face is in the middle of the photo, about 3/4 of its width.
		assert.InDelta(t, 0.49*float64(w), float64(c.X), 0.08*float64(w), "%d×%d: %v", w, h, r)
		assert.InDelta(t, 0.51*float64(h), float64(c.Y), 0.08*float64(h), "%d×%d: %v", w, h, r)
		assert.InDelta(t, 0.72, float64(r.Dx())/float64(w), 0.12, "%d×%d: %v", w, h, r)
		assert.Equal(t, r.Dx(), r.Dy(), "faces are squares")
		assert.GreaterOrEqual(t, fs[0].Q, Defaults.MinQ)
	}
}

func TestDetectStride(t *testing.T) {
	// The same picture inside a wider buffer.
	w, h := 128, 160
	g := samplePhoto(t, w, h)
	stride := w + 37
	buf := make([]uint8, stride*h)
	for y := range h {
		copy(buf[y*stride:], g[y*w:(y+1)*w])
	}
	assert.Equal(t, Detect(g, w, h, w), Detect(buf, w, h, stride))
}

func TestDetectNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]uint8, 160*160)
	for i := range noise {
		noise[i] = uint8(rng.IntN(256))
	}
	ramp := make([]uint8, 160*160)
	for i := range ramp {
		x, y := i%160, i/160
		ramp[i] = uint8((x*y/3 + x*3) % 256)
	}
	flat := make([]uint8, 160*160)
	for name, g := range map[string][]uint8{"noise": noise, "ramp": ramp, "flat": flat} {
		assert.Empty(t, Detect(g, 160, 160, 160), name)
	}
}

func TestDetectBadInput(t *testing.T) {
	g := make([]uint8, 100*100)
	assert.Nil(t, Detect(g, 0, 100, 100))
	assert.Nil(t, Detect(g, 100, 100, 99), "stride below width")
	assert.Nil(t, Detect(g[:50], 100, 100, 100), "short buffer")
	assert.Nil(t, Detect(g, 21, 21, 21), "smaller than the smallest face")
}

// TestDetectConcurrent runs Detect from several goroutines (with -race: the shared classifier
// is only read).
func TestDetectConcurrent(t *testing.T) {
	w, h := 80, 100
	g := samplePhoto(t, w, h)
	want := Detect(g, w, h, w)
	require.Len(t, want, 1)
	var wg sync.WaitGroup
	results := make([][]Face, 8)
	for i := range results {
		wg.Go(func() { results[i] = Detect(g, w, h, w) })
	}
	wg.Wait()
	for _, got := range results {
		assert.Equal(t, want, got)
	}
}
