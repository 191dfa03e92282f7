package imageops

import (
	"image"
)

// f_auto picks, without trying them, the encoding that is smallest on photographs among those
// the client accepts, which is what measuring them shows (BENCHMARKS.md and
// TestAutoFormatPrediction): at the same visual quality (SSIM) AVIF is about 0.6 of a JPEG and
// lossy WebP 0.7–0.9 of it, up to JPEG quality 83; above that WebP is larger (and from about 88
// cannot match JPEG's quality at all), so JPEG comes before WebP. For a picture kept lossless,
// PNG comes first: the lossless WebP encoder (nativewebp) is smaller than PNG on photographs but
// larger on flat pictures, which most lossless avatars are. Encoding every candidate to keep the smallest would cost 2–4 encodes,
// AVIF's alone 20–60× a JPEG's, for nothing.

// Output sizes (in pixels) between which f_auto considers AVIF. Below the lower bound AVIF's
// fixed overhead (about 300 bytes of container and headers) loses to WebP on some pictures
// (measured: WebP is smaller in total at 32², AVIF from about 40²); above the upper one its CPU and
// memory (see encodeCost) are more than one request should cost, and WebP is served.
const (
	avifAutoMinPixels = 64 * 64
	avifAutoMaxPixels = 512 * 512
)

// chooseAuto returns the format f_auto serves for a w×h result among accept, for a lossy result
// at JPEG quality jpegQ or a lossless one: GIF only when nothing else is acceptable; for a
// result with transparency, JPEG only when no format with alpha is acceptable; then the first
// acceptable of AVIF (only for outputs of avifAutoMinPixels to avifAutoMaxPixels pixels, and
// only when another format is acceptable to fall back to), WebP, JPEG, PNG for a lossy result
// (JPEG before WebP above webpBeatsJPEGMaxQuality), or of PNG, lossless WebP, JPEG for a
// lossless one.
func chooseAuto(accept []Format, lossy bool, jpegQ int, opaque bool, w, h int) Format {
	var in [lastFormat + 1]bool
	n := 0
	for _, f := range accept {
		if !in[f] {
			in[f] = true
			n++
		}
	}
	drop := func(f Format, when bool) {
		if in[f] && when && n > 1 {
			in[f] = false
			n--
		}
	}
	drop(GIF, true)
	if !opaque {
		drop(JPEG, in[PNG] || in[WebP] || in[AVIF] || in[GIF])
	}
	px := w * h
	drop(AVIF, !lossy || px < avifAutoMinPixels || px > avifAutoMaxPixels)
	var order []Format
	switch {
	case !lossy:
		order = []Format{PNG, WebP, JPEG, AVIF, GIF}
	case jpegQ > webpBeatsJPEGMaxQuality:
		order = []Format{AVIF, JPEG, WebP, PNG, GIF}
	default:
		order = []Format{AVIF, WebP, JPEG, PNG, GIF}
	}
	for _, f := range order {
		if in[f] {
			return f
		}
	}
	return JPEG // not reached: accept holds one of the formats
}

// lossyResult reports whether the result of a chain is written with a lossy encoding in the
// formats that have both (WebP): when the source was lossy (a JPEG or a lossy WebP), when the
// chain has fl_lossy, or, with q_auto, when the result looks like a photograph. Otherwise (a
// PNG, GIF or lossless WebP source: drawings, logos, generated pictures) it stays lossless, as
// Cloudinary keeps it.
func lossyResult(src source, srcBytes []byte, flagLossy bool, q Quality, img image.Image) bool {
	switch {
	case src.format == JPEG || (src.format == WebP && !webpLossless(srcBytes)):
		return true
	case flagLossy:
		return true
	case q.IsAuto():
		return photographic(img)
	}
	return false
}

// webpLossless reports whether a WebP file holds a lossless (VP8L) image: its first image
// chunk, after the VP8X header and any ICCP or ANIM chunks, is VP8L.
func webpLossless(b []byte) bool {
	for i := 12; i+8 <= len(b); {
		id := string(b[i : i+4])
		switch id {
		case "VP8L":
			return true
		case "VP8 ", "ANMF":
			return false
		}
		size := int(uint32(b[i+4]) | uint32(b[i+5])<<8 | uint32(b[i+6])<<16 | uint32(b[i+7])<<24)
		if size < 0 || size > len(b) {
			return false
		}
		i += 8 + size + size&1
	}
	return false
}

// photographic reports whether img has the many colours of a photograph rather than the few of
// a drawing: more distinct colours (at 5 bits a channel, counted over at most 64k pixels
// spread over the picture) than 1 in 16 of the pixels counted, capped at 1024.
func photographic(img image.Image) bool {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return false
	}
	step := 1
	for (w/step)*(h/step) > 1<<16 {
		step++
	}
	enough := min(1024, max(16, (w/step)*(h/step)/16))
	var seen [1 << 15 / 64]uint64
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			var k uint32
			switch m := img.(type) {
			case *image.RGBA: // premultiplied: close enough to count colours
				p := m.Pix[m.PixOffset(x, y):]
				k = uint32(p[0])>>3<<10 | uint32(p[1])>>3<<5 | uint32(p[2])>>3
			case *image.NRGBA:
				p := m.Pix[m.PixOffset(x, y):]
				k = uint32(p[0])>>3<<10 | uint32(p[1])>>3<<5 | uint32(p[2])>>3
			default:
				r, g, bl, _ := img.At(x, y).RGBA()
				k = r>>11<<10 | g>>11<<5 | bl>>11
			}
			if seen[k/64]&(1<<(k%64)) == 0 {
				seen[k/64] |= 1 << (k % 64)
				if n++; n > enough {
					return true
				}
			}
		}
	}
	return false
}

// lossyFlag reports whether the chain asks for lossy compression of a lossless source
// (Cloudinary's fl_lossy).
func (c Chain) lossyFlag() bool { return c.Flags()&FlagLossy != 0 }
