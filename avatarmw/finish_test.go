package avatarmw_test

// End-to-end tests of faces and finishing touches through the public API: avatarmw.New on the
// fetchtest fake, requests over httptest. The pixel work is imageops' (and tested there); these
// tests prove that the handler hands it the right pictures, the faces found once per picture, the
// default pictures, the formats the client accepts and the named transformations.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"
	_ "image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/webp"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

var finishSeq atomic.Int64

// finishEnv is a handler on a fresh fake network, mounted on a test server.
type finishEnv struct {
	h    *avatarmw.Handler
	fake *fetchtest.Server
	srv  *httptest.Server
}

func newFinishEnv(t testing.TB, mod func(*avatarmw.Config)) *finishEnv {
	t.Helper()
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	cfg := avatarmw.Config{
		Name:         fmt.Sprintf("finishtest%d", finishSeq.Add(1)),
		MaxQueueWait: time.Minute, // not about shedding: a busy machine must not make its work wait too long
		Fetch: fetch.Config{
			FacebookURL:   fake.FacebookURL(),
			FacebookToken: fetchtest.FacebookToken,
			XURL:          fake.XURL(),
			XToken:        fetchtest.XToken,
			GravatarURL:   fake.GravatarURL(),
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := avatarmw.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { h.Close() })
	mux := http.NewServeMux()
	mux.Handle("/avatars/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &finishEnv{h: h, fake: fake, srv: srv}
}

type finishRes struct {
	code int
	hdr  http.Header
	body []byte
}

// get requests path with the headers hdr (name, value, name, value...).
func (e *finishEnv) get(t testing.TB, path string, hdr ...string) finishRes {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return finishRes{res.StatusCode, res.Header, body}
}

// ok requests path and requires a 200.
func (e *finishEnv) ok(t testing.TB, path string, hdr ...string) finishRes {
	t.Helper()
	r := e.get(t, path, hdr...)
	require.Equal(t, http.StatusOK, r.code, "%s: %s", path, r.hdr.Get("X-Avatar-Error"))
	return r
}

// url builds an avatar URL with the handler's builder (signed when the handler has secrets).
func (e *finishEnv) url(t testing.TB, typ, id, tr, ext string) string {
	t.Helper()
	u, err := e.h.URL(avatarmw.Avatar{Type: typ, ID: id, Transformation: tr, Format: ext})
	require.NoError(t, err)
	return u
}

// original downloads an x user's original picture from the fake, as the provider does.
func (e *finishEnv) original(t testing.TB, id string) []byte {
	t.Helper()
	u, ok := e.fake.XPictureURL(id, "")
	require.True(t, ok, id)
	res, err := e.fake.Client().Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return b
}

func decodeImage(t testing.TB, b []byte) (image.Image, string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img, format
}

func nrgba(img image.Image, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

// near reports whether c is within tol of want in every channel, alpha included.
func near(c, want color.NRGBA, tol int) bool {
	d := func(a, b uint8) bool { return max(int(a)-int(b), int(b)-int(a)) <= tol }
	return d(c.R, want.R) && d(c.G, want.G) && d(c.B, want.B) && d(c.A, want.A)
}

func analyze(t testing.TB, b []byte) *imageops.Analysis {
	t.Helper()
	a, err := imageops.Analyze(context.Background(), b, imageops.Limits{})
	require.NoError(t, err)
	return a
}

func chainOf(t testing.TB, tr string) imageops.Chain {
	t.Helper()
	c, err := imageops.ParseChain(strings.Split(tr, "/"))
	require.NoError(t, err)
	return c
}

// iou is the intersection over union of two rectangles.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	area := func(r image.Rectangle) float64 { return float64(r.Dx() * r.Dy()) }
	if in.Empty() {
		return 0
	}
	return area(in) / (area(a) + area(b) - area(in))
}

// scaleRect maps r from a region of the source (its top-left corner at origin, side px) to an
// n×n output.
func scaleRect(r image.Rectangle, origin image.Point, side float64, n int) image.Rectangle {
	s := float64(n) / side
	f := func(v, o int) int { return int(float64(v-o)*s + 0.5) }
	return image.Rect(f(r.Min.X, origin.X), f(r.Min.Y, origin.Y), f(r.Max.X, origin.X), f(r.Max.Y, origin.Y))
}

func clampInt(v, lo, hi int) int { return min(max(v, lo), hi) }

func xUser(t testing.TB, name string) fetchtest.User {
	t.Helper()
	u, ok := fetchtest.LookupName(name)
	require.True(t, ok, name)
	return u
}

// TestFaceCropsFollowTheFace: on wide photographs whose face is far to one side, g_face, g_faces
// and g_auto crops keep the face — where imageops.Analyze on the original says it is, mapped into
// the crop — while a centre crop of the same size cuts it off.
func TestFaceCropsFollowTheFace(t *testing.T) {
	e := newFinishEnv(t, nil)
	left := xUser(t, "face_far_left")
	// A second wide photograph, added to this fake only; its changed picture is mirrored, so its
	// face is far to the right.
	right := e.fake.AddUser(fetchtest.User{Network: fetchtest.X, Photo: true, Width: 1600, Height: 600})
	e.fake.ChangePicture(fetchtest.X, right.ID)

	for _, c := range []struct {
		name string
		u    fetchtest.User
		side func(face image.Rectangle, w int) bool
	}{
		{"face far left", left, func(f image.Rectangle, w int) bool { return f.Max.X < w/3 }},
		{"face far right", right, func(f image.Rectangle, w int) bool { return f.Min.X > w*2/3 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := e.original(t, c.u.ID)
			a := analyze(t, src)
			require.Equal(t, [2]int{c.u.Width, c.u.Height}, [2]int{a.Width, a.Height})
			// Where fetchtest put the face: FaceRect is the original's, and the changed picture
			// (ChangePicture, once) is the original mirrored.
			truth := c.u.FaceRect(c.u.Width, c.u.Height)
			if c.u.ID == right.ID {
				truth = image.Rect(c.u.Width-truth.Max.X, truth.Min.Y, c.u.Width-truth.Min.X, truth.Max.Y)
			}
			require.True(t, c.side(truth, a.Width), "face %v in a %d×%d original", truth, a.Width, a.Height)
			require.Len(t, a.Faces, 1, "the photograph has one face")
			face := a.Faces[0]
			assert.Greater(t, iou(face, truth), 0.8, "the face found %v, where it is %v", face, truth)
			const n = 200
			side := min(a.Width, a.Height) // c_fill,h_200,w_200 takes the largest square region
			cx, cy := (face.Min.X+face.Max.X)/2, (face.Min.Y+face.Max.Y)/2

			// The centre crop: its region misses the face entirely (where it is; the box found
			// may be a few pixels larger), and no face is found in it.
			centre := e.ok(t, fmt.Sprintf("/avatars/twitter/c_fill,g_center,h_%d,w_%d/%s.png", n, n, c.u.ID))
			region := image.Rect((a.Width-side)/2, (a.Height-side)/2, (a.Width+side)/2, (a.Height+side)/2)
			require.True(t, truth.Intersect(region).Empty(), "the centre region %v misses the face %v", region, truth)
			img, _ := decodeImage(t, centre.body)
			assert.Equal(t, image.Rect(0, 0, n, n), img.Bounds())
			assert.Empty(t, analyze(t, centre.body).Faces, "c_fill,g_center cuts the face off")

			// The face-aware fills: the region is centred on the face as far as the image allows,
			// so the whole face is in it, where the source's analysis puts it.
			origin := image.Pt(clampInt(cx-side/2, 0, a.Width-side), clampInt(cy-side/2, 0, a.Height-side))
			region = image.Rectangle{Min: origin, Max: origin.Add(image.Pt(side, side))}
			require.True(t, face.In(region), "face %v inside the face-aware region %v", face, region)
			want := scaleRect(face, origin, float64(side), n)
			for _, g := range []string{"face", "faces", "auto"} {
				res := e.ok(t, fmt.Sprintf("/avatars/twitter/c_fill,g_%s,h_%d,w_%d/%s.png", g, n, n, c.u.ID))
				img, _ := decodeImage(t, res.body)
				require.Equal(t, image.Rect(0, 0, n, n), img.Bounds())
				got := analyze(t, res.body).Faces
				require.NotEmpty(t, got, "g_%s keeps the face", g)
				assert.Greater(t, iou(got[0], want), 0.7, "g_%s: face at %v in the crop, the source's face maps to %v", g, got[0], want)
			}

			// c_thumb,g_face: the head and a little shoulder — the face box grown to 2.1 of its
			// side across and 2.3 down, more below it than above, centred on that — as a square
			// no larger than the picture, scaled to 200×200.
			res := e.ok(t, fmt.Sprintf("/avatars/twitter/c_thumb,g_face,h_%d,w_%d/%s.jpg", n, n, c.u.ID))
			assert.Equal(t, "image/jpeg", res.hdr.Get("Content-Type"))
			img, _ = decodeImage(t, res.body)
			require.Equal(t, image.Rect(0, 0, n, n), img.Bounds())
			got := analyze(t, res.body).Faces
			require.NotEmpty(t, got, "c_thumb,g_face keeps the face")
			fw, fh := 2.1*float64(face.Dx()), 2.3*float64(face.Dy())
			tside := math.Min(math.Max(fw, fh), float64(side))
			tcy := float64(face.Min.Y) + 0.7*float64(face.Dy()) // the grown box's centre
			torigin := image.Pt(clampInt(int(float64(cx)-tside/2), 0, a.Width-int(tside)), clampInt(int(tcy-tside/2), 0, a.Height-int(tside)))
			want = scaleRect(face, torigin, tside, n)
			assert.Greater(t, iou(got[0], want), 0.6, "c_thumb: face at %v, the source's face maps to %v", got[0], want)
			assert.InDelta(t, float64(n)*float64(face.Dx())/tside, float64(got[0].Dx()), 0.2*float64(n)*float64(face.Dx())/tside, "the face's share of the thumbnail")

			// c_crop,g_face without a size: the face with its margins (clipped to the picture),
			// no scaling.
			res = e.ok(t, "/avatars/twitter/c_crop,g_face/"+c.u.ID+".png")
			img, _ = decodeImage(t, res.body)
			assert.InDelta(t, math.Min(fw, float64(a.Width)), float64(img.Bounds().Dx()), 0.05*fw)
			assert.InDelta(t, math.Min(fh, float64(a.Height)), float64(img.Bounds().Dy()), 0.05*fh)
			assert.NotEmpty(t, analyze(t, res.body).Faces)
		})
	}
}

// TestTwentySizesOneAnalysis: twenty sizes of one avatar with g_face cost one download and one
// face analysis; twenty more, asked for at once with other face-aware crops, none more.
func TestTwentySizesOneAnalysis(t *testing.T) {
	e := newFinishEnv(t, nil)
	u := xUser(t, "face_far_left")
	for i := range 20 {
		n := 24 + 12*i
		res := e.ok(t, fmt.Sprintf("/avatars/twitter/c_thumb,g_face,h_%d,w_%d/%s.jpg", n, n, u.ID))
		img, _ := decodeImage(t, res.body)
		assert.Equal(t, image.Rect(0, 0, n, n), img.Bounds())
	}
	st := e.h.Stats()
	assert.EqualValues(t, 1, st.Analyses, "faces are detected once per picture")
	assert.EqualValues(t, 20, st.Transforms)
	assert.EqualValues(t, 1, st.OriginFetches)
	assert.Equal(t, 1, e.fake.Count(fetchtest.XLookup))
	assert.Equal(t, 1, e.fake.Count(fetchtest.XImage), "one download")

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			g := []string{"face", "faces", "auto"}[i%3]
			res := e.get(t, fmt.Sprintf("/avatars/twitter/c_fill,g_%s,h_%d,w_%d/%s.png", g, 30+i, 50+i, u.ID))
			assert.Equal(t, http.StatusOK, res.code, res.hdr.Get("X-Avatar-Error"))
		})
	}
	wg.Wait()
	st = e.h.Stats()
	assert.EqualValues(t, 1, st.Analyses, "the analysis is shared by every face-aware variant")
	assert.EqualValues(t, 40, st.Transforms)
	assert.Equal(t, 1, e.fake.Count(fetchtest.XImage))

	// A crop that needs no faces does not analyse.
	e.ok(t, "/avatars/twitter/c_fill,h_64,w_64/"+u.ID+".jpg")
	assert.EqualValues(t, 1, e.h.Stats().Analyses)
}

