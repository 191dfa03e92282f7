package imageops

import (
	"context"
	"image"
	"image/draw"
	"slices"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// Output is an encoded result of [Transform].
type Output struct {
	Bytes         []byte // the encoded image, without metadata
	Format        Format // never FormatOriginal
	Width, Height int    // px
}

// Options are the optional inputs of [TransformWith]. The zero Options is what [Transform] uses.
type Options struct {
	// Analysis is src's Analysis, computed earlier by [Analyze] (a cache keeps it next to the
	// original). nil: TransformWith analyses src itself when the chain needs it
	// ([Chain.NeedsAnalysis]). An Analysis of a picture of another size than src is refused
	// (KindBadParam), as is an invalid one.
	Analysis *Analysis
	// Accept lists the output formats the client accepts. It is used only when the chain's last
	// f_ is f_auto, which serves the format that is smallest at the same visual quality among
	// them, predicted rather than tried (see the package documentation): AVIF, lossy WebP,
	// JPEG for a photograph; lossless WebP, PNG for a picture kept lossless. GIF is served
	// only when no other format is acceptable; a result with transparency is JPEG only when no
	// format with alpha is acceptable. The caller decides what counts as accepted (avatarkit's
	// handler counts AVIF and WebP only when the Accept header names them). An empty Accept
	// with f_auto means "anything": the format is then chosen as without f_ (the URL's
	// extension, else the source's format). FormatOriginal or an unknown Format in Accept is
	// KindBadParam.
	Accept []Format
	// FastEncode asks the WebP and AVIF encoders for their cheapest setting (libwebp method 0,
	// libaom speed 10): larger files for a fraction of the CPU (see EncodeCost). The output
	// is then not the one a call without it gives.
	FastEncode bool
}

// Transform decodes src (JPEG, PNG, GIF first frame, WebP), turns a JPEG upright by its EXIF
// orientation, applies c and encodes the result. It is TransformWith with zero Options.
//
// The output format is the chain's f_ if any, else ext (the format the URL's extension asked
// for), else (FormatOriginal) the source's format. Zero fields of lim mean the defaults.
//
// Before decoding, Transform checks the chain (Chain.Check: KindBadParam), the source's byte size, format and width×height from its
// header (KindSourceLimit, KindBadSource), and plans every component from the source's size alone,
// so an output or intermediate result larger than lim.MaxOutputSide (KindOutputLimit) or a c_crop
// region outside the image (KindBadParam naming x_/y_) is refused without decoding. (A chain
// with focal gravity, g_face, g_faces or g_auto, is planned after decoding and analysing the
// source, unless TransformWith is given its Analysis.)
//
// ctx is checked before decoding and between steps; when it is done, its error (context.Canceled
// or context.DeadlineExceeded) is returned as it is, the only error that is not an *Error.
// Transform is safe for concurrent use.
func Transform(ctx context.Context, src []byte, c Chain, ext Format, lim Limits) (*Output, error) {
	return TransformWith(ctx, src, c, ext, lim, Options{})
}

// TransformWith is [Transform] with optional inputs: the source's precomputed Analysis, and the
// formats the client accepts for f_auto (see [Options]). A chain must be expanded
// ([Chain.Expand]) before it is transformed: a t_ left in it is KindBadParam. d_ names a default
// picture for the layers above and does nothing to the pixels.
func TransformWith(ctx context.Context, src []byte, c Chain, ext Format, lim Limits, opt Options) (*Output, error) {
	lim = lim.WithDefaults()
	_, auto, err := estimate(src, c, ext, lim, opt)
	if err != nil {
		return nil, err // the chain's checks, the header's, the plan's, and the work limits
	}
	if auto != nil {
		opt.Accept = auto // the formats whose encoding fits the limits
	}
	return transform(ctx, src, c, ext, lim, opt)
}

// transform is TransformWith after the chain's checks (lim has its defaults).
func transform(ctx context.Context, src []byte, c Chain, ext Format, lim Limits, opt Options) (*Output, error) {
	if ext > lastFormat {
		return nil, errorf(KindBadParam, "", "unknown output format %d", ext)
	}
	for _, s := range c.Steps {
		if s.Named != "" {
			return nil, badParam(s.paramText(keyT), "named transformation not expanded: call Chain.Expand before transforming")
		}
		if s.Width.Auto || s.DPRAuto {
			return nil, badParam(s.String(), "w_auto and dpr_auto depend on the request: call Chain.ResolveHints before transforming")
		}
	}
	auto := c.FormatAuto()
	for _, f := range opt.Accept {
		if f == FormatOriginal || f > lastFormat {
			return nil, errorf(KindBadParam, "", "Options.Accept holds an unknown format %d", f)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := inspect(src, lim)
	if err != nil {
		return nil, err
	}
	w, h := info.uprightSize()
	a := opt.Analysis
	if a != nil {
		if err := a.validate(); err != nil {
			return nil, err
		}
		if a.Width != w || a.Height != h {
			return nil, errorf(KindBadParam, "", "Options.Analysis is of a %d×%d picture, the source is %d×%d", a.Width, a.Height, w, h)
		}
	}
	needs := c.NeedsAnalysis()
	pre := 1 // a_ignore: the source's EXIF orientation is undone
	if c.IgnoresEXIF() {
		pre = inverseOrientation(info.orientation)
	}
	var plans []plan
	if !needs || a != nil {
		if plans, err = planChainFrom(c.Steps, w, h, lim, a, identityAffine, pre); err != nil {
			return nil, err
		}
	}
	scale := decodeScale(info, plans)
	if needs && a == nil {
		scale = analysisScale(info)
	}
	img, err := decode(src, info, scale)
	if err != nil {
		return nil, err
	}
	if needs && a == nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a = analyzeAt(img, w, h)
		if plans, err = planChainFrom(c.Steps, w, h, lim, a, identityAffine, pre); err != nil {
			return nil, err
		}
		if s := decodeScale(info, plans); s != scale {
			// The components take another scale than the faces were found at: decoded again
			// at theirs, so that the result is the one TransformWith gives with the Analysis.
			if img, err = decode(src, info, s); err != nil {
				return nil, err
			}
			scale = s
		}
	}
	b := img.Bounds()
	plans = scalePlans(plans, scale, b.Dx(), b.Dy())
	first := 0 // the index in c.Steps of plans[0]'s component
	if pre > 1 {
		first = -1
	}
	for i := 0; i < len(plans); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := plans[i]
		if p.trim {
			// e_trim comes first in its component, and what follows is planned again from the
			// trimmed size (the plans made before decoding took the untrimmed one).
			if p.pre > 1 {
				img = orient(img, p.pre)
			}
			m := ownRGBA(img)
			r := trimRect(m, p.effect)
			img = m.SubImage(r)
			t := p.before
			if p.pre > 1 {
				t = t.then(orientAffine(p.pre, m.Rect.Dx(), m.Rect.Dy()))
			}
			t = t.then(affine{a: 1, c: -float64(r.Min.X), e: 1, f: -float64(r.Min.Y)})
			steps := slices.Clone(c.Steps[first+i:])
			steps[0].Effect, steps[0].AutoRotate = Effect{}, AutoRotateNone
			rest, err := planChainFrom(steps, r.Dx(), r.Dy(), lim, a, t, 1)
			if err != nil {
				return nil, err
			}
			plans = append(plans[:i], rest...) // plans[j] is still c.Steps[first+j]'s
			p = plans[i]
		}
		img = apply(img, p)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := c.Format()
	if f == FormatOriginal {
		f = ext
	}
	if f == FormatOriginal {
		f = info.format
	}
	b = img.Bounds()
	q := c.quality()
	lossy := true // what WebP is, the only format with both
	if f == WebP || (auto && len(opt.Accept) > 0) {
		lossy = lossyResult(info, src, c.lossyFlag(), q, img)
	}
	if auto && len(opt.Accept) > 0 {
		f = chooseAuto(opt.Accept, lossy, q.jpegEquivalent(), opaque(img), b.Dx(), b.Dy())
	}
	if f == PNG {
		img = pngDepth(img, c.Flags(), c.background())
	}
	out, err := encode(img, encoding{format: f, quality: q, bg: c.background(), lossless: !lossy, fast: opt.FastEncode})
	if err != nil {
		return nil, err
	}
	return &Output{Bytes: out, Format: f, Width: b.Dx(), Height: b.Dy()}, nil
}

// opaque reports whether every pixel of img is opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// apply carries out one planned component.
func apply(img image.Image, p plan) image.Image {
	if p.pre > 1 {
		img = orient(img, p.pre)
	}
	b := img.Bounds()
	r := p.src.Add(b.Min)
	if r != b {
		img = subImage(img, r)
	}
	if p.w != r.Dx() || p.h != r.Dy() {
		img = resize.Resize(img, p.w, p.h)
	}
	if p.canvas != (image.Point{}) {
		canvas := image.NewRGBA(image.Rectangle{Max: p.canvas})
		bg := p.bg
		if p.bgAuto.On {
			bg = p.bgAuto.colorOf(img)
		}
		fillRGBA(canvas, bg)
		b = img.Bounds()
		draw.Draw(canvas, image.Rectangle{Min: p.at, Max: p.at.Add(b.Size())}, img, b.Min, draw.Over)
		img = canvas
	}
	if p.effect.Name.onFaces() {
		img = applyFaceEffect(img, p.effect, p.faces)
	} else if p.effect.Name != EffectNone && !p.effect.Name.isLate() && !p.trim {
		img = applyEffect(img, p.effect, p.effectColor)
	}
	if !p.radius.IsZero() || p.border.Width > 0 {
		img = shape(img, p.radius, p.border)
	}
	if p.effect.Name.isLate() {
		img = applyLateEffect(img, p.effect, p.effectColor)
	}
	img = rotate(img, p.angle)
	if p.rotate != 0 {
		img = rotateFree(img, p.rotate, p.rotateBg)
	}
	return img
}

// subImage returns the part r of img, sharing its pixels when the image type allows it.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	dst := image.NewRGBA(image.Rectangle{Max: r.Size()})
	draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Src)
	return dst
}
