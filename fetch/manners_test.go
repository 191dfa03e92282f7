package fetch_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// newClock returns a fake clock for fetch.Config.Now and fetchtest.Server.SetNow. It starts at the
// real time (the fake's x-rate-limit-reset and the header dates are absolute) and moves only when
// told.
func newClock() *fetchtest.Clock { return fetchtest.NewClock(time.Now()) }

// clocked returns a fake whose clock is c, and providers pointed at it with the same clock.
func clocked(t *testing.T, edit func(*fetch.Config)) (*fetchtest.Server, *fetchtest.Clock, map[string]fetch.Provider) {
	t.Helper()
	s := fake(t)
	c := newClock()
	s.SetNow(c.Now)
	cfg := config(s)
	cfg.Now = c.Now
	if edit != nil {
		edit(&cfg)
	}
	return s, c, providers(t, cfg)
}

// requireGated checks that err is a provider's "holding back" answer with a RetryAfter in whole
// seconds, at least one, and within ±1s of want.
func requireGated(t *testing.T, err error, typ string, want time.Duration) *fetch.Error {
	t.Helper()
	e := requireKind(t, err, fetch.KindRateLimited)
	assert.Equal(t, typ, e.Provider)
	assert.GreaterOrEqual(t, e.RetryAfter, time.Second, "never 0 while gated")
	assert.Zero(t, e.RetryAfter%time.Second, "whole seconds: %v", e.RetryAfter)
	assert.InDelta(t, want, e.RetryAfter, float64(time.Second), "RetryAfter %v, want about %v", e.RetryAfter, want)
	assert.Contains(t, e.Msg, "retry in "+e.RetryAfter.String())
	assert.True(t, e.HeldBack, "no call was made")
	return e
}

// TestXRateLimitGate is a 429 storm on the X API: exactly one API call per reset window, across
// many users and both X providers; calls resume once the clock passes the reset.
func TestXRateLimitGate(t *testing.T) {
	s, clk, ps := clocked(t, nil)
	s.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: 15 * time.Minute})

	_, err := fetchID(t, ps, "twitter", xID)
	e := requireKind(t, err, fetch.KindRateLimited)
	assert.InDelta(t, 15*time.Minute, e.RetryAfter, float64(2*time.Second), "the reset the network named")
	assert.Contains(t, e.Msg, "X API rate limit, retry in")
	assert.False(t, e.HeldBack, "the network answered")
	assert.Equal(t, 1, s.Count(fetchtest.XLookup))

	storm := func(want time.Duration) {
		t.Helper()
		for _, u := range fetchtest.UsersOf("x") {
			_, err := fetchID(t, ps, "twitter", u.ID)
			requireGated(t, err, "twitter", want)
			_, err = fetchID(t, ps, "twitter_name", u.Name)
			e := requireGated(t, err, "twitter_name", want)
			assert.Contains(t, e.Msg, "X is rate-limiting us")
		}
		_, err := fetchID(t, ps, "twitter", fetchtest.MissingXID)
		requireGated(t, err, "twitter", want)
	}
	start := time.Now()
	storm(15 * time.Minute)
	assert.Less(t, time.Since(start), time.Second, "at once")
	assert.Equal(t, 1, s.Count(fetchtest.XLookup), "no call while gated")
	assert.Zero(t, s.Count(fetchtest.XImage))

	clk.Advance(10 * time.Minute)
	storm(5 * time.Minute)
	assert.Equal(t, 1, s.Count(fetchtest.XLookup))

	// The reset passes: one call, rate-limited again, and a new window.
	clk.Advance(5*time.Minute + 2*time.Second)
	_, err = fetchID(t, ps, "twitter_name", xName)
	e = requireKind(t, err, fetch.KindRateLimited)
	assert.InDelta(t, 15*time.Minute, e.RetryAfter, float64(2*time.Second))
	assert.Equal(t, 2, s.Count(fetchtest.XLookup))
	storm(15 * time.Minute)
	assert.Equal(t, 2, s.Count(fetchtest.XLookup))

	// A concurrent storm at the reset: one call goes first, and the others wait for its answer.
	clk.Advance(15*time.Minute + 2*time.Second)
	var wg sync.WaitGroup
	for i, u := range fetchtest.UsersOf("x") {
		typ, id := "twitter", u.ID
		if i%2 == 1 {
			typ, id = "twitter_name", u.Name
		}
		for range 3 {
			wg.Go(func() {
				_, err := ps[typ].Fetch(t.Context(), id)
				assert.ErrorIs(t, err, fetch.ErrRateLimited)
			})
		}
	}
	wg.Wait()
	assert.Equal(t, 3, s.Count(fetchtest.XLookup), "one call for the whole storm")

	// The network recovers: after the reset every fetch calls again.
	s.ClearFaults()
	clk.Advance(15*time.Minute + 2*time.Second)
	for i, u := range fetchtest.UsersOf("x")[:3] {
		_, err := fetchID(t, ps, "twitter", u.ID)
		require.NoError(t, err, u.Name)
		assert.Equal(t, 4+i, s.Count(fetchtest.XLookup))
	}
	_, err = fetchID(t, ps, "twitter_name", xName)
	require.NoError(t, err)
	assert.Equal(t, 7, s.Count(fetchtest.XLookup))
}

