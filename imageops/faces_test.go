package imageops

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// The pigo sample photo (testdata/pigo-sample.jpg, 320×400, one frontal face in the middle,
// about 220 px wide), at half size (160×200) to keep the tests fast.
var (
	sampleOnce sync.Once
	sampleImg  *image.NRGBA
)

func samplePhoto(t testing.TB) *image.NRGBA {
	t.Helper()
	sampleOnce.Do(func() {
		src, err := os.ReadFile("testdata/pigo-sample.jpg")
		require.NoError(t, err)
		img, err := jpeg.Decode(bytes.NewReader(src))
		require.NoError(t, err)
		sampleImg = toNRGBA(resize.Resize(img, 160, 200))
	})
	require.NotNil(t, sampleImg)
	return sampleImg
}

// composition returns a w×h picture on a plain light background (a soft vertical gradient, no
// detail) with the (half-size) sample photo's top-left corner at at.
func composition(t testing.TB, w, h int, at image.Point) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		v := uint8(235 - 20*y/h)
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{v, v, v + 5, 0xff})
		}
	}
	face := samplePhoto(t)
	draw.Draw(m, face.Bounds().Add(at), face, image.Point{}, draw.Src)
	return m
}

// faceCompositions are pictures where the face is far from the centre: a centre crop of the
// short side's square cuts it off.
func faceCompositions(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"left":   jpegBytes(t, composition(t, 600, 200, image.Pt(0, 0)), 90),
		"right":  jpegBytes(t, composition(t, 600, 200, image.Pt(440, 0)), 90),
		"top":    pngBytes(t, composition(t, 200, 600, image.Pt(20, 0))),
		"bottom": pngBytes(t, composition(t, 200, 600, image.Pt(20, 400))),
	}
}

// facesIn returns the faces Analyze finds in an output.
func facesIn(t testing.TB, out *Output) []image.Rectangle {
	t.Helper()
	a, err := Analyze(context.Background(), out.Bytes, Limits{})
	require.NoError(t, err)
	return a.Faces
}

func TestAnalyzeSample(t *testing.T) {
	src, err := os.ReadFile("testdata/pigo-sample.jpg")
	require.NoError(t, err)
	a, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	assert.Equal(t, [2]int{320, 400}, [2]int{a.Width, a.Height})
	require.Len(t, a.Faces, 1)
	f := a.Faces[0]
	c := f.Min.Add(f.Max).Div(2)
	assert.InDelta(t, 157, c.X, 20, "face %v", f)
	assert.InDelta(t, 205, c.Y, 25, "face %v", f)
	assert.InDelta(t, 225, f.Dx(), 40, "face %v", f)
	assert.Equal(t, a.Energy.Cols*a.Energy.Rows, len(a.Energy.Cells))
	assert.Equal(t, 32, max(a.Energy.Cols, a.Energy.Rows))
	assert.Contains(t, a.Energy.Cells, uint8(255))
	assert.True(t, Chain{}.NeedsAnalysis() == false)
}

// TestAnalyzeUpright: faces are found, and reported, in the upright picture of a JPEG stored
// rotated with an EXIF orientation.
func TestAnalyzeUpright(t *testing.T) {
	upright := composition(t, 400, 200, image.Pt(0, 0))
	for _, o := range []int{1, 3, 6, 8} {
		src := withOrientation(jpegBytes(t, storedFor(upright, o), 90), o)
		a, err := Analyze(context.Background(), src, Limits{})
		require.NoError(t, err)
		assert.Equal(t, [2]int{400, 200}, [2]int{a.Width, a.Height}, "orientation %d", o)
		require.Len(t, a.Faces, 1, "orientation %d", o)
		assert.Less(t, a.Faces[0].Max.X, 160, "orientation %d: the face is at the left", o)
	}
}

