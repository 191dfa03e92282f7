package imageops

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/png"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/HugoSmits86/nativewebp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured is what one call allocated and how much CPU it used.
type measured struct {
	bytes uint64
	cpu   time.Duration
}

// measure runs f with the collector stopped and returns what it allocated in all (TotalAlloc)
// and the CPU time the process used meanwhile.
func measure(f func()) measured {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	runtime.GC()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	c := processCPU()
	f()
	cpu := processCPU() - c
	runtime.ReadMemStats(&b)
	return measured{bytes: b.TotalAlloc - a.TotalAlloc, cpu: cpu}
}

// costSources returns sources of every layout the estimate tells apart, n px a side.
func costSources(t testing.TB, n int) map[string][]byte {
	photo := photoImage(n)
	srcs := map[string][]byte{
		"jpeg 4:2:0":       jpegBytes(t, photo, 90),
		"jpeg 4:2:0 w×h/3": jpegBytes(t, photo.SubImage(image.Rect(0, 0, n, n/3)), 90),
		"jpeg rotated":     withOrientation(jpegBytes(t, photo.SubImage(image.Rect(0, 0, n, n/2)), 90), 6),
	}
	gray := image.NewGray(photo.Rect)
	draw.Draw(gray, gray.Rect, photo, image.Point{}, draw.Src)
	srcs["jpeg gray"] = jpegBytes(t, gray, 90)
	srcs["png gray"] = pngBytes(t, gray)
	srcs["png rgb"] = pngBytes(t, photo)
	nrgba := image.NewNRGBA(photo.Rect)
	draw.Draw(nrgba, nrgba.Rect, photo, image.Point{}, draw.Src)
	for i := 3; i < len(nrgba.Pix); i += 4 * 7 {
		nrgba.Pix[i] = uint8(i)
	}
	srcs["png rgba"] = pngBytes(t, nrgba)
	wide := image.NewNRGBA64(photo.Rect)
	for y := range n {
		for x := range n {
			r, g, b, _ := photo.At(x, y).RGBA()
			wide.SetNRGBA64(x, y, color.NRGBA64{uint16(r) ^ uint16(x), uint16(g), uint16(b), 0xfff0 | uint16(y&15)})
		}
	}
	srcs["png rgba 16-bit"] = pngBytes(t, wide)
	var buf bytes.Buffer
	require.NoError(t, gif.Encode(&buf, photo, nil))
	srcs["gif"] = buf.Bytes()
	buf = bytes.Buffer{}
	require.NoError(t, gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, n/2, n/2), color.Palette{color.Black, color.White}), nil))
	g := buf.Bytes()
	g[6], g[7], g[8], g[9] = byte(n), byte(n>>8), byte(n), byte(n>>8) // a frame smaller than the screen
	srcs["gif partial frame"] = g
	if n <= 1024 {
		buf = bytes.Buffer{}
		require.NoError(t, nativewebp.Encode(&buf, nrgba, nil))
		srcs["webp lossless"] = buf.Bytes()
	}
	for _, f := range []string{"blue-purple-pink.lossy.webp", "yellow_rose.lossy-with-alpha.webp"} {
		b, err := os.ReadFile("testdata/" + f)
		require.NoError(t, err)
		srcs["webp "+f] = b
	}
	return srcs
}

