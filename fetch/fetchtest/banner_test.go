package fetchtest

import (
	"encoding/json"
	"image"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// v1Errors reads an X API v1.1 error answer.
func v1Errors(t *testing.T, b []byte) []int {
	t.Helper()
	var ans struct {
		Errors []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(b, &ans), "%s", b)
	var codes []int
	for _, e := range ans.Errors {
		assert.NotEmpty(t, e.Message)
		codes = append(codes, e.Code)
	}
	return codes
}

func TestXBannerAPI(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	api := s.XURL() + "/1.1/users/profile_banner.json?"
	kit, _ := LookupName("AvatarKit")
	newbie, _ := LookupName("NewUser48213")
	require.True(t, kit.Banner)
	require.False(t, newbie.Banner)

	for _, q := range []string{"user_id=" + kit.ID, "screen_name=avatarkit", "screen_name=AVATARKIT"} {
		r := xGet(t, c, api+q, XToken)
		require.Equal(t, http.StatusOK, r.status, q)
		assert.Equal(t, strconv.Itoa(xRateLimit), r.header.Get("x-rate-limit-limit"))
		var ans struct {
			Sizes map[string]struct {
				W, H int
				URL  string
			} `json:"sizes"`
		}
		require.NoError(t, json.Unmarshal(r.body, &ans))
		require.Len(t, ans.Sizes, len(BannerSizes()))
		for name, want := range BannerSizes() {
			got := ans.Sizes[name]
			assert.Equal(t, want, image.Pt(got.W, got.H), name)
			u, ok := s.XBannerURL(kit.ID, name)
			require.True(t, ok)
			assert.Equal(t, u, got.URL)
		}
	}
	for _, c2 := range []struct {
		name, q, token string
		status         int
		code           int
	}{
		{"no banner", "user_id=" + newbie.ID, XToken, http.StatusNotFound, 34},
		{"no banner by name", "screen_name=" + newbie.Name, XToken, http.StatusNotFound, 34},
		{"no such user", "user_id=" + MissingXID, XToken, http.StatusNotFound, 50},
		{"no such name", "screen_name=" + MissingXName, XToken, http.StatusNotFound, 50},
		{"no token", "user_id=" + kit.ID, "", http.StatusUnauthorized, 89},
		{"wrong token", "user_id=" + kit.ID, "nope", http.StatusUnauthorized, 89},
		{"no parameter", "", XToken, http.StatusBadRequest, 38},
	} {
		r := xGet(t, c, api+c2.q, c2.token)
		assert.Equal(t, c2.status, r.status, c2.name)
		assert.Equal(t, []int{c2.code}, v1Errors(t, r.body), c2.name)
	}

	clock := NewClock(time.Unix(1_800_000_000, 0))
	s.SetNow(clock.Now)
	s.SetFault(XBanner, Fault{RateLimit: true, RetryAfter: 7 * time.Minute})
	r := xGet(t, c, api+"user_id="+kit.ID, XToken)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, []int{88}, v1Errors(t, r.body))
	assert.Equal(t, strconv.FormatInt(clock.Now().Add(7*time.Minute).Unix(), 10), r.header.Get("x-rate-limit-reset"))
	s.SetFault(XBanner, Fault{Status: 503})
	r = xGet(t, c, api+"user_id="+kit.ID, XToken)
	assert.Equal(t, 503, r.status)
	assert.Equal(t, []int{131}, v1Errors(t, r.body))
	s.ClearFaults()

	assert.Equal(t, 12, s.Count(XBanner), "every call counted as a banner lookup")
	assert.Zero(t, s.Count(XLookup))
}

