package imageops

import (
	"image"
	"image/color"
)

// grayPlane is a grayscale picture, one byte per pixel, row by row (no padding).
type grayPlane struct {
	pix  []uint8
	w, h int
}

// lumaRows reads the luma (BT.601, as a JPEG stores it) of the rows of an image, one at a time.
// A JPEG's Y plane (and a WebP's) and a gray picture are read in place; other pictures are
// converted row by row into a buffer of one row, so reading never allocates in the size of the
// picture. Colours are premultiplied by their alpha (a transparent pixel is black).
type lumaRows struct {
	img     image.Image
	buf     []uint8
	palette []uint8 // a paletted picture's colours' luma, made on first use
}

// inPlace reports whether row returns the picture's own bytes (then two rows can be held at once).
func (lr *lumaRows) inPlace() bool {
	switch lr.img.(type) {
	case *image.YCbCr, *image.NYCbCrA, *image.Gray, *grayPlane:
		return true
	}
	return false
}

// row returns the luma of the pixels x0 ≤ x < x1 of row y (in img's bounds coordinates). The
// result is valid until the next call.
func (lr *lumaRows) row(y, x0, x1 int) []uint8 {
	switch m := lr.img.(type) {
	case *image.YCbCr:
		i := m.YOffset(x0, y)
		return m.Y[i : i+x1-x0]
	case *image.NYCbCrA: // its luma, alpha left aside
		i := m.YOffset(x0, y)
		return m.Y[i : i+x1-x0]
	case *image.Gray:
		i := m.PixOffset(x0, y)
		return m.Pix[i : i+x1-x0]
	case *grayPlane:
		return m.pix[y*m.w+x0 : y*m.w+x1]
	}
	if cap(lr.buf) < x1-x0 {
		lr.buf = make([]uint8, x1-x0)
	}
	out := lr.buf[:x1-x0]
	switch m := lr.img.(type) {
	case *image.RGBA: // premultiplied: a transparent pixel is black
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			out[i] = lumaOf(uint32(p[4*i]), uint32(p[4*i+1]), uint32(p[4*i+2]))
		}
	case *image.NRGBA: // premultiplied here, as the RGBA case
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			a := uint32(p[4*i+3])
			out[i] = lumaOf(uint32(p[4*i])*a/255, uint32(p[4*i+1])*a/255, uint32(p[4*i+2])*a/255)
		}
	case *image.RGBA64: // the high bytes, premultiplied
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			out[i] = lumaOf(uint32(p[8*i]), uint32(p[8*i+2]), uint32(p[8*i+4]))
		}
	case *image.NRGBA64:
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			a := uint32(p[8*i+6])
			out[i] = lumaOf(uint32(p[8*i])*a/255, uint32(p[8*i+2])*a/255, uint32(p[8*i+4])*a/255)
		}
	case *image.Gray16:
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			out[i] = p[2*i]
		}
	case *image.Paletted:
		if lr.palette == nil {
			lr.palette = make([]uint8, 256)
			for i, c := range m.Palette[:min(len(m.Palette), 256)] {
				r, g, b, _ := c.RGBA()
				lr.palette[i] = lumaOf(r>>8, g>>8, b>>8)
			}
		}
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			out[i] = lr.palette[p[i]]
		}
	case *image.CMYK:
		p := m.Pix[m.PixOffset(x0, y):]
		for i := range out {
			r, g, b := color.CMYKToRGB(p[4*i], p[4*i+1], p[4*i+2], p[4*i+3])
			out[i] = lumaOf(uint32(r), uint32(g), uint32(b))
		}
	default: // through the colour model, a pixel at a time

		for i := range out {
			c := color.RGBAModel.Convert(lr.img.At(x0+i, y)).(color.RGBA)
			out[i] = lumaOf(uint32(c.R), uint32(c.G), uint32(c.B))
		}
	}
	return out
}

// lumaOf is the BT.601 luma of 8-bit R, G, B (what image/jpeg's RGB to YCbCr gives).
func lumaOf(r, g, b uint32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

// ColorModel, Bounds and At make a grayPlane an image.Image (a view for lumaRows).
func (l *grayPlane) ColorModel() color.Model { return color.GrayModel }
func (l *grayPlane) Bounds() image.Rectangle { return image.Rect(0, 0, l.w, l.h) }
func (l *grayPlane) At(x, y int) color.Color { return color.Gray{Y: l.pix[y*l.w+x]} }

// shrinkLuma returns the part r of img (in its bounds coordinates) reduced to dw×dh luma by
// averaging: output pixel (i, j) is the mean of the input pixels whose column is one of those
// with ⌊x·dw/r.Dx()⌋ = i and whose row is one of those with ⌊y·dh/r.Dy()⌋ = j — one pass over
// the region, each pixel read once and added twice. dw and dh are at most the region's size (a
// region is never enlarged) and at least 1. The detector needs no finer filter: averaging every
// pixel already removes what a plain subsampling would alias.
func shrinkLuma(img image.Image, r image.Rectangle, dw, dh int) *grayPlane {
	sw, sh := r.Dx(), r.Dy()
	dw, dh = max(1, min(dw, sw)), max(1, min(dh, sh))
	out := &grayPlane{pix: make([]uint8, dw*dh), w: dw, h: dh}
	lr := lumaRows{img: img}
	if sw == 2*dw && sh == 2*dh && lr.inPlace() { // halving: 2×2 blocks
		for j := range dh {
			a := lr.row(r.Min.Y+2*j, r.Min.X, r.Max.X)[:sw]
			b := lr.row(r.Min.Y+2*j+1, r.Min.X, r.Max.X)[:sw]
			o := out.pix[j*dw : (j+1)*dw]
			for i := range o {
				o[i] = uint8((uint32(a[2*i]) + uint32(a[2*i+1]) + uint32(b[2*i]) + uint32(b[2*i+1]) + 2) / 4)
			}
		}
		return out
	}
	col := make([]int32, sw)    // the output column of each input column
	recip := make([]uint64, dw) // ⌈2^24 / input columns⌉ of each output column
	for x := range col {
		col[x] = int32(x * dw / sw)
	}
	for i := range recip {
		n := ceilDiv((i+1)*sw, dw) - ceilDiv(i*sw, dw) // the columns x with ⌊x·dw/sw⌋ = i
		recip[i] = (1<<24 + uint64(n) - 1) / uint64(n)
	}
	sums := make([]uint32, dw) // the current output row's pixels, summed per output column
	y := 0
	for j := range dh {
		n := 0
		for ; y < sh && y*dh/sh == j; y++ {
			a := lr.row(r.Min.Y+y, r.Min.X, r.Max.X)[:len(col)]
			if y+1 < sh && (y+1)*dh/sh == j && lr.inPlace() { // two rows at a time
				b := lr.row(r.Min.Y+y+1, r.Min.X, r.Max.X)[:len(col)]
				for x, c := range col {
					sums[c] += uint32(a[x]) + uint32(b[x])
				}
				y++
				n += 2
				continue
			}
			for x, c := range col {
				sums[c] += uint32(a[x])
			}
			n++
		}
		rn := (1<<24 + uint64(n) - 1) / uint64(n)
		o := out.pix[j*dw : (j+1)*dw]
		for i, t := range sums {
			o[i] = uint8(min(255, (uint64(t)*recip[i]*rn+1<<47)>>48))
			sums[i] = 0
		}
	}
	return out
}

// ceilDiv is ⌈a / b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
