package fetchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "golang.org/x/image/webp"
)

// resp is a fully read response.
type resp struct {
	status int
	header http.Header
	body   []byte
	length int64 // resp.ContentLength
}

func do(t *testing.T, c *http.Client, method, u string, header http.Header) resp {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return resp{status: res.StatusCode, header: res.Header, body: body, length: res.ContentLength}
}

func get(t *testing.T, c *http.Client, u string) resp {
	t.Helper()
	return do(t, c, http.MethodGet, u, nil)
}

// noRedirect is a client that reports redirects instead of following them.
func noRedirect(s *Server) *http.Client {
	c := s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func xGet(t *testing.T, c *http.Client, u, token string) resp {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return do(t, c, http.MethodGet, u, h)
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(b, &v), "body: %s", b)
	return v
}

func decodeImage(t *testing.T, b []byte) (image.Image, string) {
	t.Helper()
	m, format, err := image.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return m, format
}

func sizeOf(t *testing.T, b []byte) (w, h int, format string) {
	t.Helper()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	require.NoError(t, err)
	return cfg.Width, cfg.Height, format
}

func user(t *testing.T, network, name string) User {
	t.Helper()
	for _, u := range Users {
		if u.Network == network && u.Name == name {
			return u
		}
	}
	t.Fatalf("no %s user %q", network, name)
	return User{}
}

func graphURL(s *Server, id string, size int, extra string) string {
	return fmt.Sprintf("%s/%s/picture?redirect=false&width=%d&height=%d%s", s.FacebookURL(), id, size, size, extra)
}

// graphPicture asks the Graph API for a picture and returns data.
func graphPicture(t *testing.T, s *Server, id string, size int) map[string]any {
	t.Helper()
	r := get(t, s.Client(), graphURL(s, id, size, "&access_token="+FacebookToken))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	data, ok := decodeJSON(t, r.body)["data"].(map[string]any)
	require.True(t, ok, "%s", r.body)
	return data
}

func xUser(t *testing.T, s *Server, path string) map[string]any {
	t.Helper()
	r := xGet(t, s.Client(), s.XURL()+path+"?user.fields=profile_image_url", XToken)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	data, ok := decodeJSON(t, r.body)["data"].(map[string]any)
	require.True(t, ok, "%s", r.body)
	return data
}

func TestPopulation(t *testing.T) {
	count := map[string]int{}
	ids := map[string]bool{}
	for _, u := range Users {
		count[u.Network]++
		key := u.Network + "/" + u.ID
		assert.False(t, ids[key], "duplicate %s", key)
		ids[key] = true
		assert.Contains(t, []string{"jpeg", "png", "gif", "webp"}, u.Format)
		got, ok := Lookup(u.Network, u.ID)
		assert.True(t, ok)
		assert.Equal(t, u, got)
		switch u.Network {
		case Facebook:
			assert.Regexp(t, `^[0-9]{1,25}$`, u.ID)
		case X:
			assert.Regexp(t, `^[0-9]{1,19}$`, u.ID)
			assert.Regexp(t, `^[A-Za-z0-9_]{1,15}$`, u.Name)
			got, ok := LookupName(strings.ToUpper(u.Name))
			assert.True(t, ok)
			assert.Equal(t, u, got)
		case Gravatar:
			assert.Regexp(t, `^[0-9a-f]{32}$`, u.ID)
			assert.Regexp(t, `^[0-9a-f]{64}$`, u.SHA256())
			got, ok := Lookup(Gravatar, strings.ToUpper(u.SHA256()))
			assert.True(t, ok)
			assert.Equal(t, u, got)
		}
	}
	assert.GreaterOrEqual(t, count[Facebook], 6)
	assert.GreaterOrEqual(t, count[X], 6)
	assert.GreaterOrEqual(t, count[Gravatar], 5)

	// the hash vectors of the reference
	g := gravatarUser("", "MyEmailAddress@example.com ", "jpeg", 80, false)
	assert.Equal(t, "0bc83cb571cd1c50ba6f3e8a78ef1346", g.ID)
	assert.Equal(t, "84059b07d4be67b806386c0aad8070a23f18836bbaae342275dc0a83414c32ee", g.SHA256())

	for _, c := range [][2]string{{Facebook, MissingFacebookID}, {X, MissingXID}, {Gravatar, MissingGravatarHash}, {Gravatar, MissingGravatarSHA256}} {
		_, ok := Lookup(c[0], c[1])
		assert.False(t, ok, c[1])
	}
	_, ok := LookupName(MissingXName)
	assert.False(t, ok)
	assert.Regexp(t, `^[A-Za-z0-9_]{1,15}$`, MissingXName)
	assert.Len(t, UsersOf("twitter"), count[X])
}

func TestBaseURLs(t *testing.T) {
	s := NewServer()
	defer s.Close()
	assert.Regexp(t, `^http://127\.0\.0\.1:[0-9]+$`, s.URL)
	assert.Equal(t, s.URL+"/facebook/v19.0", s.FacebookURL())
	assert.Equal(t, s.URL+"/x", s.XURL())
	assert.Equal(t, s.URL+"/gravatar", s.GravatarURL())
	r := get(t, s.Client(), s.URL+"/nothing")
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, 1, s.Count(Other))
	r = do(t, s.Client(), http.MethodPost, s.GravatarURL()+"/avatar/"+MissingGravatarHash, nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "GET, HEAD", r.header.Get("Allow"))
}

