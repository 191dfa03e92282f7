package imageops

import (
	"bytes"
	"encoding/binary"
)

// layout is what a source's header says about the decoded form of its pixels, beyond its size:
// what decoding it will allocate and cost depends on it (cost.go). Fields that do not apply to
// the source's format are zero. It is read from the header alone and never trusted beyond that:
// a lying header is caught by the decoder, and the estimate errs on the side of more.
type layout struct {
	// JPEG.
	components  int  // 1 (gray), 3 (YCbCr), 4 (CMYK/YCCK)
	progressive bool // SOF2: every coefficient is kept until the end
	hmax, vmax  int  // the largest sampling factors: the MCU is 8·hmax × 8·vmax px
	chroma      int  // the chroma planes' share of the luma plane's samples, in 1/4: 4 = 4:4:4, 2 = 4:2:2, 1 = 4:2:0

	// PNG.
	bitDepth    int
	colorType   int
	interlaced  bool
	transparent bool // a tRNS chunk: gray and truecolor decode with alpha

	// WebP.
	lossless bool // VP8L
	alpha    bool // an alpha plane (VP8X with ALPH, or VP8L)
}

// readLayout reads the layout of src, whose format f was sniffed. It never fails: what it cannot
// read is left at its most expensive value.
func readLayout(src []byte, f Format) layout {
	switch f {
	case JPEG:
		return jpegLayout(src)
	case PNG:
		return pngLayout(src)
	case WebP:
		return webpLayout(src)
	}
	return layout{}
}

// jpegLayout finds the frame header (SOFn) of a JPEG.
func jpegLayout(src []byte) layout {
	worst := layout{components: 4, progressive: true, hmax: 2, vmax: 2, chroma: 4}
	i := 2
	for i+4 <= len(src) {
		if src[i] != 0xFF {
			return worst
		}
		m := src[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01:
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(src[i+2:]))
		if n < 2 || i+2+n > len(src) {
			return worst
		}
		seg := src[i+4 : i+2+n]
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			// SOFn: precision, height, width, components, then 3 bytes a component.
			if len(seg) < 6 {
				return worst
			}
			nc := int(seg[5])
			if nc < 1 || len(seg) < 6+3*nc {
				return worst
			}
			l := layout{components: nc, progressive: m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE, hmax: 1, vmax: 1}
			samples := 0
			for c := 0; c < nc; c++ {
				hv := seg[6+3*c+1]
				h, v := int(hv>>4), int(hv&0x0F)
				if h < 1 || h > 4 || v < 1 || v > 4 {
					return worst
				}
				l.hmax, l.vmax = max(l.hmax, h), max(l.vmax, v)
				if c > 0 {
					samples += h * v
				}
			}
			if nc >= 3 {
				// Chroma planes relative to luma, in quarters, per chroma plane.
				l.chroma = max(1, 4*samples/(nc-1)/(l.hmax*l.vmax))
			}
			return l
		}
		if m == 0xDA { // start of scan before any frame header
			return worst
		}
		i += 2 + n
	}
	return worst
}

// pngLayout reads the IHDR chunk of a PNG, and whether a tRNS chunk precedes the first IDAT.
func pngLayout(src []byte) layout {
	worst := layout{bitDepth: 16, colorType: 6, interlaced: true, transparent: true}
	const sig = 8
	if len(src) < sig+8+13 || string(src[sig+4:sig+8]) != "IHDR" {
		return worst
	}
	ihdr := src[sig+8:]
	l := layout{bitDepth: int(ihdr[8]), colorType: int(ihdr[9]), interlaced: ihdr[12] != 0}
	for i := sig; i+8 <= len(src); {
		n := int(binary.BigEndian.Uint32(src[i:]))
		typ := src[i+4 : i+8]
		if bytes.Equal(typ, []byte("IDAT")) || n < 0 || n > len(src) {
			break
		}
		if bytes.Equal(typ, []byte("tRNS")) {
			l.transparent = true
			break
		}
		i += 12 + n
	}
	return l
}

// webpLayout reads the first chunk of a WebP: VP8 (lossy), VP8L (lossless) or VP8X (extended,
// whose flags say whether there is alpha; its image chunk is assumed lossless, the dearer).
func webpLayout(src []byte) layout {
	if len(src) < 21 {
		return layout{lossless: true, alpha: true}
	}
	switch string(src[12:16]) {
	case "VP8 ":
		return layout{}
	case "VP8L":
		return layout{lossless: true, alpha: true}
	case "VP8X":
		l := layout{lossless: true, alpha: src[20]&0x10 != 0}
		// The image chunk follows the optional ones; find it to tell lossy from lossless.
		for i := 30; i+8 <= len(src); {
			n := int(binary.LittleEndian.Uint32(src[i+4:]))
			switch string(src[i : i+4]) {
			case "VP8 ":
				l.lossless = false
				return l
			case "VP8L":
				return l
			}
			if n < 0 || n > len(src) {
				break
			}
			i += 8 + n + n&1
		}
		return l
	}
	return layout{lossless: true, alpha: true}
}
