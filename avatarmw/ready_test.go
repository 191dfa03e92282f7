package avatarmw

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/cache/blobstore"
)

// readyz asks a handler's readiness endpoint, with query, and returns the status and body.
func readyz(h *Handler, query string) (int, string) {
	rec := httptest.NewRecorder()
	h.ReadyHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz"+query, nil))
	return rec.Code, rec.Body.String()
}

// eventuallyReady waits until the check answers code with a body that holds want.
func eventuallyReady(t *testing.T, h *Handler, query string, code int, want string) {
	t.Helper()
	var got int
	var body string
	ok := assert.Eventually(t, func() bool {
		got, body = readyz(h, query)
		return got == code && strings.Contains(body, want)
	}, time.Minute, 50*time.Millisecond)
	if !ok {
		t.Fatalf("readiness%s: got %d %q, want %d with %q", query, got, body, code, want)
	}
}

func TestReadyPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for peers to time out")
	}
	fake := clusterFake(t)
	nodes := newCluster(t, 2, newClusterName(), fake, func(_ int, cfg *Config) { cfg.PeerTimeout = 300 * time.Millisecond })
	a, b := nodes[0], nodes[1]
	eventuallyReady(t, a.h, "", http.StatusOK, "ready")
	eventuallyReady(t, b.h, "", http.StatusOK, "ready")

	// A peer that does not answer: not ready, and the reason names it.
	b.frozen.Store(true)
	eventuallyReady(t, a.h, "", http.StatusServiceUnavailable, b.url+" does not answer")
	rec := httptest.NewRecorder()
	a.h.ReadyHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	assert.Contains(t, rec.Header().Get("X-Avatar-Error"), b.url)
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	var nr *NotReadyError
	require.ErrorAs(t, a.h.Ready(context.Background(), ReadyOptions{}), &nr)
	// Knowingly skipped: ready.
	code, body := readyz(a.h, "?skip=peers")
	assert.Equal(t, http.StatusOK, code, body)
	require.NoError(t, a.h.Ready(context.Background(), ReadyOptions{SkipPeers: true}))

	// Back.
	b.frozen.Store(false)
	eventuallyReady(t, a.h, "", http.StatusOK, "ready")
}

// A node whose peers cannot be reached, refuse its credentials, or do not list it, says so.
func TestReadyPeerMisconfigured(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clusters")
	}
	t.Run("secret", func(t *testing.T) {
		nodes := newCluster(t, 2, newClusterName(), clusterFake(t), func(i int, cfg *Config) {
			if i == 1 {
				cfg.PeerSecret = "another-peer-secret-0123456789"
			}
		})
		eventuallyReady(t, nodes[0].h, "", http.StatusServiceUnavailable, nodes[1].url+" refuses this node's credentials")
	})
	t.Run("lists", func(t *testing.T) {
		var self1 string
		nodes := newCluster(t, 2, newClusterName(), clusterFake(t), func(i int, cfg *Config) {
			if i == 1 {
				self1, cfg.Peers = cfg.Self, nil // knows only itself
			}
		})
		require.Equal(t, self1, nodes[1].url)
		eventuallyReady(t, nodes[0].h, "", http.StatusServiceUnavailable, nodes[1].url+" does not list this node")
	})
	t.Run("unreachable", func(t *testing.T) {
		gone := httptest.NewServer(http.NotFoundHandler())
		gone.Close() // a port nobody listens on
		nodes := newCluster(t, 1, newClusterName(), clusterFake(t), func(_ int, cfg *Config) {
			cfg.Peers = append(cfg.Peers, gone.URL)
			cfg.PeerTimeout = 300 * time.Millisecond
		})
		eventuallyReady(t, nodes[0].h, "", http.StatusServiceUnavailable, gone.URL+" cannot be reached")
	})
}

// flakyStore is a store whose Ping fails while down is set.
type flakyStore struct {
	cache.Store
	down atomic.Bool
}

func (s *flakyStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return errors.New("connection refused")
	}
	return s.Store.Ping(ctx)
}

func TestReadyStore(t *testing.T) {
	mem, err := blobstore.Open(context.Background(), "mem://")
	require.NoError(t, err)
	t.Cleanup(func() { mem.Close() })
	store := &flakyStore{Store: mem}
	h, _, _ := newTestHandler(t, func(cfg *Config) { cfg.Store = store })

	code, body := readyz(h, "")
	assert.Equal(t, http.StatusOK, code, body)
	store.down.Store(true)
	code, body = readyz(h, "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "the store cannot be reached: connection refused")
	code, body = readyz(h, "?skip=store")
	assert.Equal(t, http.StatusOK, code, body)
	code, _ = readyz(h, "?skip=peers")
	assert.Equal(t, http.StatusServiceUnavailable, code, "skipping the peers does not skip the store")
	store.down.Store(false)
	code, body = readyz(h, "")
	assert.Equal(t, http.StatusOK, code, body)
}

func TestReadyWithoutPeersOrStore(t *testing.T) {
	h, _, _ := newTestHandler(t, nil)
	require.NoError(t, h.Ready(context.Background(), ReadyOptions{}))
	code, body := readyz(h, "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ready\n", body)
	for _, q := range []string{"?skip=everything", "?verbose=1"} {
		code, body = readyz(h, q)
		assert.Equal(t, http.StatusBadRequest, code, q)
		assert.NotEmpty(t, body)
	}
	code, _ = readyz(h, "?skip=peers,store")
	assert.Equal(t, http.StatusOK, code)
}