// TestRateLimitRetryAfterNeverZero checks the time left as the end of a window comes near: it is
// rounded up, and 1s in the last second, never 0; at the reset the gate opens.
func TestRateLimitRetryAfterNeverZero(t *testing.T) {
	s, clk, ps := clocked(t, func(c *fetch.Config) { c.RateLimitBackoff = 10 * time.Second })
	s.SetFault(fetchtest.GravatarImage, fetchtest.Fault{RateLimit: true, RetryAfter: 10 * time.Second})
	_, err := fetchID(t, ps, "gravatar", gravID)
	e := requireKind(t, err, fetch.KindRateLimited)
	assert.Equal(t, 10*time.Second, e.RetryAfter)

	clk.Advance(8*time.Second + 500*time.Millisecond)
	_, err = fetchID(t, ps, "gravatar", gravID)
	assert.Equal(t, 2*time.Second, requireKind(t, err, fetch.KindRateLimited).RetryAfter, "1.5s left, rounded up")
	clk.Advance(1499 * time.Millisecond)
	_, err = fetchID(t, ps, "gravatar", gravID)
	assert.Equal(t, time.Second, requireKind(t, err, fetch.KindRateLimited).RetryAfter, "1ms left")
	assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))

	s.ClearFaults()
	clk.Advance(time.Millisecond)
	_, err = fetchID(t, ps, "gravatar", gravID)
	require.NoError(t, err)
	assert.Equal(t, 2, s.Count(fetchtest.GravatarImage))
}

// TestGraphRateLimitGate: Graph's throttling codes close Facebook's gate, for the time Graph
// estimates or, when it names none (it usually does not), for Config.RateLimitBackoff. Other
// networks are not held back.
func TestGraphRateLimitGate(t *testing.T) {
	for _, tt := range []struct {
		code  int
		after time.Duration // Fault.RetryAfter: 0, no estimate
		want  time.Duration
	}{
		{code: 4, want: 2 * time.Minute},
		{code: 17, want: 2 * time.Minute},
		{code: 4, after: 10 * time.Minute, want: 10 * time.Minute},
		{code: 17, after: 30 * time.Minute, want: 30 * time.Minute},
		{code: 32, want: 2 * time.Minute},
		{code: 341, want: 2 * time.Minute},
		{code: 613, want: 2 * time.Minute},
	} {
		t.Run(fmt.Sprintf("code %d estimate %v", tt.code, tt.after), func(t *testing.T) {
			s, clk, ps := clocked(t, func(c *fetch.Config) { c.RateLimitBackoff = 2 * time.Minute })
			s.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{RateLimit: true, RateLimitCode: tt.code, RetryAfter: tt.after})

			_, err := fetchID(t, ps, "facebook", fbID)
			e := requireKind(t, err, fetch.KindRateLimited)
			assert.Equal(t, tt.want, e.RetryAfter)
			assert.Contains(t, e.Msg, "retry in "+tt.want.String())
			for _, u := range fetchtest.UsersOf("facebook") {
				_, err := fetchID(t, ps, "facebook", u.ID)
				requireGated(t, err, "facebook", tt.want)
			}
			_, err = fetchID(t, ps, "facebook", fetchtest.MissingFacebookID)
			requireGated(t, err, "facebook", tt.want)
			assert.Equal(t, 1, s.Count(fetchtest.FacebookLookup))
			assert.Zero(t, s.Count(fetchtest.FacebookImage))

			_, err = fetchID(t, ps, "twitter", xID)
			require.NoError(t, err, "X is another network")
			_, err = fetchID(t, ps, "gravatar", gravID)
			require.NoError(t, err, "Gravatar too")

			clk.Advance(tt.want - time.Second)
			_, err = fetchID(t, ps, "facebook", fbID)
			requireGated(t, err, "facebook", time.Second)
			assert.Equal(t, 1, s.Count(fetchtest.FacebookLookup))

			s.ClearFaults()
			clk.Advance(time.Second)
			_, err = fetchID(t, ps, "facebook", fbID)
			require.NoError(t, err)
			assert.Equal(t, 2, s.Count(fetchtest.FacebookLookup))
			assert.Equal(t, 1, s.Count(fetchtest.FacebookImage))
		})
	}
}