var (
	transparent = color.NRGBA{}
	white       = color.NRGBA{255, 255, 255, 255}
	red         = color.NRGBA{255, 0, 0, 255}
	blue        = color.NRGBA{0, 0, 255, 255}
)

// TestRoundedCornersAndBorders: r_ and bo_ through the handler: transparent outside the shape in
// PNG, white or the b_ colour in JPEG, and a border that follows the shape of r_ in its component.
func TestRoundedCornersAndBorders(t *testing.T) {
	e := newFinishEnv(t, nil)
	id := fetchtest.Users[0].ID // Amelia Hart, an opaque 960×960 JPEG
	path := func(tr, ext string) string { return "/avatars/facebook/" + tr + "/" + id + "." + ext }
	corners := func(img image.Image) []color.NRGBA {
		b := img.Bounds()
		return []color.NRGBA{nrgba(img, 0, 0), nrgba(img, b.Dx()-1, 0), nrgba(img, 0, b.Dy()-1), nrgba(img, b.Dx()-1, b.Dy()-1)}
	}

	// r_max on PNG: a circle, transparent outside.
	res := e.ok(t, path("c_fill,h_100,w_100,r_max", "png"))
	img, format := decodeImage(t, res.body)
	assert.Equal(t, "png", format)
	assert.Equal(t, image.Rect(0, 0, 100, 100), img.Bounds())
	for _, c := range corners(img) {
		assert.Equal(t, transparent.A, c.A, "corner %v", c)
	}
	assert.Equal(t, uint8(0), nrgba(img, 8, 8).A, "outside the circle")
	assert.Equal(t, uint8(255), nrgba(img, 50, 50).A, "inside the circle")
	assert.Equal(t, uint8(255), nrgba(img, 50, 2).A, "the circle touches the edges")
	// b_ does not fill the corners of a format with alpha.
	res = e.ok(t, path("b_red,c_fill,h_100,w_100,r_max", "png"))
	img, _ = decodeImage(t, res.body)
	assert.Equal(t, uint8(0), nrgba(img, 0, 0).A)

	// r_max on JPEG: white corners, or the b_ colour.
	res = e.ok(t, path("c_fill,h_100,w_100,r_max", "jpg"))
	assert.Equal(t, "image/jpeg", res.hdr.Get("Content-Type"))
	img, format = decodeImage(t, res.body)
	assert.Equal(t, "jpeg", format)
	for _, c := range corners(img) {
		assert.True(t, near(c, white, 6), "white corner, got %v", c)
	}
	for _, b := range []string{"b_red", "b_rgb:ff0000"} {
		res = e.ok(t, path(b+",c_fill,h_100,w_100,r_max", "jpg"))
		img, _ = decodeImage(t, res.body)
		for _, c := range corners(img) {
			assert.True(t, near(c, red, 30), "%s: red corner, got %v", b, c)
		}
	}
	// The last b_ of the chain is the one JPEG flattens onto.
	res = e.ok(t, path("b_red,c_fill,h_100,w_100/b_rgb:0000ff,r_max", "jpg"))
	img, _ = decodeImage(t, res.body)
	assert.True(t, near(nrgba(img, 0, 0), blue, 30), "got %v", nrgba(img, 0, 0))

	// r_<px>: only the corners are cut.
	res = e.ok(t, path("c_fill,h_100,w_100,r_20", "png"))
	img, _ = decodeImage(t, res.body)
	assert.Equal(t, uint8(0), nrgba(img, 2, 2).A)
	assert.Equal(t, uint8(255), nrgba(img, 50, 0).A, "a straight edge stays")
	assert.Equal(t, uint8(255), nrgba(img, 0, 50).A)

	// bo_ with r_max in one component: a ring around the circle, 4 px wide, outside it; the
	// corners stay transparent.
	res = e.ok(t, path("bo_4px_solid_blue,c_fill,h_100,w_100,r_max", "png"))
	img, _ = decodeImage(t, res.body)
	require.Equal(t, image.Rect(0, 0, 108, 108), img.Bounds(), "the border adds 4 px on each side")
	for _, c := range corners(img) {
		assert.Equal(t, uint8(0), c.A, "corner %v", c)
	}
	assert.Equal(t, uint8(0), nrgba(img, 10, 10).A, "outside the ring (62 px from the centre)")
	for _, p := range []image.Point{{54, 1}, {1, 54}, {106, 54}, {54, 106}, {17, 17}} { // 52-54 px from the centre
		assert.True(t, near(nrgba(img, p.X, p.Y), blue, 40), "ring at %v: %v", p, nrgba(img, p.X, p.Y))
	}
	assert.False(t, near(nrgba(img, 54, 54), blue, 60), "the picture inside the ring")
	// bo_ without r_: a square frame.
	res = e.ok(t, path("bo_4px_solid_blue,c_fill,h_100,w_100", "png"))
	img, _ = decodeImage(t, res.body)
	require.Equal(t, image.Rect(0, 0, 108, 108), img.Bounds())
	for _, c := range corners(img) {
		assert.Equal(t, blue, c)
	}
	// bo_ in a component after r_max's: it frames the whole (square) picture, not the circle.
	res = e.ok(t, path("c_fill,h_100,w_100/r_max/bo_4px_solid_blue", "png"))
	img, _ = decodeImage(t, res.body)
	assert.Equal(t, blue, nrgba(img, 0, 0))
	assert.Equal(t, uint8(0), nrgba(img, 8, 8).A, "the circle's corners inside the frame")
	// A ring on JPEG: white outside it.
	res = e.ok(t, path("bo_4px_solid_blue,c_fill,h_100,w_100,r_max", "jpg"))
	img, _ = decodeImage(t, res.body)
	assert.True(t, near(nrgba(img, 0, 0), white, 6), "got %v", nrgba(img, 0, 0))
	assert.True(t, near(nrgba(img, 54, 1), blue, 60), "got %v", nrgba(img, 54, 1))
}

