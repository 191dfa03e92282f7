package avatarmw

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"
	"io"
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

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

var testHandlerSeq atomic.Int64

// newTestHandler returns a handler whose providers all point at a fresh fetchtest fake, and a
// test server it is mounted on next to a route of the app's own.
// testQueueWait is the MaxQueueWait of the tests that are not about shedding: on a machine busy
// with other tests, or under the race detector, work waits longer than the default 3 s in wall
// time, and a 503 would fail a test that is about something else.
const testQueueWait = time.Minute

func newTestHandler(t testing.TB, mod func(*Config)) (*Handler, *fetchtest.Server, *httptest.Server) {
	t.Helper()
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	cfg := Config{
		Name:         fmt.Sprintf("avatarmwtest%d", testHandlerSeq.Add(1)),
		MaxQueueWait: testQueueWait,
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
	h, err := New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/avatars/", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the app's own page") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return h, fake, srv
}

// user returns the first user of the fake network that satisfies ok.
func user(t testing.TB, network string, ok func(fetchtest.User) bool) fetchtest.User {
	t.Helper()
	for _, u := range fetchtest.Users {
		if u.Network == network && (ok == nil || ok(u)) {
			return u
		}
	}
	t.Fatalf("fetchtest has no such %s user", network)
	return fetchtest.User{}
}

func plain(u fetchtest.User) bool {
	return !u.Default && !u.NoPicture && u.Format == "jpeg" && u.Width <= 2048 && u.Height <= 2048
}

type response struct {
	*http.Response
	body []byte
}

func do(t testing.TB, srv *httptest.Server, method, path string, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{res, body}
}

// short returns a body fit for a failure message: text as is, an image as its length.
func short(b []byte) string {
	if len(b) > 200 || bytes.ContainsFunc(b, func(r rune) bool { return r == 0xFFFD || r < 9 }) {
		return fmt.Sprintf("(%d bytes of binary)", len(b))
	}
	return string(b)
}

func decode(t testing.TB, b []byte) (image.Image, string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img, format
}

func TestServesAnAvatar(t *testing.T) {
	h, fake, srv := newTestHandler(t, nil)
	u := user(t, "facebook", plain)
	path := "/avatars/facebook/c_fill,h_90,w_90/" + u.ID + ".jpg"

	res := do(t, srv, "GET", path)
	require.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
	assert.Equal(t, "image/jpeg", res.Header.Get("Content-Type"))
	assert.Equal(t, strconv.Itoa(len(res.body)), res.Header.Get("Content-Length"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	assert.Regexp(t, `^"[0-9a-f]+"$`, res.Header.Get("ETag"))
	assert.Empty(t, res.Header.Get("X-Avatar-Error"))
	img, format := decode(t, res.body)
	assert.Equal(t, "jpeg", format)
	assert.Equal(t, image.Rect(0, 0, 90, 90), img.Bounds())

	var maxAge int
	_, err := fmt.Sscanf(res.Header.Get("Cache-Control"), "public, max-age=%d", &maxAge)
	require.NoError(t, err, res.Header.Get("Cache-Control"))
	assert.Greater(t, maxAge, 0)
	assert.LessOrEqual(t, maxAge, int((7 * 24 * time.Hour).Seconds()))

	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup))
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookImage))

	// The app's own routes still work next to it.
	assert.Equal(t, "the app's own page", string(do(t, srv, "GET", "/about").body))

	again := do(t, srv, "GET", path)
	assert.Equal(t, res.body, again.body)
	assert.Equal(t, res.Header.Get("ETag"), again.Header.Get("ETag"))
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup), "served from the cache")
	s := h.Stats()
	assert.EqualValues(t, 2, s.Requests)
	assert.EqualValues(t, 1, s.OriginFetches)
	assert.EqualValues(t, 1, s.Transforms)
}

