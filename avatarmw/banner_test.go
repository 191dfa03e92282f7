package avatarmw

import (
	"context"
	"image"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"

	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// X profile banners through the front door: the two banner types behave as the avatar types do
// (sizes, d_, single-flight, rate limits, signatures, the store, a cluster).

// bannerUser returns an x user of the fake with a banner (want true) or without one.
func bannerUser(t testing.TB, want bool) fetchtest.User {
	t.Helper()
	return user(t, "x", func(u fetchtest.User) bool { return u.Banner == want && u.Width <= 1200 })
}

func TestBannerEndToEnd(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	u := bannerUser(t, true)
	for _, a := range []struct{ typ, id string }{{"twitter_banner", u.ID}, {"twitter_name_banner", strings.ToUpper(u.Name)}} {
		base := "/avatars/" + a.typ + "/"
		res := do(t, srv, "GET", base+a.id)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", a.typ, short(res.body))
		assert.Equal(t, "image/jpeg", res.Header.Get("Content-Type"), "the banner as X serves it")
		img, _ := decode(t, res.body)
		assert.Equal(t, image.Pt(1500, 500), img.Bounds().Size())
		for name, size := range fetchtest.BannerSizes() {
			if a.typ != "twitter_banner" && name != "web" {
				continue // one type shows every size
			}
			res := do(t, srv, "GET", base+"t_banner_"+name+"/"+a.id+".jpg")
			require.Equal(t, http.StatusOK, res.StatusCode, "%s %s: %s", a.typ, name, short(res.body))
			img, format := decode(t, res.body)
			assert.Equal(t, "jpeg", format)
			assert.Equal(t, size, img.Bounds().Size(), "%s %s", a.typ, name)
		}
		res = do(t, srv, "GET", base+"c_thumb,g_face,h_90,w_90/r_max/"+a.id+".png")
		assert.Equal(t, http.StatusOK, res.StatusCode, "any transformation")
	}
	assert.Equal(t, 2, fake.Count(fetchtest.XBanner), "one lookup per avatar (the two types are two avatars)")
	assert.Equal(t, 2, fake.Count(fetchtest.XBannerImage), "one download per avatar: every size is computed from it")
	assert.Zero(t, fake.Count(fetchtest.XLookup)+fake.Count(fetchtest.XImage), "no profile picture call")

	// No banner: 404 with the reason, and d_ stands in.
	none := bannerUser(t, false)
	res := do(t, srv, "GET", "/avatars/twitter_banner/t_banner_web/"+none.ID+".jpg")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "twitter_banner: user "+none.ID+" has no profile banner", res.Header.Get("X-Avatar-Error"))
	res = do(t, srv, "GET", "/avatars/twitter_banner/d_identicon/t_banner_web/"+none.ID+".jpg")
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	assert.Equal(t, "identicon", res.Header.Get("X-Avatar-Default"))
	img, _ := decode(t, res.body)
	assert.Equal(t, image.Pt(520, 260), img.Bounds().Size())
	res = do(t, srv, "GET", "/avatars/twitter_name_banner/"+fetchtest.MissingXName+".jpg")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "no such user")
	res = do(t, srv, "GET", "/avatars/twitter_banner/not_an_id.jpg")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	before := fake.Count(fetchtest.XBanner)
	do(t, srv, "GET", "/avatars/twitter_banner/t_banner_mobile/"+none.ID+".jpg")
	assert.Equal(t, before, fake.Count(fetchtest.XBanner), "no banner is a fact, remembered")
}

// TestBannerColdStampede: concurrent requests for a banner not cached yet cost one lookup and one
// download.
func TestBannerColdStampede(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	u := bannerUser(t, true)
	var wg sync.WaitGroup
	names := []string{"web", "mobile", "300x100", "600x200"}
	for i := range 24 {
		wg.Go(func() {
			res := do(t, srv, "GET", "/avatars/twitter_banner/t_banner_"+names[i%len(names)]+"/"+u.ID+".jpg")
			assert.Equal(t, http.StatusOK, res.StatusCode)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, fake.Count(fetchtest.XBanner))
	assert.Equal(t, 1, fake.Count(fetchtest.XBannerImage))
}

// TestBannerSharesXRateLimit: X rate-limiting the profile picture lookups holds the banner
// lookups back too (one API, one token): 503 with Retry-After, and no call.
func TestBannerSharesXRateLimit(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	fake.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: 10 * time.Minute})
	kit := bannerUser(t, true)
	res := do(t, srv, "GET", "/avatars/twitter/w_50/"+kit.ID+".jpg")
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	res = do(t, srv, "GET", "/avatars/twitter_banner/t_banner_web/"+kit.ID+".jpg")
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "X is rate-limiting us")
	assert.Zero(t, fake.Count(fetchtest.XBanner), "held back: no call")
}

