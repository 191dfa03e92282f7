// Package cache holds avatars in groupcache: one group of originals (the pictures as the networks
// serve them) and one of variants (originals transformed and encoded), each loaded once and shared
// by every caller that asks for it at the same time.
//
// Freshness lives in the keys, because groupcache values never expire: an avatar's key carries the
// number of its refresh period, shifted by a per-avatar jitter so that avatars do not all roll over
// at the same instant, or the version the URL asked for. Every origin outcome that is a fact about the
// user ("no such user", "no picture", "not an image") is a cached value; only transient failures are
// errors, which groupcache does not cache.
//
// A fleet of app servers shares one cache: with Config.Self and Config.Peers (or PeerDiscovery)
// every key has one owner among the nodes, found by consistent hashing, which alone loads it; the
// other nodes ask the owner through the peer endpoint, (*Cache).PeerHandler, which the app mounts
// on its own listener at BasePath ("/_avatarkit/"). Peers authenticate each other with an HMAC
// keyed with PeerSecret, and the endpoint validates every key again before it loads anything.
// A peer that is down or hung costs a request at most PeerTimeout; a busy one is waited for.
//
// Several caches, hence several clusters, live in one process: there is no global groupcache
// HTTPPool; cache registers one per-group peer picker per process and routes each group to its
// own cache's peers. Groups are registered in the process under LocalName and addressed on the
// wire by Name, so that even all the nodes of one cluster can live in one process (tests do).
//
// The HTTP semantics of the public API and avatarkit's URL grammar are not here; see package
// avatarmw for those.
package cache

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/groupcache"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// Defaults of Config.
const (
	DefaultName          = "avatarkit"
	DefaultCacheBytes    = 64 << 20
	DefaultRefreshPeriod = 7 * 24 * time.Hour
	DefaultLoadTimeout   = 30 * time.Second
)

// Config configures a Cache. Zero values are the defaults.
type Config struct {
	// Name names the cache's two groups, "<Name>-originals" and "<Name>-variants", for groupcache
	// in this process and, between the nodes of a cluster, in the peer protocol. Every node of one
	// cluster must use the same Name. Group names are global to a process, so two caches in one
	// process need two names (or two LocalNames). Default "avatarkit". No '/' or '|'.
	Name string

	// LocalName, when set, replaces Name in the names the groups are registered under with
	// groupcache in this process ("<LocalName>-originals"), which must be unique in the process;
	// the peer protocol still says Name, which is what the nodes of a cluster share. It lets
	// several nodes of one cluster live in one process, as in tests. Default Name. No '/' or '|'.
	LocalName string

	// Providers are the origins, by delivery type. Required. Type names match [a-z][a-z0-9_]*.
	// In a cluster every node has the same types: a node refuses a peer's key of a type it lacks.
	Providers map[string]fetch.Provider

	// CacheBytes bounds the memory this node spends on cached values, split evenly between
	// originals and variants. Default 64 MiB.
	CacheBytes int64

	// RefreshPeriod is how long an unversioned avatar is kept before its network is asked again.
	// Default 7 days; at least one minute. The same on every node of a cluster: the period is part
	// of the keys, and a node refuses a peer's key of a period it is not in.
	RefreshPeriod time.Duration

	// LoadTimeout bounds one load: an origin lookup and download, or a transform. Loads run on a
	// context detached from the request that started them, so that a client hanging up does not fail
	// the other requests waiting on the same load. Asking a peer for a key is bounded by
	// LoadTimeout+PeerTimeout. Default 30 s.
	LoadTimeout time.Duration

	// MaxTransforms bounds the transforms running at once on this node. Default GOMAXPROCS.
	MaxTransforms int

	// Limits bound the pictures accepted and produced; zero fields take imageops' defaults. The
	// same on every node of a cluster: a node refuses a peer's key beyond its own limits.
	Limits imageops.Limits

	// Now returns the current time. Default time.Now.
	Now func() time.Time

	// Logger receives load failures, peer failures and membership changes and, at debug level,
	// every load. Default: silent.
	Logger *slog.Logger

	// Self is this node's base URL as the other nodes reach it: scheme, host and port, no path,
	// e.g. "http://10.0.0.5:8080". With PeerDiscovery it must be this node's IP address with the
	// discovery's scheme and port ("http://$POD_IP:8080"), the form discovery yields. Empty: the cache
	// is not a node of a cluster, loads every key itself and its peer endpoint refuses everything.
	Self string

	// Peers are the base URLs of all the nodes of the cluster, Self included; Self is added when
	// it is missing. Every node must list the same nodes by the same URLs: ownership is a
	// consistent hash of the URLs. (*Cache).SetPeers changes the list at run time. Needs Self.
	Peers []string

	// PeerDiscovery, when set, finds the nodes by resolving a DNS name periodically, such as a
	// Kubernetes headless service, and calls SetPeers with the result. Needs Self and PeerSecret.
	// Close stops it.
	PeerDiscovery *DNSDiscovery

	// PeerSecret authenticates the nodes to each other: every peer request carries an HMAC-SHA256
	// of its method, path and time, keyed with it; the secret itself never travels. At least 16
	// bytes, the same on every node. Required as soon as the cluster can have two nodes (Peers
	// names another node, or PeerDiscovery is set).
	PeerSecret string

	// BasePath is where the app mounts PeerHandler, the same on every node. It begins and ends
	// with '/'. Default "/_avatarkit/".
	BasePath string

	// PeerTimeout bounds what a peer that is down or hung costs a request: connecting to it,
	// receiving its response header, and any silence while it loads (a busy owner sends a
	// heartbeat every PeerTimeout/4). After it the key is loaded locally and the peer is set aside
	// for a few seconds. Use the same value on every node. Default 2 s.
	PeerTimeout time.Duration

	// PeerAuthWindow is how far a peer request's timestamp may be from this node's clock. Default
	// 30 s; at least a second.
	PeerAuthWindow time.Duration

	// HashReplicas is the number of points of each node on the consistent-hash ring, the same on
	// every node. Default 50.
	HashReplicas int

	// PeerTLSConfig configures the connections to https peers, e.g. with the RootCAs of a private
	// CA. Default: the system's roots.
	PeerTLSConfig *tls.Config
}

