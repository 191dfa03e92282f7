package avatarmw

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// Freshness across a cluster of handlers in one process, each on its own listener with its
// peer endpoint next to its avatars, all on one fake clock and one fake network.

const freshPeerSecret = "fresh-peer-secret-0123456789"

// freshNode is one node: a handler, its admin endpoint and its server.
type freshNode struct {
	h   *Handler
	srv *httptest.Server
	url string
}

// freshCluster is the nodes of one cluster.
type freshCluster struct {
	name  string
	fake  *fetchtest.Server
	clock *fetchtest.Clock
	mod   func(*Config)
	nodes []*freshNode
}

// newFreshCluster starts n nodes, each listing them all as its peers.
func newFreshCluster(t testing.TB, n int, mod func(*Config)) *freshCluster {
	t.Helper()
	fc := &freshCluster{name: fmt.Sprintf("avatarmwfreshcluster%d", testHandlerSeq.Add(1)), fake: fetchtest.NewServer(), clock: newClock(), mod: mod}
	t.Cleanup(fc.fake.Close)
	fc.fake.SetNow(fc.clock.Now)
	var muxes []*http.ServeMux
	var urls []string
	for range n {
		mux := http.NewServeMux()
		srv := httptest.NewUnstartedServer(mux) // its port is known before it serves
		muxes = append(muxes, mux)
		fc.nodes = append(fc.nodes, &freshNode{srv: srv, url: "http://" + srv.Listener.Addr().String()})
		urls = append(urls, fc.nodes[len(fc.nodes)-1].url)
	}
	for i, nd := range fc.nodes {
		fc.start(t, nd, muxes[i], urls)
	}
	return fc
}

// start makes nd a node with the peers given and starts its server.
func (fc *freshCluster) start(t testing.TB, nd *freshNode, mux *http.ServeMux, peers []string) {
	t.Helper()
	cfg := freshConfig(fc.fake, fc.clock, fc.mod)
	cfg.Name, cfg.Self, cfg.Peers, cfg.PeerSecret = fc.name, nd.url, peers, freshPeerSecret
	h, err := New(cfg)
	require.NoError(t, err)
	nd.h = h
	admin, err := h.AdminHandler("/admin/avatars/", freshAdminToken)
	require.NoError(t, err)
	mux.Handle("/avatars/", h)
	mux.Handle(h.PeerBasePath(), h.PeerHandler())
	mux.Handle("/admin/avatars/", admin)
	nd.srv.Start()
	t.Cleanup(func() { nd.srv.Close(); h.Close() })
}

// join starts a node that was not there before: its peers are every node and itself (the others
// do not list it).
func (fc *freshCluster) join(t testing.TB) *freshNode {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	nd := &freshNode{srv: srv, url: "http://" + srv.Listener.Addr().String()}
	peers := []string{nd.url}
	for _, o := range fc.nodes {
		peers = append(peers, o.url)
	}
	fc.start(t, nd, mux, peers)
	fc.nodes = append(fc.nodes, nd)
	return nd
}

func (nd *freshNode) ok(t testing.TB, path string, hdr ...string) response {
	t.Helper()
	res := do(t, nd.srv, "GET", path, hdr...)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s%s: %s", nd.url, path, short(res.body))
	return res
}

func (fc *freshCluster) stats() (sum Stats) {
	for _, nd := range fc.nodes {
		s := nd.h.Stats()
		sum.Transforms += s.Transforms
		sum.OriginFetches += s.OriginFetches
		sum.StaleServed += s.StaleServed
		sum.PeerBadRequests += s.PeerBadRequests
		sum.PeerAuthRefusals += s.PeerAuthRefusals
	}
	return sum
}

