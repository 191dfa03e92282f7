package imageops

import (
	"image"
	"image/color"
	"math"
)

// plan is what one component does to an image whose size is known: take a region, resize it,
// and optionally pad it onto a canvas; then the finishing touches, in this order: the effect,
// the rounded corners, the border, the rotation. Planning a whole chain needs only the source's
// size (and, for focal gravity, its Analysis), so output limits and bad crop regions are found
// before anything is decoded.
type plan struct {
	src    image.Rectangle // region of the current image, relative to its Bounds().Min
	w, h   int             // the region is resized to w×h (left alone when that is its size)
	canvas image.Point     // non-zero: the result is padded onto a canvas of this size...
	at     image.Point     // ...with its top-left corner here,
	bg     color.RGBA      // ...filled with this (premultiplied) colour.

	effect Effect // e_
	radius Radius // r_
	border Border // bo_: grows each side by 2·Width
	angle  Angle  // a_: 90 and 270 swap width and height
}

// resized returns the size after the crop, resize and pad, before the finishing touches.
func (p plan) resized() image.Point {
	if p.canvas != (image.Point{}) {
		return p.canvas
	}
	return image.Pt(p.w, p.h)
}

// size returns the size of the plan's result.
func (p plan) size() image.Point {
	s := p.resized()
	s.X += 2 * p.border.Width
	s.Y += 2 * p.border.Width
	if p.angle == Angle90 || p.angle == Angle270 {
		s.X, s.Y = s.Y, s.X
	}
	return s
}

// identity reports whether the plan leaves an image of size cur unchanged.
func (p plan) identity(cur image.Point) bool {
	return p.canvas == (image.Point{}) && p.src == image.Rectangle{Max: cur} && p.w == cur.X && p.h == cur.Y &&
		p.effect.Name == EffectNone && p.radius.IsZero() && p.border.Width == 0 && p.angle == AngleNone
}

// affine returns the map from the coordinates of the image the plan applies to to those of its
// result.
func (p plan) affine() affine {
	kx, ky := float64(p.w)/float64(p.src.Dx()), float64(p.h)/float64(p.src.Dy())
	t := affine{a: kx, c: -float64(p.src.Min.X) * kx, e: ky, f: -float64(p.src.Min.Y) * ky}
	if p.canvas != (image.Point{}) {
		t.c += float64(p.at.X)
		t.f += float64(p.at.Y)
	}
	t.c += float64(p.border.Width)
	t.f += float64(p.border.Width)
	r := p.resized()
	w, h := float64(r.X+2*p.border.Width), float64(r.Y+2*p.border.Width)
	switch p.angle {
	case Angle90: // (x, y) -> (h-y, x)
		t = t.then(affine{b: -1, c: h, d: 1})
	case Angle180:
		t = t.then(affine{a: -1, c: w, e: -1, f: h})
	case Angle270: // (x, y) -> (y, w-x)
		t = t.then(affine{b: 1, d: -1, f: w})
	case AngleHFlip:
		t = t.then(affine{a: -1, c: w, e: 1})
	case AngleVFlip:
		t = t.then(affine{a: 1, e: -1, f: h})
	}
	return t
}

func identityPlan(w, h int) plan {
	return plan{src: image.Rect(0, 0, w, h), w: w, h: h}
}

// planChain plans every component of c for a source of w×h px (after EXIF orientation) whose
// Analysis is a (nil when the chain needs none, or for "no faces, no detail"). lim must have its
// defaults filled in.
func planChain(c Chain, w, h int, lim Limits, a *Analysis) ([]plan, error) {
	maxSide := lim.MaxOutputSide
	if len(c.Steps) == 0 {
		if w > maxSide || h > maxSide {
			return nil, errorf(KindOutputLimit, "", "the source is %d×%d px, more than the %d px output limit: add w_, h_ or c_limit to the transformation", w, h, maxSide)
		}
		return nil, nil
	}
	plans := make([]plan, 0, len(c.Steps))
	cur := image.Pt(w, h)
	v := &view{w: w, h: h, a: a, t: identityAffine}
	for _, s := range c.Steps {
		v.w, v.h = cur.X, cur.Y
		p, err := planStep(s, v)
		if err != nil {
			return nil, err
		}
		p.effect, p.radius, p.border, p.angle = s.Effect, s.Radius, s.Border, s.Angle
		out := p.size()
		if out.X > maxSide || out.Y > maxSide {
			if p.identity(cur) {
				return nil, errorf(KindOutputLimit, s.String(), "leaves the %d×%d px image as it is, more than the %d px output limit: add w_, h_ or c_limit", cur.X, cur.Y, maxSide)
			}
			return nil, errorf(KindOutputLimit, s.String(), "gives %d×%d px from a %d×%d px image, more than the %d px output limit", out.X, out.Y, cur.X, cur.Y, maxSide)
		}
		plans = append(plans, p)
		cur = out
		if a != nil {
			v.t = v.t.then(p.affine())
		}
	}
	return plans, nil
}

