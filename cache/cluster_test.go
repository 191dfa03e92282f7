package cache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/groupcache"
	"github.com/golang/groupcache/consistenthash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// A whole cluster runs in one process: every node shares the cluster's Name, which the peer
// protocol carries, and registers its groups with groupcache under its own LocalName.

const testSecret = "test-peer-secret-0123456789"

type testNode struct {
	c   *Cache
	p   *fakeProvider
	srv *httptest.Server
	url string
}

type testCluster struct {
	name  string
	nodes []*testNode
}

// newTestCluster starts n nodes of one cluster, each with its own fake origin, its own HTTP
// server, and the peer handler mounted on a ServeMux as an app would. tweak, when given, changes
// the configuration of node i.
func newTestCluster(t testing.TB, n int, cfg Config, tweak ...func(i int, cfg *Config)) *testCluster {
	tc := &testCluster{name: fmt.Sprintf("cluster%d", nameSeq.Add(1))}
	urls := make([]string, n)
	muxes := make([]*http.ServeMux, n)
	for i := range n {
		muxes[i] = http.NewServeMux()
		srv := httptest.NewUnstartedServer(muxes[i])
		urls[i] = "http://" + srv.Listener.Addr().String()
		tc.nodes = append(tc.nodes, &testNode{srv: srv, url: urls[i]})
	}
	for i, nd := range tc.nodes {
		nc := cfg
		nd.p = newFakeProvider()
		nc.Providers = map[string]fetch.Provider{"fake": nd.p}
		nc.Name = tc.name
		nc.LocalName = fmt.Sprintf("%s-node%d", tc.name, i)
		nc.Self = urls[i]
		if nc.Peers == nil {
			nc.Peers = urls
		}
		if nc.PeerSecret == "" {
			nc.PeerSecret = testSecret
		}
		if nc.MaxQueueWait == 0 {
			nc.MaxQueueWait = time.Minute // not about shedding (newTestCache)
		}
		for _, f := range tweak {
			f(i, &nc)
		}
		c, err := New(nc)
		require.NoError(t, err)
		nd.c = c
		muxes[i].Handle(c.BasePath(), c.PeerHandler())
		muxes[i].HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the app") })
		nd.srv.Start()
		t.Cleanup(func() { nd.srv.Close(); c.Close() })
	}
	return tc
}

// set gives every node's origin the same answer for id.
func (tc *testCluster) set(id string, pic []byte, err error) {
	for _, nd := range tc.nodes {
		nd.p.set(id, pic, err)
	}
}

func (tc *testCluster) fetches() (n int64) {
	for _, nd := range tc.nodes {
		n += nd.p.calls.Load()
	}
	return n
}

func (tc *testCluster) stats() (sum Stats) {
	for _, nd := range tc.nodes {
		s := nd.c.Stats()
		sum.OriginFetches += s.OriginFetches
		sum.Transforms += s.Transforms
		sum.PeerLoads += s.PeerLoads
		sum.PeerErrors += s.PeerErrors
		sum.ServedForPeers += s.ServedForPeers
		sum.PeerAuthRefusals += s.PeerAuthRefusals
		sum.PeerBadRequests += s.PeerBadRequests
		sum.Admission.PeerPeeks += s.Admission.PeerPeeks
	}
	return sum
}

// keys returns the avatar key of r as c builds it now, and its variant key when the picture is
// the one c's fake provider has for r.ID.
func keys(c *Cache, r Request) (okey, vkey string) {
	if r.Version > 0 {
		okey = versionKey(r.Type, r.ID, r.Version)
	} else {
		okey, _ = c.currentKey(r.Type, r.ID, c.now())
	}
	p := c.providers[r.Type].(*fakeProvider)
	p.mu.Lock()
	pic := p.pics[r.ID]
	p.mu.Unlock()
	return okey, variantKey(contentSource(contentHash(pic)), r.Transformation, r.Format, acceptField(r.FormatAuto, r.Accept))
}

// ownerOf returns the node that owns key among c's peers, whether set aside or not.
func ownerOf(c *Cache, key string) string {
	m := consistenthash.New(c.replicas, nil)
	m.Add(c.ring.Load().peers...)
	return m.Get(key)
}

