package imageops

import (
	"image"
	"image/color"
	"math"
)

// plan is what one component does to an image whose size is known: turn it first (pre), take a
// region, resize it, and optionally pad it onto a canvas; then the finishing touches, in this
// order: the effect (e_outline and e_shadow come after r_ and bo_), the rounded corners, the
// border, the mirror and quarter turns, the free rotation. Planning a whole chain needs only
// the source's size (and, for focal gravity, its Analysis), so output limits and bad crop
// regions are found before anything is decoded.
type plan struct {
	pre    int             // EXIF orientation code applied before anything else (a_auto_right, a_auto_left, a_ignore's undo); 0 or 1: none
	src    image.Rectangle // region of the current image (after pre), relative to its Bounds().Min
	w, h   int             // the region is resized to w×h (left alone when that is its size)
	canvas image.Point     // non-zero: the result is padded onto a canvas of this size...
	at     image.Point     // ...with its top-left corner here,
	bg     color.RGBA      // ...filled with this (premultiplied) colour,
	bgAuto BackgroundAuto  // ...or, when On, with a colour taken from the resized picture.

	effect      Effect     // e_
	effectColor Color      // co_, or the effect's default colour
	trim        bool       // the effect is e_trim, not done yet: the size after it is known only then
	radius      Radius     // r_
	border      Border     // bo_: grows each side by 2·Width
	angle       Angle      // a_: 90 and 270 swap width and height
	rotate      int        // a_<degrees>: a free rotation onto an enlarged canvas...
	rotateBg    color.RGBA // ...filled with this (premultiplied)

	faces []image.Rectangle // e_pixelate_faces, e_blur_faces: the faces after the crop, resize and pad

	before affine // the map from the source's coordinates to those of the image the plan applies to
}

// resized returns the size after the crop, resize and pad, before the finishing touches.
func (p plan) resized() image.Point {
	if p.canvas != (image.Point{}) {
		return p.canvas
	}
	return image.Pt(p.w, p.h)
}

// bordered returns the size after the border and the late effects (e_outline, e_shadow), and
// where the bordered picture sits on the late effect's canvas.
func (p plan) bordered() (size, at image.Point) {
	s := p.resized()
	s.X += 2 * p.border.Width
	s.Y += 2 * p.border.Width
	if p.effect.Name.isLate() {
		return lateGrowth(p.effect, s.X, s.Y)
	}
	return s, image.Point{}
}

// size returns the size of the plan's result (for e_trim, an upper bound).
func (p plan) size() image.Point {
	s, _ := p.bordered()
	if p.angle.orientation() >= 5 {
		s.X, s.Y = s.Y, s.X
	}
	if p.rotate != 0 {
		s = rotatedSize(s.X, s.Y, p.rotate)
	}
	return s
}

// identity reports whether the plan leaves an image of size cur unchanged.
func (p plan) identity(cur image.Point) bool {
	return p.pre <= 1 && p.canvas == (image.Point{}) && p.src == image.Rectangle{Max: cur} && p.w == cur.X && p.h == cur.Y &&
		p.effect.Name == EffectNone && p.radius.IsZero() && p.border.Width == 0 && p.angle == AngleNone && p.rotate == 0
}

// orientAffine returns the map from a w×h image's coordinates to those of the image EXIF
// orientation o makes of it.
func orientAffine(o int, w, h int) affine {
	fw, fh := float64(w), float64(h)
	switch o {
	case 2: // mirror left-right
		return affine{a: -1, c: fw, e: 1}
	case 3: // half turn
		return affine{a: -1, c: fw, e: -1, f: fh}
	case 4: // mirror top-bottom
		return affine{a: 1, e: -1, f: fh}
	case 5: // transpose
		return affine{b: 1, d: 1}
	case 6: // quarter turn clockwise: (x, y) -> (h-y, x)
		return affine{b: -1, c: fh, d: 1}
	case 7: // transverse: (x, y) -> (h-y, w-x)
		return affine{b: -1, c: fh, d: -1, f: fw}
	case 8: // quarter turn counter-clockwise: (x, y) -> (y, w-x)
		return affine{b: 1, d: -1, f: fw}
	}
	return identityAffine
}

