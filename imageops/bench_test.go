package imageops

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
	pigo "github.com/esimov/pigo/core"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops/internal/faces"
	"github.com/avatarkit/avatarkit/imageops/internal/resize"
	"github.com/avatarkit/avatarkit/internal/facephotos"
)

// photoImage returns a deterministic n×n photo-like image: smooth gradients, soft and hard-edged
// shapes, a zone plate (fine rings that alias when resized badly) and fine noise.
func photoImage(n int) *image.RGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, n, n))
	type disc struct {
		cx, cy, r float64
		c         [3]float64
		soft      bool
	}
	var discs []disc
	for range 12 {
		discs = append(discs, disc{
			cx: rng.Float64() * float64(n), cy: rng.Float64() * float64(n), r: (0.04 + 0.12*rng.Float64()) * float64(n),
			c:    [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255},
			soft: rng.IntN(2) == 0,
		})
	}
	fn := float64(n)
	zx, zy, zr := 0.72*fn, 0.3*fn, 0.2*fn
	for y := range n {
		for x := range n {
			fx, fy := float64(x), float64(y)
			c := [3]float64{
				40 + 150*fx/fn + 30*math.Sin(fy/fn*7),
				60 + 120*fy/fn,
				90 + 80*math.Sin((fx+fy)/fn*4),
			}
			for _, d := range discs {
				dist := math.Hypot(fx-d.cx, fy-d.cy)
				a := 0.0
				if d.soft {
					a = math.Max(0, 1-dist/d.r) * 0.8
				} else if dist < d.r {
					a = 0.9
				}
				for i := range c {
					c[i] = c[i]*(1-a) + d.c[i]*a
				}
			}
			if d := math.Hypot(fx-zx, fy-zy); d < zr { // zone plate
				v := 127.5 + 127.5*math.Cos(math.Pi*d*d/(2*zr))
				for i := range c {
					c[i] = c[i]*0.3 + v*0.7
				}
			}
			o := m.PixOffset(x, y)
			for i := range c {
				v := c[i] + rng.NormFloat64()*6
				m.Pix[o+i] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
			m.Pix[o+3] = 0xff
		}
	}
	return m
}

// benchPhoto returns photoImage(n) as a quality-90 JPEG.
func benchPhoto(t testing.TB, n int) []byte {
	return jpegBytes(t, photoImage(n), 90)
}

const benchChain = "c_fill,w_200,h_200"

// imagingFill is what willnorris/imageproxy does for a fill: image.Decode, imaging.Fill with
// Lanczos, jpeg.Encode of the *image.NRGBA result.
func imagingFill(src []byte) (image.Image, []byte, error) {
	img, _, err := image.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, nil, err
	}
	out := imaging.Fill(img, 200, 200, imaging.Center, imaging.Lanczos)
	var buf bytes.Buffer
	err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: DefaultQuality})
	return out, buf.Bytes(), err
}