func TestEveryProvider(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	xu := user(t, "x", plain)
	gu := user(t, "gravatar", func(u fetchtest.User) bool { return !u.NoPicture })
	fu := user(t, "facebook", plain)
	for _, path := range []string{
		"/avatars/facebook/w_64/" + fu.ID + ".png",
		"/avatars/twitter/w_64/" + xu.ID + ".png",
		"/avatars/twitter_name/w_64/" + xu.Name + ".png",
		"/avatars/gravatar/w_64/" + gu.ID + ".png",
		"/avatars/gravatar/w_64/" + strings.ToUpper(gu.SHA256()) + ".png",
	} {
		res := do(t, srv, "GET", path)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", path, short(res.body))
		img, format := decode(t, res.body)
		assert.Equal(t, "png", format, path)
		assert.Equal(t, 64, img.Bounds().Dx(), path)
	}
	for _, r := range fake.Requests() {
		assert.NotContains(t, r.Path, "_normal", "the 48 px X picture is never fetched")
	}
}

func TestHTTPSemantics(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	u := user(t, "facebook", plain)
	path := "/avatars/facebook/c_fill,h_40,w_40/" + u.ID + ".png"
	first := do(t, srv, "GET", path)
	require.Equal(t, http.StatusOK, first.StatusCode)
	etag := first.Header.Get("ETag")

	t.Run("HEAD", func(t *testing.T) {
		res := do(t, srv, "HEAD", path)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Empty(t, res.body)
		assert.Equal(t, strconv.Itoa(len(first.body)), res.Header.Get("Content-Length"))
		assert.Equal(t, etag, res.Header.Get("ETag"))
		assert.Equal(t, "image/png", res.Header.Get("Content-Type"))
	})
	t.Run("methods", func(t *testing.T) {
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
			res := do(t, srv, m, path)
			assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, m)
			assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"), m)
			assert.Contains(t, res.Header.Get("X-Avatar-Error"), m)
		}
	})
	t.Run("If-None-Match", func(t *testing.T) {
		for _, inm := range []string{etag, `"nope", ` + etag, "W/" + etag, "*", `"a","b",` + etag + `,"c"`} {
			res := do(t, srv, "GET", path, "If-None-Match", inm)
			assert.Equal(t, http.StatusNotModified, res.StatusCode, inm)
			assert.Empty(t, res.body, inm)
			assert.Equal(t, etag, res.Header.Get("ETag"), inm)
			assert.NotEmpty(t, res.Header.Get("Cache-Control"), inm)
		}
		for _, inm := range []string{`"nope"`, `"nope", "other"`, strings.Trim(etag, `"`), `W/"x"`} {
			res := do(t, srv, "GET", path, "If-None-Match", inm)
			assert.Equal(t, http.StatusOK, res.StatusCode, inm)
			assert.Equal(t, first.body, res.body, inm)
		}
	})
	t.Run("versioned", func(t *testing.T) {
		// A version no forced refresh made (a cache buster) serves the current picture, and like
		// every versioned URL it is fresh for a year.
		plain := do(t, srv, "GET", "/avatars/facebook/c_fill,h_40,w_40/"+u.ID+".png")
		assert.Regexp(t, `^public, max-age=\d+$`, plain.Header.Get("Cache-Control"))
		res := do(t, srv, "GET", "/avatars/facebook/c_fill,h_40,w_40/v5/"+u.ID+".png")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
		assert.Equal(t, plain.Header.Get("ETag"), res.Header.Get("ETag"))
		// A forced refresh's version is immutable.
		version, err := h.Refresh(context.Background(), "facebook", u.ID)
		require.NoError(t, err)
		res = do(t, srv, "GET", "/avatars/facebook/c_fill,h_40,w_40/v"+strconv.FormatUint(version, 10)+"/"+u.ID+".png")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
	})
	t.Run("errors carry their reason", func(t *testing.T) {
		res := do(t, srv, "GET", "/avatars/facebook/w_abc/"+u.ID+".png")
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		reason := res.Header.Get("X-Avatar-Error")
		assert.Contains(t, reason, "w_abc")
		assert.Equal(t, reason+"\n", short(res.body))
		assert.Equal(t, "text/plain; charset=utf-8", res.Header.Get("Content-Type"))
		assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	})
}

