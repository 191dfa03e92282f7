package imageops

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"strings"
	"testing"

	"github.com/HugoSmits86/nativewebp"
	"github.com/stretchr/testify/require"
)

// FuzzParseChain: ParseChain never panics, every error is a KindBadParam *Error, and every
// accepted chain reads back from its canonical String to the same Chain.
func FuzzParseChain(f *testing.F) {
	for _, s := range []string{
		"c_fill,g_north,h_90,w_90", "w_90,h_90,g_north,c_fill", "c_fill,g_face,h_90,w_90/r_max",
		"c_thumb,g_faces,h_150,w_150/r_max", "w_0.5", "w_1.0", "w_1", "w_1.5", "w_05", "w_-3", "w_1e3",
		"w_NaN", "ar_16:9,c_fill,w_100", "ar_1.5,c_crop", "dpr_2.0,w_100", "q_auto", "f_jpeg",
		"f_auto", "b_rgb:FFCC00", "b_rgb:fc0", "b_rgb:ffcc0080", "b_grey,c_pad,w_10",
		"bo_4px_solid_rgb:ff0000", "a_hflip", "e_sepia:50", "e_brightness:-20", "d_identicon",
		"t_avatar", "c_crop,x_10,y_20,w_30", "c_crop,g_east,x_1,w_1", "c_fill,,w_1", "", "//",
		"w_10,w_10", "r_20:0:20:0", "z_0.5,c_thumb,g_face,w_10", "c_lfill,w_0.0001,h_1.0",
		"c_crop,g_face", "c_crop,g_faces,ar_1:1,z_2", "c_crop,g_auto,w_10,z_2", "r_1:2:3",
		"e_pixelate:200,r_max,bo_1px_solid_red,a_270", "t_x,w_1",
		// Cloudinary's SDKs: standalone dpr_, flags, d_ with an extension, client hints.
		"c_fill,h_100,w_100/dpr_2.0", "r_max/dpr_2.0", "dpr_1.0", "dpr_auto", "ar_1.0,c_fill,w_auto/dpr_auto",
		"w_auto:100:400", "w_auto:50", "w_auto:breakpoints", "fl_progressive", "fl_progressive:steep.lossy",
		"fl_attachment:me.immutable_cache", "fl_png8.png24", "fl_ignore_aspect_ratio,w_10", "fl_getinfo",
		"d_avatar.png", "t_a.b", "c_auto,h_10,w_10", "c_fill_pad,g_auto,b_auto,h_10,w_10",
		"b_auto:border:palette_red_rgb:00ff00,c_pad,w_10", "b_auto:border_gradient,c_pad,w_10",
		"a_-20", "a_auto_right.hflip,h_10,w_20", "a_ignore", "a_exif", "a_hflip.45", "a_90.80.70",
		"e_improve:indoor:50", "e_auto_brightness:40", "e_vibrance:-30", "e_unsharp_mask:300", "e_vignette:0",
		"e_blackwhite:30", "e_tint:equalize:80:red:20p:rgb:0000ff:80p", "co_rgb:ff0000,e_colorize:40",
		"co_red,e_outline:outer:4:200", "e_shadow:50,x_-15,y_15", "e_trim::", "e_trim:20:white",
		"e_background_removal", "e_gen_remove:prompt_x", "b_gen_fill,c_pad,w_1",
		"q_auto:good", "q_auto:best,f_avif", "q_auto:eco/f_webp", "q_auto:low,f_auto", "q_auto:", "q_auto:eco:1",
		"q_auto:GOOD", "q_auto:best/q_auto:good", "f_avif,q_1", "f_avif/f_auto",
	} {
		f.Add(s)
	}
	for _, s := range chainSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChain(strings.Split(s, "/"))
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "error of type %T", err)
			require.NotEmpty(t, e.Msg)
			require.NotEmpty(t, e.Error())
			require.Equal(t, KindBadParam, e.Kind)
			require.Empty(t, c.Steps)
			return
		}
		// Whatever is accepted is made of the grammar's own characters only: no control
		// characters, no Unicode look-alikes, nothing that needs escaping in a URL path.
		require.True(t, onlyGrammarBytes(s), "accepted %q", s)
		canonical := c.String()
		require.True(t, onlyGrammarBytes(canonical), "canonical %q of %q", canonical, s)
		if canonical == "" { // only no-ops (fl_progressive, a_exif, dpr_1.0): the empty chain
			require.Empty(t, c.Steps)
			return
		}
		again, err2 := ParseChain(strings.Split(canonical, "/"))
		require.NoError(t, err2, "canonical %q of %q", canonical, s)
		require.Equal(t, canonical, again.String(), "from %q", s)
		require.Equal(t, c, again, "from %q", s)
		_ = c.Check(Limits{}) // must not panic
		_ = c.Format()
	})
}

