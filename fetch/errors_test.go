package fetch

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		assert.Equal(t, tt.want, retryAfter(h, now), "Retry-After %q", tt.value)
	}
}

func TestResetAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 400_000_000, time.UTC)
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{epoch(12 * time.Minute), 12 * time.Minute}, // 11m59.6s, rounded up
		{epoch(-time.Minute), 0},
		{"abc", 0},
		{"0", 0},
		{epoch(72 * time.Hour), 24 * time.Hour},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("x-rate-limit-reset", tt.value)
		}
		assert.Equal(t, tt.want, resetAfter(h, now), "x-rate-limit-reset %q", tt.value)
	}
}

func TestGraphRetryAfter(t *testing.T) {
	now := time.Now()
	h := http.Header{}
	assert.Zero(t, graphRetryAfter(h, now))
	h.Set("X-App-Usage", `{"call_count":100}`)
	assert.Zero(t, graphRetryAfter(h, now))
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"type":"pages","estimated_time_to_regain_access":3},{"estimated_time_to_regain_access":19}],"2":[]}`)
	assert.Equal(t, 19*time.Minute, graphRetryAfter(h, now))
	h.Set("Retry-After", "30")
	assert.Equal(t, 30*time.Second, graphRetryAfter(h, now), "Retry-After wins")
	h.Del("Retry-After")
	h.Set("X-Business-Use-Case-Usage", `not json`)
	assert.Zero(t, graphRetryAfter(h, now))
}

func TestWithProvider(t *testing.T) {
	assert.NoError(t, WithProvider("facebook", nil))

	orig := &Error{Kind: KindTimeout, Msg: "picture not received within 10s"}
	err := WithProvider("facebook", orig)
	assert.Equal(t, "facebook: picture not received within 10s", err.Error())
	assert.Empty(t, orig.Provider, "the original is not changed")
	assert.ErrorIs(t, err, ErrTimeout)

	named := &Error{Kind: KindNotFound, Provider: "twitter", Msg: "no such user 1"}
	assert.Same(t, named, WithProvider("facebook", named))

	plain := errors.New("boom")
	err = WithProvider("gravatar", plain)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, KindUpstream, e.Kind)
	assert.Equal(t, "gravatar", e.Provider)
	assert.ErrorIs(t, err, plain)
}

func TestRateLimitedMessage(t *testing.T) {
	e := rateLimited("twitter", "X API rate limit", 12*time.Minute, nil)
	assert.Equal(t, "twitter: X API rate limit, retry in 12m0s", e.Error())
	assert.Equal(t, 12*time.Minute, e.RetryAfter)
	e = rateLimited("twitter", "X API rate limit", 0, nil)
	assert.Equal(t, "twitter: X API rate limit", e.Error())
}