func TestClusterLoadsEachKeyOnce(t *testing.T) {
	tc := newTestCluster(t, 3, Config{})
	const avatars = 10
	trs := []Request{
		{Transformation: mustChain(t, "c_fill,h_32,w_32"), Format: imageops.JPEG},
		{Transformation: mustChain(t, "c_fill,h_24,w_24/c_crop,h_8,w_8"), Format: imageops.PNG}, // a '/' in the key
	}
	for i := range avatars {
		tc.set(fmt.Sprint("user", i), userJPEG(t, fmt.Sprint("user", i), 64, 64), nil)
	}
	gate := make(chan struct{})
	for _, nd := range tc.nodes {
		nd.p.mu.Lock()
		nd.p.gate = gate
		nd.p.mu.Unlock()
	}

	// 300 requests: every (avatar, transformation) on every node, 5 times, all at once.
	const requests = 300
	type answer struct {
		id, tr, etag string
		err          error
	}
	answers := make([]answer, requests)
	var wg sync.WaitGroup
	for i := range requests {
		nd := tc.nodes[(i/(avatars*len(trs)))%3]
		r := trs[(i/avatars)%len(trs)]
		r.Type, r.ID = "fake", fmt.Sprint("user", i%avatars)
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := nd.c.Get(context.Background(), r)
			answers[i] = answer{r.ID, r.Transformation, v.ETag, err}
		}()
	}
	// Every original is being fetched by its owner, with 300 requests waiting on them.
	require.Eventually(t, func() bool { return tc.fetches() == avatars }, 10*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()

	etags := map[string]string{}
	for _, a := range answers {
		require.NoError(t, a.err, "%s %s", a.id, a.tr)
		if prev, ok := etags[a.id+a.tr]; ok {
			assert.Equal(t, prev, a.etag, "every node serves the same variant")
		}
		etags[a.id+a.tr] = a.etag
	}
	assert.Len(t, etags, avatars*len(trs))
	assert.EqualValues(t, avatars, tc.fetches(), "each original fetched once in the whole cluster")
	sum := tc.stats()
	assert.EqualValues(t, avatars, sum.OriginFetches)
	assert.EqualValues(t, avatars*len(trs), sum.Transforms, "each variant computed once in the whole cluster")
	assert.Zero(t, sum.PeerErrors)
	assert.Equal(t, sum.ServedForPeers, sum.PeerLoads+sum.Admission.PeerPeeks,
		"every peer load, and every look into another node's variants for a variant new to this one, is a request some endpoint answered")
	assert.Positive(t, sum.PeerLoads)

	// Each key was loaded by its owner, and by nobody else.
	c0 := tc.nodes[0].c
	for _, nd := range tc.nodes {
		var originals, variants int64
		for i := range avatars {
			for _, r := range trs {
				r.Type, r.ID = "fake", fmt.Sprint("user", i)
				okey, vkey := keys(c0, r)
				if ownerOf(c0, vkey) == nd.url {
					variants++
				}
				if r.Format == imageops.JPEG && ownerOf(c0, okey) == nd.url {
					originals++
				}
			}
		}
		s := nd.c.Stats()
		assert.Equal(t, originals, s.OriginFetches, nd.url)
		assert.Equal(t, variants, s.Transforms, nd.url)
		assert.Equal(t, 3, s.Peers)
	}
}

func TestClusterSurvivesANodeStopping(t *testing.T) {
	const peerTimeout = 500 * time.Millisecond
	tc := newTestCluster(t, 3, Config{PeerTimeout: peerTimeout})
	var reqs []Request
	for i := range 10 {
		id := fmt.Sprint("user", i)
		tc.set(id, userJPEG(t, id, 48, 48), nil)
		for _, tr := range []string{"c_fill,h_20,w_20", "w_10"} {
			reqs = append(reqs, Request{Type: "fake", ID: id, Transformation: mustChain(t, tr)})
		}
	}
	etags := map[string]string{}
	for _, r := range reqs {
		v, err := tc.nodes[0].c.Get(context.Background(), r)
		require.NoError(t, err)
		etags[r.ID+r.Transformation] = v.ETag
	}

	tc.nodes[2].srv.Close()
	for _, nd := range tc.nodes[:2] {
		for _, r := range reqs {
			start := time.Now()
			v, err := nd.c.Get(context.Background(), r)
			require.NoError(t, err, "%s from %s", r.ID, nd.url)
			assert.Equal(t, etags[r.ID+r.Transformation], v.ETag)
			assert.Less(t, time.Since(start), peerTimeout+time.Second)
		}
		assert.Equal(t, 1, nd.c.Stats().PeersDown, "the stopped node is set aside")
	}
}