// TestRotations: a_90 and a_270 swap width and height and turn the pixels clockwise; flips mirror.
func TestRotations(t *testing.T) {
	e := newFinishEnv(t, nil)
	id := fetchtest.Users[0].ID
	base, _ := decodeImage(t, e.ok(t, "/avatars/facebook/c_fill,h_60,w_120/"+id+".png").body)
	require.Equal(t, image.Rect(0, 0, 120, 60), base.Bounds())
	for _, c := range []struct {
		tr   string
		w, h int
		from func(x, y int) (int, int) // the pixel of base that lands at (x, y)
	}{
		{"c_fill,h_60,w_120/a_90", 60, 120, func(x, y int) (int, int) { return y, 59 - x }},
		{"a_90,c_fill,h_60,w_120", 60, 120, func(x, y int) (int, int) { return y, 59 - x }},
		{"c_fill,h_60,w_120/a_180", 120, 60, func(x, y int) (int, int) { return 119 - x, 59 - y }},
		{"c_fill,h_60,w_120/a_270", 60, 120, func(x, y int) (int, int) { return 119 - y, x }},
		{"c_fill,h_60,w_120/a_hflip", 120, 60, func(x, y int) (int, int) { return 119 - x, y }},
		{"c_fill,h_60,w_120/a_vflip", 120, 60, func(x, y int) (int, int) { return x, 59 - y }},
	} {
		img, _ := decodeImage(t, e.ok(t, "/avatars/facebook/"+c.tr+"/"+id+".png").body)
		require.Equal(t, image.Rect(0, 0, c.w, c.h), img.Bounds(), c.tr)
		diff := 0
		for y := range c.h {
			for x := range c.w {
				bx, by := c.from(x, y)
				if nrgba(img, x, y) != nrgba(base, bx, by) {
					diff++
				}
			}
		}
		assert.Zero(t, diff, "%s: pixels not where the rotation puts them", c.tr)
	}
}