// Cache is a two-level avatar cache. It is safe for concurrent use.
type Cache struct {
	providers map[string]fetch.Provider
	period    time.Duration
	timeout   time.Duration
	limits    imageops.Limits
	now       func() time.Time
	log       *slog.Logger
	sem       chan struct{}

	originals *groupcache.Group
	variants  *groupcache.Group

	// transform is imageops.Transform; tests replace it to watch the semaphore.
	transform func(context.Context, []byte, imageops.Chain, imageops.Format, imageops.Limits) (*imageops.Output, error)

	originFetches atomic.Int64
	transforms    atomic.Int64

	// Peers.
	groups      [2]*group // originals, variants
	self        string
	nodeID      string // random: tells a request from this cache to itself
	secret      []byte
	basePath    string
	peerTimeout time.Duration
	authWindow  time.Duration
	replicas    int
	peerRetry   time.Duration
	transport   *http.Transport
	ringMu      sync.Mutex // serializes changes of ring
	ring        atomic.Pointer[ring]

	closeCtx      context.Context
	closeCancel   context.CancelFunc
	closeOnce     sync.Once
	discoveryDone chan struct{}

	servedForPeers   atomic.Int64
	peerAuthRefusals atomic.Int64
	peerBadRequests  atomic.Int64
}

var typeName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// New validates cfg and returns a Cache whose groups are registered with groupcache.
func New(cfg Config) (*Cache, error) {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if strings.ContainsAny(cfg.Name, "/|") {
		return nil, fmt.Errorf("cache: Name %q must not contain '/' or '|'", cfg.Name)
	}
	if cfg.LocalName == "" {
		cfg.LocalName = cfg.Name
	}
	if strings.ContainsAny(cfg.LocalName, "/|") {
		return nil, fmt.Errorf("cache: LocalName %q must not contain '/' or '|'", cfg.LocalName)
	}
	if len(cfg.Providers) == 0 {
		return nil, errors.New("cache: no Providers")
	}
	for name, p := range cfg.Providers {
		if !typeName.MatchString(name) {
			return nil, fmt.Errorf("cache: provider type %q must match %s", name, typeName)
		}
		if p == nil {
			return nil, fmt.Errorf("cache: provider %q is nil", name)
		}
	}
	switch {
	case cfg.CacheBytes == 0:
		cfg.CacheBytes = DefaultCacheBytes
	case cfg.CacheBytes < 0:
		return nil, fmt.Errorf("cache: negative CacheBytes %d", cfg.CacheBytes)
	}
	switch {
	case cfg.RefreshPeriod == 0:
		cfg.RefreshPeriod = DefaultRefreshPeriod
	case cfg.RefreshPeriod < time.Minute:
		return nil, fmt.Errorf("cache: RefreshPeriod %v is shorter than a minute", cfg.RefreshPeriod)
	}
	switch {
	case cfg.LoadTimeout == 0:
		cfg.LoadTimeout = DefaultLoadTimeout
	case cfg.LoadTimeout < 0:
		return nil, fmt.Errorf("cache: negative LoadTimeout %v", cfg.LoadTimeout)
	}
	switch {
	case cfg.MaxTransforms == 0:
		cfg.MaxTransforms = runtime.GOMAXPROCS(0)
	case cfg.MaxTransforms < 0:
		return nil, fmt.Errorf("cache: negative MaxTransforms %d", cfg.MaxTransforms)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	c := &Cache{
		providers: make(map[string]fetch.Provider, len(cfg.Providers)),
		period:    cfg.RefreshPeriod,
		timeout:   cfg.LoadTimeout,
		limits:    cfg.Limits,
		now:       cfg.Now,
		log:       cfg.Logger,
		sem:       make(chan struct{}, cfg.MaxTransforms),
		transform: imageops.Transform,
		peerRetry: defaultPeerRetry,
	}
	for name, p := range cfg.Providers {
		c.providers[name] = p
	}
	peers, err := c.configurePeers(&cfg)
	if err != nil {
		return nil, err
	}
	if err := registerPeerPicker(); err != nil {
		return nil, err
	}
	c.groups[0] = &group{c: c, idx: 0, wire: cfg.Name + "-originals", local: cfg.LocalName + "-originals", validate: c.validateOriginalKey}
	c.groups[1] = &group{c: c, idx: 1, wire: cfg.Name + "-variants", local: cfg.LocalName + "-variants", validate: c.validateVariantKey}
	if c.self != "" {
		if err := c.SetPeers(peers...); err != nil {
			return nil, err
		}
	}
	c.originals, c.variants, err = c.newGroups(cfg.LocalName, cfg.CacheBytes)
	if err != nil {
		return nil, err
	}
	c.closeCtx, c.closeCancel = context.WithCancel(context.Background())
	if d := cfg.PeerDiscovery; d != nil {
		c.discoveryDone = make(chan struct{})
		go c.discover(*d)
	}
	if c.self != "" {
		c.log.Info("avatarkit: cluster node", "self", c.self, "nodes", c.Peers(), "name", cfg.Name, "discovery", cfg.PeerDiscovery != nil)
	}
	return c, nil
}

var groupsMu sync.Mutex

// newGroups registers the two groups, refusing names already taken (groupcache would panic). The
// groups' pickers enter the registry before the groups exist: groupcache asks for a group's
// picker at its first Get, and only once.
func (c *Cache) newGroups(name string, cacheBytes int64) (*groupcache.Group, *groupcache.Group, error) {
	groupsMu.Lock()
	defer groupsMu.Unlock()
	on, vn := name+"-originals", name+"-variants"
	if groupcache.GetGroup(on) != nil || groupcache.GetGroup(vn) != nil {
		return nil, nil, fmt.Errorf("cache: groupcache groups for LocalName %q already exist in this process; give each cache its own Name (or LocalName)", name)
	}
	if c.self != "" {
		pickers.Store(on, c.groups[0])
		pickers.Store(vn, c.groups[1])
	}
	c.groups[0].g = groupcache.NewGroup(on, cacheBytes/2, groupcache.GetterFunc(c.loadOriginal))
	c.groups[1].g = groupcache.NewGroup(vn, cacheBytes-cacheBytes/2, groupcache.GetterFunc(c.loadVariant))
	return c.groups[0].g, c.groups[1].g, nil
}

// Request names one variant of one avatar.
type Request struct {
	// Type is the delivery type, a key of Config.Providers.
	Type string
	// ID is the identifier in its canonical form (fetch.Provider.CheckID).
	ID string
	// Version is the version the URL asked for; 0 means none: the avatar follows the refresh period.
	Version uint64
	// Transformation is the canonical string of the chain (imageops.Chain.String), "" for none.
	Transformation string
	// Format is the format the URL's extension asked for; imageops.FormatOriginal for none.
	Format imageops.Format
}

// Get returns the variant r names, loading the original and transforming it if needed. A permanent
// outcome that is not a picture is returned as the *fetch.Error or *imageops.Error it was.
func (c *Cache) Get(ctx context.Context, r Request) (Variant, error) {
	okey, expires := c.originalKey(r.Type, r.ID, r.Version, c.now())
	vkey := variantKey(okey, r.Transformation, r.Format)

	var v groupcache.ByteView
	if err := c.variants.Get(ctx, vkey, groupcache.ByteViewSink(&v)); err != nil {
		return Variant{}, err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return Variant{}, err
	}
	if e.class != classPicture {
		return Variant{}, e.err()
	}
	return Variant{
		ETag:    e.meta,
		Format:  imageops.Format(e.kind),
		Default: e.flags&flagDefault != 0,
		Expires: expires,
		body:    e.body,
	}, nil
}

// Key layout. An original: "<type>|<id>|e<period number>" or "<type>|<id>|v<version>".
// A variant: "<original key>|<canonical transformation>|<extension>". Keys are self-describing:
// a getter rebuilds, and validates again, everything it needs from the key alone.

// originalKey returns the key of the original and, for unversioned avatars, when its period ends.
func (c *Cache) originalKey(typ, id string, version uint64, now time.Time) (string, time.Time) {
	if version > 0 {
		return typ + "|" + id + "|v" + strconv.FormatUint(version, 10), time.Time{}
	}
	n, end := c.periodOf(typ, id, now)
	return typ + "|" + id + "|e" + strconv.FormatInt(n, 10), end
}

// periodOf returns the number of the refresh period an avatar is in at now, and when it ends.
// Each avatar's periods are shifted by a jitter in [0, period) derived from its identity.
func (c *Cache) periodOf(typ, id string, now time.Time) (int64, time.Time) {
	p := int64(c.period)
	h := fnv.New64a()
	h.Write([]byte(typ))
	h.Write([]byte{'|'})
	h.Write([]byte(id))
	jitter := int64(h.Sum64() % uint64(p))
	n := (now.UnixNano() + jitter) / p
	return n, time.Unix(0, (n+1)*p-jitter)
}

func variantKey(originalKey, transformation string, f imageops.Format) string {
	return originalKey + "|" + transformation + "|" + f.String()
}

// originalKeyParts splits and validates an original key.
func (c *Cache) parseOriginalKey(key string) (typ, id string, p fetch.Provider, err error) {
	parts := strings.Split(key, "|")
	if len(parts) != 3 || len(parts[2]) < 2 || (parts[2][0] != 'e' && parts[2][0] != 'v') {
		return "", "", nil, fmt.Errorf("cache: malformed original key %q", key)
	}
	if _, err := strconv.ParseUint(parts[2][1:], 10, 64); err != nil {
		return "", "", nil, fmt.Errorf("cache: malformed original key %q", key)
	}
	typ, id = parts[0], parts[1]
	p, ok := c.providers[typ]
	if !ok {
		return "", "", nil, fmt.Errorf("cache: key %q: unknown type", key)
	}
	canon, err := p.CheckID(id)
	if err != nil {
		return "", "", nil, err
	}
	if canon != id {
		return "", "", nil, fmt.Errorf("cache: key %q: identifier is not canonical", key)
	}
	return typ, id, p, nil
}

// loadOriginal is the originals group's getter: it asks the network.
func (c *Cache) loadOriginal(ctx context.Context, key string, dest groupcache.Sink) error {
	if err := c.groups[0].takeOwnerErr(key); err != nil {
		return err
	}
	typ, id, p, err := c.parseOriginalKey(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()

	c.originFetches.Add(1)
	start := time.Now()
	pic, err := p.Fetch(ctx, id)
	stamp := c.now().Unix()
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			c.log.Debug("avatarkit: origin outcome", "type", typ, "id", id, "outcome", err.Error(), "took", time.Since(start))
			return dest.SetBytes(b)
		}
		c.log.Warn("avatarkit: origin fetch failed", "type", typ, "id", id, "err", err, "took", time.Since(start))
		return err
	}
	f, ok := formatOfContentType(pic.ContentType)
	if !ok {
		// The provider promised a sniffed image type; anything else is a bug of the provider.
		err := &fetch.Error{Kind: fetch.KindNotImage, Provider: typ, Msg: fmt.Sprintf("picture has content type %q", pic.ContentType)}
		b, _ := encodeError(err, stamp)
		return dest.SetBytes(b)
	}
	c.log.Debug("avatarkit: origin fetched", "type", typ, "id", id, "bytes", len(pic.Bytes), "took", time.Since(start))
	return dest.SetBytes(encodePicture(f, pic.Default, stamp, "", pic.Bytes))
}