func TestAnalyzeNoFace(t *testing.T) {
	pictures := map[string][]byte{
		"photo-like": jpegBytes(t, photoImage(256), 90),
		"quadrants":  pngBytes(t, quadImage(300, 200)),
	}
	for _, name := range []string{"blue-purple-pink.lossy.webp", "yellow_rose.lossy-with-alpha.webp"} {
		b, err := os.ReadFile("testdata/" + name)
		require.NoError(t, err)
		pictures[name] = b
	}
	for name, src := range pictures {
		a, err := Analyze(context.Background(), src, Limits{})
		require.NoError(t, err, name)
		assert.Empty(t, a.Faces, name)
	}
}

func TestAnalyzeErrors(t *testing.T) {
	ctx := context.Background()
	_, err := Analyze(ctx, []byte("not an image"), Limits{})
	requireKind(t, err, KindBadSource, "")
	_, err = Analyze(ctx, pngBytes(t, quadImage(100, 100)), Limits{MaxSourcePixels: 5000})
	requireKind(t, err, KindSourceLimit, "")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Analyze(cancelled, pngBytes(t, quadImage(10, 10)), Limits{})
	require.ErrorIs(t, err, context.Canceled)
}

// TestFaceGravityKeepsTheFace: on pictures where the face is far from the centre, every crop
// mode with g_face, g_faces or g_auto keeps the whole face in its region, where the same crop
// with centre gravity cuts it off; end to end, the face is found again in the result.
func TestFaceGravityKeepsTheFace(t *testing.T) {
	ctx := context.Background()
	lim := Limits{}.WithDefaults()
	tests := []struct {
		chain, centre string // the centre variant: "" when there is none to compare
	}{
		{"c_fill,g_face,w_200,h_200", "c_fill,w_200,h_200"},
		{"c_fill,g_faces,w_200,h_200", ""},
		{"c_fill,g_auto,w_200,h_200", ""},
		{"c_lfill,g_face,w_150,h_150", "c_lfill,w_150,h_150"},
		{"c_thumb,g_face,w_200,h_200", "c_thumb,w_200,h_200"},
		{"c_thumb,g_auto,w_100,h_150", ""},
		{"c_crop,g_face,w_200,h_200", "c_crop,w_200,h_200"},
		{"c_crop,g_faces", ""},
		{"c_crop,g_auto,ar_1:1", "c_crop,ar_1:1"},
	}
	for name, src := range faceCompositions(t) {
		a, err := Analyze(ctx, src, Limits{})
		require.NoError(t, err, name)
		require.Len(t, a.Faces, 1, name)
		face := a.Faces[0]
		for _, tt := range tests {
			plans, err := planChain(mustChain(t, tt.chain), a.Width, a.Height, lim, a)
			require.NoError(t, err, tt.chain)
			assert.True(t, face.In(plans[0].src), "%s %s: region %v cuts the face %v", name, tt.chain, plans[0].src, face)
			if tt.centre != "" {
				plans, err := planChain(mustChain(t, tt.centre), a.Width, a.Height, lim, nil)
				require.NoError(t, err, tt.centre)
				assert.False(t, face.In(plans[0].src), "%s %s: the centre region %v keeps the face %v", name, tt.centre, plans[0].src, face)
			}
		}
		// End to end, TransformWith analysing the source itself.
		out, err := TransformWith(ctx, src, mustChain(t, tests[0].chain), PNG, Limits{}, Options{})
		require.NoError(t, err)
		assert.Len(t, facesIn(t, out), 1, "%s %s: the face is in the result", name, tests[0].chain)
		assert.Empty(t, facesIn(t, run(t, src, tests[0].centre, PNG)), "%s %s: a centre crop cuts the face off", name, tests[0].centre)
	}
}

// framing returns the region c_thumb,g_face keeps around face at z_1.0 before it is fitted to an
// aspect ratio: its size (the face grown by its margins: 2.1 face sides wide, 2.3 tall) and its
// centre (below the face's, so that the face is 41 % of the way down).
func framing(face image.Rectangle) (w, h float64, centre image.Point) {
	dx, dy := float64(face.Dx()), float64(face.Dy())
	return (1 + 2*faceMarginSide) * dx, (1 + faceMarginTop + faceMarginBottom) * dy,
		image.Pt((face.Min.X+face.Max.X)/2, face.Min.Y+int((1+faceMarginTop+faceMarginBottom)*dy/2-faceMarginTop*dy))
}