func TestRefusals(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	fu := user(t, "facebook", plain)
	for _, tc := range []struct {
		path   string
		status int
		reason string
	}{
		{"/avatars/facebook/" + fetchtest.MissingFacebookID + ".jpg", 404, "no such user"},
		{"/avatars/twitter/" + fetchtest.MissingXID + ".jpg", 404, "no such user"},
		{"/avatars/twitter_name/" + fetchtest.MissingXName + ".jpg", 404, "no such user"},
		{"/avatars/gravatar/" + fetchtest.MissingGravatarHash + ".jpg", 404, "no picture"},
		{"/avatars/gplus/123.jpg", 410, "gplus"},
		{"/avatars/instagram_name/someone.jpg", 410, "instagram"},
		{"/avatars/myspace/123.jpg", 400, "myspace"},
		{"/avatars/facebook/abc.jpg", 400, "abc"},
		{"/avatars/twitter_name/this_name_is_too_long.jpg", 400, "this_name_is_too_long"},
		{"/avatars/gravatar/0bc83cb571cd1c50ba6f3e8a78ef134.jpg", 400, "0bc83cb571cd1c50ba6f3e8a78ef134"},
		{"/avatars/facebook/w_abc/" + fu.ID + ".jpg", 400, "w_abc"},
		{"/avatars/facebook/w_0/" + fu.ID + ".jpg", 400, "w_0"},
		{"/avatars/facebook/w_5000/" + fu.ID + ".jpg", 400, "w_5000"},
		{"/avatars/facebook/dpr_3.0,w_1000/" + fu.ID + ".jpg", 400, "dpr"},
		{"/avatars/facebook/c_fil/" + fu.ID + ".jpg", 400, "c_fil"},
		{"/avatars/facebook/g_face,c_scale,w_90/" + fu.ID + ".jpg", 400, "g_face"},
		{"/avatars/facebook/r_maxi/" + fu.ID + ".jpg", 400, "r_maxi"},
		{"/avatars/facebook/" + fu.ID + ".bmp", 400, "extension"},
		{"/avatars/facebook/v0/" + fu.ID + ".jpg", 400, "v0"},
		{"/avatars/facebook/w_abc/" + fu.ID + ".jpg?_a=BAMAROfk0", 400, "w_abc"},
		{"/avatars/facebook/w_10%2Fh_10/" + fu.ID + ".jpg", 400, "percent-encoded"},
		{"/avatars/facebook/" + strings.Repeat("w_10/", 500) + fu.ID + ".jpg", 414, "limit is 2048"},
	} {
		t.Run(tc.path[:min(len(tc.path), 80)], func(t *testing.T) {
			res := do(t, srv, "GET", tc.path)
			assert.Equal(t, tc.status, res.StatusCode, short(res.body))
			assert.Contains(t, res.Header.Get("X-Avatar-Error"), tc.reason)
			assert.Equal(t, res.Header.Get("X-Avatar-Error")+"\n", short(res.body))
		})
	}
	// Refused before any network call, except the four lookups of users that do not exist.
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup))
	assert.Equal(t, 2, fake.Count(fetchtest.XLookup))
	assert.Equal(t, 1, fake.Count(fetchtest.GravatarImage))
	assert.Zero(t, fake.Count(fetchtest.FacebookImage))
}

func TestNoSuchUserIsAskedOnce(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	for _, tr := range []string{"", "w_10/", "c_fill,h_20,w_20/", ""} {
		res := do(t, srv, "GET", "/avatars/facebook/"+tr+fetchtest.MissingFacebookID+".jpg")
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	}
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup))
}

