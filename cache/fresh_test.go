package cache

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// Freshness (fresh.go, docs/freshness.md), tested on the fake clock: no test waits out a period.

// downstream is the transient failure of a network that is down.
var downstream = &fetch.Error{Kind: fetch.KindUpstream, Provider: "fake", Msg: "503 from the network"}

// atPeriodStart moves clock to the first instant of the next refresh period of avatar id, so
// that a test has a whole period ahead of it.
func atPeriodStart(c *Cache, clock *fetchtest.Clock, id string) time.Time {
	_, end := c.periodOf("fake", id, clock.Now())
	clock.Set(end)
	return end
}

func TestFreshSamePictureAfterThePeriodComputesNothing(t *testing.T) {
	clock := newClock()
	c, p := newTestCache(t, Config{Now: clock.Now, RefreshPeriod: time.Hour})
	p.set("ivy", testJPEG(t, 64, 64, red, blue), nil)
	req := Request{Type: "fake", ID: "ivy", Transformation: mustChain(t, "c_fill,g_face,h_20,w_20")}

	v1, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	_, end := c.periodOf("fake", "ivy", clock.Now())
	assert.Equal(t, end, v1.Expires, "fresh until the avatar's refresh time")
	before := c.Stats()

	clock.Set(end) // the refresh time: the next period
	v2, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	after := c.Stats()
	assert.EqualValues(t, 2, p.calls.Load(), "the network is asked again once the period is over")
	assert.Equal(t, before.OriginFetches+1, after.OriginFetches)
	assert.Equal(t, before.Transforms, after.Transforms, "the same picture: its variants are not computed again")
	assert.Equal(t, before.Analyses, after.Analyses, "nor its analysis")
	assert.Equal(t, v1.ETag, v2.ETag)
	assert.Equal(t, v1.Bytes(), v2.Bytes())
	assert.Equal(t, end.Add(time.Hour), v2.Expires, "a whole period ahead")
	assert.False(t, v2.Stale)
}

func TestFreshRefreshServesTheNewPictureAtOnce(t *testing.T) {
	clock := newClock()
	c, p := newTestCache(t, Config{Now: clock.Now, RefreshPeriod: time.Hour})
	atPeriodStart(c, clock, "jo")
	p.set("jo", testJPEG(t, 64, 64, red, red), nil)
	req := Request{Type: "fake", ID: "jo", Transformation: mustChain(t, "w_16")}
	old, err := c.Get(context.Background(), req)
	require.NoError(t, err)

	clock.Advance(10 * time.Minute)
	p.set("jo", testJPEG(t, 64, 64, blue, blue), nil)
	v, err := c.Refresh(context.Background(), "fake", "jo")
	require.NoError(t, err)
	assert.EqualValues(t, clock.Now().Unix(), v, "a version is the Unix time of the refresh")
	assert.EqualValues(t, 2, p.calls.Load())

	got, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.NotEqual(t, old.ETag, got.ETag, "unversioned requests get the new picture at once")
	_, end := c.periodOf("fake", "jo", clock.Now())
	assert.Equal(t, end, got.Expires)
	vr := req
	vr.Version = v
	versioned, err := c.Get(context.Background(), vr)
	require.NoError(t, err)
	assert.Equal(t, got.ETag, versioned.ETag)
	assert.True(t, versioned.Expires.IsZero(), "a versioned picture never changes")
	assert.EqualValues(t, 2, p.calls.Load(), "the refresh's load is what both serve")

	// Refreshes coalesce: a repeat moments later is the same version, and no call.
	for range 20 {
		v2, err := c.Refresh(context.Background(), "fake", "jo")
		require.NoError(t, err)
		assert.Equal(t, v, v2, "a repeat within the coalescing window has the same version")
		clock.Advance(refreshCoalesce / 20 / 2)
	}
	assert.EqualValues(t, 2, p.calls.Load())
	assert.EqualValues(t, 20, c.Stats().RefreshesCoalesced)
	clock.Advance(refreshCoalesce / 2)
	v3, err := c.Refresh(context.Background(), "fake", "jo")
	require.NoError(t, err)
	assert.Greater(t, v3, v, "after the window, a refresh of its own")
	assert.EqualValues(t, 3, p.calls.Load())

	// The override lasts until the period ends; the next period asks the network again.
	clock.Set(end)
	next, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, got.ETag, next.ETag)
	assert.EqualValues(t, 4, p.calls.Load())

	_, err = c.Refresh(context.Background(), "fake", "Jo|x")
	assert.Error(t, err)
	_, err = c.Refresh(context.Background(), "nope", "jo")
	assert.Error(t, err)
}