// BenchmarkColdTransform: a 1024² photo-like JPEG, fill 200×200, encoded as JPEG (quality 82).
func BenchmarkColdTransform(b *testing.B) {
	src := benchPhoto(b, 1024)
	chain := mustChain(b, benchChain)
	ctx := context.Background()
	b.Run("avatarkit", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := Transform(ctx, src, chain, JPEG, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("imaging", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, _, err := imagingFill(src); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// lanczos3Reference resizes img to w×h with an exact, float64, separable Lanczos-3 filter whose
// support widens with the reduction factor (no aliasing), on the sRGB values — the quality
// reference for resizers.
func lanczos3Reference(img image.Image, w, h int) [][3]float64 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	src := make([][3]float64, sw*sh)
	for y := range sh {
		for x := range sw {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			src[y*sw+x] = [3]float64{float64(c.R), float64(c.G), float64(c.B)}
		}
	}
	lanczos := func(x float64) float64 {
		x = math.Abs(x)
		switch {
		case x == 0:
			return 1
		case x >= 3:
			return 0
		}
		px := math.Pi * x
		return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
	}
	// weights for resizing n samples to m
	type tap struct {
		start int
		w     []float64
	}
	weights := func(n, m int) []tap {
		scale := float64(n) / float64(m)
		fscale := math.Max(scale, 1)
		taps := make([]tap, m)
		for i := range m {
			center := (float64(i)+0.5)*scale - 0.5
			lo := int(math.Floor(center - 3*fscale))
			hi := int(math.Ceil(center + 3*fscale))
			var ws []float64
			sum := 0.0
			for j := lo; j <= hi; j++ {
				v := lanczos((float64(j) - center) / fscale)
				ws = append(ws, v)
				sum += v
			}
			for k := range ws {
				ws[k] /= sum
			}
			taps[i] = tap{lo, ws}
		}
		return taps
	}
	clampIdx := func(i, n int) int { return min(max(i, 0), n-1) }
	hx := weights(sw, w)
	tmp := make([][3]float64, w*sh)
	for y := range sh {
		for x, tp := range hx {
			var acc [3]float64
			for k, wt := range tp.w {
				s := src[y*sw+clampIdx(tp.start+k, sw)]
				for c := range acc {
					acc[c] += wt * s[c]
				}
			}
			tmp[y*w+x] = acc
		}
	}
	vy := weights(sh, h)
	out := make([][3]float64, w*h)
	for y, tp := range vy {
		for x := range w {
			var acc [3]float64
			for k, wt := range tp.w {
				s := tmp[clampIdx(tp.start+k, sh)*w+x]
				for c := range acc {
					acc[c] += wt * s[c]
				}
			}
			for c := range acc {
				acc[c] = math.Max(0, math.Min(255, acc[c]))
			}
			out[y*w+x] = acc
		}
	}
	return out
}

// meanAbsDiff returns the mean absolute difference per channel (0–255) between img and ref.
func meanAbsDiff(img image.Image, ref [][3]float64) float64 {
	b := img.Bounds()
	sum := 0.0
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			r := ref[y*b.Dx()+x]
			sum += math.Abs(float64(c.R)-r[0]) + math.Abs(float64(c.G)-r[1]) + math.Abs(float64(c.B)-r[2])
		}
	}
	return sum / float64(3*b.Dx()*b.Dy())
}

// TestColdTransformQuality reports how close avatarkit's and imaging's 200×200 fills of the
// benchmark photo are to an exact Lanczos-3 resize, before and after JPEG encoding.
// Run with -v to see the numbers.
func TestColdTransformQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	src := benchPhoto(t, 1024)
	decoded, err := jpeg.Decode(bytes.NewReader(src))
	require.NoError(t, err)
	ref := lanczos3Reference(decoded, 200, 200) // square source: fill is a plain resize

	// avatarkit: the resized image before encoding, and the encoded output.
	info, err := inspect(src, Limits{}.WithDefaults())
	require.NoError(t, err)
	plans, err := planChain(mustChain(t, benchChain), info.width, info.height, Limits{}.WithDefaults(), nil)
	require.NoError(t, err)
	img, err := decode(src, info, 1)
	require.NoError(t, err)
	for _, p := range plans {
		img = apply(img, p)
	}
	out := run(t, src, benchChain, JPEG)
	ours := decodeAny(t, out)

	imgImaging, encImaging, err := imagingFill(src)
	require.NoError(t, err)
	theirs, err := jpeg.Decode(bytes.NewReader(encImaging))
	require.NoError(t, err)

	oursRaw, oursJPEG := meanAbsDiff(img, ref), meanAbsDiff(ours, ref)
	imgRaw, imgJPEG := meanAbsDiff(imgImaging, ref), meanAbsDiff(theirs, ref)
	t.Logf("mean abs diff per channel vs exact Lanczos3 (0-255): avatarkit %.3f before encoding, %.3f as JPEG q82 (%d bytes); imaging %.3f before encoding, %.3f as JPEG q82 (%d bytes)",
		oursRaw, oursJPEG, len(out.Bytes), imgRaw, imgJPEG, len(encImaging))
	require.Less(t, oursRaw, 4.0, "the resizer is far from Lanczos quality")
}

// facePhoto returns the pigo sample photo (testdata/pigo-sample.jpg, 320×400) cut to a square
// around the face and scaled to n×n, as a quality-90 JPEG: a real face filling a profile
// picture.
func facePhoto(t testing.TB, n int) []byte {
	t.Helper()
	src, err := os.ReadFile("testdata/pigo-sample.jpg")
	require.NoError(t, err)
	img, err := jpeg.Decode(bytes.NewReader(src))
	require.NoError(t, err)
	sq := img.(*image.YCbCr).SubImage(image.Rect(0, 40, 320, 360))
	return jpegBytes(t, resize.Resize(sq, n, n), 90)
}

