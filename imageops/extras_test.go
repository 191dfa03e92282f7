package imageops

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdenticon(t *testing.T) {
	a := Identicon("someone@example.com")
	assert.Equal(t, a, Identicon("someone@example.com"), "deterministic")
	img, err := png.Decode(bytes.NewReader(a))
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, IdenticonSize, IdenticonSize), img.Bounds())
	assert.Equal(t, 420, IdenticonSize)
	assert.Less(t, len(a), 2048, "small")

	colours := map[color.NRGBA]int{}
	for y := 0; y < IdenticonSize; y += 5 { // the blocks are 70 px
		for x := 0; x < IdenticonSize; x += 5 {
			c := nrgbaAt(img, x, y)
			colours[c]++
			require.Equal(t, c, nrgbaAt(img, IdenticonSize-1-x, y), "symmetric at (%d,%d)", x, y)
		}
	}
	assert.Len(t, colours, 2, "a background and one colour")
	bg := color.NRGBA{0xf0, 0xf0, 0xf0, 0xff}
	assert.Equal(t, bg, nrgbaAt(img, 0, 0), "light background, margin")
	for c := range colours {
		if c != bg {
			assert.Less(t, int(c.R)+int(c.G)+int(c.B), 3*0xd0, "the colour stands out from the background: %v", c)
		}
	}

	// Different seeds, different pictures.
	seen := map[string]string{}
	for i := range 64 {
		seed := fmt.Sprintf("user-%d", i)
		b := string(Identicon(seed))
		if other, dup := seen[b]; dup {
			t.Fatalf("%s and %s give the same identicon", seed, other)
		}
		seen[b] = seed
	}

	// It is an original like any other: transformations apply to it.
	out := run(t, a, "c_fill,w_100,h_100/r_max", FormatOriginal)
	assert.Equal(t, PNG, out.Format)
	assert.Equal(t, [2]int{100, 100}, [2]int{out.Width, out.Height})
	corner := decodeAny(t, out)
	assert.Equal(t, uint8(0), nrgbaAt(corner, 1, 1).A)
}

func TestExpand(t *testing.T) {
	named := map[string]Chain{
		"avatar": mustChain(t, "c_fill,g_face,h_90,w_90/r_max"),
		"small":  mustChain(t, "w_40"),
		"none":   {},
	}
	tests := []struct{ in, want string }{
		{"w_100", "w_100"},
		{"t_avatar", "c_fill,g_face,h_90,w_90/r_max"},
		{"t_avatar/e_grayscale", "c_fill,g_face,h_90,w_90/r_max/e_grayscale"},
		{"a_90/t_small/t_avatar", "a_90/w_40/c_fill,g_face,h_90,w_90/r_max"},
		{"t_none/w_10", "w_10"},
		{"t_none", ""},
	}
	for _, tt := range tests {
		got, err := mustExpand(t, tt.in).Expand(named)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got.String(), tt.in)
		for _, s := range got.Steps {
			assert.Empty(t, s.Named)
		}
	}
	// The result does not share the named chains' memory.
	got, err := mustExpand(t, "t_small").Expand(named)
	require.NoError(t, err)
	got.Steps[0].Width.Px = 1
	assert.Equal(t, "w_40", named["small"].String())

	for _, tt := range []struct{ in, param, msg string }{
		{"t_avatar,w_10", "t_avatar", "alone in its component"},
		{"w_10/e_blur,t_small", "t_small", "alone in its component"},
		{"t_nope", "t_nope", `unknown named transformation "nope"`},
		{"w_10/t_nested", "t_nested", "cannot contain t_"},
	} {
		nested := map[string]Chain{"nested": {Steps: []Step{{Width: Dim{Px: 1}}, {Named: "small"}}}}
		for k, v := range named {
			nested[k] = v
		}
		_, err := mustExpand(t, tt.in).Expand(nested)
		e := requireKind(t, err, KindBadParam, tt.param)
		assert.Contains(t, e.Msg, tt.msg, tt.in)
	}
}

// mustExpand parses a chain that may contain t_.
func mustExpand(t testing.TB, s string) Chain {
	t.Helper()
	c, err := ParseChain(strings.Split(s, "/"))
	require.NoError(t, err, s)
	return c
}

// TestNamedMustBeExpanded: a t_ left in the chain is refused by TransformWith; d_ does nothing
// to the pixels.
func TestNamedMustBeExpanded(t *testing.T) {
	src := pngBytes(t, quadImage(20, 20))
	_, err := TransformWith(context.Background(), src, mustExpand(t, "t_avatar"), PNG, Limits{}, Options{})
	e := requireKind(t, err, KindBadParam, "t_avatar")
	assert.Contains(t, e.Msg, "Expand")
	with, err := TransformWith(context.Background(), src, mustExpand(t, "d_identicon,w_10"), PNG, Limits{}, Options{})
	require.NoError(t, err)
	without, err := TransformWith(context.Background(), src, mustExpand(t, "w_10"), PNG, Limits{}, Options{})
	require.NoError(t, err)
	assert.Equal(t, without.Bytes, with.Bytes)
}

