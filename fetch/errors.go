package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WithProvider attributes err to a provider: an *Error that names no Provider comes back as a copy
// naming provider (err itself is not changed; one that names a provider already is returned as it
// is), and any other non-nil error becomes a KindUpstream *Error of provider wrapping it. The Client's
// errors name no provider; a custom Provider passes them through WithProvider with its type name.
func WithProvider(provider string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Provider != "" {
			return e
		}
		cp := *e
		cp.Provider = provider
		return &cp
	}
	return &Error{Kind: KindUpstream, Provider: provider, Msg: "network failed", Err: err}
}

// rateLimited builds a KindRateLimited error whose message says when to retry, when known:
// "<what>, retry in 12m0s".
func rateLimited(provider, what string, after time.Duration, cause error) *Error {
	msg := what
	if after > 0 {
		msg += ", retry in " + after.String()
	}
	return &Error{Kind: KindRateLimited, Provider: provider, Msg: msg, RetryAfter: after, Err: cause}
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date, relative to now. It returns 0
// when the header is missing, unreadable or in the past. The result is rounded up to whole seconds.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		return clampWait(time.Duration(min(secs, maxWaitSeconds)) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return clampWait(t.Sub(now))
	}
	return 0
}

// resetAfter reads X's x-rate-limit-reset header (Unix epoch seconds at which the window resets)
// relative to now. It returns 0 when the header is missing, unreadable or in the past.
func resetAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("X-Rate-Limit-Reset"))
	if v == "" {
		return 0
	}
	epoch, err := strconv.ParseInt(v, 10, 64)
	if err != nil || epoch <= 0 {
		return 0
	}
	if epoch > now.Unix()+maxWaitSeconds {
		return maxWaitSeconds * time.Second
	}
	return clampWait(time.Unix(epoch, 0).Sub(now))
}

// maxWaitSeconds bounds a wait the network asks for: a day.
const maxWaitSeconds = 24 * 60 * 60

// clampWait rounds d up to whole seconds and keeps it within 0..maxWaitSeconds.
func clampWait(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	d = (d + time.Second - 1).Truncate(time.Second)
	return min(d, maxWaitSeconds*time.Second)
}

// errorf builds an *Error.
func errorf(kind Kind, provider string, cause error, format string, args ...any) *Error {
	return &Error{Kind: kind, Provider: provider, Msg: fmt.Sprintf(format, args...), Err: cause}
}
