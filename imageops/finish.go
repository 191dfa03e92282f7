package imageops

import (
	"image"
	"image/draw"
	"math"

	"github.com/anthonynsimon/bild/adjust"
	"github.com/anthonynsimon/bild/effect"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// value returns the effect's value, or its default when none was given (Cloudinary's server
// defaults, effectSpecs' def).
func (e Effect) value() int {
	if e.HasValue {
		return e.Value
	}
	if int(e.Name) < len(effectSpecs) {
		return effectSpecs[e.Name].def
	}
	return 0
}

// ownRGBA returns img as a zero-origin *image.RGBA that the caller may modify: img itself when it
// already is one (every image a transformation step makes is the step's own), else a copy.
func ownRGBA(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) && m.Stride == 4*m.Rect.Dx() {
		return m
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// applyEffect applies e to img (see the package documentation for the mapping of each value).
// Colour effects work on un-premultiplied colour and keep alpha; blur and pixelate average
// premultiplied pixels (so transparent pixels do not darken their neighbours); sharpen keeps
// alpha.
func applyEffect(img image.Image, e Effect, col Color) image.Image {
	src := ownRGBA(img)
	if src.Rect.Empty() {
		return src
	}
	n := e.value()
	switch e.Name {
	case EffectVignette:
		vignette(src, float64(n)/100)
		return src
	case EffectUnsharpMask:
		return unsharpMask(src, float64(n)/100)
	case EffectTrim:
		r := trimRect(src, e)
		return src.SubImage(r)
	case EffectBlur:
		return gaussian(src, float64(n)/20)
	case EffectPixelate:
		pixelate(src, n)
		return src
	case EffectSharpen:
		return sharpen(src, min(float64(n)/200, 10))
	}
	opaque := src.Opaque()
	if !opaque {
		unpremultiply(src)
	}
	var out *image.RGBA
	switch e.Name {
	case EffectGrayscale:
		out = effect.Grayscale(src)
	case EffectSepia:
		out = effect.Sepia(src)
		if n < 100 { // blend with the original: sepia:50 is half way
			mix(out, src, float64(n)/100)
		}
	case EffectNegate:
		out = effect.Invert(src)
	case EffectBrightness:
		out = adjust.Brightness(src, float64(n)/100)
	case EffectContrast:
		out = adjust.Contrast(src, float64(n)/100)
	case EffectSaturation:
		out = adjust.Saturation(src, float64(n)/100)
	case EffectBlackwhite:
		blackwhite(src, n)
	case EffectVibrance:
		vibrance(src, float64(n)/100)
	case EffectImprove:
		improve(src, e.Mode == "indoor", float64(n)/100)
	case EffectAutoBrightness:
		autoBrightness(src, float64(n)/100)
	case EffectAutoContrast:
		autoContrast(src, float64(n)/100)
	case EffectAutoColor:
		autoColor(src, float64(n)/100)
	case EffectTint:
		tint(src, e)
	case EffectColorize:
		colorize(src, col, float64(n)/100)
	}
	if out == nil { // changed in place
		out = src
	}
	if !opaque {
		premultiply(out)
	}
	return out
}

// gaussian blurs src with a Gaussian of standard deviation sigma px (approximately, for large
// sigma). A Gaussian kernel of radius r (gaussianKernel) has standard deviation √(2r) and 2r+1 taps, so a direct blur
// is used up to sigma √10 (r ≤ 5, the smallest being r = 1, σ ≈ 1.4); a larger blur is done on a
// copy reduced by sigma/2, blurred with r = 2 (σ = 2) and enlarged back, which costs the same
// whatever sigma is.
func gaussian(src *image.RGBA, sigma float64) *image.RGBA {
	if sigma <= math.Sqrt(10) {
		r := max(1, math.Round(sigma*sigma/2))
		return blurRGBA(src, gaussianKernel(int(r)))
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	f := sigma / 2
	sw, sh := max(1, int(math.Round(float64(w)/f))), max(1, int(math.Round(float64(h)/f)))
	small := resize.Resize(src, sw, sh)
	small = blurRGBA(small, gaussianKernel(2))
	return resize.Resize(small, w, h)
}

// pixelate replaces each n×n block of m (from the top-left corner; the last row and column of
// blocks may be smaller) by its average, in place.
func pixelate(m *image.RGBA, n int) {
	if n <= 1 {
		return
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	for by := 0; by < h; by += n {
		for bx := 0; bx < w; bx += n {
			x1, y1 := min(bx+n, w), min(by+n, h)
			var sum [4]int
			for y := by; y < y1; y++ {
				row := m.Pix[y*m.Stride+bx*4 : y*m.Stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					sum[0] += int(row[i])
					sum[1] += int(row[i+1])
					sum[2] += int(row[i+2])
					sum[3] += int(row[i+3])
				}
			}
			cnt := (x1 - bx) * (y1 - by)
			var avg [4]uint8
			for c := range avg {
				avg[c] = uint8((sum[c] + cnt/2) / cnt)
			}
			for y := by; y < y1; y++ {
				row := m.Pix[y*m.Stride+bx*4 : y*m.Stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					copy(row[i:i+4], avg[:])
				}
			}
		}
	}
}

// keepAlpha copies the alpha of src into dst (same size) and keeps dst a valid premultiplied
// image (no colour above its alpha).
func keepAlpha(dst, src *image.RGBA) {
	for i := 3; i < len(dst.Pix); i += 4 {
		a := src.Pix[i]
		dst.Pix[i] = a
		for c := i - 3; c < i; c++ {
			dst.Pix[c] = min(dst.Pix[c], a)
		}
	}
}

// mix sets dst to dst·t + src·(1-t), channel by channel.
func mix(dst, src *image.RGBA, t float64) {
	for i, d := range dst.Pix {
		dst.Pix[i] = uint8(math.Round(float64(d)*t + float64(src.Pix[i])*(1-t)))
	}
}

// unpremultiply turns m's premultiplied colours into straight ones, in place.
func unpremultiply(m *image.RGBA) {
	for i := 0; i < len(m.Pix); i += 4 {
		a := uint32(m.Pix[i+3])
		if a == 0xff {
			continue
		}
		if a == 0 {
			m.Pix[i], m.Pix[i+1], m.Pix[i+2] = 0, 0, 0
			continue
		}
		for c := i; c < i+3; c++ {
			m.Pix[c] = uint8(min(255, (uint32(m.Pix[c])*255+a/2)/a))
		}
	}
}

// premultiply turns m's straight colours into premultiplied ones, in place.
func premultiply(m *image.RGBA) {
	for i := 0; i < len(m.Pix); i += 4 {
		a := uint32(m.Pix[i+3])
		if a == 0xff {
			continue
		}
		for c := i; c < i+3; c++ {
			m.Pix[c] = uint8((uint32(m.Pix[c])*a + 127) / 255)
		}
	}
}

// roundRect is a rectangle w×h with rounded corners — radius tl, tr, br, bl (circular quarters)
// — or, with ellipse, the ellipse inscribed in it.
type roundRect struct {
	w, h    float64
	r       [4]float64 // top-left, top-right, bottom-right, bottom-left
	ellipse bool
}

// corners returns the radii of r_ for a w×h image, Cloudinary's (and CSS border-radius') way:
// one value for every corner; two: top-left and bottom-right, then top-right and bottom-left;
// three: top-left, top-right and bottom-left, bottom-right; four: top-left, top-right,
// bottom-right, bottom-left. When two radii on one side add up to more than that side, all
// radii are scaled down by the same factor until they fit (so r_ of half the side or more makes
// a square a circle and a rectangle a pill).
func (r Radius) corners(w, h float64) [4]float64 {
	var c [4]float64
	p := r.Px
	switch r.N {
	case 1:
		c = [4]float64{float64(p[0]), float64(p[0]), float64(p[0]), float64(p[0])}
	case 2:
		c = [4]float64{float64(p[0]), float64(p[1]), float64(p[0]), float64(p[1])}
	case 3:
		c = [4]float64{float64(p[0]), float64(p[1]), float64(p[2]), float64(p[1])}
	case 4:
		c = [4]float64{float64(p[0]), float64(p[1]), float64(p[2]), float64(p[3])}
	}
	f := 1.0
	for _, s := range [][3]float64{{w, c[0], c[1]}, {w, c[3], c[2]}, {h, c[0], c[3]}, {h, c[1], c[2]}} {
		if sum := s[1] + s[2]; sum > s[0] {
			f = math.Min(f, s[0]/sum)
		}
	}
	for i := range c {
		c[i] *= f
	}
	return c
}

// dist returns the signed distance from (x, y) to the shape's edge: negative inside. For the
// ellipse it is the usual first-order approximation, exact enough within a pixel of the edge.
func (s *roundRect) dist(x, y float64) float64 {
	if s.ellipse {
		a, b := s.w/2, s.h/2
		qx, qy := (x-a)/a, (y-b)/b
		k0 := math.Hypot(qx, qy)
		k1 := math.Hypot(qx/a, qy/b)
		if k1 == 0 {
			return -math.Min(a, b)
		}
		return k0 * (k0 - 1) / k1
	}
	r := &s.r
	switch {
	case x < r[0] && y < r[0]:
		return math.Hypot(x-r[0], y-r[0]) - r[0]
	case x > s.w-r[1] && y < r[1]:
		return math.Hypot(x-(s.w-r[1]), y-r[1]) - r[1]
	case x > s.w-r[2] && y > s.h-r[2]:
		return math.Hypot(x-(s.w-r[2]), y-(s.h-r[2])) - r[2]
	case x < r[3] && y > s.h-r[3]:
		return math.Hypot(x-r[3], y-(s.h-r[3])) - r[3]
	}
	return math.Max(math.Max(-x, x-s.w), math.Max(-y, y-s.h))
}

// coverage returns how much of pixel (x, y) is inside the shape, 0–1 (anti-aliased edges: the
// signed distance of the pixel's centre, over a one-pixel ramp).
func (s *roundRect) coverage(x, y int) float64 {
	return math.Min(1, math.Max(0, 0.5-s.dist(float64(x)+0.5, float64(y)+0.5)))
}

// shape rounds the corners of img by r (r_; may be zero) and frames it with the border b (bo_;
// Width may be 0). The border is added outside the image (each side grows by b.Width) and
// follows the rounded shape: its outer edge has the radii of the image's corners plus b.Width
// (a square corner stays square), or is the ellipse b.Width outside the image's (r_max).
// Outside the shapes the result is transparent; edges are anti-aliased.
func shape(img image.Image, r Radius, b Border) *image.RGBA {
	src := ownRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	n := b.Width
	fw, fh := float64(w), float64(h)
	inner := roundRect{w: fw, h: fh, ellipse: r.Max}
	if !r.Max {
		inner.r = r.corners(fw, fh)
	}
	if n == 0 {
		if r.IsZero() {
			return src
		}
		for y := range h {
			row := src.Pix[y*src.Stride : y*src.Stride+4*w]
			for x := range w {
				if c := inner.coverage(x, y); c < 1 {
					scale(row[4*x:4*x+4], c)
				}
			}
		}
		return src
	}
	outer := roundRect{w: fw + float64(2*n), h: fh + float64(2*n), ellipse: r.Max}
	for i, v := range inner.r {
		if v > 0 {
			outer.r[i] = v + float64(n)
		}
	}
	bc := b.Color.premultiplied()
	border := [4]float64{float64(bc.R), float64(bc.G), float64(bc.B), float64(bc.A)}
	dst := image.NewRGBA(image.Rect(0, 0, w+2*n, h+2*n))
	for y := range h + 2*n {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+4*(w+2*n)]
		for x := range w + 2*n {
			co := outer.coverage(x, y)
			if co == 0 {
				continue
			}
			ci := 0.0
			ix, iy := x-n, y-n
			if ix >= 0 && iy >= 0 && ix < w && iy < h {
				ci = inner.coverage(ix, iy)
			}
			p := row[4*x : 4*x+4]
			if ci == 1 {
				copy(p, src.Pix[iy*src.Stride+4*ix:])
				continue
			}
			ring := math.Max(0, co-ci)
			for c := range 4 {
				v := ring * border[c]
				if ci > 0 {
					v += ci * float64(src.Pix[iy*src.Stride+4*ix+c])
				}
				p[c] = uint8(math.Min(255, math.Round(v)))
			}
		}
	}
	return dst
}

// scale multiplies a premultiplied pixel by c.
func scale(p []uint8, c float64) {
	for i := range p {
		p[i] = uint8(math.Round(float64(p[i]) * c))
	}
}

// rotate applies a_'s quarter turns and mirrors to img (by the EXIF orientation code that does
// the same).
func rotate(img image.Image, a Angle) image.Image {
	return orient(img, a.orientation())
}
