package avatarmw

import (
	"bytes"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// Bad answers are not facts: a page that is not an image, a file over the limits, a body cut
// short, a 5xx are retried after a back-off that starts at a second and doubles while they go
// on, with the last good picture served meanwhile; only "no such user" and "no picture" are
// remembered. All on the fake clock.

// badAnswers are the faults of an image download that a network may give for a while.
var badAnswers = []struct {
	name   string
	fault  fetchtest.Fault
	status int // the answer when no good picture is known
	tries  int // downloads per load: fetch retries a transient failure once
}{
	{"not an image", fetchtest.Fault{NotImage: true}, http.StatusUnprocessableEntity, 1},
	{"too large", fetchtest.Fault{Huge: 256 << 10}, http.StatusUnprocessableEntity, 1},
	{"cut short", fetchtest.Fault{Truncate: true}, http.StatusBadGateway, 2},
	{"5xx", fetchtest.Fault{Status: 503}, http.StatusBadGateway, 2},
}

// badConfig caps downloads at 128 KiB, so that "too large" streams little.
func badConfig(c *Config) {
	c.RefreshPeriod = time.Hour
	c.Fetch.Client.MaxBytes = 128 << 10
}

// At refresh time: the last good picture while the network is bad, tried again after 1, 2, 4, 8 s;
// the new picture as soon as a try finds the network well again.
func TestBadAnswersAtRefreshAreRetriedWithABackoff(t *testing.T) {
	for _, tc := range badAnswers {
		t.Run(tc.name, func(t *testing.T) {
			e := newFreshEnv(t, badConfig)
			// Every refresh downloads: no cache_key says the picture is the same.
			e.fake.OmitCacheKeys(true)
			u := user(t, "facebook", small)
			path := "/avatars/facebook/c_fill,h_40,w_40/" + u.ID + ".jpg"
			good := e.ok(t, path)
			e.clock.Advance(time.Duration(freshMaxAge(t, good)+1) * time.Second) // past the refresh time
			e.fake.SetFault(fetchtest.FacebookImage, tc.fault)

			loads := func() int64 { return e.h.Stats().OriginFetches }
			before := loads()
			var triedAt []int // seconds since the refresh time at which the network was asked
			for s := range 17 {
				if s > 0 {
					e.clock.Advance(time.Second)
				}
				n := loads()
				res := e.ok(t, path)
				assert.Equal(t, good.Header.Get("ETag"), res.Header.Get("ETag"), "%ds: the last good picture", s)
				assert.NotEmpty(t, res.Header.Get("X-Avatar-Stale"), "%ds", s)
				assert.LessOrEqual(t, freshMaxAge(t, res), 1, "a stale picture is fresh for a second")
				if loads() > n {
					triedAt = append(triedAt, s)
				}
			}
			assert.Equal(t, []int{0, 1, 3, 7, 15}, triedAt, "tried again after 1, 2, 4, 8 s")
			assert.EqualValues(t, 5, loads()-before)

			// The network is well again: the next try serves the new picture.
			e.fake.ClearFaults()
			e.fake.ChangePicture("facebook", u.ID)
			e.clock.Advance(16 * time.Second)
			res := e.ok(t, path)
			assert.Empty(t, res.Header.Get("X-Avatar-Stale"))
			assert.NotEqual(t, good.Header.Get("ETag"), res.Header.Get("ETag"))
			assert.Greater(t, freshMaxAge(t, res), 60, "fresh until the next refresh time")
		})
	}
}

// On a first download: the failure is the answer for a second, not pinned; then the picture.
func TestBadAnswerOnAFirstDownloadCostsASecond(t *testing.T) {
	for _, tc := range badAnswers {
		t.Run(tc.name, func(t *testing.T) {
			e := newFreshEnv(t, badConfig)
			u := user(t, "facebook", small)
			path := "/avatars/facebook/w_30/" + u.ID + ".png"
			e.fake.FaultNext(fetchtest.FacebookImage, tc.tries, tc.fault) // the load (and fetch's own retry)
			res := do(t, e.srv, "GET", path)
			require.Equal(t, tc.status, res.StatusCode, short(res.body))
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))

			res = do(t, e.srv, "GET", path)
			assert.Equal(t, tc.status, res.StatusCode, "within the second: the failure, at once")
			e.clock.Advance(time.Second)
			res = e.ok(t, path)
			e.clock.Advance(time.Duration(freshMaxAge(t, res)/2) * time.Second)
			n := e.h.Stats().OriginFetches
			e.ok(t, path)
			assert.Equal(t, n, e.h.Stats().OriginFetches, "now cached for the period")
		})
	}
}

// Only what the network states about the user is a fact: "no such user" and "no picture" stay
// for NegativeTTL, whatever the clock does in between.
func TestOnlyStatementsAboutTheUserAreFacts(t *testing.T) {
	e := newFreshEnv(t, badConfig)
	missing := "/avatars/facebook/" + fetchtest.MissingFacebookID + ".jpg"
	for range 3 {
		res := do(t, e.srv, "GET", missing)
		require.Equal(t, http.StatusNotFound, res.StatusCode)
		e.clock.Advance(30 * time.Second)
	}
	assert.Equal(t, 1, e.fake.Count(fetchtest.FacebookLookup), "remembered: no back-off, no new lookup")
}

// Stale-if-error lasts a day past the refresh time by default, even with a period of seconds.
func TestStaleForADayWithAShortPeriod(t *testing.T) {
	var logs bytes.Buffer
	e := newFreshEnv(t, func(c *Config) {
		c.RefreshPeriod = 4 * time.Second
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	assert.Contains(t, logs.String(), "refresh period under a minute", "a short period is taken, with a warning")
	u := user(t, "facebook", small)
	path := "/avatars/facebook/w_24/" + u.ID + ".jpg"
	good := e.ok(t, path)
	assert.LessOrEqual(t, freshMaxAge(t, good), 4)

	// A refresh every 4 s: a new picture shows within one.
	e.fake.ChangePicture("facebook", u.ID)
	e.clock.Advance(4 * time.Second)
	changed := e.ok(t, path)
	assert.NotEqual(t, good.Header.Get("ETag"), changed.Header.Get("ETag"))

	e.fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Status: 503})
	for _, after := range []time.Duration{5 * time.Second, time.Hour, 22*time.Hour + 50*time.Minute} {
		e.clock.Advance(after)
		res := e.ok(t, path)
		assert.NotEmpty(t, res.Header.Get("X-Avatar-Stale"), "%v later", after)
		assert.Equal(t, changed.Header.Get("ETag"), res.Header.Get("ETag"))
	}
	e.clock.Advance(10*time.Minute + 10*time.Second)
	res := do(t, e.srv, "GET", path)
	assert.Equal(t, http.StatusBadGateway, res.StatusCode, "a day past the refresh time, the failure")
}
