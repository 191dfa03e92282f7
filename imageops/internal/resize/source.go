package resize

import (
	"image"
	"image/color"
	"math/bits"
)

// plane is an 8-bit image in memory with c interleaved channels (c = 1: grey, or one of Y, Cb, Cr;
// c = 4: premultiplied RGBA).
type plane struct {
	pix         []uint8
	stride      int
	w, h, c     int
	transparent bool // only meaningful for c = 4: may contain alpha < 255
}

func (p *plane) row(y int) []uint8 {
	o := y * p.stride
	return p.pix[o : o+p.w*p.c]
}

// source is where the pixels to resize come from: a plane that is already in memory in a usable
// format (RGBA, Gray, the planes of a YCbCr), or conv, which converts row y (0-based) of the source
// to premultiplied RGBA in dst. Converted rows are produced one at a time, so that a large source
// is never converted whole.
type source struct {
	p    plane // for conv != nil only w, h, c and transparent are set
	conv func(dst []uint8, y int)
}

// premul returns the 8-bit premultiplied value of an 8-bit straight-alpha colour channel, rounded
// exactly as image/draw and color.RGBAModel do it.
func premul(v, a uint32) uint8 {
	return uint8((v * 0x101 * (a * 0x101) / 0xffff) >> 8)
}

// rgbaSource returns a premultiplied RGBA source for any image, with fast row converters for the
// common types and RGBA64At (or At) for the rest. (*image.Gray and *image.YCbCr have their own
// 1-channel paths in Resize; they get here only for copies and unusual layouts.)
func rgbaSource(src image.Image) source {
	r := src.Bounds()
	w := r.Dx()
	conv := func(f func(dst []uint8, y int)) source {
		return source{p: plane{w: w, h: r.Dy(), c: 4, transparent: true}, conv: f}
	}
	switch s := src.(type) {
	case *image.RGBA:
		return source{p: plane{pix: s.Pix[s.PixOffset(r.Min.X, r.Min.Y):], stride: s.Stride, w: w, h: r.Dy(), c: 4, transparent: true}}
	case *image.NRGBA:
		return conv(func(dst []uint8, y int) {
			sp := s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w*4]
			dst = dst[:len(sp)]
			for i := 0; i+3 < len(sp); i += 4 {
				d, p := dst[i:i+4:i+4], sp[i:i+4:i+4]
				switch a := uint32(p[3]); a {
				case 0xff:
					d[0], d[1], d[2], d[3] = p[0], p[1], p[2], 0xff
				case 0:
					d[0], d[1], d[2], d[3] = 0, 0, 0, 0
				default:
					d[0], d[1], d[2], d[3] = premul(uint32(p[0]), a), premul(uint32(p[1]), a), premul(uint32(p[2]), a), uint8(a)
				}
			}
		})
	case *image.Paletted:
		// Convert the palette once; each pixel is then a table look-up. Indices beyond the palette
		// (invalid; At would panic) read as transparent black.
		var lut [256][4]uint8
		for i, c := range s.Palette {
			if i >= len(lut) || c == nil {
				continue
			}
			cr, cg, cb, ca := c.RGBA()
			lut[i] = [4]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), uint8(ca >> 8)}
		}
		return conv(func(dst []uint8, y int) {
			sp := s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w]
			for x, idx := range sp {
				copy(dst[x*4:x*4+4], lut[idx][:])
			}
		})
	case *image.Gray:
		src := conv(func(dst []uint8, y int) {
			grayToRGBA(dst, s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w])
		})
		src.p.transparent = false
		return src
	case *image.YCbCr:
		if ycbcrOK(s) {
			src := conv(func(dst []uint8, y int) { ycbcrRow(dst, s, r.Min.Y+y, nil) })
			src.p.transparent = false
			return src
		}
	case *image.NYCbCrA:
		if ycbcrOK(&s.YCbCr) {
			return conv(func(dst []uint8, y int) {
				ycbcrRow(dst, &s.YCbCr, r.Min.Y+y, s.A[s.AOffset(r.Min.X, r.Min.Y+y):][:w])
			})
		}
	case *image.CMYK:
		src := conv(func(dst []uint8, y int) {
			sp := s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w*4]
			for i := 0; i+3 < len(sp); i += 4 {
				d := dst[i : i+4 : i+4]
				d[0], d[1], d[2] = color.CMYKToRGB(sp[i], sp[i+1], sp[i+2], sp[i+3])
				d[3] = 0xff
			}
		})
		src.p.transparent = false
		return src
	}
	if s, ok := src.(image.RGBA64Image); ok {
		// RGBA64At avoids boxing every pixel in a color.Color interface value.
		return conv(func(dst []uint8, y int) {
			for x := range w {
				c := s.RGBA64At(r.Min.X+x, r.Min.Y+y)
				d := dst[x*4 : x*4+4 : x*4+4]
				d[0], d[1], d[2], d[3] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8), uint8(c.A>>8)
			}
		})
	}
	return conv(func(dst []uint8, y int) {
		for x := range w {
			cr, cg, cb, ca := src.At(r.Min.X+x, r.Min.Y+y).RGBA()
			d := dst[x*4 : x*4+4 : x*4+4]
			d[0], d[1], d[2], d[3] = uint8(cr>>8), uint8(cg>>8), uint8(cb>>8), uint8(ca>>8)
		}
	})
}