// TestThumbFramesTheFace: c_thumb,g_face keeps the head and a little shoulder at z_1.0 (the face
// box grown by its margins, centred on them, so the face sits a little above the middle); z_
// zooms around it.
func TestThumbFramesTheFace(t *testing.T) {
	src := jpegBytes(t, composition(t, 1000, 500, image.Pt(400, 100)), 90) // room around the face
	a, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	require.Len(t, a.Faces, 1)
	face := a.Faces[0]
	fw, fh, fc := framing(face)
	region := func(chain string) image.Rectangle {
		plans, err := planChain(mustChain(t, chain), a.Width, a.Height, Limits{}.WithDefaults(), a)
		require.NoError(t, err)
		require.Len(t, plans, 1)
		assert.Equal(t, image.Pt(200, 200), plans[0].size())
		return plans[0].src
	}
	z1 := region("c_thumb,g_face,w_200,h_200")
	assert.InDelta(t, math.Max(fw, fh), z1.Dx(), 2, "region %v for face %v", z1, face)
	assert.Equal(t, z1.Dx(), z1.Dy())
	assertCentre(t, fc, z1)

	z2 := region("c_thumb,g_face,w_200,h_200,z_2.0")
	assert.InDelta(t, z1.Dx()/2, z2.Dx(), 1)
	assertCentre(t, fc, z2)

	// z_ below 1 keeps more surroundings, up to the whole height here (then moved inside).
	z09 := region("c_thumb,g_face,w_200,h_200,z_0.9")
	assert.InDelta(t, float64(z1.Dx())/0.9, z09.Dx(), 2)
	z03 := region("c_thumb,g_face,w_200,h_200,z_0.3")
	assert.Equal(t, image.Pt(500, 500), z03.Size(), "the largest square...")
	assert.Equal(t, 0, z03.Min.Y)
	assert.InDelta(t, fc.X, (z03.Min.X+z03.Max.X)/2, 1, "... centred on the face")

	// A wide thumbnail keeps the framing's height and widens around it.
	plans, err := planChain(mustChain(t, "c_thumb,g_face,w_300,h_100"), a.Width, a.Height, Limits{}.WithDefaults(), a)
	require.NoError(t, err)
	r := plans[0].src
	assert.InDelta(t, fh, r.Dy(), 2)
	assert.InDelta(t, 3*r.Dy(), r.Dx(), 2)

	// In the encoded result the face is found again, in the middle across and 41 % of the way
	// down, 1/2.3 of the thumbnail's side.
	out := run(t, src, "c_thumb,g_face,w_200,h_200", PNG)
	got := facesIn(t, out)
	require.Len(t, got, 1)
	gc := got[0].Min.Add(got[0].Max).Div(2)
	assert.InDelta(t, 100, gc.X, 15)
	assert.InDelta(t, 200*(faceMarginTop+0.5)/(1+faceMarginTop+faceMarginBottom), gc.Y, 15)
	assert.InDelta(t, 200/(1+faceMarginTop+faceMarginBottom), got[0].Dx(), 25)
}

