package avatarmw

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// Freshness through the front door (docs/freshness.md): refresh periods, forced refreshes,
// stale-if-error, negative caching, rate limits and slow networks. One fake clock drives the
// handler, the providers (fetch.Config.Now) and the fake network (SetNow): no test waits out a
// period.

// freshEnv is a handler on the fake clock, mounted with its admin endpoint.
type freshEnv struct {
	h     *Handler
	fake  *fetchtest.Server
	srv   *httptest.Server
	clock *fetchtest.Clock
}

const freshAdminToken = "admin-token-0123456789abcdef"

func newFreshEnv(t testing.TB, mod func(*Config)) *freshEnv {
	t.Helper()
	e := &freshEnv{clock: newClock(), fake: fetchtest.NewServer()}
	t.Cleanup(e.fake.Close)
	e.fake.SetNow(e.clock.Now)
	h, err := New(freshConfig(e.fake, e.clock, mod))
	require.NoError(t, err)
	e.h = h
	admin, err := h.AdminHandler("/admin/avatars/", freshAdminToken)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/avatars/", h)
	mux.Handle("/admin/avatars/", admin)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() { e.srv.Close(); h.Close() })
	return e
}

// freshConfig is a configuration against fake on clock: every clock is the one clock, and the
// one retry of a transient failure waits a millisecond.
func freshConfig(fake *fetchtest.Server, clock *fetchtest.Clock, mod func(*Config)) Config {
	cfg := Config{
		Name:         fmt.Sprintf("avatarmwfresh%d", testHandlerSeq.Add(1)),
		MaxQueueWait: testQueueWait,
		Fetch: fetch.Config{
			FacebookURL:   fake.FacebookURL(),
			FacebookToken: fetchtest.FacebookToken,
			XURL:          fake.XURL(),
			XToken:        fetchtest.XToken,
			GravatarURL:   fake.GravatarURL(),
			RetryDelay:    time.Millisecond,
			Now:           clock.Now,
		},
		Now: clock.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

var maxAgeRE = regexp.MustCompile(`^public, max-age=([0-9]+)$`)

// freshMaxAge returns the max-age of a response that is not immutable.
func freshMaxAge(t testing.TB, res response) int {
	t.Helper()
	m := maxAgeRE.FindStringSubmatch(res.Header.Get("Cache-Control"))
	require.NotNil(t, m, "Cache-Control %q", res.Header.Get("Cache-Control"))
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

// ok gets path and requires a 200.
func (e *freshEnv) ok(t testing.TB, path string, hdr ...string) response {
	t.Helper()
	res := do(t, e.srv, "GET", path, hdr...)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", path, short(res.body))
	return res
}

// origin counts the fake's requests: lookups and downloads of every network.
func origin(fake *fetchtest.Server) (lookups, downloads int) {
	lookups = fake.Count(fetchtest.FacebookLookup) + fake.Count(fetchtest.XLookup)
	downloads = fake.Count(fetchtest.FacebookImage) + fake.Count(fetchtest.XImage) + fake.Count(fetchtest.GravatarImage)
	return lookups, downloads
}

const immutable = "public, max-age=31536000, immutable"

// small picks a plain user with a small picture: quick to render, download and transform.
func small(u fetchtest.User) bool { return plain(u) && u.Width <= 400 }

// Point 1: each avatar is re-checked once per refresh period, staggered per avatar; max-age is
// the time left; a refresh that finds the same picture computes nothing again.
func TestFreshRefreshPeriod(t *testing.T) {
	const period = 24 * time.Hour
	e := newFreshEnv(t, func(c *Config) { c.RefreshPeriod = period })
	u := user(t, "facebook", small)
	path := "/avatars/facebook/c_fill,g_face,h_90,w_90/" + u.ID + ".jpg"

	first := e.ok(t, path)
	left := freshMaxAge(t, first)
	assert.Positive(t, left)
	assert.LessOrEqual(t, left, int(period/time.Second))
	etag := first.Header.Get("ETag")

	// Staggered: every avatar has a refresh time of its own.
	ages := map[int]bool{left: true}
	for range 4 {
		o := e.fake.AddUser(fetchtest.User{Network: "facebook", Width: 64})
		ages[freshMaxAge(t, e.ok(t, "/avatars/facebook/w_20/"+o.ID+".jpg"))] = true
	}
	assert.Len(t, ages, 5, "five avatars, five refresh times")
	lookups, downloads := e.fake.Count(fetchtest.FacebookLookup), e.fake.Count(fetchtest.FacebookImage)
	transforms := e.h.Stats().Transforms

	// max-age is the time left, counting down with the clock.
	e.clock.Advance(10 * time.Second)
	res := e.ok(t, path)
	assert.Equal(t, left-10, freshMaxAge(t, res))
	assert.Equal(t, etag, res.Header.Get("ETag"))

	// Up to the refresh time the network is not asked.
	e.clock.Advance(time.Duration(left-10) * time.Second)
	res = e.ok(t, path)
	assert.Equal(t, 0, freshMaxAge(t, res))
	assert.Equal(t, lookups, e.fake.Count(fetchtest.FacebookLookup))

	// Past it, once: the same picture, so the same variant and ETag, nothing transformed again.
	e.clock.Advance(time.Second)
	for range 3 {
		res = e.ok(t, path)
		assert.Equal(t, etag, res.Header.Get("ETag"))
		assert.Equal(t, first.body, res.body)
		assert.InDelta(t, int(period/time.Second), freshMaxAge(t, res), 1, "a whole period ahead")
	}
	assert.Equal(t, lookups+1, e.fake.Count(fetchtest.FacebookLookup), "re-checked once")
	assert.Equal(t, downloads, e.fake.Count(fetchtest.FacebookImage), "the same cache_key: not downloaded again")
	assert.Equal(t, transforms, e.h.Stats().Transforms, "the same picture: no variant computed again")

	// A client that has it gets a 304.
	res = do(t, e.srv, "GET", path, "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, res.StatusCode)
	assert.Empty(t, res.body)
	assert.Equal(t, etag, res.Header.Get("ETag"))
	assert.Positive(t, freshMaxAge(t, res))
}

// Point 2: a picture that changed is served, with a new ETag, once the period is over.
func TestFreshChangedPictureAfterThePeriod(t *testing.T) {
	for _, tc := range []struct{ typ, network, id string }{
		{"facebook", "facebook", user(t, "facebook", small).ID},
		{"twitter", "x", user(t, "x", small).ID},
		{"twitter_name", "x", "Pixel_Pip"},
		{"gravatar", "gravatar", user(t, "gravatar", func(u fetchtest.User) bool { return plain(u) && u.Width <= 600 }).ID},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			e := newFreshEnv(t, func(c *Config) { c.RefreshPeriod = time.Hour })
			path := "/avatars/" + tc.typ + "/c_fill,h_40,w_40/" + tc.id + ".png"
			old := e.ok(t, path)
			left := freshMaxAge(t, old)
			e.fake.ChangePicture(tc.network, tc.id)
			transforms := e.h.Stats().Transforms

			e.clock.Advance(time.Duration(left) * time.Second)
			res := e.ok(t, path)
			assert.Equal(t, old.Header.Get("ETag"), res.Header.Get("ETag"), "before the refresh time: the picture cached")

			e.clock.Advance(time.Second)
			res = e.ok(t, path)
			assert.NotEqual(t, old.Header.Get("ETag"), res.Header.Get("ETag"))
			assert.NotEqual(t, old.body, res.body)
			assert.Equal(t, transforms+1, e.h.Stats().Transforms)
			res2 := do(t, e.srv, "GET", path, "If-None-Match", old.Header.Get("ETag"))
			assert.Equal(t, http.StatusOK, res2.StatusCode, "the old ETag no longer matches")
		})
	}
}

// adminPost posts a forced refresh to the admin endpoint.
func adminPost(t testing.TB, srv *httptest.Server, path, auth string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	return res.StatusCode, res.Header, body
}

// Point 3, one node: a forced refresh is served at once, unversioned and with its version.
func TestFreshForcedRefresh(t *testing.T) {
	e := newFreshEnv(t, func(c *Config) { c.RefreshPeriod = 24 * time.Hour })
	u := user(t, "facebook", small)
	const tr = "/avatars/facebook/c_fill,h_64,w_64/"
	path := tr + u.ID + ".jpg"
	old := e.ok(t, path)
	left := freshMaxAge(t, old)

	e.clock.Advance(time.Minute)
	e.fake.ChangePicture("facebook", u.ID)
	lookups, downloads := origin(e.fake)
	version, err := e.h.Refresh(context.Background(), "facebook", u.ID)
	require.NoError(t, err)
	assert.EqualValues(t, e.clock.Now().Unix(), version)
	l2, d2 := origin(e.fake)
	assert.Equal(t, [2]int{lookups + 1, downloads + 1}, [2]int{l2, d2}, "a refresh is one fetch")

	res := e.ok(t, path)
	assert.NotEqual(t, old.Header.Get("ETag"), res.Header.Get("ETag"), "unversioned: the new picture at once")
	assert.Equal(t, left-60, freshMaxAge(t, res), "until the period ends")
	vres := e.ok(t, fmt.Sprintf("%sv%d/%s.jpg", tr, version, u.ID))
	assert.Equal(t, res.Header.Get("ETag"), vres.Header.Get("ETag"))
	assert.Equal(t, res.body, vres.body)
	assert.Equal(t, immutable, vres.Header.Get("Cache-Control"))
	l3, d3 := origin(e.fake)
	assert.Equal(t, [2]int{l2, d2}, [2]int{l3, d3}, "both serve the refresh's fetch")

	// A repeat moments later is the same refresh: no call.
	again, err := e.h.Refresh(context.Background(), "facebook", u.ID)
	require.NoError(t, err)
	assert.Equal(t, version, again)
	l4, d4 := origin(e.fake)
	assert.Equal(t, [2]int{l2, d2}, [2]int{l4, d4}, "refreshes coalesce")

	// The same through the admin endpoint, past the coalescing window, with a transformation not
	// asked for yet.
	e.fake.ChangePicture("facebook", u.ID)
	e.clock.Advance(cache.RefreshCoalesce)
	code, _, body := adminPost(t, e.srv, "/admin/avatars/facebook/"+u.ID+"/refresh", "Bearer "+freshAdminToken)
	require.Equal(t, http.StatusOK, code, "%v", body)
	v2, ok := body["version"].(float64)
	require.True(t, ok, "%v", body)
	assert.EqualValues(t, e.clock.Now().Unix(), v2)
	assert.Greater(t, uint64(v2), version)
	now := e.ok(t, path)
	assert.NotEqual(t, res.Header.Get("ETag"), now.Header.Get("ETag"))
	v2res := e.ok(t, fmt.Sprintf("/avatars/facebook/w_30/v%d/%s.jpg", uint64(v2), u.ID))
	assert.Equal(t, immutable, v2res.Header.Get("Cache-Control"))
	fresh := e.ok(t, "/avatars/facebook/w_30/"+u.ID+".jpg")
	assert.Equal(t, fresh.Header.Get("ETag"), v2res.Header.Get("ETag"))
}

func TestFreshAdminEndpoint(t *testing.T) {
	e := newFreshEnv(t, nil)
	u := user(t, "facebook", plain)
	ok := "/admin/avatars/facebook/" + u.ID + "/refresh"
	bearer := "Bearer " + freshAdminToken
	wrong := freshAdminToken[:len(freshAdminToken)-1] + "X"
	for _, tc := range []struct {
		name, method, path, auth string
		code                     int
	}{
		{"no credentials", "POST", ok, "", 401},
		{"wrong token", "POST", ok, "Bearer " + wrong, 401},
		{"token prefix", "POST", ok, "Bearer " + freshAdminToken[:20], 401},
		{"longer token", "POST", ok, bearer + "0", 401},
		{"other scheme", "POST", ok, "Basic " + freshAdminToken, 401},
		{"no token", "POST", ok, "Bearer ", 401},
		{"GET", "GET", ok, bearer, 405},
		{"no refresh", "POST", "/admin/avatars/facebook/" + u.ID, bearer, 404},
		{"trailing slash", "POST", ok + "/", bearer, 404},
		{"other action", "POST", "/admin/avatars/facebook/" + u.ID + "/purge", bearer, 404},
		{"unknown type", "POST", "/admin/avatars/myspace/1/refresh", bearer, 400},
		{"bad id", "POST", "/admin/avatars/facebook/abc/refresh", bearer, 400},
		{"gone", "POST", "/admin/avatars/gplus/1/refresh", bearer, 410},
		{"no such user", "POST", "/admin/avatars/facebook/" + fetchtest.MissingFacebookID + "/refresh", bearer, 404},
		{"ok", "POST", ok, bearer, 200},
		{"scheme in another case", "POST", ok, "bearer " + freshAdminToken, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, e.srv.URL+tc.path, nil)
			require.NoError(t, err)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			res, err := e.srv.Client().Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			var body struct {
				Version *uint64 `json:"version"`
				Error   string  `json:"error"`
			}
			require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
			assert.Equal(t, tc.code, res.StatusCode, body.Error)
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
			switch tc.code {
			case 200:
				require.NotNil(t, body.Version)
				assert.GreaterOrEqual(t, *body.Version, uint64(e.clock.Now().Unix()), "a Unix time (or one more than the last)")
				assert.Empty(t, body.Error)
			case 401:
				assert.NotEmpty(t, res.Header.Get("WWW-Authenticate"))
				assert.Nil(t, body.Version)
				assert.NotContains(t, body.Error, freshAdminToken)
			case 405:
				assert.Equal(t, "POST", res.Header.Get("Allow"))
			case 404:
				if tc.name == "no such user" {
					require.NotNil(t, body.Version, "a permanent outcome has its version too")
				}
			}
			if tc.code != 200 {
				assert.NotEmpty(t, body.Error)
				assert.Equal(t, body.Error, res.Header.Get("X-Avatar-Error"))
			}
		})
	}
	assert.Equal(t, 1, e.fake.Count(fetchtest.FacebookImage), "only the good refreshes downloaded anything, and they coalesce")

	_, err := e.h.AdminHandler("admin/", freshAdminToken)
	assert.Error(t, err)
	_, err = e.h.AdminHandler("/admin", freshAdminToken)
	assert.Error(t, err)
	_, err = e.h.AdminHandler("/admin/", "")
	assert.Error(t, err, "an empty token")
	_, err = e.h.AdminHandler("/admin/", "short")
	assert.NoError(t, err, "a short token is taken, with a warning")
}

