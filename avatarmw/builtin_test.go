package avatarmw

import (
	"bytes"
	"html/template"
	"image"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

// builtinSizes are the built-in names with the size they give: w×h, or a width (h 0: the
// source's ratio).
var builtinSizes = map[string]image.Point{
	"x_mini": {24, 24}, "x_normal": {48, 48}, "x_bigger": {73, 73},
	"fb_square": {50, 50}, "fb_small": {50, 0}, "fb_normal": {100, 0}, "fb_large": {200, 0},
	"banner_web": {520, 260}, "banner_web_retina": {1040, 520}, "banner_ipad": {626, 313},
	"banner_ipad_retina": {1252, 626}, "banner_mobile": {320, 160}, "banner_mobile_retina": {640, 320},
	"banner_300x100": {300, 100}, "banner_600x200": {600, 200}, "banner_1500x500": {1500, 500},
}

func TestBuiltinTransformationsAreTheNetworksSizes(t *testing.T) {
	all := BuiltinTransformations()
	require.Len(t, all, len(builtinSizes))
	for name, size := range builtinSizes {
		tr, ok := all[name]
		require.True(t, ok, name)
		ch, err := imageops.ParseChain(strings.Split(tr, "/"))
		require.NoError(t, err, name)
		require.Len(t, ch.Steps, 1, name)
		s := ch.Steps[0]
		assert.Equal(t, size.X, s.Width.Px, name)
		switch {
		case size.Y == 0:
			assert.Equal(t, "c_scale,w_"+strconv.Itoa(size.X), tr, "%s: a width, scaled", name)
		case size.X == size.Y:
			assert.Equal(t, "c_fill,g_face,h_"+strconv.Itoa(size.Y)+",w_"+strconv.Itoa(size.X), tr, "%s: a square around the face", name)
		default:
			assert.Equal(t, "c_fill,h_"+strconv.Itoa(size.Y)+",w_"+strconv.Itoa(size.X), tr, "%s: filled at its size", name)
		}
	}
	all["x_mini"] = "w_1"
	assert.NotEqual(t, "w_1", BuiltinTransformations()["x_mini"], "a copy")
}

// TestBuiltinTransformationsOnEveryType asks every built-in name of every type (with -short, each
// name of one type, in turn) and checks the size of the answer.
func TestBuiltinTransformationsOnEveryType(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	// Small sources, one of them not square: quick to decode and analyse.
	fb := fake.AddUser(fetchtest.User{Network: "facebook", Width: 256})
	kit := fake.AddUser(fetchtest.User{Network: "x", Width: 256, Banner: true})
	wide := fake.AddUser(fetchtest.User{Network: "x", Width: 300, Height: 200, Banner: true})
	grav := fake.AddUser(fetchtest.User{Network: "gravatar", Width: 256})
	// Each avatar with the size of its source.
	avatars := []struct {
		typ, id string
		src     image.Point
	}{
		{"facebook", fb.ID, image.Pt(fb.Width, fb.Height)},
		{"twitter", kit.ID, image.Pt(kit.Width, kit.Height)},
		{"twitter_name", wide.Name, image.Pt(wide.Width, wide.Height)},
		{"gravatar", grav.ID, image.Pt(grav.Width, grav.Height)},
		{"twitter_banner", kit.ID, image.Pt(1500, 500)},
		{"twitter_name_banner", wide.Name, image.Pt(1500, 500)},
	}
	names := make([]string, 0, len(builtinSizes))
	for name := range builtinSizes {
		names = append(names, name)
	}
	for i, name := range names {
		for j, a := range avatars {
			if testing.Short() && (i+j)%len(avatars) != 0 {
				continue
			}
			path := "/avatars/" + a.typ + "/t_" + name + "/" + a.id + ".jpg"
			res := do(t, srv, "GET", path)
			require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", path, short(res.body))
			img, format := decode(t, res.body)
			assert.Equal(t, "jpeg", format)
			want := builtinSizes[name]
			if want.Y == 0 {
				s := a.src
				want.Y = int(math.Round(float64(want.X) * float64(s.Y) / float64(s.X)))
			}
			got := img.Bounds().Size()
			assert.Equal(t, want.X, got.X, path)
			assert.InDelta(t, want.Y, got.Y, 1, path)
		}
	}
	for _, typ := range []fetchtest.Kind{fetchtest.XBanner, fetchtest.XBannerImage} {
		assert.Equal(t, 2, fake.Count(typ), "%s: every banner size from one download of each banner", typ)
	}
}

// TestBuiltinTransformationsConfigured: a configured name replaces a built-in one; the limits are
// checked when a request names one; under StrictTransformations unsigned URLs may use them.
func TestBuiltinTransformationsConfigured(t *testing.T) {
	u := user(t, "facebook", plain)
	_, _, srv := newTestHandler(t, func(c *Config) {
		c.NamedTransformations = map[string]string{"x_normal": "c_fill,h_10,w_10", "mine": "w_20"}
		c.Limits.MaxOutputSide = 1024
	})
	img, _ := decode(t, do(t, srv, "GET", "/avatars/facebook/t_x_normal/"+u.ID+".png").body)
	assert.Equal(t, image.Pt(10, 10), img.Bounds().Size(), "the configured x_normal")
	img, _ = decode(t, do(t, srv, "GET", "/avatars/facebook/t_x_bigger/"+u.ID+".png").body)
	assert.Equal(t, image.Pt(73, 73), img.Bounds().Size(), "the other built-in names stay")
	res := do(t, srv, "GET", "/avatars/facebook/t_banner_1500x500/"+u.ID+".png")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode, "beyond MaxOutputSide 1024")
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "1500")
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/facebook/t_banner_web/"+u.ID+".png").StatusCode)

	const secret = "builtin-test-secret-0123456789"
	h, _, strict := newTestHandler(t, func(c *Config) {
		c.Secrets = []string{secret}
		c.Restricted = []string{}
		c.StrictTransformations = true
	})
	for _, tr := range []string{"t_fb_square", "t_x_mini/t_fb_large", "t_banner_mobile"} {
		res := do(t, strict, "GET", "/avatars/facebook/"+tr+"/"+u.ID+".jpg")
		assert.Equal(t, http.StatusOK, res.StatusCode, "%s, unsigned: %s", tr, short(res.body))
	}
	res = do(t, strict, "GET", "/avatars/facebook/c_fill,g_face,h_50,w_50/"+u.ID+".jpg")
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "the same size written out needs a signature")
	url, err := h.URL(Avatar{Type: "facebook", ID: u.ID, Transformation: "t_fb_square", Format: "jpg"})
	require.NoError(t, err)
	assert.Contains(t, url, "/s--")
	assert.Equal(t, http.StatusOK, do(t, strict, "GET", url).StatusCode)
}