// BenchmarkFaceThumb: a cold c_thumb,g_face,w_200,h_200 of a 1024² photo of a face (decode,
// face detection, crop, resize, encode) against c_fill,g_center of the same size, and the same
// thumbnail with the Analysis already known (what a cache does for the second size of one
// avatar), and Analyze alone.
func BenchmarkFaceThumb(b *testing.B) {
	src := facePhoto(b, 1024)
	ctx := context.Background()
	fill := mustChain(b, "c_fill,g_center,w_200,h_200")
	thumb := mustChain(b, "c_thumb,g_face,w_200,h_200")
	a, err := Analyze(ctx, src, Limits{})
	require.NoError(b, err)
	require.Len(b, a.Faces, 1)
	for _, bc := range []struct {
		name  string
		chain Chain
		opt   Options
	}{
		{"fill_center", fill, Options{}},
		{"thumb_face", thumb, Options{}},
		{"thumb_face_analysed", thumb, Options{Analysis: a}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for range b.N {
				if _, err := TransformWith(ctx, src, bc.chain, JPEG, Limits{}, bc.opt); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
	b.Run("analyze", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime()
		for range b.N {
			if _, err := Analyze(ctx, src, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
}

// BenchmarkColdTransformAuto: the cold f_auto thumbnail, a 1024² photo-like JPEG →
// c_fill,w_200,h_200,f_auto, for a browser that accepts AVIF (Chrome, Firefox, Safari 16), one
// that accepts WebP but not AVIF, and one that names neither (Safari 13, curl): AVIF, lossy WebP
// and JPEG at the same visual quality (q_auto's default, JPEG quality 80 and its equivalents).
// It reports the process's CPU per transform (cpu-ns/op, which load on a shared machine does
// not inflate as it does ns/op), the bytes served and their SSIM against the same thumbnail
// unencoded (the PNG).
func BenchmarkColdTransformAuto(b *testing.B) {
	WarmUp(WebP, AVIF)
	src := benchPhoto(b, 1024)
	chain := mustChain(b, benchChain+",q_auto/f_auto")
	ctx := context.Background()
	ref := decodeAny(b, run(b, src, benchChain, PNG))
	for _, c := range []struct {
		name   string
		accept []Format
	}{
		{"avif", []Format{AVIF, WebP, PNG, JPEG, GIF}},
		{"webp", []Format{WebP, PNG, JPEG, GIF}},
		{"jpeg", []Format{PNG, JPEG, GIF}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var out *Output
			cpu0 := processCPU()
			for range b.N {
				var err error
				if out, err = TransformWith(ctx, src, chain, FormatOriginal, Limits{}, Options{Accept: c.accept}); err != nil {
					b.Fatal(err)
				}
			}
			cpu := processCPU() - cpu0
			b.StopTimer()
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(out.Bytes)), "out-bytes")
			b.ReportMetric(ssim(ref, decodeAny(b, out)), "ssim")
		})
	}
}

// grayCopy (the previous analyses' grayscale copy, kept for them and for the careful
// reference of the evaluation) returns img scaled to dw×dh as luma, one byte per pixel, row by row. A JPEG's Y plane
// is used directly (it already is the luma); other images are resized in colour, then converted.
func grayCopy(img image.Image, dw, dh int) []uint8 {
	var small *image.RGBA
	if y, ok := img.(*image.YCbCr); ok {
		b := y.Bounds()
		plane := &image.Gray{Pix: y.Y[y.YOffset(b.Min.X, b.Min.Y):], Stride: y.YStride, Rect: image.Rect(0, 0, b.Dx(), b.Dy())}
		small = resize.Resize(plane, dw, dh)
	} else {
		small = resize.Resize(img, dw, dh)
	}
	g := make([]uint8, dw*dh)
	for i := range g {
		p := small.Pix[4*i : 4*i+3]
		g[i] = uint8((19595*uint32(p[0]) + 38470*uint32(p[1]) + 7471*uint32(p[2]) + 1<<15) >> 16)
	}
	return g
}

// oldEnergyGrid is energyGrid as the previous analysis had it (a division per pixel).
func oldEnergyGrid(g []uint8, w, h int) Energy {
	long := max(w, h)
	cols := max(1, min(w, int(math.Round(float64(energyCells*w)/float64(long)))))
	rows := max(1, min(h, int(math.Round(float64(energyCells*h)/float64(long)))))
	sums := make([]float64, cols*rows)
	for y := 1; y < h-1; y++ {
		j := y * rows / h
		for x := 1; x < w-1; x++ {
			i := x * cols / w
			dx := int(g[y*w+x+1]) - int(g[y*w+x-1])
			dy := int(g[(y+1)*w+x]) - int(g[(y-1)*w+x])
			sums[j*cols+i] += math.Sqrt(float64(dx*dx + dy*dy))
		}
	}
	// Cells may differ in size by a pixel: compare densities.
	top := 0.0
	for j := range rows {
		for i := range cols {
			cw := (i+1)*w/cols - i*w/cols
			ch := (j+1)*h/rows - j*h/rows
			sums[j*cols+i] /= float64(max(1, cw*ch))
			top = math.Max(top, sums[j*cols+i])
		}
	}
	e := Energy{Cols: cols, Rows: rows, Cells: make([]uint8, cols*rows)}
	if top > 0 {
		for k, v := range sums {
			e.Cells[k] = uint8(math.Round(v / top * 255))
		}
	}
	return e
}

// oldAnalyze is the analysis as it was before faces were searched by the short side (kept to
// compare costs in one run): one grayscale copy of at most 160×160 px worth of area and 320 px
// on the long side, pigo's coarse search, and the detail grid.
func oldAnalyze(img image.Image) *Analysis {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	a := &Analysis{Width: w, Height: h}
	s := math.Min(1, math.Min(math.Sqrt(160*160/(float64(w)*float64(h))), 320/float64(max(w, h))))
	dw, dh := max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s)))
	gray := grayCopy(img, dw, dh)
	for _, f := range oldDetect(gray, dw, dh) {
		a.Faces = append(a.Faces, scaleRect(f, 1/s))
	}
	a.Energy = oldEnergyGrid(gray, dw, dh)
	return a
}