func TestGraph(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	amelia := user(t, Facebook, "Amelia Hart")

	t.Run("picture", func(t *testing.T) {
		data := graphPicture(t, s, amelia.ID, 512)
		assert.Equal(t, false, data["is_silhouette"])
		assert.EqualValues(t, 512, data["width"])
		assert.EqualValues(t, 512, data["height"])
		picURL := data["url"].(string)
		assert.True(t, strings.HasPrefix(picURL, s.URL+"/fbcdn/"), picURL)
		assert.Contains(t, picURL, ".jpg?")

		r := get(t, c, picURL)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
		assert.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
		w, h, format := sizeOf(t, r.body)
		assert.Equal(t, [3]any{512, 512, "jpeg"}, [3]any{w, h, format})
	})
	t.Run("without token, raw JSON", func(t *testing.T) {
		r := get(t, c, graphURL(s, amelia.ID, 100, ""))
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "application/json; charset=UTF-8", r.header.Get("Content-Type"))
		assert.Regexp(t, `^\{"data":\{"cache_key":"[A-Za-z0-9_-]+","height":100,"is_silhouette":false,"url":"http://[^"]+/fbcdn/[^"]+\.jpg\?[^"]*&[^"]*","width":100\}\}$`, string(r.body))
	})
	t.Run("token in header", func(t *testing.T) {
		r := do(t, c, http.MethodGet, graphURL(s, amelia.ID, 100, ""), http.Header{"Authorization": {"Bearer " + FacebookToken}})
		assert.Equal(t, http.StatusOK, r.status)
	})
	t.Run("size is at least the asked one, clamped to native", func(t *testing.T) {
		data := graphPicture(t, s, amelia.ID, 5000)
		assert.EqualValues(t, amelia.Width, data["width"])
		small := user(t, Facebook, "Emeka Obi")
		data = graphPicture(t, s, small.ID, 512)
		assert.EqualValues(t, 320, data["width"])
		r := get(t, c, data["url"].(string))
		w, h, _ := sizeOf(t, r.body)
		assert.Equal(t, [2]int{320, 320}, [2]int{w, h})

		r = get(t, c, fmt.Sprintf("%s/%s/picture?redirect=false&width=300&height=200", s.FacebookURL(), amelia.ID))
		data = decodeJSON(t, r.body)["data"].(map[string]any)
		assert.EqualValues(t, 300, data["width"])
		assert.EqualValues(t, 300, data["height"])
		r = get(t, c, fmt.Sprintf("%s/%s/picture?redirect=false&type=large", s.FacebookURL(), amelia.ID))
		data = decodeJSON(t, r.body)["data"].(map[string]any)
		assert.EqualValues(t, 200, data["width"])
		r = get(t, c, fmt.Sprintf("%s/%s/picture?redirect=false", s.FacebookURL(), amelia.ID))
		data = decodeJSON(t, r.body)["data"].(map[string]any)
		assert.EqualValues(t, 50, data["width"])
	})
	t.Run("redirect", func(t *testing.T) {
		r := get(t, noRedirect(s), fmt.Sprintf("%s/%s/picture?width=200&height=200", s.FacebookURL(), amelia.ID))
		require.Equal(t, http.StatusFound, r.status)
		loc := r.header.Get("Location")
		assert.Equal(t, graphPicture(t, s, amelia.ID, 200)["url"], loc)
		r = get(t, c, fmt.Sprintf("%s/%s/picture?width=200&height=200", s.FacebookURL(), amelia.ID))
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
	})
	t.Run("silhouette", func(t *testing.T) {
		fiona := user(t, Facebook, "Fiona Walsh")
		require.True(t, fiona.Default)
		data := graphPicture(t, s, fiona.ID, 512)
		assert.Equal(t, true, data["is_silhouette"])
		r := get(t, c, data["url"].(string))
		require.Equal(t, http.StatusOK, r.status)
		m, _ := decodeImage(t, r.body)
		assert.Less(t, saturation(m), 0.05, "the silhouette is grey")
		assert.Greater(t, saturation(decodeMust(t, get(t, c, graphPicture(t, s, amelia.ID, 512)["url"].(string)).body)), 0.1)
	})
	t.Run("unknown id", func(t *testing.T) {
		r := get(t, c, graphURL(s, MissingFacebookID, 512, "&access_token="+FacebookToken))
		require.Equal(t, http.StatusBadRequest, r.status)
		e := decodeJSON(t, r.body)["error"].(map[string]any)
		assert.Equal(t, "GraphMethodException", e["type"])
		assert.EqualValues(t, 100, e["code"])
		assert.EqualValues(t, 33, e["error_subcode"])
		assert.Contains(t, e["message"], "Unsupported get request. Object with ID '"+MissingFacebookID+"' does not exist")
		assert.NotEmpty(t, e["fbtrace_id"])
	})
	t.Run("wrong token", func(t *testing.T) {
		r := get(t, c, graphURL(s, amelia.ID, 512, "&access_token=nope"))
		require.Equal(t, http.StatusBadRequest, r.status)
		e := decodeJSON(t, r.body)["error"].(map[string]any)
		assert.Equal(t, "OAuthException", e["type"])
		assert.EqualValues(t, 190, e["code"])
		assert.NotEmpty(t, r.header.Get("WWW-Authenticate"))
	})
	t.Run("bad paths and params", func(t *testing.T) {
		r := get(t, c, graphURL(s, "some.name", 50, ""))
		assert.Equal(t, http.StatusNotFound, r.status)
		assert.EqualValues(t, 803, decodeJSON(t, r.body)["error"].(map[string]any)["code"])
		r = get(t, c, s.FacebookURL()+"/"+amelia.ID+"/friends")
		assert.Equal(t, http.StatusBadRequest, r.status)
		r = get(t, c, s.FacebookURL()+"/"+amelia.ID+"/picture?redirect=false&width=abc")
		assert.Equal(t, http.StatusBadRequest, r.status)
		r = get(t, c, s.URL+"/fbcdn/v/t39.30808-1/p50x50/1_2_3_n.jpg")
		assert.Equal(t, http.StatusNotFound, r.status)
	})
}

