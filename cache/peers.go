package cache

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang/groupcache"
	"github.com/golang/groupcache/consistenthash"
)

// Peers. A cache with Config.Self is one node of a cluster: every key has one owner among the
// nodes, found by consistent hashing of the key over the nodes' base URLs, and only the owner loads
// it; the others ask the owner through its peer endpoint (PeerHandler) and groupcache keeps a copy
// of a tenth of what they get in its hot cache.
//
// Membership is a sorted list of normalized base URLs that always holds Self. Keeping Self in its
// own list is what makes forwarding loops impossible even while the nodes disagree about the
// membership (during a change, or with discovery lagging): for a key, the owner in a list is the
// owner in any sub-list that still holds it, so two nodes can never each name the other; and a
// node asked by a peer loads the key itself instead of passing it on (see servingKey).
//
// A peer that cannot be reached (no connection, no response header within PeerTimeout, or a
// response that stops) is set aside for a few seconds: its keys are hashed over the other nodes,
// which all set it aside the same way once they notice, then it is tried again.

// Defaults of the peer fields of Config.
const (
	DefaultBasePath       = "/_avatarkit/"
	DefaultPeerTimeout    = 2 * time.Second
	DefaultPeerAuthWindow = 30 * time.Second
	DefaultHashReplicas   = 50

	// MinPeerSecretLen is the least length of Config.PeerSecret, in bytes, that New takes
	// without logging a warning.
	MinPeerSecretLen = 16
)

// defaultPeerRetry is how long an unreachable peer is set aside.
const defaultPeerRetry = 5 * time.Second

// The registry of per-group peer pickers. groupcache lets one function per process choose the
// PeerPicker of every group (RegisterPerGroupPeerPicker, which panics when called twice); cache
// registers it once, on the first New, and it looks the group's name up here. A group that is not
// one of ours gets groupcache.NoPeers, as it would have without any registration.
var (
	registerOnce sync.Once
	registerErr  error
	pickers      sync.Map // local group name -> groupcache.PeerPicker
)

// registerPeerPicker installs the registry's lookup function with groupcache, once per process.
func registerPeerPicker() error {
	registerOnce.Do(func() {
		registerErr = registerWith(groupcache.RegisterPerGroupPeerPicker)
	})
	return registerErr
}

// registerWith calls register with the registry's lookup function, turning its panic into an error.
func registerWith(register func(func(string) groupcache.PeerPicker)) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cache: another package registered a groupcache peer picker in this process "+
				"(groupcache.NewHTTPPool, RegisterPeerPicker or RegisterPerGroupPeerPicker: %v); "+
				"avatarkit needs to register its own per-group picker and cannot share groupcache with it", r)
		}
	}()
	register(func(group string) groupcache.PeerPicker {
		if p, ok := pickers.Load(group); ok {
			return p.(groupcache.PeerPicker)
		}
		return groupcache.NoPeers{}
	})
	return nil
}

// group is one of the cache's groups, as the peers see it.
type group struct {
	c     *Cache
	g     *groupcache.Group
	idx   int    // 0 originals, 1 variants: the index of the group's getter in a peerClient
	wire  string // the cluster-wide name, "<Name>-originals": what the peer protocol says
	local string // the name registered with groupcache in this process, "<LocalName>-originals"

	// validate checks a key a peer asks for, as strictly as the public URL would.
	validate func(key string) error

	// ownerErrs hands an owner's error from the peer client to the local getter that groupcache
	// calls right after it, in the same single flight: the owner tried, and its (transient) error
	// is the answer, instead of a second origin load here. key -> error.
	ownerErrs sync.Map
}

// takeOwnerErr returns, once, the error the owner of key answered with.
func (g *group) takeOwnerErr(key string) error {
	if v, ok := g.ownerErrs.LoadAndDelete(key); ok {
		return v.(error)
	}
	return nil
}