func TestClusterNoSuchUserFetchedOnce(t *testing.T) {
	tc := newTestCluster(t, 3, Config{})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := Request{Type: "fake", ID: "ghost"}
			switch i % 3 {
			case 1:
				r.Transformation = mustChain(t, "w_10")
			case 2:
				r.Transformation, r.Format = mustChain(t, "c_fill,h_10,w_10"), imageops.PNG
			}
			_, err := tc.nodes[i%3].c.Get(context.Background(), r)
			assert.ErrorIs(t, err, fetch.ErrNotFound)
			assert.ErrorContains(t, err, "no such user ghost")
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, tc.fetches(), "\"no such user\" is a value: fetched once in the whole cluster")
	assert.Zero(t, tc.stats().PeerErrors)
}

func TestOwnersErrorIsTheAnswer(t *testing.T) {
	clock := newClock()
	tc := newTestCluster(t, 2, Config{Now: clock.Now})
	a, b := tc.nodes[0], tc.nodes[1]
	r := requestOwnedBy(t, a.c, b.url, "flaky") // b owns its index and its original
	tc.set(r.ID, nil, &fetch.Error{Kind: fetch.KindRateLimited, Provider: "fake", Msg: "slow down", RetryAfter: 90 * time.Second})
	_, err := a.c.Get(context.Background(), r)
	assert.ErrorIs(t, err, fetch.ErrRateLimited)
	var fe *fetch.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 90*time.Second, fe.RetryAfter)
	assert.Equal(t, "fake: slow down", fe.Error())
	assert.Zero(t, a.p.calls.Load(), "the owner tried: its error is the answer, not a second fetch here")
	assert.EqualValues(t, 1, b.p.calls.Load())

	// The owner remembers the failure for ErrorRetry: a request meanwhile gets it without a
	// call to the network.
	tc.set(r.ID, testJPEG(t, 32, 32, red, blue), nil)
	_, err = a.c.Get(context.Background(), r)
	assert.ErrorIs(t, err, fetch.ErrRateLimited)
	assert.EqualValues(t, 1, b.p.calls.Load())

	// A transient error is not cached: once the wait the network asked for is over (longer than
	// ErrorRetry), the next request asks the owner again.
	clock.Advance(DefaultErrorRetry)
	_, err = a.c.Get(context.Background(), r)
	assert.ErrorIs(t, err, fetch.ErrRateLimited, "the network's wait is honoured")
	assert.EqualValues(t, 1, b.p.calls.Load())
	clock.Advance(90*time.Second - DefaultErrorRetry)
	_, err = a.c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Zero(t, a.p.calls.Load())
	assert.EqualValues(t, 2, b.p.calls.Load())
	assert.Zero(t, b.c.Stats().PeersDown)
}