func TestXBannerImages(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	kit, _ := LookupName("AvatarKit")
	wide, ok := s.XBannerURL(kit.ID, "1500x500")
	require.True(t, ok)
	web, _ := s.XBannerURL(kit.ID, "web")
	r := get(t, c, wide)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "image/jpeg", r.header.Get("Content-Type"))
	big, format := decodeImage(t, r.body)
	assert.Equal(t, "jpeg", format)
	assert.Equal(t, image.Pt(1500, 500), big.Bounds().Size())
	small, _ := decodeImage(t, get(t, c, web).body)
	assert.Equal(t, image.Pt(520, 260), small.Bounds().Size())
	// A banner is a landscape: a sky above, darker hills below.
	top, bottom := luma(big.At(750, 20)), luma(big.At(750, 490))
	assert.Greater(t, top, bottom, "the sky is lighter than the front hills")
	assert.Equal(t, 2, s.Count(XBannerImage))
	assert.Zero(t, s.Count(XImage))

	// Every user's banner differs, and so does a user's next one.
	other, _ := LookupName("wide_lens")
	ow, _ := s.XBannerURL(other.ID, "1500x500")
	assert.NotEqual(t, r.body, get(t, c, ow).body)
	s.ChangeBanner(kit.Name)
	assert.Equal(t, http.StatusNotFound, get(t, c, wide).status, "the old banner is gone")
	next, _ := s.XBannerURL(kit.ID, "1500x500")
	assert.NotEqual(t, wide, next)
	r2 := get(t, c, next)
	require.Equal(t, http.StatusOK, r2.status)
	assert.NotEqual(t, r.body, r2.body)

	for _, bad := range []string{
		"/pbs/profile_banners/" + kit.ID + "/1/1500x500",
		"/pbs/profile_banners/" + MissingXID + "/1/web",
		"/pbs/profile_banners/" + kit.ID + "/1/giant",
	} {
		assert.Equal(t, http.StatusNotFound, get(t, c, s.URL+bad).status, bad)
	}
	newbie, _ := LookupName("NewUser48213")
	_, ok = s.XBannerURL(newbie.ID, "web")
	assert.False(t, ok, "no banner")
}

func luma(c interface{ RGBA() (r, g, b, a uint32) }) float64 {
	r, g, b, _ := c.RGBA()
	return 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
}

func TestGraphCacheKey(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	u := UsersOf(Facebook)[0]
	lookup := func(size int) map[string]any {
		t.Helper()
		r := get(t, c, s.FacebookURL()+"/"+u.ID+"/picture?redirect=false&width="+strconv.Itoa(size))
		require.Equal(t, http.StatusOK, r.status)
		return decodeJSON(t, r.body)["data"].(map[string]any)
	}
	first := lookup(600)
	key, ok := s.CacheKey(u.ID)
	require.True(t, ok)
	assert.Equal(t, key, first["cache_key"])
	assert.Equal(t, key, lookup(50)["cache_key"], "one picture, one key, whatever the size")
	assert.Equal(t, key, lookup(600)["cache_key"], "the same on every lookup")
	other, _ := s.CacheKey(UsersOf(Facebook)[1].ID)
	assert.NotEqual(t, key, other)

	s.ChangePicture(Facebook, u.ID)
	changed := lookup(600)["cache_key"]
	assert.NotEqual(t, key, changed, "a new picture, a new key")
	s.OmitCacheKeys(true)
	assert.NotContains(t, lookup(600), "cache_key")
	_, ok = s.CacheKey(MissingFacebookID)
	assert.False(t, ok)
}

func TestGraphCodeFaults(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c := s.Client()
	u := UsersOf(Facebook)[0]
	for _, f := range []struct {
		code, subcode, status int
		msg                   string
	}{
		{200, 0, http.StatusForbidden, "(#200) Permissions error"},
		{10, 0, http.StatusForbidden, "(#10)"},
		{210, 0, http.StatusBadRequest, "(#210) User not visible"},
		{190, 459, http.StatusBadRequest, "log in to www.facebook.com"},
		{190, 460, http.StatusBadRequest, "changed their password"},
		{12345, 0, http.StatusBadRequest, "(#12345)"},
	} {
		s.SetFault(FacebookLookup, Fault{GraphCode: f.code, GraphSubcode: f.subcode})
		r := get(t, c, s.FacebookURL()+"/"+u.ID+"/picture?redirect=false")
		assert.Equal(t, f.status, r.status, "%d", f.code)
		e := decodeJSON(t, r.body)["error"].(map[string]any)
		assert.EqualValues(t, f.code, e["code"])
		if f.subcode != 0 {
			assert.EqualValues(t, f.subcode, e["error_subcode"])
		} else {
			assert.NotContains(t, e, "error_subcode")
		}
		assert.Contains(t, e["message"], f.msg)
		assert.Equal(t, "OAuthException", e["type"])
		assert.NotEmpty(t, e["fbtrace_id"])
	}
}