func TestX(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	kit := user(t, X, "AvatarKit")

	t.Run("by id and by name", func(t *testing.T) {
		byID := xUser(t, s, "/2/users/"+kit.ID)
		assert.Equal(t, kit.ID, byID["id"])
		assert.Equal(t, "AvatarKit", byID["username"])
		assert.Equal(t, kit.DisplayName, byID["name"])
		img := byID["profile_image_url"].(string)
		assert.Regexp(t, `^`+s.URL+`/pbs/profile_images/[0-9]+/[A-Za-z0-9]+_normal\.jpg$`, img)
		byName := xUser(t, s, "/2/users/by/username/aVaTaRkIt")
		assert.Equal(t, byID, byName)
	})
	t.Run("headers and raw shape", func(t *testing.T) {
		r := xGet(t, c, s.XURL()+"/2/users/"+kit.ID+"?user.fields=profile_image_url", XToken)
		assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
		assert.Regexp(t, `^\{"data":\{"id":"`+kit.ID+`","name":"AvatarKit Project","profile_image_url":"http://[^"]+_normal\.jpg","username":"AvatarKit"\}\}$`, string(r.body))
		assert.Equal(t, "300", r.header.Get("x-rate-limit-limit"))
		rem, err := strconv.Atoi(r.header.Get("x-rate-limit-remaining"))
		require.NoError(t, err)
		assert.Less(t, rem, 300)
		reset, err := strconv.ParseInt(r.header.Get("x-rate-limit-reset"), 10, 64)
		require.NoError(t, err)
		assert.InDelta(t, time.Now().Unix()+450, reset, 451)
	})
	t.Run("without user.fields", func(t *testing.T) {
		r := xGet(t, c, s.XURL()+"/2/users/"+kit.ID, XToken)
		require.Equal(t, http.StatusOK, r.status)
		assert.NotContains(t, string(r.body), "profile_image_url")
	})
	t.Run("not found", func(t *testing.T) {
		for _, tc := range []struct{ path, param, value, detail string }{
			{"/2/users/" + MissingXID, "id", MissingXID, "Could not find user with id: [" + MissingXID + "]."},
			{"/2/users/by/username/" + MissingXName, "username", MissingXName, "Could not find user with username: [" + MissingXName + "]."},
		} {
			r := xGet(t, c, s.XURL()+tc.path+"?user.fields=profile_image_url", XToken)
			require.Equal(t, http.StatusOK, r.status)
			body := decodeJSON(t, r.body)
			assert.NotContains(t, body, "data")
			errs := body["errors"].([]any)
			require.Len(t, errs, 1)
			assert.Equal(t, map[string]any{
				"value": tc.value, "detail": tc.detail, "title": "Not Found Error", "resource_type": "user",
				"parameter": tc.param, "resource_id": tc.value, "type": "https://api.twitter.com/2/problems/resource-not-found",
			}, errs[0])
		}
	})
	t.Run("invalid ids", func(t *testing.T) {
		r := xGet(t, c, s.XURL()+"/2/users/by/username/not-valid!", XToken)
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "https://api.twitter.com/2/problems/invalid-request", decodeJSON(t, r.body)["type"])
		r = xGet(t, c, s.XURL()+"/2/users/12ab", XToken)
		assert.Equal(t, http.StatusBadRequest, r.status)
	})
	t.Run("bearer", func(t *testing.T) {
		for _, tok := range []string{"", "wrong"} {
			r := xGet(t, c, s.XURL()+"/2/users/"+kit.ID+"?user.fields=profile_image_url", tok)
			require.Equal(t, http.StatusUnauthorized, r.status)
			assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			assert.Equal(t, map[string]any{"title": "Unauthorized", "type": "about:blank", "status": 401.0, "detail": "Unauthorized"}, decodeJSON(t, r.body))
			assert.NotEmpty(t, r.header.Get("x-rate-limit-reset"))
		}
	})
	t.Run("sizes", func(t *testing.T) {
		wide := user(t, X, "wide_lens")
		normal := xUser(t, s, "/2/users/"+wide.ID)["profile_image_url"].(string)
		base := strings.TrimSuffix(normal, "_normal.jpg")
		for suffix, side := range map[string]int{"_normal": 48, "_bigger": 73, "_mini": 24, "_200x200": 200, "_400x400": 400} {
			r := get(t, c, base+suffix+".jpg")
			require.Equal(t, http.StatusOK, r.status, suffix)
			assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
			assert.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
			w, h, _ := sizeOf(t, r.body)
			assert.Equal(t, [2]int{side, side}, [2]int{w, h}, suffix)
		}
		r := get(t, c, base+".jpg")
		require.Equal(t, http.StatusOK, r.status)
		w, h, _ := sizeOf(t, r.body)
		assert.Equal(t, [2]int{1200, 900}, [2]int{w, h}, "the original, not square")
		assert.Equal(t, http.StatusNotFound, get(t, c, base+"_huge.jpg").status)
		assert.Equal(t, http.StatusNotFound, get(t, c, base+".png").status)

		got, ok := s.XPictureURL(wide.Name, "")
		assert.True(t, ok)
		assert.Equal(t, base+".jpg", got)

		var paths []string
		for _, rq := range s.RequestsOf(XImage) {
			paths = append(paths, rq.Path)
		}
		assert.Contains(t, paths, strings.TrimPrefix(base+"_normal.jpg", s.URL))
	})
	t.Run("formats", func(t *testing.T) {
		for _, name := range []string{"Pixel_Pip", "gif_party", "WebPioneer", "pi_day"} {
			u := user(t, X, name)
			normal := xUser(t, s, "/2/users/"+u.ID)["profile_image_url"].(string)
			ext := extensions[u.Format]
			assert.True(t, strings.HasSuffix(normal, "_normal."+ext), normal)
			r := get(t, c, strings.TrimSuffix(normal, "_normal."+ext)+"."+ext)
			require.Equal(t, http.StatusOK, r.status, name)
			assert.Equal(t, "image/"+u.Format, r.header.Get("Content-Type"))
			m, format := decodeImage(t, r.body)
			assert.Equal(t, u.Format, format)
			assert.Equal(t, image.Rect(0, 0, u.Width, u.Height), m.Bounds())
			switch u.Format {
			case "png":
				assert.True(t, hasTransparency(m), "PNG user has transparent pixels")
			case "gif":
				g, err := gif.DecodeAll(bytes.NewReader(r.body))
				require.NoError(t, err)
				assert.Greater(t, len(g.Image), 1)
				assert.NotEqual(t, g.Image[0].Pix, g.Image[1].Pix)
			}
		}
	})
	t.Run("default picture", func(t *testing.T) {
		u := user(t, X, "NewUser48213")
		normal := xUser(t, s, "/2/users/"+u.ID)["profile_image_url"].(string)
		assert.Equal(t, s.URL+"/abs/sticky/default_profile_images/default_profile_normal.png", normal)
		r := get(t, c, normal)
		require.Equal(t, http.StatusOK, r.status)
		w, h, format := sizeOf(t, r.body)
		assert.Equal(t, [3]any{48, 48, "png"}, [3]any{w, h, format})
		r = get(t, c, s.URL+"/abs/sticky/default_profile_images/default_profile.png")
		require.Equal(t, http.StatusOK, r.status)
		m, _ := decodeImage(t, r.body)
		assert.Equal(t, 400, m.Bounds().Dx())
		assert.Less(t, saturation(m), 0.1)
	})
}

