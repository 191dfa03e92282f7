package imageops

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"image/png"

	"golang.org/x/image/webp"

	"github.com/avatarkit/avatarkit/imageops/internal/jpeg"
)

// source is what is known about a source from its header, before it is decoded.
type source struct {
	format      Format
	width       int // as stored
	height      int
	orientation int // EXIF orientation 1–8 (JPEG only; 1 otherwise)
	layout      layout
	jpeg        jpeg.Config // a JPEG's frame (JPEG only)
}

// scaledSize returns the size of the source decoded at scale (1, 2, 4 or 8; only a JPEG decodes
// at another scale than 1), before EXIF orientation.
func (s source) scaledSize(scale int) (int, int) {
	if s.format != JPEG || scale == 1 {
		return s.width, s.height
	}
	return s.jpeg.ScaledSize(scale)
}

// uprightScaled returns the size of the source decoded at scale and turned upright.
func (s source) uprightScaled(scale int) (int, int) {
	w, h := s.scaledSize(scale)
	if s.orientation >= 5 {
		return h, w
	}
	return w, h
}

// uprightSize returns the source's size after EXIF orientation.
func (s source) uprightSize() (int, int) {
	if s.orientation >= 5 {
		return s.height, s.width
	}
	return s.width, s.height
}

// sniff returns the format of src from its magic bytes, or FormatOriginal when it is not one we
// accept.
func sniff(src []byte) Format {
	switch {
	case len(src) >= 3 && src[0] == 0xFF && src[1] == 0xD8 && src[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(src, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(src, []byte("GIF87a")) || bytes.HasPrefix(src, []byte("GIF89a")):
		return GIF
	case len(src) >= 12 && string(src[:4]) == "RIFF" && string(src[8:12]) == "WEBP":
		return WebP
	}
	return FormatOriginal
}

// inspect checks src against the source limits using only its header: byte size, format
// (by magic bytes), and width×height. Nothing of the size of the image is allocated.
// lim must have its defaults filled in.
func inspect(src []byte, lim Limits) (source, error) {
	if int64(len(src)) > lim.MaxSourceBytes {
		return source{}, errorf(KindSourceLimit, "", "the source is %d bytes, more than the limit of %d bytes", len(src), lim.MaxSourceBytes)
	}
	f := sniff(src)
	var cfg image.Config
	var jc jpeg.Config
	var err error
	r := bytes.NewReader(src)
	switch f {
	case JPEG:
		if jc, err = jpeg.DecodeConfig(r); err == nil {
			cfg = image.Config{Width: jc.Width, Height: jc.Height}
		}
	case PNG:
		cfg, err = png.DecodeConfig(r)
	case GIF:
		cfg, err = gif.DecodeConfig(r)
	case WebP:
		cfg, err = webp.DecodeConfig(r)
	default:
		return source{}, errorf(KindBadSource, "", "the source is not a JPEG, PNG, GIF or WebP image")
	}
	if err != nil {
		return source{}, errorf(KindBadSource, "", "the source is not a valid %s image: %v", formatName(f), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return source{}, errorf(KindBadSource, "", "the source %s image has no pixels (%d×%d)", formatName(f), cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxSourcePixels {
		return source{}, errorf(KindSourceLimit, "", "the source is %d×%d px, more than the limit of %d pixels", cfg.Width, cfg.Height, lim.MaxSourcePixels)
	}
	s := source{format: f, width: cfg.Width, height: cfg.Height, orientation: 1}
	if f == JPEG {
		s.orientation = jpegOrientation(src)
		s.jpeg = jc
		s.layout = jpegLayout(jc, src)
	} else {
		s.layout = readLayout(src, f)
	}
	return s, nil
}

// decode decodes src, which inspect accepted as s, at scale (1, or for a JPEG 2, 4 or 8: a
// ⌈w/scale⌉×⌈h/scale⌉ picture, decoded by reduced inverse DCTs), and turns it upright. A GIF
// gives its first frame only, on a canvas of the GIF's size.
func decode(src []byte, s source, scale int) (img image.Image, err error) {
	// Defence in depth: a decoder bug triggered by a hostile file must not take the process down.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, errorf(KindBadSource, "", "the source is not a valid %s image: decoder panic: %v", formatName(s.format), p)
		}
	}()
	r := bytes.NewReader(src)
	switch s.format {
	case JPEG:
		img, err = jpeg.Decode(r, scale)
	case PNG:
		img, err = png.Decode(r)
	case GIF:
		img, err = gif.Decode(r) // stops after the first frame
	case WebP:
		img, err = webp.Decode(r)
	}
	if err != nil {
		return nil, errorf(KindBadSource, "", "the source is not a valid %s image: %v", formatName(s.format), err)
	}
	b := img.Bounds()
	sw, sh := s.scaledSize(scale)
	canvas := image.Rect(0, 0, sw, sh)
	if b != canvas {
		if !b.In(canvas) || b.Empty() {
			return nil, errorf(KindBadSource, "", "the source %s image's pixels (%v) do not match its header (%d×%d)", formatName(s.format), b, sw, sh)
		}
		// A GIF whose first frame does not cover the whole logical screen: the rest is transparent.
		full := image.NewRGBA(canvas)
		draw.Draw(full, b, img, b.Min, draw.Src)
		img = full
	}
	return orient(img, s.orientation), nil
}

// formatName is the upper-case name of a source format, for messages.
func formatName(f Format) string {
	switch f {
	case JPEG:
		return "JPEG"
	case PNG:
		return "PNG"
	case GIF:
		return "GIF"
	case WebP:
		return "WebP"
	case AVIF:
		return "AVIF"
	}
	return "image"
}