func TestFreshStaleIfError(t *testing.T) {
	clock := newClock()
	const errorRetry = 20 * time.Second
	c, p := newTestCache(t, Config{Now: clock.Now, RefreshPeriod: time.Hour, ErrorRetry: errorRetry, StaleIfError: 2 * time.Hour})
	p.set("kim", testJPEG(t, 64, 64, red, blue), nil)
	req := Request{Type: "fake", ID: "kim", Transformation: mustChain(t, "w_16")}
	good, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	_, refreshAt := c.periodOf("fake", "kim", clock.Now())

	// The refresh fails: the last good picture, for a short while.
	clock.Set(refreshAt.Add(time.Minute))
	p.set("kim", nil, downstream)
	v, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	assert.Equal(t, good.ETag, v.ETag)
	assert.Equal(t, clock.Now().Add(errorRetry), v.Expires, "a stale picture is fresh for ErrorRetry")
	assert.EqualValues(t, 2, p.calls.Load())
	assert.EqualValues(t, 1, c.Stats().StaleServed)

	// Not asked again before ErrorRetry; asked again after it, not only next period.
	clock.Advance(errorRetry - time.Second)
	v, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	assert.EqualValues(t, 2, p.calls.Load())
	clock.Advance(time.Second)
	v, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	assert.EqualValues(t, 3, p.calls.Load())

	// At most StaleIfError past the refresh time.
	clock.Set(refreshAt.Add(2 * time.Hour))
	v, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	clock.Advance(time.Second)
	_, err = c.Get(context.Background(), req)
	assert.ErrorIs(t, err, fetch.ErrUpstream, "StaleIfError past the refresh time, the failure is the answer")

	// The network is back: after ErrorRetry, the new picture.
	p.set("kim", testJPEG(t, 64, 64, blue, blue), nil)
	clock.Advance(errorRetry)
	v, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.False(t, v.Stale)
	assert.NotEqual(t, good.ETag, v.ETag)

	t.Run("never", func(t *testing.T) {
		clock := newClock()
		c, p := newTestCache(t, Config{Now: clock.Now, RefreshPeriod: time.Hour, StaleIfError: -1})
		p.set("lou", testJPEG(t, 32, 32, red, blue), nil)
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: "lou"})
		require.NoError(t, err)
		atPeriodStart(c, clock, "lou")
		p.set("lou", nil, downstream)
		_, err = c.Get(context.Background(), Request{Type: "fake", ID: "lou"})
		assert.ErrorIs(t, err, fetch.ErrUpstream)
	})
}

func TestFreshStaleFromThePreviousPeriodOnANodeThatNeverServedIt(t *testing.T) {
	clock := newClock()
	tc := newTestCluster(t, 3, Config{Now: clock.Now, RefreshPeriod: time.Hour})
	const id = "max"
	tc.set(id, testJPEG(t, 64, 64, red, blue), nil)
	req := Request{Type: "fake", ID: id, Transformation: mustChain(t, "w_16")}
	good, err := tc.nodes[0].c.Get(context.Background(), req)
	require.NoError(t, err)
	_, refreshAt := tc.nodes[0].c.periodOf("fake", id, clock.Now())

	clock.Set(refreshAt.Add(time.Minute))
	tc.set(id, nil, downstream)
	for _, nd := range tc.nodes[1:] {
		v, err := nd.c.Get(context.Background(), req)
		require.NoError(t, err, "%s: the previous period's picture, which a peer holds", nd.url)
		assert.True(t, v.Stale)
		assert.Equal(t, good.ETag, v.ETag)
	}
	// A variant nobody computed yet is made from the previous period's original too.
	other := req
	other.Transformation = mustChain(t, "w_24")
	v, err := tc.nodes[2].c.Get(context.Background(), other)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	assert.EqualValues(t, 2, tc.fetches(), "one fetch, one failed refresh: a peek never calls the network")
	assert.Zero(t, tc.stats().PeerBadRequests)
}