// TestLargeOriginals runs in parallel with TestGravatar: both encode multi-megapixel pictures,
// slow under the race detector.
func TestLargeOriginals(t *testing.T) {
	t.Parallel()
	s := NewServer()
	defer s.Close()
	c := s.Client()
	for _, name := range []string{"BigPicture", "PanoramaPat"} {
		u := user(t, X, name)
		orig, _ := s.XPictureURL(u.ID, "")
		r := get(t, c, orig)
		require.Equal(t, http.StatusOK, r.status)
		w, h, _ := sizeOf(t, r.body)
		assert.Equal(t, [2]int{u.Width, u.Height}, [2]int{w, h})
	}
	assert.Greater(t, max(user(t, X, "PanoramaPat").Width, user(t, X, "PanoramaPat").Height), 2048)
}

func TestGravatar(t *testing.T) {
	t.Parallel()
	s := NewServer()
	defer s.Close()
	c := s.Client()
	ada := user(t, Gravatar, "Ada Lovelace")
	av := s.GravatarURL() + "/avatar/"

	r := get(t, c, av+ada.ID+"?s=256&d=404")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
	assert.Equal(t, strconv.Itoa(len(r.body)), r.header.Get("Content-Length"))
	w, h, _ := sizeOf(t, r.body)
	assert.Equal(t, [2]int{256, 256}, [2]int{w, h})

	bySHA := get(t, c, av+ada.SHA256()+"?s=256&d=404")
	assert.Equal(t, r.body, bySHA.body, "served under the SHA-256 too")
	assert.Equal(t, r.body, get(t, c, av+ada.ID+".jpg?s=256&d=404").body, ".jpg suffix")

	nobody := user(t, Gravatar, "No Body")
	for _, tc := range []struct {
		query string
		side  int
	}{{"", 80}, {"?s=1", 1}, {"?size=100", 100}, {"?s=2048", 2048}, {"?s=5000", 2048}, {"?s=0", 80}, {"?s=abc", 80}} {
		hash := ada.ID
		if tc.side > 1000 {
			hash = nobody.ID // the logo: a flat picture, cheaper to make at 2048 under -race
		}
		r := get(t, c, av+hash+tc.query)
		require.Equal(t, http.StatusOK, r.status, tc.query)
		w, h, _ := sizeOf(t, r.body)
		assert.Equal(t, [2]int{tc.side, tc.side}, [2]int{w, h}, tc.query)
	}

	grace := user(t, Gravatar, "Grace Hopper")
	r = get(t, c, av+grace.ID+"?s=64&d=404")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "image/png", r.header.Get("Content-Type"))
	_, _, format := sizeOf(t, r.body)
	assert.Equal(t, "png", format)

	for _, hash := range []string{nobody.ID, nobody.SHA256(), MissingGravatarHash, MissingGravatarSHA256, strings.ToUpper(ada.ID)} {
		r := get(t, c, av+hash+"?s=512&d=404")
		assert.Equal(t, http.StatusNotFound, r.status, hash)
	}
	r = get(t, c, av+nobody.ID+"?s=120")
	require.Equal(t, http.StatusOK, r.status, "the Gravatar logo")
	m, format := decodeImage(t, r.body)
	assert.Equal(t, "png", format)
	assert.Equal(t, 120, m.Bounds().Dx())
	for _, d := range []string{"mp", "identicon", "blank"} {
		r := get(t, c, av+nobody.ID+"?s=40&d="+d)
		require.Equal(t, http.StatusOK, r.status, d)
		assert.Equal(t, "image/png", r.header.Get("Content-Type"))
	}
	r = get(t, noRedirect(s), av+nobody.ID+"?d="+url.QueryEscape("https://example.com/default.png"))
	assert.Equal(t, http.StatusFound, r.status)
	assert.Equal(t, "https://example.com/default.png", r.header.Get("Location"))
	r = get(t, c, av+ada.ID+"?s=40&d=404&f=y")
	assert.Equal(t, http.StatusNotFound, r.status, "forcedefault")
}