// TestImageHostRateLimitGate: a 429 from a picture host holds back the whole network, its API
// lookups included.
func TestImageHostRateLimitGate(t *testing.T) {
	for _, tt := range []struct {
		typ, id       string
		image, lookup fetchtest.Kind
	}{
		{"facebook", fbID, fetchtest.FacebookImage, fetchtest.FacebookLookup},
		{"twitter", xID, fetchtest.XImage, fetchtest.XLookup},
		{"gravatar", gravID, fetchtest.GravatarImage, ""},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			s, clk, ps := clocked(t, nil)
			s.FaultNext(tt.image, 1, fetchtest.Fault{RateLimit: true, RetryAfter: 90 * time.Second})
			_, err := fetchID(t, ps, tt.typ, tt.id)
			e := requireKind(t, err, fetch.KindRateLimited)
			assert.Equal(t, 90*time.Second, e.RetryAfter)
			s.ResetCounts()

			clk.Advance(30 * time.Second)
			_, err = fetchID(t, ps, tt.typ, tt.id)
			requireGated(t, err, tt.typ, time.Minute)
			assert.Empty(t, s.Requests(), "no lookup either")

			clk.Advance(time.Minute)
			_, err = fetchID(t, ps, tt.typ, tt.id)
			require.NoError(t, err)
			assert.Equal(t, 1, s.Count(tt.image))
			if tt.lookup != "" {
				assert.Equal(t, 1, s.Count(tt.lookup))
			}
		})
	}
}

// TestRateLimitDefaultBackoff: a 429 that names no time (no x-rate-limit-reset, no Retry-After)
// closes the gate for Config.RateLimitBackoff, DefaultRateLimitBackoff by default.
func TestRateLimitDefaultBackoff(t *testing.T) {
	for _, backoff := range []time.Duration{0, 5 * time.Minute} {
		var mu sync.Mutex
		calls := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			mu.Unlock()
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, "slow down")
		}))
		t.Cleanup(srv.Close)
		count := func() int { mu.Lock(); defer mu.Unlock(); return calls }
		clk := newClock()
		ps := providers(t, fetch.Config{XURL: srv.URL, XToken: "t", RateLimitBackoff: backoff, Now: clk.Now})
		want := backoff
		if want == 0 {
			want = fetch.DefaultRateLimitBackoff
		}
		_, err := fetchID(t, ps, "twitter", "1")
		e := requireKind(t, err, fetch.KindRateLimited)
		assert.Equal(t, want, e.RetryAfter)
		assert.Contains(t, e.Msg, "X API rate limit, retry in "+want.String())
		_, err = fetchID(t, ps, "twitter_name", "jack")
		requireGated(t, err, "twitter_name", want)
		assert.Equal(t, 1, count())
		clk.Advance(want)
		_, err = fetchID(t, ps, "twitter", "2")
		requireKind(t, err, fetch.KindRateLimited)
		assert.Equal(t, 2, count())
	}
}