// With StaleIfError longer than a period, the last good picture is older than the previous
// period: the peers must still take its key (as a key and as a hint) instead of refusing it and
// making the node load it again from a network that is down.
func TestFreshStaleForLongerThanAPeriodInACluster(t *testing.T) {
	clock := newClock()
	tc := newTestCluster(t, 3, Config{Now: clock.Now, RefreshPeriod: time.Hour, StaleIfError: 3 * time.Hour})
	const id = "ned"
	tc.set(id, testJPEG(t, 64, 64, red, blue), nil)
	req := Request{Type: "fake", ID: id, Transformation: mustChain(t, "w_16")}
	var etag string
	for _, nd := range tc.nodes {
		v, err := nd.c.Get(context.Background(), req)
		require.NoError(t, err)
		etag = v.ETag
	}
	_, refreshAt := tc.nodes[0].c.periodOf("fake", id, clock.Now())

	clock.Set(refreshAt.Add(2*time.Hour + time.Minute)) // three periods on
	tc.set(id, nil, downstream)
	for _, nd := range tc.nodes {
		v, err := nd.c.Get(context.Background(), req)
		require.NoError(t, err, nd.url)
		assert.True(t, v.Stale)
		assert.Equal(t, etag, v.ETag)
		other := req
		other.Transformation = mustChain(t, "w_24")
		v, err = nd.c.Get(context.Background(), other)
		require.NoError(t, err, nd.url)
		assert.True(t, v.Stale)
	}
	assert.Zero(t, tc.stats().PeerBadRequests, "no node refuses the key of the last good picture")
	assert.EqualValues(t, 2, tc.fetches(), "one fetch, one failed refresh")
}

func TestFreshNegativeStormCostsOneLookupPerNegativeTTL(t *testing.T) {
	clock := newClock()
	const ttl = time.Minute
	c, p := newTestCache(t, Config{Now: clock.Now, NegativeTTL: ttl, RefreshPeriod: 24 * time.Hour})
	atPeriodStart(c, clock, "ghost")
	storm := func() {
		t.Helper()
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				r := Request{Type: "fake", ID: "ghost"}
				if i%2 == 1 {
					r.Transformation = mustChain(t, "w_10")
				}
				_, err := c.Get(context.Background(), r)
				assert.ErrorIs(t, err, fetch.ErrNotFound)
			})
		}
		wg.Wait()
	}
	storm()
	assert.EqualValues(t, 1, p.calls.Load(), "100 requests at once, one lookup")
	clock.Advance(ttl - time.Second)
	storm()
	assert.EqualValues(t, 1, p.calls.Load(), "believed for NegativeTTL")
	clock.Advance(2 * time.Second)
	storm()
	assert.EqualValues(t, 2, p.calls.Load(), "after NegativeTTL, one more lookup")
	clock.Advance(ttl)
	storm()
	assert.EqualValues(t, 3, p.calls.Load(), "and one per NegativeTTL after that")
}

// A user who appears is found by a re-check; the re-check's key is then the avatar's key for the
// rest of the period, on every node that found it. Its variants and its original are asked for
// under that key long after its re-check epoch: the peers must take it, or every new variant
// makes a node fetch the user again.
func TestFreshUserWhoAppearsIsNotFetchedAgainInACluster(t *testing.T) {
	clock := newClock()
	const ttl = time.Minute
	tc := newTestCluster(t, 3, Config{Now: clock.Now, NegativeTTL: ttl, RefreshPeriod: 24 * time.Hour})
	const id = "newbie"
	atPeriodStart(tc.nodes[0].c, clock, id)
	_, err := tc.nodes[0].c.Get(context.Background(), Request{Type: "fake", ID: id})
	require.ErrorIs(t, err, fetch.ErrNotFound)
	tc.set(id, testJPEG(t, 64, 64, red, blue), nil)

	clock.Advance(ttl + time.Second)
	for _, nd := range tc.nodes {
		_, err := nd.c.Get(context.Background(), Request{Type: "fake", ID: id, Transformation: mustChain(t, "w_10")})
		require.NoError(t, err, nd.url)
	}
	assert.EqualValues(t, 2, tc.fetches(), "one lookup, one re-check for the whole cluster")

	for i := range 5 {
		clock.Advance(3 * ttl)
		for _, nd := range tc.nodes {
			_, err := nd.c.Get(context.Background(), Request{Type: "fake", ID: id, Transformation: mustChain(t, fmt.Sprintf("w_%d", 11+i))})
			require.NoError(t, err, nd.url)
		}
	}
	assert.EqualValues(t, 2, tc.fetches(), "a user found is not looked up again before the period ends")
	assert.Zero(t, tc.stats().PeerBadRequests)
}

