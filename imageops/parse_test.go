package imageops

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseChainAccepted(t *testing.T) {
	tests := []struct{ in, canonical string }{
		{"c_fill,g_north,h_90,w_90", "c_fill,g_north,h_90,w_90"},
		{"w_90,h_90,g_north,c_fill", "c_fill,g_north,h_90,w_90"},
		{"w_150", "w_150"},
		{"h_1", "h_1"},
		{"w_100000", "w_100000"},
		{"w_0.5", "w_0.5"},
		{"w_0.50", "w_0.5"},
		{"w_1.0", "w_1.0"},
		{"w_1.000", "w_1.0"},
		{"h_0.125,w_0.0001", "h_0.125,w_0.0001"},
		{"c_scale,w_10", "w_10"},
		{"c_fit,h_10", "c_fit,h_10"},
		{"c_limit,w_10,h_20", "c_limit,h_20,w_10"},
		{"c_mfit,w_10", "c_mfit,w_10"},
		{"c_lfill,w_10,h_10,g_south_east", "c_lfill,g_south_east,h_10,w_10"},
		{"c_pad,w_10,h_10,b_white", "b_white,c_pad,h_10,w_10"},
		{"c_lpad,w_10,h_10,b_rgb:FFCC00", "b_rgb:ffcc00,c_lpad,h_10,w_10"},
		{"c_mpad,w_10,b_rgb:fc0", "b_rgb:ffcc00,c_mpad,w_10"},
		{"c_pad,w_10,b_rgb:ffcc0080", "b_rgb:ffcc0080,c_pad,w_10"},
		{"c_pad,w_10,b_rgb:ffcc00ff", "b_rgb:ffcc00,c_pad,w_10"},
		{"c_pad,w_10,b_grey", "b_gray,c_pad,w_10"},
		{"b_transparent", "b_transparent"},
		{"c_crop,w_10,h_10,x_0,y_5", "c_crop,h_10,w_10,x_0,y_5"},
		{"c_crop,x_10", "c_crop,x_10"},
		{"c_crop,g_north_west,x_1,y_2,w_3", "c_crop,w_3,x_1,y_2"},
		{"c_thumb,g_center,w_10,h_10", "c_thumb,h_10,w_10"},
		{"c_fill,ar_16:9,w_100", "ar_16:9,c_fill,w_100"},
		{"c_fill,ar_1.5,w_100", "ar_1.5,c_fill,w_100"},
		{"ar_2,c_crop", "ar_2.0,c_crop"},
		{"ar_0.5", "ar_0.5"},
		{"w_100,dpr_2", "dpr_2.0,w_100"},
		{"w_100,dpr_1.50", "dpr_1.5,w_100"},
		{"w_100,dpr_4.0", "dpr_4.0,w_100"},
		{"q_80", "q_80"},
		{"q_auto", "q_auto"},
		{"q_auto:good", "q_auto"},
		{"q_auto:best", "q_auto:best"},
		{"q_auto:eco", "q_auto:eco"},
		{"q_auto:low", "q_auto:low"},
		{"q_1,f_jpg", "f_jpg,q_1"},
		{"f_jpeg", "f_jpg"},
		{"f_png", "f_png"},
		{"f_gif", "f_gif"},
		{"f_webp", "f_webp"},
		{"f_avif", "f_avif"},
		{"c_fill,h_200,w_200/c_scale,w_0.5/f_png", "c_fill,h_200,w_200/w_0.5/f_png"},
		{"w_1/h_1", "w_1/h_1"},
		// faces, zoom and the finishing touches
		{"c_fill,g_face,h_90,w_90", "c_fill,g_face,h_90,w_90"},
		{"c_thumb,g_faces,h_90,w_90", "c_thumb,g_faces,h_90,w_90"},
		{"c_crop,g_auto,ar_1:1", "ar_1:1,c_crop,g_auto"},
		{"c_lfill,g_auto,w_10,h_10", "c_lfill,g_auto,h_10,w_10"},
		{"c_crop,g_face", "c_crop,g_face"},
		{"c_crop,g_face,z_0.5", "c_crop,g_face,z_0.5"},
		{"c_crop,g_faces,ar_1.0,z_0.50", "ar_1.0,c_crop,g_faces,z_0.5"},
		{"c_crop,g_face,w_100,h_100", "c_crop,g_face,h_100,w_100"},
		{"c_thumb,g_face,w_10,h_10,z_0.5", "c_thumb,g_face,h_10,w_10,z_0.5"},
		{"c_thumb,g_auto,w_10,z_2", "c_thumb,g_auto,w_10,z_2.0"},
		{"r_max", "r_max"},
		{"r_20", "r_20"},
		{"r_20:0", "r_20:0"},
		{"r_20:0:20", "r_20:0:20"},
		{"r_20:0:20:0", "r_20:0:20:0"},
		{"bo_4px_solid_black", "bo_4px_solid_black"},
		{"bo_4px_solid_rgb:F00", "bo_4px_solid_rgb:ff0000"},
		{"a_90", "a_90"},
		{"a_hflip", "a_hflip"},
		{"a_45", "a_45"},
		{"a_-90", "a_270"},
		{"e_grayscale", "e_grayscale"},
		{"e_sepia:50", "e_sepia:50"},
		{"e_brightness:-20", "e_brightness:-20"},
		{"e_blur", "e_blur"},
		{"c_fill,w_200,h_200,g_face,r_max,bo_2px_solid_white,e_sepia,a_90", "a_90,bo_2px_solid_white,c_fill,e_sepia,g_face,h_200,r_max,w_200"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseChain(strings.Split(tt.in, "/"))
			require.NoError(t, err)
			assert.Equal(t, tt.canonical, c.String())
			again, err := ParseChain(strings.Split(c.String(), "/"))
			require.NoError(t, err)
			assert.Equal(t, c, again, "canonical form reads back to the same chain")
		})
	}
}

