package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// postPeer sends a notice to a node's peer endpoint, signed with secret ("" for none) at now
// (the time of the node's clock).
func postPeer(t testing.TB, base, path string, body []byte, secret string, now time.Time) *http.Response {
	t.Helper()
	full := DefaultBasePath + path
	req, err := http.NewRequest(http.MethodPost, base+full, bytes.NewReader(body))
	require.NoError(t, err)
	if secret != "" {
		ts := now.Unix()
		req.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(ts, 10)+":"+
			signedRequest{method: http.MethodPost, path: full, ts: ts, body: body}.sign([]byte(secret)))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}

// A rate limit the network gave the owner of a key reaches the other nodes' providers; a call
// the owner held back is not news and goes nowhere.
func TestRateLimitIsToldToThePeers(t *testing.T) {
	clock := fetchtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	tc := newTestCluster(t, 3, Config{Now: clock.Now})
	owner := tc.nodes[0]
	r := requestOwnedBy(t, owner.c, owner.url, "limited")
	reset := 10 * time.Minute
	owner.p.mu.Lock()
	owner.p.errs[r.ID] = &fetch.Error{Kind: fetch.KindRateLimited, Provider: "fake", Msg: "rate limited", RetryAfter: reset}
	owner.p.mu.Unlock()

	_, err := tc.nodes[1].c.Get(context.Background(), r)
	require.ErrorIs(t, err, fetch.ErrRateLimited)
	want := clock.Now().Add(reset)
	for _, nd := range tc.nodes[1:] {
		require.Eventually(t, func() bool { return len(nd.p.holds()) == 1 }, 5*time.Second, 5*time.Millisecond)
		assert.Equal(t, want.UnixMilli(), nd.p.holds()[0].UnixMilli())
		assert.EqualValues(t, 1, nd.c.Stats().RateLimitHolds)
	}
	assert.Empty(t, owner.p.holds(), "the owner's own gate closed itself")
	assert.Zero(t, owner.c.Stats().RateLimitHolds)

	// Calls held back (the gate's own answers) and the same reset again are not news.
	for _, e := range []*fetch.Error{
		{Kind: fetch.KindRateLimited, Provider: "fake", Msg: "held", RetryAfter: reset, HeldBack: true},
		{Kind: fetch.KindRateLimited, Provider: "fake", Msg: "again", RetryAfter: reset + time.Second},
	} {
		owner.c.noteRateLimit("fake", e)
	}
	// A later reset is.
	owner.c.noteRateLimit("fake", &fetch.Error{Kind: fetch.KindRateLimited, Provider: "fake", RetryAfter: 2 * reset})
	for _, nd := range tc.nodes[1:] {
		require.Eventually(t, func() bool { return len(nd.p.holds()) == 2 }, 5*time.Second, 5*time.Millisecond)
		assert.Equal(t, clock.Now().Add(2*reset).UnixMilli(), nd.p.holds()[1].UnixMilli(), "the later reset, and nothing between")
	}
}

// The notice endpoint is a peer request like the others: authenticated, and checked.
func TestRateLimitNoticeIsChecked(t *testing.T) {
	clock := fetchtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	tc := newTestCluster(t, 2, Config{Now: clock.Now})
	nd := tc.nodes[0]
	notice := func(typ string, d time.Duration) []byte {
		b, err := json.Marshal(holdNotice{Type: typ, UntilMs: clock.Now().Add(d).UnixMilli()})
		require.NoError(t, err)
		return b
	}
	for _, tt := range []struct {
		name   string
		body   []byte
		secret string
		code   int
	}{
		{"unsigned", notice("fake", time.Minute), "", http.StatusUnauthorized},
		{"another secret", notice("fake", time.Minute), "not the cluster's", http.StatusForbidden},
		{"unknown type", notice("facebook", time.Minute), testSecret, http.StatusBadRequest},
		{"well beyond a day", notice("fake", 25*time.Hour), testSecret, http.StatusBadRequest},
		{"not JSON", []byte("fake until noon"), testSecret, http.StatusBadRequest},
		{"a reset already past", notice("fake", -time.Second), testSecret, http.StatusOK},
	} {
		res := postPeer(t, nd.url, holdPath, tt.body, tt.secret, clock.Now())
		assert.Equal(t, tt.code, res.StatusCode, tt.name)
	}
	assert.Empty(t, nd.p.holds(), "none of these holds anything")

	res := postPeer(t, nd.url, holdPath, notice("fake", time.Minute), testSecret, clock.Now())
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Len(t, nd.p.holds(), 1)
	assert.Equal(t, clock.Now().Add(time.Minute).UnixMilli(), nd.p.holds()[0].UnixMilli())
	assert.EqualValues(t, 1, nd.c.Stats().RateLimitHolds)

	// The sender's day, a little further on this node's clock: taken, as a day.
	res = postPeer(t, nd.url, holdPath, notice("fake", maxHold+time.Second), testSecret, clock.Now())
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Len(t, nd.p.holds(), 2)
	assert.Equal(t, clock.Now().Add(maxHold).UnixMilli(), nd.p.holds()[1].UnixMilli())

	get := peerGet(t, nd.url, http.MethodGet, "", "", testSecret, clock.Now(), func(r *http.Request) { r.URL.Path = DefaultBasePath + holdPath })
	assert.Equal(t, http.StatusMethodNotAllowed, get.StatusCode)
	assert.Equal(t, http.MethodPost, get.Header.Get("Allow"))
}

// A provider that cannot hold its calls (one of the app's own) is not counted as held.
func TestRateLimitNoticeForAProviderThatCannotHold(t *testing.T) {
	clock := fetchtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	tc := newTestCluster(t, 2, Config{Now: clock.Now}, func(i int, cfg *Config) {
		cfg.Providers = map[string]fetch.Provider{"fake": cfg.Providers["fake"], "plain": plainProvider{}}
	})
	nd := tc.nodes[0]
	b, err := json.Marshal(holdNotice{Type: "plain", UntilMs: clock.Now().Add(time.Minute).UnixMilli()})
	require.NoError(t, err)
	res := postPeer(t, nd.url, holdPath, b, testSecret, clock.Now())
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Zero(t, nd.c.Stats().RateLimitHolds, "nothing was held")
	nd.c.holdMu.Lock()
	_, recorded := nd.c.holds["plain"]
	nd.c.holdMu.Unlock()
	assert.False(t, recorded, "this node would still tell the others of its own rate limit")
}

// plainProvider is a Provider without Hold.
type plainProvider struct{}

func (plainProvider) CheckID(id string) (string, error) { return id, nil }
func (plainProvider) Fetch(context.Context, string) (*fetch.Picture, error) {
	return nil, &fetch.Error{Kind: fetch.KindNotFound, Provider: "plain", Msg: "nobody"}
}