// oldPigo is pigo's own detector on its cascade, as the previous analysis ran it.
var oldPigo = sync.OnceValue(func() *pigo.Pigo {
	p, err := pigo.NewPigo().Unpack(faces.Cascade())
	if err != nil {
		panic(err)
	}
	return p
})

// oldDetect is the previous analysis' detection: pigo's RunCascade with the previous defaults
// (windows from 20 px, every 15 % of their side, sides 15 % apart), its ClusterDetections, and
// merged scores of at least 8.
func oldDetect(pix []uint8, w, h int) []image.Rectangle {
	if min(w, h) < 22 {
		return nil
	}
	pg := oldPigo()
	dets := pg.RunCascade(pigo.CascadeParams{MinSize: 20, MaxSize: min(w, h), ShiftFactor: 0.15, ScaleFactor: 1.15,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: w}}, 0)
	var out []image.Rectangle
	for _, d := range pg.ClusterDetections(dets, 0.2) {
		if d.Q >= 8 {
			half := d.Scale / 2
			out = append(out, image.Rect(d.Col-half, d.Row-half, d.Col-half+d.Scale, d.Row-half+d.Scale).Intersect(image.Rect(0, 0, w, h)))
		}
	}
	return out
}

// BenchmarkAnalysis: the analysis of a decoded picture (no decode), today's against the one
// before, on a 1024² photograph of a face (the pigo sample, as in BenchmarkFaceThumb), a 1024²
// photo-like picture without a face, and a 1600×500 banner made of a real photograph at its left
// end (internal/facephotos, caire-sample) on a backdrop without people.
func BenchmarkAnalysis(b *testing.B) {
	decoded := func(src []byte) image.Image {
		info, err := inspect(src, Limits{}.WithDefaults())
		require.NoError(b, err)
		img, err := decode(src, info, 1)
		require.NoError(b, err)
		return img
	}
	caire, _ := facephotos.Lookup("caire-sample.jpg")
	back, _ := facephotos.Lookup("opencv-building.jpg")
	photo := resize.Resize(caire.Image(), 750, 500)
	banner, _ := placement(photo, back.Image(), nil, false, false)
	bannerCut := banner.SubImage(image.Rect(0, 0, 1600, 500))
	pictures := []struct {
		name string
		img  image.Image
	}{
		{"face1024", decoded(facePhoto(b, 1024))},
		{"noface1024", decoded(benchPhoto(b, 1024))},
		{"banner1600x500", decoded(jpegBytes(b, bannerCut, 90))},
	}
	for _, p := range pictures {
		for _, v := range []struct {
			name string
			fn   func(image.Image) *Analysis
		}{{"before", oldAnalyze}, {"now", analyze}} {
			b.Run(p.name+"/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				start := cpuTime()
				for range b.N {
					v.fn(p.img)
				}
				reportCPU(b, start)
			})
		}
	}
}