// Point 4: the network fails at refresh time: the last good picture, for a short while, at most
// StaleIfError past its refresh time; the refresh is tried again after ErrorRetry.
func TestFreshStaleIfError(t *testing.T) {
	const errorRetry = 10 * time.Second
	for _, tc := range []struct {
		name        string
		kind        fetchtest.Kind
		fault       fetchtest.Fault
		loadTimeout time.Duration
		status      int
	}{
		{"5xx", fetchtest.FacebookLookup, fetchtest.Fault{Status: 503}, 0, http.StatusBadGateway},
		{"truncated", fetchtest.FacebookImage, fetchtest.Fault{Truncate: true}, 0, http.StatusBadGateway},
		{"slower than the load timeout", fetchtest.FacebookLookup, fetchtest.Fault{Latency: 3 * time.Second}, 300 * time.Millisecond, http.StatusGatewayTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newFreshEnv(t, func(c *Config) {
				c.RefreshPeriod, c.ErrorRetry, c.StaleIfError = time.Hour, errorRetry, 2*time.Hour
				c.LoadTimeout = tc.loadTimeout
			})
			// Every refresh downloads: no cache_key says the picture is the same.
			e.fake.OmitCacheKeys(true)
			u := user(t, "facebook", small) // loads well within 300 ms
			path := "/avatars/facebook/c_fill,h_50,w_50/" + u.ID + ".jpg"
			good := e.ok(t, path)
			etag := good.Header.Get("ETag")
			e.clock.Advance(time.Duration(freshMaxAge(t, good)+1) * time.Second) // just past the refresh time

			e.fake.SetFault(tc.kind, tc.fault)
			stale := func(why string) {
				t.Helper()
				res := e.ok(t, path)
				assert.Equal(t, etag, res.Header.Get("ETag"), why)
				assert.Equal(t, good.body, res.body)
				assert.NotEmpty(t, res.Header.Get("X-Avatar-Stale"), why)
				assert.Equal(t, int(errorRetry/time.Second), freshMaxAge(t, res), "a stale picture is fresh for ErrorRetry")
			}
			start := time.Now()
			stale("the refresh failed")
			if tc.loadTimeout > 0 {
				took := time.Since(start)
				assert.GreaterOrEqual(t, took, tc.loadTimeout)
				assert.Less(t, took, tc.loadTimeout+time.Second, "the load gives up at LoadTimeout")
			}
			asked := e.fake.Count(tc.kind)
			stale("meanwhile")
			assert.Equal(t, asked, e.fake.Count(tc.kind), "not asked again before ErrorRetry")
			e.clock.Advance(errorRetry)
			stale("still down")
			assert.Greater(t, e.fake.Count(tc.kind), asked, "asked again after ErrorRetry, not next period")
			assert.Positive(t, e.h.Stats().StaleServed)

			// At most StaleIfError past the refresh time.
			e.clock.Advance(2*time.Hour - errorRetry - 2*time.Second)
			stale("just within StaleIfError")
			e.clock.Advance(2 * time.Second)
			res := do(t, e.srv, "GET", path)
			assert.Equal(t, tc.status, res.StatusCode, short(res.body))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))

			// The network is back, with a new picture: served once ErrorRetry is over.
			e.fake.ClearFaults()
			e.fake.ChangePicture("facebook", u.ID)
			e.clock.Advance(errorRetry)
			res = e.ok(t, path)
			assert.Empty(t, res.Header.Get("X-Avatar-Stale"))
			assert.NotEqual(t, etag, res.Header.Get("ETag"))
			assert.Greater(t, freshMaxAge(t, res), int(errorRetry/time.Second))
		})
	}
}