// TestCropFace: c_crop,g_face cuts w×h around the face centre without scaling; without w_ and
// h_ the region is the face with its margin (ar_ shapes it, z_ zooms it).
func TestCropFace(t *testing.T) {
	src := jpegBytes(t, composition(t, 1000, 600, image.Pt(100, 150)), 90) // room around the face
	a, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	face := a.Faces[0]
	fc := face.Min.Add(face.Max).Div(2)
	plan1 := func(chain string) plan {
		plans, err := planChain(mustChain(t, chain), a.Width, a.Height, Limits{}.WithDefaults(), a)
		require.NoError(t, err)
		return plans[0]
	}
	p := plan1("c_crop,g_face,w_100,h_100")
	assert.Equal(t, image.Pt(100, 100), p.src.Size())
	assert.Equal(t, image.Pt(100, 100), p.size(), "no scaling")
	at := p.src.Min
	assertCentre(t, fc, p.src)

	p = plan1("c_crop,g_face")
	fw, fh, fc2 := framing(face)
	assert.InDelta(t, fw, p.src.Dx(), 2)
	assert.InDelta(t, fh, p.src.Dy(), 2)
	assert.Equal(t, p.src.Size(), p.size(), "no scaling")

	p = plan1("c_crop,g_face,z_2")
	assert.InDelta(t, fw/2, p.src.Dx(), 2)
	assertCentre(t, fc2, p.src)

	p = plan1("c_crop,g_face,ar_2:1,z_2")
	assert.InDelta(t, fh/2, p.src.Dy(), 2)
	assert.InDelta(t, 2*p.src.Dy(), p.src.Dx(), 2)

	// The pixels are the source's, not resampled.
	out := run(t, src, "c_crop,g_face,w_100,h_100", PNG)
	img := decodeAny(t, out)
	full, err := jpeg.Decode(bytes.NewReader(src))
	require.NoError(t, err)
	for _, pt := range []image.Point{{0, 0}, {50, 50}, {99, 99}} {
		want := color.NRGBAModel.Convert(full.At(at.X+pt.X, at.Y+pt.Y)).(color.NRGBA)
		requireColor(t, img, pt.X, pt.Y, want, 0, "c_crop,g_face pixel")
	}
}

// assertCentre checks that r is centred on c (to the pixel: c is rounded down).
func assertCentre(t testing.TB, c image.Point, r image.Rectangle) {
	t.Helper()
	rc := r.Min.Add(r.Max).Div(2)
	assert.InDelta(t, c.X, rc.X, 1, "region %v centred on %v", r, c)
	assert.InDelta(t, c.Y, rc.Y, 1, "region %v centred on %v", r, c)
}

// detailPicture returns a flat w×h picture whose only detail (noise) is a square patch of side
// n with its top-left corner at at.
func detailPicture(w, h, n int, at image.Point) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range h {
		for x := range w {
			c := color.NRGBA{200, 210, 220, 0xff}
			if (image.Point{x, y}).In(image.Rectangle{Min: at, Max: at.Add(image.Pt(n, n))}) {
				v := uint8(rng.IntN(256))
				c = color.NRGBA{v, 255 - v, v / 2, 0xff}
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// TestNoFaceFallback: without a face, g_face and g_faces behave exactly like centre gravity;
// g_auto places the crop where the detail is (and in the centre of a picture without any).
func TestNoFaceFallback(t *testing.T) {
	src := pngBytes(t, detailPicture(600, 200, 60, image.Pt(520, 70)))
	a, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	require.Empty(t, a.Faces)
	for _, tt := range []struct{ focal, centre string }{
		{"c_fill,g_face,w_100,h_100", "c_fill,w_100,h_100"},
		{"c_fill,g_faces,w_100,h_100", "c_fill,g_center,w_100,h_100"},
		{"c_lfill,g_face,w_150,h_300", "c_lfill,w_150,h_300"},
		{"c_thumb,g_face,w_100,h_100", "c_thumb,w_100,h_100"},
		{"c_crop,g_faces,w_100,h_100", "c_crop,w_100,h_100"},
		{"c_crop,g_face,ar_1:1", "c_crop,ar_1:1"},
		{"c_crop,g_face", "c_crop,w_1.0,h_1.0"},
	} {
		assert.Equal(t, run(t, src, tt.centre, PNG).Bytes, run(t, src, tt.focal, PNG).Bytes, tt.focal)
	}
	// z_ zooms into the centre.
	plans, err := planChain(mustChain(t, "c_thumb,g_face,w_100,h_100,z_2"), 600, 200, Limits{}.WithDefaults(), a)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(250, 50, 350, 150), plans[0].src)

	// g_auto: the region holds the patch.
	patch := image.Rect(520, 70, 580, 130)
	for _, chain := range []string{"c_fill,g_auto,w_100,h_100", "c_crop,g_auto,w_100,h_100", "c_thumb,g_auto,w_50,h_50,z_2", "c_lfill,g_auto,w_150,h_150"} {
		plans, err := planChain(mustChain(t, chain), 600, 200, Limits{}.WithDefaults(), a)
		require.NoError(t, err)
		assert.True(t, patch.In(plans[0].src), "%s: region %v misses the detail at %v", chain, plans[0].src, patch)
		// and the centre does not
		centre, err := planChain(mustChain(t, chain), 600, 200, Limits{}.WithDefaults(), &Analysis{Width: 600, Height: 200})
		require.NoError(t, err)
		assert.False(t, patch.Overlaps(centre[0].src), chain)
		assert.Equal(t, 300, (centre[0].src.Min.X+centre[0].src.Max.X)/2, "no detail at all: centred")
	}
	// end to end: the detail is in the result
	img := decodeAny(t, run(t, src, "c_fill,g_auto,w_100,h_100", PNG))
	requireColorVaries(t, img, image.Rect(60, 35, 90, 65))
	img = decodeAny(t, run(t, src, "c_fill,w_100,h_100", PNG))
	requireColor(t, img, 50, 50, color.NRGBA{200, 210, 220, 0xff}, 1, "centre crop: flat")
}

// requireColorVaries checks that the pixels in r of img are not all alike.
func requireColorVaries(t testing.TB, img image.Image, r image.Rectangle) {
	t.Helper()
	first := nrgbaAt(img, r.Min.X, r.Min.Y)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !near(first, nrgbaAt(img, x, y), 20) {
				return
			}
		}
	}
	t.Fatalf("no detail in %v", r)
}

