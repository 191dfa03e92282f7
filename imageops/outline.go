package imageops

import (
	"image"
	"math"
)

// outlineSigma returns the standard deviation of e_outline's blur: n/20 px, as for e_blur.
func outlineSigma(e Effect) float64 {
	if !e.HasValue2 {
		return 0
	}
	return float64(e.Value2) / 20
}

// outlineOuter reports whether e_outline's mode draws outside the picture's shape (the default,
// outer and fill), which enlarges the canvas.
func outlineOuter(mode string) bool { return mode == "" || mode == "outer" || mode == "fill" }

// lateGrowth returns how e_outline and e_shadow enlarge a w×h picture: the size of the new
// canvas and where the picture sits on it. Other effects leave the canvas as it is.
func lateGrowth(e Effect, w, h int) (size, at image.Point) {
	switch e.Name {
	case EffectOutline:
		if !outlineOuter(e.Mode) {
			break
		}
		g := e.value() + int(math.Ceil(2*outlineSigma(e)))
		return image.Pt(w+2*g, h+2*g), image.Pt(g, g)
	case EffectShadow:
		m := int(math.Ceil(2 * shadowSigma))
		x0, y0 := min(0, e.DX-m), min(0, e.DY-m)
		x1, y1 := max(w, e.DX+w+m), max(h, e.DY+h+m)
		return image.Pt(x1-x0, y1-y0), image.Pt(-x0, -y0)
	}
	return image.Pt(w, h), image.Point{}
}

// isLate reports whether effect n is applied after r_ and bo_ (so that it follows the rounded,
// bordered shape) rather than before them.
func (n EffectName) isLate() bool { return n == EffectOutline || n == EffectShadow }

// applyLateEffect applies e_outline or e_shadow (colour col) to img, on the canvas lateGrowth
// gives.
func applyLateEffect(img image.Image, e Effect, col Color) *image.RGBA {
	src := ownRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	size, at := lateGrowth(e, w, h)
	dst := image.NewRGBA(image.Rectangle{Max: size})
	switch e.Name {
	case EffectShadow:
		shadow(dst, src, at, e, col)
	case EffectOutline:
		outline(dst, src, at, e, col)
	}
	return dst
}

// shadow draws onto dst (empty) the picture src at at over its shadow: src's alpha, offset by
// (e.DX, e.DY), blurred by shadowSigma, in col at e's strength (its opacity, %).
func shadow(dst, src *image.RGBA, at image.Point, e Effect, col Color) {
	W, H := dst.Rect.Dx(), dst.Rect.Dy()
	mask := make([]uint8, W*H)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	ox, oy := at.X+e.DX, at.Y+e.DY
	for y := range h {
		for x := range w {
			mask[(y+oy)*W+x+ox] = src.Pix[y*src.Stride+4*x+3]
		}
	}
	blurMask(mask, W, H, shadowSigma)
	paintMask(dst, mask, col, float64(e.value())/100)
	drawOver(dst, src, at)
}

// outline draws onto dst (empty) the picture src at at with e_outline: a line of e's width
// (px) in col along the edge of src's shape (where its alpha crosses one half), inside it
// (inner), outside it (outer) or both (the default); inner_fill and fill also paint the shape
// itself with col. The line is blurred by outlineSigma. Distances are exact Euclidean ones, so
// the cost does not depend on the width.
func outline(dst, src *image.RGBA, at image.Point, e Effect, col Color) {
	W, H := dst.Rect.Dx(), dst.Rect.Dy()
	w, h := src.Rect.Dx(), src.Rect.Dy()
	width := float64(e.value())
	alphaAt := func(x, y int) uint8 { // dst coordinates
		x, y = x-at.X, y-at.Y
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return src.Pix[y*src.Stride+4*x+3]
	}
	mask := make([]uint8, W*H) // the outline's coverage
	inner := e.Mode == "" || e.Mode == "inner"
	outer := outlineOuter(e.Mode)
	fill := e.Mode == "inner_fill" || e.Mode == "fill"
	d := make([]float32, W*H)
	if outer {
		// Distance of each pixel outside the shape to the shape.
		for y := range H {
			for x := range W {
				if alphaAt(x, y) >= 128 {
					d[y*W+x] = 0
				} else {
					d[y*W+x] = edtInf
				}
			}
		}
		edt(d, W, H)
		for i, v := range d {
			if v > 0 {
				mask[i] = coverage(width + 1 - math.Sqrt(float64(v)))
			}
		}
	}
	if inner || fill {
		// Distance of each pixel inside the shape to the outside (beyond the canvas included:
		// the canvas has a transparent border, or, for the inner modes, the picture's edge is
		// the shape's edge).
		for y := range H {
			for x := range W {
				if alphaAt(x, y) < 128 || x == 0 || y == 0 || x == W-1 || y == H-1 {
					d[y*W+x] = 0
				} else {
					d[y*W+x] = edtInf
				}
			}
		}
		edt(d, W, H)
		for i, v := range d {
			x, y := i%W, i/W
			a := float64(alphaAt(x, y)) / 255
			if a == 0 {
				continue
			}
			c := 1.0
			if !fill {
				c = float64(coverage(width+1-math.Sqrt(float64(v)))) / 255
			}
			mask[i] = max(mask[i], uint8(math.Round(255*c*a)))
		}
	}
	d = nil
	if s := outlineSigma(e); s > 0 {
		blurMask(mask, W, H, s)
	}
	// The picture, then the line over it where it is inside the shape and under it outside.
	drawOver(dst, src, at)
	overlayMask(dst, mask, col)
}