// newFreshCluster is newTestCluster with a hook on each node's peer endpoint.
func newFreshCluster(t testing.TB, n int, cfg Config, wrap func(i int, h http.Handler) http.Handler) *testCluster {
	tc := &testCluster{name: fmt.Sprintf("fresh%d", nameSeq.Add(1))}
	muxes := make([]*http.ServeMux, n)
	var urls []string
	for i := range n {
		muxes[i] = http.NewServeMux()
		srv := httptest.NewUnstartedServer(muxes[i])
		nd := &testNode{srv: srv, url: "http://" + srv.Listener.Addr().String()}
		tc.nodes = append(tc.nodes, nd)
		urls = append(urls, nd.url)
	}
	for i, nd := range tc.nodes {
		tc.freshStart(t, nd, muxes[i], cfg, i, urls, func(h http.Handler) http.Handler { return wrap(i, h) })
	}
	return tc
}

// freshStart makes nd a node of tc and starts its server.
func (tc *testCluster) freshStart(t testing.TB, nd *testNode, mux *http.ServeMux, cfg Config, i int, peers []string, wrap func(http.Handler) http.Handler) {
	nd.p = newFakeProvider()
	cfg.Providers = map[string]fetch.Provider{"fake": nd.p}
	cfg.Name = tc.name
	cfg.LocalName = fmt.Sprintf("%s-node%d", tc.name, i)
	cfg.Self = nd.url
	cfg.Peers = peers
	cfg.PeerSecret = testSecret
	c, err := New(cfg)
	require.NoError(t, err)
	nd.c = c
	var h http.Handler = c.PeerHandler()
	if wrap != nil {
		h = wrap(h)
	}
	mux.Handle(c.BasePath(), h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the app") })
	nd.srv.Start()
	t.Cleanup(func() { nd.srv.Close(); c.Close() })
}

// freshJoin starts one more node with the cluster's Name; peers are its peer list (its own URL is
// added), or every node's when nil.
func (tc *testCluster) freshJoin(t testing.TB, cfg Config, peers []string) *testNode {
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	nd := &testNode{srv: srv, url: "http://" + srv.Listener.Addr().String()}
	if peers == nil {
		for _, o := range tc.nodes {
			peers = append(peers, o.url)
		}
	}
	tc.freshStart(t, nd, mux, cfg, len(tc.nodes), append(peers, nd.url), nil)
	tc.nodes = append(tc.nodes, nd)
	return nd
}

// A node whose peers come later than its start (discovery that has not answered yet, an app
// that calls SetPeers) still learns the forced refreshes the cluster holds.
func TestFreshNodeWhosePeersComeLaterLearnsTheRefreshes(t *testing.T) {
	clock := newClock()
	tc := newFreshCluster(t, 3, Config{Now: clock.Now}, func(_ int, h http.Handler) http.Handler { return h })
	const id = "oz"
	tc.set(id, testJPEG(t, 32, 32, red, blue), nil)
	version, err := tc.nodes[0].c.Refresh(context.Background(), "fake", id)
	require.NoError(t, err)

	late := tc.freshJoin(t, Config{Now: clock.Now}, []string{}) // alone at first
	late.p.set(id, testJPEG(t, 32, 32, red, blue), nil)
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, late.c.SetPeers(tc.nodes[0].url, tc.nodes[1].url, tc.nodes[2].url, late.url))
	require.Eventually(t, func() bool {
		key, _ := late.c.currentKey("fake", id, clock.Now())
		return key == versionKey("fake", id, version)
	}, 3*time.Second, 10*time.Millisecond, "the late node asks its peers once it has some")
}