// Point 5: "no such user" and "no picture" are remembered for NegativeTTL (5 minutes by
// default): a storm costs one lookup, and one more per NegativeTTL; a user who appears is
// served after it, and not looked up again.
func TestFreshNegativeCaching(t *testing.T) {
	e := newFreshEnv(t, nil)
	storm := func(path string, want int) {
		t.Helper()
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				res := do(t, e.srv, "GET", path)
				assert.Equal(t, want, res.StatusCode)
				if want == http.StatusNotFound {
					assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
				}
			})
		}
		wg.Wait()
	}
	missing := "/avatars/facebook/w_20/" + fetchtest.MissingFacebookID + ".jpg"
	storm(missing, http.StatusNotFound)
	assert.Equal(t, 1, e.fake.Count(fetchtest.FacebookLookup), "100 requests at once, one lookup")
	e.clock.Advance(cacheDefaultNegativeTTL - time.Second)
	storm(missing, http.StatusNotFound)
	assert.Equal(t, 1, e.fake.Count(fetchtest.FacebookLookup), "believed for NegativeTTL")
	e.clock.Advance(2 * time.Second)
	storm(missing, http.StatusNotFound)
	assert.Equal(t, 2, e.fake.Count(fetchtest.FacebookLookup), "after NegativeTTL, one more lookup")
	e.clock.Advance(cacheDefaultNegativeTTL)
	storm(missing, http.StatusNotFound)
	assert.Equal(t, 3, e.fake.Count(fetchtest.FacebookLookup), "one per NegativeTTL")

	// "No picture": Gravatar's 404.
	nobody := user(t, "gravatar", func(u fetchtest.User) bool { return u.NoPicture })
	storm("/avatars/gravatar/"+nobody.ID+".jpg", http.StatusNotFound)
	assert.Equal(t, 1, e.fake.Count(fetchtest.GravatarImage))

	// A user who appears.
	const newID = "10999999999999999"
	lookups := e.fake.Count(fetchtest.FacebookLookup)
	storm("/avatars/facebook/"+newID+".jpg", http.StatusNotFound)
	e.fake.AddUser(fetchtest.User{Network: "facebook", ID: newID})
	e.clock.Advance(cacheDefaultNegativeTTL - time.Second)
	storm("/avatars/facebook/"+newID+".jpg", http.StatusNotFound)
	assert.Equal(t, lookups+1, e.fake.Count(fetchtest.FacebookLookup))
	e.clock.Advance(2 * time.Second)
	storm("/avatars/facebook/"+newID+".jpg", http.StatusOK)
	assert.Equal(t, lookups+2, e.fake.Count(fetchtest.FacebookLookup), "found by the re-check")
	for i := range 6 {
		e.clock.Advance(cacheDefaultNegativeTTL)
		e.ok(t, fmt.Sprintf("/avatars/facebook/w_%d/%s.jpg", 20+i, newID))
	}
	assert.Equal(t, lookups+2, e.fake.Count(fetchtest.FacebookLookup), "a user found is not looked up every NegativeTTL")
}

