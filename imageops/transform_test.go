package imageops

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCropModeSizes checks the exact output size of every crop mode, with w only, h only, both,
// upscaling and downscaling, on a landscape and a portrait source.
func TestCropModeSizes(t *testing.T) {
	type tc struct {
		chain string
		w, h  int
	}
	sources := []struct {
		w, h  int
		cases []tc
	}{
		{400, 300, []tc{
			{"", 400, 300},
			{"q_80", 400, 300},
			// scale (default)
			{"w_200", 200, 150},
			{"h_150", 200, 150},
			{"w_200,h_100", 200, 100},
			{"w_800", 800, 600},
			{"h_600,w_100", 100, 600},
			{"w_0.5", 200, 150},
			{"w_0.5,h_0.5", 200, 150},
			{"w_1.0", 400, 300},
			{"h_0.1", 40, 30},
			{"c_scale,w_100,h_100", 100, 100},
			{"c_scale,ar_2.0", 400, 200},
			{"ar_1:2", 400, 800},
			{"c_scale,w_100,ar_1:1", 100, 100},
			// fit
			{"c_fit,w_200,h_200", 200, 150},
			{"c_fit,w_800,h_800", 800, 600},
			{"c_fit,w_200", 200, 150},
			{"c_fit,h_150", 200, 150},
			{"c_fit,w_100,h_1000", 100, 75},
			{"c_fit,w_800,ar_1:1", 800, 600},
			// limit
			{"c_limit,w_200,h_200", 200, 150},
			{"c_limit,w_800,h_800", 400, 300},
			{"c_limit,w_800", 400, 300},
			{"c_limit,h_150", 200, 150},
			{"c_limit,w_500,h_200", 267, 200},
			// mfit
			{"c_mfit,w_200,h_200", 400, 300},
			{"c_mfit,w_800,h_800", 800, 600},
			{"c_mfit,w_800", 800, 600},
			{"c_mfit,h_150", 400, 300},
			{"c_mfit,w_1000,h_450", 600, 450},
			// fill
			{"c_fill,w_200,h_200", 200, 200},
			{"c_fill,w_800,h_100", 800, 100},
			{"c_fill,w_1000,h_1000", 1000, 1000},
			{"c_fill,w_200", 200, 150},
			{"c_fill,h_600", 800, 600},
			{"c_fill,ar_16:9", 400, 225},
			{"c_fill,ar_1:1,w_200", 200, 200},
			{"c_fill,h_100,ar_2.0", 200, 100},
			{"c_fill,w_0.5,h_0.5", 200, 150},
			// lfill
			{"c_lfill,w_200,h_200", 200, 200},
			{"c_lfill,w_800,h_800", 400, 300},
			{"c_lfill,w_600,h_200", 400, 200},
			{"c_lfill,w_200,h_600", 200, 300},
			{"c_lfill,w_800,h_100", 400, 100},
			{"c_lfill,w_100,h_1000", 100, 300},
			{"c_lfill,w_200", 200, 150},
			{"c_lfill,w_800", 400, 300},
			{"c_lfill,ar_1:1", 300, 300},
			// pad
			{"c_pad,w_200,h_200", 200, 200},
			{"c_pad,w_800,h_800", 800, 800},
			{"c_pad,w_200", 200, 150},
			{"c_pad,h_600", 800, 600},
			{"c_pad,ar_1:1", 400, 400},
			{"c_pad,ar_1:2", 400, 800},
			// lpad
			{"c_lpad,w_200,h_200", 200, 200},
			{"c_lpad,w_800,h_800", 800, 800},
			{"c_lpad,w_800", 800, 600},
			{"c_lpad,w_100", 100, 75},
			// mpad
			{"c_mpad,w_200,h_200", 400, 300},
			{"c_mpad,w_800,h_800", 800, 800},
			{"c_mpad,w_800", 800, 600},
			{"c_mpad,w_500,h_200", 400, 300},
			// crop
			{"c_crop,w_100,h_100", 100, 100},
			{"c_crop,w_800,h_100", 400, 100},
			{"c_crop,w_800,h_800", 400, 300},
			{"c_crop,w_200", 200, 150},
			{"c_crop,h_30", 40, 30},
			{"c_crop,x_300,y_200,w_200,h_200", 100, 100},
			{"c_crop,x_100", 300, 300},
			{"c_crop,y_100", 400, 200},
			{"c_crop,x_399,y_299", 1, 1},
			{"c_crop,w_0.5,h_0.5", 200, 150},
			{"c_crop,ar_1:1", 300, 300},
			{"c_crop,ar_1:2", 150, 300},
			{"c_crop,ar_4:1", 400, 100},
			// thumb (fill with compass gravity for now)
			{"c_thumb,w_100,h_100", 100, 100},
			{"c_thumb,w_800,h_800", 800, 800},
			{"c_thumb,g_north,w_100,h_50", 100, 50},
			// dpr
			{"w_100,dpr_2.0", 200, 150},
			{"c_fill,w_100,h_100,dpr_3", 300, 300},
			{"w_0.25,dpr_2", 200, 150},
			{"c_limit,w_300,dpr_2", 400, 300},
			// chains: fractions are relative to the previous result
			{"c_fill,w_200,h_200/c_scale,w_0.5", 100, 100},
			{"w_0.5/w_0.5", 100, 75},
			{"c_crop,w_200,h_200/c_pad,w_300,h_100", 300, 100},
			{"c_fill,w_2048,h_2048/c_fill,w_10,h_20", 10, 20},
		}},
		{300, 400, []tc{
			{"w_150", 150, 200},
			{"h_200", 150, 200},
			{"w_600", 600, 800},
			{"c_scale,ar_1:2", 300, 600},
			{"c_fit,w_200,h_200", 150, 200},
			{"c_fit,w_1000,h_800", 600, 800},
			{"c_limit,w_1000", 300, 400},
			{"c_limit,w_200,h_200", 150, 200},
			{"c_mfit,h_800", 600, 800},
			{"c_mfit,w_100,h_100", 300, 400},
			{"c_fill,w_200,h_200", 200, 200},
			{"c_fill,w_100,h_400", 100, 400},
			{"c_fill,h_200", 150, 200},
			{"c_lfill,w_800,h_800", 300, 400},
			{"c_lfill,w_100,h_100", 100, 100},
			{"c_lfill,h_800", 300, 400},
			{"c_pad,w_200,h_200", 200, 200},
			{"c_pad,ar_1:1", 400, 400},
			{"c_pad,ar_2:1", 800, 400},
			{"c_lpad,w_100,h_100", 100, 100},
			{"c_lpad,w_1000,h_500", 1000, 500},
			{"c_mpad,w_1000,h_500", 1000, 500},
			{"c_mpad,w_100,h_100", 300, 400},
			{"c_crop,w_100", 100, 133},
			{"c_crop,ar_1:1", 300, 300},
			{"c_crop,ar_2:1", 300, 150},
			{"c_crop,w_500,h_500", 300, 400},
			{"c_thumb,w_50,h_50", 50, 50},
		}},
	}
	for _, src := range sources {
		data := pngBytes(t, quadImage(src.w, src.h))
		for _, tt := range src.cases {
			t.Run(fmt.Sprintf("%dx%d/%s", src.w, src.h, tt.chain), func(t *testing.T) {
				out := run(t, data, tt.chain, FormatOriginal)
				assert.Equal(t, PNG, out.Format)
				assert.Equal(t, [2]int{tt.w, tt.h}, [2]int{out.Width, out.Height})
				decodeAny(t, out)
			})
		}
	}
}

