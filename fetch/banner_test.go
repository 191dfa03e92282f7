package fetch_test

import (
	"bytes"
	"image"
	_ "image/jpeg"
	"io"
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

// bannerUsers are the x users of the fake with a banner and without one.
func bannerUsers(t *testing.T) (with, without []fetchtest.User) {
	t.Helper()
	for _, u := range fetchtest.UsersOf("x") {
		if u.Banner {
			with = append(with, u)
		} else {
			without = append(without, u)
		}
	}
	require.NotEmpty(t, with)
	require.NotEmpty(t, without)
	return with, without
}

// TestBannerCalls: profile_banner.json by user id or screen name with the bearer token, then the
// largest size (1500x500), a JPEG of 1500×500 whose URL is its validator; a user without a
// banner is "no picture".
func TestBannerCalls(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	with, without := bannerUsers(t)
	for _, u := range with {
		for _, by := range []struct{ typ, id, query string }{
			{"twitter_banner", u.ID, "user_id=" + u.ID},
			{"twitter_name_banner", strings.ToUpper(u.Name), "screen_name=" + strings.ToLower(u.Name)},
		} {
			s.ResetCounts()
			pic, err := fetchID(t, ps, by.typ, by.id)
			require.NoError(t, err, "%s %s", by.typ, by.id)
			assert.Equal(t, "image/jpeg", pic.ContentType)
			assert.False(t, pic.Default)
			cfg, _, err := image.DecodeConfig(bytes.NewReader(pic.Bytes))
			require.NoError(t, err)
			assert.Equal(t, 1500, cfg.Width, "the largest size")
			assert.Equal(t, 500, cfg.Height)
			largest, ok := s.XBannerURL(u.ID, "1500x500")
			require.True(t, ok)
			assert.Equal(t, largest, pic.Validator, "the banner's URL names it")

			reqs := s.Requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, fetchtest.XBanner, reqs[0].Kind)
			assert.Equal(t, "/x/1.1/users/profile_banner.json", reqs[0].Path)
			q, err := url.ParseQuery(by.query)
			require.NoError(t, err)
			assert.Equal(t, q, reqs[0].Query)
			assert.Equal(t, "Bearer "+fetchtest.XToken, reqs[0].Header.Get("Authorization"))
			assert.Equal(t, fetchtest.XBannerImage, reqs[1].Kind)
			assert.Equal(t, largest, "http://"+reqs[1].Host+reqs[1].Path)
			assert.Empty(t, reqs[1].Header.Get("Authorization"), "the bearer token stays with the API")
		}
	}
	for _, u := range without {
		_, err := fetchID(t, ps, "twitter_banner", u.ID)
		requireKind(t, err, fetch.KindNoPicture)
	}
}

// TestBannerNotConfigured: without an X token the banner types cannot be served, whatever the id.
func TestBannerNotConfigured(t *testing.T) {
	cfg := config(fake(t))
	cfg.XToken = ""
	ps := providers(t, cfg)
	for _, typ := range []string{"twitter_banner", "twitter_name_banner"} {
		_, err := ps[typ].CheckID("whatever")
		requireKind(t, err, fetch.KindNotConfigured)
		_, err = ps[typ].Fetch(t.Context(), "123")
		requireKind(t, err, fetch.KindNotConfigured)
	}
	_, err := providers(t, config(fake(t)))["twitter_banner"].CheckID("not-an-id")
	requireKind(t, err, fetch.KindBadID)
}