func TestCountsAndRequests(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	fb := Users[0]
	data := graphPicture(t, s, fb.ID, 64)
	get(t, c, data["url"].(string))
	kit := user(t, X, "AvatarKit")
	xu := xUser(t, s, "/2/users/"+kit.ID)
	get(t, c, xu["profile_image_url"].(string))
	get(t, c, xu["profile_image_url"].(string))
	get(t, c, s.GravatarURL()+"/avatar/"+MissingGravatarHash+"?s=80&d=404")

	assert.Equal(t, 1, s.Count(FacebookLookup))
	assert.Equal(t, 1, s.Count(FacebookImage))
	assert.Equal(t, 1, s.Count(XLookup))
	assert.Equal(t, 2, s.Count(XImage))
	assert.Equal(t, 1, s.Count(GravatarImage))
	assert.Equal(t, 0, s.Count(Other))

	reqs := s.Requests()
	require.Len(t, reqs, 6)
	kinds := []Kind{FacebookLookup, FacebookImage, XLookup, XImage, XImage, GravatarImage}
	for i, r := range reqs {
		assert.Equal(t, kinds[i], r.Kind)
		assert.Equal(t, http.MethodGet, r.Method)
		assert.NotContains(t, r.Path, "?")
	}
	assert.Equal(t, "/facebook/v19.0/"+fb.ID+"/picture", reqs[0].Path)
	assert.Equal(t, FacebookToken, reqs[0].Query.Get("access_token"))
	assert.Equal(t, "Bearer "+XToken, reqs[2].Header.Get("Authorization"))
	assert.Equal(t, "/gravatar/avatar/"+MissingGravatarHash, reqs[5].Path)
	assert.Equal(t, "404", reqs[5].Query.Get("d"))

	reqs[0].Query.Set("access_token", "changed")
	assert.Equal(t, FacebookToken, s.Requests()[0].Query.Get("access_token"), "Requests returns copies")

	s.ResetCounts()
	assert.Equal(t, 0, s.Count(XImage))
	assert.Empty(t, s.Requests())
}

func TestConcurrent(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	ada := user(t, Gravatar, "Ada Lovelace")
	u := s.GravatarURL() + "/avatar/" + ada.ID + "?s=300&d=404"
	const n = 200
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			res, err := c.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			bodies[i], _ = io.ReadAll(res.Body)
		})
	}
	wg.Wait()
	for i := range bodies {
		require.Equal(t, bodies[0], bodies[i])
	}
	assert.Equal(t, n, s.Count(GravatarImage))
	assert.Len(t, s.Requests(), n)
}