// TestGravity checks what each gravity keeps or where it places the image, by the colour of the
// quadrants of a red/green/blue/yellow source.
func TestGravity(t *testing.T) {
	src := pngBytes(t, quadImage(400, 300))
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	black := color.NRGBA{0, 0, 0, 0xff}
	none := color.NRGBA{}
	type probe struct {
		x, y int
		c    color.NRGBA
	}
	tests := []struct {
		chain  string
		ext    Format
		probes []probe
	}{
		{"c_crop,g_north_west,w_100,h_100", PNG, []probe{{0, 0, qRed}, {99, 99, qRed}}},
		{"c_crop,w_100,h_100,x_0,y_0", PNG, []probe{{0, 0, qRed}, {99, 99, qRed}}},
		{"c_crop,g_north_east,w_100,h_100", PNG, []probe{{0, 0, qGreen}, {99, 99, qGreen}}},
		{"c_crop,g_south_west,w_100,h_100", PNG, []probe{{0, 0, qBlue}, {99, 99, qBlue}}},
		{"c_crop,g_south_east,w_100,h_100", PNG, []probe{{0, 0, qYellow}, {99, 99, qYellow}}},
		{"c_crop,x_300,y_200,w_100,h_100", PNG, []probe{{0, 0, qYellow}, {99, 99, qYellow}}},
		{"c_crop,x_150,y_100,w_100,h_100", PNG, []probe{{0, 0, qRed}, {99, 0, qGreen}, {0, 99, qBlue}, {99, 99, qYellow}}},
		{"c_crop,g_north,w_100,h_100", PNG, []probe{{0, 0, qRed}, {99, 0, qGreen}}},
		{"c_crop,g_south,w_100,h_100", PNG, []probe{{0, 99, qBlue}, {99, 99, qYellow}}},
		{"c_crop,g_west,w_100,h_100", PNG, []probe{{0, 0, qRed}, {0, 99, qBlue}}},
		{"c_crop,g_east,w_100,h_100", PNG, []probe{{99, 0, qGreen}, {99, 99, qYellow}}},
		{"c_crop,w_100,h_100", PNG, []probe{{0, 0, qRed}, {99, 0, qGreen}, {0, 99, qBlue}, {99, 99, qYellow}}},
		// fill on a wide source: west keeps the left, east the right
		{"c_fill,g_west,w_100,h_300", PNG, []probe{{50, 10, qRed}, {50, 290, qBlue}}},
		{"c_fill,g_east,w_100,h_300", PNG, []probe{{50, 10, qGreen}, {50, 290, qYellow}}},
		{"c_fill,g_west,w_50,h_150", PNG, []probe{{25, 10, qRed}, {25, 140, qBlue}}},
		{"c_fill,g_north,w_400,h_100", PNG, []probe{{10, 50, qRed}, {390, 50, qGreen}}},
		{"c_fill,g_south,w_400,h_100", PNG, []probe{{10, 50, qBlue}, {390, 50, qYellow}}},
		{"c_lfill,g_south,w_800,h_100", PNG, []probe{{10, 50, qBlue}, {390, 50, qYellow}}},
		{"c_lfill,g_east,w_300,h_1000", PNG, []probe{{10, 10, qRed}, {290, 10, qGreen}, {290, 290, qYellow}}},
		{"c_thumb,g_north_west,w_40,h_40", PNG, []probe{{5, 5, qRed}, {35, 35, qYellow}}},
		// pad: the image placed by gravity, the rest b_ (or transparent in PNG, white in JPEG)
		{"c_pad,g_north,w_400,h_600,b_black", PNG, []probe{{10, 10, qRed}, {390, 290, qYellow}, {10, 310, black}, {200, 590, black}}},
		{"c_pad,g_south,w_400,h_600,b_black", PNG, []probe{{10, 10, black}, {10, 290, black}, {10, 310, qRed}, {390, 590, qYellow}}},
		{"c_pad,w_400,h_600,b_black", PNG, []probe{{10, 10, black}, {10, 160, qRed}, {10, 590, black}}},
		{"c_pad,g_west,w_800,h_300,b_rgb:000000", PNG, []probe{{10, 10, qRed}, {390, 290, qYellow}, {410, 10, black}}},
		{"c_pad,g_east,w_800,h_300", PNG, []probe{{10, 10, none}, {410, 10, qRed}, {790, 290, qYellow}}},
		{"c_pad,g_east,w_800,h_300", JPEG, []probe{{10, 10, white}, {420, 20, qRed}, {780, 280, qYellow}}},
		{"c_pad,g_north_west,w_800,h_800", WebP, []probe{{10, 10, qRed}, {790, 590, qYellow}, {790, 790, none}}},
		{"c_lpad,g_south_east,w_1000,h_1000,b_white", PNG, []probe{{10, 10, white}, {610, 710, qRed}, {990, 990, qYellow}}},
	}
	for _, tt := range tests {
		t.Run(tt.chain+"."+tt.ext.String(), func(t *testing.T) {
			out := run(t, src, tt.chain, tt.ext)
			img := decodeAny(t, out)
			tol := 2
			if tt.ext == JPEG {
				tol = 40
			}
			for _, p := range tt.probes {
				requireColor(t, img, p.x, p.y, p.c, tol, tt.chain)
			}
		})
	}
}

