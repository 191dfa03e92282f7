package imageops

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What Cloudinary's SDKs write reads as one canonical form per meaning, and that form reads back
// to the same chain.
func TestParseChainCloudinaryForms(t *testing.T) {
	tests := []struct{ in, canonical string }{
		// a component of dpr_ alone applies to the chain (url-gen writes it so)
		{"c_fill,h_100,w_100/dpr_2.0", "c_fill,dpr_2.0,h_100,w_100"},
		{"dpr_2.0/c_fill,h_100,w_100", "c_fill,dpr_2.0,h_100,w_100"},
		{"c_fill,dpr_2,h_100,w_100", "c_fill,dpr_2.0,h_100,w_100"}, // the Node SDK's spelling
		{"c_fill,h_100,w_100/r_max/dpr_2.0", "c_fill,dpr_2.0,h_100,w_100/r_max"},
		{"w_100/c_crop,h_10,w_10,dpr_1.5/dpr_3.0", "dpr_3.0,w_100/c_crop,dpr_1.5,h_10,w_10"},
		{"r_max/dpr_2.0", "r_max/dpr_2.0,w_1.0"},
		{"c_fill,h_100,w_100/dpr_1.0", "c_fill,h_100,w_100"},
		{"ar_1.0,c_fill,w_auto/dpr_auto", "ar_1.0,c_fill,dpr_auto,w_auto"},
		{"dpr_auto", "dpr_auto,w_1.0"},
		// w_auto
		{"c_limit,w_auto", "c_limit,w_auto"},
		{"w_auto:100", "w_auto"},
		{"w_auto:50", "w_auto:50"},
		{"w_auto:100:400", "w_auto:100:400"},
		// flags
		{"fl_progressive", ""},
		{"fl_progressive:steep/w_10", "w_10"},
		{"c_fill,fl_progressive.strip_profile,h_10,w_10", "c_fill,h_10,w_10"},
		{"fl_lossy", "fl_lossy"},
		{"fl_progressive.lossy", "fl_lossy"},
		{"fl_progressive/fl_lossy", "fl_lossy"},
		{"fl_png8.keep_iptc", "fl_png8"},
		{"fl_attachment:me.immutable_cache", "fl_attachment:me.immutable_cache"},
		{"fl_immutable_cache.attachment", "fl_attachment.immutable_cache"},
		{"fl_ignore_aspect_ratio,w_10", "fl_ignore_aspect_ratio,w_10"},
		{"fl_ignore_aspect_ratio,h_10,w_10", "h_10,w_10"},
		{"fl_ignore_aspect_ratio", ""},
		// d_ with the extension the SDKs write
		{"d_avatar.png", "d_avatar"},
		{"c_scale,d_avatar.png,w_100", "d_avatar,w_100"},
		// t_ lists
		{"t_a.b", "t_a.b"},
		// crop modes
		{"c_auto,h_100,w_100", "c_fill,g_auto,h_100,w_100"},
		{"c_auto,g_north,h_100,w_100", "c_fill,g_north,h_100,w_100"},
		{"c_auto,g_center,h_100,w_100", "c_fill,h_100,w_100"},
		{"c_fill_pad,h_100,w_100", "c_fill_pad,g_auto,h_100,w_100"},
		{"b_auto,c_fill_pad,g_auto,h_100,w_100", "b_auto,c_fill_pad,g_auto,h_100,w_100"},
		{"b_auto:border,c_pad,h_10,w_10", "b_auto,c_pad,h_10,w_10"},
		{"b_auto:predominant_contrast,c_pad,h_10,w_10", "b_auto:predominant_contrast,c_pad,h_10,w_10"},
		{"b_auto:border:palette_red_rgb:00FF00,c_pad,h_10,w_10", "b_auto:border:palette_red_rgb:00ff00,c_pad,h_10,w_10"},
		// angles
		{"a_-20", "a_340"},
		{"a_-90", "a_270"},
		{"a_450", "a_90"},
		{"a_45", "a_45"},
		{"a_0", ""},
		{"a_360/w_10", "w_10"},
		{"a_exif", ""},
		{"a_90.80", "a_170"},
		{"a_45.5", "a_50"}, // a list, as the SDKs join angles: not 45.5 degrees
		{"a_90.hflip", "a_hflip.270"},
		{"a_hflip.90", "a_hflip.90"},
		{"a_hflip.hflip", ""},
		{"a_hflip.180", "a_vflip"},
		{"a_vflip.hflip", "a_180"},
		{"a_hflip.45", "a_hflip.45"},
		{"a_auto_right.hflip", "a_hflip"}, // no box asked for: nothing to turn to
		{"a_auto_right,c_fill,h_10,w_20", "a_auto_right,c_fill,h_10,w_20"},
		{"a_auto_left.hflip,h_10,w_20", "a_auto_left.hflip,h_10,w_20"},
		{"a_ignore", "a_ignore"},
		{"a_auto_right", ""},
		// effects
		{"e_vibrance", "e_vibrance"},
		{"e_vibrance:20", "e_vibrance"},
		{"e_vibrance:-30", "e_vibrance:-30"},
		{"e_unsharp_mask:100", "e_unsharp_mask"},
		{"e_unsharp_mask:300", "e_unsharp_mask:300"},
		{"e_vignette:0", "e_vignette:0"},
		{"e_blackwhite", "e_blackwhite"},
		{"e_blackwhite:50", "e_blackwhite"},
		{"e_improve", "e_improve"},
		{"e_improve:outdoor", "e_improve"},
		{"e_improve:outdoor:100", "e_improve"},
		{"e_improve:indoor:50", "e_improve:indoor:50"},
		{"e_improve:50", "e_improve:50"},
		{"e_auto_brightness:100", "e_auto_brightness"},
		{"e_auto_contrast:40", "e_auto_contrast:40"},
		{"e_auto_color", "e_auto_color"},
		{"co_rgb:ff0000,e_colorize:40", "co_rgb:ff0000,e_colorize:40"},
		{"co_gray,e_colorize", "e_colorize"},
		{"co_rgb:808080,e_colorize:100", "e_colorize"},
		{"e_tint", "e_tint"},
		{"e_tint:60:red", "e_tint"},
		{"e_tint:100:red:blue:yellow", "e_tint:100:red:blue:yellow"},
		{"e_tint:equalize:80:red:20p:rgb:0000FF:80p", "e_tint:equalize:80:red:20p:rgb:0000ff:80p"},
		{"e_tint:blue", "e_tint:60:blue"},
		{"co_red,e_outline:outer:4", "co_red,e_outline:outer:4"},
		{"e_outline:5:0", "e_outline"},
		{"e_outline:inner:5:5", "e_outline:inner:5:5"},
		{"co_black,e_outline:fill:10:25", "e_outline:fill:10:25"},
		{"e_shadow:50,x_5,y_5", "e_shadow:50,x_5,y_5"},
		{"e_shadow:40,x_8,y_8", "e_shadow"},
		{"e_shadow,x_-15,y_15", "e_shadow,x_-15,y_15"},
		{"co_grey,e_shadow", "e_shadow"},
		{"e_trim", "e_trim"},
		{"e_trim::", "e_trim"},
		{"e_trim:10", "e_trim"},
		{"e_trim:20", "e_trim:20"},
		{"e_trim::white", "e_trim:10:white"},
		{"e_trim:50:rgb:FFFFFF", "e_trim:50:rgb:ffffff"},
		// more than one of the above
		{"c_fill,g_face,h_100,w_100/r_max/fl_progressive/dpr_2.0", "c_fill,dpr_2.0,g_face,h_100,w_100/r_max"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseChain(strings.Split(tt.in, "/"))
			require.NoError(t, err)
			assert.Equal(t, tt.canonical, c.String())
			if tt.canonical == "" {
				assert.Empty(t, c.Steps)
				return
			}
			again, err := ParseChain(strings.Split(c.String(), "/"))
			require.NoError(t, err)
			assert.Equal(t, c, again, "canonical form reads back to the same chain")
			require.NoError(t, c.Check(Limits{}))
		})
	}
}

