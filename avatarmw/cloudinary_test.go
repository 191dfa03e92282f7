package avatarmw

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// Cloudinary's SDKs add ?_a=… (analytics) to every URL: a query string is not signed, not in
// the cache key and changes nothing.
func TestQueryStringIsIgnored(t *testing.T) {
	h, fake, srv := newTestHandler(t, func(c *Config) {
		c.Secrets = []string{"b"}
		c.Restricted = []string{}
	})
	u := user(t, "facebook", plain)
	tr := "c_fill,h_90,w_90"
	path := "/avatars/facebook/s--" + Sign("b", tr+"/"+u.ID+".jpg", false) + "--/" + tr + "/" + u.ID + ".jpg"
	first := do(t, srv, "GET", path)
	require.Equal(t, http.StatusOK, first.StatusCode, short(first.body))
	transforms := h.Stats().Transforms
	for _, q := range []string{"?_a=BAMAROfk0", "?_a=AQC1Sop", "?_a=DATAiZfkZAA0", "?w=10&h=20", "?", "?%00", "?_a=A+/="} {
		res := do(t, srv, "GET", path+q)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", q, short(res.body))
		assert.Equal(t, first.Header.Get("ETag"), res.Header.Get("ETag"), q)
		assert.Equal(t, first.body, res.body, q)
	}
	assert.Equal(t, transforms, h.Stats().Transforms, "one cache entry whatever the query")
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookImage))
	// A query does not make a bad signature good, nor a good one bad.
	res := do(t, srv, "GET", "/avatars/facebook/s--AAAAAAAA--/"+tr+"/"+u.ID+".jpg?_a=BAMAROfk0")
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

// Client hints: w_auto and dpr_auto take the request's Sec-CH-Width / Width and Sec-CH-DPR / DPR,
// rounded to few values; the answers say which hints they used.
func TestClientHints(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	u := user(t, "facebook", plain)
	get := func(tr string, hdr ...string) (int, int, http.Header) {
		t.Helper()
		res := do(t, srv, "GET", "/avatars/facebook/"+tr+"/"+u.ID+".png", hdr...)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s %v: %s", tr, hdr, short(res.body))
		img, _ := decode(t, res.body)
		return img.Bounds().Dx(), img.Bounds().Dy(), res.Header
	}
	w, hh, hdr := get("c_fill,h_100,w_100/dpr_auto", "Sec-CH-DPR", "2")
	assert.Equal(t, [2]int{200, 200}, [2]int{w, hh})
	assert.Equal(t, "Sec-CH-DPR, DPR", hdr.Get("Vary"))
	assert.Equal(t, "Sec-CH-DPR", hdr.Get("Accept-CH"))
	w, _, _ = get("c_fill,h_100,w_100/dpr_auto", "DPR", "2.625")
	assert.Equal(t, 300, w, "the legacy name; 2.625 rounds up to 3")
	w, _, _ = get("c_fill,h_100,w_100/dpr_auto")
	assert.Equal(t, 100, w, "no hint: 1.0")
	w, _, _ = get("c_fill,h_100,w_100/dpr_auto", "Sec-CH-DPR", "nonsense")
	assert.Equal(t, 100, w, "a malformed hint is no hint")

	w, hh, hdr = get("ar_1.0,c_fill,w_auto:100:300", "Sec-CH-Width", "412")
	assert.Equal(t, [2]int{500, 500}, [2]int{w, hh}, "rounded up to the step")
	assert.Equal(t, "Sec-CH-Width, Width", hdr.Get("Vary"))
	assert.Equal(t, "Sec-CH-Width", hdr.Get("Accept-CH"))
	w, _, _ = get("ar_1.0,c_fill,w_auto:100:300", "Width", "412")
	assert.Equal(t, 500, w)
	w, _, _ = get("ar_1.0,c_fill,w_auto:100:300")
	assert.Equal(t, 300, w, "no hint: the fallback")
	w, _, _ = get("ar_1.0,c_fill,w_auto:100:300/dpr_auto", "Sec-CH-DPR", "2")
	assert.Equal(t, 600, w, "no Width hint: the fallback, in CSS px, times the DPR")
	w, hh, hdr = get("c_fill,h_50,w_auto/dpr_auto", "Sec-CH-Width", "200", "Sec-CH-DPR", "2")
	assert.Equal(t, [2]int{200, 100}, [2]int{w, hh}, "the Width hint is in device px already; h_ is multiplied")
	assert.Equal(t, "Sec-CH-Width, Width, Sec-CH-DPR, DPR", hdr.Get("Vary"))
	assert.Equal(t, "Sec-CH-Width, Sec-CH-DPR", hdr.Get("Accept-CH"))

	// Hints make as many variants as their buckets, not as many as their values.
	before := h.Stats().Transforms
	for width := 401; width <= 500; width += 3 {
		get("ar_1.0,c_fill,w_auto:100:300", "Sec-CH-Width", strconv.Itoa(width))
	}
	assert.Equal(t, before, h.Stats().Transforms, "412 already made the 500 px variant")
	// A hint-resolved request shares its variant with the URL that asks for that size outright.
	_, _, hdr = get("ar_1.0,c_fill,w_500")
	assert.Empty(t, hdr.Get("Vary"))
	assert.Equal(t, before, h.Stats().Transforms)
}