func TestCropOutside(t *testing.T) {
	src := pngBytes(t, quadImage(400, 300))
	for chain, param := range map[string]string{
		"c_crop,x_400,w_10":      "x_400",
		"c_crop,x_10,y_300,w_10": "y_300",
		"c_crop,y_1000":          "y_1000",
	} {
		_, err := Transform(context.Background(), src, mustChain(t, chain), PNG, Limits{})
		requireKind(t, err, KindBadParam, param)
	}
	out := run(t, src, "c_crop,x_390,y_290,w_100,h_100", PNG)
	assert.Equal(t, [2]int{10, 10}, [2]int{out.Width, out.Height}, "clipped to the image")
}

func TestOutputFormat(t *testing.T) {
	png := pngBytes(t, quadImage(40, 30))
	jpg := jpegBytes(t, quadImage(40, 30), 90)
	tests := []struct {
		src   []byte
		chain string
		ext   Format
		want  Format
	}{
		{png, "w_10", FormatOriginal, PNG},
		{jpg, "w_10", FormatOriginal, JPEG},
		{png, "w_10", JPEG, JPEG},
		{png, "", WebP, WebP},
		{jpg, "w_10,f_png", JPEG, PNG},
		{jpg, "f_webp/w_10", GIF, WebP},
		{png, "f_gif", FormatOriginal, GIF},
	}
	for _, tt := range tests {
		out := run(t, tt.src, tt.chain, tt.ext)
		assert.Equal(t, tt.want, out.Format, "%s ext %v", tt.chain, tt.ext)
		decodeAny(t, out)
	}
}