// TestRetryTransient: a transient failure of any call (a 5xx, a cut connection) is retried once;
// once is enough when the network recovers, and there is no third attempt when it does not.
func TestRetryTransient(t *testing.T) {
	steps := []struct {
		name, typ, id string
		kind          fetchtest.Kind
		other         fetchtest.Kind // the other call of the fetch, made once
	}{
		{"facebook lookup", "facebook", fbID, fetchtest.FacebookLookup, fetchtest.FacebookImage},
		{"facebook image", "facebook", fbID, fetchtest.FacebookImage, fetchtest.FacebookLookup},
		{"x lookup", "twitter", xID, fetchtest.XLookup, fetchtest.XImage},
		{"x name lookup", "twitter_name", xName, fetchtest.XLookup, fetchtest.XImage},
		{"x image", "twitter", xID, fetchtest.XImage, fetchtest.XLookup},
		{"gravatar", "gravatar", gravID, fetchtest.GravatarImage, ""},
	}
	faults := map[string]fetchtest.Fault{
		"500": {Status: http.StatusInternalServerError},
		"502": {Status: http.StatusBadGateway},
		"503": {Status: http.StatusServiceUnavailable},
		"504": {Status: http.StatusGatewayTimeout},
	}
	s := fake(t)
	ps := providers(t, config(s))
	for _, st := range steps {
		for fname, f := range faults {
			t.Run(st.name+" "+fname+" once", func(t *testing.T) {
				s.ClearFaults()
				s.ResetCounts()
				s.FaultNext(st.kind, 1, f)
				pic, err := fetchID(t, ps, st.typ, st.id)
				require.NoError(t, err)
				assert.NotEmpty(t, pic.Bytes)
				assert.Equal(t, 2, s.Count(st.kind), "exactly two calls")
				if st.other != "" {
					assert.Equal(t, 1, s.Count(st.other), "the other call is not repeated")
				}
			})
			t.Run(st.name+" "+fname+" twice", func(t *testing.T) {
				s.ClearFaults()
				s.ResetCounts()
				s.SetFault(st.kind, f)
				_, err := fetchID(t, ps, st.typ, st.id)
				requireKind(t, err, fetch.KindUpstream)
				assert.Equal(t, 2, s.Count(st.kind), "exactly two calls")
			})
		}
	}
	t.Run("cut connection", func(t *testing.T) {
		for _, st := range steps {
			if st.kind != fetchtest.FacebookImage && st.kind != fetchtest.XImage && st.kind != fetchtest.GravatarImage {
				continue
			}
			s.ClearFaults()
			s.ResetCounts()
			s.FaultNext(st.kind, 1, fetchtest.Fault{Truncate: true})
			_, err := fetchID(t, ps, st.typ, st.id)
			require.NoError(t, err, st.name)
			assert.Equal(t, 2, s.Count(st.kind), st.name)

			s.ResetCounts()
			s.SetFault(st.kind, fetchtest.Fault{Truncate: true})
			_, err = fetchID(t, ps, st.typ, st.id)
			e := requireKind(t, err, fetch.KindUpstream)
			assert.Contains(t, e.Msg, "cut short")
			assert.Equal(t, 2, s.Count(st.kind), st.name)
		}
	})
	s.ClearFaults()
}

// TestRetryWaits checks that the retry waits its random delay, RetryDelay to 3×RetryDelay.
func TestRetryWaits(t *testing.T) {
	s := fake(t)
	cfg := config(s)
	cfg.RetryDelay = 40 * time.Millisecond
	ps := providers(t, cfg)
	for range 3 {
		s.ResetCounts()
		s.FaultNext(fetchtest.GravatarImage, 1, fetchtest.Fault{Status: http.StatusServiceUnavailable})
		start := time.Now()
		_, err := fetchID(t, ps, "gravatar", gravID)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond)
		assert.Equal(t, 2, s.Count(fetchtest.GravatarImage))
	}
}