// TestFocusFollowsTheChain: faces and detail are in the source's coordinates; a later
// component sees them where the earlier ones moved them (rotations, mirrors, crops, borders).
func TestFocusFollowsTheChain(t *testing.T) {
	// A 1200×400 source with a 200×200 face at its left edge, middle height.
	a := &Analysis{Width: 1200, Height: 400, Faces: []image.Rectangle{image.Rect(0, 100, 200, 300)}}
	lim := Limits{}.WithDefaults()
	tests := []struct {
		chain string
		want  image.Rectangle // region of the last component
	}{
		{"c_fill,g_face,w_100,h_100", image.Rect(0, 0, 400, 400)},
		{"a_hflip/c_fill,g_face,w_100,h_100", image.Rect(800, 0, 1200, 400)},
		{"a_90/c_fill,g_face,w_100,h_100", image.Rect(0, 0, 400, 400)},     // the left edge is now the top
		{"a_270/c_fill,g_face,w_100,h_100", image.Rect(0, 800, 400, 1200)}, // ... the bottom
		{"a_180/c_fill,g_face,w_100,h_100", image.Rect(800, 0, 1200, 400)}, // ... the right
		{"a_vflip/c_fill,g_face,w_100,h_100", image.Rect(0, 0, 400, 400)},  // still left
		{"w_0.5/c_crop,g_face,w_100,h_100", image.Rect(0, 50, 100, 150)},   // halved: face (0,50)-(100,150)
		{"bo_10px_solid_red/c_crop,g_face,w_100,h_100", image.Rect(60, 160, 160, 260)},
		{"c_crop,x_100,w_1000,h_400/c_crop,g_face,w_100,h_100", image.Rect(0, 150, 100, 250)},   // half the face cut off: 50 % visible, kept
		{"c_crop,x_150,w_1000,h_400/c_crop,g_face,w_100,h_100", image.Rect(450, 150, 550, 250)}, // 25 % visible: no face, centre
		{"c_pad,g_east,w_1400,h_400/c_crop,g_face,w_100,h_100", image.Rect(250, 150, 350, 250)},
	}
	for _, tt := range tests {
		plans, err := planChain(mustChain(t, tt.chain), a.Width, a.Height, lim, a)
		require.NoError(t, err, tt.chain)
		assert.Equal(t, tt.want, plans[len(plans)-1].src, tt.chain)
	}
	// g_face keeps the largest face, g_faces the box around all of them.
	two := &Analysis{Width: 1200, Height: 400, Faces: []image.Rectangle{image.Rect(1000, 100, 1200, 300), image.Rect(500, 150, 600, 250)}}
	plans, err := planChain(mustChain(t, "c_crop,g_face,w_100,h_100"), 1200, 400, lim, two)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(1050, 150, 1150, 250), plans[0].src)
	plans, err = planChain(mustChain(t, "c_crop,g_faces,w_100,h_100"), 1200, 400, lim, two)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(800, 150, 900, 250), plans[0].src)
	plans, err = planChain(mustChain(t, "c_crop,g_faces,ar_1:1,z_1.0"), 1200, 400, lim, two)
	require.NoError(t, err)
	// faces grown by their margins: (890,10)-(1310,470) and (445,105)-(655,335); their box
	// 865×460 grown to 1:1 is 865×865, fitted into the image 400×400, centred on x = 877.5.
	assert.Equal(t, image.Rect(678, 0, 1078, 400), plans[0].src)
}

