package resize

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xdraw "golang.org/x/image/draw"
)

var allRatios = []image.YCbCrSubsampleRatio{
	image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
	image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
}

// sources returns one image of each supported kind, sw×sh, with varied content.
func sources(sw, sh int) map[string]image.Image {
	rgba := randomImage(sw, sh, uint64(sw*1000+sh))
	m := map[string]image.Image{"RGBA": rgba}
	nrgba := image.NewNRGBA(rgba.Rect)
	gray := image.NewGray(rgba.Rect)
	cmyk := image.NewCMYK(rgba.Rect)
	pal := image.NewPaletted(rgba.Rect, color.Palette{color.Black, color.White, color.RGBA{200, 10, 10, 255}, color.NRGBA{0, 0, 255, 100}})
	g16 := image.NewGray16(rgba.Rect)
	for y := range sh {
		for x := range sw {
			c := rgba.RGBAAt(x, y)
			nrgba.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, uint8(x * 7)})
			gray.SetGray(x, y, color.Gray{c.R})
			cmyk.Set(x, y, c)
			pal.SetColorIndex(x, y, uint8((x+y)%4))
			g16.SetGray16(x, y, color.Gray16{uint16(c.G) * 257})
		}
	}
	m["NRGBA"], m["Gray"], m["CMYK"], m["Paletted"], m["Gray16"] = nrgba, gray, cmyk, pal, g16
	for _, r := range allRatios {
		m["YCbCr"+r.String()] = ycbcrFrom(rgba, r)
	}
	nyc := &image.NYCbCrA{YCbCr: *ycbcrFrom(rgba, image.YCbCrSubsampleRatio420), A: make([]uint8, sw*sh), AStride: sw}
	for i := range nyc.A {
		nyc.A[i] = uint8(i * 3)
	}
	m["NYCbCrA"] = nyc
	return m
}

func TestBounds(t *testing.T) {
	cases := [][4]int{ // sw, sh, w, h
		{1, 1, 1, 1}, {1, 1, 7, 3}, {5, 5, 1, 1}, {64, 48, 1, 48}, {64, 48, 64, 1},
		{1000, 3, 7, 9}, {3, 1000, 9, 7}, {100, 100, 400, 400}, {1024, 768, 200, 200},
		{37, 53, 200, 13}, {300, 200, 299, 201}, {2, 2, 3, 3}, {17, 1, 300, 2}, {255, 256, 1, 3},
	}
	for _, c := range cases {
		for name, src := range sources(c[0], c[1]) {
			dst := Resize(src, c[2], c[3])
			require.Equal(t, image.Rect(0, 0, c[2], c[3]), dst.Bounds(), "%s %v", name, c)
			require.Len(t, dst.Pix, c[2]*c[3]*4)
			require.Equal(t, c[2]*4, dst.Stride)
		}
	}
	// Widths and heights below one are treated as one; an empty source gives a transparent image.
	assert.Equal(t, image.Rect(0, 0, 1, 1), Resize(randomImage(5, 5, 1), 0, -3).Bounds())
	empty := Resize(image.NewRGBA(image.Rect(3, 3, 3, 9)), 4, 4)
	assert.Equal(t, make([]uint8, 4*4*4), empty.Pix)
}

// Every fast path must agree with converting to RGBA first and resizing that.
func TestFastPathsMatchRGBA(t *testing.T) {
	for _, sz := range [][4]int{{97, 83, 31, 29}, {97, 83, 200, 150}, {400, 300, 37, 101}} {
		for name, src := range sources(sz[0], sz[1]) {
			got := Resize(src, sz[2], sz[3])
			want := Resize(toRGBA(src), sz[2], sz[3])
			mean, maxd := diffStats(t, got, want)
			tolMean, tolMax := 0.0, 1 // exact up to one rounding step
			if strings.HasPrefix(name, "YCbCr") || name == "NYCbCrA" {
				// YCbCr: filtered before colour conversion, with chroma interpolated at its own
				// resolution rather than replicated; this content has noisy chroma, so the
				// difference shows when enlarging (TestYCbCrSubImages checks the geometry).
				tolMean, tolMax = 1.5, 40
			}
			assert.LessOrEqual(t, maxd, tolMax, "%s %v", name, sz)
			assert.LessOrEqual(t, mean, max(tolMean, 0.05), "%s %v", name, sz)
			t.Logf("%-12s %v mean %.3f max %d", name, sz, mean, maxd)
		}
	}
}

