package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// fake starts a fetchtest server for the test.
func fake(t *testing.T) *fetchtest.Server {
	t.Helper()
	s := fetchtest.NewServer()
	t.Cleanup(s.Close)
	return s
}

// config points every provider at s, with the credentials s accepts, and a retry delay of 1–3 ms.
func config(s *fetchtest.Server) fetch.Config {
	return fetch.Config{
		RetryDelay:    time.Millisecond,
		FacebookURL:   s.FacebookURL(),
		FacebookToken: fetchtest.FacebookToken,
		XURL:          s.XURL(),
		XToken:        fetchtest.XToken,
		GravatarURL:   s.GravatarURL(),
		Client:        fetch.ClientConfig{DialContext: s.DialContext, LookupIPAddr: s.LookupIPAddr},
	}
}

func providers(t *testing.T, cfg fetch.Config) map[string]fetch.Provider {
	t.Helper()
	ps, err := fetch.NewProviders(cfg)
	require.NoError(t, err)
	return ps
}

// fetchID runs CheckID then Fetch, as the cache does.
func fetchID(t *testing.T, ps map[string]fetch.Provider, typ, id string) (*fetch.Picture, error) {
	t.Helper()
	p, ok := ps[typ]
	require.True(t, ok, "no provider %q", typ)
	canon, err := p.CheckID(id)
	if err != nil {
		return nil, err
	}
	return p.Fetch(t.Context(), canon)
}

func requireKind(t *testing.T, err error, k fetch.Kind) *fetch.Error {
	t.Helper()
	require.Error(t, err)
	var e *fetch.Error
	require.True(t, errors.As(err, &e), "want *fetch.Error, got %T: %v", err, err)
	require.Equal(t, k, e.Kind, "kind of %q", err)
	require.ErrorIs(t, err, sentinel(k))
	return e
}

func sentinel(k fetch.Kind) error {
	return map[fetch.Kind]error{
		fetch.KindBadID: fetch.ErrBadID, fetch.KindNotFound: fetch.ErrNotFound, fetch.KindNoPicture: fetch.ErrNoPicture,
		fetch.KindGone: fetch.ErrGone, fetch.KindNotImage: fetch.ErrNotImage, fetch.KindTooLarge: fetch.ErrTooLarge,
		fetch.KindUpstream: fetch.ErrUpstream, fetch.KindTimeout: fetch.ErrTimeout,
		fetch.KindNotConfigured: fetch.ErrNotConfigured, fetch.KindCredentials: fetch.ErrCredentials,
		fetch.KindRateLimited: fetch.ErrRateLimited,
	}[k]
}

func contentType(format string) string { return "image/" + format }

func TestNewProvidersTypes(t *testing.T) {
	ps := providers(t, fetch.Config{})
	var types []string
	for typ := range ps {
		types = append(types, typ)
	}
	assert.ElementsMatch(t, []string{"facebook", "twitter", "twitter_name", "gravatar", "twitter_banner", "twitter_name_banner", "gplus", "instagram_name"}, types)
}

func TestNewProvidersConfig(t *testing.T) {
	for name, cfg := range map[string]fetch.Config{
		"size too small":       {SourceSize: 511},
		"size too large":       {SourceSize: 2049},
		"negative size":        {SourceSize: -1},
		"relative url":         {FacebookURL: "graph.facebook.com/v19.0"},
		"ftp url":              {XURL: "ftp://api.x.com"},
		"url with query":       {GravatarURL: "https://www.gravatar.com/?d=mp"},
		"url with fragment":    {GravatarURL: "https://www.gravatar.com/#x"},
		"url with user":        {XURL: "https://user:pw@api.x.com"},
		"url without host":     {XURL: "https:///2"},
		"unparseable url":      {FacebookURL: "http://[::1"},
		"token with space":     {XToken: "abc def"},
		"token with newline":   {FacebookToken: "abc\n"},
		"negative timeout":     {Client: fetch.ClientConfig{Timeout: -1}},
		"negative byte cap":    {Client: fetch.ClientConfig{MaxBytes: -1}},
		"user agent with crlf": {Client: fetch.ClientConfig{UserAgent: "a\r\nb: c"}},
		"negative backoff":     {RateLimitBackoff: -time.Second},
	} {
		_, err := fetch.NewProviders(cfg)
		assert.Error(t, err, name)
	}
	for _, size := range []int{0, 512, 1024, 2048} {
		_, err := fetch.NewProviders(fetch.Config{SourceSize: size})
		assert.NoError(t, err, "size %d", size)
	}
	for _, cfg := range []fetch.Config{{RetryDelay: -1}, {RetryDelay: time.Microsecond}, {RateLimitBackoff: time.Second}} {
		_, err := fetch.NewProviders(cfg)
		assert.NoError(t, err, "%+v", cfg)
	}
}