// Point 3 across three nodes: a refresh on node 0 (through its admin endpoint) is served at once
// by the other two, versioned and unversioned; a node that starts afterwards serves it too.
func TestFreshClusterForcedRefresh(t *testing.T) {
	fc := newFreshCluster(t, 3, func(c *Config) { c.RefreshPeriod = 24 * time.Hour })
	u := user(t, "facebook", small)
	path := "/avatars/facebook/c_fill,h_48,w_48/" + u.ID + ".jpg"
	old := fc.nodes[0].ok(t, path)
	for _, nd := range fc.nodes[1:] {
		assert.Equal(t, old.Header.Get("ETag"), nd.ok(t, path).Header.Get("ETag"))
	}
	assert.Equal(t, 1, fc.fake.Count(fetchtest.FacebookLookup), "one fetch for the cluster")

	fc.clock.Advance(time.Minute)
	fc.fake.ChangePicture("facebook", u.ID)
	start := time.Now()
	code, _, body := adminPost(t, fc.nodes[0].srv, "/admin/avatars/facebook/"+u.ID+"/refresh", "Bearer "+freshAdminToken)
	require.Equal(t, http.StatusOK, code, "%v", body)
	t.Logf("forced refresh through the admin endpoint, fetch and broadcast to 2 peers: %v", time.Since(start))
	version := uint64(body["version"].(float64))
	assert.EqualValues(t, fc.clock.Now().Unix(), version)
	versioned := fmt.Sprintf("/avatars/facebook/c_fill,h_48,w_48/v%d/%s.jpg", version, u.ID)

	var etag string
	for i, nd := range fc.nodes {
		res := nd.ok(t, path) // at once: no waiting
		assert.NotEqual(t, old.Header.Get("ETag"), res.Header.Get("ETag"), "node %d, unversioned", i)
		assert.Positive(t, freshMaxAge(t, res))
		assert.Less(t, freshMaxAge(t, res), int((24 * time.Hour).Seconds()))
		etag = res.Header.Get("ETag")
		vres := nd.ok(t, versioned)
		assert.Equal(t, etag, vres.Header.Get("ETag"), "node %d, versioned", i)
		assert.Equal(t, immutable, vres.Header.Get("Cache-Control"), "node %d", i)
		assert.Equal(t, http.StatusNotModified, do(t, nd.srv, "GET", versioned, "If-None-Match", etag).StatusCode)
	}
	assert.Equal(t, 2, fc.fake.Count(fetchtest.FacebookLookup), "the refresh is the cluster's one new fetch")
	assert.Equal(t, 2, fc.fake.Count(fetchtest.FacebookImage))

	// A node that starts after the refresh asks its peers for their refreshes.
	start = time.Now()
	late := fc.join(t)
	require.Eventually(t, func() bool {
		res := do(t, late.srv, "GET", path)
		return res.StatusCode == http.StatusOK && res.Header.Get("ETag") == etag
	}, 3*time.Second, 10*time.Millisecond, "the late node serves the refresh to unversioned URLs")
	t.Logf("a node started after the refresh serves it %v after New", time.Since(start))
	vres := late.ok(t, versioned)
	assert.Equal(t, etag, vres.Header.Get("ETag"))
	assert.Equal(t, immutable, vres.Header.Get("Cache-Control"))
	assert.Zero(t, fc.stats().PeerAuthRefusals)

	// A repeat on another node moments later is the same refresh.
	lookups := fc.fake.Count(fetchtest.FacebookLookup)
	again, err := fc.nodes[1].h.Refresh(context.Background(), "facebook", u.ID)
	require.NoError(t, err)
	assert.Equal(t, version, again, "refreshes coalesce across the cluster")
	assert.Equal(t, lookups, fc.fake.Count(fetchtest.FacebookLookup))

	// Refresh through the Go API on another node, past the coalescing window: the same
	// everywhere, with a later version.
	fc.fake.ChangePicture("facebook", u.ID)
	fc.clock.Advance(cache.RefreshCoalesce)
	v2, err := fc.nodes[2].h.Refresh(context.Background(), "facebook", u.ID)
	require.NoError(t, err)
	assert.Greater(t, v2, version)
	for i, nd := range fc.nodes[:3] {
		res := nd.ok(t, path)
		assert.NotEqual(t, etag, res.Header.Get("ETag"), "node %d", i)
	}
}

// Point 4 across three nodes: the network is down at refresh time; a node that never served the
// avatar serves the previous period's picture, which a peer holds, until the network is back.
func TestFreshClusterStaleOnANodeThatNeverServedIt(t *testing.T) {
	const errorRetry = 10 * time.Second
	fc := newFreshCluster(t, 3, func(c *Config) { c.RefreshPeriod, c.ErrorRetry = time.Hour, errorRetry })
	u := user(t, "facebook", small)
	path := "/avatars/facebook/c_fill,h_48,w_48/" + u.ID + ".jpg"
	good := fc.nodes[0].ok(t, path)
	fc.clock.Advance(time.Duration(freshMaxAge(t, good)+1) * time.Second)

	fc.fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Status: 503})
	for i, nd := range fc.nodes[1:] {
		res := nd.ok(t, path)
		assert.Equal(t, good.Header.Get("ETag"), res.Header.Get("ETag"), "node %d", i+1)
		assert.Equal(t, good.body, res.body)
		assert.NotEmpty(t, res.Header.Get("X-Avatar-Stale"), "node %d", i+1)
		assert.Equal(t, int(errorRetry/time.Second), freshMaxAge(t, res))
	}
	// Another transformation, never computed: made from the previous period's original.
	res := fc.nodes[2].ok(t, "/avatars/facebook/w_20/"+u.ID+".png")
	assert.NotEmpty(t, res.Header.Get("X-Avatar-Stale"))
	assert.Equal(t, 1, fc.fake.Count(fetchtest.FacebookImage), "the stale picture is no download")
	assert.Equal(t, 3, fc.fake.Count(fetchtest.FacebookLookup), "one failed refresh (tried twice) for the whole cluster")
	assert.Zero(t, fc.stats().PeerBadRequests)

	// The network is back: after ErrorRetry, fresh everywhere.
	fc.fake.ClearFaults()
	fc.clock.Advance(errorRetry)
	for _, nd := range fc.nodes {
		res := nd.ok(t, path)
		assert.Empty(t, res.Header.Get("X-Avatar-Stale"))
		assert.Equal(t, good.Header.Get("ETag"), res.Header.Get("ETag"))
		assert.Greater(t, freshMaxAge(t, res), int(errorRetry/time.Second))
	}
	assert.Equal(t, 4, fc.fake.Count(fetchtest.FacebookLookup))
}
