package cloudinarytest

import (
	"image"
	"math"
)

// size gives the pixel size Cloudinary delivers for a source of size src.
type size func(src image.Point) image.Point

// A kase is one delivery the SDKs are asked to build: a transformation as an app writes it (for
// the Go SDK, whose transformations are raw strings; the Node script builds the same meaning
// with its SDKs' options and actions), and what Cloudinary would answer.
type kase struct {
	name   string
	tr     string // the raw transformation (Go SDK)
	ext    string // the public id's extension ("" none: the source's format)
	size   size   // the expected size, from the source's
	tol    int    // px of tolerance on each side (free rotations: Cloudinary's rounding)
	format string // the expected format when not the extension's or the source's
	accept string // the Accept header to send ("" none)
	hdr    []string
	// missing asks for a user the network does not have (the default image is served).
	missing bool
	// needs says why a case cannot pass yet: it is run and reported, not failed.
	needs string
}

const browserAccept = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"

func same(src image.Point) image.Point { return src }

func fixed(w, h int) size { return func(image.Point) image.Point { return image.Pt(w, h) } }

func round(f float64) int { return int(math.Round(f)) }

// width w keeping the aspect ratio.
func toWidth(w int) size {
	return func(s image.Point) image.Point { return image.Pt(w, round(float64(w)*float64(s.Y)/float64(s.X))) }
}

func toHeight(h int) size {
	return func(s image.Point) image.Point { return image.Pt(round(float64(h)*float64(s.X)/float64(s.Y)), h) }
}

// fit inside w×h keeping the ratio.
func fit(w, h int) size {
	return func(s image.Point) image.Point {
		if float64(s.X)/float64(s.Y) > float64(w)/float64(h) {
			return toWidth(w)(s)
		}
		return toHeight(h)(s)
	}
}

// limit is fit that never enlarges.
func limit(w, h int) size {
	return func(s image.Point) image.Point {
		if s.X <= w && s.Y <= h {
			return s
		}
		return fit(w, h)(s)
	}
}

func grow(d int) size { return func(s image.Point) image.Point { return s.Add(image.Pt(d, d)) } }

func turned(s image.Point) image.Point { return image.Pt(s.Y, s.X) }

// rotated is the bounding box of the source turned by deg degrees.
func rotated(deg float64) size {
	return func(s image.Point) image.Point {
		r := deg * math.Pi / 180
		c, n := math.Abs(math.Cos(r)), math.Abs(math.Sin(r))
		return image.Pt(round(float64(s.X)*c+float64(s.Y)*n), round(float64(s.X)*n+float64(s.Y)*c))
	}
}

func square(s image.Point) image.Point { m := min(s.X, s.Y); return image.Pt(m, m) }

