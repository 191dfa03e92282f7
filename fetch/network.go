package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Defaults of Config's manners towards the networks.
const (
	// DefaultRateLimitBackoff is how long a network that rate-limited us without saying for how
	// long is left alone (Config.RateLimitBackoff).
	DefaultRateLimitBackoff = 60 * time.Second
	// DefaultRetryDelay is the shortest wait before the one retry of a transient failure; the wait
	// is random between it and three times it, 100–300 ms (Config.RetryDelay).
	DefaultRetryDelay = 100 * time.Millisecond
	// DefaultMaxRateLimitWait bounds how long a network that rate-limited us is left alone,
	// whatever reset it named (Config.MaxRateLimitWait).
	DefaultMaxRateLimitWait = time.Hour
)

// retryMinTime is the least time a retry must have before the context's deadline, after its
// delay, even when the failed attempt was quicker: a retry that cannot finish only turns a clear
// "the network failed" into a timeout, and costs the network a call for nothing.
const retryMinTime = time.Second

// network is what the built-in providers of one social network share: its rate-limit gate and the
// retry policy. The two X providers share one (same API, same token).
//
// Every call a provider makes to its network goes through call: while the gate is closed the call
// is not made and a KindRateLimited *Error comes back at once; a rate-limited answer closes the
// gate until the time the network named (or for the default backoff); a transient failure is
// retried once.
//
// When a closed gate reopens, the first call is a probe: the calls that come while it is in flight
// wait for its outcome instead of all hitting the network at once. If the probe is rate-limited
// the gate closes again and they get that answer; otherwise they go ahead. So a network that
// keeps rate-limiting us gets one call per window, however many fetches are waiting.
type network struct {
	name    string           // for messages and logs: "Facebook", "X", "Gravatar"
	now     func() time.Time // the clock rate-limit waits are computed with
	backoff time.Duration    // gate length when the network named no time
	maxWait time.Duration    // the longest the gate stays closed, whatever the network named; 0: a day
	delay   time.Duration    // shortest retry delay; <= 0: no retry
	log     *slog.Logger

	mu      sync.Mutex
	until   time.Time     // the gate is closed before this instant (by now)
	suspect bool          // the gate was closed, and no call has ended well since
	probe   chan struct{} // while the probe is in flight: closed when it ends
}

// gatedError is the KindRateLimited *Error a call of provider gets while the gate is closed until
// until. RetryAfter is the time left, rounded up to whole seconds (never 0).
func (n *network) gatedError(provider string, until, now time.Time) error {
	left := max(clampWait(until.Sub(now)), time.Second)
	return &Error{Kind: KindRateLimited, Provider: provider, RetryAfter: left, HeldBack: true,
		Msg: fmt.Sprintf("%s is rate-limiting us, retry in %s", n.name, left)}
}

// acquire lets a call of provider through the gate. It returns the error the call gets instead
// when the gate is closed, or when ctx ends while the call waits for a probe. Otherwise done must
// be called with the call's outcome (after observe) once it has one.
func (n *network) acquire(ctx context.Context, provider string) (done func(error), err error) {
	for {
		n.mu.Lock()
		if now := n.now(); now.Before(n.until) {
			until := n.until
			n.mu.Unlock()
			return nil, n.gatedError(provider, until, now)
		}
		if !n.suspect {
			n.mu.Unlock()
			return func(error) {}, nil
		}
		if n.probe == nil {
			ch := make(chan struct{})
			n.probe = ch
			n.mu.Unlock()
			return func(err error) {
				n.mu.Lock()
				if KindOf(err) != KindRateLimited {
					n.suspect = false
				}
				n.probe = nil
				n.mu.Unlock()
				close(ch)
			}, nil
		}
		ch := n.probe
		n.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, &Error{Kind: KindTimeout, Provider: provider, Err: ctx.Err(),
				Msg: fmt.Sprintf("gave up waiting for the first call to %s after its rate limit", n.name)}
		}
	}
}