func TestParseChainCloudinaryRejected(t *testing.T) {
	tests := []struct {
		in, param, msg string
	}{
		{"e_background_removal", "e_background_removal", "needs an AI service (background removal), which avatarkit does not run"},
		{"e_gen_remove:prompt_hat", "e_gen_remove:prompt_hat", "AI service"},
		{"e_upscale", "e_upscale", "AI service"},
		{"e_cartoonify:50", "e_cartoonify:50", "AI service"},
		{"b_gen_fill,c_pad,w_10", "b_gen_fill", "AI service"},
		{"c_auto_pad,w_10", "c_auto_pad", "AI service"},
		{"fl_getinfo", "fl_getinfo", "not supported"},
		{"fl_splice", "fl_splice", "video"},
		{"fl_nonsense", "fl_nonsense", "unknown flag"},
		{"fl_lossy.lossy", "fl_lossy.lossy", "twice"},
		{"fl_png8.png24", "fl_png8.png24", "two different"},
		{"fl_progressive:fast", "fl_progressive:fast", "semi, steep or none"},
		{"fl_lossy:1", "fl_lossy:1", "takes no value"},
		{"fl_", "fl_", "missing value"},
		{"fl_lossy..png8", "fl_lossy..png8", "empty flag"},
		{"a_3601", "a_3601", "angle"},
		{"a_auto_right.auto_left,w_1,h_2", "a_auto_right.auto_left", "once"},
		{"a_up", "a_up", "angle"},
		{"b_auto", "b_auto", "needs c_pad"},
		{"b_auto:border_gradient,c_pad,w_1", "b_auto:border_gradient", "gradient"},
		{"b_auto:sideways,c_pad,w_1", "b_auto:sideways", "border, predominant"},
		{"b_auto:border:red,c_pad,w_1", "b_auto:border:red", "palette"},
		{"c_fill_pad,g_north,w_10,h_10", "g_north", "g_auto"},
		{"co_red", "co_red", "e_colorize"},
		{"co_red,e_blur", "co_red", "e_colorize"},
		{"co_nocolour,e_colorize", "co_nocolour", "colour"},
		{"e_vibrance:101", "e_vibrance:101", "from -100 to 100"},
		{"e_vignette:-1", "e_vignette:-1", "from 0 to 100"},
		{"e_unsharp_mask:0", "e_unsharp_mask:0", "from 1 to 2000"},
		{"e_improve:sideways", "e_improve:sideways", "indoor or outdoor"},
		{"e_improve:indoor:50:1", "e_improve:indoor:50:1", "indoor or outdoor"},
		{"e_outline:sideways", "e_outline:sideways", "e_outline takes"},
		{"e_outline:0", "e_outline:0", "e_outline takes"},
		{"e_outline:5:2001", "e_outline:5:2001", "e_outline takes"},
		{"e_tint:101", "e_tint:101", "e_tint takes"},
		{"e_tint:red:101p", "e_tint:red:101p", "e_tint takes"},
		{"e_tint:" + strings.Repeat("red:", 10) + "red", "e_tint:" + strings.Repeat("red:", 10) + "red", "e_tint takes"},
		{"e_trim:101", "e_trim:101", "e_trim takes"},
		{"e_trim:5:nocolour", "e_trim:5:nocolour", "e_trim takes"},
		{"c_crop,e_shadow,w_10,x_1", "x_1", "e_shadow in a component of its own"},
		{"c_crop,w_10,x_-1", "x_-1", "whole number"},
		{"x_-1,w_10", "x_-1", "whole number"},
		{"dpr_2.0,dpr_3.0", "dpr_3.0", "given twice"},
		{"dpr_auto,r_max", "dpr_auto", "add w_ or h_"},
		{"w_auto:0", "w_auto:0", "w_auto takes"},
		{"w_auto:breakpoints", "w_auto:breakpoints", "breakpoints is not supported"},
		{"w_auto:100:400:5", "w_auto:100:400:5", "w_auto takes"},
		{"w_autox", "w_autox", "w_auto takes"},
		{"h_auto", "h_auto", "height must be"},
		{"d_avatar.PNG", "d_avatar.PNG", "default image name"},
		{"d_.png", "d_.png", "default image name"},
		{"t_a..b", "t_a..b", "named transformation"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseChain(strings.Split(tt.in, "/"))
			e := requireKind(t, err, KindBadParam, tt.param)
			assert.Contains(t, e.Msg, tt.msg)
			assert.Empty(t, c.Steps)
		})
	}
}

