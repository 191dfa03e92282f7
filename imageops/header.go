package imageops

import (
	"bytes"
	"encoding/binary"

	"github.com/avatarkit/avatarkit/imageops/internal/jpeg"
)

// layout is what a source's header says about the decoded form of its pixels, beyond its size:
// what decoding it will allocate and cost depends on it (cost.go). Fields that do not apply to
// the source's format are zero. It is read from the header alone and never trusted beyond that:
// a lying header is caught by the decoder, and the estimate errs on the side of more.
type layout struct {
	// JPEG.
	components  int  // 1 (gray), 3 (YCbCr or RGB), 4 (CMYK/YCCK)
	scans       int  // the number of scans (SOS markers)
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

// readLayout reads the layout of a PNG or WebP src, whose format f was sniffed (a JPEG's comes
// from its frame: jpegLayout). It never fails: what it cannot read is left at its most expensive
// value.
func readLayout(src []byte, f Format) layout {
	switch f {
	case PNG:
		return pngLayout(src)
	case WebP:
		return webpLayout(src)
	}
	return layout{}
}

// jpegLayout is the layout of a JPEG whose frame is cfg: its components, sampling and mode, and
// the number of its scans, counted by their markers (in the entropy-coded data a 0xFF byte is
// always followed by 0x00 or a restart marker, so every 0xFF 0xDA is a start of scan).
func jpegLayout(cfg jpeg.Config, src []byte) layout {
	l := layout{components: cfg.Components, progressive: cfg.Progressive, hmax: 1, vmax: 1, chroma: 4}
	for i := range cfg.Components {
		l.hmax, l.vmax = max(l.hmax, cfg.Sampling[i].H), max(l.vmax, cfg.Sampling[i].V)
	}
	if cfg.Components >= 3 {
		c := cfg.Sampling[1]
		l.chroma = max(1, 4*c.H*c.V/(l.hmax*l.vmax))
	}
	for i := 0; ; i++ {
		j := bytes.Index(src[i:], []byte{0xFF, 0xDA})
		if j < 0 {
			break
		}
		l.scans++
		i += j + 1
	}
	return l
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