// TestBannerSharesXGate: the banner types share X's rate-limit gate with the profile picture
// types. A rate-limited picture lookup holds the banner lookups back, and the other way round.
func TestBannerSharesXGate(t *testing.T) {
	s, clk, ps := clocked(t, nil)
	s.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: 15 * time.Minute})
	_, err := fetchID(t, ps, "twitter", xID)
	requireKind(t, err, fetch.KindRateLimited)
	_, err = fetchID(t, ps, "twitter_banner", xID)
	requireGated(t, err, "twitter_banner", 15*time.Minute)
	_, err = fetchID(t, ps, "twitter_name_banner", xName)
	requireGated(t, err, "twitter_name_banner", 15*time.Minute)
	assert.Zero(t, s.Count(fetchtest.XBanner), "no banner call while X rate-limits us")

	s.ClearFaults()
	clk.Advance(15*time.Minute + 2*time.Second)
	s.SetFault(fetchtest.XBanner, fetchtest.Fault{RateLimit: true, RetryAfter: 5 * time.Minute})
	_, err = fetchID(t, ps, "twitter_banner", xID)
	requireKind(t, err, fetch.KindRateLimited)
	_, err = fetchID(t, ps, "twitter_name", xName)
	requireGated(t, err, "twitter_name", 5*time.Minute)
	assert.Equal(t, 1, s.Count(fetchtest.XLookup), "the picture lookup is held back by the banner's rate limit")
}

// TestBannerChanged: a new banner has a new URL, so a new validator; the old URL answers 404,
// and a banner changed between the lookup and the download is looked up once more.
func TestBannerChanged(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	first, err := fetchID(t, ps, "twitter_banner", xID)
	require.NoError(t, err)
	s.ChangeBanner(xID)
	assert.Equal(t, 1, s.BannerGeneration(xID))
	second, err := fetchID(t, ps, "twitter_banner", xID)
	require.NoError(t, err)
	assert.NotEqual(t, first.Validator, second.Validator)
	assert.False(t, bytes.Equal(first.Bytes, second.Bytes), "a new picture")
	res, err := s.Client().Get(first.Validator)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 404, res.StatusCode, "the old banner is gone")

	s.ResetCounts()
	s.OnNext(fetchtest.XBanner, func() { s.ChangeBanner(xID) })
	third, err := fetchID(t, ps, "twitter_banner", xID)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Count(fetchtest.XBanner), "looked up again after the 404")
	assert.Equal(t, 2, s.Count(fetchtest.XBannerImage))
	now, ok := s.XBannerURL(xID, "1500x500")
	require.True(t, ok)
	assert.Equal(t, now, third.Validator)

	// A user without a banner uploads one.
	_, without := bannerUsers(t)
	_, err = fetchID(t, ps, "twitter_banner", without[0].ID)
	requireKind(t, err, fetch.KindNoPicture)
	s.ChangeBanner(without[0].Name)
	pic, err := fetchID(t, ps, "twitter_banner", without[0].ID)
	require.NoError(t, err)
	assert.NotEmpty(t, pic.Bytes)
}

// revalidate runs CheckID then FetchIfChanged.
func revalidate(t *testing.T, ps map[string]fetch.Provider, typ, id, validator string) (*fetch.Picture, error) {
	t.Helper()
	p, ok := ps[typ].(fetch.Revalidator)
	require.True(t, ok, "%s is a Revalidator", typ)
	canon, err := p.CheckID(id)
	require.NoError(t, err)
	return p.FetchIfChanged(t.Context(), canon, validator)
}