// TestBannerSignedAndRestricted: the banner types are restricted like every type once the
// handler has Secrets; URLs the handler signs are served.
func TestBannerSignedAndRestricted(t *testing.T) {
	h, _, srv := newTestHandler(t, func(c *Config) { c.Secrets = []string{"banner-test-secret-0123456789"} })
	u := bannerUser(t, true)
	res := do(t, srv, "GET", "/avatars/twitter_banner/t_banner_web/"+u.ID+".jpg")
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	url, err := h.URL(Avatar{Type: "twitter_name_banner", ID: u.Name, Transformation: "t_banner_web", Format: "jpg"})
	require.NoError(t, err)
	assert.Contains(t, url, "/s--")
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", url).StatusCode)
	res = do(t, srv, "GET", strings.Replace(url, "t_banner_web", "t_banner_mobile", 1))
	assert.Equal(t, http.StatusForbidden, res.StatusCode, "the signature covers the transformation")
}

// TestBannerStore: a banner fetched once is served by a node started later from the store,
// without a call to X.
func TestBannerStore(t *testing.T) {
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	store := blobstore.New(memblob.OpenBucket(nil))
	cfg := Config{Name: "avatarmwbannerstore", Fetch: fake.FetchConfig(), Store: store}
	u, none := bannerUser(t, true), bannerUser(t, false)
	paths := []string{"/avatars/twitter_banner/t_banner_web/" + u.ID + ".jpg", "/avatars/twitter_banner/" + none.ID + ".jpg"}
	first, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(first)
	for _, p := range paths {
		do(t, srv, "GET", p)
	}
	srv.Close()
	require.NoError(t, first.Close())
	calls := fake.Count(fetchtest.XBanner) + fake.Count(fetchtest.XBannerImage)
	assert.Equal(t, 3, calls)

	again, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { again.Close() })
	srv = httptest.NewServer(again)
	t.Cleanup(srv.Close)
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", paths[0]).StatusCode)
	assert.Equal(t, http.StatusNotFound, do(t, srv, "GET", paths[1]).StatusCode)
	assert.Equal(t, calls, fake.Count(fetchtest.XBanner)+fake.Count(fetchtest.XBannerImage), "served from the store")
}

// TestBannerCluster: three nodes, every banner size of two users asked of every node at once:
// the cluster looks each banner up and downloads it once, and computes each size once.
func TestBannerCluster(t *testing.T) {
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	nodes := newCluster(t, 3, "avatarmwbannercluster", fake, nil)
	var users []fetchtest.User
	for _, u := range fetchtest.UsersOf("x") {
		if u.Banner && len(users) < 2 {
			users = append(users, u)
		}
	}
	var paths []string
	for _, u := range users {
		for name := range fetchtest.BannerSizes() {
			if name == "1500x500" || strings.HasSuffix(name, "_retina") {
				continue // the large ones: slow under -race, and nothing more to prove
			}
			paths = append(paths, "/avatars/twitter_banner/t_banner_"+name+"/"+u.ID+".jpg")
		}
	}
	client := &http.Client{Timeout: time.Minute}
	var wg sync.WaitGroup
	for i := range 3 * len(paths) {
		wg.Go(func() {
			url := nodes[i%3].url + paths[i%len(paths)]
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
			require.NoError(t, err)
			res, err := client.Do(req)
			if !assert.NoError(t, err) {
				return
			}
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", url, res.Header.Get("X-Avatar-Error"))
		})
	}
	wg.Wait()
	assert.Equal(t, len(users), fake.Count(fetchtest.XBanner), "one lookup per banner, cluster-wide")
	assert.Equal(t, len(users), fake.Count(fetchtest.XBannerImage), "one download per banner, cluster-wide")
	var transforms, fetches int64
	for _, n := range nodes {
		s := n.h.Stats()
		transforms += s.Transforms
		fetches += s.OriginFetches
	}
	assert.EqualValues(t, len(paths), transforms, "each size computed once")
	assert.EqualValues(t, len(users), fetches)
}