// maxPlanPx bounds intermediate sizes; anything near it fails the output limit anyway (or, for
// c_crop, is clipped to the image).
const maxPlanPx = 1 << 30

// px rounds a computed size to whole px, at least 1.
func px(f float64) int {
	r := math.Round(f)
	switch {
	case !(r >= 1): // also NaN
		return 1
	case r > maxPlanPx:
		return maxPlanPx
	}
	return int(r)
}

// planStep plans the crop, resize and pad of one component for the current image v (of v.w×v.h
// px). See the package documentation for the semantics of each crop mode.
func planStep(s Step, v *view) (plan, error) {
	w, h := v.w, v.h
	mode := s.Crop.effective()
	focal := !s.Gravity.isCompass()
	full := image.Rect(0, 0, w, h)
	fw, fh := float64(w), float64(h)

	// The requested box; 0 = not given (derived from the image's aspect ratio where needed).
	dpr := s.DPR
	if dpr == 0 {
		dpr = 1
	}
	var bw, bh int
	if s.Width.Px > 0 {
		bw = px(float64(s.Width.Px) * dpr)
	} else if s.Width.Frac > 0 {
		bw = px(s.Width.Frac * fw * dpr)
	}
	if s.Height.Px > 0 {
		bh = px(float64(s.Height.Px) * dpr)
	} else if s.Height.Frac > 0 {
		bh = px(s.Height.Frac * fh * dpr)
	}
	if ar := s.AspectRatio.Value(); ar > 0 {
		switch {
		case bw > 0 && bh == 0:
			bh = px(float64(bw) / ar)
		case bh > 0 && bw == 0:
			bw = px(float64(bh) * ar)
		case bw == 0 && bh == 0:
			wider := fw > ar*fh // the image is wider than the ratio asked for
			switch mode {
			case CropScale: // keep the width
				bw, bh = w, px(fw/ar)
			case CropPad, CropLpad, CropMpad: // the smallest box of that ratio around the image
				if wider {
					bw, bh = w, px(fw/ar)
				} else {
					bw, bh = px(fh*ar), h
				}
			default: // crop, fill, lfill, thumb: the largest box of that ratio inside the image
				if wider {
					bw, bh = px(fh*ar), h
				} else {
					bw, bh = w, px(fw/ar)
				}
			}
		}
	}
	if mode == CropCrop && focal && s.Width.IsZero() && s.Height.IsZero() {
		// The region comes from the faces: their box with its margin, of ratio ar_ if given,
		// zoomed by z_.
		r := v.focalRegion(s.Gravity, s.AspectRatio.Value(), s.Zoom)
		return plan{src: r, w: r.Dx(), h: r.Dy()}, nil
	}
	if bw == 0 && bh == 0 {
		if mode == CropCrop && (s.HasX || s.HasY) {
			return cropPlan(s, full, max(w-s.X, 0), max(h-s.Y, 0))
		}
		return identityPlan(w, h), nil
	}
	// derived fills a missing side from the image's aspect ratio.
	derived := func() (int, int) {
		dw, dh := bw, bh
		if dh == 0 {
			dh = px(float64(bw) * fh / fw)
		}
		if dw == 0 {
			dw = px(float64(bh) * fw / fh)
		}
		return dw, dh
	}

	switch mode {
	case CropScale:
		dw, dh := derived()
		return plan{src: full, w: dw, h: dh}, nil

	case CropFit, CropLimit, CropMfit:
		dw, dh := fitSize(w, h, bw, bh)
		if (mode == CropLimit && (dw > w || dh > h)) || (mode == CropMfit && (dw < w || dh < h)) {
			return identityPlan(w, h), nil
		}
		return plan{src: full, w: dw, h: dh}, nil

	case CropFill, CropLfill, CropThumb:
		if mode == CropThumb && focal {
			// A thumbnail of the faces: their box with its margin, grown to the ratio of the
			// box asked for (a missing side keeps the image's ratio), zoomed by z_, scaled to
			// exactly that box.
			dw, dh := derived()
			r := v.focalRegion(s.Gravity, float64(dw)/float64(dh), s.Zoom)
			return plan{src: r, w: dw, h: dh}, nil
		}
		if bw == 0 || bh == 0 { // nothing to crop: a resize keeping the ratio
			dw, dh := derived()
			if mode == CropLfill && (dw > w || dh > h) {
				return identityPlan(w, h), nil
			}
			return plan{src: full, w: dw, h: dh}, nil
		}
		if mode == CropLfill {
			// Never upscale: fill the requested box clipped to the image (Cloudinary's behaviour:
			// 400×200 with w_800,h_100 gives 400×100).
			bw, bh = min(bw, w), min(bh, h)
		}
		r := ratioRegion(w, h, bw, bh, s.Gravity)
		if focal {
			at := v.focalPlace(s.Gravity, r.Dx(), r.Dy())
			r = image.Rectangle{Min: at, Max: at.Add(r.Size())}
		}
		return plan{src: r, w: bw, h: bh}, nil

	case CropPad, CropLpad, CropMpad:
		cw, ch := derived()
		dw, dh := fitSize(w, h, bw, bh)
		if mode == CropLpad && (dw > w || dh > h) {
			dw, dh = w, h
		}
		if mode == CropMpad && (dw < w || dh < h) {
			return identityPlan(w, h), nil
		}
		var bg color.RGBA // transparent unless b_ is given
		if s.HasBackground {
			bg = s.Background.premultiplied()
		}
		return plan{src: full, w: dw, h: dh, canvas: image.Pt(cw, ch), at: place(cw, ch, dw, dh, s.Gravity), bg: bg}, nil

	case CropCrop:
		dw, dh := derived()
		if focal { // w×h around the faces (x_ and y_ cannot be given with focal gravity)
			rw, rh := min(dw, w), min(dh, h)
			at := v.focalPlace(s.Gravity, rw, rh)
			return plan{src: image.Rectangle{Min: at, Max: at.Add(image.Pt(rw, rh))}, w: rw, h: rh}, nil
		}
		return cropPlan(s, full, dw, dh)
	}
	return plan{}, badParam(s.paramText(keyC), "unknown crop mode")
}