// rampYCbCr returns a w×h YCbCr image whose Cb is a steep zigzag from left to right and Cr from
// top to bottom (2 levels per pixel, in gamut) over a smooth Y: chroma shifted by even one pixel
// changes the colours measurably, while replicated and interpolated chroma agree.
func rampYCbCr(w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	fx, fy := subsampling(ratio)
	zigzag := func(v float64) uint8 { // period 80, range [88, 168]
		return uint8(math.Round(88 + 2*math.Abs(math.Mod(v, 80)-40)))
	}
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = uint8(110 + 30*math.Sin(float64(x+2*y)/40))
		}
	}
	for cy := range (h + fy - 1) / fy {
		for cx := range (w + fx - 1) / fx {
			// The value at the centre of the chroma block.
			img.Cb[cy*img.CStride+cx] = zigzag(float64(cx*fx) + float64(fx)/2)
			img.Cr[cy*img.CStride+cx] = zigzag(float64(cy*fy) + float64(fy)/2 + 20)
		}
	}
	return img
}

// Sub-images with odd origins, for every subsampling ratio: the YCbCr path (which indexes the chroma
// planes itself and filters them at their own resolution) must agree with converting the
// sub-image to RGBA first and resizing that.
func TestYCbCrSubImages(t *testing.T) {
	rects := []image.Rectangle{
		image.Rect(3, 5, 120, 130), image.Rect(1, 1, 100, 77), image.Rect(5, 7, 6, 8),
		image.Rect(7, 3, 131, 129), image.Rect(2, 9, 59, 131), image.Rect(0, 0, 131, 131),
	}
	sizes := [][2]int{{50, 40}, {20, 17}, {200, 180}, {400, 300}, {1, 1}, {13, 200}}
	// Replicated chroma (what At returns) and interpolated chroma differ by up to half a chroma
	// block's worth of ramp; the bound on the average grows with the block size. Shifting the
	// chroma by a quarter of a block raises these averages to 0.33, 0.52, 0.52, 0.71, 0.91 and
	// 1.08 (measured when writing the test), well above the bounds.
	avgBound := map[image.YCbCrSubsampleRatio]float64{
		image.YCbCrSubsampleRatio444: 0.15, image.YCbCrSubsampleRatio422: 0.3,
		image.YCbCrSubsampleRatio440: 0.3, image.YCbCrSubsampleRatio420: 0.42,
		image.YCbCrSubsampleRatio411: 0.55, image.YCbCrSubsampleRatio410: 0.68,
	}
	worstMean, worstMax := 0.0, 0
	for _, ratio := range allRatios {
		full := rampYCbCr(131, 131, ratio)
		var sum float64
		for _, r := range rects {
			sub := full.SubImage(r).(*image.YCbCr)
			for _, sz := range sizes {
				got := Resize(sub, sz[0], sz[1])
				want := Resize(toRGBA(sub), sz[0], sz[1])
				mean, maxd := diffStats(t, got, want)
				assert.LessOrEqual(t, mean, 1.25, "%v %v %v", ratio, r, sz)
				assert.LessOrEqual(t, maxd, 10, "%v %v %v", ratio, r, sz)
				worstMean, worstMax = max(worstMean, mean), max(worstMax, maxd)
				sum += mean
			}
		}
		avg := sum / float64(len(rects)*len(sizes))
		assert.LessOrEqual(t, avg, avgBound[ratio], "%v", ratio)
		t.Logf("%v: average mean difference %.3f", ratio, avg)
	}
	t.Logf("worst single case: mean %.3f, max %d", worstMean, worstMax)
	// Photo-like content with noisy chroma differs more, because interpolated and replicated
	// chroma differ, but still little on average when shrinking.
	parent := photo(301)
	for _, ratio := range allRatios {
		sub := ycbcrFrom(parent, ratio).SubImage(image.Rect(3, 5, 290, 250)).(*image.YCbCr)
		mean, _ := diffStats(t, Resize(sub, 60, 50), Resize(toRGBA(sub), 60, 50))
		assert.LessOrEqual(t, mean, 1.0, "%v", ratio)
	}
}