func TestIdentifierRules(t *testing.T) {
	ps := providers(t, fetch.Config{XToken: "t"})
	tests := []struct {
		typ, id, canonical string // canonical "" means rejected
	}{
		{"facebook", "10158273645190234", "10158273645190234"},
		{"facebook", "1", "1"},
		{"facebook", strings.Repeat("9", 25), strings.Repeat("9", 25)},
		{"facebook", strings.Repeat("9", 26), ""},
		{"facebook", "", ""},
		{"facebook", "zuck", ""},
		{"facebook", "-1", ""},
		{"facebook", "12 3", ""},
		{"facebook", "１２３", ""},
		{"facebook", "123\n", ""},

		{"twitter", "1453287346851024897", "1453287346851024897"},
		{"twitter", "14159265", "14159265"},
		{"twitter", strings.Repeat("9", 19), strings.Repeat("9", 19)},
		{"twitter", strings.Repeat("9", 20), ""},
		{"twitter", "AvatarKit", ""},
		{"twitter", "", ""},

		{"twitter_name", "AvatarKit", "avatarkit"},
		{"twitter_name", "Pixel_Pip", "pixel_pip"},
		{"twitter_name", "a", "a"},
		{"twitter_name", "_", "_"},
		{"twitter_name", "abcdefghijklmno", "abcdefghijklmno"},
		{"twitter_name", "abcdefghijklmnop", ""},
		{"twitter_name", "@jack", ""},
		{"twitter_name", "ja-ck", ""},
		{"twitter_name", "jack.", ""},
		{"twitter_name", "jäck", ""},
		{"twitter_name", "", ""},

		{"gravatar", "0bc83cb571cd1c50ba6f3e8a78ef1346", "0bc83cb571cd1c50ba6f3e8a78ef1346"},
		{"gravatar", "0BC83CB571CD1C50BA6F3E8A78EF1346", "0bc83cb571cd1c50ba6f3e8a78ef1346"},
		{"gravatar", "84059b07d4be67b806386c0aad8070a23f18836bbaae342275dc0a83414c32ee", "84059b07d4be67b806386c0aad8070a23f18836bbaae342275dc0a83414c32ee"},
		{"gravatar", "84059B07D4BE67B806386C0AAD8070A23F18836BBAAE342275DC0A83414C32EE", "84059b07d4be67b806386c0aad8070a23f18836bbaae342275dc0a83414c32ee"},
		{"gravatar", "0bc83cb571cd1c50ba6f3e8a78ef134", ""},
		{"gravatar", "0bc83cb571cd1c50ba6f3e8a78ef13467", ""},
		{"gravatar", "0bc83cb571cd1c50ba6f3e8a78ef134g", ""},
		{"gravatar", strings.Repeat("a", 48), ""},
		{"gravatar", "someone@example.com", ""},
		{"gravatar", "", ""},
	}
	for _, tt := range tests {
		canon, err := ps[tt.typ].CheckID(tt.id)
		if tt.canonical == "" {
			e := requireKind(t, err, fetch.KindBadID)
			assert.Equal(t, tt.typ, e.Provider)
			assert.Contains(t, e.Msg, "digits", "%s %q: the message names the rule", tt.typ, tt.id)
			continue
		}
		require.NoError(t, err, "%s %q", tt.typ, tt.id)
		assert.Equal(t, tt.canonical, canon, "%s %q", tt.typ, tt.id)
	}
}

func TestGone(t *testing.T) {
	ps := providers(t, fetch.Config{})
	for typ, network := range map[string]string{"gplus": "Google+", "instagram_name": "Instagram"} {
		for _, id := range []string{"118234567890", "someone", ""} {
			_, err := ps[typ].CheckID(id)
			e := requireKind(t, err, fetch.KindGone)
			assert.Equal(t, typ, e.Provider)
			assert.Contains(t, e.Msg, network)
			assert.Regexp(t, `20[0-9][0-9]`, e.Msg, "says when")
		}
		_, err := ps[typ].Fetch(t.Context(), "x")
		requireKind(t, err, fetch.KindGone)
	}
}