// fl_attachment and fl_immutable_cache change how the answer is delivered, not its pixels: the
// variant is the same.
func TestDeliveryFlags(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	u := user(t, "facebook", plain)
	plainRes := do(t, srv, "GET", "/avatars/facebook/c_fill,h_40,w_40/"+u.ID+".jpg")
	require.Equal(t, http.StatusOK, plainRes.StatusCode)
	transforms := h.Stats().Transforms

	res := do(t, srv, "GET", "/avatars/facebook/c_fill,h_40,w_40/fl_attachment/"+u.ID+".jpg")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	assert.Equal(t, `attachment; filename="`+u.ID+`.jpg"`, res.Header.Get("Content-Disposition"))
	assert.Equal(t, plainRes.Header.Get("ETag"), res.Header.Get("ETag"))

	res = do(t, srv, "GET", "/avatars/facebook/c_fill,fl_attachment:me.immutable_cache,h_40,w_40/"+u.ID+".png")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	assert.Equal(t, `attachment; filename="me.png"`, res.Header.Get("Content-Disposition"))
	assert.Regexp(t, `^public, max-age=\d+, immutable$`, res.Header.Get("Cache-Control"))

	res = do(t, srv, "GET", "/avatars/facebook/c_fill,h_40,w_40/fl_progressive.strip_profile/"+u.ID+".jpg")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	assert.Empty(t, res.Header.Get("Content-Disposition"))
	assert.Equal(t, plainRes.Header.Get("ETag"), res.Header.Get("ETag"), "no-op flags: the same variant")
	assert.Equal(t, transforms+1, h.Stats().Transforms, "only the PNG was made")
}

// d_<name>.<ext>, as Cloudinary's SDKs write default images, names the default picture <name>.
func TestDefaultImageWithExtension(t *testing.T) {
	_, _, srv := newTestHandler(t, nil)
	res := do(t, srv, "GET", "/avatars/facebook/c_scale,d_identicon.png,w_50/"+fetchtest.MissingFacebookID+".jpg")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	assert.Equal(t, "identicon", res.Header.Get("X-Avatar-Default"))
	res = do(t, srv, "GET", "/avatars/facebook/d_identicon.png/"+fetchtest.MissingFacebookID+".jpg")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	res = do(t, srv, "GET", "/avatars/facebook/d_avatar.png/"+fetchtest.MissingFacebookID+".jpg")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "d_avatar")
}

// AI effects are refused with a reason that says so.
func TestAIEffectsRefused(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	u := user(t, "facebook", plain)
	for _, tr := range []string{"e_background_removal", "e_gen_remove:prompt_hat", "e_upscale", "e_cartoonify", "b_gen_fill,c_pad,w_50"} {
		res := do(t, srv, "GET", "/avatars/facebook/"+tr+"/"+u.ID+".jpg")
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, tr)
		assert.Contains(t, res.Header.Get("X-Avatar-Error"), "AI service", tr)
	}
	assert.Zero(t, fake.Count(fetchtest.FacebookLookup))
}

// Mounted at /<cloud>/image/, the handler serves the URLs Cloudinary's SDKs build with only the
// host changed (cname, secure_distribution; with private_cdn the cloud name is not in the path).
func TestMountedAsCloudinary(t *testing.T) {
	for _, prefix := range []string{"/demo/image/", "/image/"} {
		h, _, _ := newTestHandler(t, func(c *Config) { c.Prefix = prefix })
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		u := user(t, "facebook", plain)
		res := do(t, srv, "GET", prefix+"facebook/c_fill,h_100,w_100/dpr_2.0/"+u.ID+"?_a=DATAiZfkZAA0")
		require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
		img, _ := decode(t, res.body)
		assert.Equal(t, 200, img.Bounds().Dx())
		url, err := h.URL(Avatar{Type: "facebook", ID: u.ID, Transformation: "w_10"})
		require.NoError(t, err)
		assert.Equal(t, prefix+"facebook/w_10/"+u.ID, url)
	}
}
