package resize

import (
	"image"
	"math"
	"time"
)

// Kind is the pixel layout of a Resize source, for Cost.
type Kind uint8

const (
	KindRGBA      Kind = iota // *image.RGBA
	KindConverted             // any type Resize converts row by row (NRGBA, NYCbCrA, RGBA64, NRGBA64, Paletted, CMYK, others)
	KindGray                  // *image.Gray
	KindYCbCr444
	KindYCbCr422
	KindYCbCr420
	KindYCbCr440
	KindYCbCr411
	KindYCbCr410
)

// KindOf returns the Kind of img as Resize will treat it.
func KindOf(img image.Image) Kind {
	switch m := img.(type) {
	case *image.RGBA:
		return KindRGBA
	case *image.Gray:
		return KindGray
	case *image.YCbCr:
		if !ycbcrOK(m) {
			return KindConverted
		}
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio444:
			return KindYCbCr444
		case image.YCbCrSubsampleRatio422:
			return KindYCbCr422
		case image.YCbCrSubsampleRatio420:
			return KindYCbCr420
		case image.YCbCrSubsampleRatio440:
			return KindYCbCr440
		case image.YCbCrSubsampleRatio411:
			return KindYCbCr411
		case image.YCbCrSubsampleRatio410:
			return KindYCbCr410
		}
	}
	return KindConverted
}

// Cost returns an upper bound of the bytes Resize allocates, result included, to scale a
// sw×sh source of kind k to w×h, and the processor time it takes on the reference machine.
//
// Today's resizer packs the whole (box-reduced) plane and keeps the whole transposed
// intermediate: 4 bytes a sample each (two samples to an int64 word).
func Cost(k Kind, sw, sh, w, h int) (bytes int64, cpu time.Duration) {
	w, h = max(w, 1), max(h, 1)
	out := float64(w) * float64(h)
	bytes = int64(4*out) + 4096
	if sw <= 0 || sh <= 0 {
		return bytes, 0
	}
	if sw == w && sh == h {
		return bytes, time.Duration(3 * out)
	}
	var b, ns float64
	plane := func(pw, ph, c int) {
		ax := axis{n: pw, out: w, s: float64(pw) / float64(w)}
		ay := axis{n: ph, out: h, s: float64(ph) / float64(h)}
		kx, ky := ax.boxFactor(), ay.boxFactor()
		bw, bh := float64((pw+kx-1)/kx), float64((ph+ky-1)/ky)
		fc := float64(c)
		tx := 2*math.Ceil(3*math.Max(1, ax.boxed(kx).s)) + 2
		ty := 2*math.Ceil(3*math.Max(1, ay.boxed(ky).s)) + 2
		packed := 4 * fc * bw * bh
		trans := 4 * fc * bw * float64(h+1)
		b += packed + trans + 8*fc*float64(pw+8) + 8*fc*float64(h+1) + 4*(tx*float64(w)+ty*float64(h)) + 8*(float64(w)+float64(h))
		ns += 0.8*fc*float64(pw)*float64(ph) + 1.0*fc*bw*bh + 0.6*ty*fc*bw*float64(h) + 0.6*tx*fc*out
	}
	switch k {
	case KindRGBA, KindConverted:
		plane(sw, sh, 4)
		if k == KindConverted {
			b += 8 * float64(sw)
			ns += 4 * float64(sw) * float64(sh)
		}
	case KindGray:
		plane(sw, sh, 1)
	default:
		fx, fy := 1, 1
		switch k {
		case KindYCbCr422:
			fx = 2
		case KindYCbCr420:
			fx, fy = 2, 2
		case KindYCbCr440:
			fy = 2
		case KindYCbCr411:
			fx = 4
		case KindYCbCr410:
			fx, fy = 4, 2
		}
		plane(sw, sh, 1)
		cw, ch := (sw+fx-1)/fx+1, (sh+fy-1)/fy+1
		plane(cw, ch, 1)
		plane(cw, ch, 1)
		ns += 4 * out
	}
	return bytes + int64(b*1.1), time.Duration(ns*1.5 + 4*out)
}