// TestNoRetryPermanent: outcomes a second call would not change are never retried.
func TestNoRetryPermanent(t *testing.T) {
	capped := func(c *fetch.Config) { c.Client.MaxBytes = 1 << 20 }
	cases := []struct {
		name, typ, id string
		kind          fetchtest.Kind
		fault         fetchtest.Fault
		cfg           func(*fetch.Config)
		want          fetch.Kind
		count         fetchtest.Kind // counted: exactly one call
	}{
		{name: "fb no such user", typ: "facebook", id: fetchtest.MissingFacebookID, want: fetch.KindNotFound, count: fetchtest.FacebookLookup},
		{name: "x no such user", typ: "twitter", id: fetchtest.MissingXID, want: fetch.KindNotFound, count: fetchtest.XLookup},
		{name: "x no such name", typ: "twitter_name", id: fetchtest.MissingXName, want: fetch.KindNotFound, count: fetchtest.XLookup},
		{name: "gravatar no picture", typ: "gravatar", id: fetchtest.MissingGravatarHash, want: fetch.KindNoPicture, count: fetchtest.GravatarImage},
		{name: "fb bad token", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup, fault: fetchtest.Fault{BadToken: true},
			want: fetch.KindCredentials, count: fetchtest.FacebookLookup},
		{name: "x bad token", typ: "twitter", id: xID, kind: fetchtest.XLookup, fault: fetchtest.Fault{BadToken: true},
			want: fetch.KindCredentials, count: fetchtest.XLookup},
		{name: "fb rate limit", typ: "facebook", id: fbID, kind: fetchtest.FacebookLookup, fault: fetchtest.Fault{RateLimit: true},
			want: fetch.KindRateLimited, count: fetchtest.FacebookLookup},
		{name: "x rate limit", typ: "twitter", id: xID, kind: fetchtest.XLookup, fault: fetchtest.Fault{RateLimit: true},
			want: fetch.KindRateLimited, count: fetchtest.XLookup},
		{name: "gravatar rate limit", typ: "gravatar", id: gravID, kind: fetchtest.GravatarImage, fault: fetchtest.Fault{RateLimit: true},
			want: fetch.KindRateLimited, count: fetchtest.GravatarImage},
		{name: "fb not an image", typ: "facebook", id: fbID, kind: fetchtest.FacebookImage, fault: fetchtest.Fault{NotImage: true},
			want: fetch.KindNotImage, count: fetchtest.FacebookImage},
		{name: "x not an image", typ: "twitter", id: xID, kind: fetchtest.XImage, fault: fetchtest.Fault{NotImage: true},
			want: fetch.KindNotImage, count: fetchtest.XImage},
		{name: "gravatar too large", typ: "gravatar", id: gravID, kind: fetchtest.GravatarImage, fault: fetchtest.Fault{Huge: 8 << 20},
			cfg: capped, want: fetch.KindTooLarge, count: fetchtest.GravatarImage},
		{name: "fb image 404", typ: "facebook", id: fbID, kind: fetchtest.FacebookImage, fault: fetchtest.Fault{Status: http.StatusNotFound},
			want: fetch.KindUpstream, count: fetchtest.FacebookImage},
		{name: "gravatar 403", typ: "gravatar", id: gravID, kind: fetchtest.GravatarImage, fault: fetchtest.Fault{Status: http.StatusForbidden},
			want: fetch.KindUpstream, count: fetchtest.GravatarImage},
		{name: "fb refused host", typ: "facebook", id: fbID, cfg: func(*fetch.Config) {}, want: fetch.KindUpstream, count: fetchtest.FacebookLookup},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := fake(t)
			if tt.kind != "" {
				s.SetFault(tt.kind, tt.fault)
			}
			cfg := config(s)
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			if tt.name == "fb refused host" {
				s.SetImageHost("facebook", "evil.example")
			}
			ps := providers(t, cfg)
			_, err := fetchID(t, ps, tt.typ, tt.id)
			requireKind(t, err, tt.want)
			assert.Equal(t, 1, s.Count(tt.count))
			downloads, want := 0, 0
			for _, k := range []fetchtest.Kind{fetchtest.FacebookImage, fetchtest.XImage, fetchtest.GravatarImage} {
				downloads += s.Count(k)
				if k == tt.count {
					want = 1
				}
			}
			assert.Equal(t, want, downloads, "no other download")
		})
	}
}