func TestNetworkFaults(t *testing.T) {
	fu := user(t, "facebook", plain)
	xu := user(t, "x", plain)
	for _, tc := range []struct {
		name       string
		kind       fetchtest.Kind
		fault      fetchtest.Fault
		path       string
		status     int
		reason     string
		retryAfter bool
	}{
		{"graph 5xx", fetchtest.FacebookLookup, fetchtest.Fault{Status: 500}, "/avatars/facebook/" + fu.ID + ".jpg", 502, "facebook", false},
		{"graph throttled", fetchtest.FacebookLookup, fetchtest.Fault{RateLimit: true, RateLimitCode: 4}, "/avatars/facebook/" + fu.ID + ".jpg", 503, "facebook", false},
		{"graph bad token", fetchtest.FacebookLookup, fetchtest.Fault{BadToken: true}, "/avatars/facebook/" + fu.ID + ".jpg", 503, "facebook", false},
		{"x rate limit", fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: 90 * time.Second}, "/avatars/twitter/" + xu.ID + ".jpg", 503, "twitter", true},
		{"x bad token", fetchtest.XLookup, fetchtest.Fault{BadToken: true}, "/avatars/twitter/" + xu.ID + ".jpg", 503, "twitter", false},
		{"not an image", fetchtest.FacebookImage, fetchtest.Fault{NotImage: true}, "/avatars/facebook/" + fu.ID + ".jpg", 422, "facebook", false},
		{"huge", fetchtest.FacebookImage, fetchtest.Fault{Huge: 40 << 20}, "/avatars/facebook/" + fu.ID + ".jpg", 422, "facebook", false},
		{"truncated", fetchtest.FacebookImage, fetchtest.Fault{Truncate: true}, "/avatars/facebook/" + fu.ID + ".jpg", 502, "facebook", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			_, fake, srv := newTestHandler(t, func(c *Config) { c.Now, c.Fetch.Now = clock.Now, clock.Now })
			fake.SetNow(clock.Now)
			fake.SetFault(tc.kind, tc.fault)
			res := do(t, srv, "GET", tc.path)
			assert.Equal(t, tc.status, res.StatusCode, short(res.body))
			assert.Contains(t, res.Header.Get("X-Avatar-Error"), tc.reason)
			assert.NotContains(t, res.Header.Get("X-Avatar-Error"), fetchtest.FacebookToken)
			assert.NotContains(t, res.Header.Get("X-Avatar-Error"), "127.0.0.1")
			if tc.retryAfter {
				secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
				require.NoError(t, err, res.Header.Get("Retry-After"))
				assert.InDelta(t, 90, secs, 5)
			}
			// Transient failures are not cached: once the network is back (and after ErrorRetry,
			// and the rate limit's reset, during which the network is left alone), the next
			// request works.
			if tc.status >= 500 {
				fake.ClearFaults()
				res := do(t, srv, "GET", tc.path)
				assert.Equal(t, tc.status, res.StatusCode, "not asked again at once: %s", short(res.body))
				clock.Advance(2 * time.Minute)
				res = do(t, srv, "GET", tc.path)
				assert.Equal(t, http.StatusOK, res.StatusCode, short(res.body))
			}
		})
	}
}

func TestTwitterWithoutToken(t *testing.T) {
	_, fake, srv := newTestHandler(t, func(c *Config) { c.Fetch.XToken = "" })
	xu := user(t, "x", plain)
	res := do(t, srv, "GET", "/avatars/twitter/"+xu.ID+".jpg")
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.Contains(t, res.Header.Get("X-Avatar-Error"), "token")
	assert.Zero(t, fake.Count(fetchtest.XLookup))
	// Other networks are unaffected.
	fu := user(t, "facebook", plain)
	assert.Equal(t, http.StatusOK, do(t, srv, "GET", "/avatars/facebook/"+fu.ID+".jpg").StatusCode)
}

func TestScreenNamesAreCaseInsensitive(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	xu := user(t, "x", func(u fetchtest.User) bool { return plain(u) && strings.ToLower(u.Name) != u.Name })
	a := do(t, srv, "GET", "/avatars/twitter_name/w_50/"+xu.Name+".jpg")
	b := do(t, srv, "GET", "/avatars/twitter_name/w_50/"+strings.ToLower(xu.Name)+".jpg")
	require.Equal(t, http.StatusOK, a.StatusCode)
	assert.Equal(t, a.body, b.body)
	assert.Equal(t, 1, fake.Count(fetchtest.XLookup))
}