// cacheDefaultNegativeTTL is cache.DefaultNegativeTTL, as docs/freshness.md states it.
const cacheDefaultNegativeTTL = 5 * time.Minute

// Point 6: X rate-limits us: at most one call per reset window whatever the number of users;
// meanwhile 503 with Retry-After, or the stale picture when there is one.
func TestFreshRateLimitStorm(t *testing.T) {
	e := newFreshEnv(t, func(c *Config) { c.RefreshPeriod = time.Hour })
	known := user(t, "x", small)
	knownPath := "/avatars/twitter/w_32/" + known.ID + ".jpg"
	good := e.ok(t, knownPath)
	e.clock.Advance(time.Duration(freshMaxAge(t, good)+1) * time.Second)

	const window = 15 * time.Minute
	e.fake.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: window})
	lookups := e.fake.Count(fetchtest.XLookup)
	res := do(t, e.srv, "GET", "/avatars/twitter/"+fetchtest.Users[7].ID+".jpg") // the call that gets the 429
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode, short(res.body))
	assert.Equal(t, lookups+1, e.fake.Count(fetchtest.XLookup))

	var paths []string
	for _, u := range fetchtest.UsersOf("x") {
		paths = append(paths, "/avatars/twitter/w_32/"+u.ID+".jpg", "/avatars/twitter_name/w_24/"+u.Name+".png")
	}
	storm := func(retryAfter time.Duration) {
		t.Helper()
		var wg sync.WaitGroup
		for range 3 {
			for _, p := range paths {
				wg.Go(func() {
					res := do(t, e.srv, "GET", p)
					if p == knownPath {
						assert.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
						assert.NotEmpty(t, res.Header.Get("X-Avatar-Stale"))
						assert.Equal(t, good.Header.Get("ETag"), res.Header.Get("ETag"))
						return
					}
					assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "%s: %s", p, short(res.body))
					secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
					if assert.NoError(t, err, p) {
						assert.InDelta(t, retryAfter.Seconds(), secs, 2, p)
					}
				})
			}
		}
		wg.Wait()
	}
	storm(window)
	assert.Equal(t, lookups+1, e.fake.Count(fetchtest.XLookup), "no call while the window lasts")
	e.clock.Advance(5 * time.Minute)
	storm(window - 5*time.Minute)
	assert.Equal(t, lookups+1, e.fake.Count(fetchtest.XLookup))

	// The window is over: one call goes first; still limited, so the others wait for the next.
	e.clock.Advance(window - 5*time.Minute + time.Second)
	storm(window)
	assert.Equal(t, lookups+2, e.fake.Count(fetchtest.XLookup), "one call per window")

	// The limit is lifted: served again after the window.
	e.fake.ClearFaults()
	e.clock.Advance(window + time.Second)
	for _, p := range []string{knownPath, "/avatars/twitter_name/w_24/pi_day.png"} {
		res := e.ok(t, p)
		assert.Empty(t, res.Header.Get("X-Avatar-Stale"), p)
	}
}