func TestResolveHints(t *testing.T) {
	tests := []struct {
		chain string
		hints Hints
		want  string
	}{
		{"c_fill,w_auto,ar_1.0", Hints{}, "ar_1.0,c_fill,w_1.0"},
		{"c_fill,w_auto,ar_1.0", Hints{Width: 301}, "ar_1.0,c_fill,w_400"},
		{"c_fill,w_auto:50,ar_1.0", Hints{Width: 301}, "ar_1.0,c_fill,w_350"},
		{"c_fill,w_auto:50,ar_1.0", Hints{Width: 300}, "ar_1.0,c_fill,w_300"},
		{"c_fill,w_auto:100:400,ar_1.0", Hints{}, "ar_1.0,c_fill,w_400"},
		{"c_fill,w_auto:100:400,ar_1.0,dpr_2.0", Hints{}, "ar_1.0,c_fill,dpr_2.0,w_400"},
		{"c_limit,w_auto", Hints{Width: 9000}, "c_limit,w_2048"},
		{"c_fill,h_100,w_auto/dpr_auto", Hints{Width: 380, DPR: 2}, "c_fill,h_200,w_400"},
		{"c_fill,h_100,w_auto,dpr_2.0", Hints{Width: 380}, "c_fill,h_200,w_400"},
		{"c_fill,h_100,w_100/dpr_auto", Hints{}, "c_fill,h_100,w_100"},
		{"c_fill,h_100,w_100/dpr_auto", Hints{DPR: 2}, "c_fill,dpr_2.0,h_100,w_100"},
		{"c_fill,h_100,w_100/dpr_auto", Hints{DPR: 2.625}, "c_fill,dpr_3.0,h_100,w_100"},
		{"c_fill,h_100,w_100/dpr_auto", Hints{DPR: 1.25}, "c_fill,dpr_1.5,h_100,w_100"},
		{"c_fill,h_100,w_100/dpr_auto", Hints{DPR: 9}, "c_fill,dpr_4.0,h_100,w_100"},
		{"c_fill,h_100,w_800/dpr_auto", Hints{DPR: 4}, "c_fill,dpr_2.0,h_100,w_800"},
		{"c_fill,h_100,w_2000/dpr_auto", Hints{DPR: 4}, "c_fill,h_100,w_2000"},
		{"w_100/r_max", Hints{DPR: 3, Width: 7}, "w_100/r_max"},
		{"w_auto:100:1500/dpr_auto", Hints{DPR: 2}, "w_1500"},
		{"w_auto:100:800/dpr_auto", Hints{DPR: 3}, "dpr_2.0,w_800"},
	}
	for _, tt := range tests {
		c := mustChain(t, tt.chain)
		got := c.ResolveHints(tt.hints, Limits{})
		assert.Equal(t, tt.want, got.String(), "%s with %+v", tt.chain, tt.hints)
		w, d := got.UsesHints()
		assert.False(t, w || d)
		again := mustChain(t, got.String())
		assert.Equal(t, again, got, "%s: the resolved chain is canonical", tt.chain)
		require.NoError(t, got.Check(Limits{}))
	}
	// An unresolved chain is refused by Transform.
	src := pngBytes(t, quadImage(40, 20))
	_, err := Transform(context.Background(), src, mustChain(t, "w_auto"), PNG, Limits{})
	requireKind(t, err, KindBadParam, "w_auto")
}

