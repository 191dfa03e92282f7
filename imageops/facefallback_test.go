package imageops

import (
	"context"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaceGravityFallbacksParse: Cloudinary's fallback forms parse; face:center and faces:center
// are g_face and g_faces (which already fall back to the centre), one canonical form.
func TestFaceGravityFallbacksParse(t *testing.T) {
	for in, want := range map[string]string{
		"c_fill,g_face:center,h_10,w_10":  "c_fill,g_face,h_10,w_10",
		"c_fill,g_faces:center,h_10,w_10": "c_fill,g_faces,h_10,w_10",
		"c_fill,g_face:auto,h_10,w_10":    "c_fill,g_face:auto,h_10,w_10",
		"c_thumb,g_faces:auto,w_10":       "c_thumb,g_faces:auto,w_10",
		"c_crop,g_auto:face,z_1.5":        "c_crop,g_auto:face,z_1.5",
		"e_pixelate_faces":                "e_pixelate_faces",
		"e_pixelate_faces:12":             "e_pixelate_faces:12",
		"e_blur_faces:2000,w_10":          "e_blur_faces:2000,w_10",
	} {
		c, err := ParseChain([]string{in})
		require.NoError(t, err, in)
		assert.Equal(t, want, c.String(), in)
		again, err := ParseChain([]string{c.String()})
		require.NoError(t, err)
		assert.Equal(t, c, again, in)
	}
	for bad, param := range map[string]string{
		"c_fill,g_face:north,h_10,w_10":        "g_face:north",
		"c_fill,g_auto:faces:center,h_10,w_10": "g_auto:faces:center",
		"c_scale,g_face:auto,w_10":             "g_face:auto",
		"e_pixelate_faces:0":                   "e_pixelate_faces:0",
		"e_pixelate_faces:201":                 "e_pixelate_faces:201",
		"e_blur_faces:2001":                    "e_blur_faces:2001",
		"e_blur_faces:-1":                      "e_blur_faces:-1",
	} {
		_, err := ParseChain([]string{bad})
		requireKind(t, err, KindBadParam, param)
	}
	for chain, want := range map[string]bool{
		"c_fill,g_face:auto,h_10,w_10": true,
		"e_blur_faces":                 true,
		"w_10/e_pixelate_faces:3":      true,
		"e_pixelate:3":                 false,
	} {
		assert.Equal(t, want, mustChain(t, chain).NeedsAnalysis(), chain)
	}
}

// TestFaceGravityFallbacks: with faces, face:auto and auto:face keep the largest face like
// g_face, faces:auto all of them like g_faces; without, all three go where the detail is (like
// g_auto), while g_face and g_faces (= face:center, faces:center) go to the centre.
func TestFaceGravityFallbacks(t *testing.T) {
	lim := Limits{}.WithDefaults()
	region := func(chain string, a *Analysis) image.Rectangle {
		plans, err := planChain(mustChain(t, chain), a.Width, a.Height, lim, a)
		require.NoError(t, err, chain)
		return plans[0].src
	}
	two := &Analysis{Width: 1200, Height: 400, Faces: []image.Rectangle{image.Rect(1000, 100, 1200, 300), image.Rect(100, 150, 200, 250)}}
	for _, mode := range []string{"c_crop,w_100,h_100", "c_fill,w_100,h_100", "c_thumb,w_100,h_100"} {
		assert.Equal(t, region(mode+",g_face", two), region(mode+",g_face:auto", two), mode)
		assert.Equal(t, region(mode+",g_face", two), region(mode+",g_auto:face", two), mode)
		assert.Equal(t, region(mode+",g_faces", two), region(mode+",g_faces:auto", two), mode)
		assert.NotEqual(t, region(mode+",g_face", two), region(mode+",g_faces", two), mode)
	}

	src := pngBytes(t, detailPicture(600, 200, 60, image.Pt(520, 70)))
	a, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	require.Empty(t, a.Faces)
	patch := image.Rect(520, 70, 580, 130)
	for _, chain := range []string{"c_fill,g_face:auto,w_100,h_100", "c_fill,g_faces:auto,w_100,h_100", "c_crop,g_auto:face,w_100,h_100", "c_thumb,g_face:auto,w_50,h_50,z_2"} {
		assert.True(t, patch.In(region(chain, a)), "%s: %v", chain, region(chain, a))
	}
	for _, chain := range []string{"c_fill,g_face:center,w_100,h_100", "c_fill,g_faces:center,w_100,h_100"} {
		assert.Equal(t, 300, (region(chain, a).Min.X+region(chain, a).Max.X)/2, chain)
	}
}

// TestFaceEffects: e_pixelate_faces and e_blur_faces change the face (and a margin around it)
// and nothing far from it; without a face the picture is as without the effect; they follow the
// face through the component's crop.
func TestFaceEffects(t *testing.T) {
	src := jpegBytes(t, composition(t, 600, 200, image.Pt(0, 0)), 95) // the face at the left
	a, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	require.Len(t, a.Faces, 1)
	face := a.Faces[0]
	plain := decodeAny(t, run(t, src, "c_crop,h_200,w_600", PNG))
	for _, chain := range []string{"e_pixelate_faces", "e_pixelate_faces:20", "e_blur_faces", "e_blur_faces:2000", "e_blur_faces:1"} {
		out := decodeAny(t, run(t, src, chain+",c_crop,h_200,w_600", PNG))
		inside, far := 0.0, 0.0
		for y := face.Min.Y; y < face.Max.Y; y++ {
			for x := face.Min.X; x < face.Max.X; x++ {
				inside += pixDiff(out, plain, x, y)
			}
		}
		for y := 0; y < 200; y++ {
			for x := 400; x < 600; x++ {
				far += pixDiff(out, plain, x, y)
			}
		}
		inside /= float64(face.Dx() * face.Dy())
		assert.Greater(t, inside, 2.0, "%s: the face changes", chain)
		assert.Zero(t, far, "%s: far from the face nothing changes", chain)
	}
	// Stronger is more: the default blur hides more than blur_faces:1.
	stdIn := func(chain string) float64 {
		return regionStd(decodeAny(t, run(t, src, chain, PNG)), face.Inset(face.Dx()/5))
	}
	assert.Less(t, stdIn("e_blur_faces"), stdIn("e_blur_faces:1"))
	assert.Less(t, stdIn("e_blur_faces:1"), stdIn("w_600"))

	// No face: as without the effect.
	noFace := pngBytes(t, detailPicture(300, 100, 30, image.Pt(250, 30)))
	assert.Equal(t, run(t, noFace, "w_300", PNG).Bytes, run(t, noFace, "e_blur_faces,w_300", PNG).Bytes)

	// Through a crop and resize of the same component: the face is at the left of a 300×100 fill.
	out := decodeAny(t, run(t, src, "c_fill,e_pixelate_faces:10,g_face,h_100,w_100", PNG))
	ref := decodeAny(t, run(t, src, "c_fill,g_face,h_100,w_100", PNG))
	assert.Greater(t, pixDiff(out, ref, 50, 50)+pixDiff(out, ref, 45, 55)+pixDiff(out, ref, 55, 45), 0.0)
}

// pixDiff is the sum of the absolute channel differences of a and b at (x, y).
func pixDiff(a, b image.Image, x, y int) float64 {
	ca, cb := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA), color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
	d := func(p, q uint8) float64 { return math.Abs(float64(p) - float64(q)) }
	return d(ca.R, cb.R) + d(ca.G, cb.G) + d(ca.B, cb.B) + d(ca.A, cb.A)
}

// regionStd is the standard deviation of the luma of img in r.
func regionStd(img image.Image, r image.Rectangle) float64 {
	var s, s2, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			v := float64(c.Y)
			s, s2, n = s+v, s2+v*v, n+1
		}
	}
	return math.Sqrt(s2/n - (s/n)*(s/n))
}