// cases are the deliveries every SDK is asked to build, for every delivery type.
var cases = []kase{
	// Sizes and crop modes.
	{name: "plain", ext: "jpg", size: same},
	{name: "plain_png", ext: "png", size: same},
	{name: "plain_noext", size: same},
	{name: "plain_webp", ext: "webp", size: same},
	{name: "plain_gif", ext: "gif", size: same},
	{name: "width", tr: "w_100", size: toWidth(100)},
	{name: "height", tr: "h_100", ext: "jpg", size: toHeight(100)},
	{name: "scale", tr: "c_scale,h_100,w_200", ext: "jpg", size: fixed(200, 100)},
	{name: "fraction", tr: "c_scale,w_0.5", ext: "jpg", size: func(s image.Point) image.Point { return image.Pt(round(float64(s.X)/2), round(float64(s.Y)/2)) }},
	{name: "fit", tr: "c_fit,h_100,w_200", ext: "jpg", size: fit(200, 100)},
	{name: "limit", tr: "c_limit,h_400,w_400", ext: "jpg", size: limit(400, 400)},
	{name: "mfit", tr: "c_mfit,h_100,w_100", ext: "jpg", size: same},
	{name: "fill", tr: "c_fill,h_90,w_90", ext: "jpg", size: fixed(90, 90)},
	{name: "fill_face", tr: "c_fill,g_face,h_90,w_90", ext: "jpg", size: fixed(90, 90)},
	{name: "fill_north", tr: "c_fill,g_north,h_100,w_200", ext: "png", size: fixed(200, 100)},
	{name: "lfill", tr: "c_lfill,h_2000,w_2000", ext: "jpg", size: same},
	{name: "pad", tr: "b_white,c_pad,h_100,w_200", ext: "jpg", size: fixed(200, 100)},
	{name: "lpad", tr: "c_lpad,h_1200,w_1200", ext: "png", size: fixed(1200, 1200)},
	{name: "mpad", tr: "c_mpad,h_100,w_100", ext: "jpg", size: same},
	{name: "crop", tr: "c_crop,h_50,w_50", ext: "jpg", size: fixed(50, 50)},
	{name: "crop_xy", tr: "c_crop,g_north_west,h_50,w_60,x_10,y_20", ext: "jpg", size: fixed(60, 50)},
	{name: "crop_ar", tr: "ar_1.0,c_crop", ext: "jpg", size: square},
	{name: "thumb_circle", tr: "c_thumb,g_face,h_150,w_150/r_max", ext: "png", size: fixed(150, 150)},
	{name: "thumb_zoom", tr: "c_thumb,g_face,h_100,w_100,z_0.7", ext: "jpg", size: fixed(100, 100)},
	{name: "aspect", tr: "ar_16:9,c_fill,w_320", ext: "jpg", size: fixed(320, 180)},
	{name: "auto_crop", tr: "c_auto,g_auto,h_100,w_100", ext: "jpg", size: fixed(100, 100)},
	{name: "fill_pad", tr: "b_auto,c_fill_pad,g_auto,h_100,w_200", ext: "jpg", size: fixed(200, 100)},
	{name: "pad_auto", tr: "b_auto:predominant,c_pad,h_200,w_100", ext: "png", size: fixed(100, 200)},
	// Device pixel ratio.
	{name: "dpr_component", tr: "c_fill,h_100,w_100/dpr_2.0", ext: "jpg", size: fixed(200, 200)},
	{name: "dpr_inline", tr: "c_fill,dpr_2.0,h_100,w_100", ext: "jpg", size: fixed(200, 200)},
	{name: "dpr_width", tr: "dpr_3.0,w_100", ext: "png", size: toWidth(300)},
	{name: "dpr_auto_nohint", tr: "c_fill,h_100,w_100/dpr_auto", ext: "jpg", size: fixed(100, 100)},
	{name: "dpr_auto_hint", tr: "c_fill,h_100,w_100/dpr_auto", ext: "jpg", size: fixed(200, 200), hdr: []string{"Sec-CH-DPR", "2"}},
	{name: "width_auto_fallback", tr: "c_limit,w_auto:100:300", ext: "jpg", size: limit(300, 100000)},
	{name: "width_auto_hint", tr: "ar_1.0,c_fill,w_auto:100:300", ext: "jpg", size: fixed(400, 400), hdr: []string{"Sec-CH-Width", "333"}},
	{name: "width_auto_dpr", tr: "ar_1.0,c_fill,dpr_auto,w_auto", ext: "jpg", size: fixed(500, 500), hdr: []string{"Sec-CH-Width", "480", "Sec-CH-DPR", "2"}},
	// Corners, borders, rotations.
	{name: "radius", tr: "r_20", ext: "png", size: same},
	{name: "circle_jpg", tr: "c_fill,h_100,w_100/r_max", ext: "jpg", size: fixed(100, 100)},
	{name: "border", tr: "bo_4px_solid_black,c_fill,h_100,w_100", ext: "jpg", size: fixed(108, 108)},
	{name: "circle_border", tr: "bo_2px_solid_rgb:ff0000,c_fill,h_100,w_100,r_max", ext: "png", size: fixed(104, 104)},
	{name: "rotate_90", tr: "a_90", ext: "jpg", size: turned},
	{name: "rotate_minus_20", tr: "a_-20", ext: "png", size: rotated(-20), tol: 2},
	{name: "rotate_45_bg", tr: "a_45,b_rgb:336699", ext: "jpg", size: rotated(45), tol: 2},
	{name: "hflip", tr: "a_hflip", ext: "jpg", size: same},
	{name: "vflip", tr: "a_vflip", ext: "jpg", size: same},
	{name: "auto_right", tr: "a_auto_right,c_fill,h_200,w_100", ext: "jpg", size: fixed(100, 200)},
	{name: "exif", tr: "a_exif", ext: "jpg", size: same},
	{name: "ignore", tr: "a_ignore", ext: "jpg", size: same},
	// Effects.
	{name: "grayscale", tr: "e_grayscale", ext: "jpg", size: same},
	{name: "sepia", tr: "e_sepia:50", ext: "jpg", size: same},
	{name: "blur", tr: "e_blur:300", ext: "jpg", size: same},
	{name: "pixelate", tr: "e_pixelate:10", ext: "jpg", size: same},
	{name: "sharpen", tr: "e_sharpen", ext: "jpg", size: same},
	{name: "negate", tr: "e_negate", ext: "jpg", size: same},
	{name: "brightness", tr: "e_brightness:20", ext: "jpg", size: same},
	{name: "contrast", tr: "e_contrast:20", ext: "jpg", size: same},
	{name: "saturation", tr: "e_saturation:-50", ext: "jpg", size: same},
	{name: "vibrance", tr: "e_vibrance:30", ext: "jpg", size: same},
	{name: "unsharp_mask", tr: "e_unsharp_mask", ext: "jpg", size: same},
	{name: "vignette", tr: "e_vignette:40", ext: "jpg", size: same},
	{name: "blackwhite", tr: "e_blackwhite", ext: "png", size: same},
	{name: "improve", tr: "e_improve", ext: "jpg", size: same},
	{name: "improve_indoor", tr: "e_improve:indoor:50", ext: "jpg", size: same},
	{name: "auto_brightness", tr: "e_auto_brightness", ext: "jpg", size: same},
	{name: "auto_contrast", tr: "e_auto_contrast", ext: "jpg", size: same},
	{name: "auto_color", tr: "e_auto_color", ext: "jpg", size: same},
	{name: "tint", tr: "e_tint:50:blue", ext: "jpg", size: same},
	{name: "colorize", tr: "co_rgb:ff0000,e_colorize:40", ext: "jpg", size: same},
	{name: "outline", tr: "c_fill,h_100,w_100/r_max/co_orange,e_outline:outer:4", ext: "png", size: fixed(108, 108)},
	{name: "shadow", tr: "c_fill,h_100,w_100/e_shadow:50,x_5,y_5", ext: "png", size: fixed(116, 116)},
	{name: "trim", tr: "e_trim", ext: "jpg", size: nil},
	// Flags.
	{name: "progressive", tr: "c_fill,fl_progressive,h_100,w_100", ext: "jpg", size: fixed(100, 100)},
	{name: "flag_list", tr: "fl_progressive.strip_profile.keep_iptc,w_100", ext: "jpg", size: toWidth(100)},
	{name: "lossy", tr: "fl_lossy,w_100", ext: "png", size: toWidth(100)},
	{name: "png8", tr: "c_fill,fl_png8,h_100,w_100", ext: "png", size: fixed(100, 100)},
	{name: "attachment", tr: "fl_attachment,w_100", ext: "jpg", size: toWidth(100)},
	{name: "immutable", tr: "fl_immutable_cache,w_100", ext: "jpg", size: toWidth(100)},
	{name: "ignore_ratio", tr: "c_scale,fl_ignore_aspect_ratio,w_100", ext: "jpg", size: func(s image.Point) image.Point { return image.Pt(100, s.Y) }},
	// Default images and named transformations.
	{name: "default_ext", tr: "c_fill,d_avatar.png,h_50,w_50", ext: "jpg", size: fixed(50, 50)},
	{name: "default_missing", tr: "c_fill,d_avatar.png,h_50,w_50", ext: "jpg", size: fixed(50, 50), missing: true},
	{name: "identicon_missing", tr: "d_identicon.png,w_64", ext: "png", size: fixed(64, 64), missing: true},
	{name: "named", tr: "t_avatar_small", ext: "jpg", size: fixed(48, 48)},
	{name: "named_builtin", tr: "t_fb_square", ext: "jpg", size: fixed(50, 50)},
	// The Node SDK's tag helpers: srcset breakpoints and <picture> sources.
	{name: "srcset_100", tr: "c_fill,g_face,h_300,w_300/c_scale,w_100", ext: "jpg", size: fixed(100, 100)},
	{name: "srcset_300", tr: "c_fill,g_face,h_300,w_300/c_scale,w_300", ext: "jpg", size: fixed(300, 300)},
	{name: "picture_wide", tr: "c_fill,h_400,w_800", ext: "jpg", size: fixed(800, 400)},
	{name: "picture_narrow", tr: "c_scale,w_300", ext: "jpg", size: toWidth(300)},
	// Format and quality.
	{name: "format_png", tr: "c_fill,f_png,h_100,w_100", ext: "jpg", size: fixed(100, 100), format: "png"},
	{name: "format_webp", tr: "c_fill,h_100,w_100/f_webp", size: fixed(100, 100), format: "webp"},
	{name: "quality_80", tr: "c_fill,h_100,q_80,w_100", ext: "jpg", size: fixed(100, 100)},
	{name: "quality_auto", tr: "c_fill,h_100,w_100/q_auto", ext: "jpg", size: fixed(100, 100)},
	{name: "quality_auto_good", tr: "c_fill,h_100,w_100/q_auto:good", ext: "jpg", size: fixed(100, 100)},
	{name: "format_auto", tr: "c_fill,h_100,w_100/f_auto", size: fixed(100, 100), format: "avif|webp", accept: browserAccept},
	{name: "format_quality_auto", tr: "c_fill,g_face,h_100,w_100/r_max/f_auto/q_auto:good", size: fixed(100, 100), format: "avif|webp", accept: browserAccept},
	{name: "format_avif", tr: "c_fill,f_avif,h_100,w_100", size: fixed(100, 100), format: "avif"},
	{name: "format_auto_safari13", tr: "c_fill,h_100,w_100/f_auto", size: fixed(100, 100), format: "jpeg", accept: "image/*,*/*;q=0.8"},
}