// A parameter spelled out with the value it has by default is the same transformation as its
// absence: one canonical form, so one cache entry, and the same pixels.
func TestParseChainDropsSpelledOutDefaults(t *testing.T) {
	src := pngBytes(t, quadImage(60, 40))
	for _, c := range []struct{ spelled, bare string }{
		{"c_scale,w_30", "w_30"},
		{"c_scale,ar_2.0", "ar_2.0"},
		{"c_fill,g_center,h_20,w_20", "c_fill,h_20,w_20"},
		{"c_pad,g_center,h_20,w_20", "c_pad,h_20,w_20"},
		{"c_crop,g_north_west,w_10,x_5,y_5", "c_crop,w_10,x_5,y_5"},
		{"dpr_1.0,w_30", "w_30"},
		{"c_thumb,g_face,h_20,w_20,z_1.0", "c_thumb,g_face,h_20,w_20"},
		{"c_scale,w_30/c_fill,g_center,w_10,h_10", "w_30/c_fill,h_10,w_10"},
		{"g_center,w_30", "w_30"}, // the default gravity of every mode, c_scale's too
		{"c_fit,g_center,h_20,w_20", "c_fit,h_20,w_20"},
	} {
		spelled, bare := mustChain(t, c.spelled), mustChain(t, c.bare)
		assert.Equal(t, c.bare, spelled.String(), c.spelled)
		assert.Equal(t, bare, spelled, c.spelled)
		assert.Equal(t, run(t, src, c.bare, PNG).Bytes, run(t, src, c.spelled, PNG).Bytes, c.spelled)
	}
	// Dropped only once the component is checked: these stay refused. (dpr_1.0 in a component of
	// its own is the whole chain's device pixel ratio, as url-gen writes it: accepted, and it
	// changes nothing.)
	for _, in := range []string{"c_scale", "g_center", "c_fill,g_center,x_1,w_5", "c_crop,g_center,x_1", "c_scale,dpr_1.0"} {
		_, err := ParseChain([]string{in})
		assert.Error(t, err, in)
	}
	// g_north_west without x_/y_ is a gravity of its own, kept.
	assert.Equal(t, "c_fill,g_north_west,h_20,w_20", mustChain(t, "c_fill,g_north_west,w_20,h_20").String())
	// t_ must be alone in its component, defaults or not.
	c, err := ParseChain([]string{"t_small,g_center"})
	require.NoError(t, err)
	_, err = c.Expand(map[string]Chain{"small": mustChain(t, "w_10")})
	assert.ErrorContains(t, err, "must be alone in its component")

	// What is dropped does nothing: the steps as written, built by hand with the defaults spelled
	// out, give the pixels of the bare forms.
	px := func(n int) Dim { return Dim{Px: n} }
	for _, c := range []struct {
		spelled Step
		bare    string
	}{
		{Step{Crop: CropScale, Width: px(30)}, "w_30"},
		{Step{Crop: CropFill, Gravity: GravityCenter, Width: px(20), Height: px(20)}, "c_fill,h_20,w_20"},
		{Step{Crop: CropPad, Gravity: GravityCenter, Width: px(20), Height: px(20)}, "c_pad,h_20,w_20"},
		{Step{Crop: CropFit, Gravity: GravityCenter, Width: px(20), Height: px(20)}, "c_fit,h_20,w_20"},
		{Step{Crop: CropCrop, Gravity: GravityNorthWest, Width: px(10), X: 5, Y: 5, HasX: true, HasY: true}, "c_crop,w_10,x_5,y_5"},
		{Step{DPR: 1, Width: px(30)}, "w_30"},
		{Step{Crop: CropThumb, Gravity: GravityFace, Zoom: 1, Width: px(20), Height: px(20)}, "c_thumb,g_face,h_20,w_20"},
	} {
		out, err := Transform(context.Background(), src, Chain{Steps: []Step{c.spelled}}, PNG, Limits{})
		require.NoError(t, err, c.bare)
		assert.Equal(t, run(t, src, c.bare, PNG).Bytes, out.Bytes, "%s, spelled out", c.bare)
	}
}