// TestNoRetryShortDeadline: a retry is made only when the context's deadline leaves room for it;
// a timeout of the client is retried only then, one of the context never.
func TestNoRetryShortDeadline(t *testing.T) {
	s := fake(t)
	withTimeout := func(d time.Duration) (context.Context, context.CancelFunc) {
		return context.WithTimeout(t.Context(), d)
	}
	fetchCtx := func(ctx context.Context, ps map[string]fetch.Provider) error {
		_, err := ps["gravatar"].Fetch(ctx, gravID)
		return err
	}

	t.Run("5xx, deadline too short", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.SetFault(fetchtest.GravatarImage, fetchtest.Fault{Status: http.StatusServiceUnavailable})
		ps := providers(t, config(s))
		ctx, cancel := withTimeout(500 * time.Millisecond)
		defer cancel()
		requireKind(t, fetchCtx(ctx, ps), fetch.KindUpstream)
		assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))
	})
	t.Run("5xx, deadline with room", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.FaultNext(fetchtest.GravatarImage, 1, fetchtest.Fault{Status: http.StatusServiceUnavailable})
		ps := providers(t, config(s))
		ctx, cancel := withTimeout(5 * time.Second)
		defer cancel()
		require.NoError(t, fetchCtx(ctx, ps))
		assert.Equal(t, 2, s.Count(fetchtest.GravatarImage))
	})
	t.Run("5xx, delay longer than the deadline leaves", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.SetFault(fetchtest.GravatarImage, fetchtest.Fault{Status: http.StatusServiceUnavailable})
		cfg := config(s)
		cfg.RetryDelay = 2 * time.Second
		ps := providers(t, cfg)
		ctx, cancel := withTimeout(2500 * time.Millisecond)
		defer cancel()
		start := time.Now()
		requireKind(t, fetchCtx(ctx, ps), fetch.KindUpstream)
		assert.Less(t, time.Since(start), time.Second, "no waiting for a retry that cannot be made")
		assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))
	})
	slow := fetchtest.Fault{Latency: 5 * time.Second}
	short := func(c *fetch.Config) { c.Client.Timeout = 100 * time.Millisecond }
	t.Run("client timeout, no deadline", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.SetFault(fetchtest.GravatarImage, slow)
		cfg := config(s)
		short(&cfg)
		ps := providers(t, cfg)
		requireKind(t, fetchCtx(t.Context(), ps), fetch.KindTimeout)
		assert.Equal(t, 2, s.Count(fetchtest.GravatarImage))

		s.ClearFaults()
		s.ResetCounts()
		s.FaultNext(fetchtest.GravatarImage, 1, slow)
		require.NoError(t, fetchCtx(t.Context(), ps), "the retry finds the network back")
		assert.Equal(t, 2, s.Count(fetchtest.GravatarImage))
	})
	t.Run("client timeout, deadline with room", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.FaultNext(fetchtest.GravatarImage, 1, slow)
		cfg := config(s)
		short(&cfg)
		ps := providers(t, cfg)
		ctx, cancel := withTimeout(3 * time.Second)
		defer cancel()
		require.NoError(t, fetchCtx(ctx, ps))
		assert.Equal(t, 2, s.Count(fetchtest.GravatarImage))
	})
	t.Run("client timeout, deadline too short", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.SetFault(fetchtest.GravatarImage, slow)
		cfg := config(s)
		short(&cfg)
		ps := providers(t, cfg)
		ctx, cancel := withTimeout(600 * time.Millisecond)
		defer cancel()
		requireKind(t, fetchCtx(ctx, ps), fetch.KindTimeout)
		assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))
	})
	t.Run("context deadline", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.SetFault(fetchtest.GravatarImage, slow)
		ps := providers(t, config(s))
		ctx, cancel := withTimeout(150 * time.Millisecond)
		defer cancel()
		start := time.Now()
		requireKind(t, fetchCtx(ctx, ps), fetch.KindTimeout)
		assert.Less(t, time.Since(start), 2*time.Second)
		assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))
	})
	t.Run("retries off", func(t *testing.T) {
		s.ClearFaults()
		s.ResetCounts()
		s.FaultNext(fetchtest.GravatarImage, 1, fetchtest.Fault{Status: http.StatusServiceUnavailable})
		cfg := config(s)
		cfg.RetryDelay = -1
		ps := providers(t, cfg)
		requireKind(t, fetchCtx(t.Context(), ps), fetch.KindUpstream)
		assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))
	})
	s.ClearFaults()
}