// TestEffects: e_ through the handler; and every value out of its range is a 400 naming it.
func TestEffects(t *testing.T) {
	e := newFinishEnv(t, nil)
	id := fetchtest.Users[0].ID
	get := func(tr string) image.Image {
		img, format := decodeImage(t, e.ok(t, "/avatars/facebook/"+tr+"/"+id+".png").body)
		require.Equal(t, "png", format)
		require.Equal(t, image.Rect(0, 0, 80, 80), img.Bounds(), tr)
		return img
	}
	base := get("c_fill,h_80,w_80")
	colourful := 0
	gray := get("c_fill,e_grayscale,h_80,w_80")
	for y := range 80 {
		for x := range 80 {
			c := nrgba(gray, x, y)
			if b := nrgba(base, x, y); b.R != b.G || b.G != b.B {
				colourful++
			}
			if c.R != c.G || c.G != c.B {
				t.Fatalf("e_grayscale: pixel (%d,%d) is %v", x, y, c)
			}
		}
	}
	assert.Greater(t, colourful, 80*80/2, "the picture itself has colours")
	// In a component of its own, after the crop, the same.
	assert.Equal(t, gray, get("c_fill,h_80,w_80/e_grayscale"))

	neg := get("c_fill,e_negate,h_80,w_80")
	for _, p := range []image.Point{{0, 0}, {40, 40}, {79, 10}} {
		b, n := nrgba(base, p.X, p.Y), nrgba(neg, p.X, p.Y)
		assert.True(t, near(n, color.NRGBA{255 - b.R, 255 - b.G, 255 - b.B, 255}, 1), "e_negate at %v: %v of %v", p, n, b)
	}

	pix := get("c_fill,e_pixelate:10,h_80,w_80")
	for by := 0; by < 80; by += 10 {
		for bx := 0; bx < 80; bx += 10 {
			c := nrgba(pix, bx, by)
			for y := by; y < by+10; y++ {
				for x := bx; x < bx+10; x++ {
					require.Equal(t, c, nrgba(pix, x, y), "e_pixelate:10: block at (%d,%d)", bx, by)
				}
			}
		}
	}

	// blur takes detail away; sharpen adds some.
	detail := func(img image.Image) int {
		sum := 0
		for y := range 80 {
			for x := 1; x < 80; x++ {
				a, b := nrgba(img, x, y), nrgba(img, x-1, y)
				sum += max(int(a.G)-int(b.G), int(b.G)-int(a.G))
			}
		}
		return sum
	}
	assert.Less(t, detail(get("c_fill,e_blur:200,h_80,w_80")), detail(base)/2)
	assert.Greater(t, detail(get("c_fill,e_sharpen:400,h_80,w_80")), detail(base))

	sepia := get("c_fill,e_sepia,h_80,w_80")
	c := nrgba(sepia, 40, 40)
	assert.True(t, c.R >= c.G && c.G >= c.B && c.R > c.B, "e_sepia is warm: %v", c)
	for _, tr := range []string{"e_sepia:30", "e_brightness:30", "e_brightness:-99", "e_contrast:50", "e_contrast:-100", "e_saturation:-100", "e_saturation:100", "e_blur", "e_pixelate", "e_sharpen"} {
		img := get("c_fill,h_80,w_80," + tr)
		assert.NotEqual(t, base, img, tr)
	}

	for _, bad := range []struct{ param, want string }{
		{"e_sepia:0", "1 to 100"},
		{"e_sepia:101", "1 to 100"},
		{"e_blur:0", "1 to 2000"},
		{"e_blur:2001", "1 to 2000"},
		{"e_blur:-5", "1 to 2000"},
		{"e_blur:abc", "1 to 2000"},
		{"e_pixelate:201", "1 to 200"},
		{"e_sharpen:2001", "1 to 2000"},
		{"e_brightness:-100", "-99 to 100"},
		{"e_brightness:101", "-99 to 100"},
		{"e_contrast:101", "-100 to 100"},
		{"e_contrast:-101", "-100 to 100"},
		{"e_saturation:101", "-100 to 100"},
		{"e_brightness:", "-99 to 100"},
		{"e_grayscale:5", "takes no value"},
		{"e_negate:1", "takes no value"},
		{"e_emboss", "unknown effect"},
	} {
		res := e.get(t, "/avatars/facebook/c_fill,h_80,w_80,"+bad.param+"/"+id+".png")
		assert.Equal(t, http.StatusBadRequest, res.code, bad.param)
		reason := res.hdr.Get("X-Avatar-Error")
		assert.True(t, strings.HasPrefix(reason, bad.param+": "), "%s: the reason %q names it", bad.param, reason)
		assert.Contains(t, reason, bad.want, bad.param)
		assert.Equal(t, reason+"\n", string(res.body))
	}
	assert.Zero(t, e.fake.Count(fetchtest.FacebookLookup)-1, "refusals never reach the network")
}