// observe closes the gate when err is a KindRateLimited *Error, for its RetryAfter or, when the
// network named no time, for the backoff; such an error comes back with that RetryAfter (and
// says it). Any other error (nil included) is returned as it is.
func (n *network) observe(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindRateLimited {
		return err
	}
	if e.RetryAfter <= 0 {
		cp := *e
		cp.RetryAfter = n.backoff
		cp.Msg += ", retry in " + n.backoff.String()
		e, err = &cp, &cp
	}
	if limit := n.waitCap(); e.RetryAfter > limit {
		n.log.Warn("avatar origin named a rate-limit reset beyond the longest wait we honour; trying again sooner",
			"network", n.name, "provider", e.Provider, "named", e.RetryAfter, "cap", limit)
		cp := *e
		cp.RetryAfter = limit
		cp.Msg += " (capped at " + limit.String() + ")"
		e, err = &cp, &cp
	}
	if n.closeUntil(n.now().Add(e.RetryAfter)) {
		n.log.Warn("avatar origin rate-limited us; no calls to it until the wait is over",
			"network", n.name, "provider", e.Provider, "retry_after", e.RetryAfter)
	}
	return err
}

// closeUntil closes the gate until until, unless it is closed for longer already, and marks it
// suspect (the first call after it is a probe). It reports whether it closed it for longer.
func (n *network) closeUntil(until time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.suspect = true
	if !until.After(n.until) {
		return false
	}
	n.until = until
	return true
}

// waitCap is the longest the gate stays closed.
func (n *network) waitCap() time.Duration {
	if n.maxWait <= 0 {
		return maxWaitSeconds * time.Second
	}
	return n.maxWait
}

// hold closes the gate until until (at most maxWait from now), as a rate-limited answer would:
// see Holder.
func (n *network) hold(until time.Time) {
	now := n.now()
	if limit := now.Add(n.waitCap()); until.After(limit) {
		n.log.Info("avatar origin rate-limited another node until a reset beyond the longest wait we honour; capped",
			"network", n.name, "until", until, "cap", n.waitCap())
		until = limit
	}
	if until.After(now) && n.closeUntil(until) {
		n.log.Info("avatar origin rate-limited another node; no calls to it here either until the wait is over",
			"network", n.name, "until", until)
	}
}

// attempt makes one attempt of step through the gate.
func attempt[T any](ctx context.Context, n *network, provider string, step func(context.Context) (T, error)) (v T, err error) {
	done, err := n.acquire(ctx, provider)
	if err != nil {
		return v, err
	}
	defer func() { done(err) }() // deferred: waiters are let go whatever happens to step
	v, err = step(ctx)
	return v, n.observe(err)
}

// retryDelay returns the wait before a retry: random in [delay, 3×delay).
func (n *network) retryDelay() time.Duration {
	return n.delay + rand.N(2*n.delay)
}

// mayRetry reports whether the failure err of an attempt that took elapsed may be retried after
// wait: it is transient, the context is not done, and its deadline (if any) leaves, after wait, at
// least as long as the failed attempt took and at least retryMinTime. Context deadlines are real
// time, so this reads the real clock, not n.now.
func (n *network) mayRetry(ctx context.Context, err error, elapsed, wait time.Duration) bool {
	if n.delay <= 0 || !isTransient(err) || ctx.Err() != nil {
		return false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+max(elapsed, retryMinTime) {
		return false
	}
	return true
}

// call makes one step of a fetch — an API lookup or a download, with the reading of its answer —
// through n on behalf of provider: not at all while n's gate is closed, and twice at most when the
// first attempt failed transiently (see mayRetry).
func call[T any](ctx context.Context, n *network, provider string, step func(context.Context) (T, error)) (T, error) {
	var zero T
	start := time.Now()
	v, err := attempt(ctx, n, provider, step)
	if err == nil {
		return v, nil
	}
	wait := time.Duration(0)
	if n.delay > 0 {
		wait = n.retryDelay()
	}
	if !n.mayRetry(ctx, err, time.Since(start), wait) {
		return zero, err
	}
	t := time.NewTimer(wait)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		return zero, err
	}
	n.log.Debug("avatar origin failed transiently; retrying once", "network", n.name, "provider", provider,
		"after", wait, "err", err)
	v, err = attempt(ctx, n, provider, step)
	if err != nil {
		return zero, err
	}
	return v, nil
}

// isTransient reports whether err is an *Error a retry may cure: a failure of the network (a 5xx,
// a cut or failed connection) or a timeout of our client, as marked where the error was made.
// Permanent outcomes, refusals of ours, bad credentials and rate limits are never transient.
func isTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.transient && (e.Kind == KindUpstream || e.Kind == KindTimeout)
}

// transientStatus reports whether an HTTP status says the network failed for now: a 5xx, or 408.
func transientStatus(code int) bool {
	return code >= 500 || code == http.StatusRequestTimeout
}

// markTransient sets e's transient mark to t and returns e.
func markTransient(e *Error, t bool) *Error {
	e.transient = t
	return e
}