func TestFaults(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	fb, kit, ada := Users[0], user(t, X, "AvatarKit"), user(t, Gravatar, "Ada Lovelace")
	fbPic := graphPicture(t, s, fb.ID, 128)["url"].(string)
	xPic := xUser(t, s, "/2/users/"+kit.ID)["profile_image_url"].(string)
	gURL := s.GravatarURL() + "/avatar/" + ada.ID + "?s=128&d=404"
	lookups := map[Kind]func() resp{
		FacebookLookup: func() resp { return get(t, c, graphURL(s, fb.ID, 128, "&access_token="+FacebookToken)) },
		XLookup: func() resp {
			return xGet(t, c, s.XURL()+"/2/users/"+kit.ID+"?user.fields=profile_image_url", XToken)
		},
	}
	images := map[Kind]string{FacebookImage: fbPic, XImage: xPic, GravatarImage: gURL}

	t.Run("latency", func(t *testing.T) {
		s.SetFault(GravatarImage, Fault{Latency: 150 * time.Millisecond})
		defer s.ClearFaults()
		start := time.Now()
		r := get(t, c, gURL)
		assert.Equal(t, http.StatusOK, r.status)
		assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)

		s.SetFault(XLookup, Fault{Latency: time.Hour})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.XURL()+"/2/users/"+kit.ID, nil)
		_, err := c.Do(req)
		require.Error(t, err)
		assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
		assert.Eventually(t, func() bool { return s.inflight.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
			"the handler ends when the client goes away")
	})
	t.Run("status", func(t *testing.T) {
		defer s.ClearFaults()
		for k, call := range lookups {
			s.SetFault(k, Fault{Status: http.StatusServiceUnavailable})
			r := call()
			assert.Equal(t, http.StatusServiceUnavailable, r.status, k)
			decodeJSON(t, r.body)
			s.SetFault(k, Fault{Status: http.StatusInternalServerError})
			assert.Equal(t, http.StatusInternalServerError, call().status, k)
		}
		for k, u := range images {
			s.SetFault(k, Fault{Status: http.StatusBadGateway})
			r := get(t, c, u)
			assert.Equal(t, http.StatusBadGateway, r.status, k)
			assert.Contains(t, r.header.Get("Content-Type"), "text/html")
		}
		s.SetFault(FacebookImage, Fault{})
		assert.Equal(t, http.StatusOK, get(t, c, fbPic).status, "a zero Fault clears")
	})
	t.Run("rate limit", func(t *testing.T) {
		defer s.ClearFaults()
		s.SetFault(FacebookLookup, Fault{RateLimit: true})
		r := lookups[FacebookLookup]()
		require.Equal(t, http.StatusForbidden, r.status)
		e := decodeJSON(t, r.body)["error"].(map[string]any)
		assert.EqualValues(t, 4, e["code"])
		assert.Equal(t, "(#4) Application request limit reached", e["message"])
		assert.Equal(t, true, e["is_transient"])
		assert.NotEmpty(t, r.header.Get("X-App-Usage"))
		s.SetFault(FacebookLookup, Fault{RateLimit: true, RateLimitCode: 17, RetryAfter: 5 * time.Minute})
		r = lookups[FacebookLookup]()
		assert.EqualValues(t, 17, decodeJSON(t, r.body)["error"].(map[string]any)["code"])
		assert.Contains(t, r.header.Get("X-Business-Use-Case-Usage"), `"estimated_time_to_regain_access":5`)

		s.SetFault(XLookup, Fault{RateLimit: true, RetryAfter: 90 * time.Second})
		r = lookups[XLookup]()
		require.Equal(t, http.StatusTooManyRequests, r.status)
		assert.Equal(t, "Too Many Requests", decodeJSON(t, r.body)["title"])
		assert.Equal(t, "0", r.header.Get("x-rate-limit-remaining"))
		reset, err := strconv.ParseInt(r.header.Get("x-rate-limit-reset"), 10, 64)
		require.NoError(t, err)
		assert.InDelta(t, time.Now().Add(90*time.Second).Unix(), reset, 2)

		s.SetFault(GravatarImage, Fault{RateLimit: true, RetryAfter: 30 * time.Second})
		r = get(t, c, gURL)
		assert.Equal(t, http.StatusTooManyRequests, r.status)
		assert.Equal(t, "30", r.header.Get("Retry-After"))
	})
	t.Run("bad token", func(t *testing.T) {
		defer s.ClearFaults()
		s.SetFault(FacebookLookup, Fault{BadToken: true})
		r := lookups[FacebookLookup]()
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.EqualValues(t, 190, decodeJSON(t, r.body)["error"].(map[string]any)["code"])
		s.SetFault(XLookup, Fault{BadToken: true})
		assert.Equal(t, http.StatusUnauthorized, lookups[XLookup]().status)
	})
	t.Run("not image", func(t *testing.T) {
		defer s.ClearFaults()
		for k, u := range images {
			s.SetFault(k, Fault{NotImage: true})
			r := get(t, c, u)
			assert.Equal(t, http.StatusOK, r.status)
			assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
			assert.Equal(t, "text/html; charset=utf-8", http.DetectContentType(r.body))
		}
	})
	t.Run("huge", func(t *testing.T) {
		defer s.ClearFaults()
		const size = 24 << 20
		for _, lie := range []bool{false, true} {
			s.SetFault(XImage, Fault{Huge: size, LieLength: lie})
			res, err := c.Get(xPic)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "image/jpeg", res.Header.Get("Content-Type"))
			if lie {
				assert.EqualValues(t, -1, res.ContentLength, "chunked wins over the false Content-Length")
			} else {
				assert.EqualValues(t, size, res.ContentLength)
			}
			head := make([]byte, 512)
			_, err = io.ReadFull(res.Body, head)
			require.NoError(t, err)
			assert.Equal(t, "image/jpeg", http.DetectContentType(head))
			n, err := io.Copy(io.Discard, res.Body)
			require.NoError(t, err)
			assert.EqualValues(t, size, n+512)
			res.Body.Close()
		}
	})
	t.Run("truncate", func(t *testing.T) {
		defer s.ClearFaults()
		for k, u := range images {
			s.SetFault(k, Fault{Truncate: true})
			res, err := c.Get(u)
			require.NoError(t, err, k)
			assert.Greater(t, res.ContentLength, int64(100))
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF, k)
			assert.EqualValues(t, res.ContentLength/2, len(b))
		}
	})
}