// Point 7: a slow network is a 504 within LoadTimeout, and leaves no goroutine behind.
func TestFreshSlowNetworkIs504AndLeavesNothingBehind(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	clock := newClock()
	fake := fetchtest.NewServer()
	fake.SetNow(clock.Now)
	const loadTimeout = 300 * time.Millisecond
	h, err := New(freshConfig(fake, clock, func(c *Config) { c.LoadTimeout = loadTimeout }))
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	res := do(t, srv, "GET", "/avatars/facebook/"+user(t, "facebook", small).ID+".jpg") // a connection to the fake, kept
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))

	fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Latency: 10 * time.Second})
	fake.SetFault(fetchtest.GravatarImage, fetchtest.Fault{Latency: 10 * time.Second})
	var paths []string
	for _, u := range fetchtest.UsersOf("facebook")[:3] {
		paths = append(paths, "/avatars/facebook/"+u.ID+".jpg", "/avatars/facebook/w_10/"+u.ID+".png")
	}
	paths = append(paths, "/avatars/gravatar/"+user(t, "gravatar", plain).ID+".jpg")
	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Go(func() {
			res := do(t, srv, "GET", p)
			assert.Equal(t, http.StatusGatewayTimeout, res.StatusCode, "%s: %s", p, short(res.body))
			assert.Contains(t, res.Header.Get("X-Avatar-Error"), "not received before the caller's deadline",
				"%s: the bound that applied is LoadTimeout, not the client's 10 s", p)
		})
	}
	wg.Wait()
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, loadTimeout)
	assert.Less(t, took, loadTimeout+time.Second, "every request answered within the load timeout")
	t.Logf("%d requests to a network that answers in 10 s: 504 after %v", len(paths), took)

	// Meanwhile the failure is the answer, at once.
	start = time.Now()
	res = do(t, srv, "GET", paths[0])
	assert.Equal(t, http.StatusGatewayTimeout, res.StatusCode)
	assert.Less(t, time.Since(start), loadTimeout)

	srv.Close()
	h.Close()
	fake.Close()
	goleak.VerifyNone(t, ignore)
}

