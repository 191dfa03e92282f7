package imageops

import (
	"context"
	"flag"
	"image"
	"image/color"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uniform returns a w×h image of one colour.
func uniform(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return m
}

// columns returns a w×h image whose left half is colour l and right half colour r.
func columns(w, h int, l, r color.NRGBA) *image.NRGBA {
	m := uniform(w, h, l)
	for y := range h {
		for x := w / 2; x < w; x++ {
			m.SetNRGBA(x, y, r)
		}
	}
	return m
}

var (
	red         = color.NRGBA{0xff, 0, 0, 0xff}
	blue        = color.NRGBA{0, 0, 0xff, 0xff}
	white       = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	black       = color.NRGBA{0, 0, 0, 0xff}
	transparent = color.NRGBA{}
)

func gray(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 0xff} }

func TestEffects(t *testing.T) {
	tests := []struct {
		chain string
		src   color.NRGBA
		want  color.NRGBA
	}{
		{"e_grayscale", red, gray(77)}, // bild's weights 0.3 0.6 0.1
		{"e_negate", red, color.NRGBA{0, 0xff, 0xff, 0xff}},
		{"e_sepia:100", gray(100), color.NRGBA{135, 120, 94, 0xff}},
		{"e_sepia", gray(100), color.NRGBA{128, 116, 95, 0xff}}, // default 80: 80 % sepia
		{"e_sepia:1", gray(100), gray(100)},
		{"e_brightness:50", gray(100), gray(150)},
		{"e_brightness:-50", gray(100), gray(50)},
		{"e_brightness:100", gray(100), gray(200)},
		{"e_brightness:-99", gray(100), gray(1)},
		{"e_contrast:100", gray(100), gray(72)},
		{"e_contrast:100", gray(200), gray(255)},
		{"e_contrast:-100", gray(100), gray(127)},
		{"e_contrast:-100", gray(200), gray(127)},
		{"e_saturation:-100", color.NRGBA{200, 100, 100, 0xff}, gray(150)},
		{"e_saturation:100", color.NRGBA{150, 100, 100, 0xff}, color.NRGBA{175, 75, 75, 0xff}},
		{"e_blur", gray(90), gray(90)},
		{"e_pixelate", gray(90), gray(90)},
		{"e_sharpen", gray(90), gray(90)},
	}
	for _, tt := range tests {
		src := pngBytes(t, uniform(24, 16, tt.src))
		img := decodeAny(t, run(t, src, tt.chain, PNG))
		requireColor(t, img, 12, 8, tt.want, 2, tt.chain)
		requireColor(t, img, 0, 0, tt.want, 2, tt.chain+" (corner)")
	}
}

func TestBlur(t *testing.T) {
	src := pngBytes(t, columns(40, 20, black, white))
	soft := decodeAny(t, run(t, src, "e_blur:20", PNG)) // σ 1 px
	v := nrgbaAt(soft, 19, 10).R
	assert.True(t, v > 10 && v < 128, "left of the edge: %d", v)
	v = nrgbaAt(soft, 20, 10).R
	assert.True(t, v > 128 && v < 245, "right of the edge: %d", v)
	requireColor(t, soft, 2, 10, black, 2, "far from the edge")

	def := decodeAny(t, run(t, src, "e_blur", PNG)) // σ 5 px: a wider ramp
	assert.Greater(t, nrgbaAt(def, 15, 10).R, nrgbaAt(soft, 15, 10).R)
	assert.Less(t, nrgbaAt(def, 24, 10).R, nrgbaAt(soft, 24, 10).R)

	all := decodeAny(t, run(t, src, "e_blur:2000", PNG)) // σ 100 px on a 40 px image: one grey
	requireColor(t, all, 0, 10, gray(128), 12, "blur:2000")
	requireColor(t, all, 39, 10, gray(128), 12, "blur:2000")

	// Premultiplied: the transparent half does not darken the red half's edge.
	half := pngBytes(t, columns(40, 20, red, transparent))
	img := decodeAny(t, run(t, half, "e_blur:40", PNG))
	p := nrgbaAt(img, 21, 10)
	assert.True(t, p.A > 0 && p.A < 0xff, "%v", p)
	assert.True(t, p.R > 240 && p.G < 10 && p.B < 10, "no dark fringe: %v", p)
	requireColor(t, img, 39, 10, transparent, 0, "far right stays transparent")
}