func TestCloseEndsLatency(t *testing.T) {
	s := NewServer()
	c := s.Client()
	s.SetFault(FacebookLookup, Fault{Latency: time.Hour})
	errc := make(chan error, 1)
	go func() {
		res, err := c.Get(graphURL(s, Users[0].ID, 50, ""))
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.Count(FacebookLookup) == 1 }, 5*time.Second, 5*time.Millisecond)
	s.Close()
	select {
	case err := <-errc:
		assert.Error(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the pending request")
	}
	s.Close() // twice is fine
}

func TestHead(t *testing.T) {
	s := NewServer()
	defer s.Close()
	r := do(t, s.Client(), http.MethodHead, s.GravatarURL()+"/avatar/"+Users[15].ID+"?s=50", nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.body)
	n, err := strconv.Atoi(r.header.Get("Content-Length"))
	require.NoError(t, err)
	assert.Greater(t, n, 100)
	assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
}

func TestChangePicture(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()

	fb := Users[1]
	before := graphPicture(t, s, fb.ID, 256)["url"].(string)
	b1 := get(t, c, before).body
	s.ChangePicture(Facebook, fb.ID)
	after := graphPicture(t, s, fb.ID, 256)["url"].(string)
	assert.NotEqual(t, before, after)
	b2 := get(t, c, after).body
	assert.Greater(t, meanDistance(t, b1, b2), 20.0, "a clearly different picture")
	assert.Equal(t, http.StatusOK, get(t, c, before).status, "old Facebook URLs keep working until they expire")

	kit := user(t, X, "AvatarKit")
	xBefore := xUser(t, s, "/2/users/"+kit.ID)["profile_image_url"].(string)
	xb1 := get(t, c, xBefore).body
	s.ChangePicture("twitter", "avatarkit")
	xAfter := xUser(t, s, "/2/users/"+kit.ID)["profile_image_url"].(string)
	assert.NotEqual(t, xBefore, xAfter)
	assert.Equal(t, http.StatusNotFound, get(t, c, xBefore).status, "the old pbs URL is gone")
	xb2 := get(t, c, xAfter).body
	assert.Greater(t, meanDistance(t, xb1, xb2), 20.0)
	assert.Equal(t, 1, s.Generation(X, kit.ID))

	ada := user(t, Gravatar, "Ada Lovelace")
	gu := s.GravatarURL() + "/avatar/" + ada.SHA256() + "?s=96&d=404"
	g1 := get(t, c, gu).body
	s.ChangePicture(Gravatar, ada.SHA256())
	g2 := get(t, c, gu).body
	assert.Greater(t, meanDistance(t, g1, g2), 20.0)
	assert.Equal(t, g2, get(t, c, s.GravatarURL()+"/avatar/"+ada.ID+"?s=96&d=404").body)

	assert.Panics(t, func() { s.ChangePicture(Facebook, MissingFacebookID) })

	// users with the network's default picture upload one
	fiona := user(t, Facebook, "Fiona Walsh")
	s.ChangePicture(Facebook, fiona.ID)
	data := graphPicture(t, s, fiona.ID, 128)
	assert.Equal(t, false, data["is_silhouette"])
	assert.Greater(t, saturation(decodeMust(t, get(t, c, data["url"].(string)).body)), 0.1)
	newbie := user(t, X, "NewUser48213")
	s.ChangePicture(X, newbie.ID)
	assert.Regexp(t, `/pbs/profile_images/[0-9]+/[A-Za-z0-9]+_normal\.png$`, xUser(t, s, "/2/users/"+newbie.ID)["profile_image_url"])
	orig, _ := s.XPictureURL(newbie.ID, "")
	assert.Equal(t, http.StatusOK, get(t, c, orig).status)
	nobody := user(t, Gravatar, "No Body")
	s.ChangePicture(Gravatar, nobody.ID)
	r := get(t, c, s.GravatarURL()+"/avatar/"+nobody.ID+"?s=64&d=404")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))

	// another server starts from generation 0
	s2 := NewServer()
	defer s2.Close()
	assert.Equal(t, b1, get(t, s2.Client(), strings.Replace(before, s.URL, s2.URL, 1)).body)
}

func TestImageHost(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client() // dials the fake whatever the host
	s.SetImageHost(Facebook, "scontent-ams4-1.xx.fbcdn.net")
	s.SetImageHost(X, "pbs.twimg.com")
	s.SetImageHost("x-abs", "abs.twimg.com")

	picURL := graphPicture(t, s, Users[0].ID, 64)["url"].(string)
	pu, err := url.Parse(picURL)
	require.NoError(t, err)
	assert.Equal(t, "scontent-ams4-1.xx.fbcdn.net", pu.Host)
	assert.Equal(t, "scontent-ams4-1.xx.fbcdn.net", pu.Query().Get("_nc_ht"))
	r := get(t, c, picURL)
	require.Equal(t, http.StatusOK, r.status)
	reqs := s.RequestsOf(FacebookImage)
	require.Len(t, reqs, 1)
	assert.Equal(t, "scontent-ams4-1.xx.fbcdn.net", reqs[0].Host)

	kit := user(t, X, "AvatarKit")
	xPic := xUser(t, s, "/2/users/"+kit.ID)["profile_image_url"].(string)
	assert.True(t, strings.HasPrefix(xPic, "http://pbs.twimg.com/pbs/profile_images/"), xPic)
	assert.Equal(t, http.StatusOK, get(t, c, xPic).status)
	def := xUser(t, s, "/2/users/"+user(t, X, "NewUser48213").ID)["profile_image_url"].(string)
	assert.Equal(t, "http://abs.twimg.com/abs/sticky/default_profile_images/default_profile_normal.png", def)
	assert.Equal(t, http.StatusOK, get(t, c, def).status)

	// a transport of one's own with DialContext
	own := &http.Client{Transport: &http.Transport{DialContext: s.DialContext}}
	assert.Equal(t, http.StatusOK, get(t, own, xPic).status)

	s.SetImageHost(Facebook, "")
	picURL = graphPicture(t, s, Users[0].ID, 64)["url"].(string)
	assert.True(t, strings.HasPrefix(picURL, s.URL+"/fbcdn/"), picURL)
}