func TestTransformRejectsBeforeDecoding(t *testing.T) {
	src := pngBytes(t, quadImage(40, 30))
	ctx := context.Background()

	_, err := Transform(ctx, src, Chain{Steps: []Step{{Crop: CropFill}}}, PNG, Limits{})
	requireKind(t, err, KindBadParam, "c_fill")

	c, err := ParseChain([]string{"c_fill,w_10,h_10,t_named"})
	require.NoError(t, err)
	_, err = Transform(ctx, src, c, PNG, Limits{})
	requireKind(t, err, KindBadParam, "t_named")

	_, err = Transform(ctx, src, mustChain(t, "w_3000"), PNG, Limits{})
	requireKind(t, err, KindBadParam, "w_3000")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Transform(cancelled, src, mustChain(t, "w_10"), PNG, Limits{})
	require.ErrorIs(t, err, context.Canceled)
}

func TestOutputLimit(t *testing.T) {
	ctx := context.Background()
	lim := Limits{MaxOutputSide: 100}
	src := pngBytes(t, quadImage(200, 150))
	tests := []struct{ chain, param, msg string }{
		{"", "", "add w_, h_ or c_limit"},
		{"q_80", "q_80", "add w_, h_ or c_limit"},
		{"c_mfit,w_50", "c_mfit,w_50", "as it is"},
		{"c_limit,w_100,h_100/w_1.0,h_0.9", "", ""}, // fine: 100×75 then 100×68
		{"w_0.9", "w_0.9", "gives 180×135 px"},
		{"c_fill,w_100,h_100/c_pad,w_1.0,h_100", "", ""},
		{"c_fill,w_100,h_100/c_pad,w_1.0,ar_1:2", "ar_1:2,c_pad,w_1.0", "gives 100×200 px"},
		{"c_crop,w_1.0,h_0.5", "c_crop,h_0.5,w_1.0", "200×75"},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			out, err := Transform(ctx, src, mustChain(t, tt.chain), PNG, lim)
			if tt.msg == "" {
				require.NoError(t, err)
				assert.LessOrEqual(t, max(out.Width, out.Height), 100)
				return
			}
			e := requireKind(t, err, KindOutputLimit, tt.param)
			assert.Contains(t, e.Msg, tt.msg)
			assert.Contains(t, e.Msg, "100 px output limit")
		})
	}
	// the default limit on a large source with the empty chain
	big := pngBytes(t, image.NewGray(image.Rect(0, 0, 3000, 10)))
	_, err := Transform(ctx, big, Chain{}, PNG, Limits{})
	e := requireKind(t, err, KindOutputLimit, "")
	assert.Contains(t, e.Msg, "3000×10")
	out, err := Transform(ctx, big, mustChain(t, "c_limit,w_2048"), PNG, Limits{})
	require.NoError(t, err)
	assert.Equal(t, [2]int{2048, 7}, [2]int{out.Width, out.Height})
}

