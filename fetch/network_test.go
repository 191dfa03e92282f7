package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gated returns the error a call of provider gets while the gate is closed, and nil when it is
// open.
func (n *network) gated(provider string) error {
	n.mu.Lock()
	until := n.until
	n.mu.Unlock()
	if now := n.now(); now.Before(until) {
		return n.gatedError(provider, until, now)
	}
	return nil
}

func testNetwork(now *time.Time) *network {
	return &network{name: "X", now: func() time.Time { return *now }, backoff: time.Minute,
		delay: time.Millisecond, log: slog.New(slog.DiscardHandler)}
}

// TestGate checks the gate's bookkeeping: what closes it, for how long, and the time left it
// reports (rounded up to whole seconds, never 0 while closed).
func TestGate(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	n := testNetwork(&now)
	require.NoError(t, n.gated("twitter"))

	other := &Error{Kind: KindUpstream, Provider: "twitter", Msg: "X API failed: HTTP 503"}
	assert.Same(t, other, n.observe(other), "other errors pass through")
	require.NoError(t, n.gated("twitter"))

	// No time named: the backoff, said in the message.
	err := n.observe(rateLimited("twitter", "X API rate limit", 0, nil))
	e := err.(*Error)
	assert.Equal(t, time.Minute, e.RetryAfter)
	assert.Equal(t, "twitter: X API rate limit, retry in 1m0s", e.Error())
	g := n.gated("twitter_name").(*Error)
	assert.Equal(t, KindRateLimited, g.Kind)
	assert.Equal(t, "twitter_name", g.Provider)
	assert.Equal(t, time.Minute, g.RetryAfter)
	assert.Equal(t, "twitter_name: X is rate-limiting us, retry in 1m0s", g.Error())

	now = now.Add(59*time.Second + 100*time.Millisecond)
	assert.Equal(t, time.Second, n.gated("twitter").(*Error).RetryAfter, "0.9s left: 1s")
	now = now.Add(900 * time.Millisecond)
	require.NoError(t, n.gated("twitter"), "open at the reset")

	// A shorter wait does not shorten a longer one; a longer one extends it.
	n.observe(rateLimited("twitter", "X API rate limit", 10*time.Minute, nil))
	n.observe(rateLimited("twitter", "X API rate limit", 2*time.Minute, nil))
	assert.Equal(t, 10*time.Minute, n.gated("twitter").(*Error).RetryAfter)
	n.observe(rateLimited("twitter", "X API rate limit", 20*time.Minute, nil))
	assert.Equal(t, 20*time.Minute, n.gated("twitter").(*Error).RetryAfter)

	// A wrapped rate-limit error closes it too.
	m := testNetwork(&now)
	m.observe(fmt.Errorf("wrapped: %w", &Error{Kind: KindRateLimited, RetryAfter: 5 * time.Second}))
	assert.Equal(t, 5*time.Second, m.gated("x").(*Error).RetryAfter)
}

// TestTransient checks which of the client's errors are marked transient.
func TestTransient(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/503":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/500":
			w.WriteHeader(http.StatusInternalServerError)
		case "/408":
			w.WriteHeader(http.StatusRequestTimeout)
		case "/404":
			w.WriteHeader(http.StatusNotFound)
		case "/403":
			w.WriteHeader(http.StatusForbidden)
		case "/429":
			w.WriteHeader(http.StatusTooManyRequests)
		case "/html":
			_, _ = w.Write([]byte("<html>"))
		case "/slow":
			time.Sleep(200 * time.Millisecond)
		}
	})
	c := trustingClient(t, ClientConfig{Timeout: 50 * time.Millisecond}, s.URL)
	allow := Allowlist{s.URL[len("http://"):]}
	for path, want := range map[string]bool{
		"/503": true, "/500": true, "/408": true, "/slow": true,
		"/404": false, "/403": false, "/429": false, "/html": false,
	} {
		_, err := c.Picture(t.Context(), s.URL+path, allow)
		require.Error(t, err, path)
		assert.Equal(t, want, isTransient(err), "%s: %v", path, err)
		assert.Equal(t, want, isTransient(WithProvider("gravatar", err)), "%s: the mark survives WithProvider", path)
	}
	_, err := c.Picture(t.Context(), "http://elsewhere.example/p.png", allow)
	assert.False(t, isTransient(err), "a refused host: %v", err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Picture(ctx, s.URL+"/503", allow)
	assert.False(t, isTransient(err), "a cancelled request: %v", err)
	assert.False(t, isTransient(errors.New("plain")))
	assert.False(t, isTransient(markTransient(&Error{Kind: KindNotFound}, true)), "only failures of the network")
}