func pngOf(t testing.TB, w, h int, c color.NRGBA) []byte {
	t.Helper()
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, m))
	return buf.Bytes()
}

func maxAge(t testing.TB, r finishRes) int {
	t.Helper()
	var n int
	_, err := fmt.Sscanf(r.hdr.Get("Cache-Control"), "public, max-age=%d", &n)
	require.NoError(t, err, r.hdr.Get("Cache-Control"))
	return n
}

// TestDefaultPictures: d_identicon and configured d_<name> stand in for users without a picture
// of their own, transformed like a picture; users with one are served as without d_.
func TestDefaultPictures(t *testing.T) {
	const negativeTTL = 2 * time.Minute
	teal := color.NRGBA{0, 128, 128, 255}
	mod := func(c *avatarmw.Config) {
		c.NegativeTTL = negativeTTL
		c.DefaultImages = map[string][]byte{"brand": pngOf(t, 40, 30, teal)}
	}
	e := newFinishEnv(t, mod)
	var nobody, fiona, newUser fetchtest.User
	for _, u := range fetchtest.Users {
		switch {
		case u.NoPicture:
			nobody = u
		case u.Default && u.Network == fetchtest.Facebook:
			fiona = u
		case u.Default && u.Network == fetchtest.X:
			newUser = u
		}
	}
	real := fetchtest.Users[0]

	without := []struct{ name, typ, id string }{
		{"no such facebook user", "facebook", fetchtest.MissingFacebookID},
		{"no such x user", "twitter", fetchtest.MissingXID},
		{"no such x screen name", "twitter_name", fetchtest.MissingXName},
		{"no such gravatar", "gravatar", fetchtest.MissingGravatarHash},
		{"gravatar without an avatar", "gravatar", nobody.ID},
		{"facebook silhouette", "facebook", fiona.ID},
		{"x default profile image", "twitter", newUser.ID},
	}
	identicons := map[string]string{}
	for _, u := range without {
		t.Run(u.name, func(t *testing.T) {
			for _, ext := range []string{"png", "jpg"} {
				p := fmt.Sprintf("/avatars/%s/c_fill,d_identicon,h_64,w_64/%s.%s", u.typ, u.id, ext)
				res := e.ok(t, p)
				assert.Equal(t, map[string]string{"png": "image/png", "jpg": "image/jpeg"}[ext], res.hdr.Get("Content-Type"))
				img, format := decodeImage(t, res.body)
				assert.Equal(t, map[string]string{"png": "png", "jpg": "jpeg"}[ext], format)
				assert.Equal(t, image.Rect(0, 0, 64, 64), img.Bounds(), "the transformation applies")
				assert.Equal(t, "identicon", res.hdr.Get("X-Avatar-Default"))
				assert.LessOrEqual(t, maxAge(t, res), int(negativeTTL/time.Second))
				again := e.ok(t, p)
				assert.Equal(t, res.body, again.body, "deterministic")
				assert.Equal(t, res.hdr.Get("ETag"), again.hdr.Get("ETag"))
				if ext == "png" {
					identicons[u.name] = string(res.body)
				}
			}
			// d_ in a component of its own is the same; other transformations still apply.
			res := e.ok(t, fmt.Sprintf("/avatars/%s/d_identicon/c_fill,h_64,w_64/%s.png", u.typ, u.id))
			assert.Equal(t, identicons[u.name], string(res.body))
			res = e.ok(t, fmt.Sprintf("/avatars/%s/d_identicon,w_32/%s.png", u.typ, u.id))
			img, _ := decodeImage(t, res.body)
			assert.Equal(t, 32, img.Bounds().Dx())
			res = e.ok(t, fmt.Sprintf("/avatars/%s/c_fill,d_identicon,h_64,r_max,w_64/%s.png", u.typ, u.id))
			img, _ = decodeImage(t, res.body)
			assert.Equal(t, uint8(0), nrgba(img, 0, 0).A, "a round identicon")

			// A configured default picture, transformed too.
			res = e.ok(t, fmt.Sprintf("/avatars/%s/c_fill,d_brand,h_20,w_50/%s.png", u.typ, u.id))
			assert.Equal(t, "brand", res.hdr.Get("X-Avatar-Default"))
			assert.LessOrEqual(t, maxAge(t, res), int(negativeTTL/time.Second))
			// Versioned, a default is still brief: the user may get a picture of their own.
			v := e.ok(t, fmt.Sprintf("/avatars/%s/c_fill,d_brand,h_20,w_50/v3/%s.png", u.typ, u.id))
			assert.Equal(t, "brand", v.hdr.Get("X-Avatar-Default"))
			assert.LessOrEqual(t, maxAge(t, v), int(negativeTTL/time.Second))
			img, _ = decodeImage(t, res.body)
			require.Equal(t, image.Rect(0, 0, 50, 20), img.Bounds())
			assert.Equal(t, teal, nrgba(img, 25, 10))
		})
	}
	seen := map[string]bool{}
	for name, b := range identicons {
		assert.False(t, seen[b], "%s: every user has an identicon of their own", name)
		seen[b] = true
	}
	// The identicon is drawn from the identity alone: another handler draws the same.
	e2 := newFinishEnv(t, mod)
	assert.Equal(t, identicons["no such facebook user"],
		string(e2.ok(t, "/avatars/facebook/c_fill,d_identicon,h_64,w_64/"+fetchtest.MissingFacebookID+".png").body))

	// Without d_: no such user and no picture stay 404; a generic picture is served as it is.
	for _, u := range without {
		res := e.get(t, fmt.Sprintf("/avatars/%s/c_fill,h_64,w_64/%s.png", u.typ, u.id))
		switch u.id {
		case fiona.ID, newUser.ID:
			assert.Equal(t, http.StatusOK, res.code, u.name)
		default:
			assert.Equal(t, http.StatusNotFound, res.code, u.name)
			assert.NotEmpty(t, res.hdr.Get("X-Avatar-Error"), u.name)
		}
		assert.Empty(t, res.hdr.Get("X-Avatar-Default"), u.name)
	}

	// A user with a picture of their own: d_ changes nothing.
	plain := e.ok(t, "/avatars/facebook/c_fill,h_64,w_64/"+real.ID+".png")
	for _, d := range []string{"d_identicon", "d_brand"} {
		for _, p := range []string{
			"/avatars/facebook/c_fill," + d + ",h_64,w_64/" + real.ID + ".png",
			"/avatars/facebook/" + d + "/c_fill,h_64,w_64/" + real.ID + ".png",
		} {
			res := e.ok(t, p)
			assert.Equal(t, plain.hdr.Get("ETag"), res.hdr.Get("ETag"), p)
			assert.Equal(t, plain.body, res.body, p)
			assert.Empty(t, res.hdr.Get("X-Avatar-Default"), p)
			assert.InDelta(t, maxAge(t, plain), maxAge(t, res), 5, "%s: fresh for the refresh period, like the picture without d_", p)
		}
	}

	// An unknown default picture is a 400 naming it, whoever the user.
	for _, id := range []string{real.ID, fetchtest.MissingFacebookID} {
		res := e.get(t, "/avatars/facebook/c_fill,d_nope,h_64,w_64/"+id+".png")
		assert.Equal(t, http.StatusBadRequest, res.code)
		assert.Contains(t, res.hdr.Get("X-Avatar-Error"), "d_nope")
	}
	st := e.h.Stats()
	assert.Positive(t, st.DefaultsServed)
}