func formatOfContentType(ct string) (imageops.Format, bool) {
	switch ct {
	case "image/jpeg":
		return imageops.JPEG, true
	case "image/png":
		return imageops.PNG, true
	case "image/gif":
		return imageops.GIF, true
	case "image/webp":
		return imageops.WebP, true
	}
	return imageops.FormatOriginal, false
}

// loadVariant is the variants group's getter: it gets the original and transforms it.
func (c *Cache) loadVariant(ctx context.Context, key string, dest groupcache.Sink) error {
	if err := c.groups[1].takeOwnerErr(key); err != nil {
		return err
	}
	okey, chain, format, err := c.parseVariantKey(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()

	var ov groupcache.ByteView
	if err := c.originals.Get(ctx, okey, groupcache.ByteViewSink(&ov)); err != nil {
		return err
	}
	orig, err := decodeEntry(ov)
	if err != nil {
		return err
	}
	stamp := c.now().Unix()
	if orig.class != classPicture {
		// The avatar's outcome is not a picture: every variant of it has that outcome too.
		b, _ := encodeError(orig.err(), stamp)
		return dest.SetBytes(b)
	}

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("cache: waiting for a transform slot: %w", ctx.Err())
	}
	c.transforms.Add(1)
	start := time.Now()
	out, err := c.transform(ctx, orig.body.ByteSlice(), chain, format, c.limits)
	<-c.sem
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			c.log.Debug("avatarkit: transform refused", "key", key, "err", err)
			return dest.SetBytes(b)
		}
		c.log.Warn("avatarkit: transform failed", "key", key, "err", err)
		return err
	}
	c.log.Debug("avatarkit: transformed", "key", key, "bytes", len(out.Bytes), "took", time.Since(start))
	sum := sha256.Sum256(out.Bytes)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return dest.SetBytes(encodePicture(out.Format, orig.flags&flagDefault != 0, stamp, etag, out.Bytes))
}

