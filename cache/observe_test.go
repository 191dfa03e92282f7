package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

// recordingObserver keeps what a cache tells its Observer.
type recordingObserver struct {
	mu                   sync.Mutex
	origins              []string // provider/outcome
	transforms, analyses int
	peers                []string
}

func (o *recordingObserver) OriginFetch(provider, outcome string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.origins = append(o.origins, provider+"/"+outcome)
}

func (o *recordingObserver) Transform(time.Duration) { o.mu.Lock(); o.transforms++; o.mu.Unlock() }
func (o *recordingObserver) Analysis(time.Duration)  { o.mu.Lock(); o.analyses++; o.mu.Unlock() }
func (o *recordingObserver) PeerRequest(outcome string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.peers = append(o.peers, outcome)
}

// The cache counts its origin calls by provider and outcome, tells its Observer how long its work
// took, remembers the rate limits it was given, and says which Gets were hits.
func TestObserverOutcomesAndHits(t *testing.T) {
	clock := fetchtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	obs := &recordingObserver{}
	c, p := newTestCache(t, Config{Observer: obs, Now: clock.Now})
	p.set("alice", testJPEG(t, 400, 300, red, blue), nil)
	p.set("bob", nil, &fetch.Error{Kind: fetch.KindNotFound, Provider: "fake", Msg: "no such user"})
	p.set("carol", nil, &fetch.Error{Kind: fetch.KindRateLimited, Provider: "fake", Msg: "rate limited", RetryAfter: 10 * time.Minute})
	ctx := context.Background()

	req := Request{Type: "fake", ID: "alice", Transformation: mustChain(t, "c_thumb,g_face,h_50,w_50"), Format: imageops.PNG, Trusted: true}
	v, err := c.Get(ctx, req)
	require.NoError(t, err)
	assert.False(t, v.Hit, "the first Get loads")
	v, err = c.Get(ctx, req)
	require.NoError(t, err)
	assert.True(t, v.Hit)

	v, err = c.Get(ctx, Request{Type: "fake", ID: "bob"})
	require.ErrorIs(t, err, fetch.ErrNotFound)
	assert.False(t, v.Hit)
	v, err = c.Get(ctx, Request{Type: "fake", ID: "bob"})
	require.ErrorIs(t, err, fetch.ErrNotFound)
	assert.True(t, v.Hit, "a remembered outcome is a hit, error or not")

	_, err = c.Get(ctx, Request{Type: "fake", ID: "carol"})
	require.ErrorIs(t, err, fetch.ErrRateLimited)

	s := c.Stats()
	assert.Equal(t, map[string]map[string]int64{"fake": {"picture": 1, "not_found": 1, "rate_limited": 1}}, s.OriginOutcomes)
	require.Contains(t, s.RateLimitedUntil, "fake")
	assert.Equal(t, clock.Now().Add(10*time.Minute), s.RateLimitedUntil["fake"])
	obs.mu.Lock()
	assert.ElementsMatch(t, []string{"fake/picture", "fake/not_found", "fake/rate_limited"}, obs.origins)
	assert.Equal(t, 1, obs.transforms)
	assert.Equal(t, 1, obs.analyses)
	assert.Empty(t, obs.peers)
	obs.mu.Unlock()

	clock.Advance(11 * time.Minute)
	assert.Empty(t, c.Stats().RateLimitedUntil, "a rate limit that is over is not reported")
}

func TestOutcomeIndex(t *testing.T) {
	for want, err := range map[string]error{
		"upstream_error": &fetch.Error{Kind: fetch.KindUpstream},
		"timeout":        &fetch.Error{Kind: fetch.KindTimeout},
		"held_back":      &fetch.Error{Kind: fetch.KindRateLimited, HeldBack: true},
		"shed":           &BusyError{},
		"not_image":      &fetch.Error{Kind: fetch.KindNotImage},
		"other":          context.Canceled,
	} {
		assert.Equal(t, want, OriginOutcomes[outcomeIndex(nil, err)])
	}
	assert.Equal(t, "default_picture", OriginOutcomes[outcomeIndex(&fetch.Picture{Default: true}, nil)])
}