// TestFormatAuto: f_auto serves the smallest encoding among the formats the Accept header allows
// (AVIF and WebP only when named), says Vary: Accept on every response, and keeps one cache entry
// per set of accepted formats.
func TestFormatAuto(t *testing.T) {
	e := newFinishEnv(t, nil)
	const tr = "c_fill,h_120,w_120"
	const (
		a = imageops.AVIF
		w = imageops.WebP
		p = imageops.PNG
		j = imageops.JPEG
	)
	const (
		chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
		safari = "image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5" // 13: no WebP
	)
	for _, c := range []struct {
		name  string
		u     fetchtest.User
		chain string
		// What each Accept gets: a photograph AVIF, lossy WebP or JPEG; a picture kept
		// lossless (PNG and lossless WebP originals) PNG, or lossless WebP when PNG is not
		// acceptable, never JPEG when transparent.
		want map[string]imageops.Format
	}{
		{"opaque photograph", xUser(t, "face_far_left"), tr + ",g_face", map[string]imageops.Format{
			chrome: a, "image/webp,*/*": w, safari: j, "*/*": j, "image/jpeg": j, "image/png,image/jpeg": j, "image/webp": w, "": j}},
		{"transparent PNG", xUser(t, "Pixel_Pip"), tr, map[string]imageops.Format{
			chrome: p, "image/webp,*/*": p, safari: p, "*/*": p, "image/jpeg": j, "image/png,image/jpeg": p, "image/webp": w, "": p}},
		{"round, from lossless WebP", xUser(t, "WebPioneer"), tr + ",r_max", map[string]imageops.Format{
			chrome: p, "image/webp,*/*": p, safari: p, "*/*": p, "image/jpeg": j, "image/png,image/jpeg": p, "image/webp": w, "": w}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := e.original(t, c.u.ID)
			// Every format the chain could be encoded in, transformed here.
			bytesOf := map[imageops.Format][]byte{}
			for _, f := range []imageops.Format{a, w, p, j} {
				out, err := imageops.Transform(context.Background(), src, chainOf(t, c.chain), f, imageops.Limits{})
				require.NoError(t, err)
				bytesOf[f] = out.Bytes
			}
			path := "/avatars/twitter/" + c.chain + ",f_auto/" + c.u.ID
			before := e.h.Stats().Transforms
			etags := map[string]string{}
			for accept, want := range c.want {
				var hdr []string
				if accept != "" {
					hdr = []string{"Accept", accept}
				}
				res := e.ok(t, path, hdr...)
				assert.Equal(t, "Accept", res.hdr.Get("Vary"), accept)
				assert.Equal(t, want.ContentType(), res.hdr.Get("Content-Type"), "Accept %q", accept)
				assert.Equal(t, bytesOf[want], res.body, "Accept %q: the %s encoding", accept, want)
				img, _ := decodeImage(t, res.body)
				assert.Equal(t, image.Rect(0, 0, 120, 120), img.Bounds())
				etags[accept] = res.hdr.Get("ETag")
			}
			// Safari's header and */* are one set of formats, as are image/webp,*/* and Edge's.
			assert.EqualValues(t, len(c.want)-1, e.h.Stats().Transforms-before, "one cache entry per set of accepted formats")
			// Served the smaller: the photograph's AVIF and lossy WebP beat its JPEG.
			if c.u.Photo {
				assert.Less(t, len(bytesOf[a]), len(bytesOf[w]))
				assert.Less(t, len(bytesOf[w]), len(bytesOf[j]))
			}

			// The same sets of formats, written otherwise: the same entries, no new transform.
			before = e.h.Stats().Transforms
			for accept, same := range map[string]string{
				"image/*,*/*":                     safari,
				"image/*, image/webp;q=0.9":       "image/webp,*/*",
				"image/webp,image/apng,*/*;q=0.8": "image/webp,*/*",
				"image/jpeg;q=0.8":                "image/jpeg",
				"image/jpg":                       "image/jpeg",
				"text/html":                       "", // accepts none of the image formats: as without Accept
			} {
				res := e.ok(t, path, "Accept", accept)
				assert.Equal(t, etags[same], res.hdr.Get("ETag"), "Accept %q", accept)
				assert.Equal(t, "Accept", res.hdr.Get("Vary"))
			}
			assert.Zero(t, e.h.Stats().Transforms-before)
			// q=0 refuses a format even when a wildcard would take it. (Left with JPEG and GIF, a
			// transparent result is JPEG: GIF is dropped first, as another format is acceptable.)
			res := e.ok(t, path, "Accept", "image/webp;q=0,image/png;q=0,*/*")
			assert.Equal(t, "image/jpeg", res.hdr.Get("Content-Type"))
			assert.Equal(t, bytesOf[j], res.body)

			// An extension is only what f_auto falls back to.
			res = e.ok(t, path+".png")
			assert.Equal(t, "image/png", res.hdr.Get("Content-Type"))
			res = e.ok(t, path+".png", "Accept", "image/webp")
			assert.Equal(t, "image/webp", res.hdr.Get("Content-Type"))

			// Vary: Accept on a 304 too.
			res = e.ok(t, path, "Accept", "image/webp")
			nm := e.get(t, path, "Accept", "image/webp", "If-None-Match", res.hdr.Get("ETag"))
			assert.Equal(t, http.StatusNotModified, nm.code)
			assert.Equal(t, "Accept", nm.hdr.Get("Vary"))
		})
	}

	// Vary: Accept on an f_auto error, and only with f_auto.
	res := e.get(t, "/avatars/facebook/"+tr+",f_auto/"+fetchtest.MissingFacebookID, "Accept", "image/webp")
	assert.Equal(t, http.StatusNotFound, res.code)
	assert.Equal(t, "Accept", res.hdr.Get("Vary"))
	res = e.ok(t, "/avatars/facebook/"+tr+"/"+fetchtest.Users[0].ID+".png", "Accept", "image/webp")
	assert.Empty(t, res.hdr.Get("Vary"))
	assert.Equal(t, "image/png", res.hdr.Get("Content-Type"))
	res = e.ok(t, "/avatars/facebook/f_auto/"+tr+",f_png/"+fetchtest.Users[0].ID, "Accept", "image/webp")
	assert.Empty(t, res.hdr.Get("Vary"), "the last f_ is not f_auto")
	assert.Equal(t, "image/png", res.hdr.Get("Content-Type"))
}