// Hints bound the variants one URL makes: the widths of a step and five DPRs.
func TestResolveHintsBounded(t *testing.T) {
	c := mustChain(t, "c_fill,ar_1.0,w_auto:100/dpr_auto")
	seen := map[string]bool{}
	for w := 0; w <= 5000; w += 7 {
		for _, d := range []float64{0, 0.5, 1, 1.1, 1.3, 1.5, 1.75, 2, 2.2, 2.625, 3, 3.5, 4, 8} {
			seen[c.ResolveHints(Hints{Width: w, DPR: d}, Limits{}).String()] = true
		}
	}
	assert.LessOrEqual(t, len(seen), 2048/100+2)
	c = mustChain(t, "c_fill,h_100,w_100/dpr_auto")
	seen = map[string]bool{}
	for d := 0.0; d < 10; d += 0.01 {
		seen[c.ResolveHints(Hints{DPR: d}, Limits{}).String()] = true
	}
	assert.Len(t, seen, 5)
}

func TestTransformCloudinarySizes(t *testing.T) {
	src := pngBytes(t, quadImage(400, 200))
	tests := []struct {
		chain string
		w, h  int
	}{
		{"c_fill,h_100,w_100/dpr_2.0", 200, 200},
		{"r_max/dpr_2.0", 800, 400},
		{"c_auto,h_50,w_50", 50, 50},
		{"c_fill_pad,h_50,w_50", 50, 50},
		{"b_auto,c_pad,h_100,w_100", 100, 100},
		{"a_90", 200, 400},
		{"a_45", 425, 425},
		{"a_-20", 445, 325},
		{"a_hflip.90", 200, 400},
		{"a_auto_right,c_fill,h_100,w_50", 50, 100},
		{"a_auto_left,c_scale,h_100,w_50", 50, 100},
		{"a_auto_right,c_scale,h_50,w_100", 100, 50},
		{"fl_ignore_aspect_ratio,w_100", 100, 200},
		{"fl_ignore_aspect_ratio,h_50", 400, 50},
		{"e_shadow", 400 + 8 + 8, 200 + 8 + 8},
		{"e_shadow,x_-15,y_0", 400 + 15 + 8, 200 + 16},
		{"e_outline", 400 + 10, 200 + 10},
		{"e_outline:outer:4:40", 400 + 2*(4+4), 200 + 2*(4+4)},
		{"e_outline:inner", 400, 200},
		{"c_fill,h_100,w_100,r_max,bo_2px_solid_white,e_outline:outer:3", 104 + 6, 104 + 6},
		{"e_vignette/e_improve/e_vibrance:30/co_rgb:ff0000,e_colorize:40", 400, 200},
		{"e_blackwhite/e_tint:100:red:blue/e_unsharp_mask", 400, 200},
		{"e_auto_brightness/e_auto_contrast/e_auto_color/e_tint:equalize:50", 400, 200},
		{"fl_png8", 400, 200},
		{"fl_png24/r_max", 400, 200},
		{"a_ignore", 400, 200},
	}
	for _, tt := range tests {
		out := run(t, src, tt.chain, PNG)
		assert.Equal(t, [2]int{tt.w, tt.h}, [2]int{out.Width, out.Height}, tt.chain)
		decodeAny(t, out)
	}
}

