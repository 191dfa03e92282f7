package avatarmw

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"

	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// The durable store through the front door: a cluster sharing one bucket restarts node by node
// under load, and loses neither a request nor its avatars.

// storeNode is one node of a cluster that can be stopped and started again on its address.
type storeNode struct {
	mu   sync.Mutex
	h    *Handler
	srv  *http.Server
	addr string
	up   atomic.Bool
}

func (nd *storeNode) url() string { return "http://" + nd.addr }

// start makes a new handler (a new life of the node) and serves it on nd.addr.
func (nd *storeNode) start(t testing.TB, cfg Config) {
	t.Helper()
	h, err := New(cfg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/avatars/", h)
	mux.Handle(h.PeerBasePath(), h.PeerHandler())
	var ln net.Listener
	require.Eventually(t, func() bool {
		ln, err = net.Listen("tcp", nd.addr)
		return err == nil
	}, 5*time.Second, 10*time.Millisecond, "the node's address is free again")
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	nd.mu.Lock()
	nd.h, nd.srv = h, srv
	nd.mu.Unlock()
	nd.up.Store(true)
}

// stop takes the node out of the load balancer, shuts its server down and closes its handler,
// which writes what it still has queued.
func (nd *storeNode) stop() {
	nd.up.Store(false)
	nd.mu.Lock()
	h, srv := nd.h, nd.srv
	nd.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx) //nolint:errcheck // a test server
	h.Close()
}

func (nd *storeNode) handler() *Handler {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.h
}

// A rolling restart of a three-node cluster under load: every request is answered 200, and no
// avatar known before is fetched again from the networks.
func TestStoreRollingRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts three nodes under load")
	}
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	store := blobstore.New(memblob.OpenBucket(nil))
	name := fmt.Sprintf("avatarmwstore%d", testHandlerSeq.Add(1))
	nodes := make([]*storeNode, 3)
	var peers []string
	for i := range nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		nodes[i] = &storeNode{addr: ln.Addr().String()}
		ln.Close()
		peers = append(peers, nodes[i].url())
	}
	config := func(nd *storeNode) Config {
		return Config{
			Name: name,
			Fetch: fetch.Config{FacebookURL: fake.FacebookURL(), FacebookToken: fetchtest.FacebookToken,
				XURL: fake.XURL(), XToken: fetchtest.XToken, GravatarURL: fake.GravatarURL()},
			RefreshPeriod: 24 * time.Hour * 365,
			Self:          nd.url(), Peers: peers, PeerSecret: clusterPeerSecret,
			Store: store,
			// A machine loaded by -race and other builds must not turn a slow read into a fetch:
			// this test is about what the store holds, not about its timeouts.
			StoreReadTimeout: time.Minute,
		}
	}
	for _, nd := range nodes {
		nd.start(t, config(nd))
	}
	t.Cleanup(func() {
		for _, nd := range nodes {
			if nd.up.Load() {
				nd.stop()
			}
		}
	})

	// The known avatars: a few pictures of each network, each in two variants, fetched once by
	// the cluster.
	var paths []string
	for _, network := range []string{fetchtest.Facebook, fetchtest.X, fetchtest.Gravatar} {
		typ := map[string]string{fetchtest.Facebook: "facebook", fetchtest.X: "twitter", fetchtest.Gravatar: "gravatar"}[network]
		n := 0
		for _, u := range fetchtest.UsersOf(network) {
			if u.NoPicture || u.Width > 600 || n == 3 {
				continue
			}
			n++
			paths = append(paths, "/avatars/"+typ+"/c_fill,h_40,w_40/"+u.ID+".jpg", "/avatars/"+typ+"/w_24/"+u.ID+".png")
		}
	}
	client := clusterClient(t)
	get := func(base, path string) (int, error) {
		res, err := client.Get(base + path)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	warm := time.Now()
	for i, p := range paths {
		code, err := get(nodes[i%3].url(), p)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, p)
	}
	require.Eventually(t, func() bool {
		var writes int64
		for _, nd := range nodes {
			writes += nd.handler().Stats().Store.Writes
		}
		return writes == int64(len(paths)/2)
	}, 10*time.Second, 10*time.Millisecond, "every original written to the store")
	t.Logf("%d avatars fetched and stored in %v", len(paths)/2, time.Since(warm).Round(time.Millisecond))
	fake.ResetCounts()

	// Load: 8 clients, each request to a node the balancer has up.
	loadStart := time.Now()
	var served, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				nd := nodes[rand.N(len(nodes))]
				if !nd.up.Load() {
					continue
				}
				p := paths[rand.N(len(paths))]
				code, err := get(nd.url(), p)
				if err == nil && code == http.StatusOK {
					served.Add(1)
					continue
				}
				if !nd.up.Load() {
					continue // taken out while the request was on its way: a balancer retries it
				}
				failed.Add(1)
				t.Errorf("%s%s: %d %v", nd.url(), p, code, err)
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	for i, nd := range nodes {
		start := time.Now()
		nd.stop()
		time.Sleep(100 * time.Millisecond) // the others serve alone for a while
		nd.start(t, config(nd))
		t.Logf("node %d restarted in %v", i, time.Since(start).Round(time.Millisecond))
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	lookups, downloads := origin(fake)
	t.Logf("load for %v", time.Since(loadStart).Round(time.Millisecond))
	t.Logf("%d requests served during the rolling restart, %d failed; origin lookups %d, downloads %d", served.Load(), failed.Load(), lookups, downloads)
	assert.Zero(t, failed.Load())
	assert.Positive(t, served.Load())
	assert.Zero(t, lookups+downloads, "no call to the networks for a known avatar")
	var hits int64
	for i, nd := range nodes {
		s := nd.handler().Stats()
		hits += s.Store.Hits
		assert.Zero(t, s.OriginFetches, "node %d: store %+v", i, s.Store)
	}
	assert.Positive(t, hits, "the restarted nodes read the store")
}