// TestWebPAndAVIF: .webp and f_webp give lossless WebP (the pixels of the PNG) for PNG and
// lossless WebP originals and lossy WebP for a photograph; .avif and f_avif give AVIF.
func TestWebPAndAVIF(t *testing.T) {
	e := newFinishEnv(t, nil)
	for _, u := range []fetchtest.User{xUser(t, "face_far_left"), xUser(t, "Pixel_Pip"), xUser(t, "WebPioneer")} {
		ref, _ := decodeImage(t, e.ok(t, "/avatars/twitter/c_thumb,g_face,h_100,w_100,r_max/"+u.ID+".png").body)
		jpegDiff := 0.0 // the JPEG's mean difference from the PNG, in green
		for _, p := range []string{
			"/avatars/twitter/c_thumb,g_face,h_100,w_100,r_max/" + u.ID + ".jpg",
			"/avatars/twitter/c_thumb,g_face,h_100,w_100,r_max/" + u.ID + ".webp",
			"/avatars/twitter/c_thumb,f_webp,g_face,h_100,w_100,r_max/" + u.ID + ".jpg",
			"/avatars/twitter/c_thumb,g_face,h_100,w_100,r_max/f_webp/" + u.ID,
			"/avatars/twitter/c_thumb,g_face,h_100,w_100,r_max/" + u.ID + ".avif",
			"/avatars/twitter/c_thumb,g_face,h_100,w_100,r_max/f_avif/" + u.ID + ".png",
		} {
			res := e.ok(t, p)
			avif := strings.Contains(p, "avif")
			want := "image/webp"
			if avif {
				want = "image/avif"
			}
			if jpeg := strings.HasSuffix(p, ".jpg") && !strings.Contains(p, "f_webp"); jpeg {
				want = "image/jpeg"
			}
			assert.Equal(t, want, res.hdr.Get("Content-Type"), p)
			img, _ := decodeImage(t, res.body)
			require.Equal(t, image.Rect(0, 0, 100, 100), img.Bounds(), p)
			diff, sum, n := 0, 0, 0
			for y := range 100 {
				for x := range 100 {
					a, b := nrgba(img, x, y), nrgba(ref, x, y)
					if a.A == 0 && b.A == 0 {
						continue // the colour of a transparent pixel does not matter
					}
					if !near(a, b, 1) {
						diff++
					}
					sum += max(int(a.G)-int(b.G), int(b.G)-int(a.G))
					n++
				}
			}
			mean := float64(sum) / float64(n)
			switch {
			case want == "image/jpeg":
				jpegDiff = mean
			case u.Photo || avif:
				// Lossy at the quality that matches the JPEG's (on photographs; these generated
				// pictures have more fine noise, which WebP smooths more than JPEG).
				assert.Less(t, mean, 2*jpegDiff+1, "%s: lossy, near the PNG", p)
			default:
				assert.Zero(t, diff, "%s: lossless, the pixels of the PNG", p)
			}
		}
	}
	// A WebP original without a transformation keeps its format.
	res := e.ok(t, "/avatars/twitter/"+xUser(t, "WebPioneer").ID)
	assert.Equal(t, "image/webp", res.hdr.Get("Content-Type"))
	_, err := webp.Decode(bytes.NewReader(res.body))
	assert.NoError(t, err)
}

