package jpeg

import (
	"image"
	"image/color"
)

// plane is where one component's samples go in the output image.
//
// Gray and YCbCr images have one plane per component (step 1). RGB, CMYK and YCCK files are
// decoded straight into the 4-byte pixels of an *image.RGBA or *image.CMYK (step 4, pix starting at
// the component's byte); a subsampled component's sample then fills hr×vr pixels, which is what
// image/jpeg's conversions do (nearest neighbour), unless the component can be decoded at a finer
// scale instead (see componentScale). The conversions that need all components (YCbCr to RGB,
// inversion) run in place at the end, in finish.
type plane struct {
	scale  int // the component's scale: 1, 2, 4 or 8
	bs     int // samples per block side: 8/scale
	pix    []byte
	stride int
	w, h   int // the component's size in samples at the output scale
	step   int // 1 for a plane of its own, 4 for a component of interleaved pixels
	hr, vr int // interleaved: each sample covers hr×vr pixels
	ow, oh int // interleaved: the image's size in pixels
}

// chromaSize returns the size of an image.YCbCr's chroma planes for a w×h image at the origin.
func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// makeImg allocates the output image at the scaled size, the only allocation of the size of the
// image for a sequential file. It fixes the color space from the markers seen so far.
func (d *decoder) makeImg() error {
	cfg, err := d.config()
	if err != nil {
		return err
	}
	w, h := cfg.ScaledSize(d.scale)
	if int64(w)*int64(h) > int64(maxInt/4) {
		return UnsupportedError("image too large for this platform")
	}
	r := image.Rect(0, 0, w, h)
	switch cfg.ColorSpace {
	case Gray:
		m := image.NewGray(r)
		d.img = m
		d.planes[0] = plane{pix: m.Pix, stride: m.Stride, w: w, h: h, step: 1}
	case YCbCr:
		ratio := cfg.SubsampleRatio()
		m := image.NewYCbCr(r, ratio)
		d.img = m
		cw, ch := chromaSize(w, h, ratio)
		d.planes[0] = plane{pix: m.Y, stride: m.YStride, w: w, h: h, step: 1}
		d.planes[1] = plane{pix: m.Cb, stride: m.CStride, w: cw, h: ch, step: 1}
		d.planes[2] = plane{pix: m.Cr, stride: m.CStride, w: cw, h: ch, step: 1}
	default: // RGB, CMYK, YCCK
		pix := make([]byte, 4*w*h)
		if cfg.ColorSpace == RGB {
			d.img = &image.RGBA{Pix: pix, Stride: 4 * w, Rect: r}
			d.rgb = true
		} else {
			d.img = &image.CMYK{Pix: pix, Stride: 4 * w, Rect: r}
		}
		for i := range d.nComp {
			hr, vr := cfg.Sampling[0].H/cfg.Sampling[i].H, cfg.Sampling[0].V/cfg.Sampling[i].V
			if componentScale(cfg, i, d.scale) != d.scale {
				hr, vr = 1, 1 // decoded at the output's resolution
			}
			d.planes[i] = plane{
				pix: pix[i:], stride: 4 * w,
				w: (w + hr - 1) / hr, h: (h + vr - 1) / vr,
				step: 4, hr: hr, vr: vr, ow: w, oh: h,
			}
		}
	}
	for i := range d.nComp {
		d.planes[i].scale = componentScale(cfg, i, d.scale)
		d.planes[i].bs = 8 / d.planes[i].scale
	}
	return nil
}

// componentScale returns the scale at which component i is decoded when the image is decoded at
// the given scale. It is that scale, except for a subsampled component of an RGB, CMYK or YCCK
// image: those are decoded into full-resolution pixels, and a component subsampled n×n (n = 2
// or 4) is decoded n times finer (down to scale 1), so that its samples fall one per pixel, as
// libjpeg does, rather than be reduced further and then repeated. (Gray and YCbCr images keep the
// file's subsampling, so their components are all decoded at the image's scale.)
func componentScale(cfg Config, i, scale int) int {
	switch cfg.ColorSpace {
	case Gray, YCbCr:
		return scale
	}
	s0, s := cfg.Sampling[0], cfg.Sampling[i]
	if s.H < 1 || s.V < 1 {
		return scale
	}
	hr, vr := s0.H/s.H, s0.V/s.V
	if hr == vr && hr > 1 && scale >= hr {
		return scale / hr
	}
	return scale
}

const maxInt = int(^uint(0) >> 1)

// clamp level-shifts an inverse DCT output by +128 and clips it to [0, 255], as image/jpeg does.
func clamp(c int32) uint8 {
	if c < -128 {
		return 0
	} else if c > 127 {
		return 255
	}
	return uint8(c + 128)
}

// put stores the p.bs×p.bs samples of b (row stride 8) at (x0, y0) of plane p, clipped to the
// plane. The caller has checked that (x0, y0) is inside the plane.
func (p *plane) put(x0, y0 int, b *block) {
	nx, ny := min(p.bs, p.w-x0), min(p.bs, p.h-y0)
	if p.step == 1 {
		for y := range ny {
			row := p.pix[(y0+y)*p.stride+x0:]
			row = row[:nx]
			src := b[y*8 : y*8+nx]
			for x, c := range src {
				row[x] = clamp(c)
			}
		}
		return
	}
	for y := range ny {
		oy0 := (y0 + y) * p.vr
		oy1 := min(oy0+p.vr, p.oh)
		for x := range nx {
			v := clamp(b[y*8+x])
			ox0 := (x0 + x) * p.hr
			ox1 := min(ox0+p.hr, p.ow)
			for oy := oy0; oy < oy1; oy++ {
				row := p.pix[oy*p.stride:]
				for ox := ox0; ox < ox1; ox++ {
					row[4*ox] = v
				}
			}
		}
	}
}

// finish applies the conversions that need every component, in place, as image/jpeg's
// applyBlack and convertToRGB do.
func (d *decoder) finish() error {
	switch d.nComp {
	case 3:
		if d.isRGB() != d.rgb {
			return errLateColorMarker
		}
		if d.rgb {
			pix := d.img.(*image.RGBA).Pix
			for i := 3; i < len(pix); i += 4 {
				pix[i] = 255
			}
		}
	case 4:
		pix := d.img.(*image.CMYK).Pix
		if d.adobeTransform != adobeTransformUnknown {
			// YCbCrK: convert the YCbCr to RGB, invert the RGB to get CMY and patch in the original
			// K. The RGB to CMY inversion cancels out Adobe's inversion of CMYK, so in practice
			// only the black is inverted.
			for i := 0; i+4 <= len(pix); i += 4 {
				p := pix[i : i+4 : i+4]
				p[0], p[1], p[2] = color.YCbCrToRGB(p[0], p[1], p[2])
				p[3] = 255 - p[3]
			}
		} else {
			// Adobe CMYK JPEG images are inverted: 255 means no ink.
			for i := range pix {
				pix[i] = 255 - pix[i]
			}
		}
	}
	return nil
}
