package imageops

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/gen2brain/avif"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/webp"
)

// Quadrant colours of quadImage.
var (
	qRed    = color.NRGBA{0xff, 0, 0, 0xff}    // top left
	qGreen  = color.NRGBA{0, 0xff, 0, 0xff}    // top right
	qBlue   = color.NRGBA{0, 0, 0xff, 0xff}    // bottom left
	qYellow = color.NRGBA{0xff, 0xff, 0, 0xff} // bottom right
)

// quadImage returns a w×h image with four solid quadrants: red, green / blue, yellow.
func quadImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var c color.NRGBA
			switch {
			case x < w/2 && y < h/2:
				c = qRed
			case y < h/2:
				c = qGreen
			case x < w/2:
				c = qBlue
			default:
				c = qYellow
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func jpegBytes(t testing.TB, img image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}))
	return buf.Bytes()
}

// decodeAny decodes an output of Transform by its format.
func decodeAny(t testing.TB, out *Output) image.Image {
	t.Helper()
	r := bytes.NewReader(out.Bytes)
	var img image.Image
	var err error
	switch out.Format {
	case JPEG:
		img, err = jpeg.Decode(r)
	case PNG:
		img, err = png.Decode(r)
	case GIF:
		img, err = gif.Decode(r)
	case WebP:
		img, err = webp.Decode(r)
	case AVIF:
		img, err = avif.Decode(r)
	default:
		t.Fatalf("output format %v", out.Format)
	}
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, out.Width, out.Height), img.Bounds(), "decoded size differs from Output")
	return img
}

// sniffOutput returns the format of an encoded output by its magic bytes: what sniff says,
// and AVIF (an ISO-BMFF "ftyp" box of brand avif), which is not a source format.
func sniffOutput(b []byte) Format {
	if len(b) >= 12 && string(b[4:12]) == "ftypavif" {
		return AVIF
	}
	return sniff(b)
}

// mustChain parses a "/"-separated transformation ("" is the empty chain).
func mustChain(t testing.TB, s string) Chain {
	t.Helper()
	if s == "" {
		return Chain{}
	}
	c, err := ParseChain(strings.Split(s, "/"))
	require.NoError(t, err, s)
	return c
}

// run transforms src with the chain s.
func run(t testing.TB, src []byte, s string, ext Format) *Output {
	t.Helper()
	out, err := Transform(context.Background(), src, mustChain(t, s), ext, Limits{})
	require.NoError(t, err, s)
	return out
}

// nrgbaAt returns the non-premultiplied colour at (x, y).
func nrgbaAt(img image.Image, x, y int) color.NRGBA {
	b := img.Bounds()
	return color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
}

// near reports whether two colours differ by at most tol in every channel.
func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { v := int(x) - int(y); return v <= tol && v >= -tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func requireColor(t testing.TB, img image.Image, x, y int, want color.NRGBA, tol int, msg string) {
	t.Helper()
	got := nrgbaAt(img, x, y)
	require.Truef(t, near(got, want, tol), "%s: pixel (%d,%d) = %v, want %v", msg, x, y, got, want)
}

func requireKind(t testing.TB, err error, kind ErrorKind, param string) *Error {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equalf(t, kind, e.Kind, "error %q", err)
	require.Equalf(t, param, e.Param, "error %q", err)
	require.NotEmpty(t, e.Msg)
	return e
}