// TestColdStampede: 200 concurrent requests for one cold avatar cause exactly one origin lookup,
// one download and one transform.
func TestColdStampede(t *testing.T) {
	h, fake, srv := newTestHandler(t, nil)
	fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Latency: 100 * time.Millisecond})
	u := user(t, "facebook", plain)
	path := "/avatars/facebook/c_fill,h_90,w_90/" + u.ID + ".jpg"
	const n = 200
	var wg sync.WaitGroup
	etags := make([]string, n)
	codes := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := srv.Client().Get(srv.URL + path)
			if !assert.NoError(t, err) {
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes[i], etags[i] = res.StatusCode, res.Header.Get("ETag")
		}()
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		assert.Equal(t, http.StatusOK, codes[i])
		assert.Equal(t, etags[0], etags[i])
	}
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup))
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookImage))
	s := h.Stats()
	assert.EqualValues(t, 1, s.OriginFetches)
	assert.EqualValues(t, 1, s.Transforms)
	assert.EqualValues(t, n, s.Requests)
}

// TestTransformationsShareOneDownload: several transformations of one avatar cause one download.
func TestTransformationsShareOneDownload(t *testing.T) {
	h, fake, srv := newTestHandler(t, nil)
	u := user(t, "x", plain)
	trs := []string{"", "w_40/", "c_fill,h_90,w_90/", "c_pad,h_50,w_100/", "c_crop,g_north,h_0.5,w_1.0/", "c_fit,h_30,w_30/"}
	var wg sync.WaitGroup
	for _, tr := range trs {
		for _, ext := range []string{".jpg", ".png", ""} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := srv.Client().Get(srv.URL + "/avatars/twitter/" + tr + u.ID + ext)
				if assert.NoError(t, err) {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					assert.Equal(t, http.StatusOK, res.StatusCode, tr+ext)
				}
			}()
		}
	}
	wg.Wait()
	assert.Equal(t, 1, fake.Count(fetchtest.XLookup))
	assert.Equal(t, 1, fake.Count(fetchtest.XImage))
	assert.EqualValues(t, len(trs)*3, h.Stats().Transforms)
}

func TestURLBuilder(t *testing.T) {
	h, _, srv := newTestHandler(t, nil)
	xu := user(t, "x", plain)
	url, err := h.URL(Avatar{Type: "twitter_name", ID: xu.Name, Transformation: "w_90,h_90,c_fill", Format: "jpeg", Version: 3})
	require.NoError(t, err)
	assert.Equal(t, "/avatars/twitter_name/c_fill,h_90,w_90/v3/"+strings.ToLower(xu.Name)+".jpg", url)
	res := do(t, srv, "GET", url)
	assert.Equal(t, http.StatusOK, res.StatusCode)

	for _, a := range []Avatar{
		{Type: "nope", ID: "1"},
		{Type: "facebook", ID: "abc"},
		{Type: "facebook", ID: "1", Transformation: "w_abc"},
		{Type: "facebook", ID: "1", Format: "bmp"},
		// What the handler's configuration refuses, as a request would be refused.
		{Type: "facebook", ID: "1", Transformation: "t_thumb"},
		{Type: "facebook", ID: "1", Transformation: "c_fill,d_nope,h_90,w_90"},
		{Type: "facebook", ID: "1", Transformation: "w_3000"},
		{Type: "facebook", ID: "1", Transformation: "dpr_2.0,w_1500"},
	} {
		_, err := h.URL(a)
		assert.Error(t, err, "%+v", a)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{Prefix: "avatars/"},
		{Prefix: "/avatars"},
		{MaxURLLength: 10},
		{Fetch: fetch.Config{SourceSize: 10}},
		{Providers: map[string]fetch.Provider{"Bad-Name": nil}},
	} {
		cfg.Name = fmt.Sprintf("avatarmwtest%d", testHandlerSeq.Add(1))
		_, err := New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}

func TestClientHangingUpDoesNotFailOthers(t *testing.T) {
	_, fake, srv := newTestHandler(t, nil)
	fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Latency: 200 * time.Millisecond})
	u := user(t, "facebook", plain)
	url := srv.URL + "/avatars/facebook/w_32/" + u.ID + ".jpg"

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	_, err := srv.Client().Do(req)
	require.Error(t, err)

	res, err := srv.Client().Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup))
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
	}{
		{&fetch.Error{Kind: fetch.KindBadID}, 400},
		{&fetch.Error{Kind: fetch.KindNotFound}, 404},
		{&fetch.Error{Kind: fetch.KindNoPicture}, 404},
		{&fetch.Error{Kind: fetch.KindGone}, 410},
		{&fetch.Error{Kind: fetch.KindNotImage}, 422},
		{&fetch.Error{Kind: fetch.KindTooLarge}, 422},
		{&fetch.Error{Kind: fetch.KindUpstream}, 502},
		{&fetch.Error{Kind: fetch.KindTimeout}, 504},
		{&fetch.Error{Kind: fetch.KindNotConfigured}, 503},
		{&fetch.Error{Kind: fetch.KindCredentials}, 503},
		{&fetch.Error{Kind: fetch.KindRateLimited}, 503},
		{fmt.Errorf("wrapped: %w", &fetch.Error{Kind: fetch.KindNotFound}), 404},
		{&URLError{Part: "x", Msg: "y"}, 400},
		{context.DeadlineExceeded, 504},
		{io.ErrUnexpectedEOF, 500},
	} {
		code, reason, _ := StatusOf(tc.err)
		assert.Equal(t, tc.code, code, "%v", tc.err)
		assert.NotEmpty(t, reason)
	}
	_, _, ra := StatusOf(&fetch.Error{Kind: fetch.KindRateLimited, RetryAfter: time.Minute})
	assert.Equal(t, time.Minute, ra)
}