// hungListener accepts connections and never answers.
func hungListener(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// newLonelyNode returns a node whose other peers are given, not started by the test.
func newLonelyNode(t testing.TB, cfg Config, others ...string) (*Cache, *fakeProvider, string) {
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	self := "http://" + srv.Listener.Addr().String()
	p := newFakeProvider()
	cfg.Providers = map[string]fetch.Provider{"fake": p}
	cfg.Name = fmt.Sprintf("lonely%d", nameSeq.Add(1))
	cfg.Self = self
	cfg.Peers = append([]string{self}, others...)
	if cfg.PeerSecret == "" {
		cfg.PeerSecret = testSecret
	}
	c, err := New(cfg)
	require.NoError(t, err)
	mux.Handle(c.BasePath(), c.PeerHandler())
	srv.Start()
	t.Cleanup(func() { srv.Close(); c.Close() })
	return c, p, self
}

// requestOwnedBy returns a request whose avatar key (index, original) is owned by peer.
func requestOwnedBy(t testing.TB, c *Cache, peer, prefix string) Request {
	for i := range 10000 {
		r := Request{Type: "fake", ID: fmt.Sprint(prefix, i)}
		if okey, _ := keys(c, r); ownerOf(c, okey) == peer {
			return r
		}
	}
	t.Fatalf("no key owned by %s", peer)
	return Request{}
}

func TestHungPeerCostsAtMostPeerTimeout(t *testing.T) {
	const peerTimeout = 300 * time.Millisecond
	hung := hungListener(t)
	c, p, _ := newLonelyNode(t, Config{PeerTimeout: peerTimeout}, hung)
	c.peerRetry = 500 * time.Millisecond
	pic := testJPEG(t, 32, 32, red, blue)

	r := requestOwnedBy(t, c, hung, "a")
	p.set(r.ID, pic, nil)
	start := time.Now()
	_, err := c.Get(context.Background(), r)
	took := time.Since(start)
	require.NoError(t, err, "the key is loaded here after the peer timeout")
	assert.GreaterOrEqual(t, took, peerTimeout)
	assert.Less(t, took, peerTimeout+time.Second)
	s := c.Stats()
	assert.EqualValues(t, 1, s.PeerErrors)
	assert.Equal(t, 1, s.PeersDown)

	// While it is set aside, its keys cost nothing more.
	r = requestOwnedBy(t, c, hung, "b")
	p.set(r.ID, pic, nil)
	start = time.Now()
	_, err = c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), peerTimeout/2)

	// Then it is tried again.
	require.Eventually(t, func() bool { return c.Stats().PeersDown == 0 }, 5*time.Second, 10*time.Millisecond)
	r = requestOwnedBy(t, c, hung, "c")
	p.set(r.ID, pic, nil)
	start = time.Now()
	_, err = c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), peerTimeout)
	assert.EqualValues(t, 2, c.Stats().PeerErrors)
}

func TestPeerSilentInTheMiddleOfItsAnswer(t *testing.T) {
	const peerTimeout = 200 * time.Millisecond
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", peerContentType)
		w.Write([]byte{frameHeartbeat})
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(silent.Close)
	c, p, _ := newLonelyNode(t, Config{PeerTimeout: peerTimeout}, silent.URL)
	r := requestOwnedBy(t, c, silent.URL, "s")
	p.set(r.ID, testJPEG(t, 32, 32, red, blue), nil)
	start := time.Now()
	_, err := c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), peerTimeout+time.Second)
	assert.Equal(t, 1, c.Stats().PeersDown)
}

func TestSlowOwnerIsNotMistakenForHung(t *testing.T) {
	const peerTimeout = 200 * time.Millisecond
	tc := newTestCluster(t, 2, Config{PeerTimeout: peerTimeout})
	a, b := tc.nodes[0], tc.nodes[1]
	var r Request
	for i := 0; ; i++ {
		r = Request{Type: "fake", ID: fmt.Sprint("slow", i), Transformation: mustChain(t, "w_16")}
		tc.set(r.ID, userJPEG(t, r.ID, 32, 32), nil)
		okey, vkey := keys(a.c, r)
		if ownerOf(a.c, okey) == b.url && ownerOf(a.c, vkey) == b.url {
			break
		}
	}
	for _, nd := range tc.nodes {
		nd.p.mu.Lock()
		nd.p.delay = 2 * peerTimeout
		nd.p.mu.Unlock()
	}
	start := time.Now()
	_, err := a.c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 2*peerTimeout)
	assert.Zero(t, a.p.calls.Load(), "a busy owner is waited for")
	assert.EqualValues(t, 1, b.p.calls.Load())
	s := a.c.Stats()
	assert.Zero(t, s.PeerErrors)
	assert.Zero(t, s.PeersDown)
	assert.EqualValues(t, 2, s.PeerLoads, "the index entry, then the variant")
}

func TestSelfUnderAnotherNameDoesNotLoop(t *testing.T) {
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	self := fmt.Sprintf("http://127.0.0.1:%d", port)
	alias := fmt.Sprintf("http://localhost:%d", port)
	p := newFakeProvider()
	c, err := New(Config{Name: fmt.Sprintf("alias%d", nameSeq.Add(1)), Providers: map[string]fetch.Provider{"fake": p},
		Self: self, Peers: []string{self, alias}, PeerSecret: testSecret})
	require.NoError(t, err)
	mux.Handle(c.BasePath(), c.PeerHandler())
	srv.Start()
	t.Cleanup(func() { srv.Close(); c.Close() })

	r := requestOwnedBy(t, c, alias, "me")
	p.set(r.ID, testJPEG(t, 32, 32, red, blue), nil)
	start := time.Now()
	_, err = c.Get(context.Background(), r)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second)
	assert.EqualValues(t, 1, p.calls.Load())
	assert.Equal(t, 1, c.Stats().PeersDown, "the alias is set aside")
}