// TestAnalysisOption: a precomputed Analysis gives the same result as analysing on the fly, and
// lets the output limit be checked before decoding; a wrong one is refused.
func TestAnalysisOption(t *testing.T) {
	ctx := context.Background()
	src := faceCompositions(t)["right"]
	a, err := Analyze(ctx, src, Limits{})
	require.NoError(t, err)
	c := mustChain(t, "c_thumb,g_face,w_120,h_90/r_max")
	with, err := TransformWith(ctx, src, c, WebP, Limits{}, Options{Analysis: a})
	require.NoError(t, err)
	without, err := TransformWith(ctx, src, c, WebP, Limits{}, Options{})
	require.NoError(t, err)
	assert.Equal(t, without.Bytes, with.Bytes)

	_, err = TransformWith(ctx, src, c, PNG, Limits{}, Options{Analysis: &Analysis{Width: 1199, Height: 400}})
	e := requireKind(t, err, KindBadParam, "")
	assert.Contains(t, e.Msg, "1199×400")
	_, err = TransformWith(ctx, src, c, PNG, Limits{}, Options{Analysis: &Analysis{Width: 1200, Height: 400, Faces: []image.Rectangle{{Max: image.Pt(1201, 5)}}}})
	requireKind(t, err, KindBadParam, "")

	// Header-only PNG: decoding it would fail, so KindOutputLimit proves nothing was decoded.
	hdr := pngHeaderOnly(t, 300, 300)
	fa := &Analysis{Width: 300, Height: 300, Faces: []image.Rectangle{image.Rect(50, 50, 250, 250)}}
	_, err = TransformWith(ctx, hdr, mustChain(t, "c_crop,g_face"), PNG, Limits{MaxOutputSide: 100}, Options{Analysis: fa})
	requireKind(t, err, KindOutputLimit, "c_crop,g_face")
	_, err = TransformWith(ctx, hdr, mustChain(t, "c_crop,g_face"), PNG, Limits{MaxOutputSide: 100}, Options{})
	requireKind(t, err, KindBadSource, "")
}

func TestNeedsAnalysis(t *testing.T) {
	for chain, want := range map[string]bool{
		"":                                 false,
		"c_fill,w_10,h_10":                 false,
		"c_thumb,g_north,w_10,h_10":        false,
		"c_fill,g_face,w_10,h_10":          true,
		"w_10/c_crop,g_faces":              true,
		"c_lfill,g_auto,w_10,h_10/r_max":   true,
		"e_blur/a_90/bo_1px_solid_red/r_1": false,
	} {
		assert.Equal(t, want, mustChain(t, chain).NeedsAnalysis(), chain)
	}
}