// TestBuiltinTransformationsInURLsAndTemplates: the URL builder and the template helpers know the
// built-in names.
func TestBuiltinTransformationsInURLsAndTemplates(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	kit, _ := fetchtest.LookupName("AvatarKit")
	url, err := h.URL(Avatar{Type: "twitter_name_banner", ID: "AvatarKit", Transformation: "t_banner_web", Format: "jpeg"})
	require.NoError(t, err)
	assert.Equal(t, "/avatars/twitter_name_banner/t_banner_web/avatarkit.jpg", url)
	_, err = h.URL(Avatar{Type: "twitter", ID: kit.ID, Transformation: "t_x_huge"})
	assert.ErrorContains(t, err, "t_x_huge")

	page := template.Must(template.New("p").Funcs(h.TemplateFuncs()).Parse(
		`{{avatar "twitter" .ID "t_x_bigger" "png"}}|{{avatarSrcset "facebook" .FB "t_fb_square" "jpg"}}`))
	var out bytes.Buffer
	fb := user(t, "facebook", plain)
	require.NoError(t, page.Execute(&out, map[string]string{"ID": kit.ID, "FB": fb.ID}))
	parts := strings.Split(out.String(), "|")
	assert.Equal(t, "/avatars/twitter/t_x_bigger/"+kit.ID+".png", parts[0])
	assert.Equal(t, "/avatars/facebook/c_fill,g_face,h_50,w_50/"+fb.ID+".jpg 1x, "+
		"/avatars/facebook/c_fill,dpr_2.0,g_face,h_50,w_50/"+fb.ID+".jpg 2x, "+
		"/avatars/facebook/c_fill,dpr_3.0,g_face,h_50,w_50/"+fb.ID+".jpg 3x", parts[1],
		"the size inside t_fb_square is spelled out to be multiplied")
	for _, u := range strings.Split(parts[1], ", ") {
		path := strings.Fields(u)[0]
		assert.Equal(t, http.StatusOK, do(t, srv, "GET", path).StatusCode, path)
	}
	// A named transformation without a size still has nothing to multiply.
	page = template.Must(template.New("p").Funcs(h.TemplateFuncs()).Parse(`{{avatarSrcset "facebook" .FB "e_grayscale"}}`))
	assert.ErrorContains(t, page.Execute(&out, map[string]string{"FB": fb.ID}), "needs a size in pixels")
}
