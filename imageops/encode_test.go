package imageops

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// alphaImage is 40×40: left half opaque red, top right half-transparent blue, bottom right
// fully transparent.
func alphaImage() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			switch {
			case x < 20:
				m.SetNRGBA(x, y, qRed)
			case y < 20:
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 0xff, 0x80})
			}
		}
	}
	return m
}

func TestEncodeEachFormat(t *testing.T) {
	src := pngBytes(t, quadImage(64, 48))
	for _, f := range []Format{JPEG, PNG, GIF, WebP, AVIF} {
		t.Run(f.String(), func(t *testing.T) {
			out := run(t, src, "c_fill,w_32,h_32", f)
			assert.Equal(t, f, out.Format)
			assert.Equal(t, [2]int{32, 32}, [2]int{out.Width, out.Height})
			assert.Equal(t, f, sniffOutput(out.Bytes))
			img := decodeAny(t, out)
			tol := 2 // a PNG source: lossless WebP
			if f == JPEG || f == GIF || f == AVIF {
				tol = 40
			}
			requireColor(t, img, 4, 4, qRed, tol, "top left")
			requireColor(t, img, 28, 28, qYellow, tol, "bottom right")
		})
	}
}

func TestAlpha(t *testing.T) {
	src := pngBytes(t, alphaImage())
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}

	// PNG and WebP (lossless, from a PNG) keep alpha; AVIF keeps alpha nearly losslessly and the
	// colours nearly.
	for _, f := range []Format{PNG, WebP, AVIF} {
		img := decodeAny(t, run(t, src, "", f))
		tol := 0
		if f == AVIF {
			tol = 12
		}
		requireColor(t, img, 5, 5, qRed, tol, f.String())
		requireColor(t, img, 30, 5, color.NRGBA{0, 0, 0xff, 0x80}, max(tol, 1), f.String())
		assert.Equal(t, uint8(0), nrgbaAt(img, 30, 30).A, f.String())
	}
	// Lossy WebP (from a JPEG source, so lossy) keeps alpha too.
	img := decodeAny(t, run(t, jpegBytes(t, quadImage(40, 40), 95), "r_max", WebP))
	assert.Equal(t, uint8(0), nrgbaAt(img, 0, 0).A, "outside the circle")
	requireColor(t, img, 12, 12, qRed, 24, "inside the circle")
	// Also through a resize (premultiplied alpha handled by the resizer).
	img = decodeAny(t, run(t, src, "w_20", PNG))
	requireColor(t, img, 15, 2, color.NRGBA{0, 0, 0xff, 0x80}, 2, "resized")
	requireColor(t, img, 15, 17, color.NRGBA{}, 0, "resized")

	// JPEG flattens onto white, or onto the chain's last b_.
	tests := []struct {
		chain string
		semi  color.NRGBA // top right: half blue over the background
		clear color.NRGBA // bottom right: the background
	}{
		{"", color.NRGBA{0x7f, 0x7f, 0xff, 0xff}, white},
		{"b_red", color.NRGBA{0x7f, 0, 0x80, 0xff}, color.NRGBA{0xff, 0, 0, 0xff}},
		{"b_black/w_1.0", color.NRGBA{0, 0, 0x80, 0xff}, color.NRGBA{0, 0, 0, 0xff}},
		{"b_rgb:00000080", color.NRGBA{0x3f, 0x3f, 0xbf, 0xff}, color.NRGBA{0x7f, 0x7f, 0x7f, 0xff}},
		{"b_transparent", color.NRGBA{0x7f, 0x7f, 0xff, 0xff}, white},
	}
	for _, tt := range tests {
		out := run(t, src, tt.chain, JPEG)
		img := decodeAny(t, out)
		// JPEG's 4:2:0 chroma blurs colour across the 20 px regions: a loose tolerance.
		requireColor(t, img, 5, 5, qRed, 24, tt.chain)
		requireColor(t, img, 30, 5, tt.semi, 24, tt.chain)
		requireColor(t, img, 30, 30, tt.clear, 24, tt.chain)
	}

	// GIF: transparent stays transparent, opaque stays opaque.
	out := run(t, src, "", GIF)
	img = decodeAny(t, out)
	assert.Equal(t, uint8(0), nrgbaAt(img, 30, 30).A)
	requireColor(t, img, 5, 5, qRed, 0, "gif opaque")
	assert.Equal(t, uint8(0xff), nrgbaAt(img, 30, 5).A, "at least half opaque becomes opaque")
}