func TestAnalysisMarshal(t *testing.T) {
	src, err := os.ReadFile("testdata/pigo-sample.jpg")
	require.NoError(t, err)
	sample, err := Analyze(context.Background(), src, Limits{})
	require.NoError(t, err)
	for _, a := range []*Analysis{
		sample,
		{Width: 1, Height: 1},
		{Width: 5000, Height: 300, Faces: []image.Rectangle{image.Rect(4000, 10, 4200, 210), image.Rect(0, 0, 1, 1)},
			Energy: Energy{Cols: 2, Rows: 1, Cells: []uint8{0, 255}}},
	} {
		b, err := a.MarshalBinary()
		require.NoError(t, err)
		var got Analysis
		require.NoError(t, got.UnmarshalBinary(b))
		assert.Equal(t, *a, got)
	}
	b, err := sample.MarshalBinary()
	require.NoError(t, err)
	assert.Less(t, len(b), 1200, "compact")

	// Every truncation, an extra byte, another magic, a non-minimal varint: refused, a unchanged.
	keep := Analysis{Width: 7, Height: 7}
	for n := range len(b) {
		got := keep
		require.Error(t, got.UnmarshalBinary(b[:n]), "truncated at %d", n)
		require.Equal(t, keep, got)
	}
	got := keep
	assert.Error(t, got.UnmarshalBinary(append(bytes.Clone(b), 0)))
	assert.Error(t, got.UnmarshalBinary(append([]byte("akA2"), b[4:]...)))
	assert.Error(t, got.UnmarshalBinary([]byte("akA1\x81\x00\x01\x00\x00\x00")), "non-minimal varint")
	assert.NoError(t, got.UnmarshalBinary([]byte("akA1\x01\x01\x00\x00\x00")))
	assert.Error(t, got.UnmarshalBinary([]byte("akA1\x01\x01\x01\x00\x00\x02\x01\x00\x00")), "face outside")
	assert.Error(t, got.UnmarshalBinary([]byte("akA1\x01\x01\x00\x01\x00")), "grid with no rows")
	assert.Error(t, got.UnmarshalBinary([]byte("akA1\x00\x01\x00\x00\x00")), "no width")
	assert.Equal(t, Analysis{Width: 1, Height: 1}, got)

	for _, bad := range []*Analysis{
		nil,
		{},
		{Width: 10, Height: 10, Faces: []image.Rectangle{image.Rect(5, 5, 5, 9)}},
		{Width: 10, Height: 10, Energy: Energy{Cols: 2, Rows: 2, Cells: []uint8{1}}},
		{Width: 10, Height: 10, Faces: make([]image.Rectangle, MaxFaces+1)},
	} {
		_, err := bad.MarshalBinary()
		assert.Error(t, err, "%+v", bad)
	}
}

// FuzzAnalysisUnmarshal: UnmarshalBinary never panics, and what it accepts is valid and
// marshals back to the same bytes.
func FuzzAnalysisUnmarshal(f *testing.F) {
	for _, a := range []*Analysis{
		{Width: 1, Height: 1},
		{Width: 320, Height: 400, Faces: []image.Rectangle{image.Rect(45, 96, 264, 315)}, Energy: Energy{Cols: 3, Rows: 2, Cells: []uint8{0, 1, 2, 3, 4, 255}}},
		{Width: 1 << 20, Height: 3, Faces: []image.Rectangle{image.Rect(0, 0, 1, 3), image.Rect(1000, 1, 1002, 2)}},
	} {
		b, err := a.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("akA1"))
	f.Add([]byte("akA1\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Analysis
		if a.UnmarshalBinary(b) != nil {
			return
		}
		require.Nil(t, a.validate())
		again, err := a.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, again)
	})
}

// TestSharedAnalysisConcurrent: one Analysis serves concurrent transformations (it is only read).
func TestSharedAnalysisConcurrent(t *testing.T) {
	ctx := context.Background()
	src := pngBytes(t, detailPicture(300, 100, 30, image.Pt(250, 30)))
	a, err := Analyze(ctx, src, Limits{})
	require.NoError(t, err)
	c := mustChain(t, "c_fill,g_auto,w_50,h_50")
	want, err := TransformWith(ctx, src, c, PNG, Limits{}, Options{Analysis: a})
	require.NoError(t, err)
	var wg sync.WaitGroup
	outs := make([]*Output, 8)
	for i := range outs {
		wg.Go(func() {
			out, err := TransformWith(ctx, src, c, PNG, Limits{}, Options{Analysis: a})
			assert.NoError(t, err)
			outs[i] = out
		})
	}
	wg.Wait()
	for _, out := range outs {
		require.NotNil(t, out)
		assert.Equal(t, want.Bytes, out.Bytes)
	}
}