// newClock returns a settable clock for Config.Now, fetch.Config.Now and the fake's SetNow.
func newClock() *fetchtest.Clock {
	return fetchtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
}

// Front hands avatar paths to the handler as they came, so "..", "." and "//" are avatarkit's
// 400 naming the segment; mounted on a ServeMux they are the mux's 307 to the cleaned path.
// Every other path goes to the app's mux, which cleans it as usual.
func TestFrontServesAvatarPathsAsTheyCame(t *testing.T) {
	h, _, mounted := newTestHandler(t, nil)
	mux := http.NewServeMux()
	mux.Handle("/avatars/", h)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	front := httptest.NewServer(h.Front(mux))
	t.Cleanup(front.Close)
	noRedirects := func(srv *httptest.Server) *http.Client {
		c := *srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return &c
	}
	get := func(srv *httptest.Server, path string) *http.Response {
		t.Helper()
		res, err := noRedirects(srv).Get(srv.URL + path)
		require.NoError(t, err)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	id := user(t, "facebook", plain).ID
	for path, reason := range map[string]string{
		"/avatars/facebook/../facebook/" + id + ".jpg": "..: relative path segments are not allowed",
		"/avatars/facebook/./" + id + ".jpg":           ".: relative path segments are not allowed",
		"/avatars/facebook//" + id + ".jpg":            "empty path segment",
		"/avatars/facebook/w_90//" + id + ".jpg":       "empty path segment",
		"/avatars/../healthz":                          "relative path segments",
		"/avatars%2Ffacebook/" + id + ".jpg":           "avatars%2Ffacebook: percent-encoded characters are not allowed",
	} {
		res := get(front, path)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, path)
		assert.Contains(t, res.Header.Get("X-Avatar-Error"), reason, path)
		if !strings.Contains(path, "%") {
			assert.Equal(t, http.StatusTemporaryRedirect, get(mounted, path).StatusCode, "%s: on a ServeMux", path)
		}
	}
	assert.Equal(t, http.StatusOK, get(front, "/avatars/facebook/w_90/"+id+".jpg").StatusCode)
	assert.Equal(t, http.StatusOK, get(front, "/healthz").StatusCode, "the app's routes")
	assert.Equal(t, http.StatusTemporaryRedirect, get(front, "/x/../healthz").StatusCode, "the app's mux cleans its paths")
	assert.Equal(t, http.StatusNotFound, get(front, "/avatarsx").StatusCode)
}