// A free rotation enlarges the canvas, and the planner knows it before decoding: the output
// limit refuses it up front.
func TestFreeRotationPlannedUpFront(t *testing.T) {
	c := mustChain(t, "w_1500/a_45")
	plans, err := planChain(c, 3000, 3000, Limits{}.WithDefaults(), nil)
	require.Error(t, err)
	assert.Nil(t, plans)
	requireKind(t, err, KindOutputLimit, "a_45")
	plans, err = planChain(mustChain(t, "w_1000/a_45"), 3000, 3000, Limits{}.WithDefaults(), nil)
	require.NoError(t, err)
	assert.Equal(t, image.Pt(1415, 1415), plans[len(plans)-1].size())
}

func TestRotationFillsWithBackground(t *testing.T) {
	src := pngBytes(t, quadImage(40, 40))
	out := run(t, src, "a_45", PNG)
	img := decodeAny(t, out)
	requireColor(t, img, 0, 0, color.NRGBA{}, 0, "corner of a free rotation is transparent")
	out = run(t, src, "a_45,b_black", JPEG)
	img = decodeAny(t, out)
	requireColor(t, img, 0, 0, color.NRGBA{0, 0, 0, 255}, 8, "corner filled with b_")
	out = run(t, src, "a_45", JPEG)
	img = decodeAny(t, out)
	requireColor(t, img, 0, 0, color.NRGBA{255, 255, 255, 255}, 8, "JPEG flattens the transparent corner on white")
	// The centre of a quarter turn's quadrants: red top-left goes top-right.
	out = run(t, src, "a_90", PNG)
	requireColor(t, decodeAny(t, out), 30, 10, qRed, 0, "a_90")
	out = run(t, src, "a_hflip.90", PNG)
	requireColor(t, decodeAny(t, out), 30, 30, qRed, 0, "a_hflip.90: red goes top-right, then bottom-right")
}