// BenchmarkAnalysisLarge: the analysis of the largest source the default limits accept (50 MP,
// 8660×5773), decoded at full size (a YCbCr picture, 75 MB) and at 1/8 (1083×722, what a JPEG
// decoder scaling its DCT gives, at least analysisShortSide on the short side), with the memory
// analysisWorkBytes allows for each.
func BenchmarkAnalysisLarge(b *testing.B) {
	tile := decodedJPEG(b, benchPhoto(b, 1024)).(*image.YCbCr)
	for _, size := range [][2]int{{8660, 5773}, {1083, 722}} {
		w, h := size[0], size[1]
		m := image.NewYCbCr(image.Rect(0, 0, w, h), tile.SubsampleRatio)
		for y := range h {
			copy(m.Y[y*m.YStride:(y+1)*m.YStride], tile.Y[(y%1024)*tile.YStride:])
		}
		for y := range (h + 1) / 2 {
			copy(m.Cb[y*m.CStride:(y+1)*m.CStride], tile.Cb[(y%512)*tile.CStride:])
			copy(m.Cr[y*m.CStride:(y+1)*m.CStride], tile.Cr[(y%512)*tile.CStride:])
		}
		b.Run(fmt.Sprintf("%dx%d", w, h), func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(analysisWorkBytes(w, h, true)), "bound-B")
			start := cpuTime()
			for range b.N {
				analyzeAt(m, 8660, 5773)
			}
			reportCPU(b, start)
		})
	}
}

// decodedJPEG decodes src as Analyze does.
func decodedJPEG(t testing.TB, src []byte) image.Image {
	info, err := inspect(src, Limits{}.WithDefaults())
	require.NoError(t, err)
	img, err := decode(src, info, 1)
	require.NoError(t, err)
	return img
}

// interleaved runs each of fns once per iteration, in turn, and reports the median CPU time of
// each (named by names, "cpu-ms/<name>") and the ratio of each median to the first's
// ("ratio-<name>"): measured side by side, the ratios hold on a machine whose load changes, where
// whole benchmarks run one after the other do not.
func interleaved(b *testing.B, names []string, fns []func()) {
	times := make([][]float64, len(fns))
	for range b.N {
		for i, fn := range fns {
			start := cpuTime()
			fn()
			times[i] = append(times[i], float64((cpuTime()-start).Microseconds())/1000)
		}
	}
	med := make([]float64, len(fns))
	for i, ts := range times {
		sort.Float64s(ts)
		med[i] = ts[len(ts)/2]
		b.ReportMetric(med[i], "cpu-ms/"+names[i])
		if i > 0 {
			b.ReportMetric(med[i]/med[0], "ratio-"+names[i])
		}
	}
}

// BenchmarkFaceRatios measures the budgets of face detection side by side (see interleaved):
// the analysis against the previous one on the pictures of BenchmarkAnalysis, and the cold
// c_thumb,g_face thumbnail of BenchmarkFaceThumb against c_fill,g_center.
func BenchmarkFaceRatios(b *testing.B) {
	caire, _ := facephotos.Lookup("caire-sample.jpg")
	back, _ := facephotos.Lookup("opencv-building.jpg")
	banner, _ := placement(resize.Resize(caire.Image(), 750, 500), back.Image(), nil, false, false)
	for _, p := range []struct {
		name string
		img  image.Image
	}{
		{"face1024", decodedJPEG(b, facePhoto(b, 1024))},
		{"noface1024", decodedJPEG(b, benchPhoto(b, 1024))},
		{"banner1600x500", decodedJPEG(b, jpegBytes(b, banner.SubImage(image.Rect(0, 0, 1600, 500)), 90))},
	} {
		b.Run("analysis/"+p.name, func(b *testing.B) {
			interleaved(b, []string{"before", "now"}, []func(){func() { oldAnalyze(p.img) }, func() { analyze(p.img) }})
		})
	}
	src := facePhoto(b, 1024)
	ctx := context.Background()
	fill, thumb := mustChain(b, "c_fill,g_center,w_200,h_200"), mustChain(b, "c_thumb,g_face,w_200,h_200")
	b.Run("thumbnail", func(b *testing.B) {
		interleaved(b, []string{"fill_center", "thumb_face"}, []func(){
			func() { _, _ = TransformWith(ctx, src, fill, JPEG, Limits{}, Options{}) },
			func() { _, _ = TransformWith(ctx, src, thumb, JPEG, Limits{}, Options{}) },
		})
	})
}