// parseVariantKey splits and validates a variant key: the original key, the transformation (which
// must be canonical) and the extension's format.
func (c *Cache) parseVariantKey(key string) (okey string, chain imageops.Chain, f imageops.Format, err error) {
	i := strings.LastIndexByte(key, '|')
	if i < 0 {
		return "", chain, 0, fmt.Errorf("cache: malformed variant key %q", key)
	}
	j := strings.LastIndexByte(key[:i], '|')
	if j < 0 {
		return "", chain, 0, fmt.Errorf("cache: malformed variant key %q", key)
	}
	okey, tr, ext := key[:j], key[j+1:i], key[i+1:]
	if _, _, _, err := c.parseOriginalKey(okey); err != nil {
		return "", chain, 0, err
	}
	if ext != "" {
		if f, err = imageops.ParseFormat(ext); err != nil {
			return "", chain, 0, err
		}
	}
	if tr != "" {
		if chain, err = imageops.ParseChain(strings.Split(tr, "/")); err != nil {
			return "", chain, 0, err
		}
		if chain.String() != tr {
			return "", chain, 0, fmt.Errorf("cache: key %q: transformation is not canonical", key)
		}
		if err := chain.Check(c.limits); err != nil {
			return "", chain, 0, err
		}
	}
	return okey, chain, f, nil
}