// A solid colour must come out as exactly that colour everywhere: weights sum to exactly one,
// also at the borders where taps are dropped, and nothing drifts in the fixed-point arithmetic.
func TestSolidColour(t *testing.T) {
	c := color.NRGBA{R: 201, G: 99, B: 13, A: 255}
	half := color.NRGBA{R: 201, G: 99, B: 13, A: 128}
	sizes := [][4]int{
		{1, 1, 5, 7}, {64, 64, 64, 64}, {100, 80, 33, 17}, {1024, 768, 200, 200}, {37, 41, 400, 9},
		{999, 3, 7, 9}, {3, 999, 2, 300}, {16, 16, 1, 1}, {2048, 5, 1, 1}, {201, 199, 100, 100},
		{1000, 1000, 1, 1}, {600, 700, 2, 3}, // boxes of 255×255 and 150×116 samples
	}
	for _, sz := range sizes {
		r := image.Rect(0, 0, sz[0], sz[1])
		srcs := map[string]image.Image{}
		for name, col := range map[string]color.NRGBA{"opaque": c, "half": half} {
			n := image.NewNRGBA(r)
			rgba := image.NewRGBA(r)
			pal := image.NewPaletted(r, color.Palette{color.Black, col})
			for y := range sz[1] {
				for x := range sz[0] {
					n.SetNRGBA(x, y, col)
					rgba.Set(x, y, col)
					pal.SetColorIndex(x, y, 1)
				}
			}
			srcs["NRGBA "+name], srcs["RGBA "+name], srcs["Paletted "+name] = n, rgba, pal
		}
		gray := image.NewGray(r)
		for i := range gray.Pix {
			gray.Pix[i] = 77
		}
		srcs["Gray"] = gray
		for _, ratio := range allRatios {
			y := image.NewYCbCr(r, ratio)
			for i := range y.Y {
				y.Y[i] = 140
			}
			for i := range y.Cb {
				y.Cb[i], y.Cr[i] = 90, 170
			}
			srcs["YCbCr "+ratio.String()] = y
			// An odd sub-image too.
			if sz[0] > 3 && sz[1] > 3 {
				srcs["YCbCr sub "+ratio.String()] = y.SubImage(image.Rect(1, 3, sz[0], sz[1]))
			}
		}
		for name, src := range srcs {
			want := color.RGBAModel.Convert(src.At(src.Bounds().Min.X, src.Bounds().Min.Y)).(color.RGBA)
			got := Resize(src, sz[2], sz[3])
			for i := 0; i < len(got.Pix); i += 4 {
				px := color.RGBA{got.Pix[i], got.Pix[i+1], got.Pix[i+2], got.Pix[i+3]}
				if px != want {
					t.Fatalf("%s %v: pixel %d is %v, want %v", name, sz, i/4, px, want)
				}
			}
		}
	}
}