func TestXNotConfigured(t *testing.T) {
	s := fake(t)
	cfg := config(s)
	cfg.XToken = ""
	ps := providers(t, cfg)
	for _, typ := range []string{"twitter", "twitter_name"} {
		for _, id := range []string{"1453287346851024897", "AvatarKit", "not an id!"} {
			_, err := ps[typ].CheckID(id)
			e := requireKind(t, err, fetch.KindNotConfigured)
			assert.Equal(t, typ+": no X API bearer token configured", e.Error())
		}
		_, err := ps[typ].Fetch(t.Context(), "14159265")
		requireKind(t, err, fetch.KindNotConfigured)
	}
	assert.Zero(t, s.Count(fetchtest.XLookup))
	// The other providers work without it.
	_, err := fetchID(t, ps, "facebook", fetchtest.UsersOf("facebook")[0].ID)
	require.NoError(t, err)
}

func TestFacebookCalls(t *testing.T) {
	s := fake(t)
	for _, withToken := range []bool{true, false} {
		cfg := config(s)
		cfg.SourceSize = 600
		if !withToken {
			cfg.FacebookToken = ""
		}
		ps := providers(t, cfg)
		for _, u := range fetchtest.UsersOf("facebook") {
			s.ResetCounts()
			pic, err := fetchID(t, ps, "facebook", u.ID)
			require.NoError(t, err, u.Name)
			assert.Equal(t, "image/jpeg", pic.ContentType, u.Name)
			assert.Equal(t, u.Default, pic.Default, "%s: silhouette", u.Name)
			assert.NotEmpty(t, pic.Bytes)

			reqs := s.Requests()
			require.Len(t, reqs, 2, u.Name)
			lookup := reqs[0]
			assert.Equal(t, fetchtest.FacebookLookup, lookup.Kind)
			assert.Equal(t, "GET", lookup.Method)
			assert.Equal(t, "/facebook/v19.0/"+u.ID+"/picture", lookup.Path)
			want := url.Values{"redirect": {"false"}, "width": {"600"}, "height": {"600"}}
			if withToken {
				want.Set("access_token", fetchtest.FacebookToken)
			}
			assert.Equal(t, want, lookup.Query)
			assert.Empty(t, lookup.Header.Get("Authorization"))
			assert.Equal(t, fetch.DefaultUserAgent, lookup.Header.Get("User-Agent"))
			assert.Equal(t, fetchtest.FacebookImage, reqs[1].Kind)
			assert.True(t, strings.HasPrefix(reqs[1].Path, "/fbcdn/"), reqs[1].Path)
		}
	}
}

func TestXCalls(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	for _, u := range fetchtest.UsersOf("x") {
		for _, by := range []struct{ typ, id, path string }{
			{"twitter", u.ID, "/x/2/users/" + u.ID},
			{"twitter_name", u.Name, "/x/2/users/by/username/" + strings.ToLower(u.Name)},
			{"twitter_name", strings.ToUpper(u.Name), "/x/2/users/by/username/" + strings.ToLower(u.Name)},
		} {
			s.ResetCounts()
			pic, err := fetchID(t, ps, by.typ, by.id)
			require.NoError(t, err, "%s %s", by.typ, by.id)
			assert.Equal(t, contentType(u.Format), pic.ContentType, u.Name)
			assert.Equal(t, u.Default, pic.Default, "%s: default picture", u.Name)

			reqs := s.Requests()
			require.Len(t, reqs, 2, u.Name)
			lookup := reqs[0]
			assert.Equal(t, fetchtest.XLookup, lookup.Kind)
			assert.Equal(t, by.path, lookup.Path)
			assert.Equal(t, url.Values{"user.fields": {"profile_image_url"}}, lookup.Query)
			assert.Equal(t, "Bearer "+fetchtest.XToken, lookup.Header.Get("Authorization"))

			img := reqs[1]
			assert.Equal(t, fetchtest.XImage, img.Kind)
			orig, ok := s.XPictureURL(u.ID, "")
			require.True(t, ok)
			assert.Equal(t, orig, "http://"+img.Host+img.Path, "the original, size suffix removed")
			assert.Empty(t, img.Header.Get("Authorization"), "the bearer token stays with the API")
		}
	}
	s.ResetCounts()
	// The fake's image paths: no size variant is ever fetched.
	for _, r := range s.RequestsOf(fetchtest.XImage) {
		assert.NotRegexp(t, `_(normal|bigger|mini|200x200|400x400)\.`, r.Path)
	}
}