func TestSetPeersMovesOwnership(t *testing.T) {
	tc := newTestCluster(t, 2, Config{Peers: []string{}}) // each node alone at first
	a, b := tc.nodes[0], tc.nodes[1]
	assert.Equal(t, []string{a.url}, a.c.Peers())

	both := []string{a.url, b.url}
	slices.Sort(both)
	r1 := requestOwnedBy(t, a.c, a.url, "x") // trivially: a is alone
	tc.set(r1.ID, testJPEG(t, 32, 32, red, blue), nil)
	_, err := a.c.Get(context.Background(), r1)
	require.NoError(t, err)
	assert.EqualValues(t, 1, a.p.calls.Load())

	require.NoError(t, a.c.SetPeers(both...))
	require.NoError(t, b.c.SetPeers(b.url, a.url+"/")) // order and a trailing slash do not matter
	assert.Equal(t, both, a.c.Peers())
	assert.Equal(t, both, b.c.Peers())

	var r2 Request
	for i := 0; ; i++ {
		r2 = Request{Type: "fake", ID: fmt.Sprint("moved", i)}
		tc.set(r2.ID, userJPEG(t, r2.ID, 32, 32), nil)
		okey, vkey := keys(a.c, r2)
		if ownerOf(a.c, okey) == b.url && ownerOf(a.c, vkey) == b.url {
			break
		}
	}
	_, err = a.c.Get(context.Background(), r2)
	require.NoError(t, err)
	assert.EqualValues(t, 1, a.p.calls.Load(), "b owns it now")
	assert.EqualValues(t, 1, b.p.calls.Load())

	require.NoError(t, a.c.SetPeers()) // b leaves; a keeps itself
	assert.Equal(t, []string{a.url}, a.c.Peers())
	r3 := Request{Type: "fake", ID: "alone-again"} // a alone owns everything
	tc.set(r3.ID, userJPEG(t, r3.ID, 32, 32), nil)
	_, err = a.c.Get(context.Background(), r3)
	require.NoError(t, err)
	assert.EqualValues(t, 2, a.p.calls.Load())
	assert.EqualValues(t, 1, b.p.calls.Load())

	for _, bad := range [][]string{{"ftp://10.0.0.1"}, {"http://"}, {"http://10.0.0.1/path"}, {"http://u:p@10.0.0.1"}, {"http://10.0.0.1?x=1"}, {"10.0.0.1:80"}} {
		assert.Error(t, a.c.SetPeers(bad...), "%q", bad)
	}
	assert.Equal(t, []string{a.url}, a.c.Peers(), "a failed SetPeers changes nothing")

	standalone, _ := newTestCache(t, Config{})
	assert.ErrorContains(t, standalone.SetPeers(a.url), "Self")
	nosecret, err := New(Config{Name: fmt.Sprintf("nosecret%d", nameSeq.Add(1)), Providers: map[string]fetch.Provider{"fake": newFakeProvider()}, Self: "http://10.0.0.1:80"})
	require.NoError(t, err, "a cluster of one needs no secret")
	assert.ErrorContains(t, nosecret.SetPeers("http://10.0.0.1", "http://10.0.0.2"), "PeerSecret")
}

func TestNormalizePeerURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://10.0.0.5:8080":       "http://10.0.0.5:8080",
		"http://10.0.0.5:8080/":      "http://10.0.0.5:8080",
		"HTTP://Node-1.Example:8080": "http://node-1.example:8080",
		"http://10.0.0.5:80":         "http://10.0.0.5",
		"https://10.0.0.5:443/":      "https://10.0.0.5",
		"https://10.0.0.5:80":        "https://10.0.0.5:80",
		"http://[FD00::1]:8080":      "http://[fd00::1]:8080",
		" http://10.0.0.5:8080 ":     "http://10.0.0.5:8080",
	} {
		got, err := normalizePeerURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "10.0.0.5:8080", "ftp://a", "http://", "http://a/b", "http://a?q", "http://a#f", "http://u@a", "http:a", "http://a:8080/_avatarkit/"} {
		_, err := normalizePeerURL(in)
		assert.Error(t, err, in)
	}
}