// Stats are counters of one cache.
type Stats struct {
	// OriginFetches counts the calls to a provider (network lookups and downloads) this node made.
	OriginFetches int64 `json:"origin_fetches"`
	// Transforms counts the variants this node computed.
	Transforms int64 `json:"transforms"`
	// Peers is the number of nodes of the cluster as this node sees it, itself included; 0 when
	// the cache has no Self.
	Peers int `json:"peers"`
	// PeersDown is the number of peers set aside for now because they could not be reached.
	PeersDown int `json:"peers_down"`
	// PeerLoads counts the values this node asked their owners for and got (both groups).
	PeerLoads int64 `json:"peer_loads"`
	// PeerErrors counts the asks of an owner that failed (both groups): the key was then loaded
	// here, or the owner's own load error was the answer.
	PeerErrors int64 `json:"peer_errors"`
	// ServedForPeers counts the peer requests this node's endpoint accepted and answered.
	ServedForPeers int64 `json:"served_for_peers"`
	// PeerAuthRefusals counts the requests to the peer endpoint refused for their credentials
	// (401, 403).
	PeerAuthRefusals int64 `json:"peer_auth_refusals"`
	// PeerBadRequests counts the authenticated peer requests refused for their group (404) or key
	// (400).
	PeerBadRequests int64 `json:"peer_bad_requests"`
	// Originals and Variants are groupcache's own counters of the two groups.
	Originals GroupStats `json:"originals"`
	Variants  GroupStats `json:"variants"`
}