func TestXNeverFetchesNormal(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	for _, u := range fetchtest.UsersOf("x") {
		_, err := fetchID(t, ps, "twitter", u.ID)
		require.NoError(t, err)
	}
	imgs := s.RequestsOf(fetchtest.XImage)
	require.Len(t, imgs, len(fetchtest.UsersOf("x")))
	for _, r := range imgs {
		assert.NotContains(t, r.Path, "_normal")
		assert.NotRegexp(t, `_(bigger|mini|200x200|400x400)\.`, r.Path)
	}
}

func TestGravatarCalls(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s)) // SourceSize: the default, 1024
	for _, u := range fetchtest.UsersOf("gravatar") {
		for _, hash := range []string{u.MD5(), u.SHA256(), strings.ToUpper(u.MD5())} {
			s.ResetCounts()
			pic, err := fetchID(t, ps, "gravatar", hash)
			reqs := s.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, fetchtest.GravatarImage, reqs[0].Kind)
			assert.Equal(t, "/gravatar/avatar/"+strings.ToLower(hash), reqs[0].Path)
			assert.Equal(t, url.Values{"s": {"1024"}, "d": {"404"}}, reqs[0].Query)
			if u.NoPicture {
				e := requireKind(t, err, fetch.KindNoPicture)
				assert.Equal(t, "gravatar", e.Provider)
				continue
			}
			require.NoError(t, err, u.Name)
			assert.Equal(t, contentType(u.Format), pic.ContentType)
			assert.False(t, pic.Default)
		}
	}
	for _, hash := range []string{fetchtest.MissingGravatarHash, fetchtest.MissingGravatarSHA256} {
		_, err := fetchID(t, ps, "gravatar", hash)
		requireKind(t, err, fetch.KindNoPicture)
	}
}

// TestBaseURLJoin checks base URLs with a path and a trailing slash.
func TestBaseURLJoin(t *testing.T) {
	s := fake(t)
	cfg := config(s)
	cfg.FacebookURL += "/"
	cfg.XURL += "/"
	cfg.GravatarURL += "/"
	ps := providers(t, cfg)
	fb := fetchtest.UsersOf("facebook")[0]
	_, err := fetchID(t, ps, "facebook", fb.ID)
	require.NoError(t, err)
	_, err = fetchID(t, ps, "twitter_name", "pi_day")
	require.NoError(t, err)
	_, err = fetchID(t, ps, "gravatar", fetchtest.UsersOf("gravatar")[0].ID)
	require.NoError(t, err)
	for _, r := range s.Requests() {
		assert.NotContains(t, r.Path, "//", r.Path)
		assert.NotEqual(t, fetchtest.Other, r.Kind, r.Path)
	}
}

func TestChangePicture(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	for _, c := range []struct{ typ, network, id string }{
		{"facebook", "facebook", fetchtest.UsersOf("facebook")[0].ID},
		{"twitter", "x", fetchtest.UsersOf("x")[0].ID},
		{"gravatar", "gravatar", fetchtest.UsersOf("gravatar")[0].ID},
	} {
		before, err := fetchID(t, ps, c.typ, c.id)
		require.NoError(t, err)
		s.ChangePicture(c.network, c.id)
		after, err := fetchID(t, ps, c.typ, c.id)
		require.NoError(t, err)
		assert.False(t, bytes.Equal(before.Bytes, after.Bytes), c.typ)
	}
}

// outcome is one error-mapping case: a fault on one kind of request, and the outcome it must give.
type outcome struct {
	name    string
	typ, id string
	kind    fetchtest.Kind
	fault   fetchtest.Fault
	cfg     func(*fetch.Config)
	want    fetch.Kind
	msg     string        // a substring of Error()
	retry   time.Duration // RetryAfter, ±2s; 0: must be 0
}

var (
	fbID    = fetchtest.UsersOf("facebook")[0].ID
	xID     = fetchtest.UsersOf("x")[0].ID
	xName   = fetchtest.UsersOf("x")[0].Name
	gravID  = fetchtest.UsersOf("gravatar")[0].ID
	huge    = fetchtest.Fault{Huge: 8 << 20}
	hugeLie = fetchtest.Fault{Huge: 8 << 20, LieLength: true}
)