func TestNewValidatesPeers(t *testing.T) {
	ok := map[string]fetch.Provider{"fake": newFakeProvider()}
	d := &DNSDiscovery{Name: "avatarkit.test", Port: 8080, LookupHost: func(context.Context, string) ([]string, error) { return nil, nil }}
	for name, cfg := range map[string]Config{
		"peers without self":       {Peers: []string{"http://10.0.0.1"}},
		"discovery without self":   {PeerDiscovery: d},
		"bad self":                 {Self: "10.0.0.1:8080"},
		"bad peer":                 {Self: "http://10.0.0.1", Peers: []string{"http://10.0.0.1", "gopher://x"}},
		"two nodes and no secret":  {Self: "http://10.0.0.1", Peers: []string{"http://10.0.0.1", "http://10.0.0.2"}},
		"other node and no secret": {Self: "http://10.0.0.1", Peers: []string{"http://10.0.0.2"}},
		"base path":                {BasePath: "_avatarkit"},
		"root base path":           {BasePath: "/"},
		"odd base path":            {BasePath: "/a b/"},
		"peer timeout":             {PeerTimeout: -time.Second},
		"auth window":              {PeerAuthWindow: time.Millisecond},
		"replicas":                 {HashReplicas: -1},
		"local name":               {LocalName: "a/b"},
		"discovery needs secret":   {Self: "http://10.0.0.1:8080", PeerDiscovery: d},
		"discovery self hostname":  {Self: "http://node1:8080", PeerSecret: testSecret, PeerDiscovery: d},
		"discovery self port":      {Self: "http://10.0.0.1:9090", PeerSecret: testSecret, PeerDiscovery: d},
		"discovery self scheme":    {Self: "https://10.0.0.1:8080", PeerSecret: testSecret, PeerDiscovery: d},
		"discovery no name":        {Self: "http://10.0.0.1:8080", PeerSecret: testSecret, PeerDiscovery: &DNSDiscovery{Port: 8080}},
		"discovery no port":        {Self: "http://10.0.0.1:8080", PeerSecret: testSecret, PeerDiscovery: &DNSDiscovery{Name: "x"}},
		"discovery scheme":         {Self: "http://10.0.0.1:8080", PeerSecret: testSecret, PeerDiscovery: &DNSDiscovery{Name: "x", Port: 8080, Scheme: "ftp"}},
		"discovery interval":       {Self: "http://10.0.0.1:8080", PeerSecret: testSecret, PeerDiscovery: &DNSDiscovery{Name: "x", Port: 8080, Interval: time.Millisecond}},
	} {
		cfg.Providers = ok
		cfg.Name = fmt.Sprintf("badpeers%d", nameSeq.Add(1))
		_, err := New(cfg)
		assert.Error(t, err, name)
		if err != nil {
			t.Logf("%s: %v", name, err)
		}
	}

	// A short secret is taken, and said to be short.
	var log bytes.Buffer
	c, err := New(Config{Name: fmt.Sprintf("shortsecret%d", nameSeq.Add(1)), Providers: ok,
		Self: "http://10.0.0.1", PeerSecret: "short", Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	assert.Contains(t, log.String(), "PeerSecret is short")
	assert.Contains(t, log.String(), "bytes=5")
}

func TestRegisterConflictIsAnError(t *testing.T) {
	err := registerWith(func(func(string) groupcache.PeerPicker) { panic("RegisterPeerPicker called more than once") })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "another package registered a groupcache peer picker")
	assert.Contains(t, err.Error(), "called more than once")
}

func TestPeerHandlerIsNotOnTheDefaultServeMux(t *testing.T) {
	newTestCluster(t, 2, Config{})
	_, pattern := http.DefaultServeMux.Handler(httptest.NewRequest("GET", DefaultBasePath+"x/y", nil))
	assert.Empty(t, pattern)
}

// logRecorder collects log messages.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }
func (l *logRecorder) count(substr string) (n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestDNSDiscovery(t *testing.T) {
	var addrs atomic.Pointer[[]string]
	var failing atomic.Bool
	var lookups atomic.Int64
	set := func(a ...string) { addrs.Store(&a) }
	set("10.0.0.1", "10.0.0.2")
	logs := &logRecorder{}
	c, err := New(Config{
		Name:       fmt.Sprintf("dns%d", nameSeq.Add(1)),
		Providers:  map[string]fetch.Provider{"fake": newFakeProvider()},
		Self:       "http://10.0.0.1:8080",
		PeerSecret: testSecret,
		Logger:     slog.New(logs),
		PeerDiscovery: &DNSDiscovery{Name: "avatarkit.default.svc.cluster.local", Port: 8080, Interval: 100 * time.Millisecond,
			LookupHost: func(ctx context.Context, host string) ([]string, error) {
				lookups.Add(1)
				if host != "avatarkit.default.svc.cluster.local" {
					return nil, fmt.Errorf("unexpected host %q", host)
				}
				if failing.Load() {
					return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
				}
				return *addrs.Load(), nil
			}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })

	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual([]string{"http://10.0.0.1:8080", "http://10.0.0.2:8080"}, c.Peers())
	}, 5*time.Second, 10*time.Millisecond)

	// A pod leaves, two arrive (one IPv6); this node is not ready yet, and is kept anyway.
	set("10.0.0.3", "fd00::7", "10.0.0.2")
	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual([]string{"http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080", "http://[fd00::7]:8080"}, c.Peers())
	}, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 4, c.Stats().Peers)

	// A failed resolution keeps the list.
	failing.Store(true)
	n := lookups.Load()
	require.Eventually(t, func() bool { return lookups.Load() > n+2 }, 5*time.Second, 10*time.Millisecond)
	assert.Len(t, c.Peers(), 4)
	assert.Equal(t, 1, logs.count("peer discovery failed"), "a failure is logged once, not at every attempt")
	failing.Store(false)
	set("10.0.0.1")
	require.Eventually(t, func() bool { return len(c.Peers()) == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.GreaterOrEqual(t, logs.count("membership changed"), 3)

	require.NoError(t, c.Close())
	select {
	case <-c.discoveryDone:
	default:
		t.Fatal("Close returned with discovery still running")
	}
	n = lookups.Load()
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, n, lookups.Load(), "no lookups after Close")
	require.NoError(t, c.Close(), "Close twice is fine")
}