// onlyGrammarBytes reports whether s holds only the bytes a transformation can be written with:
// ASCII letters and digits, '_', ',', '.', ':', '-' and '/'.
func onlyGrammarBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_,.:-/", c) >= 0) {
			return false
		}
	}
	return true
}

// fuzzChain is the fixed chain FuzzTransform applies: it crops, resizes and keeps the source's
// format (so every encoder runs). fuzzFaceChain also analyses the source (faces and detail) and
// applies every finishing touch. fuzzPixelChain runs what depends on the pixels: e_trim, b_auto,
// the fill_pad of the faces, outlines, shadows and free rotations. fuzzWebPChain writes WebP at
// q_auto:eco, lossy or lossless by the source.
const (
	fuzzChain      = "c_fill,g_north_east,h_16,w_24"
	fuzzFaceChain  = "c_thumb,g_auto,h_16,w_24,z_1.5/e_sepia,r_max,bo_1px_solid_red,a_90"
	fuzzPixelChain = "a_ignore,e_trim/b_auto,c_fill_pad,h_16,w_24/e_outline:2,r_max/a_-20/e_shadow:50,x_2,y_2/e_improve:indoor"
	fuzzWebPChain  = "c_fill,h_16,w_24,q_auto:eco/f_webp"
)

// FuzzTransform: arbitrary bytes never make Transform panic, errors are typed, and an accepted
// source gives an image within the limits.
func FuzzTransform(f *testing.F) {
	small := quadImage(12, 8)
	f.Add(pngBytes(f, small))
	f.Add(jpegBytes(f, small, 80))
	f.Add(withOrientation(jpegBytes(f, small, 80), 6))
	f.Add(withSegments(jpegBytes(f, small, 80), exifSegment(binary.LittleEndian, [4]uint32{0x0112, 3, 1, 8})))
	f.Add(jpegBytes(f, image.NewGray(image.Rect(0, 0, 9, 7)), 80))
	var g bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 10, 6), color.Palette{qRed, qBlue, color.Transparent})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	require.NoError(f, gif.Encode(&g, pal, nil))
	f.Add(g.Bytes())
	var w bytes.Buffer
	require.NoError(f, nativewebp.Encode(&w, small, nil))
	f.Add(w.Bytes())
	f.Add(pngHeaderOnly(f, 300, 300))
	f.Add([]byte("GIF89a"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	for _, s := range decodeSeeds(f) {
		f.Add(s.data)
	}

	chain, faceChain, pixelChain := mustChain(f, fuzzChain), mustChain(f, fuzzFaceChain), mustChain(f, fuzzPixelChain)
	webpChain := mustChain(f, fuzzWebPChain)
	lim := Limits{MaxOutputSide: 64, MaxSourceBytes: 64 << 10, MaxSourcePixels: 256 * 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []Chain{chain, {}, faceChain, pixelChain, webpChain} {
			out, err := Transform(context.Background(), data, c, FormatOriginal, lim)
			if err != nil {
				var e *Error
				require.True(t, errors.As(err, &e), "error of type %T: %v", err, err)
				require.Contains(t, []ErrorKind{KindBadSource, KindSourceLimit, KindOutputLimit}, e.Kind, "%v", err)
				continue
			}
			require.NotEmpty(t, out.Bytes)
			require.LessOrEqual(t, out.Width, lim.MaxOutputSide)
			require.LessOrEqual(t, out.Height, lim.MaxOutputSide)
			require.Positive(t, out.Width)
			require.Positive(t, out.Height)
			require.Equal(t, out.Format, sniff(out.Bytes))
			switch {
			case len(c.Steps) == 1, c.Format() == WebP:
				require.Equal(t, [2]int{24, 16}, [2]int{out.Width, out.Height})
			case len(c.Steps) == 2:
				require.Equal(t, [2]int{18, 26}, [2]int{out.Width, out.Height})
			}
		}
	})
}

// FuzzJPEGOrientation: the EXIF parser never panics and always answers 1–8.
func FuzzJPEGOrientation(f *testing.F) {
	jpg := jpegBytes(f, image.NewGray(image.Rect(0, 0, 8, 8)), 80)
	f.Add(jpg)
	for o := 1; o <= 8; o++ {
		f.Add(withOrientation(jpg, o)[:60])
	}
	f.Add(withSegments(jpg, exifSegment(binary.LittleEndian, [4]uint32{0x010F, 2, 4, 0}, [4]uint32{0x0112, 3, 1, 6}))[:80])
	f.Fuzz(func(t *testing.T, data []byte) {
		o := jpegOrientation(data)
		require.True(t, o >= 1 && o <= 8, "orientation %d", o)
		if len(data) >= 8 {
			o = tiffOrientation(data)
			require.True(t, o >= 0 && o <= 8)
		}
	})
}