func outcomes() []outcome {
	var out []outcome
	add := func(o outcome) { out = append(out, o) }

	// Graph API.
	add(outcome{name: "fb no such user", typ: "facebook", id: fetchtest.MissingFacebookID, want: fetch.KindNotFound,
		msg: "facebook: no such user " + fetchtest.MissingFacebookID})
	add(outcome{name: "fb 190", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup, fault: fetchtest.Fault{BadToken: true},
		want: fetch.KindCredentials, msg: "facebook: Graph API rejected our access token (error 190)"})
	add(outcome{name: "fb wrong token", typ: "facebook", id: fbID, cfg: func(c *fetch.Config) { c.FacebookToken = "wrong" },
		want: fetch.KindCredentials, msg: "error 190"})
	for _, code := range []int{4, 17, 32, 341, 613} {
		add(outcome{name: fmt.Sprint("fb rate limit ", code), typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
			fault: fetchtest.Fault{RateLimit: true, RateLimitCode: code}, want: fetch.KindRateLimited,
			msg: fmt.Sprintf("facebook: Graph API rate limit (error %d), retry in 1m0s", code), retry: fetch.DefaultRateLimitBackoff})
	}
	add(outcome{name: "fb rate limit with usage header", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{RateLimit: true, RetryAfter: 10 * time.Minute}, want: fetch.KindRateLimited,
		msg: "retry in 10m0s", retry: 10 * time.Minute})
	for _, status := range []int{500, 502, 503, 504} {
		add(outcome{name: fmt.Sprint("fb lookup ", status), typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
			fault: fetchtest.Fault{Status: status}, want: fetch.KindUpstream})
	}
	// Graph's permission and visibility errors: what is our app's problem is a 503, what is the
	// user's choice a 404.
	add(outcome{name: "fb 200 permissions", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{GraphCode: 200}, want: fetch.KindCredentials,
		msg: "facebook: Graph API denied our app a permission it needs (error 200)"})
	add(outcome{name: "fb 10 permission denied", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{GraphCode: 10}, want: fetch.KindCredentials, msg: "(error 10)"})
	add(outcome{name: "fb 210 user not visible", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{GraphCode: 210}, want: fetch.KindNotFound,
		msg: "facebook: user " + fbID + " is not visible to this app (Graph error 210)"})
	add(outcome{name: "fb 459 checkpointed", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{GraphCode: 190, GraphSubcode: 459}, want: fetch.KindCredentials,
		msg: "the access token's Facebook account is checkpointed: log in at facebook.com to clear it (Graph error 190, subcode 459)"})
	add(outcome{name: "fb 460 password changed", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{GraphCode: 190, GraphSubcode: 460}, want: fetch.KindCredentials,
		msg: "rejected our access token (error 190)"})
	// X API.
	add(outcome{name: "x no such id", typ: "twitter", id: fetchtest.MissingXID, want: fetch.KindNotFound,
		msg: "twitter: no such user " + fetchtest.MissingXID})
	add(outcome{name: "x no such name", typ: "twitter_name", id: fetchtest.MissingXName, want: fetch.KindNotFound,
		msg: "twitter_name: no such user " + fetchtest.MissingXName})
	add(outcome{name: "x 401", typ: "twitter", id: xID, kind: fetchtest.XLookup, fault: fetchtest.Fault{BadToken: true},
		want: fetch.KindCredentials, msg: "twitter: X API rejected our bearer token"})
	add(outcome{name: "x wrong token", typ: "twitter_name", id: xName, cfg: func(c *fetch.Config) { c.XToken = "wrong" },
		want: fetch.KindCredentials})
	add(outcome{name: "x 429", typ: "twitter", id: xID, kind: fetchtest.XLookup,
		fault: fetchtest.Fault{RateLimit: true, RetryAfter: 12 * time.Minute}, want: fetch.KindRateLimited,
		msg: "twitter: X API rate limit, retry in 12m", retry: 12 * time.Minute})
	add(outcome{name: "x 429 default", typ: "twitter_name", id: xName, kind: fetchtest.XLookup,
		fault: fetchtest.Fault{RateLimit: true}, want: fetch.KindRateLimited, retry: time.Minute})
	for _, status := range []int{500, 503} {
		add(outcome{name: fmt.Sprint("x lookup ", status), typ: "twitter", id: xID, kind: fetchtest.XLookup,
			fault: fetchtest.Fault{Status: status}, want: fetch.KindUpstream, msg: fmt.Sprint("HTTP ", status)})
	}
	// X banners.
	noBanner := fetchtest.UsersOf("x")[1] // NewUser48213
	add(outcome{name: "banner none", typ: "twitter_banner", id: noBanner.ID, want: fetch.KindNoPicture,
		msg: "twitter_banner: user " + noBanner.ID + " has no profile banner"})
	add(outcome{name: "banner none by name", typ: "twitter_name_banner", id: noBanner.Name, want: fetch.KindNoPicture,
		msg: "twitter_name_banner: user " + strings.ToLower(noBanner.Name) + " has no profile banner"})
	add(outcome{name: "banner no such id", typ: "twitter_banner", id: fetchtest.MissingXID, want: fetch.KindNotFound,
		msg: "twitter_banner: no such user " + fetchtest.MissingXID})
	add(outcome{name: "banner no such name", typ: "twitter_name_banner", id: fetchtest.MissingXName, want: fetch.KindNotFound})
	add(outcome{name: "banner 401", typ: "twitter_banner", id: xID, kind: fetchtest.XBanner, fault: fetchtest.Fault{BadToken: true},
		want: fetch.KindCredentials, msg: "twitter_banner: X API rejected our bearer token"})
	add(outcome{name: "banner wrong token", typ: "twitter_name_banner", id: xName, cfg: func(c *fetch.Config) { c.XToken = "wrong" },
		want: fetch.KindCredentials})
	add(outcome{name: "banner 429", typ: "twitter_banner", id: xID, kind: fetchtest.XBanner,
		fault: fetchtest.Fault{RateLimit: true, RetryAfter: 12 * time.Minute}, want: fetch.KindRateLimited,
		msg: "twitter_banner: X API rate limit, retry in 12m", retry: 12 * time.Minute})
	for _, status := range []int{500, 503} {
		add(outcome{name: fmt.Sprint("banner lookup ", status), typ: "twitter_banner", id: xID, kind: fetchtest.XBanner,
			fault: fetchtest.Fault{Status: status}, want: fetch.KindUpstream, msg: fmt.Sprint("HTTP ", status)})
	}
	// Picture downloads: every other non-2xx is a failure of the network (X's 403 and 404 after a
	// second lookup and download).
	for _, status := range []int{403, 404, 500} {
		add(outcome{name: fmt.Sprint("x image ", status), typ: "twitter", id: xID, kind: fetchtest.XImage,
			fault: fetchtest.Fault{Status: status}, want: fetch.KindUpstream, msg: fmt.Sprint("HTTP ", status)})
		add(outcome{name: fmt.Sprint("fb image ", status), typ: "facebook", id: fbID, kind: fetchtest.FacebookImage,
			fault: fetchtest.Fault{Status: status}, want: fetch.KindUpstream})
		add(outcome{name: fmt.Sprint("banner image ", status), typ: "twitter_banner", id: xID, kind: fetchtest.XBannerImage,
			fault: fetchtest.Fault{Status: status}, want: fetch.KindUpstream, msg: fmt.Sprint("HTTP ", status)})
	}
	// Gravatar.
	add(outcome{name: "gravatar 404", typ: "gravatar", id: fetchtest.MissingGravatarHash, want: fetch.KindNoPicture,
		msg: "gravatar: no picture for " + fetchtest.MissingGravatarHash})
	add(outcome{name: "gravatar 500", typ: "gravatar", id: gravID, kind: fetchtest.GravatarImage,
		fault: fetchtest.Fault{Status: 500}, want: fetch.KindUpstream})
	add(outcome{name: "gravatar 429", typ: "gravatar", id: gravID, kind: fetchtest.GravatarImage,
		fault: fetchtest.Fault{RateLimit: true, RetryAfter: 90 * time.Second}, want: fetch.KindRateLimited,
		retry: 90 * time.Second})

	// Faults of every download and of every lookup.
	downloads := []struct {
		typ, id string
		kind    fetchtest.Kind
	}{
		{"facebook", fbID, fetchtest.FacebookImage},
		{"twitter", xID, fetchtest.XImage},
		{"gravatar", gravID, fetchtest.GravatarImage},
		{"twitter_banner", xID, fetchtest.XBannerImage},
	}
	short := func(c *fetch.Config) { c.Client.Timeout = 100 * time.Millisecond }
	capped := func(c *fetch.Config) { c.Client.MaxBytes = 1 << 20 }
	for _, d := range downloads {
		add(outcome{name: d.typ + " image timeout", typ: d.typ, id: d.id, kind: d.kind,
			fault: fetchtest.Fault{Latency: 5 * time.Second}, cfg: short, want: fetch.KindTimeout})
		add(outcome{name: d.typ + " not an image", typ: d.typ, id: d.id, kind: d.kind,
			fault: fetchtest.Fault{NotImage: true}, want: fetch.KindNotImage})
		add(outcome{name: d.typ + " huge", typ: d.typ, id: d.id, kind: d.kind, fault: huge, cfg: capped,
			want: fetch.KindTooLarge, msg: "larger than 1 MiB"})
		add(outcome{name: d.typ + " huge, lying length", typ: d.typ, id: d.id, kind: d.kind, fault: hugeLie, cfg: capped,
			want: fetch.KindTooLarge, msg: "larger than 1 MiB"})
		add(outcome{name: d.typ + " huge, default cap", typ: d.typ, id: d.id, kind: d.kind,
			fault: fetchtest.Fault{Huge: 17 << 20, LieLength: true}, want: fetch.KindTooLarge, msg: "larger than 16 MiB"})
		add(outcome{name: d.typ + " truncated", typ: d.typ, id: d.id, kind: d.kind,
			fault: fetchtest.Fault{Truncate: true}, want: fetch.KindUpstream, msg: "cut short"})
	}
	add(outcome{name: "fb lookup timeout", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup,
		fault: fetchtest.Fault{Latency: 5 * time.Second}, cfg: short, want: fetch.KindTimeout})
	add(outcome{name: "x lookup timeout", typ: "twitter_name", id: xName, kind: fetchtest.XLookup,
		fault: fetchtest.Fault{Latency: 5 * time.Second}, cfg: short, want: fetch.KindTimeout})
	return out
}