// cropPlan cuts a rw×rh region (no scaling) from full: at x_/y_ when given, else by gravity.
// The region is clipped to the image; a region entirely outside it is an error naming x_ or y_.
func cropPlan(s Step, full image.Rectangle, rw, rh int) (plan, error) {
	w, h := full.Dx(), full.Dy()
	var r image.Rectangle
	if s.HasX || s.HasY {
		if s.X >= w {
			return plan{}, badParam(s.paramText(keyX), "the crop region starts right of the %d×%d px image", w, h)
		}
		if s.Y >= h {
			return plan{}, badParam(s.paramText(keyY), "the crop region starts below the %d×%d px image", w, h)
		}
		r = image.Rect(s.X, s.Y, s.X+rw, s.Y+rh).Intersect(full)
	} else {
		rw, rh = min(rw, w), min(rh, h)
		at := place(w, h, rw, rh, s.Gravity)
		r = image.Rectangle{Min: at, Max: at.Add(image.Pt(rw, rh))}
	}
	return plan{src: r, w: r.Dx(), h: r.Dy()}, nil
}

// fitSize returns the size of a w×h image scaled to fit inside bw×bh keeping its aspect ratio;
// a zero bw or bh is unconstrained (not both).
func fitSize(w, h, bw, bh int) (int, int) {
	if bh == 0 || (bw > 0 && int64(bw)*int64(h) <= int64(bh)*int64(w)) {
		return bw, px(float64(bw) * float64(h) / float64(w))
	}
	return px(float64(bh) * float64(w) / float64(h)), bh
}

// ratioRegion returns the largest region of a w×h image with the aspect ratio bw:bh, placed by g.
func ratioRegion(w, h, bw, bh int, g Gravity) image.Rectangle {
	var rw, rh int
	if int64(bw)*int64(h) > int64(bh)*int64(w) { // the box is wider than the image: keep the width
		rw, rh = w, min(h, px(float64(w)*float64(bh)/float64(bw)))
	} else {
		rw, rh = min(w, px(float64(h)*float64(bw)/float64(bh))), h
	}
	at := place(w, h, rw, rh, g)
	return image.Rectangle{Min: at, Max: at.Add(image.Pt(rw, rh))}
}

// place returns the top-left corner of an iw×ih rectangle inside an ow×oh one, by gravity
// (compass positions; anything else is centred).
func place(ow, oh, iw, ih int, g Gravity) image.Point {
	dx, dy := ow-iw, oh-ih
	p := image.Pt(dx/2, dy/2)
	switch g {
	case GravityNorth, GravityNorthEast, GravityNorthWest:
		p.Y = 0
	case GravitySouth, GravitySouthEast, GravitySouthWest:
		p.Y = dy
	}
	switch g {
	case GravityWest, GravityNorthWest, GravitySouthWest:
		p.X = 0
	case GravityEast, GravityNorthEast, GravitySouthEast:
		p.X = dx
	}
	return p
}
