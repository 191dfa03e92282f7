package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Readiness: whether a node can serve avatars as a node of its fleet (Ready). A node serves
// without its peers and without its store — a peer that cannot be reached is set aside and its
// keys loaded here, a store that fails is left alone — but it then serves worse: it calls the
// networks for what its peers or its store hold. So Ready says so, and the app decides what it
// knowingly skips (ReadyOptions).
//
// Peers are asked with GET <BasePath>_ping, signed like every peer request; the answer names the
// peer as it knows itself (its Self) and the nodes it knows. A node that predates _ping answers
// 404 (no such group) once it has accepted the credentials: that is reachable too.

// pingPath is the peer endpoint's path of readiness pings, after BasePath.
const pingPath = "_ping"

// readyMemo is how long the answers of the peers to a readiness check are reused: probes of
// several kinds, or of several load balancers, cost one round of pings a second at most.
const readyMemo = time.Second

// pingAnswer is a peer's answer to a ping.
type pingAnswer struct {
	Self  string   `json:"self"`
	Peers []string `json:"peers"`
}

// ReadyOptions say what Ready leaves out of its check.
type ReadyOptions struct {
	// SkipPeers leaves the other nodes out: the node is ready whether they answer or not (it
	// loads the keys of those that do not). The start of the node (asking the others for their
	// forced refreshes, which takes a few seconds at most) is waited for all the same.
	SkipPeers bool
	// SkipStore leaves the store out: the node is ready whether it answers or not (it calls the
	// networks for what the store holds while it does not).
	SkipStore bool
}

// NotReadyError is what Ready returns when the node is not ready: the reasons, one a line.
type NotReadyError struct {
	Reasons []string
}

func (e *NotReadyError) Error() string { return "not ready: " + strings.Join(e.Reasons, "; ") }

// readiness is the memo of the last round of pings.
type readiness struct {
	mu      sync.Mutex
	at      time.Time // when the last round ended
	peers   string    // the nodes it asked, joined
	reasons []string  // what it found wrong
}

// Ready reports whether this node can serve avatars as a node of its fleet: nil, or a
// *NotReadyError with every reason. Without Self and without a store a cache is always ready;
// otherwise:
//
//   - a node of a cluster has finished its start (it asked the other nodes for their forced
//     refreshes, or gave up after a few seconds), and is on its own ring;
//   - unless opts.SkipPeers, every other node it knows answers, accepts its credentials, knows
//     itself by the URL this node knows it by and, with a static list of peers (no
//     PeerDiscovery), lists this node among its own;
//   - unless opts.SkipStore, the store answers (Store.Ping).
//
// The peers are asked at once, each within PeerTimeout, and their answers reused for a second;
// the store within StoreReadTimeout.
func (c *Cache) Ready(ctx context.Context, opts ReadyOptions) error {
	var reasons []string
	if c.closeCtx.Err() != nil {
		reasons = append(reasons, "the cache is closed")
	}
	if c.self != "" {
		select {
		case <-c.startPulled:
		default:
			reasons = append(reasons, "starting: asking the other nodes for their forced refreshes")
		}
		if r := c.ring.Load(); !slices.Contains(r.peers, c.self) {
			reasons = append(reasons, fmt.Sprintf("this node (%s) is not on its own ring", c.self))
		}
		if !opts.SkipPeers {
			reasons = append(reasons, c.peersReady(ctx)...)
		}
	}
	if c.store != nil && !opts.SkipStore {
		if err := c.PingStore(ctx); err != nil {
			reasons = append(reasons, "the store cannot be reached: "+oneLine(err.Error()))
		}
	}
	if len(reasons) > 0 {
		return &NotReadyError{Reasons: reasons}
	}
	return nil
}

// peersReady pings every other node, or reuses the answers of a round less than readyMemo old,
// and returns what is wrong.
func (c *Cache) peersReady(ctx context.Context) []string {
	var others []string
	for _, p := range c.ring.Load().peers {
		if p != c.self {
			others = append(others, p)
		}
	}
	joined := strings.Join(others, ",")
	c.ready.mu.Lock()
	defer c.ready.mu.Unlock() // one round at a time: the others wait for its answers
	if c.ready.peers == joined && time.Since(c.ready.at) < readyMemo {
		return c.ready.reasons
	}
	reasons := make([]string, len(others))
	var wg sync.WaitGroup
	for i, p := range others {
		wg.Go(func() {
			if err := c.ping(ctx, p); err != nil {
				reasons[i] = err.Error()
			}
		})
	}
	wg.Wait()
	reasons = slices.DeleteFunc(reasons, func(s string) bool { return s == "" })
	c.ready.at, c.ready.peers, c.ready.reasons = time.Now(), joined, reasons
	return reasons
}

// ping asks one peer whether it is there and agrees with this node about the fleet.
func (c *Cache) ping(ctx context.Context, peer string) error {
	ctx, cancel := context.WithTimeout(ctx, c.peerTimeout)
	defer cancel()
	full := c.basePath + pingPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, peer+full, nil)
	if err != nil {
		return fmt.Errorf("peer %s: %v", peer, err)
	}
	c.authorize(req, full, nil)
	res, err := c.transport.RoundTrip(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("peer %s does not answer within %v", peer, c.peerTimeout)
		}
		return fmt.Errorf("peer %s cannot be reached: %s", peer, oneLine(err.Error()))
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	switch {
	case res.StatusCode == http.StatusNotFound && res.Header.Get("Content-Type") != "application/json":
		return nil // a node that predates the ping, which took the credentials
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		return fmt.Errorf("peer %s refuses this node's credentials (%d: %s): every node needs the same PeerSecret and a synchronized clock",
			peer, res.StatusCode, oneLine(res.Header.Get(errorHeader)))
	case res.StatusCode == http.StatusLoopDetected:
		return fmt.Errorf("peer %s is this very node: Self is not the URL the peer list knows it by", peer)
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("peer %s answered %d: %s", peer, res.StatusCode, oneLine(res.Header.Get(errorHeader)))
	}
	var a pingAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("peer %s: unreadable answer to a ping: %s", peer, oneLine(err.Error()))
	}
	if a.Self != peer {
		return fmt.Errorf("peer %s knows itself as %s: every node must list the nodes by the URLs they have as Self", peer, a.Self)
	}
	if c.discoveryDone == nil && !slices.Contains(a.Peers, c.self) {
		return fmt.Errorf("peer %s does not list this node (%s) among its peers: give every node the same list", peer, c.self)
	}
	return nil
}

// servePing answers a ping: this node as it knows itself, and the nodes it knows.
func (c *Cache) servePing(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(pingAnswer{Self: c.self, Peers: c.ring.Load().peers}) //nolint:errcheck // the peer went away
}