func TestErrorMapping(t *testing.T) {
	s := fake(t)
	for _, o := range outcomes() {
		t.Run(o.name, func(t *testing.T) {
			s.ClearFaults()
			s.ResetCounts()
			if o.kind != "" {
				s.SetFault(o.kind, o.fault)
			}
			cfg := config(s)
			if o.cfg != nil {
				o.cfg(&cfg)
			}
			ps := providers(t, cfg)
			start := time.Now()
			pic, err := fetchID(t, ps, o.typ, o.id)
			assert.Nil(t, pic)
			e := requireKind(t, err, o.want)
			assert.Equal(t, o.typ, e.Provider)
			if o.msg != "" {
				assert.Contains(t, err.Error(), o.msg)
			}
			assert.InDelta(t, o.retry, e.RetryAfter, float64(2*time.Second), "RetryAfter %v", e.RetryAfter)
			assert.Less(t, time.Since(start), 4*time.Second, "no wait for a slow network beyond the timeout")
			assertNoSecret(t, err)
		})
	}
	s.ClearFaults()
}

// assertNoSecret checks that neither the public message nor the cause of err holds a token.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	var e *fetch.Error
	require.ErrorAs(t, err, &e)
	texts := []string{err.Error(), e.Msg, fmt.Sprintf("%+v", err)}
	if e.Err != nil {
		texts = append(texts, e.Err.Error())
	}
	for _, text := range texts {
		for _, secret := range []string{fetchtest.FacebookToken, fetchtest.XToken, "access_token", "Bearer"} {
			assert.NotContains(t, text, secret)
		}
	}
	assert.NotContains(t, e.Msg, "?", "no query string in a public message")
	assert.NotContains(t, e.Msg, "127.0.0.1", "no internal address in a public message")
}