// TestEstimateBoundsAllocations transforms sources of every layout with chains of every kind of
// step and checks that Estimate's Bytes bounds what the transform allocated in all, and is not
// far above it; it logs the CPU time against the estimate.
func TestEstimateBoundsAllocations(t *testing.T) {
	if raceEnabled {
		// The race detector's runtime allocates on its own account (shadow memory, larger
		// objects): what it measures is not what the estimate bounds.
		t.Skip("allocations are not the program's own under the race detector")
	}
	// The short form tries one combination in 97 at one small size, the default one in 11 at two
	// sizes, and the long form (AVATARKIT_COST=long, several minutes) every combination of
	// source, chain and format at three sizes.
	sizes, every := []int{97}, 97
	switch {
	case os.Getenv("AVATARKIT_COST") == "long":
		sizes, every = []int{97, 512, 1536}, 1
	case !testing.Short():
		sizes, every = []int{97, 512}, 11
	}
	i := 0
	chains := []string{
		"", "c_fill,w_200,h_200", "w_0.5", "c_scale,w_700", "c_pad,w_300,h_200,b_red", "c_crop,w_60,h_40",
		"w_300/e_blur:1", "w_300/e_blur:2000", "w_300/e_sharpen:300", "e_grayscale", "e_sepia", "e_pixelate:9",
		"w_200/r_max", "r_20", "bo_5px_solid_red", "a_90", "c_thumb,g_face,w_100,h_100",
		"c_fill,w_400,h_300/e_sharpen/r_20/bo_2px_solid_blue/a_270", "w_250,f_auto",
		"w_300/e_unsharp_mask:2000", "w_300/e_vibrance", "w_200/e_outline:20", "w_200/r_max/e_shadow",
		"w_300/a_-20", "e_trim", "w_300/e_vignette/e_improve", "c_pad,b_auto,h_100,w_300", "a_ignore/w_200",
	}
	// The WebAssembly encoders compile once per process, a cost the estimate leaves out.
	WarmUp(WebP, AVIF)
	var ratios []float64
	for _, n := range sizes {
		for name, src := range costSources(t, n) {
			for _, tr := range chains {
				for _, ext := range []Format{JPEG, PNG, GIF, WebP} {
					if i++; i%every != 0 || ext == WebP && n > 512 {
						continue
					}
					c := mustChain(t, tr)
					opt := Options{}
					if c.FormatAuto() {
						opt.Accept = []Format{WebP, PNG, JPEG}
					}
					est, err := Estimate(src, c, ext, Limits{}, opt)
					var out *Output
					var terr error
					m := measure(func() { out, terr = TransformWith(context.Background(), src, c, ext, Limits{}, opt) })
					label := fmt.Sprintf("%d %s %q %s", n, name, tr, formatName(ext))
					if err != nil {
						assert.Error(t, terr, label)
						assert.Equal(t, err.Error(), terr.Error(), label)
						continue
					}
					require.NoError(t, terr, label)
					_ = out
					assert.LessOrEqual(t, m.bytes, uint64(est.Bytes), "%s: allocated %d, estimated %d", label, m.bytes, est.Bytes)
					ratios = append(ratios, float64(est.Bytes)/float64(m.bytes))
					if m.bytes > 1<<20 && float64(est.Bytes) > 3*float64(m.bytes) {
						t.Logf("%s: estimate %.1f MiB is %.1f× the %.1f MiB allocated", label, mib(est.Bytes), float64(est.Bytes)/float64(m.bytes), mib(int64(m.bytes)))
					}
					if testing.Verbose() && m.cpu > 20*time.Millisecond {
						t.Logf("%s: cpu %v, estimated %v (%.2f)", label, m.cpu.Round(time.Millisecond), est.CPU.Round(time.Millisecond), float64(m.cpu)/float64(est.CPU))
					}
				}
			}
		}
	}
	slices.Sort(ratios)
	t.Logf("estimate/allocated over %d transforms: min %.2f, median %.2f, 90th %.2f", len(ratios), ratios[0], ratios[len(ratios)/2], ratios[len(ratios)*9/10])
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// TestEstimateAnalysisBounds checks EstimateAnalysis against Analyze.
func TestEstimateAnalysisBounds(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not the program's own under the race detector")
	}
	n := 512
	if testing.Short() {
		n = 128
	}
	for name, src := range costSources(t, n) {
		est, err := EstimateAnalysis(src, Limits{})
		require.NoError(t, err, name)
		m := measure(func() {
			_, err = Analyze(context.Background(), src, Limits{})
		})
		require.NoError(t, err, name)
		assert.LessOrEqual(t, m.bytes, uint64(est.Bytes), "%s: allocated %d, estimated %d", name, m.bytes, est.Bytes)
	}
}