func TestPixelate(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 25, 20))
	for y := range 20 {
		for x := range 25 {
			m.SetNRGBA(x, y, color.NRGBA{uint8(10 * x), uint8(10 * y), 0, 0xff})
		}
	}
	img := decodeAny(t, run(t, pngBytes(t, m), "e_pixelate:10", PNG))
	requireColor(t, img, 0, 0, color.NRGBA{45, 45, 0, 0xff}, 1, "block average")
	requireColor(t, img, 9, 9, color.NRGBA{45, 45, 0, 0xff}, 1, "same block")
	requireColor(t, img, 10, 0, color.NRGBA{145, 45, 0, 0xff}, 1, "next block")
	requireColor(t, img, 24, 19, color.NRGBA{220, 145, 0, 0xff}, 1, "last, narrower block")
	// default 5
	img = decodeAny(t, run(t, pngBytes(t, m), "e_pixelate", PNG))
	requireColor(t, img, 4, 4, color.NRGBA{20, 20, 0, 0xff}, 1, "5 px blocks")
}

func TestSharpen(t *testing.T) {
	src := pngBytes(t, columns(40, 20, gray(100), gray(150)))
	img := decodeAny(t, run(t, src, "e_sharpen", PNG))
	assert.Less(t, nrgbaAt(img, 19, 10).R, uint8(100), "darker before the edge")
	assert.Greater(t, nrgbaAt(img, 20, 10).R, uint8(150), "lighter after it")
	requireColor(t, img, 5, 10, gray(100), 1, "flat stays flat")
	strong := decodeAny(t, run(t, src, "e_sharpen:2000", PNG))
	assert.Less(t, nrgbaAt(strong, 19, 10).R, nrgbaAt(img, 19, 10).R, "a larger value sharpens more")
}

// TestEffectsKeepAlpha: colour effects work on the colour of translucent pixels and keep
// their alpha.
func TestEffectsKeepAlpha(t *testing.T) {
	src := pngBytes(t, alphaImage()) // left red, top right blue at alpha 0x80, bottom right clear
	img := decodeAny(t, run(t, src, "e_negate", PNG))
	requireColor(t, img, 5, 5, color.NRGBA{0, 0xff, 0xff, 0xff}, 0, "opaque")
	requireColor(t, img, 30, 5, color.NRGBA{0xff, 0xff, 0, 0x80}, 2, "translucent")
	assert.Equal(t, uint8(0), nrgbaAt(img, 30, 30).A, "transparent")
	img = decodeAny(t, run(t, src, "e_grayscale", PNG))
	requireColor(t, img, 30, 5, color.NRGBA{26, 26, 26, 0x80}, 2, "translucent grey")
	img = decodeAny(t, run(t, src, "e_sharpen:2000", PNG))
	assert.Equal(t, uint8(0x80), nrgbaAt(img, 30, 5).A)
	assert.Equal(t, uint8(0), nrgbaAt(img, 30, 30).A)
}

func TestRadius(t *testing.T) {
	src := pngBytes(t, uniform(100, 100, blue))
	wide := pngBytes(t, uniform(200, 100, blue))
	type probe struct {
		x, y int
		a    uint8 // alpha; 1 means "partly"
	}
	tests := []struct {
		src    []byte
		chain  string
		probes []probe
	}{
		{src, "r_20", []probe{{0, 0, 0}, {3, 3, 0}, {10, 10, 255}, {50, 50, 255}, {99, 0, 0}, {99, 99, 0}, {0, 99, 0}, {50, 0, 255}, {0, 50, 255}}},
		{src, "r_max", []probe{{0, 0, 0}, {10, 10, 0}, {50, 50, 255}, {50, 1, 255}, {1, 50, 255}, {98, 50, 255}, {20, 20, 255}}},
		{wide, "r_max", []probe{{0, 0, 0}, {100, 50, 255}, {100, 1, 255}, {1, 50, 255}, {5, 10, 0}, {30, 10, 0}, {100, 98, 255}}},
		{wide, "r_100", []probe{{2, 2, 0}, {100, 1, 255}, {50, 1, 255}, {1, 50, 255}, {25, 5, 0}}}, // a pill (radii scaled to 50)
		{src, "r_40:0", []probe{{1, 1, 0}, {98, 1, 255}, {98, 98, 0}, {1, 98, 255}}},
		{src, "r_40:0:20", []probe{{1, 1, 0}, {9, 9, 0}, {98, 1, 255}, {98, 98, 0}, {90, 90, 255}, {1, 98, 255}}},
		{src, "r_0:40:0:0", []probe{{1, 1, 255}, {98, 1, 0}, {98, 98, 255}, {1, 98, 255}}},
		{src, "r_0:0:0:40", []probe{{1, 1, 255}, {98, 1, 255}, {98, 98, 255}, {1, 98, 0}}},
		{src, "r_0", []probe{{0, 0, 255}, {99, 99, 255}}},
	}
	for _, tt := range tests {
		for _, f := range []Format{PNG, WebP} {
			img := decodeAny(t, run(t, tt.src, tt.chain, f))
			for _, p := range tt.probes {
				got := nrgbaAt(img, p.x, p.y)
				assert.Equal(t, p.a, got.A, "%s %s (%d,%d): %v", tt.chain, f, p.x, p.y, got)
				if got.A > 0 {
					assert.Equal(t, blue, color.NRGBA{got.R, got.G, got.B, 0xff}, "%s (%d,%d) keeps its colour", tt.chain, p.x, p.y)
				}
			}
		}
	}
	// Anti-aliased: the arc has partly covered pixels.
	img := decodeAny(t, run(t, src, "r_max", PNG))
	partly := 0
	for y := range 50 {
		for x := range 50 {
			if a := nrgbaAt(img, x, y).A; a > 0 && a < 255 {
				partly++
			}
		}
	}
	assert.Greater(t, partly, 30, "anti-aliased edge")
	// A square with r_ of half its side is the circle of r_max (up to the edge approximation).
	a, b := decodeAny(t, run(t, src, "r_50", PNG)), decodeAny(t, run(t, src, "r_max", PNG))
	for y := range 100 {
		for x := range 100 {
			require.InDelta(t, nrgbaAt(a, x, y).A, nrgbaAt(b, x, y).A, 8, "(%d,%d)", x, y)
		}
	}
}