// TestXPictureMoved: when the picture URL of a lookup answers 403 or 404, the user changed their
// picture in between; one more lookup gives the new URL.
func TestXPictureMoved(t *testing.T) {
	kit := fetchtest.UsersOf("x")[0]

	t.Run("changed between lookup and download", func(t *testing.T) {
		for _, typ := range []string{"twitter", "twitter_name"} {
			s := fake(t)
			ps := providers(t, config(s))
			id := map[string]string{"twitter": kit.ID, "twitter_name": kit.Name}[typ]
			s.OnNext(fetchtest.XLookup, func() { s.ChangePicture("x", kit.ID) })
			pic, err := fetchID(t, ps, typ, id)
			require.NoError(t, err, typ)
			assert.Equal(t, 2, s.Count(fetchtest.XLookup), "one extra lookup")
			assert.Equal(t, 2, s.Count(fetchtest.XImage))
			imgs := s.RequestsOf(fetchtest.XImage)
			assert.NotEqual(t, imgs[0].Path, imgs[1].Path, "the second download is the new picture")

			newURL, ok := s.XPictureURL(kit.ID, "")
			require.True(t, ok)
			res, err := s.Client().Get(newURL)
			require.NoError(t, err)
			want, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, pic.Bytes), "the new picture")
		}
	})
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound} {
		t.Run(http.StatusText(status)+" once", func(t *testing.T) {
			s := fake(t)
			ps := providers(t, config(s))
			s.FaultNext(fetchtest.XImage, 1, fetchtest.Fault{Status: status})
			_, err := fetchID(t, ps, "twitter", xID)
			require.NoError(t, err)
			assert.Equal(t, 2, s.Count(fetchtest.XLookup))
			assert.Equal(t, 2, s.Count(fetchtest.XImage))
		})
		t.Run(http.StatusText(status)+" again", func(t *testing.T) {
			s := fake(t)
			ps := providers(t, config(s))
			s.SetFault(fetchtest.XImage, fetchtest.Fault{Status: status})
			_, err := fetchID(t, ps, "twitter_name", xName)
			e := requireKind(t, err, fetch.KindUpstream)
			assert.Contains(t, e.Msg, fmt.Sprint("HTTP ", status), "reported as it is")
			assert.Equal(t, 2, s.Count(fetchtest.XLookup), "one extra lookup, no more")
			assert.Equal(t, 2, s.Count(fetchtest.XImage))
		})
	}
	t.Run("second lookup fails", func(t *testing.T) {
		s := fake(t)
		ps := providers(t, config(s))
		s.FaultNext(fetchtest.XImage, 1, fetchtest.Fault{Status: http.StatusNotFound})
		s.OnNext(fetchtest.XImage, func() { s.FaultNext(fetchtest.XLookup, 1, fetchtest.Fault{BadToken: true}) })
		_, err := fetchID(t, ps, "twitter", xID)
		requireKind(t, err, fetch.KindCredentials)
		assert.Equal(t, 2, s.Count(fetchtest.XLookup))
		assert.Equal(t, 1, s.Count(fetchtest.XImage))
	})
	t.Run("second lookup rate-limited", func(t *testing.T) {
		s := fake(t)
		ps := providers(t, config(s))
		s.FaultNext(fetchtest.XImage, 1, fetchtest.Fault{Status: http.StatusNotFound})
		s.OnNext(fetchtest.XImage, func() { s.FaultNext(fetchtest.XLookup, 1, fetchtest.Fault{RateLimit: true}) })
		_, err := fetchID(t, ps, "twitter", xID)
		requireKind(t, err, fetch.KindRateLimited)
		_, err = fetchID(t, ps, "twitter_name", xName)
		requireKind(t, err, fetch.KindRateLimited)
		assert.Equal(t, 2, s.Count(fetchtest.XLookup), "the gate holds the next calls back")
	})
	t.Run("5xx is retried, not looked up again", func(t *testing.T) {
		s := fake(t)
		ps := providers(t, config(s))
		s.SetFault(fetchtest.XImage, fetchtest.Fault{Status: http.StatusInternalServerError})
		_, err := fetchID(t, ps, "twitter", xID)
		requireKind(t, err, fetch.KindUpstream)
		assert.Equal(t, 1, s.Count(fetchtest.XLookup))
		assert.Equal(t, 2, s.Count(fetchtest.XImage))
	})
	t.Run("facebook is not looked up again", func(t *testing.T) {
		s := fake(t)
		ps := providers(t, config(s))
		s.SetFault(fetchtest.FacebookImage, fetchtest.Fault{Status: http.StatusNotFound})
		_, err := fetchID(t, ps, "facebook", fbID)
		requireKind(t, err, fetch.KindUpstream)
		assert.Equal(t, 1, s.Count(fetchtest.FacebookLookup))
		assert.Equal(t, 1, s.Count(fetchtest.FacebookImage))
	})
}

// TestProvidersNoGoroutineLeft runs fetches through retries, re-lookups, gates and timeouts, and
// checks that once the fake is closed no goroutine is left behind.
func TestProvidersNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	s := fetchtest.NewServer()
	clk := newClock()
	s.SetNow(clk.Now)
	cfg := config(s)
	cfg.Now = clk.Now
	cfg.Client.Timeout = 50 * time.Millisecond
	ps, err := fetch.NewProviders(cfg)
	require.NoError(t, err)
	for range 5 {
		s.FaultNext(fetchtest.GravatarImage, 1, fetchtest.Fault{Status: http.StatusServiceUnavailable})
		_, _ = fetchID(t, ps, "gravatar", gravID)
		s.FaultNext(fetchtest.XImage, 1, fetchtest.Fault{Status: http.StatusNotFound})
		_, _ = fetchID(t, ps, "twitter", xID)
		s.FaultNext(fetchtest.FacebookImage, 2, fetchtest.Fault{Latency: time.Second})
		_, _ = fetchID(t, ps, "facebook", fbID)
		s.FaultNext(fetchtest.XLookup, 1, fetchtest.Fault{RateLimit: true})
		_, _ = fetchID(t, ps, "twitter", xID)
		_, _ = fetchID(t, ps, "twitter_name", xName)
		clk.Advance(time.Hour)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		s.FaultNext(fetchtest.GravatarImage, 1, fetchtest.Fault{Latency: time.Second})
		_, _ = ps["gravatar"].Fetch(ctx, gravID)
		cancel()
	}
	s.Close()
	// Polled by hand: assert.Eventually runs its condition on a goroutine of its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: before %d, now %d\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// TestHold: a rate limit another node saw closes the gate here too, without a call: for both X