// grayToRGBA expands grey values into opaque RGBA pixels (len(dst) ≥ 4·len(g)).
func grayToRGBA(dst []uint8, g []uint8) {
	dst = dst[:len(g)*4]
	for i, v := range g {
		d := dst[i*4 : i*4+4 : i*4+4]
		d[0], d[1], d[2], d[3] = v, v, v, 0xff
	}
}

// subsampling returns the horizontal and vertical chroma subsampling factors of a ratio, or 0, 0
// for a ratio this package does not know.
func subsampling(r image.YCbCrSubsampleRatio) (fx, fy int) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 0, 0
}

// ycbcrOK reports whether the fast paths can index s's planes directly: a known subsampling ratio
// and a non-negative origin (image.YCbCr's chroma indexing truncates towards zero, which for
// negative coordinates is not a plain floor; such images take the generic path).
func ycbcrOK(s *image.YCbCr) bool {
	fx, _ := subsampling(s.SubsampleRatio)
	return fx != 0 && s.Rect.Min.X >= 0 && s.Rect.Min.Y >= 0
}

// ycbcrRow converts row y (absolute) of s to RGBA exactly as s.At does: a pixel takes the chroma
// sample whose block contains it. With a non-nil alpha row (an image.NYCbCrA), the colour is
// premultiplied by it.
func ycbcrRow(dst []uint8, s *image.YCbCr, y int, alpha []uint8) {
	r := s.Rect
	w := r.Dx()
	fx, _ := subsampling(s.SubsampleRatio)
	shift := bits.TrailingZeros(uint(fx)) // fx is 1, 2 or 4, and x ≥ 0: a shift divides
	yp := s.Y[s.YOffset(r.Min.X, y):][:w]
	co := s.COffset(r.Min.X, y)
	cb, cr := s.Cb[co:], s.Cr[co:]
	c0 := r.Min.X >> shift
	for x, yy := range yp {
		ci := (r.Min.X+x)>>shift - c0
		d := dst[x*4 : x*4+4 : x*4+4]
		d[0], d[1], d[2] = ycbcrToRGB(yy, cb[ci], cr[ci])
		d[3] = 0xff
		if alpha != nil {
			a := uint32(alpha[x])
			d[0], d[1], d[2], d[3] = premul(uint32(d[0]), a), premul(uint32(d[1]), a), premul(uint32(d[2]), a), uint8(a)
		}
	}
}

// ycbcrToRGB is color.YCbCrToRGB (same constants, same rounding, same results) with clamps that
// compile to conditional moves rather than branches, which out-of-gamut colours would make
// unpredictable.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	g := yy1 - 22554*cb1 - 46802*cr1
	b := yy1 + 116130*cb1
	return clampShift16(r), clampShift16(g), clampShift16(b)
}

// clampShift16 returns v>>16 clamped to [0, 255].
func clampShift16(v int32) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}

// ycbcrFracToRGB is ycbcrToRGB for Y, Cb and Cr with interBits fractional bits (and possibly
// outside [0, 255], from Lanczos overshoot): the colour is converted before it is rounded or
// clamped, which is what filtering in RGB would have given. For whole values it returns exactly
// what ycbcrToRGB returns (the same formula with every term scaled by 2^interBits).
func ycbcrFracToRGB(y, cb, cr int32) (uint8, uint8, uint8) {
	const half = 128 << interBits
	yy1 := int64(y) * 0x10101
	cb1 := int64(cb) - half
	cr1 := int64(cr) - half
	r := (yy1 + 91881*cr1) >> interBits
	g := (yy1 - 22554*cb1 - 46802*cr1) >> interBits
	b := (yy1 + 116130*cb1) >> interBits
	return clampShift16Wide(r), clampShift16Wide(g), clampShift16Wide(b)
}

// clampShift16Wide returns v>>16 clamped to [0, 255].
func clampShift16Wide(v int64) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}