// Point 8: a body cut short caches nothing: the next request after ErrorRetry downloads again.
func TestFreshTruncatedBodyIsNotCached(t *testing.T) {
	const errorRetry = 5 * time.Second
	e := newFreshEnv(t, func(c *Config) { c.ErrorRetry = errorRetry })
	u := user(t, "facebook", small)
	path := "/avatars/facebook/" + u.ID + ".jpg"
	e.fake.SetFault(fetchtest.FacebookImage, fetchtest.Fault{Truncate: true})
	res := do(t, e.srv, "GET", path)
	assert.Equal(t, http.StatusBadGateway, res.StatusCode, short(res.body))
	downloads := e.fake.Count(fetchtest.FacebookImage)
	assert.Equal(t, 2, downloads, "cut short, tried again once")

	e.fake.ClearFaults()
	res = do(t, e.srv, "GET", path)
	assert.Equal(t, http.StatusBadGateway, res.StatusCode, "the failure is the answer for ErrorRetry")
	assert.Equal(t, downloads, e.fake.Count(fetchtest.FacebookImage))

	e.clock.Advance(errorRetry)
	res = e.ok(t, path)
	img, _ := decode(t, res.body)
	assert.Equal(t, u.Width, img.Bounds().Dx(), "the whole picture")
	assert.Equal(t, downloads+1, e.fake.Count(fetchtest.FacebookImage))
	e.ok(t, path)
	assert.Equal(t, downloads+1, e.fake.Count(fetchtest.FacebookImage), "now cached")
	assert.True(t, strings.HasPrefix(res.Header.Get("Cache-Control"), "public, max-age="))
}

// Close leaves no connection to the networks open, and so no goroutine behind, even while the
// networks are still up (a closed fake would close them from its side and hide a leak).
func TestCloseClosesConnectionsToTheNetworks(t *testing.T) {
	clock := newClock()
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	fake.SetNow(clock.Now)
	ignore := goleak.IgnoreCurrent() // the fake's own, which stay
	h, err := New(freshConfig(fake, clock, nil))
	require.NoError(t, err)
	for network, typ := range map[string]string{fetchtest.Facebook: "facebook", fetchtest.X: "twitter", fetchtest.Gravatar: "gravatar"} {
		u := user(t, network, func(u fetchtest.User) bool { return !u.NoPicture && u.Width <= 2048 && u.Height <= 2048 })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/avatars/"+typ+"/"+u.ID+".jpg", nil))
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", typ, rec.Body)
	}
	require.Error(t, goleak.Find(ignore), "the connections to the fake networks are kept for reuse")
	require.NoError(t, h.Close())
	goleak.VerifyNone(t, ignore)
}