func TestJPEGQuality(t *testing.T) {
	src := benchPhoto(t, 128)
	size := func(chain string) int { return len(run(t, src, chain, JPEG).Bytes) }
	low, def, auto, high := size("q_10"), size(""), size("q_auto"), size("q_95")
	assert.Less(t, low, def)
	assert.Less(t, def, high)
	assert.Equal(t, size("q_80"), auto, "q_auto is q_auto:good, a quality-80 JPEG")
	assert.Equal(t, size("q_auto:good"), auto)
	assert.Equal(t, size("q_82"), def, "the default quality is 82")
	assert.Equal(t, size("q_10/w_1.0"), size("q_95/w_1.0,q_10"), "the last q_ wins")
}

func TestJPEGEncodesFastTypes(t *testing.T) {
	// jpegReady must hand jpeg.Encode only the types it has fast paths for.
	bg := color.RGBA{0xff, 0xff, 0xff, 0xff}
	for _, img := range []image.Image{
		image.NewNRGBA(image.Rect(0, 0, 4, 4)),
		image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black}),
		image.NewCMYK(image.Rect(0, 0, 4, 4)),
		image.NewRGBA(image.Rect(0, 0, 4, 4)), // transparent
		image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420),
		image.NewGray(image.Rect(0, 0, 4, 4)),
	} {
		switch jpegReady(img, bg).(type) {
		case *image.RGBA, *image.YCbCr, *image.Gray:
		default:
			t.Errorf("%T not converted", img)
		}
	}
}

func TestEncodeTooLargeForFormat(t *testing.T) {
	// WebP (VP8L) is limited to 16384 px a side; with a raised output limit the error is clear.
	src := pngBytes(t, image.NewGray(image.Rect(0, 0, 17000, 1)))
	_, err := Transform(context.Background(), src, Chain{}, WebP, Limits{MaxOutputSide: 20000})
	e := requireKind(t, err, KindOutputLimit, "")
	assert.Contains(t, e.Msg, "WebP")
}

func TestOutputsDecodeWithStdlib(t *testing.T) {
	src := jpegBytes(t, quadImage(50, 50), 90)
	out := run(t, src, "c_pad,w_60,h_40,b_blue", FormatOriginal)
	_, err := jpeg.Decode(bytes.NewReader(out.Bytes))
	require.NoError(t, err)
	out = run(t, src, "c_pad,w_60,h_40", GIF)
	_, err = gif.Decode(bytes.NewReader(out.Bytes))
	require.NoError(t, err)
}

// TestGIFDither checks that dithering keeps local averages: 8×8 block means of a smooth gradient
// stay close to the source's.
func TestGIFDither(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			src.SetRGBA(x, y, color.RGBA{uint8(x * 4), uint8(y * 4), uint8(255 - x*2), 0xff})
		}
	}
	out := run(t, pngBytes(t, src), "", GIF)
	img := decodeAny(t, out)
	for by := 0; by < 64; by += 8 {
		for bx := 0; bx < 64; bx += 8 {
			var sum, ref [3]int
			for y := by; y < by+8; y++ {
				for x := bx; x < bx+8; x++ {
					c, r := nrgbaAt(img, x, y), src.RGBAAt(x, y)
					sum[0], sum[1], sum[2] = sum[0]+int(c.R), sum[1]+int(c.G), sum[2]+int(c.B)
					ref[0], ref[1], ref[2] = ref[0]+int(r.R), ref[1]+int(r.G), ref[2]+int(r.B)
				}
			}
			for c := range 3 {
				assert.InDelta(t, ref[c]/64, sum[c]/64, 8, "block (%d,%d) channel %d", bx, by, c)
			}
		}
	}
}

// TestSourceImageTypes runs every kind of decoded image through crops, resizes, pads and every
// encoder.
func TestSourceImageTypes(t *testing.T) {
	r := image.Rect(0, 0, 20, 10)
	pal := image.NewPaletted(r, color.Palette{qRed, qBlue, color.Transparent})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	sources := map[string]image.Image{
		"gray":    image.NewGray(r),
		"gray16":  image.NewGray16(r),
		"rgba64":  image.NewRGBA64(r),
		"nrgba64": image.NewNRGBA64(r),
		"nrgba":   alphaImage(),
		"pal":     pal,
	}
	for name, img := range sources {
		data := pngBytes(t, img)
		for _, chain := range []string{"", "c_crop,w_5,h_5,x_1,y_1", "w_7", "c_pad,w_30,h_10,b_red", "c_fill,h_4,w_4"} {
			for _, f := range []Format{JPEG, PNG, GIF, WebP, AVIF} {
				out := run(t, data, chain, f)
				assert.Equal(t, f, sniffOutput(out.Bytes), "%s %s %v", name, chain, f)
				decodeAny(t, out)
			}
		}
	}
}