func TestAllowlistFacebook(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))

	for _, host := range []string{"evilfbcdn.net", "fbcdn.net.evil.com", "facebook.com.evil.com", "127.0.0.2"} {
		s.SetImageHost("facebook", host)
		s.ResetCounts()
		_, err := fetchID(t, ps, "facebook", fbID)
		e := requireKind(t, err, fetch.KindUpstream)
		assert.Contains(t, e.Msg, host, "the message names the host")
		assert.NotContains(t, e.Msg, "oh=")
		assertNoSecret(t, err)
		assert.Equal(t, 1, s.Count(fetchtest.FacebookLookup))
		assert.Zero(t, s.Count(fetchtest.FacebookImage), "%s: refused before any request", host)
	}
	for _, host := range []string{"scontent-ams4-1.xx.fbcdn.net", "platform-lookaside.fbsbx.com", "www.facebook.com", "facebook.com"} {
		s.SetImageHost("facebook", host)
		s.ResetCounts()
		pic, err := fetchID(t, ps, "facebook", fbID)
		require.NoError(t, err, host)
		assert.Equal(t, "image/jpeg", pic.ContentType)
		imgs := s.RequestsOf(fetchtest.FacebookImage)
		require.Len(t, imgs, 1)
		assert.Equal(t, host, imgs[0].Host)
	}
}