// Static Peers and discovery together: the static nodes stay in the list, besides what the
// name resolves to.
func TestDNSDiscoveryKeepsStaticPeers(t *testing.T) {
	var addrs atomic.Pointer[[]string]
	set := func(a ...string) { addrs.Store(&a) }
	set("10.0.0.1", "10.0.0.2")
	c, err := New(Config{
		Name:       fmt.Sprintf("dns%d", nameSeq.Add(1)),
		Providers:  map[string]fetch.Provider{"fake": newFakeProvider()},
		Self:       "http://10.0.0.1:8080",
		Peers:      []string{"http://10.0.0.1:8080", "http://192.0.2.9:9000"},
		PeerSecret: testSecret,
		PeerDiscovery: &DNSDiscovery{Name: "avatarkit", Port: 8080, Interval: 100 * time.Millisecond,
			LookupHost: func(context.Context, string) ([]string, error) { return *addrs.Load(), nil }},
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual([]string{"http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://192.0.2.9:9000"}, c.Peers())
	}, 5*time.Second, 10*time.Millisecond)
	set("10.0.0.1", "10.0.0.3")
	require.Eventually(t, func() bool {
		return assert.ObjectsAreEqual([]string{"http://10.0.0.1:8080", "http://10.0.0.3:8080", "http://192.0.2.9:9000"}, c.Peers())
	}, 5*time.Second, 10*time.Millisecond, "a node leaves the name; the static one stays")
}

func TestDNSDiscoveryCloseInterruptsALookup(t *testing.T) {
	started := make(chan struct{})
	c, err := New(Config{
		Name:       fmt.Sprintf("dns%d", nameSeq.Add(1)),
		Providers:  map[string]fetch.Provider{"fake": newFakeProvider()},
		Self:       "http://10.0.0.1:8080",
		PeerSecret: testSecret,
		PeerDiscovery: &DNSDiscovery{Name: "x", Port: 8080, Interval: time.Hour,
			LookupHost: func(ctx context.Context, host string) ([]string, error) {
				close(started)
				<-ctx.Done()
				return nil, ctx.Err()
			}},
	})
	require.NoError(t, err)
	<-started
	done := make(chan struct{})
	go func() { c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a lookup in progress")
	}
}