func TestParseChainEmpty(t *testing.T) {
	for _, in := range [][]string{nil, {}} {
		c, err := ParseChain(in)
		require.NoError(t, err)
		assert.Empty(t, c.Steps)
		assert.Equal(t, "", c.String())
		assert.Equal(t, FormatOriginal, c.Format())
	}
}

func TestParseChainRejected(t *testing.T) {
	tests := []struct {
		in    string // "/"-separated components
		param string // expected Error.Param
		msg   string // substring of the message
	}{
		// structure
		{"", "", "empty transformation component"},
		{"w_10//h_10", "", "empty transformation component"},
		{"w_10/", "", "empty transformation component"},
		{"c_fill,,w_1", "c_fill,,w_1", "empty parameter"},
		{",w_1", ",w_1", "empty parameter"},
		{"w_1,", "w_1,", "empty parameter"},
		{"fill", "fill", "key_value"},
		{"w_", "w_", "missing value"},
		{"_10", "_10", "unknown parameter"},
		{"foo_1", "foo_1", `unknown parameter "foo"`},
		{"W_10", "W_10", "unknown parameter"},
		{"w_10,w_20", "w_20", "given twice"},
		{"c_fill,w_10,h_10,c_fit", "c_fit", "given twice"},
		// w_ / h_
		{"w_abc", "w_abc", "width must be a positive integer or a fraction in (0,1]"},
		{"w_0", "w_0", "width must be a positive integer"},
		{"w_-3", "w_-3", "width must be"},
		{"w_+5", "w_+5", "width must be"},
		{"w_05", "w_05", "leading zeros"},
		{"w_1.5", "w_1.5", "(0,1]"},
		{"w_0.0", "w_0.0", "(0,1]"},
		{"w_00.5", "w_00.5", "width must be"},
		{"w_.5", "w_.5", "width must be"},
		{"w_5.", "w_5.", "width must be"},
		{"w_1e3", "w_1e3", "width must be"},
		{"w_NaN", "w_NaN", "width must be"},
		{"w_Inf", "w_Inf", "width must be"},
		{"w_100001", "w_100001", "at most 100000"},
		{"w_99999999999999999999", "w_99999999999999999999", "at most 100000"},
		{"h_iw", "h_iw", "height must be"},
		{"w_10 ", "w_10 ", "width must be"},
		// c_, g_
		{"c_fil,w_10", "c_fil", "unknown crop mode"},
		{"c_Fill,w_10", "c_Fill", "unknown crop mode"},
		{"c_fill,g_up,w_10", "g_up", "unknown gravity"},
		{"c_fill,g_auto:subject,w_10", "g_auto:subject", "unknown gravity"},
		{"c_fill,g_xy_center,w_10", "g_xy_center", "unknown gravity"},
		{"c_fil_pad,w_10", "c_fil_pad", "unknown crop mode"},
		// x_, y_
		{"c_crop,x_-1,w_1", "x_-1", "whole number"},
		{"c_crop,y_1.5,w_1", "y_1.5", "whole number"},
		{"c_crop,x_100001,w_1", "x_100001", "whole number"},
		// ar_, z_, dpr_
		{"ar_0:1,c_crop", "ar_0:1", "aspect ratio"},
		{"ar_1:0,c_crop", "ar_1:0", "aspect ratio"},
		{"ar_16:9:1,c_crop", "ar_16:9:1", "aspect ratio"},
		{"ar_-1,c_crop", "ar_-1", "aspect ratio"},
		{"ar_0,c_crop", "ar_0", "aspect ratio"},
		{"ar_10001,c_crop", "ar_10001", "aspect ratio"},
		{"ar_0.00001,c_crop", "ar_0.00001", "aspect ratio"},
		{"ar_1:,c_crop", "ar_1:", "aspect ratio"},
		{"c_crop,g_face,z_0,w_10", "z_0", "zoom"},
		{"c_crop,g_face,z_101,w_10", "z_101", "zoom"},
		{"w_10,dpr_0.5", "dpr_0.5", "1.0 to 4.0"},
		{"w_10,dpr_automatic", "dpr_automatic", "1.0 to 4.0"},
		{"w_10,dpr_5", "dpr_5", "1.0 to 4.0"},
		// q_, f_
		{"q_0", "q_0", "quality"},
		{"q_101", "q_101", "quality"},
		{"q_auto:fine", "q_auto:fine", "quality"},
		{"q_auto:", "q_auto:", "quality"},
		{"q_auto:Good", "q_auto:Good", "quality"},
		{"q_080", "q_080", "quality"},
		{"f_heic", "f_heic", "unknown format"},
		{"f_JPG", "f_JPG", "unknown format"},
		// r_, b_, bo_, a_, e_, d_, t_
		{"r_abc", "r_abc", "radius"},
		{"r_1:2:3:4:5", "r_1:2:3:4:5", "radius"},
		{"r_1:", "r_1:", "radius"},
		{"r_-1", "r_-1", "radius"},
		{"b_rgb:12345", "b_rgb:12345", "colour"},
		{"b_rgb:gg0000", "b_rgb:gg0000", "colour"},
		{"b_#ff0000", "b_#ff0000", "colour"},
		{"b_White", "b_White", "colour"},
		{"b_auto", "b_auto", "colour"},
		{"bo_4px_solid", "bo_4px_solid", "border"},
		{"bo_0px_solid_red", "bo_0px_solid_red", "border"},
		{"bo_4px_dashed_red", "bo_4px_dashed_red", "border"},
		{"bo_4px_solid_nocolour", "bo_4px_solid_nocolour", "border"},
		{"e_oil_paint", "e_oil_paint", "unknown effect"},
		{"e_grayscale:5", "e_grayscale:5", "takes no value"},
		{"e_negate:1", "e_negate:1", "takes no value"},
		{"e_brightness:101", "e_brightness:101", "from -99 to 100"},
		{"e_brightness:-100", "e_brightness:-100", "from -99 to 100"},
		{"e_contrast:101", "e_contrast:101", "from -100 to 100"},
		{"e_saturation:-0", "e_saturation:-0", "from -100 to 100"},
		{"e_sepia:0", "e_sepia:0", "from 1 to 100"},
		{"e_blur:2001", "e_blur:2001", "from 1 to 2000"},
		{"e_pixelate:201", "e_pixelate:201", "from 1 to 200"},
		{"e_sharpen:x", "e_sharpen:x", "from 1 to 2000"},
		{"t_" + strings.Repeat("x", 129), "t_" + strings.Repeat("x", 129), "named transformation"},
		// rules across parameters of one component
		{"c_fill", "c_fill", "needs w_, h_ or ar_"},
		{"c_crop", "c_crop", "needs w_, h_ or ar_"},
		{"c_fill,g_north", "c_fill", "needs w_, h_ or ar_"},
		{"c_fill,ar_1:1,w_10,h_10", "ar_1:1", "both w_ and h_"},
		{"c_fit,ar_1:1", "ar_1:1", "ar_ alone"},
		{"c_limit,ar_1.5", "ar_1.5", "ar_ alone"},
		{"c_fill,ar_1:1,dpr_2", "dpr_2", "add w_ or h_"},
		{"x_10,w_10", "x_10", "need c_crop"},
		{"c_fill,w_10,y_10", "y_10", "need c_crop"},
		{"c_crop,g_east,x_10,w_10", "g_east", "cannot be combined with x_/y_"},
		{"g_north", "g_north", "no effect with c_scale"},
		{"g_north,w_10", "g_north", "no effect with c_scale"},
		{"c_fit,g_north,w_10", "g_north", "no effect with c_fit"},
		{"c_limit,g_south,w_10", "g_south", "no effect with c_limit"},
		{"g_center", "g_center", "every parameter in it has its default value"},
		{"c_crop,g_center,x_1", "g_center", "cannot be combined with x_/y_"},
		{"c_pad,g_face,w_10", "g_face", "applies to c_crop"},
		{"c_scale,g_auto,w_10", "g_auto", "applies to c_crop"},
		{"c_fill,z_1.5,w_10", "z_1.5", "c_crop and c_thumb"},
		{"c_thumb,w_10,h_10,z_0.5", "z_0.5", "needs g_face, g_faces or g_auto"},
		{"c_thumb,g_north,w_10,h_10,z_0.5", "z_0.5", "needs g_face, g_faces or g_auto"},
		{"c_crop,g_face,w_10,z_2", "z_2", "cannot be combined with w_ or h_"},
		{"c_crop,g_faces,h_10,ar_1:1,z_2", "z_2", "cannot be combined with w_ or h_"},
		{"c_thumb,g_face", "c_thumb", "needs w_, h_ or ar_"},
		{"c_fill,g_auto", "c_fill", "needs w_, h_ or ar_"},
		{"c_crop,g_face,x_10,w_10", "g_face", "cannot be combined with x_/y_"},
		{"c_lpad,g_faces,w_10", "g_faces", "applies to c_crop"},
		// the first bad component is reported, even after a good one
		{"w_10/c_fil,w_10", "c_fil", "unknown crop mode"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseChain(strings.Split(tt.in, "/"))
			e := requireKind(t, err, KindBadParam, tt.param)
			assert.Contains(t, e.Msg, tt.msg)
			assert.Empty(t, c.Steps)
			if tt.param != "" {
				assert.True(t, strings.HasPrefix(e.Error(), tt.param+": "), e.Error())
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	_, err := ParseChain([]string{"w_abc"})
	require.EqualError(t, err, "w_abc: width must be a positive integer or a fraction in (0,1]")
	assert.Equal(t, "bad parameter", KindBadParam.String())
	assert.Equal(t, "message", (&Error{Kind: KindBadSource, Msg: "message"}).Error())
}

func TestParseChainDefaultsNamedAuto(t *testing.T) {
	tests := []struct{ in, canonical string }{
		{"d_identicon", "d_identicon"},
		{"t_avatar_small", "t_avatar_small"},
		{"f_auto", "f_auto"},
		{"w_10,c_fill,g_face/f_auto", "c_fill,g_face,w_10/f_auto"},
		{"w_10,d_identicon/r_max", "d_identicon,w_10/r_max"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseChain(strings.Split(tt.in, "/"))
			require.NoError(t, err)
			assert.Equal(t, tt.canonical, c.String())
		})
	}
	_, err := ParseChain([]string{"t_x", "w_abc"})
	requireKind(t, err, KindBadParam, "w_abc")
}

func TestChainFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
	}{
		{"w_10", FormatOriginal},
		{"f_png", PNG},
		{"f_png/w_10", PNG},
		{"f_png/f_webp", WebP},
		{"f_jpeg,w_10/f_gif", GIF},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, mustChain(t, tt.in).Format(), tt.in)
	}
	c, err := ParseChain([]string{"f_png", "f_auto"})
	require.NoError(t, err)
	assert.Equal(t, FormatOriginal, c.Format(), "f_auto last: decided by the request")
	assert.True(t, c.FormatAuto())
	c, err = ParseChain([]string{"f_auto", "f_png"})
	require.NoError(t, err)
	assert.Equal(t, PNG, c.Format())
	assert.False(t, c.FormatAuto())
}