// A new node joining a cluster with the same store serves the avatars it now owns from the store.
func TestStoreNewNodeServesFromTheStore(t *testing.T) {
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	store := blobstore.New(memblob.OpenBucket(nil))
	cfg := func() Config {
		return Config{Name: "avatarmwstorejoin",
			Fetch: fetch.Config{FacebookURL: fake.FacebookURL(), FacebookToken: fetchtest.FacebookToken,
				XURL: fake.XURL(), XToken: fetchtest.XToken, GravatarURL: fake.GravatarURL()},
			Store: store}
	}
	old, err := New(cfg())
	require.NoError(t, err)
	srvOld := httptest.NewServer(old)
	t.Cleanup(srvOld.Close)
	var paths []string
	for _, u := range fetchtest.UsersOf(fetchtest.Facebook) {
		if !u.NoPicture && u.Width <= 600 && len(paths) < 5 {
			paths = append(paths, "/avatars/facebook/w_32/"+u.ID+".jpg")
		}
	}
	paths = append(paths, "/avatars/facebook/"+fetchtest.MissingFacebookID+".jpg")
	for _, p := range paths {
		do(t, srvOld, "GET", p)
	}
	require.NoError(t, old.Close())
	before := fake.Count(fetchtest.FacebookLookup)

	joined, err := New(cfg())
	require.NoError(t, err)
	t.Cleanup(func() { joined.Close() })
	srv := httptest.NewServer(joined)
	t.Cleanup(srv.Close)
	for _, p := range paths {
		res := do(t, srv, "GET", p)
		want := http.StatusOK
		if p == paths[len(paths)-1] {
			want = http.StatusNotFound
		}
		assert.Equal(t, want, res.StatusCode, p)
	}
	assert.Equal(t, before, fake.Count(fetchtest.FacebookLookup))
	assert.Zero(t, joined.Stats().OriginFetches)
	assert.NoError(t, joined.PingStore(context.Background()))
}