func TestAllowlistX(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	defaultUser := fetchtest.UsersOf("x")[1]
	require.True(t, defaultUser.Default)

	for _, host := range []string{"pbs.twimg.com.evil.com", "evilpbs.twimg.com", "twimg.com", "fbcdn.net"} {
		s.SetImageHost("x", host)
		s.ResetCounts()
		_, err := fetchID(t, ps, "twitter", xID)
		e := requireKind(t, err, fetch.KindUpstream)
		assert.Contains(t, e.Msg, host)
		assert.Zero(t, s.Count(fetchtest.XImage), "%s: refused before any request", host)
	}
	for _, host := range []string{"pbs.twimg.com", "abs.twimg.com"} {
		s.SetImageHost("x", host)
		s.ResetCounts()
		_, err := fetchID(t, ps, "twitter", xID)
		require.NoError(t, err, host)
		pic, err := fetchID(t, ps, "twitter", defaultUser.ID)
		require.NoError(t, err, host)
		assert.True(t, pic.Default)
		for _, r := range s.RequestsOf(fetchtest.XImage) {
			assert.Equal(t, host, r.Host)
			assert.NotContains(t, r.Path, "_normal")
		}
	}
}

// TestLogsHoldNoSecret fetches with every fault that produces an error while logging at debug
// level, and checks the log never holds a token.
func TestLogsHoldNoSecret(t *testing.T) {
	s := fake(t)
	var buf bytes.Buffer
	cfg := config(s)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Client.Timeout = 100 * time.Millisecond
	ps := providers(t, cfg)
	faults := []fetchtest.Fault{{}, {BadToken: true}, {Status: 500}, {RateLimit: true}, {Latency: time.Second}, {Truncate: true}}
	for _, f := range faults {
		for _, k := range []fetchtest.Kind{fetchtest.FacebookLookup, fetchtest.FacebookImage, fetchtest.XLookup, fetchtest.XImage} {
			s.ClearFaults()
			s.SetFault(k, f)
			_, _ = fetchID(t, ps, "facebook", fbID)
			_, _ = fetchID(t, ps, "twitter", xID)
		}
	}
	s.SetImageHost("facebook", "evil.example")
	_, _ = fetchID(t, ps, "facebook", fbID)
	require.NotEmpty(t, buf.String())
	assert.Contains(t, buf.String(), "level=WARN")
	assert.NotContains(t, buf.String(), fetchtest.FacebookToken)
	assert.NotContains(t, buf.String(), fetchtest.XToken)
}

// TestCallerContext checks that the caller's context bounds a fetch.
func TestCallerContext(t *testing.T) {
	s := fake(t)
	s.SetFault(fetchtest.XImage, fetchtest.Fault{Latency: 5 * time.Second})
	ps := providers(t, config(s))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ps["twitter"].Fetch(ctx, xID)
	requireKind(t, err, fetch.KindTimeout)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// TestFetchChecksID checks that Fetch validates and canonicalises an id its caller did not pass
// through CheckID.
func TestFetchChecksID(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	for _, typ := range []string{"facebook", "twitter", "twitter_name", "gravatar"} {
		_, err := ps[typ].Fetch(t.Context(), "../../etc/passwd?x=1")
		requireKind(t, err, fetch.KindBadID)
	}
	assert.Empty(t, s.Requests())

	u := fetchtest.UsersOf("gravatar")[0]
	_, err := ps["gravatar"].Fetch(t.Context(), strings.ToUpper(u.ID))
	require.NoError(t, err)
	_, err = ps["twitter_name"].Fetch(t.Context(), "PI_DAY")
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "/gravatar/avatar/"+u.ID, reqs[0].Path)
	assert.Equal(t, "/x/2/users/by/username/pi_day", reqs[1].Path)
}