func TestParseFormat(t *testing.T) {
	for s, want := range map[string]Format{"jpg": JPEG, "jpeg": JPEG, "png": PNG, "gif": GIF, "webp": WebP, "avif": AVIF} {
		f, err := ParseFormat(s)
		require.NoError(t, err)
		assert.Equal(t, want, f)
	}
	for _, s := range []string{"", "JPG", "AVIF", "heic", "bmp", "auto", ".jpg"} {
		_, err := ParseFormat(s)
		requireKind(t, err, KindBadParam, s)
	}
	assert.Equal(t, "", FormatOriginal.String())
	assert.Equal(t, "jpg", JPEG.String())
	assert.Equal(t, "webp", WebP.String())
	assert.Equal(t, "image/jpeg", JPEG.ContentType())
	assert.Equal(t, "image/png", PNG.ContentType())
	assert.Equal(t, "image/gif", GIF.ContentType())
	assert.Equal(t, "image/webp", WebP.ContentType())
	assert.Equal(t, "", FormatOriginal.ContentType())
}

func TestChainCheck(t *testing.T) {
	ok := []string{"w_2048", "h_1024,dpr_2.0", "w_0.9,dpr_4", "c_fill,w_2048,h_2048", "ar_1:2,w_1024", "c_crop,x_100000,w_10"}
	for _, s := range ok {
		assert.NoError(t, mustChain(t, s).Check(Limits{}), s)
	}
	tests := []struct {
		in    string
		lim   Limits
		param string
	}{
		{"w_2049", Limits{}, "w_2049"},
		{"c_limit,w_3000", Limits{}, "w_3000"},
		{"c_crop,w_3000", Limits{}, "w_3000"},
		{"w_100,h_1025,dpr_2", Limits{}, "h_1025"},
		{"w_1500,dpr_1.5", Limits{}, "w_1500"},
		{"c_fill,w_2000,ar_1:2", Limits{}, "ar_1:2"},
		{"c_fill,h_1000,ar_2.5", Limits{}, "ar_2.5"},
		{"w_10/w_101", Limits{MaxOutputSide: 100}, "w_101"},
	}
	for _, tt := range tests {
		err := mustChain(t, tt.in).Check(tt.lim)
		requireKind(t, err, KindBadParam, tt.param)
		assert.Contains(t, err.Error(), "output limit", tt.in)
	}
	// a border wider than the output limit allows
	requireKind(t, mustChain(t, "bo_1024px_solid_red").Check(Limits{}), KindBadParam, "bo_1024px_solid_red")

	// hand-built chains are re-checked
	bad := []Step{
		{Width: Dim{Px: -1}},
		{Width: Dim{Frac: 1.5}},
		{DPR: 9, Width: Dim{Px: 1}},
		{Crop: CropFill},
		{Crop: CropMode(99), Width: Dim{Px: 1}},
		{Quality: 101},
		{X: 5, Crop: CropCrop, Width: Dim{Px: 1}},
		{AspectRatio: AspectRatio{W: 1}, Crop: CropCrop},
	}
	for _, s := range bad {
		err := Chain{Steps: []Step{s}}.Check(Limits{})
		var e *Error
		require.True(t, errors.As(err, &e), "%+v", s)
		assert.Equal(t, KindBadParam, e.Kind)
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	assert.Equal(t, Limits{2048, 16 << 20, 50_000_000, 10, 128 << 20, time.Second}, Limits{}.WithDefaults())
	assert.Equal(t, Limits{100, 16 << 20, 7, 3, 5, time.Millisecond},
		Limits{MaxOutputSide: 100, MaxSourceBytes: -1, MaxSourcePixels: 7, MaxComponents: 3, MaxWorkBytes: 5, MaxCPU: time.Millisecond}.WithDefaults())
}

func TestCheckBoundsTheComponents(t *testing.T) {
	ten := strings.TrimSuffix(strings.Repeat("w_100/", 10), "/")
	require.NoError(t, mustChain(t, ten).Check(Limits{}))
	err := mustChain(t, ten+"/e_grayscale").Check(Limits{})
	e := requireKind(t, err, KindBadParam, "e_grayscale")
	assert.Contains(t, e.Msg, "at most 10 components")
	requireKind(t, mustChain(t, "w_10/w_20/w_30").Check(Limits{MaxComponents: 2}), KindBadParam, "w_30")
}
