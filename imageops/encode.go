package imageops

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"

	"github.com/HugoSmits86/nativewebp"
)

// maxSide returns the largest side the encoder of f can write.
func maxSide(f Format) int {
	switch f {
	case JPEG, GIF:
		return 65535
	case WebP:
		return 1 << 14
	case AVIF:
		return 1 << 15
	}
	return 1 << 30
}

// encoding says how to write one output.
type encoding struct {
	format  Format
	quality Quality    // q_, on JPEG's scale (see Quality)
	bg      color.RGBA // what formats without alpha flatten it onto
	// lossless makes WebP lossless (VP8L). JPEG and AVIF are always lossy, PNG and GIF
	// always lossless.
	lossless bool
	// fast asks for the encoder's cheapest setting (see [Options].FastEncode).
	fast bool
}

// isLossy reports whether e writes a lossy encoding, to which q_ applies.
func (e encoding) isLossy() bool {
	switch e.format {
	case JPEG, AVIF:
		return true
	case WebP:
		return !e.lossless
	}
	return false
}

// encode writes img as e says. The output carries no metadata.
func encode(img image.Image, e encoding) ([]byte, error) {
	b := img.Bounds()
	f := e.format
	if limit := maxSide(f); b.Dx() > limit || b.Dy() > limit {
		return nil, errorf(KindOutputLimit, "", "%d×%d px is too large for %s (at most %d px a side)", b.Dx(), b.Dy(), formatName(f), limit)
	}
	var buf bytes.Buffer
	var err error
	px := b.Dx() * b.Dy()
	switch f {
	case JPEG:
		err = jpeg.Encode(&buf, jpegReady(img, e.bg), &jpeg.Options{Quality: e.quality.jpegEquivalent()})
	case PNG:
		enc := png.Encoder{CompressionLevel: pngLevel(b.Dx() * b.Dy())}
		err = enc.Encode(&buf, fastImage(img))
	case GIF:
		err = gif.Encode(&buf, paletted(img), nil)
	case WebP:
		if e.lossless {
			// nativewebp, in Go: libwebp's lossless encoder is 2.5× faster but its memory
			// depends on the picture (up to 600 bytes a pixel with a busy alpha channel),
			// which the work limits cannot reckon with before decoding.
			err = nativewebp.Encode(&buf, fastImage(img), nil)
		} else {
			err = webpEncode(&buf, img, webpQuality(e.quality.jpegEquivalent()), webpMethod(px, e.fast), false)
		}
	case AVIF:
		speed := avifSpeed(px, e.fast)
		err = avifEncode(&buf, img, avifQuality(e.quality.jpegEquivalent(), speed), speed)
	default:
		return nil, errorf(KindBadParam, "", "no output format")
	}
	if err != nil {
		return nil, errorf(KindOutputLimit, "", "cannot encode %d×%d px as %s: %v", b.Dx(), b.Dy(), formatName(f), err)
	}
	return buf.Bytes(), nil
}

// pngBestSpeedFrom is the size from which PNG is encoded at zlib's fastest level: about two and
// a half times faster than the default level, for files some 10 % larger, so that a large PNG
// stays well within a second of CPU (Limits.MaxCPU).
const pngBestSpeedFrom = 512 * 512

// pngLevel is the compression level of a PNG of n pixels.
func pngLevel(n int) png.CompressionLevel {
	if n > pngBestSpeedFrom {
		return png.BestSpeed
	}
	return png.DefaultCompression
}

// jpegReady returns img as a type image/jpeg encodes fast (*image.YCbCr, *image.Gray or an opaque
// *image.RGBA), flattening any alpha onto bg.
func jpegReady(img image.Image, bg color.RGBA) image.Image {
	switch m := img.(type) {
	case *image.YCbCr, *image.Gray:
		return m
	case *image.RGBA:
		if m.Opaque() {
			return m
		}
	}
	return flatten(img, bg)
}