func TestTrim(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 60, 40))
	fillRGBA(m, color.RGBA{255, 255, 255, 255})
	for y := 10; y < 25; y++ {
		for x := 5; x < 50; x++ {
			m.SetRGBA(x, y, color.RGBA{200, 0, 0, 255})
		}
	}
	src := pngBytes(t, m)
	out := run(t, src, "e_trim", PNG)
	assert.Equal(t, [2]int{45, 15}, [2]int{out.Width, out.Height})
	// What follows a trim is planned from the trimmed size.
	out = run(t, src, "e_trim/w_0.5", PNG)
	assert.Equal(t, [2]int{23, 8}, [2]int{out.Width, out.Height})
	out = run(t, src, "e_trim,w_90", PNG)
	assert.Equal(t, [2]int{90, 30}, [2]int{out.Width, out.Height})
	// A colour override that is not the edges' trims nothing.
	out = run(t, src, "e_trim:10:black", PNG)
	assert.Equal(t, [2]int{60, 40}, [2]int{out.Width, out.Height})
	// All edge: kept as it is.
	blank := image.NewRGBA(image.Rect(0, 0, 8, 8))
	out = run(t, pngBytes(t, blank), "e_trim", PNG)
	assert.Equal(t, [2]int{8, 8}, [2]int{out.Width, out.Height})
}