func TestPlanChainStepsAreIndependent(t *testing.T) {
	// Planning uses only sizes: check the plan of a fill directly.
	plans, err := planChain(mustChain(t, "c_fill,g_east,w_100,h_100"), 400, 300, Limits{}.WithDefaults(), nil)
	require.NoError(t, err)
	require.Len(t, plans, 1)
	assert.Equal(t, image.Rect(100, 0, 400, 300), plans[0].src)
	assert.Equal(t, image.Pt(100, 100), plans[0].size())
}

func TestTransformConcurrent(t *testing.T) {
	src := jpegBytes(t, quadImage(200, 100), 90)
	chains := []string{"c_fill,w_50,h_50", "c_pad,w_60,h_60,b_red", "c_crop,g_south,w_20,h_20", "w_0.5/f_png"}
	done := make(chan error)
	for i := range 16 {
		go func() {
			c := mustChain(t, chains[i%len(chains)])
			_, err := Transform(context.Background(), src, c, FormatOriginal, Limits{})
			done <- err
		}()
	}
	for range 16 {
		require.NoError(t, <-done)
	}
}

// TestGravityJPEGSource repeats a few gravity checks on a JPEG source: its *image.YCbCr
// sub-images (non-zero origin, subsampled chroma) go straight to the resizer.
func TestGravityJPEGSource(t *testing.T) {
	src := jpegBytes(t, quadImage(400, 304), 95)
	tests := []struct {
		chain  string
		x, y   int
		colour color.NRGBA
	}{
		{"c_fill,g_east,w_50,h_150", 25, 10, qGreen},
		{"c_fill,g_east,w_50,h_150", 25, 140, qYellow},
		{"c_fill,g_west,w_50,h_150", 25, 140, qBlue},
		{"c_crop,g_south_east,w_64,h_64", 32, 32, qYellow},
		{"c_crop,x_8,y_8,w_16,h_16/w_64", 32, 32, qRed},
		{"c_fill,g_north,w_200,h_20", 190, 10, qGreen},
	}
	for _, tt := range tests {
		img := decodeAny(t, run(t, src, tt.chain, PNG))
		requireColor(t, img, tt.x, tt.y, tt.colour, 24, tt.chain)
	}
}