// GroupStats are groupcache's counters of one group.
type GroupStats struct {
	Gets           int64      `json:"gets"`
	CacheHits      int64      `json:"cache_hits"`
	PeerLoads      int64      `json:"peer_loads"`
	PeerErrors     int64      `json:"peer_errors"`
	Loads          int64      `json:"loads"`
	LoadsDeduped   int64      `json:"loads_deduped"`
	LocalLoads     int64      `json:"local_loads"`
	LocalLoadErrs  int64      `json:"local_load_errs"`
	ServerRequests int64      `json:"server_requests"`
	MainCache      CacheStats `json:"main_cache"`
	HotCache       CacheStats `json:"hot_cache"`
}

// CacheStats are the counters of one of a group's two LRU caches.
type CacheStats struct {
	Bytes     int64 `json:"bytes"`
	Items     int64 `json:"items"`
	Gets      int64 `json:"gets"`
	Hits      int64 `json:"hits"`
	Evictions int64 `json:"evictions"`
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	s := Stats{
		OriginFetches:    c.originFetches.Load(),
		Transforms:       c.transforms.Load(),
		ServedForPeers:   c.servedForPeers.Load(),
		PeerAuthRefusals: c.peerAuthRefusals.Load(),
		PeerBadRequests:  c.peerBadRequests.Load(),
		Originals:        groupStats(c.originals),
		Variants:         groupStats(c.variants),
	}
	s.PeerLoads = s.Originals.PeerLoads + s.Variants.PeerLoads
	s.PeerErrors = s.Originals.PeerErrors + s.Variants.PeerErrors
	if c.self != "" {
		r := c.ring.Load()
		if r.retryAt != 0 && time.Now().UnixNano() >= r.retryAt {
			r = c.rebuildRing()
		}
		s.Peers, s.PeersDown = len(r.peers), r.down
	}
	return s
}

func groupStats(g *groupcache.Group) GroupStats {
	s := &g.Stats
	return GroupStats{
		Gets:           s.Gets.Get(),
		CacheHits:      s.CacheHits.Get(),
		PeerLoads:      s.PeerLoads.Get(),
		PeerErrors:     s.PeerErrors.Get(),
		Loads:          s.Loads.Get(),
		LoadsDeduped:   s.LoadsDeduped.Get(),
		LocalLoads:     s.LocalLoads.Get(),
		LocalLoadErrs:  s.LocalLoadErrs.Get(),
		ServerRequests: s.ServerRequests.Get(),
		MainCache:      cacheStats(g.CacheStats(groupcache.MainCache)),
		HotCache:       cacheStats(g.CacheStats(groupcache.HotCache)),
	}
}

func cacheStats(s groupcache.CacheStats) CacheStats {
	return CacheStats{Bytes: s.Bytes, Items: s.Items, Gets: s.Gets, Hits: s.Hits, Evictions: s.Evictions}
}