func TestBackgroundAuto(t *testing.T) {
	// A picture with a blue frame: b_auto pads with blue, its contrast with yellow.
	m := image.NewRGBA(image.Rect(0, 0, 40, 40))
	fillRGBA(m, color.RGBA{0, 0, 255, 255})
	for y := 10; y < 30; y++ {
		for x := 10; x < 30; x++ {
			m.SetRGBA(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	src := pngBytes(t, m)
	img := decodeAny(t, run(t, src, "b_auto,c_pad,h_40,w_80", PNG))
	requireColor(t, img, 2, 20, color.NRGBA{0, 0, 255, 255}, 0, "b_auto: the border's colour")
	img = decodeAny(t, run(t, src, "b_auto:border_contrast,c_pad,h_40,w_80", PNG))
	requireColor(t, img, 2, 20, color.NRGBA{255, 255, 0, 255}, 0, "b_auto:border_contrast")
	img = decodeAny(t, run(t, src, "b_auto:border:palette_black_navy,c_pad,h_40,w_80", PNG))
	requireColor(t, img, 2, 20, color.NRGBA{0, 0, 0x80, 255}, 0, "b_auto with a palette")
}

func TestEffectsKeepTransparency(t *testing.T) {
	src := pngBytes(t, quadImage(40, 40))
	for _, e := range []string{"e_vibrance", "e_unsharp_mask", "e_vignette", "e_blackwhite", "e_improve", "e_improve:indoor",
		"e_auto_brightness", "e_auto_contrast", "e_auto_color", "e_tint", "e_colorize", "e_outline:inner", "e_trim"} {
		out := run(t, src, "r_max/"+e, PNG)
		img := decodeAny(t, out)
		requireColor(t, img, 0, 0, color.NRGBA{}, 0, e+": the rounded corner stays transparent")
	}
}

func TestEffectsDoSomething(t *testing.T) {
	photo := pngBytes(t, gradientImage(64, 64))
	plain := decodeAny(t, run(t, photo, "w_64", PNG))
	for _, e := range []string{"e_vibrance:80", "e_unsharp_mask:500", "e_vignette:80", "e_blackwhite", "e_improve",
		"e_auto_brightness", "e_auto_contrast", "e_auto_color", "e_tint", "e_tint:equalize:100:red:blue",
		"e_colorize:50", "co_red,e_colorize"} {
		img := decodeAny(t, run(t, photo, e, PNG))
		diff := 0
		for y := range 64 {
			for x := range 64 {
				if !near(nrgbaAt(img, x, y), nrgbaAt(plain, x, y), 2) {
					diff++
				}
			}
		}
		assert.Greater(t, diff, 64*64/20, "%s changes the picture", e)
		t.Logf("%s changes %d pixels", e, diff)
	}
	bw := decodeAny(t, run(t, photo, "e_blackwhite", PNG))
	for y := range 64 {
		for x := range 64 {
			c := nrgbaAt(bw, x, y)
			require.True(t, (c.R == 0 || c.R == 255) && c.R == c.G && c.G == c.B, "e_blackwhite gives black or white: %v", c)
		}
	}
}

// gradientImage is a dull picture: low contrast, low saturation, with a fine checker pattern
// for the sharpening to find.
func gradientImage(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			d := uint8((x/2 + y/2) % 2 * 12)
			m.SetNRGBA(x, y, color.NRGBA{uint8(90+x*60/w) + d, uint8(80+y*50/h) + d, uint8(100+(x+y)*20/(w+h)) + d, 255})
		}
	}
	return m
}

func TestOutlineDraws(t *testing.T) {
	src := pngBytes(t, quadImage(40, 40))
	img := decodeAny(t, run(t, src, "r_max/co_rgb:00ffff,e_outline:outer:3", PNG))
	// 3 px outside the circle, at the middle of the top edge.
	requireColor(t, img, 23, 1, color.NRGBA{0, 255, 255, 255}, 0, "the outline above the circle")
	requireColor(t, img, 0, 0, color.NRGBA{}, 0, "the corner stays transparent")
	img = decodeAny(t, run(t, src, "co_rgb:00ffff,e_outline:inner:2", PNG))
	requireColor(t, img, 0, 20, color.NRGBA{0, 255, 255, 255}, 0, "inner outline along the edge")
	requireColor(t, img, 10, 10, qRed, 0, "inside it, the picture")
}

func TestShadowDraws(t *testing.T) {
	src := pngBytes(t, quadImage(40, 40))
	img := decodeAny(t, run(t, src, "co_black,e_shadow:100,x_10,y_10", PNG))
	assert.Equal(t, image.Rect(0, 0, 58, 58), img.Bounds(), "the canvas grows right and down by the offset and the blur's margin")
	requireColor(t, img, 8, 8, qRed, 0, "the picture is at the top-left corner")
	got := nrgbaAt(img, 45, 45)
	assert.Greater(t, got.A, uint8(100), "the shadow below right: %v", got)
	assert.Less(t, got.R, uint8(20))
}

// a_ignore takes the source as stored: the EXIF orientation that turns it upright is undone.
func TestIgnoreEXIF(t *testing.T) {
	stored := jpegBytes(t, quadImage(40, 20), 95)
	for o := 1; o <= 8; o++ {
		src := withOrientation(stored, o)
		out := run(t, src, "a_ignore", PNG)
		assert.Equal(t, [2]int{40, 20}, [2]int{out.Width, out.Height}, "orientation %d", o)
		img := decodeAny(t, out)
		requireColor(t, img, 5, 5, qRed, 40, "the stored top-left quadrant")
		requireColor(t, img, 35, 15, qYellow, 40, "the stored bottom-right quadrant")
		// And the components after it work on the stored picture.
		out = run(t, src, "a_ignore/c_crop,g_west,h_20,w_20", PNG)
		requireColor(t, decodeAny(t, out), 5, 15, qBlue, 40, "orientation %d")
	}
}

// Faces are followed through free rotations and automatic turns: focal gravity after them still
// finds the face the analysis saw.
func TestFacesFollowRotations(t *testing.T) {
	a := &Analysis{Width: 400, Height: 200, Faces: []image.Rectangle{image.Rect(300, 50, 360, 110)}}
	for _, tr := range []string{"a_30/c_crop,g_face,h_80,w_80", "a_auto_right,c_fill,h_200,w_100/c_crop,g_face,h_40,w_40", "e_trim/c_crop,g_face,h_80,w_80"} {
		c := mustChain(t, tr)
		plans, err := planChain(c, 400, 200, Limits{}.WithDefaults(), a)
		require.NoError(t, err, tr)
		last := plans[len(plans)-1]
		// The face's centre, mapped through the plans before the last, is inside the last crop.
		cx, cy := last.before.point(330, 80)
		assert.True(t, image.Pt(int(cx), int(cy)).In(last.src), "%s: face at (%.0f,%.0f), crop %v", tr, cx, cy, last.src)
	}
}

// c_fill_pad pads rather than cut off the faces: a 1:1 box of a wide picture whose faces are
// wider than its height takes the square around them, padded above and below.
func TestFillPadKeepsTheFaces(t *testing.T) {
	a := &Analysis{Width: 400, Height: 100, Faces: []image.Rectangle{image.Rect(100, 20, 220, 80), image.Rect(230, 20, 300, 80)}}
	plans, err := planChain(mustChain(t, "c_fill_pad,h_100,w_100"), 400, 100, Limits{}.WithDefaults(), a)
	require.NoError(t, err)
	p := plans[0]
	assert.Equal(t, image.Pt(100, 100), p.canvas)
	assert.Less(t, p.h, 100, "the picture is padded above and below")
	assert.Equal(t, 100, p.w)
	assert.LessOrEqual(t, p.src.Min.X, 100-int(0.3*120), "the faces with their margin are kept")
	assert.GreaterOrEqual(t, p.src.Max.X, 300)
	// A face that fits: plain fill, centred on it.
	a.Faces = a.Faces[:1]
	a.Faces[0] = image.Rect(300, 40, 330, 70)
	plans, err = planChain(mustChain(t, "c_fill_pad,h_100,w_100"), 400, 100, Limits{}.WithDefaults(), a)
	require.NoError(t, err)
	assert.Equal(t, image.Point{}, plans[0].canvas)
	assert.Equal(t, image.Rect(265, 0, 365, 100), plans[0].src)
}