// coverage maps a signed distance inside a line's edge (px) to an 8-bit coverage.
func coverage(f float64) uint8 {
	return clamp8(255 * math.Min(1, math.Max(0, f)))
}

// paintMask fills dst with col, its opacity the mask times k, under what dst holds.
func paintMask(dst *image.RGBA, mask []uint8, col Color, k float64) {
	c := col.premultiplied()
	for i, m := range mask {
		if m == 0 {
			continue
		}
		a := float64(m) / 255 * k
		p := dst.Pix[4*i : 4*i+4 : 4*i+4]
		p[0], p[1], p[2], p[3] = clamp8(float64(c.R)*a), clamp8(float64(c.G)*a), clamp8(float64(c.B)*a), clamp8(float64(c.A)*a)
	}
}

// overlayMask draws col over dst with the mask as its opacity.
func overlayMask(dst *image.RGBA, mask []uint8, col Color) {
	c := col.premultiplied()
	for i, m := range mask {
		if m == 0 {
			continue
		}
		a := float64(m) / 255
		p := dst.Pix[4*i : 4*i+4 : 4*i+4]
		k := 1 - a*float64(c.A)/255
		p[0] = clamp8(float64(c.R)*a + float64(p[0])*k)
		p[1] = clamp8(float64(c.G)*a + float64(p[1])*k)
		p[2] = clamp8(float64(c.B)*a + float64(p[2])*k)
		p[3] = clamp8(float64(c.A)*a + float64(p[3])*k)
	}
}

// drawOver draws src over dst with its top-left corner at at (premultiplied "over").
func drawOver(dst, src *image.RGBA, at image.Point) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		s := src.Pix[y*src.Stride : y*src.Stride+4*w]
		d := dst.Pix[(y+at.Y)*dst.Stride+4*at.X : (y+at.Y)*dst.Stride+4*(at.X+w)]
		for i := 0; i < len(s); i += 4 {
			a := uint32(s[i+3])
			if a == 255 {
				copy(d[i:i+4], s[i:i+4])
				continue
			}
			k := 255 - a
			for c := range 4 {
				d[i+c] = uint8(uint32(s[i+c]) + (uint32(d[i+c])*k+127)/255)
			}
		}
	}
}

// blurMask blurs a w×h one-byte-a-pixel mask in place by three box blurs approximating a
// Gaussian of standard deviation sigma (cost independent of sigma).
func blurMask(mask []uint8, w, h int, sigma float64) {
	tmp := make([]uint8, len(mask))
	sums := make([]int32, w)
	for _, size := range boxSizes(sigma) {
		if r := (size - 1) / 2; r > 0 {
			boxRows(tmp, mask, w, h, 1, r)
			boxCols(mask, tmp, w, h, 1, r, sums)
		}
	}
}

// edtInf is "far": larger than any squared distance on a canvas within the limits.
const edtInf = 1e20

// edt turns f (0 on the pixels to measure from, edtInf elsewhere) into the squared Euclidean
// distance of every pixel to the nearest 0, in place: Felzenszwalb and Huttenlocher's
// separable transform, linear in the number of pixels.
func edt(f []float32, w, h int) {
	n := max(w, h)
	line := make([]float64, n)
	out := make([]float64, n)
	v := make([]int, n)
	z := make([]float64, n+1)
	for x := range w { // columns
		for y := range h {
			line[y] = float64(f[y*w+x])
		}
		edt1(line[:h], out[:h], v, z)
		for y := range h {
			f[y*w+x] = float32(out[y])
		}
	}
	for y := range h { // rows
		row := f[y*w : y*w+w]
		for x := range w {
			line[x] = float64(row[x])
		}
		edt1(line[:w], out[:w], v, z)
		for x := range w {
			row[x] = float32(out[x])
		}
	}
}

// edt1 is the one-dimensional squared distance transform of f into d (lower envelope of
// parabolas); v and z are scratch of len(f) and len(f)+1.
func edt1(f, d []float64, v []int, z []float64) {
	n := len(f)
	k := 0
	v[0] = 0
	z[0], z[1] = math.Inf(-1), math.Inf(1)
	for q := 1; q < n; q++ {
		s := ((f[q] + float64(q*q)) - (f[v[k]] + float64(v[k]*v[k]))) / float64(2*q-2*v[k])
		for s <= z[k] { // z[0] is -Inf: k stays ≥ 0
			k--
			s = ((f[q] + float64(q*q)) - (f[v[k]] + float64(v[k]*v[k]))) / float64(2*q-2*v[k])
		}
		k++
		v[k] = q
		z[k], z[k+1] = s, math.Inf(1)
	}
	k = 0
	for q := range n {
		for z[k+1] < float64(q) {
			k++
		}
		p := v[k]
		d[q] = float64((q-p)*(q-p)) + f[p]
	}
}