// A node that starts asks its peers for their forced refreshes: every one of them, since any one
// may have missed a notice (or have started a moment ago itself).
func TestFreshNodeThatStartsAsksEveryPeer(t *testing.T) {
	clock := newClock()
	var deaf atomic.Value // URL of the node that takes no notice
	deaf.Store("")
	tc := newFreshCluster(t, 3, Config{Now: clock.Now, PeerTimeout: 300 * time.Millisecond}, func(i int, h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, overridePath) && deaf.Load() == "http://"+r.Host {
				http.Error(w, "deaf", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	// The node a newcomer asks first (the peers are sorted) missed the notice.
	first := tc.nodes[0]
	for _, nd := range tc.nodes {
		if nd.url < first.url {
			first = nd
		}
	}
	for _, nd := range tc.nodes {
		<-nd.c.startPulled // the nodes' own pulls at start, which could answer after the refresh
	}
	deaf.Store(first.url)
	refresher := tc.nodes[0]
	if refresher == first {
		refresher = tc.nodes[1]
	}
	const id = "pat"
	tc.set(id, testJPEG(t, 32, 32, red, blue), nil)
	version, err := refresher.c.Refresh(context.Background(), "fake", id)
	require.NoError(t, err)
	key, _ := first.c.currentKey("fake", id, clock.Now())
	require.NotEqual(t, versionKey("fake", id, version), key, "the deaf node missed it")

	late := tc.freshJoin(t, Config{Now: clock.Now}, nil)
	require.Eventually(t, func() bool {
		key, _ := late.c.currentKey("fake", id, clock.Now())
		return key == versionKey("fake", id, version)
	}, 3*time.Second, 10*time.Millisecond, "the newcomer learns the refresh from the nodes that took it")
}

// The avatar keys a peer may ask for: the periods and re-check epochs a node can be using.
func TestFreshKeysThePeersTake(t *testing.T) {
	for _, tc := range []struct {
		name         string
		staleIfError time.Duration
		oldest       int64 // the oldest period taken, relative to the current one
	}{
		{"default StaleIfError, a day", 0, -24},
		{"StaleIfError of three periods", 3 * time.Hour, -3},
		{"no StaleIfError", -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			c, _ := newTestCache(t, Config{Now: clock.Now, RefreshPeriod: time.Hour, NegativeTTL: time.Minute, StaleIfError: tc.staleIfError})
			start := atPeriodStart(c, clock, "val")
			clock.Advance(30 * time.Minute)
			cur, _ := c.periodOf("fake", "val", clock.Now())
			key := func(period int64) string { return fmt.Sprintf("fake|val|e%d", period) }
			for p := cur - 26; p <= cur+3; p++ {
				want := p >= cur+tc.oldest && p <= cur+1
				assert.Equal(t, want, c.validateAvatarKey(key(p)) == nil, "period %+d", p-cur)
			}
			first, e := c.recheckEpoch("fake", "val", start), c.recheckEpoch("fake", "val", clock.Now())
			require.Equal(t, first+30, e)
			for n := first - 2; n <= e+3; n++ {
				want := n >= first && n <= e+1
				assert.Equal(t, want, c.validateAvatarKey(fmt.Sprintf("%sn%d", key(cur), n)) == nil, "epoch %+d", n-e)
			}
			assert.NoError(t, c.validateAvatarKey("fake|val|v1"), "any version")
		})
	}
}

// A node that was never told of a forced refresh still serves its version's picture, found by a
// peek at the cluster, and as immutable; a version no refresh made (a cache buster) serves the
// current picture and costs one peek, whatever the number of requests.
func TestFreshVersionOnANodeThatMissedTheNotice(t *testing.T) {
	clock := newClock()
	tc := newFreshCluster(t, 2, Config{Now: clock.Now}, func(i int, h http.Handler) http.Handler { return h })
	a, b := tc.nodes[0], tc.nodes[1]
	for _, nd := range tc.nodes {
		<-nd.c.startPulled
	}
	const id = "vic"
	tc.set(id, userJPEG(t, "old", 32, 32), nil)
	req := Request{Type: "fake", ID: id, Transformation: mustChain(t, "w_16")}
	old, err := b.c.Get(context.Background(), req)
	require.NoError(t, err)

	tc.set(id, userJPEG(t, "new", 32, 32), nil)
	version, err := a.c.Refresh(context.Background(), "fake", id)
	require.NoError(t, err)
	b.c.ovMu.Lock()
	clear(b.c.overrides) // b missed the notice
	b.c.ovMu.Unlock()
	fetches := tc.fetches()

	vr := req
	vr.Version = version
	got, err := b.c.Get(context.Background(), vr)
	require.NoError(t, err)
	assert.NotEqual(t, old.ETag, got.ETag, "the version's own picture")
	assert.True(t, got.Expires.IsZero())
	assert.Equal(t, fetches, tc.fetches(), "found, not fetched")

	buster := req
	buster.Version = version + 1000
	indexLoads := b.c.Stats().Index.Loads
	for range 5 {
		v, err := b.c.Get(context.Background(), buster)
		require.NoError(t, err)
		assert.Equal(t, old.ETag, v.ETag, "the current picture, for b")
		assert.Equal(t, clock.Now().Add(notVersionMemo), v.Expires,
			"newer than the picture: maybe a refresh b has not heard of, so not pinned to this picture")
	}
	assert.Equal(t, fetches, tc.fetches())
	assert.EqualValues(t, 1, b.c.Stats().Index.Loads-indexLoads, "one peek for a cache buster, whatever the requests")

	// A buster older than the picture it serves is immutable, like every versioned URL.
	buster.Version = 1
	v, err := b.c.Get(context.Background(), buster)
	require.NoError(t, err)
	assert.Equal(t, old.ETag, v.ETag)
	assert.True(t, v.Expires.IsZero())
}

// Two forced refreshes of one avatar in the same second on two nodes: the second node knows of
// the first one's version and goes above it, so it asks the network again and the two versions
// name two pictures.
func TestFreshRefreshesInOneSecondOnTwoNodes(t *testing.T) {
	clock := newClock() // stands still: both refreshes are in the same second
	tc := newFreshCluster(t, 2, Config{Now: clock.Now}, func(i int, h http.Handler) http.Handler { return h })
	a, b := tc.nodes[0], tc.nodes[1]
	for _, nd := range tc.nodes {
		<-nd.c.startPulled
	}
	const id = "twice"
	tc.set(id, userJPEG(t, "first", 32, 32), nil)
	va, err := a.c.Refresh(context.Background(), "fake", id)
	require.NoError(t, err)
	assert.EqualValues(t, clock.Now().Unix(), va)

	tc.set(id, userJPEG(t, "second", 32, 32), nil)
	fetches := tc.fetches()
	vb, err := b.c.Refresh(context.Background(), "fake", id)
	require.NoError(t, err)
	assert.Equal(t, va, vb, "a refresh moments after another node's coalesces with it")
	assert.Equal(t, fetches, tc.fetches(), "and asks nothing")
	assert.EqualValues(t, 1, b.c.Stats().RefreshesCoalesced)

	// Past the window, a refresh of its own, above the version b was told of.
	clock.Advance(refreshCoalesce)
	vb, err = b.c.Refresh(context.Background(), "fake", id)
	require.NoError(t, err)
	assert.Greater(t, vb, va)
	assert.Equal(t, fetches+1, tc.fetches(), "the second refresh asks the network")

	req := Request{Type: "fake", ID: id, Transformation: mustChain(t, "w_16")}
	pics := map[string]bool{}
	for _, v := range []uint64{va, vb} {
		r := req
		r.Version = v
		got, err := a.c.Get(context.Background(), r)
		require.NoError(t, err)
		pics[got.ETag] = true
	}
	assert.Len(t, pics, 2, "two versions, two pictures")
	now, err := a.c.Get(context.Background(), req)
	require.NoError(t, err)
	r := req
	r.Version = vb
	latest, err := a.c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Equal(t, latest.ETag, now.ETag, "unversioned URLs serve the latest refresh on both nodes")
}

// A node that missed a refresh's notice while the owner of the version's key is down cannot tell
// the version from a cache buster. It serves what it has, but does not pin it under that URL for
// a year: the version is newer than the picture it serves.
func TestFreshUnknownVersionWithItsOwnerDownIsNotPinned(t *testing.T) {
	clock := newClock()
	tc := newFreshCluster(t, 2, Config{Now: clock.Now, PeerTimeout: 200 * time.Millisecond}, func(i int, h http.Handler) http.Handler { return h })
	a, b := tc.nodes[0], tc.nodes[1]
	for _, nd := range tc.nodes {
		<-nd.c.startPulled
	}
	var req Request
	var version uint64
	for i := 0; ; i++ {
		req = Request{Type: "fake", ID: fmt.Sprint("pin", i), Transformation: mustChain(t, "w_16")}
		tc.set(req.ID, userJPEG(t, "old", 32, 32), nil)
		_, err := b.c.Get(context.Background(), req)
		require.NoError(t, err)
		clock.Advance(time.Minute)
		tc.set(req.ID, userJPEG(t, "new", 32, 32), nil)
		v, err := a.c.Refresh(context.Background(), "fake", req.ID)
		require.NoError(t, err)
		if ownerOf(a.c, versionKey(req.Type, req.ID, v)) == a.url {
			version = v
			break
		}
	}
	b.c.ovMu.Lock()
	clear(b.c.overrides) // b missed the notice
	b.c.ovMu.Unlock()
	a.srv.Close() // and the version's owner is down

	vr := req
	vr.Version = version
	got, err := b.c.Get(context.Background(), vr)
	require.NoError(t, err)
	assert.False(t, got.Expires.IsZero(), "not immutable: the version may name a picture b cannot see")
	assert.False(t, got.Expires.After(clock.Now().Add(notVersionMemo)), "fresh for a minute at most")
}