// providers (one network), not for the others; a hold in the past or shorter than the gate's own
// changes nothing; at its end the first call is a probe, and then calls flow again.
func TestHold(t *testing.T) {
	s, clk, ps := clocked(t, nil)
	for _, typ := range []string{"facebook", "twitter", "twitter_name", "gravatar"} {
		_, ok := ps[typ].(fetch.Holder)
		require.True(t, ok, "%s is a Holder", typ)
	}
	_, ok := ps["gplus"].(fetch.Holder)
	assert.False(t, ok, "gplus makes no calls to hold")

	hold := func(typ string, d time.Duration) { ps[typ].(fetch.Holder).Hold(clk.Now().Add(d)) }
	hold("twitter", -time.Minute)
	_, err := fetchID(t, ps, "twitter", xID)
	require.NoError(t, err, "a hold in the past changes nothing")
	calls := s.Count(fetchtest.XLookup)

	hold("twitter_name", 10*time.Minute)
	hold("twitter", 5*time.Minute) // shorter: the gate stays closed for the longer
	for _, u := range fetchtest.UsersOf("x")[:3] {
		_, err := fetchID(t, ps, "twitter", u.ID)
		requireGated(t, err, "twitter", 10*time.Minute)
		_, err = fetchID(t, ps, "twitter_name", u.Name)
		requireGated(t, err, "twitter_name", 10*time.Minute)
	}
	assert.Equal(t, calls, s.Count(fetchtest.XLookup), "no call to X while held")
	_, err = ps["facebook"].Fetch(t.Context(), fetchtest.UsersOf("facebook")[0].ID)
	require.NoError(t, err, "Facebook is another network")

	hold("gravatar", 48*time.Hour)
	_, err = ps["gravatar"].Fetch(t.Context(), fetchtest.UsersOf("gravatar")[0].ID)
	requireGated(t, err, "gravatar", fetch.DefaultMaxRateLimitWait)

	// At the end of the hold, a storm of fetches makes one call, a probe, before the others go.
	clk.Advance(10*time.Minute + time.Second)
	s.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: 15 * time.Minute})
	var wg sync.WaitGroup
	for _, u := range fetchtest.UsersOf("x") {
		wg.Go(func() {
			_, err := ps["twitter"].Fetch(t.Context(), u.ID)
			assert.ErrorIs(t, err, fetch.ErrRateLimited)
		})
	}
	wg.Wait()
	assert.Equal(t, calls+1, s.Count(fetchtest.XLookup), "one probe at the end of a hold")
	s.ClearFaults()
	clk.Advance(15*time.Minute + time.Second)
	for i, u := range fetchtest.UsersOf("x")[:3] {
		_, err := fetchID(t, ps, "twitter", u.ID)
		require.NoError(t, err)
		assert.Equal(t, calls+2+i, s.Count(fetchtest.XLookup))
	}
}

// TestRateLimitWaitIsCapped: a network that names a reset hours or years away is left alone for
// MaxRateLimitWait (an hour by default) at most, then asked again.
func TestRateLimitWaitIsCapped(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cap   time.Duration
		named time.Duration
		want  time.Duration
	}{
		{"default cap, an hour", 0, 3 * time.Hour, time.Hour},
		{"default cap, years away (read as a day)", 0, 5 * 365 * 24 * time.Hour, time.Hour},
		{"within the cap", 0, 15 * time.Minute, 15 * time.Minute},
		{"cap of two hours", 2 * time.Hour, 3 * time.Hour, 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clk, ps := clocked(t, func(c *fetch.Config) { c.MaxRateLimitWait = tc.cap })
			s.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: tc.named})
			_, err := fetchID(t, ps, "twitter", xID)
			e := requireKind(t, err, fetch.KindRateLimited)
			assert.InDelta(t, tc.want, e.RetryAfter, float64(2*time.Second))
			if tc.want < tc.named {
				assert.Contains(t, e.Msg, "capped at")
			}
			_, err = fetchID(t, ps, "twitter_name", "Pixel_Pip")
			requireGated(t, err, "twitter_name", tc.want)
			calls := s.Count(fetchtest.XLookup)
			s.ClearFaults()
			clk.Advance(tc.want + time.Second)
			_, err = fetchID(t, ps, "twitter", xID)
			require.NoError(t, err, "asked again once the capped wait is over")
			assert.Equal(t, calls+1, s.Count(fetchtest.XLookup))
		})
	}
	_, err := fetch.NewProviders(fetch.Config{MaxRateLimitWait: time.Millisecond})
	assert.Error(t, err)
	_, err = fetch.NewProviders(fetch.Config{MaxRateLimitWait: 25 * time.Hour})
	assert.Error(t, err)
}