// TestRevalidate: given the validator of the picture it holds, a provider makes the lookup only
// while the network names that picture, and downloads when it changed (or when it was given no
// validator, or Graph gives no cache_key).
func TestRevalidate(t *testing.T) {
	s := fake(t)
	ps := providers(t, config(s))
	_, isRV := ps["gravatar"].(fetch.Revalidator)
	assert.False(t, isRV, "Gravatar has no lookup to ask")
	fb := fetchtest.UsersOf("facebook")[0]
	x := fetchtest.UsersOf("x")[0]
	for _, c := range []struct {
		typ, id string
		lookup  fetchtest.Kind
		image   fetchtest.Kind
		change  func()
	}{
		{"facebook", fb.ID, fetchtest.FacebookLookup, fetchtest.FacebookImage, func() { s.ChangePicture("facebook", fb.ID) }},
		{"twitter", x.ID, fetchtest.XLookup, fetchtest.XImage, func() { s.ChangePicture("x", x.ID) }},
		{"twitter_name", x.Name, fetchtest.XLookup, fetchtest.XImage, func() { s.ChangePicture("x", x.ID) }},
		{"twitter_banner", x.ID, fetchtest.XBanner, fetchtest.XBannerImage, func() { s.ChangeBanner(x.ID) }},
		{"twitter_name_banner", x.Name, fetchtest.XBanner, fetchtest.XBannerImage, func() { s.ChangeBanner(x.ID) }},
	} {
		t.Run(c.typ, func(t *testing.T) {
			s.ResetCounts()
			first, err := fetchID(t, ps, c.typ, c.id)
			require.NoError(t, err)
			require.NotEmpty(t, first.Validator)
			assert.False(t, first.Unchanged)

			same, err := revalidate(t, ps, c.typ, c.id, first.Validator)
			require.NoError(t, err)
			assert.True(t, same.Unchanged, "the same picture")
			assert.Empty(t, same.Bytes)
			assert.Equal(t, first.Validator, same.Validator)
			assert.Equal(t, 2, s.Count(c.lookup), "a lookup")
			assert.Equal(t, 1, s.Count(c.image), "and no download")

			other, err := revalidate(t, ps, c.typ, c.id, first.Validator+"x")
			require.NoError(t, err)
			assert.False(t, other.Unchanged, "another validator: downloaded")
			assert.True(t, bytes.Equal(first.Bytes, other.Bytes))
			none, err := revalidate(t, ps, c.typ, c.id, "")
			require.NoError(t, err)
			assert.False(t, none.Unchanged, "no validator: downloaded")
			assert.Equal(t, 3, s.Count(c.image))

			c.change()
			changed, err := revalidate(t, ps, c.typ, c.id, first.Validator)
			require.NoError(t, err)
			assert.False(t, changed.Unchanged, "a new picture")
			assert.NotEqual(t, first.Validator, changed.Validator)
			assert.False(t, bytes.Equal(first.Bytes, changed.Bytes))
		})
	}

	t.Run("facebook without cache_key", func(t *testing.T) {
		s.OmitCacheKeys(true)
		defer s.OmitCacheKeys(false)
		s.ResetCounts()
		pic, err := fetchID(t, ps, "facebook", fb.ID)
		require.NoError(t, err)
		assert.Empty(t, pic.Validator, "nothing to compare")
		key, ok := s.CacheKey(fb.ID)
		require.True(t, ok)
		again, err := revalidate(t, ps, "facebook", fb.ID, key)
		require.NoError(t, err)
		assert.False(t, again.Unchanged, "Graph gave no cache_key: downloaded")
		assert.Equal(t, 2, s.Count(fetchtest.FacebookImage))
	})
	t.Run("facebook validator is the cache_key", func(t *testing.T) {
		pic, err := fetchID(t, ps, "facebook", fb.ID)
		require.NoError(t, err)
		key, ok := s.CacheKey(fb.ID)
		require.True(t, ok)
		assert.Equal(t, key, pic.Validator)
	})
}

// TestRevalidateLogs: an unchanged answer is logged as such.
func TestRevalidateLogs(t *testing.T) {
	s := fake(t)
	var logs bytes.Buffer
	cfg := config(s)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ps := providers(t, cfg)
	pic, err := fetchID(t, ps, "facebook", fbID)
	require.NoError(t, err)
	_, err = revalidate(t, ps, "facebook", fbID, pic.Validator)
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "outcome=unchanged")
}

// TestBannerImageHost: the fake's banner sizes are the sizes the API lists.
func TestBannerImageHost(t *testing.T) {
	s := fake(t)
	for name, size := range fetchtest.BannerSizes() {
		u, ok := s.XBannerURL(xID, name)
		require.True(t, ok, name)
		res, err := s.Client().Get(u)
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
		require.NoError(t, err, name)
		assert.Equal(t, "jpeg", format)
		assert.Equal(t, size, image.Pt(cfg.Width, cfg.Height), name)
	}
	_, ok := s.XBannerURL(xID, "huge")
	assert.False(t, ok)
}