// TestRadiusFormats: transparent corners in PNG, WebP and GIF; the b_ colour (white by
// default) in JPEG.
func TestRadiusFormats(t *testing.T) {
	src := jpegBytes(t, uniform(100, 100, blue), 95)
	for _, tt := range []struct {
		chain  string
		f      Format
		corner color.NRGBA
	}{
		{"r_max", PNG, transparent},
		{"r_max", WebP, transparent},
		{"r_max", GIF, transparent},
		{"r_max", JPEG, white},
		{"r_max,b_black", JPEG, black},
		{"b_red/r_max", JPEG, red},
		{"r_max,b_black", PNG, transparent}, // b_ is the background of formats without alpha only
	} {
		out := run(t, src, tt.chain, tt.f)
		assert.Equal(t, tt.f, out.Format)
		img := decodeAny(t, out)
		got := nrgbaAt(img, 1, 1)
		if tt.corner.A == 0 {
			assert.Equal(t, uint8(0), got.A, "%s %s", tt.chain, tt.f)
		} else {
			requireColor(t, img, 1, 1, tt.corner, 45, tt.chain) // JPEG: the blue bleeds a little
		}
		requireColor(t, img, 50, 50, blue, 60, tt.chain+" middle")
	}
}

func TestBorder(t *testing.T) {
	src := pngBytes(t, uniform(100, 100, blue))
	type probe struct {
		x, y int
		c    color.NRGBA
	}
	tests := []struct {
		chain  string
		w, h   int
		probes []probe
	}{
		{"bo_4px_solid_red", 108, 108, []probe{{1, 1, red}, {106, 106, red}, {3, 54, red}, {4, 4, blue}, {54, 54, blue}, {103, 103, blue}}},
		{"r_max,bo_4px_solid_red", 108, 108, []probe{{1, 1, transparent}, {54, 1, red}, {1, 54, red}, {54, 54, blue}, {54, 6, blue}, {12, 12, transparent}, {16, 16, red}}},
		{"r_20,bo_4px_solid_red", 108, 108, []probe{{1, 1, transparent}, {4, 4, transparent}, {54, 1, red}, {8, 8, red}, {54, 54, blue}, {1, 54, red}}},
		{"r_20:0,bo_4px_solid_red", 108, 108, []probe{{1, 1, transparent}, {106, 1, red}, {106, 106, transparent}, {1, 106, red}}},
		{"bo_4px_solid_rgb:ff000080", 108, 108, []probe{{1, 1, color.NRGBA{0xff, 0, 0, 0x80}}, {54, 54, blue}}},
		{"c_scale,w_50,h_20,bo_1px_solid_black", 52, 22, []probe{{0, 0, black}, {51, 21, black}, {25, 10, blue}}},
	}
	for _, tt := range tests {
		out := run(t, src, tt.chain, PNG)
		assert.Equal(t, [2]int{tt.w, tt.h}, [2]int{out.Width, out.Height}, tt.chain)
		img := decodeAny(t, out)
		for _, p := range tt.probes {
			requireColor(t, img, p.x, p.y, p.c, 2, tt.chain)
		}
	}
	// The border is a ring: a transparent image stays transparent inside it.
	img := decodeAny(t, run(t, pngBytes(t, alphaImage()), "bo_2px_solid_black", PNG))
	requireColor(t, img, 0, 0, black, 0, "ring")
	requireColor(t, img, 32, 32, transparent, 0, "inside")
	requireColor(t, img, 32, 7, color.NRGBA{0, 0, 0xff, 0x80}, 1, "inside")

	// A border makes the image larger: it counts against the output limit.
	_, err := Transform(context.Background(), src, mustChain(t, "c_fill,w_96,h_96,bo_4px_solid_red"), PNG, Limits{MaxOutputSide: 100})
	requireKind(t, err, KindOutputLimit, "bo_4px_solid_red,c_fill,h_96,w_96")
}