func TestPictures(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()

	t.Run("deterministic", func(t *testing.T) {
		u := s.GravatarURL() + "/avatar/" + Users[15].ID + "?s=200&d=404"
		s2 := NewServer()
		defer s2.Close()
		assert.Equal(t, get(t, c, u).body, get(t, c, u).body)
		k := picKey{scene: sceneUser, user: Users[3], idx: 3, w: 77, h: 77, format: "jpeg"}
		b1, err := renderEncode(k)
		require.NoError(t, err)
		b2, err := renderEncode(k)
		require.NoError(t, err)
		assert.Equal(t, b1, b2, "rendering twice gives the same bytes (no cache involved)")
	})
	t.Run("users differ at 90x90", func(t *testing.T) {
		var grids [][][3]float64
		var names []string
		photos := 0
		for i, u := range Users {
			if u.Default || u.NoPicture {
				continue
			}
			if u.Photo {
				// The Photo users share one photograph: only the first is compared.
				if photos++; photos > 1 {
					continue
				}
			}
			b, err := picture(picKey{scene: sceneUser, user: u, idx: i, w: 90, h: 90, format: "png"})
			require.NoError(t, err)
			grids = append(grids, grid(decodeMust(t, b)))
			names = append(names, u.Name)
		}
		for i := range grids {
			for j := i + 1; j < len(grids); j++ {
				assert.Greater(t, gridDistance(grids[i], grids[j]), 20.0, "%s vs %s", names[i], names[j])
			}
		}
	})
	t.Run("photo-like JPEG size", func(t *testing.T) {
		b, err := picture(picKey{scene: sceneUser, user: Users[15], idx: 15, w: 1024, h: 1024, format: "jpeg"})
		require.NoError(t, err)
		assert.Greater(t, len(b), 100<<10)
		assert.Less(t, len(b), 400<<10)
	})
}

// ---- helpers on pixels ----

func decodeMust(t *testing.T, b []byte) image.Image {
	m, _ := decodeImage(t, b)
	return m
}

// saturation returns the mean HSV saturation of m.
func saturation(m image.Image) float64 {
	var sum float64
	b := m.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := m.At(x, y).RGBA()
			mx := math.Max(float64(r), math.Max(float64(g), float64(bl)))
			mn := math.Min(float64(r), math.Min(float64(g), float64(bl)))
			if mx > 0 {
				sum += (mx - mn) / mx
			}
			n++
		}
	}
	return sum / float64(n)
}

func hasTransparency(m image.Image) bool {
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := m.At(x, y).RGBA(); a == 0 {
				return true
			}
		}
	}
	return false
}

// meanDistance returns the mean per-pixel RGB distance (0..441) between two same-size pictures,
// compared on an 8×8 grid of cell means, transparent pixels over white.
func meanDistance(t *testing.T, a, b []byte) float64 {
	t.Helper()
	return gridDistance(grid(decodeMust(t, a)), grid(decodeMust(t, b)))
}

func gridDistance(ga, gb [][3]float64) float64 {
	var sum float64
	for i := range ga {
		dr, dg, db := ga[i][0]-gb[i][0], ga[i][1]-gb[i][1], ga[i][2]-gb[i][2]
		sum += math.Sqrt(dr*dr + dg*dg + db*db)
	}
	return sum / float64(len(ga))
}

func grid(m image.Image) [][3]float64 {
	const n = 8
	out := make([][3]float64, n*n)
	cnt := make([]float64, n*n)
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := m.At(x, y).RGBA()
			white := float64(0xffff - a)
			i := (y-b.Min.Y)*n/b.Dy()*n + (x-b.Min.X)*n/b.Dx()
			out[i][0] += (float64(r) + white) / 257
			out[i][1] += (float64(g) + white) / 257
			out[i][2] += (float64(bl) + white) / 257
			cnt[i]++
		}
	}
	for i := range out {
		for c := range 3 {
			out[i][c] /= cnt[i]
		}
	}
	return out
}

func BenchmarkRender1024(b *testing.B) {
	k := picKey{scene: sceneUser, user: Users[0], idx: 0, w: 1024, h: 1024, format: "jpeg"}
	for b.Loop() {
		render(k, 0)
	}
}

func BenchmarkRenderEncodeJPEG1024(b *testing.B) {
	k := picKey{scene: sceneUser, user: Users[0], idx: 0, w: 1024, h: 1024, format: "jpeg"}
	for b.Loop() {
		if _, err := renderEncode(k); err != nil {
			b.Fatal(err)
		}
	}
}