// Alpha is resampled premultiplied: the colour of fully transparent pixels must not bleed into
// their neighbours, and a half-transparent colour keeps its hue.
func TestPremultipliedAlpha(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 100, 100))
	for y := range 100 {
		for x := range 100 {
			if x < 50 {
				src.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 0}) // transparent "red"
			} else {
				src.SetNRGBA(x, y, color.NRGBA{0, 0, 255, 128}) // half-transparent blue
			}
		}
	}
	for _, sz := range [][2]int{{30, 30}, {33, 7}, {250, 250}, {100, 99}} {
		dst := Resize(src, sz[0], sz[1])
		for i := 0; i < len(dst.Pix); i += 4 {
			r, g, b, a := dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3]
			require.Zero(t, r, "red bled in at pixel %d of %v", i/4, sz)
			require.Zero(t, g)
			require.LessOrEqual(t, b, a, "not a valid premultiplied colour")
		}
		// Far from the border the result is the premultiplied half-transparent blue.
		p := dst.RGBAAt(sz[0]-1, sz[1]/2)
		assert.Equal(t, color.RGBA{0, 0, 128, 128}, p, "%v", sz)
	}
}

// When the size does not change, Resize is a plain conversion.
func TestSameSizeIsACopy(t *testing.T) {
	for name, src := range sources(37, 23) {
		got := Resize(src, 37, 23)
		want := toRGBA(src)
		_, maxd := diffStats(t, got, want)
		assert.LessOrEqual(t, maxd, 1, name) // NYCbCrA: 8-bit vs 16-bit premultiplication
		if name != "NYCbCrA" {
			assert.Equal(t, want.Pix, got.Pix, name)
		}
	}
	sub := sources(37, 23)["YCbCr"+image.YCbCrSubsampleRatio410.String()].(*image.YCbCr).SubImage(image.Rect(3, 1, 30, 20))
	assert.Equal(t, toRGBA(sub).Pix, Resize(sub, 27, 19).Pix)
}

// Without a box step (reductions up to 2×, and enlargements) Resize is the exact Lanczos3 up to
// fixed-point rounding.
func TestMatchesReferenceWithoutBox(t *testing.T) {
	src := toRGBA(photoJPEG(t, 1024).SubImage(image.Rect(100, 200, 197, 283)))
	for _, sz := range [][2]int{{60, 50}, {97, 42}, {49, 83}, {200, 150}, {400, 42}, {98, 84}} {
		mean, maxd := diffStats(t, Resize(src, sz[0], sz[1]), referenceLanczos3(src, sz[0], sz[1]))
		assert.LessOrEqual(t, maxd, 1, "%v", sz)
		assert.Less(t, mean, 0.02, "%v", sz)
	}
}

// An *image.YCbCr whose origin is negative takes the generic path and still works.
func TestNegativeOrigin(t *testing.T) {
	y := ycbcrFrom(photo(64), image.YCbCrSubsampleRatio420)
	y.Rect = y.Rect.Add(image.Pt(-7, -3))
	got := Resize(y, 20, 20)
	mean, _ := diffStats(t, got, Resize(toRGBA(y), 20, 20))
	assert.Zero(t, mean)
}