// flatten composites img over an opaque background of colour bg (made opaque if it is not).
func flatten(img image.Image, bg color.RGBA) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if bg.A != 0xff {
		// Composite a translucent background over white so the result is opaque.
		a := uint32(0xff - bg.A)
		bg = color.RGBA{uint8(uint32(bg.R) + a), uint8(uint32(bg.G) + a), uint8(uint32(bg.B) + a), 0xff}
	}
	fillRGBA(dst, bg)
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
	return dst
}

// fillRGBA sets every pixel of dst to c.
func fillRGBA(dst *image.RGBA, c color.RGBA) {
	b := dst.Bounds()
	if b.Empty() {
		return
	}
	px := [4]uint8{c.R, c.G, c.B, c.A}
	first := dst.Pix[dst.PixOffset(b.Min.X, b.Min.Y):]
	row := first[:b.Dx()*4]
	for i := 0; i < len(row); i += 4 {
		copy(row[i:i+4], px[:])
	}
	for y := b.Min.Y + 1; y < b.Max.Y; y++ {
		i := dst.PixOffset(b.Min.X, y)
		copy(dst.Pix[i:i+len(row)], row)
	}
}

// fastImage returns img as a type the PNG and lossless WebP encoders read without a per-pixel interface
// call (*image.RGBA, *image.NRGBA, *image.Gray, *image.Paletted), converting others to *image.RGBA.
func fastImage(img image.Image) image.Image {
	switch img.(type) {
	case *image.RGBA, *image.NRGBA, *image.Gray, *image.Paletted:
		return img
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// paletted returns img as a single GIF frame. A paletted image is kept as it is; anything else
// is Floyd–Steinberg dithered to the 216-colour web-safe cube (nearest colour by arithmetic, no
// palette search), plus one transparent entry when the image has alpha: pixels less than half
// opaque become transparent, the others opaque.
func paletted(img image.Image) *image.Paletted {
	if p, ok := img.(*image.Paletted); ok {
		return p // gif.Encode moves a crop's offset to the origin itself
	}
	src, ok := img.(*image.RGBA)
	if !ok {
		b := img.Bounds()
		src = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	}
	hasAlpha := !src.Opaque()
	pal := make(color.Palette, 0, 217)
	for i := range 216 {
		pal = append(pal, color.RGBA{uint8(i / 36 * 51), uint8(i / 6 % 6 * 51), uint8(i % 6 * 51), 0xff})
	}
	const transparent = 216
	if hasAlpha {
		pal = append(pal, color.RGBA{})
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	// Errors ×16, for this row and the next, with one guard cell at each end.
	cur := make([]int32, 3*(w+2))
	next := make([]int32, 3*(w+2))
	for y := range h {
		clear(next)
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		out := dst.Pix[y*dst.Stride:]
		for x := range w {
			p := row[4*x : 4*x+4]
			a := int32(p[3])
			if hasAlpha && a < 0x80 {
				out[x] = transparent
				continue
			}
			var q [3]int32
			var idx int32
			for c := range 3 {
				v := int32(p[c])
				if a != 0xff { // un-premultiply
					v = (v*255 + a/2) / a
				}
				v += (cur[3*(x+1)+c] + 8) >> 4
				v = min(max(v, 0), 255)
				q[c] = (v + 25) / 51
				e := v - q[c]*51
				next[3*x+c] += 3 * e
				next[3*(x+1)+c] += 5 * e
				next[3*(x+2)+c] += e
				cur[3*(x+2)+c] += 7 * e
				idx = idx*6 + q[c]
			}
			out[x] = uint8(idx)
		}
		cur, next = next, cur
	}
	return dst
}

// pngDepth applies fl_png8 (a palette of the 216 web-safe colours, dithered, plus one
// transparent entry: pixels less than half opaque become transparent) and fl_png24 (no alpha:
// flattened onto bg) to a picture about to be written as PNG.
func pngDepth(img image.Image, f Flags, bg color.RGBA) image.Image {
	switch {
	case f&FlagPNG8 != 0:
		return paletted(img)
	case f&FlagPNG24 != 0:
		if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
			return img
		}
		return flatten(img, bg)
	}
	return img
}