// affine returns the map from the coordinates of the image the plan applies to (of size cur) to
// those of its result.
func (p plan) affine(cur image.Point) affine {
	t := identityAffine
	if p.pre > 1 {
		t = orientAffine(p.pre, cur.X, cur.Y)
	}
	kx, ky := float64(p.w)/float64(p.src.Dx()), float64(p.h)/float64(p.src.Dy())
	t = t.then(affine{a: kx, c: -float64(p.src.Min.X) * kx, e: ky, f: -float64(p.src.Min.Y) * ky})
	if p.canvas != (image.Point{}) {
		t.c += float64(p.at.X)
		t.f += float64(p.at.Y)
	}
	t.c += float64(p.border.Width)
	t.f += float64(p.border.Width)
	s, at := p.bordered()
	t.c += float64(at.X)
	t.f += float64(at.Y)
	t = t.then(orientAffine(p.angle.orientation(), s.X, s.Y))
	if p.rotate != 0 {
		if p.angle.orientation() >= 5 {
			s.X, s.Y = s.Y, s.X
		}
		t = t.then(rotationAffine(s.X, s.Y, p.rotate))
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
	return planChainFrom(c.Steps, w, h, lim, a, identityAffine, 1)
}

// planChainFrom plans steps for an image of w×h px whose coordinates are t of the source's,
// turned first by EXIF orientation pre (1: not at all; for a_ignore, the undoing of the
// source's orientation).
func planChainFrom(steps []Step, w, h int, lim Limits, a *Analysis, t affine, pre int) ([]plan, error) {
	maxSide := lim.MaxOutputSide
	if len(steps) == 0 && pre <= 1 {
		if w > maxSide || h > maxSide {
			return nil, errorf(KindOutputLimit, "", "the source is %d×%d px, more than the %d px output limit: add w_, h_ or c_limit to the transformation", w, h, maxSide)
		}
		return nil, nil
	}
	plans := make([]plan, 0, len(steps)+1)
	cur := image.Pt(w, h)
	v := &view{w: w, h: h, a: a, t: t}
	if pre > 1 {
		p := identityPlan(w, h)
		if pre >= 5 {
			p = identityPlan(h, w)
		}
		p.pre, p.before = pre, v.t
		plans = append(plans, p)
		v.t = v.t.then(p.affine(cur))
		cur = p.size()
	}
	for _, s := range steps {
		v.w, v.h = cur.X, cur.Y
		p, err := planStep(s, v)
		if err != nil {
			return nil, err
		}
		p.effect, p.radius, p.border, p.angle, p.rotate = s.Effect, s.Radius, s.Border, s.Angle, s.Rotate
		p.trim = s.Effect.Name == EffectTrim
		p.effectColor = s.EffectColor
		if !s.HasEffectColor {
			p.effectColor, _ = s.Effect.Name.defaultColor()
		}
		if s.HasBackground {
			p.rotateBg = s.Background.premultiplied()
		}
		p.before = v.t
		if s.Effect.Name.onFaces() && a != nil {
			p.faces = v.facesAfter(p)
		}
		out := p.size()
		if out.X > maxSide || out.Y > maxSide {
			if p.identity(cur) {
				return nil, errorf(KindOutputLimit, s.String(), "leaves the %d×%d px image as it is, more than the %d px output limit: add w_, h_ or c_limit", cur.X, cur.Y, maxSide)
			}
			return nil, errorf(KindOutputLimit, s.String(), "gives %d×%d px from a %d×%d px image, more than the %d px output limit", out.X, out.Y, cur.X, cur.Y, maxSide)
		}
		plans = append(plans, p)
		if a != nil {
			v.t = v.t.then(p.affine(cur))
		}
		cur = out
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
// px), after a_auto_right or a_auto_left have turned it when that suits the box asked for. See
// the package documentation for the semantics of each crop mode.
func planStep(s Step, v *view) (plan, error) {
	if s.AutoRotate == AutoRotateNone {
		return planBox(s, v)
	}
	bw, bh := requestedBox(s, v.w, v.h)
	if bw == 0 || bh == 0 || bw == bh || v.w == v.h || (bw > bh) == (v.w > v.h) {
		return planBox(s, v)
	}
	pre := 6 // a quarter turn clockwise
	if s.AutoRotate == AutoRotateLeft {
		pre = 8
	}
	turned := *v
	turned.w, turned.h = v.h, v.w
	turned.t = v.t.then(orientAffine(pre, v.w, v.h))
	p, err := planBox(s, &turned)
	p.pre = pre
	return p, err
}

// requestedBox returns the box s asks for in an image of w×h px: w_ and h_ (px, or fractions of
// the image) times dpr_, a missing side from ar_ when it is given (or, with
// fl_ignore_aspect_ratio, the image's own side); 0 for a side that is not given.
func requestedBox(s Step, w, h int) (bw, bh int) {
	dpr := s.DPR
	if dpr == 0 {
		dpr = 1
	}
	if s.Width.Px > 0 {
		bw = px(float64(s.Width.Px) * dpr)
	} else if s.Width.Frac > 0 {
		bw = px(s.Width.Frac * float64(w) * dpr)
	}
	if s.Height.Px > 0 {
		bh = px(float64(s.Height.Px) * dpr)
	} else if s.Height.Frac > 0 {
		bh = px(s.Height.Frac * float64(h) * dpr)
	}
	if s.Flags&FlagIgnoreAspectRatio != 0 {
		switch {
		case bw > 0 && bh == 0:
			bh = h
		case bh > 0 && bw == 0:
			bw = w
		}
	}
	if ar := s.AspectRatio.Value(); ar > 0 {
		switch {
		case bw > 0 && bh == 0:
			bh = px(float64(bw) / ar)
		case bh > 0 && bw == 0:
			bw = px(float64(bh) * ar)
		}
	}
	return bw, bh
}

// planBox plans the crop, resize and pad of one component for the current image v.
func planBox(s Step, v *view) (plan, error) {
	w, h := v.w, v.h
	mode := s.Crop.effective()
	focal := !s.Gravity.isCompass()
	full := image.Rect(0, 0, w, h)
	fw, fh := float64(w), float64(h)

	// The requested box; 0 = not given (derived from the image's aspect ratio where needed).
	bw, bh := requestedBox(s, w, h)
	if ar := s.AspectRatio.Value(); ar > 0 {
		switch {
		case bw == 0 && bh == 0:
			wider := fw > ar*fh // the image is wider than the ratio asked for
			switch mode {
			case CropScale: // keep the width
				bw, bh = w, px(fw/ar)
			case CropPad, CropLpad, CropMpad, CropFillPad: // the smallest box of that ratio around the image
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
		return plan{src: full, w: dw, h: dh, canvas: image.Pt(cw, ch), at: place(cw, ch, dw, dh, s.Gravity), bg: padColor(s), bgAuto: s.BackgroundAuto}, nil

	case CropFillPad:
		if bw == 0 || bh == 0 { // nothing to crop or pad: a resize keeping the ratio
			dw, dh := derived()
			return plan{src: full, w: dw, h: dh}, nil
		}
		return fillPadPlan(s, v, bw, bh), nil

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

// padColor returns what s pads with: b_, or transparent.
func padColor(s Step) color.RGBA {
	if s.HasBackground {
		return s.Background.premultiplied()
	}
	return color.RGBA{}
}

// fillPadPlan plans c_fill_pad to bw×bh: c_fill by g_auto when the largest region of the box's
// ratio can hold the faces (grown by faceMargin, as c_thumb keeps them); otherwise the region
// of that ratio around the faces, which reaches beyond the image on one axis: the part of it
// inside the image is scaled, and the rest is padding (b_, b_auto, or transparent). Without
// faces it is c_fill by g_auto.
func fillPadPlan(s Step, v *view, bw, bh int) plan {
	w, h := v.w, v.h
	r := ratioRegion(w, h, bw, bh, GravityCenter)
	box, ok := v.focus(GravityAuto, true)
	if !ok || (box.dx() <= float64(r.Dx()) && box.dy() <= float64(r.Dy())) {
		at := v.focalPlace(GravityAuto, r.Dx(), r.Dy())
		return plan{src: image.Rectangle{Min: at, Max: at.Add(r.Size())}, w: bw, h: bh}
	}
	// The smallest region of ratio bw:bh around the faces, centred on them, moved inside the
	// image along each axis where it fits, else centred on the image.
	ar := float64(bw) / float64(bh)
	rw, rh := box.dx(), box.dy()
	if rw/rh > ar {
		rh = rw / ar
	} else {
		rw = rh * ar
	}
	place1 := func(lo, hi, size, limit float64) float64 {
		if size >= limit {
			return (limit - size) / 2
		}
		return math.Min(math.Max((lo+hi)/2-size/2, 0), limit-size)
	}
	x0 := place1(box.x0, box.x1, rw, float64(w))
	y0 := place1(box.y0, box.y1, rh, float64(h))
	k := float64(bw) / rw
	in := image.Rect(int(math.Floor(math.Max(x0, 0))), int(math.Floor(math.Max(y0, 0))),
		int(math.Ceil(math.Min(x0+rw, float64(w)))), int(math.Ceil(math.Min(y0+rh, float64(h)))))
	at := image.Pt(int(math.Round((float64(in.Min.X)-x0)*k)), int(math.Round((float64(in.Min.Y)-y0)*k)))
	at.X, at.Y = min(max(at.X, 0), bw-1), min(max(at.Y, 0), bh-1)
	dw := min(px(float64(in.Dx())*k), bw-at.X)
	dh := min(px(float64(in.Dy())*k), bh-at.Y)
	return plan{src: in, w: dw, h: dh, canvas: image.Pt(bw, bh), at: at, bg: padColor(s), bgAuto: s.BackgroundAuto}
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