// TestClientNow checks that a Retry-After date is read against ClientConfig.Now.
func TestClientNow(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", at.Add(90*time.Second).Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := trustingClient(t, ClientConfig{Now: func() time.Time { return at }}, s.URL)
	_, err := c.Picture(t.Context(), s.URL+"/p.png", Allowlist{s.URL[len("http://"):]})
	e := requireKind(t, err, KindRateLimited)
	assert.Equal(t, 90*time.Second, e.RetryAfter)
}

// TestGateProbe: when a closed gate reopens, one call goes first; the others wait for its
// outcome and make no call when it was rate-limited again.
func TestGateProbe(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	n := &network{name: "X", now: clock, backoff: time.Minute, log: slog.New(slog.DiscardHandler)}

	// An open gate lets calls through; a rate-limited one closes it.
	ok := func(context.Context) (int, error) { return 1, nil }
	_, err := call(t.Context(), n, "twitter", ok)
	require.NoError(t, err)

	limited := func(context.Context) (int, error) { return 0, rateLimited("twitter", "X API rate limit", 0, nil) }
	_, err = call(t.Context(), n, "twitter", limited)
	requireKind(t, err, KindRateLimited)

	for _, probeOutcome := range []error{rateLimited("twitter", "X API rate limit", time.Minute, nil), nil} {
		advance(time.Minute)
		release := make(chan struct{})
		var inFlight, overlapped, stepped atomic.Int32
		probeStarted := make(chan struct{})
		probeDone := make(chan error, 1)
		go func() {
			_, err := call(t.Context(), n, "twitter", func(context.Context) (int, error) {
				inFlight.Store(1)
				close(probeStarted)
				<-release
				inFlight.Store(0)
				return 0, probeOutcome
			})
			probeDone <- err
		}()
		<-probeStarted
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				_, err := call(t.Context(), n, "twitter_name", func(context.Context) (int, error) {
					if inFlight.Load() == 1 {
						overlapped.Add(1)
					}
					stepped.Add(1)
					return 1, nil
				})
				errs <- err
			})
		}
		close(release)
		wg.Wait()
		close(errs)
		assert.Equal(t, probeOutcome == nil, <-probeDone == nil)
		assert.Zero(t, overlapped.Load(), "nobody calls while the probe is in flight")
		for err := range errs {
			if probeOutcome != nil {
				requireKind(t, err, KindRateLimited)
			} else {
				assert.NoError(t, err)
			}
		}
		if probeOutcome != nil {
			assert.Zero(t, stepped.Load(), "the probe was rate-limited: no other call")
		} else {
			assert.EqualValues(t, 20, stepped.Load(), "the probe went well: everybody calls")
		}
	}

	// A caller whose context ends while it waits for the probe gives up.
	_, err = call(t.Context(), n, "twitter", limited)
	requireKind(t, err, KindRateLimited)
	advance(time.Minute)
	release := make(chan struct{})
	started := make(chan struct{})
	go func() {
		_, _ = call(t.Context(), n, "twitter", func(context.Context) (int, error) { close(started); <-release; return 1, nil })
	}()
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = call(ctx, n, "twitter_name", ok)
	e := requireKind(t, err, KindTimeout)
	assert.Contains(t, e.Msg, "waiting for the first call to X")
	close(release)
}