// The quality yardstick: the photo-like 1024² JPEG down to 200×200, compared with an exact float64
// Lanczos3. Our box pre-reduction and the filtering in YCbCr (before the clamping colour
// conversion) cost a little accuracy; the bound says how much we accept. imaging (exact Lanczos3
// with float weights, in RGB) and x/image/draw's CatmullRom are logged for comparison.
func TestQualityPhoto(t *testing.T) {
	src := photoJPEG(t, 1024)
	ref := referenceLanczos3(src, 200, 200)

	oursMean, oursMax := diffStats(t, Resize(src, 200, 200), ref)
	rgbaMean, rgbaMax := diffStats(t, Resize(toRGBA(src), 200, 200), ref)
	imgMean, imgMax := diffStats(t, imaging.Resize(src, 200, 200, imaging.Lanczos), ref)
	cr := image.NewRGBA(image.Rect(0, 0, 200, 200))
	xdraw.CatmullRom.Scale(cr, cr.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	crMean, crMax := diffStats(t, cr, ref)
	t.Logf("mean/max abs difference per channel from exact Lanczos3, 1024² JPEG → 200²:")
	t.Logf("  ours (YCbCr path)       %.3f / %d", oursMean, oursMax)
	t.Logf("  ours (RGBA source)      %.3f / %d", rgbaMean, rgbaMax)
	t.Logf("  imaging Lanczos         %.3f / %d", imgMean, imgMax)
	t.Logf("  x/image/draw CatmullRom %.3f / %d", crMean, crMax)
	assert.LessOrEqual(t, oursMean, 0.75)
	assert.LessOrEqual(t, oursMax, 16)
	assert.LessOrEqual(t, rgbaMean, 0.5)
	assert.LessOrEqual(t, rgbaMax, 10)

	// No aliasing: the patch of fine stripes must come out (nearly) flat, as in the reference.
	stripes := image.Rect(15, 15, 75, 35)
	assert.InDelta(t, regionStdDev(ref, stripes), regionStdDev(Resize(src, 200, 200), stripes), 0.5)

	// Enlarging involves no box step: the RGBA path matches the reference to rounding.
	small := toRGBA(Resize(src, 100, 100))
	upMean, upMax := diffStats(t, Resize(small, 400, 400), referenceLanczos3(small, 400, 400))
	t.Logf("  ours 100² → 400² (RGBA) %.3f / %d", upMean, upMax)
	assert.LessOrEqual(t, upMax, 1)
}

// regionStdDev returns the standard deviation of the green channel of img over r.
func regionStdDev(img *image.RGBA, r image.Rectangle) float64 {
	var s, s2, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v := float64(img.RGBAAt(x, y).G)
			s, s2, n = s+v, s2+v*v, n+1
		}
	}
	mu := s / n
	return math.Sqrt(s2/n - mu*mu)
}

// Random sizes, ratios, origins and image types never panic and always give exactly w×h.
func FuzzResize(f *testing.F) {
	f.Add(uint16(1000), uint16(3), uint16(7), uint16(9), uint8(0), uint8(1), uint8(1))
	f.Add(uint16(1), uint16(1), uint16(1), uint16(1), uint8(3), uint8(0), uint8(0))
	f.Add(uint16(5), uint16(300), uint16(301), uint16(2), uint8(5), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, sw, sh, w, h uint16, kind, ox, oy uint8) {
		sw, sh = sw%700+1, sh%700+1
		w, h = w%500+1, h%500+1
		r := image.Rect(int(ox%7), int(oy%7), int(ox%7)+int(sw), int(oy%7)+int(sh))
		var src image.Image
		switch kind % 8 {
		case 0:
			src = image.NewRGBA(r)
		case 1:
			src = image.NewNRGBA(r)
		case 2:
			src = image.NewGray(r)
		case 3:
			src = image.NewPaletted(r, color.Palette{color.White})
		case 4:
			src = image.NewCMYK(r)
		default:
			src = image.NewYCbCr(r, allRatios[int(kind)%len(allRatios)])
		}
		// Crop a sub-image so that odd origins inside a larger image are exercised too.
		if s, ok := src.(interface {
			SubImage(image.Rectangle) image.Image
		}); ok && sw > 2 && sh > 2 {
			src = s.SubImage(image.Rect(r.Min.X+1, r.Min.Y+1, r.Max.X, r.Max.Y))
		}
		dst := Resize(src, int(w), int(h))
		if dst.Bounds() != image.Rect(0, 0, int(w), int(h)) || len(dst.Pix) != int(w)*int(h)*4 {
			t.Fatalf("%T %v → %d×%d: got %v", src, src.Bounds(), w, h, dst.Bounds())
		}
	})
}

func TestLanczosTable(t *testing.T) {
	tab := lanczosTable()
	for x := -3.5; x <= 3.5; x += 0.000123 {
		require.InDelta(t, lanczos3(x), lanczos3Fast(tab, x), 2e-6, "%g", x)
	}
}