// TestNamedTransformations: t_<name> expands to its definition (the same bytes and cache entry as
// the written-out transformation), unknown names and t_ mixed with other parameters are 400s, and
// with strict transformations named ones work unsigned.
func TestNamedTransformations(t *testing.T) {
	named := map[string]string{
		"avatar": "c_thumb,g_face,h_90,w_90/r_max",
		"gray":   "e_grayscale",
		"ring":   "bo_2px_solid_white,c_fill,g_face,h_64,r_max,w_64",
	}
	e := newFinishEnv(t, func(c *avatarmw.Config) { c.NamedTransformations = named })
	u := xUser(t, "face_far_left")
	for _, c := range []struct{ named, written string }{
		{"t_avatar", "c_thumb,g_face,h_90,w_90/r_max"},
		{"t_avatar/t_gray", "c_thumb,g_face,h_90,w_90/r_max/e_grayscale"},
		{"t_gray/t_avatar", "e_grayscale/c_thumb,g_face,h_90,w_90/r_max"},
		{"t_ring", "c_fill,g_face,h_64,w_64,r_max,bo_2px_solid_white"},
		{"c_scale,w_200/t_ring", "c_scale,w_200/bo_2px_solid_white,c_fill,g_face,h_64,r_max,w_64"},
	} {
		n := e.ok(t, "/avatars/twitter/"+c.named+"/"+u.ID+".png")
		before := e.h.Stats().Transforms
		w := e.ok(t, "/avatars/twitter/"+c.written+"/"+u.ID+".png")
		assert.Equal(t, n.body, w.body, c.named)
		assert.Equal(t, n.hdr.Get("ETag"), w.hdr.Get("ETag"), c.named)
		assert.Zero(t, e.h.Stats().Transforms-before, "%s: one cache entry for both spellings", c.named)
	}
	img, _ := decodeImage(t, e.ok(t, "/avatars/twitter/t_avatar/"+u.ID+".png").body)
	assert.Equal(t, image.Rect(0, 0, 90, 90), img.Bounds())
	assert.Equal(t, uint8(0), nrgba(img, 0, 0).A)

	for _, bad := range []struct{ tr, part string }{
		{"t_nope", "t_nope"},
		{"t_avatar,w_10", "t_avatar"},
		{"w_10,t_avatar", "t_avatar"},
		{"t_avatar,t_gray", "t_"},
		{"t_gray/t_nope", "t_nope"},
	} {
		res := e.get(t, "/avatars/twitter/"+bad.tr+"/"+u.ID+".png")
		assert.Equal(t, http.StatusBadRequest, res.code, bad.tr)
		assert.Contains(t, res.hdr.Get("X-Avatar-Error"), bad.part, bad.tr)
	}

	// Strict transformations: unsigned URLs may use named transformations only.
	const secret = "finish-test-secret-0123456789"
	s := newFinishEnv(t, func(c *avatarmw.Config) {
		c.NamedTransformations = named
		c.Secrets = []string{secret}
		c.Restricted = []string{}
		c.StrictTransformations = true
	})
	unsigned := s.ok(t, "/avatars/twitter/t_avatar/"+u.ID+".png")
	assert.Equal(t, img.Bounds(), func() image.Rectangle { m, _ := decodeImage(t, unsigned.body); return m.Bounds() }())
	assert.Equal(t, http.StatusOK, s.get(t, "/avatars/twitter/t_avatar/t_gray/"+u.ID+".png").code)
	for _, tr := range []string{"c_thumb,g_face,h_90,w_90/r_max", "t_avatar/e_grayscale", "t_avatar/d_identicon"} {
		res := s.get(t, "/avatars/twitter/"+tr+"/"+u.ID+".png")
		assert.Equal(t, http.StatusForbidden, res.code, tr)
	}
	signed := s.ok(t, s.url(t, "twitter", u.ID, "c_thumb,g_face,h_90,w_90/r_max", "png"))
	assert.Contains(t, s.url(t, "twitter", u.ID, "c_thumb,g_face,h_90,w_90/r_max", "png"), "/s--")
	assert.Equal(t, unsigned.body, signed.body, "the named and the signed written-out transformation")
	assert.Equal(t, strconv.Itoa(len(signed.body)), signed.hdr.Get("Content-Length"))
	// An unknown name is a 400 naming it, not a signature problem.
	res := s.get(t, "/avatars/twitter/t_nope/"+u.ID+".png")
	assert.Equal(t, http.StatusBadRequest, res.code)
	assert.Contains(t, res.hdr.Get("X-Avatar-Error"), "t_nope")
}