// TestEstimateRefusesLikeTransform: what Transform refuses before decoding, Estimate refuses
// with the same error, reading the header only.
func TestEstimateRefusesLikeTransform(t *testing.T) {
	src := pngBytes(t, quadImage(100, 50))
	for _, tr := range []string{"w_3000", "c_crop,w_10,h_10,x_500", "a_90/w_0.5/w_30.0"} {
		c, err := ParseChain([]string{tr})
		if err != nil {
			continue
		}
		_, eerr := Estimate(src, c, PNG, Limits{}, Options{})
		_, terr := Transform(context.Background(), src, c, PNG, Limits{})
		if terr == nil {
			assert.NoError(t, eerr, tr)
			continue
		}
		assert.EqualError(t, eerr, terr.Error(), tr)
	}
	_, err := Estimate([]byte("not an image"), Chain{}, PNG, Limits{}, Options{})
	assert.ErrorContains(t, err, "not a JPEG, PNG, GIF or WebP")
}

func TestHeaderLayouts(t *testing.T) {
	photo := photoImage(64)
	jl := func(b []byte) layout {
		info, err := inspect(b, Limits{}.WithDefaults())
		require.NoError(t, err)
		return info.layout
	}
	assert.Equal(t, layout{components: 3, scans: 1, hmax: 2, vmax: 2, chroma: 1}, jl(jpegBytes(t, photo, 90)), "4:2:0")
	gray := image.NewGray(photo.Rect)
	assert.Equal(t, 1, jl(jpegBytes(t, gray, 90)).components)
	l := pngLayout(pngBytes(t, gray))
	assert.Equal(t, layout{bitDepth: 8, colorType: 0}, l)
	l = pngLayout(pngBytes(t, image.NewNRGBA64(photo.Rect)))
	assert.Equal(t, 16, l.bitDepth)
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, photo))
	assert.Equal(t, layout{bitDepth: 8, colorType: 2}, pngLayout(buf.Bytes()))
	for _, junk := range [][]byte{nil, []byte("\x89PNG\r\n\x1a\n"), []byte("RIFF....WEBPVP8X")} {
		readLayout(junk, sniff(junk)) // never panics
	}
}

// TestFormatAutoLeavesOutWhatDoesNotFit: f_auto on a large picture compares only the encodings
// that fit the limits, instead of refusing the picture because one of them would not (a
// lossless WebP takes some 90 bytes a pixel: 44 MiB at 700², more than this test's 24 MiB).
func TestFormatAutoLeavesOutWhatDoesNotFit(t *testing.T) {
	src := pngBytes(t, photoImage(700)) // a PNG: its WebP would be lossless
	c := mustChain(t, "f_auto")
	lim := Limits{MaxWorkBytes: 24 << 20}
	opt := Options{Accept: []Format{WebP, PNG, JPEG}}
	est, err := Estimate(src, c, JPEG, lim, opt)
	require.NoError(t, err)
	assert.LessOrEqual(t, est.Bytes, int64(24<<20))
	out, err := TransformWith(context.Background(), src, c, JPEG, lim, opt)
	require.NoError(t, err)
	assert.NotEqual(t, WebP, out.Format, "WebP would not fit, so it was not tried")

	// Small, every format fits and the smallest wins as before.
	small := jpegBytes(t, photoImage(64), 85)
	_, auto, err := estimate(small, c, JPEG, lim.WithDefaults(), opt)
	require.NoError(t, err)
	assert.Equal(t, []Format{WebP, PNG, JPEG}, auto)
	_, auto, err = estimate(small, c, JPEG, lim.WithDefaults(), Options{Accept: []Format{GIF, JPEG, GIF}})
	require.NoError(t, err)
	assert.Equal(t, []Format{JPEG}, auto, "GIF only when nothing else is acceptable")
}