// PickPeer implements groupcache.PeerPicker: it returns the owner of key, or false when it is
// this node.
func (g *group) PickPeer(key string) (groupcache.ProtoGetter, bool) {
	c := g.c
	r := c.ring.Load()
	if r.retryAt != 0 && time.Now().UnixNano() >= r.retryAt {
		r = c.rebuildRing()
	}
	owner := r.live.Get(key)
	if owner == "" || owner == r.self {
		return nil, false
	}
	return r.clients[owner].getters[g.idx], true
}

// ring is one immutable view of the membership. A new one replaces it on every change.
type ring struct {
	self    string
	peers   []string               // sorted, Self included
	live    *consistenthash.Map    // peers not set aside
	clients map[string]*peerClient // every peer but Self
	down    int                    // peers set aside
	retryAt int64                  // Unix ns when the first peer set aside is due again; 0: none
}

// peerClient asks one peer for values.
type peerClient struct {
	base      string // normalized base URL
	getters   [numGroups]*peerGetter
	downUntil time.Time // guarded by Cache.ringMu
}

// normalizePeerURL checks a base URL and returns its canonical form: lower-case scheme and host,
// no default port, no trailing slash. Every node must name every other node with the same string,
// for the consistent hash to agree, so every URL goes through here.
func normalizePeerURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("cache: peer URL %q: %v", s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("cache: peer URL %q: want an http:// or https:// base URL such as http://10.0.0.5:8080", s)
	case u.Opaque != "" || u.Host == "":
		return "", fmt.Errorf("cache: peer URL %q has no host", s)
	case u.User != nil:
		return "", fmt.Errorf("cache: peer URL %q must not carry credentials (peers authenticate with PeerSecret)", s)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return "", fmt.Errorf("cache: peer URL %q must be a base URL: scheme, host and port only, no path or query", s)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", fmt.Errorf("cache: peer URL %q has no host", s)
	}
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// normalizePeers normalizes, deduplicates and sorts a list of base URLs.
func normalizePeers(list []string) ([]string, error) {
	out := make([]string, 0, len(list)+1)
	for _, s := range list {
		n, err := normalizePeerURL(s)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// SetPeers replaces the list of the cluster's nodes, given as base URLs ("http://10.0.0.5:8080").
// Self is added when the list does not hold it: a node always owns a share of the keys. The change
// takes effect for the next load; keys whose owner changes are loaded by their new owner (once)
// when next asked for. Changes are logged at Info level.
//
// SetPeers fails, and changes nothing, when the cache has no Self, when a URL is not a valid base
// URL, or when the list names another node but Config.PeerSecret is empty. It is safe to call at
// any time from any goroutine; with Config.PeerDiscovery, the next resolution replaces the list
// again.
func (c *Cache) SetPeers(peers ...string) error {
	if c.self == "" {
		return errors.New("cache: SetPeers needs Config.Self: this cache is not a node of a cluster")
	}
	list, err := normalizePeers(peers)
	if err != nil {
		return err
	}
	if _, found := slices.BinarySearch(list, c.self); !found {
		list = append(list, c.self)
		slices.Sort(list)
	}
	if len(list) > 1 && c.secret == nil {
		return fmt.Errorf("cache: %d peers but no PeerSecret: peers must authenticate each other", len(list)-1)
	}

	c.ringMu.Lock()
	old := c.ring.Load()
	if old != nil && slices.Equal(old.peers, list) {
		c.ringMu.Unlock()
		return nil
	}
	clients := make(map[string]*peerClient, len(list))
	for _, p := range list {
		if p == c.self {
			continue
		}
		if old != nil && old.clients[p] != nil {
			clients[p] = old.clients[p] // keeps its connections and its down mark
			continue
		}
		pc := &peerClient{base: p}
		for i, g := range c.groups {
			pc.getters[i] = &peerGetter{pc: pc, grp: g}
		}
		clients[p] = pc
	}
	r := c.buildRing(list, clients)
	c.ring.Store(r)
	c.ringMu.Unlock()

	if old != nil {
		var added, removed []string
		for _, p := range list {
			if _, ok := slices.BinarySearch(old.peers, p); !ok {
				added = append(added, p)
			}
		}
		for _, p := range old.peers {
			if _, ok := slices.BinarySearch(list, p); !ok {
				removed = append(removed, p)
			}
		}
		c.log.Info("avatarkit: cluster membership changed", "self", c.self, "nodes", len(list), "added", added, "removed", removed)
	}
	return nil
}

// buildRing returns the ring of list, with the peers set aside left out of the live hash.
// c.ringMu must be held.
func (c *Cache) buildRing(list []string, clients map[string]*peerClient) *ring {
	now := time.Now()
	r := &ring{self: c.self, peers: list, clients: clients, live: consistenthash.New(c.replicas, nil)}
	live := make([]string, 0, len(list))
	for _, p := range list {
		if pc := clients[p]; pc != nil && now.Before(pc.downUntil) {
			r.down++
			if t := pc.downUntil.UnixNano(); r.retryAt == 0 || t < r.retryAt {
				r.retryAt = t
			}
			continue
		}
		live = append(live, p)
	}
	r.live.Add(live...)
	return r
}

// rebuildRing recomputes the live hash, once a peer set aside is due to be tried again.
func (c *Cache) rebuildRing() *ring {
	c.ringMu.Lock()
	defer c.ringMu.Unlock()
	r := c.ring.Load()
	if r.retryAt == 0 || time.Now().UnixNano() < r.retryAt {
		return r // another caller got here first
	}
	nr := c.buildRing(r.peers, r.clients)
	c.ring.Store(nr)
	for _, p := range r.peers {
		if pc := r.clients[p]; pc != nil && !pc.downUntil.IsZero() && !time.Now().Before(pc.downUntil) {
			pc.downUntil = time.Time{}
			c.log.Info("avatarkit: trying peer again", "peer", p)
		}
	}
	return nr
}

// setAside takes an unreachable peer out of the live hash for c.peerRetry.
func (c *Cache) setAside(pc *peerClient, why error) {
	c.ringMu.Lock()
	defer c.ringMu.Unlock()
	r := c.ring.Load()
	if r.clients[pc.base] != pc || time.Now().Before(pc.downUntil) {
		return // no longer a member, or already set aside
	}
	pc.downUntil = time.Now().Add(c.peerRetry)
	c.ring.Store(c.buildRing(r.peers, r.clients))
	c.log.Warn("avatarkit: peer unreachable, loading its keys elsewhere", "peer", pc.base, "for", c.peerRetry, "err", why)
}

// Peers returns the base URLs of the cluster's nodes as this node sees them, Self included,
// sorted; nil when the cache has no Self.
func (c *Cache) Peers() []string {
	if c.self == "" {
		return nil
	}
	return slices.Clone(c.ring.Load().peers)
}

// Self returns this node's normalized base URL, or "" when the cache is not a node of a cluster.
func (c *Cache) Self() string { return c.self }

// BasePath returns the path under which the app mounts PeerHandler, e.g. "/_avatarkit/".
func (c *Cache) BasePath() string { return c.basePath }

// Close stops the cache's background work — the discovery of peers, the forced refreshes still
// being told to peers, the asking of peers for theirs, the sweep of the store — and waits for it,
// makes the writes to the store still queued (for at most 10 s), and closes idle connections to
// peers. The cache keeps serving with the membership it last had; what it fetches afterwards is
// no longer written to the store. Close is safe to call more than once.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		c.closeCancel()
		if c.discoveryDone != nil {
			<-c.discoveryDone
		}
		c.bg.Wait()
		if c.store != nil {
			c.store.close()
		}
		if c.transport != nil {
			c.transport.CloseIdleConnections()
		}
	})
	return nil
}

// splitBaseURL returns the scheme, host and port (explicit or default) of a base URL.
func splitBaseURL(base string) (scheme, host, port string) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", ""
	}
	port = u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme, u.Hostname(), port
}

func isIP(host string) bool { return net.ParseIP(host) != nil }
