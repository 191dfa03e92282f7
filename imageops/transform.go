package imageops

import (
	"context"
	"image"
	"image/draw"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// Output is an encoded result of [Transform].
type Output struct {
	Bytes         []byte // the encoded image, without metadata
	Format        Format // never FormatOriginal
	Width, Height int    // px
}

// Transform decodes src (JPEG, PNG, GIF first frame, WebP), turns a JPEG upright by its EXIF
// orientation, applies c and encodes the result.
//
// The output format is the chain's f_ if any, else ext (the format the URL's extension asked
// for), else (FormatOriginal) the source's format. Zero fields of lim mean the defaults.
//
// Before decoding, Transform checks the chain (Chain.Check: KindBadParam; parameters not
// implemented yet: KindNotSupported), the source's byte size, format and width×height from its
// header (KindSourceLimit, KindBadSource), and plans every component from the source's size alone,
// so an output or intermediate result larger than lim.MaxOutputSide (KindOutputLimit) or a c_crop
// region outside the image (KindBadParam naming x_/y_) is refused without decoding.
//
// ctx is checked before decoding and between steps; when it is done, its error (context.Canceled
// or context.DeadlineExceeded) is returned as it is, the only error that is not an *Error.
// Transform is safe for concurrent use.
func Transform(ctx context.Context, src []byte, c Chain, ext Format, lim Limits) (*Output, error) {
	lim = lim.WithDefaults()
	if err := c.Check(lim); err != nil {
		return nil, err
	}
	if err := c.unsupported(); err != nil {
		return nil, err
	}
	if ext > WebP {
		return nil, errorf(KindBadParam, "", "unknown output format %d", ext)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := inspect(src, lim)
	if err != nil {
		return nil, err
	}
	w, h := info.uprightSize()
	plans, err := planChain(c, w, h, lim)
	if err != nil {
		return nil, err
	}
	img, err := decode(src, info)
	if err != nil {
		return nil, err
	}
	for _, p := range plans {
		if err := ctx.Err(); err != nil {
			return nil, err
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
	out, err := encode(img, f, c.quality(), c.background())
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	return &Output{Bytes: out, Format: f, Width: b.Dx(), Height: b.Dy()}, nil
}

// apply carries out one planned component.
func apply(img image.Image, p plan) image.Image {
	b := img.Bounds()
	r := p.src.Add(b.Min)
	if r != b {
		img = subImage(img, r)
	}
	if p.w != r.Dx() || p.h != r.Dy() {
		img = resize.Resize(img, p.w, p.h)
	}
	if p.canvas == (image.Point{}) {
		return img
	}
	canvas := image.NewRGBA(image.Rectangle{Max: p.canvas})
	fillRGBA(canvas, p.bg)
	b = img.Bounds()
	draw.Draw(canvas, image.Rectangle{Min: p.at, Max: p.at.Add(b.Size())}, img, b.Min, draw.Over)
	return canvas
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