// transformRaw runs the pipeline on a chain string.
func transformRaw(t testing.TB, src []byte, chain string, ext Format, opt Options) (*Output, error) {
	t.Helper()
	c := mustExpand(t, chain)
	lim := Limits{}.WithDefaults()
	require.NoError(t, c.Check(lim))
	return transform(context.Background(), src, c, ext, lim, opt)
}

func TestFormatAuto(t *testing.T) {
	photo := jpegBytes(t, photoImage(256), 90)
	icon := Identicon("x")
	all := []Format{AVIF, WebP, PNG, JPEG, GIF}
	classic := []Format{PNG, JPEG, GIF} // what */* gives: no AVIF or WebP
	tests := []struct {
		name   string
		src    []byte
		chain  string
		ext    Format
		accept []Format
		want   Format
	}{
		{"photo, everything: AVIF", photo, "w_128/f_auto", FormatOriginal, all, AVIF},
		{"photo, WebP but no AVIF: lossy WebP", photo, "w_128/f_auto", FormatOriginal, []Format{WebP, PNG, JPEG, GIF}, WebP},
		{"photo, */* only: JPEG", photo, "w_128/f_auto", FormatOriginal, classic, JPEG},
		{"photo at q_auto:best: JPEG before WebP", photo, "w_128,q_auto:best/f_auto", FormatOriginal, []Format{WebP, PNG, JPEG}, JPEG},
		{"photo at q_auto:best: AVIF still", photo, "w_128,q_auto:best/f_auto", FormatOriginal, all, AVIF},
		{"tiny photo: no AVIF", photo, "w_48/f_auto", FormatOriginal, all, WebP},
		{"large photo: no AVIF", photo, "w_600,c_scale/f_auto", FormatOriginal, all, WebP},
		{"AVIF alone is AVIF at any size", photo, "w_48/f_auto", FormatOriginal, []Format{AVIF}, AVIF},
		{"flat picture: PNG", icon, "w_64/f_auto", FormatOriginal, all, PNG},
		{"flat picture, WebP only: lossless WebP", icon, "w_64/f_auto", FormatOriginal, []Format{WebP, JPEG}, WebP},
		{"flat picture, */* only: PNG", icon, "w_64/f_auto", FormatOriginal, classic, PNG},
		{"transparency: no JPEG when a format with alpha is acceptable", photo, "w_64,r_max/f_auto", FormatOriginal, []Format{JPEG, PNG}, PNG},
		{"transparency, JPEG only", photo, "w_64,r_max/f_auto", FormatOriginal, []Format{JPEG}, JPEG},
		{"transparency, */*: PNG", photo, "w_64,r_max/f_auto", FormatOriginal, classic, PNG},
		{"GIF only when nothing else", icon, "w_64/f_auto", FormatOriginal, []Format{GIF, WebP}, WebP},
		{"GIF alone", photo, "w_64/f_auto", FormatOriginal, []Format{GIF}, GIF},
		{"no Accept: the extension", photo, "w_64/f_auto", WebP, nil, WebP},
		{"no Accept: the source's format", icon, "w_64/f_auto", FormatOriginal, nil, PNG},
		{"a later f_ wins over f_auto", photo, "f_auto/f_png,w_64", FormatOriginal, all, PNG},
		{"f_auto after f_png wins", photo, "f_png,w_64/f_auto", FormatOriginal, []Format{WebP, JPEG}, WebP},
		{"without f_auto Accept is ignored", photo, "w_64", PNG, []Format{JPEG}, PNG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := transformRaw(t, tt.src, tt.chain, tt.ext, Options{Accept: tt.accept})
			require.NoError(t, err)
			assert.Equal(t, tt.want, out.Format)
			assert.Equal(t, tt.want, sniffOutput(out.Bytes))
			if len(tt.accept) > 1 && strings.HasSuffix(tt.chain, "f_auto") && !strings.Contains(tt.name, "AVIF") {
				// The format chosen gives the smallest of the acceptable encodings.
				for _, f := range tt.accept {
					if f == GIF || f == AVIF || (strings.Contains(tt.chain, "r_max") && f == JPEG) {
						continue
					}
					other, err := transformRaw(t, tt.src, strings.TrimSuffix(tt.chain, "/f_auto"), f, Options{})
					require.NoError(t, err)
					assert.LessOrEqual(t, len(out.Bytes), len(other.Bytes), "%v is smaller", f)
				}
			}
		})
	}
	_, err := transformRaw(t, photo, "f_auto", JPEG, Options{Accept: []Format{PNG, FormatOriginal}})
	requireKind(t, err, KindBadParam, "")
	_, err = transformRaw(t, photo, "f_auto", JPEG, Options{Accept: []Format{Format(9)}})
	requireKind(t, err, KindBadParam, "")
}

// TestDefaultAndNamedInTransform: once enabled, d_ does nothing to the pixels and an
// unexpanded t_ is refused.
func TestDefaultAndNamedInTransform(t *testing.T) {
	src := pngBytes(t, quadImage(40, 20))
	with, err := transformRaw(t, src, "w_20,d_identicon", PNG, Options{})
	require.NoError(t, err)
	assert.Equal(t, run(t, src, "w_20", PNG).Bytes, with.Bytes)
	_, err = transformRaw(t, src, "w_20/t_avatar", PNG, Options{})
	e := requireKind(t, err, KindBadParam, "t_avatar")
	assert.Contains(t, e.Msg, "Expand")
}