func TestAngle(t *testing.T) {
	src := pngBytes(t, quadImage(100, 50)) // red green / blue yellow
	tests := []struct {
		chain          string
		w, h           int
		tl, tr, bl, br color.NRGBA
	}{
		{"a_90", 50, 100, qBlue, qRed, qYellow, qGreen},
		{"a_180", 100, 50, qYellow, qBlue, qGreen, qRed},
		{"a_270", 50, 100, qGreen, qYellow, qRed, qBlue},
		{"a_hflip", 100, 50, qGreen, qRed, qYellow, qBlue},
		{"a_vflip", 100, 50, qBlue, qYellow, qRed, qGreen},
	}
	for _, tt := range tests {
		for _, f := range []Format{PNG, JPEG} {
			out := run(t, src, tt.chain, f)
			require.Equal(t, [2]int{tt.w, tt.h}, [2]int{out.Width, out.Height}, tt.chain)
			img := decodeAny(t, out)
			tol := 2
			if f == JPEG {
				tol = 40
			}
			requireColor(t, img, 5, 5, tt.tl, tol, tt.chain+" top left")
			requireColor(t, img, tt.w-6, 5, tt.tr, tol, tt.chain+" top right")
			requireColor(t, img, 5, tt.h-6, tt.bl, tol, tt.chain+" bottom left")
			requireColor(t, img, tt.w-6, tt.h-6, tt.br, tol, tt.chain+" bottom right")
		}
	}
}

// TestOrderInAComponent pins the order of one component: crop/resize/pad, then the effect,
// then the rounded corners, then the border, then the rotation.
func TestOrderInAComponent(t *testing.T) {
	src := pngBytes(t, uniform(100, 100, blue))
	// effect before border: the border keeps its colour; the image is negated.
	img := decodeAny(t, run(t, src, "e_negate,bo_4px_solid_red", PNG))
	requireColor(t, img, 1, 1, red, 0, "border not negated")
	requireColor(t, img, 50, 50, color.NRGBA{0xff, 0xff, 0, 0xff}, 0, "image negated")

	// effect before radius: pixelating does not average the transparent corners in.
	img = decodeAny(t, run(t, pngBytes(t, quadImage(100, 100)), "e_pixelate:50,r_max", PNG))
	requireColor(t, img, 25, 25, qRed, 0, "inside the circle, opaque")
	assert.Equal(t, uint8(0), nrgbaAt(img, 2, 2).A)

	// radius and border before the rotation: the rounded corners (top left and bottom right of
	// the 100×50 image) turn with it, to the top right and bottom left.
	img = decodeAny(t, run(t, src, "c_scale,w_100,h_50,r_20:0,bo_2px_solid_red,a_90", PNG))
	require.Equal(t, image.Rect(0, 0, 54, 104), img.Bounds())
	assert.Equal(t, uint8(0), nrgbaAt(img, 52, 1).A, "top right rounded")
	assert.Equal(t, uint8(0), nrgbaAt(img, 1, 102).A, "bottom left rounded")
	requireColor(t, img, 1, 1, red, 0, "top left square")
	requireColor(t, img, 52, 102, red, 0, "bottom right square")

	// crop before everything: the border is around the 60×40 result.
	out := run(t, src, "c_fill,w_60,h_40,bo_5px_solid_red,a_270", PNG)
	assert.Equal(t, [2]int{50, 70}, [2]int{out.Width, out.Height})
}

// TestGOMAXPROCS: importing bild (whose package parallel sets GOMAXPROCS to the number of CPUs in
// its init) leaves GOMAXPROCS at the runtime's default, because this package's init restores it.
func TestGOMAXPROCS(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set in the environment")
	}
	if f := flag.Lookup("test.cpu"); f != nil && f.Value.String() != "" {
		t.Skip("-cpu sets GOMAXPROCS")
	}
	got := runtime.GOMAXPROCS(0)
	runtime.SetDefaultGOMAXPROCS() // what the runtime's default is (and it stays the default)
	assert.Equal(t, runtime.GOMAXPROCS(0), got)
}
