// Package cache holds avatars in groupcache, in four groups: the originals (the pictures as the
// networks serve them), their index (what a request needs to know of an original: its outcome and
// its content hash), the analyses of their faces, and the variants (originals transformed and
// encoded, named by the original's content). Each value is loaded once and shared by every caller
// that asks for it at the same time; see load.go for the groups and keys.go for the keys.
//
// Freshness lives in the keys, because groupcache values never expire: an avatar's key carries the
// number of its refresh period, shifted by a per-avatar jitter so that avatars do not all roll over
// at the same instant, or a version. Every origin outcome that is a fact about the user ("no such
// user", "no picture") is a cached value; everything else the network gives (a failure, or an
// answer that may be passing: not an image, too large, cut short) is an error, which groupcache
// does not cache, retried after a back-off. Forced refreshes, re-checks of missing users,
// back-offs and stale-if-error are in fresh.go.
//
// Under the groups, an optional durable Store keeps the originals beyond the life of the process
// (store.go): read on a miss before any call to the network, written after the answer.
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
// What a cache tells its operators besides Stats is in observe.go (the durations of its work for
// an Observer, origin outcomes, rate limits, whether a Get was a hit), trace.go (OpenTelemetry
// spans, and the trace context on peer requests), catalog.go (the avatars a node holds) and
// ready.go (whether the node can serve as a node of its fleet).
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
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/groupcache"
	"github.com/golang/groupcache/singleflight"
	"go.opentelemetry.io/otel/trace"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// Defaults of Config.
const (
	DefaultName          = "avatarkit"
	DefaultCacheBytes    = 64 << 20
	DefaultRefreshPeriod = 7 * 24 * time.Hour
	DefaultLoadTimeout   = 30 * time.Second
	DefaultNegativeTTL   = 5 * time.Minute
	DefaultErrorRetry    = time.Second
	DefaultMaxErrorRetry = 5 * time.Minute
	DefaultStaleIfError  = 24 * time.Hour
	DefaultMaxAvatars    = 100_000
	DefaultWorkBytes     = 128 << 20
	DefaultMaxQueueWait  = 3 * time.Second
)

// Config configures a Cache. Zero values are the defaults.
type Config struct {
	// Name names the cache's groups, "<Name>-originals", "<Name>-index", "<Name>-analyses" and
	// "<Name>-variants", for groupcache in this process and, between the nodes of a cluster, in
	// the peer protocol. Every node of one
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

	// CacheBytes bounds the memory this node spends on cached values: 1/32 each for the index
	// and the analyses, the rest split evenly between originals and variants. Default 64 MiB.
	CacheBytes int64

	// RefreshPeriod is how long an unversioned avatar is kept before its network is asked again.
	// Default 7 days; at least a second (New logs a warning under a minute: short periods are for
	// demos and tests). The same on every node of a cluster: the period is part of the keys, and a
	// node refuses a peer's key of a period it is not in.
	RefreshPeriod time.Duration

	// LoadTimeout bounds one load: an origin lookup and download, or a transform. Loads run on a
	// context detached from the request that started them, so that a client hanging up does not fail
	// the other requests waiting on the same load. Asking a peer for a key is bounded by
	// LoadTimeout+PeerTimeout. Default 30 s.
	LoadTimeout time.Duration

	// MaxTransforms bounds the transforms (and analyses) running at once on this node. Default
	// GOMAXPROCS.
	MaxTransforms int

	// WorkBytes is this node's working-memory budget: the memory that cold work may hold at once
	// — the decodes, transforms and analyses running (each reckoned from the picture's header
	// before it starts, see imageops.Estimate), the originals being downloaded, and large
	// responses being sent whose cache entry may be gone. Work that does not fit waits, briefly
	// (MaxQueueWait), or is refused with a *BusyError; a transform that would need more than the
	// whole budget is refused for good (imageops.KindWorkLimit: Limits.MaxWorkBytes is set to
	// WorkBytes unless it is smaller). Together with CacheBytes it bounds the node's memory.
	// Default 128 MiB; at least 8 MiB.
	WorkBytes int64

	// MaxQueueWait bounds how long cold work waits for room in the work budget. Work expected to
	// wait longer (by the estimated processor time of the work before it) is refused at once with
	// a *BusyError, as is work that has waited this long, so that a client waits seconds at most
	// and retries instead. Default 3 s.
	MaxQueueWait time.Duration

	// Limits bound the pictures accepted and produced; zero fields take imageops' defaults. The
	// same on every node of a cluster: a node refuses a peer's key beyond its own limits.
	Limits imageops.Limits

	// NegativeTTL is how long a "no such user" or "no picture" is believed: after it, the next
	// request asks the network again (once per NegativeTTL for the whole cluster). Default 5
	// minutes, or RefreshPeriod when that is shorter; at least a second, at most RefreshPeriod.
	NegativeTTL time.Duration

	// ErrorRetry is how soon an avatar whose load failed is asked for again the first time: the
	// network down, slow, throttling us, or an answer that may be passing (a page that is not an
	// image, a file over the limits, a body cut short). Each further failure in a row doubles the
	// wait, up to MaxErrorRetry; meanwhile the failure, or the last good picture, is the answer,
	// at once. A wait a rate-limited network asked for is honoured when it is longer. Default 1 s;
	// at least a millisecond.
	ErrorRetry time.Duration

	// MaxErrorRetry bounds the wait between two tries of an avatar whose loads keep failing.
	// Default 5 minutes; at least ErrorRetry.
	MaxErrorRetry time.Duration

	// StaleIfError bounds how long past its refresh time a picture may still be served when its
	// refresh fails. Default a day, or RefreshPeriod when that is longer; negative: never serve
	// a stale picture.
	StaleIfError time.Duration

	// Store, when set, is a durable tier for originals under the in-memory cache (store.go): what
	// a node fetches is written there, and read back on a miss before any call to the network, so
	// that a node started again, or a new node of the fleet, serves what was fetched within its
	// period without asking the networks. Every node of a cluster may share one. A store that
	// fails or is slow is left alone for a few seconds, with a warning in the log: the cache then
	// works as it would without one. See package cache/blobstore.
	Store Store

	// StoreReadTimeout bounds one read of the Store, made before a call to the network. Default
	// 2 s.
	StoreReadTimeout time.Duration

	// StoreWriteTimeout bounds one write to the Store. Writes are made in the background, after
	// the answer. Default 30 s.
	StoreWriteTimeout time.Duration

	// StoreQueue and StoreQueueBytes bound the writes waiting to be made, in number and in bytes
	// of pictures; a write beyond them is dropped (logged and counted in Stats). Default 1000
	// writes and 16 MiB.
	StoreQueue      int
	StoreQueueBytes int64

	// StoreSweep is how often the Store's entries older than RefreshPeriod + StaleIfError (+ an
	// hour) are deleted, by one node of a cluster. Default 6 hours; negative: never, for a bucket
	// whose lifecycle rules expire them.
	StoreSweep time.Duration

	// Defaults are the default pictures (d_<name>) by name: the bytes of a JPEG, PNG, GIF or WebP
	// image within Limits. They stand in, transformed like the original would be, when the network
	// has no picture for a user or only its generic one. "identicon" is built in. The same on every
	// node of a cluster.
	Defaults map[string][]byte

	// MaxAvatars bounds the avatars a node remembers besides the cached values (the last good
	// picture of each, for stale-if-error, and what their keys resolve to). Default 100,000, some
	// 250 bytes each.
	MaxAvatars int

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
	// Kubernetes headless service, and calls SetPeers with the result and Peers. Needs Self and
	// PeerSecret. Close stops it.
	PeerDiscovery *DNSDiscovery

	// PeerSecret authenticates the nodes to each other: every peer request carries an HMAC-SHA256
	// of its method, path and time, keyed with it; the secret itself never travels. Use 16 random
	// bytes or more (New logs a warning below MinPeerSecretLen), the same on every node.
	// Required as soon as the cluster can have two nodes (Peers names another node, or
	// PeerDiscovery is set).
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

	// Observer, when set, is told the durations of the work the cache does — origin calls,
	// transforms, analyses, asks of a peer — for metrics (observe.go). Default: none.
	Observer Observer

	// TracerProvider, when set, traces the cache's work with OpenTelemetry: a span for each load
	// of an original (with its read of the store, and the providers' lookups and downloads),
	// analysis, transform and ask of a peer, whose trace context travels to the peer so that a
	// slow avatar can be followed across nodes (trace.go). Default: none, and no span is made.
	TracerProvider trace.TracerProvider
}

// Cache is an avatar cache. It is safe for concurrent use.
type Cache struct {
	providers    map[string]fetch.Provider
	defaults     map[string]defaultImage
	period       time.Duration
	negativeTTL  time.Duration
	errorRetry   time.Duration
	staleIfError time.Duration
	maxErrRetry  time.Duration
	timeout      time.Duration
	limits       imageops.Limits
	name         string
	now          func() time.Time
	log          *slog.Logger
	work         *budget
	heldMu       sync.Mutex
	held         map[string]*held // ETag -> the room a body being sent holds (Hold)

	originals     *groupcache.Group
	indexes       *groupcache.Group
	analysisGroup *groupcache.Group
	variants      *groupcache.Group
	probation     *groupcache.Group
	door          *doorkeeper
	computing     singleflight.Group // variant key -> its computation, shared by the variants and probation groups
	justMade      justMade           // the variants computed in the last moments (admission.go)

	// transform is imageops.TransformWith; tests replace it to watch the semaphore.
	transform func(context.Context, []byte, imageops.Chain, imageops.Format, imageops.Limits, imageops.Options) (*imageops.Output, error)

	// What this node remembers besides the groups' values (fresh.go).
	memo        *lruMap // avatar key -> entry: the index entries this node has seen
	good        *lruMap // "type|id" -> goodPicture
	failures    failureMemo
	notVersions failureMemo // version keys no cache of the cluster holds: cache busters
	ovMu        sync.Mutex
	overrides   map[string]override // "type|id" -> override
	lastVersion atomic.Uint64
	holdMu      sync.Mutex
	holds       map[string]time.Time // type -> until when the fleet knows its network holds us off (holds.go)
	refreshMu   sync.Mutex
	refreshing  map[string]*refreshCall // "type|id" -> the forced refresh in flight, or made last (fresh.go)

	store      *storeTier // nil without Config.Store
	storePeeks *lruMap    // "type|id" -> storePeek

	originFetches  atomic.Int64
	unchanged      atomic.Int64 // origin fetches whose network said the picture had not changed (revalidate.go)
	transforms     atomic.Int64
	analyses       atomic.Int64
	staleServed    atomic.Int64
	defaultsServed atomic.Int64
	refreshes      atomic.Int64
	holdsTaken     atomic.Int64
	coalesced      atomic.Int64
	notForwarded   atomic.Int64 // keys a peer asked for that this node loaded instead of asking their owner
	peekMisses     atomic.Int64 // peeks a peer answered with "not cached": groupcache counts them as peer errors
	probationLoads atomic.Int64
	promoted       atomic.Int64

	// Peers.
	groups      [numGroups]*group
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
	bg            sync.WaitGroup // background work: broadcasts, pulls
	startPulled   chan struct{}  // closed once the pull of the peers' overrides at start is over

	servedForPeers   atomic.Int64
	peerAuthRefusals atomic.Int64
	peerBadRequests  atomic.Int64

	// What the operators see (observe.go, trace.go, catalog.go, ready.go).
	cacheBytes int64
	outcomes   map[string]*outcomeCounts // type -> its origin calls by outcome
	limited    map[string]time.Time      // type -> until when its network holds this node off; holdMu
	loads      *recentLoads
	observer   Observer
	tracer     trace.Tracer // nil: no tracing
	catalog    *catalog
	ready      readiness
}

// defaultImage is one of Config.Defaults.
type defaultImage struct {
	bytes []byte
	hash  string // 16 hex digits of its SHA-256
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
	case cfg.RefreshPeriod < time.Second:
		return nil, fmt.Errorf("cache: RefreshPeriod %v is shorter than a second", cfg.RefreshPeriod)
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
	switch {
	case cfg.WorkBytes == 0:
		cfg.WorkBytes = DefaultWorkBytes
	case cfg.WorkBytes < 8<<20:
		return nil, fmt.Errorf("cache: WorkBytes %d is less than 8 MiB: too little to decode a picture", cfg.WorkBytes)
	}
	switch {
	case cfg.MaxQueueWait == 0:
		cfg.MaxQueueWait = DefaultMaxQueueWait
	case cfg.MaxQueueWait < 0:
		return nil, fmt.Errorf("cache: negative MaxQueueWait %v", cfg.MaxQueueWait)
	}
	if cfg.Limits.MaxWorkBytes <= 0 || cfg.Limits.MaxWorkBytes > cfg.WorkBytes {
		cfg.Limits.MaxWorkBytes = cfg.WorkBytes
	}
	switch {
	case cfg.NegativeTTL == 0:
		cfg.NegativeTTL = min(DefaultNegativeTTL, cfg.RefreshPeriod)
	case cfg.NegativeTTL < time.Second || cfg.NegativeTTL > cfg.RefreshPeriod:
		return nil, fmt.Errorf("cache: NegativeTTL %v: want at least a second and at most RefreshPeriod (%v)", cfg.NegativeTTL, cfg.RefreshPeriod)
	}
	switch {
	case cfg.ErrorRetry == 0:
		cfg.ErrorRetry = DefaultErrorRetry
	case cfg.ErrorRetry < time.Millisecond:
		return nil, fmt.Errorf("cache: ErrorRetry %v is shorter than a millisecond", cfg.ErrorRetry)
	}
	switch {
	case cfg.MaxErrorRetry == 0:
		cfg.MaxErrorRetry = max(DefaultMaxErrorRetry, cfg.ErrorRetry)
	case cfg.MaxErrorRetry < cfg.ErrorRetry:
		return nil, fmt.Errorf("cache: MaxErrorRetry %v is shorter than ErrorRetry (%v)", cfg.MaxErrorRetry, cfg.ErrorRetry)
	}
	if cfg.StaleIfError == 0 {
		cfg.StaleIfError = max(DefaultStaleIfError, cfg.RefreshPeriod)
	}
	if err := storeDefaults(&cfg); err != nil {
		return nil, err
	}
	switch {
	case cfg.MaxAvatars == 0:
		cfg.MaxAvatars = DefaultMaxAvatars
	case cfg.MaxAvatars < 0:
		return nil, fmt.Errorf("cache: negative MaxAvatars %d", cfg.MaxAvatars)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RefreshPeriod < time.Minute {
		cfg.Logger.Warn("avatarkit: a refresh period under a minute asks the networks for every avatar that often: for demos and tests",
			"refresh_period", cfg.RefreshPeriod)
	}

	c := &Cache{
		providers:    make(map[string]fetch.Provider, len(cfg.Providers)),
		defaults:     make(map[string]defaultImage, len(cfg.Defaults)),
		period:       cfg.RefreshPeriod,
		negativeTTL:  cfg.NegativeTTL,
		errorRetry:   cfg.ErrorRetry,
		maxErrRetry:  cfg.MaxErrorRetry,
		name:         cfg.Name,
		staleIfError: cfg.StaleIfError,
		timeout:      cfg.LoadTimeout,
		limits:       cfg.Limits,
		now:          cfg.Now,
		log:          cfg.Logger,
		work:         newBudget(cfg.WorkBytes, cfg.MaxTransforms, cfg.MaxQueueWait),
		door:         newDoorkeeper(),
		held:         map[string]*held{},
		transform:    imageops.TransformWith,
		memo:         newLRU(cfg.MaxAvatars),
		good:         newLRU(cfg.MaxAvatars),
		failures:     failureMemo{newLRU(cfg.MaxAvatars / 10)},
		notVersions:  failureMemo{newLRU(cfg.MaxAvatars / 10)},
		overrides:    map[string]override{},
		holds:        map[string]time.Time{},
		refreshing:   map[string]*refreshCall{},
		storePeeks:   newLRU(max(cfg.MaxAvatars/10, 1)),
		peerRetry:    defaultPeerRetry,
		cacheBytes:   cfg.CacheBytes,
		outcomes:     make(map[string]*outcomeCounts, len(cfg.Providers)),
		limited:      map[string]time.Time{},
		loads:        newRecentLoads(),
		observer:     cfg.Observer,
		catalog:      newCatalog(catalogAvatars),
	}
	if cfg.TracerProvider != nil {
		c.tracer = cfg.TracerProvider.Tracer(tracerName)
	}
	for name, p := range cfg.Providers {
		c.providers[name] = p
		c.outcomes[name] = new(outcomeCounts)
	}
	for name, b := range cfg.Defaults {
		if err := c.addDefault(name, b); err != nil {
			return nil, err
		}
	}
	peers, err := c.configurePeers(&cfg)
	if err != nil {
		return nil, err
	}
	if err := registerPeerPicker(); err != nil {
		return nil, err
	}
	validate := [numGroups]func(string) error{
		groupOriginals: c.validateAvatarKey,
		groupIndex:     c.validateAvatarKey,
		groupAnalyses:  c.validateSource,
		groupVariants:  c.validateVariantKey,
		groupProbation: c.validateVariantKey,
	}
	for i := range numGroups {
		c.groups[i] = &group{c: c, idx: i, wire: cfg.Name + groupSuffixes[i], local: cfg.LocalName + groupSuffixes[i], validate: validate[i]}
	}
	if c.self != "" {
		if err := c.SetPeers(peers...); err != nil {
			return nil, err
		}
	}
	if err := c.newGroups(cfg.CacheBytes); err != nil {
		return nil, err
	}
	c.closeCtx, c.closeCancel = context.WithCancel(context.Background())
	if cfg.Store != nil {
		c.store = newStoreTier(cfg.Store, &cfg, c.log)
		if cfg.StoreSweep > 0 {
			c.background(c.sweeper(cfg.StoreSweep))
		}
	}
	if d := cfg.PeerDiscovery; d != nil {
		c.discoveryDone = make(chan struct{})
		go c.discover(*d, peers)
	}
	if c.self != "" {
		c.log.Info("avatarkit: cluster node", "self", c.self, "nodes", c.Peers(), "name", cfg.Name, "discovery", cfg.PeerDiscovery != nil)
		c.startPulled = make(chan struct{})
		c.background(c.pullOverrides)
	}
	return c, nil
}

// addDefault checks a default picture and adds it.
func (c *Cache) addDefault(name string, b []byte) error {
	if name == IdenticonName {
		return fmt.Errorf("cache: Defaults[%q]: %q is the built-in identicon", name, name)
	}
	if _, err := imageops.ParseChain([]string{"d_" + name}); err != nil {
		return fmt.Errorf("cache: Defaults[%q]: want letters, digits, '_' and '-' (at most 128)", name)
	}
	if _, err := imageops.Analyze(context.Background(), b, c.limits); err != nil {
		return fmt.Errorf("cache: Defaults[%q]: %w", name, err)
	}
	sum := sha256.Sum256(b)
	c.defaults[name] = defaultImage{bytes: slices.Clone(b), hash: hex.EncodeToString(sum[:defaultHashLen/2])}
	return nil
}

var groupsMu sync.Mutex

// newGroups registers the groups, refusing names already taken (groupcache would panic), and
// shares cacheBytes out among them. The groups' pickers enter the registry before the groups
// exist: groupcache asks for a group's picker at its first Get, and only once.
func (c *Cache) newGroups(cacheBytes int64) error {
	groupsMu.Lock()
	defer groupsMu.Unlock()
	for _, g := range c.groups {
		if groupcache.GetGroup(g.local) != nil {
			return fmt.Errorf("cache: groupcache group %q already exists in this process; give each cache its own Name (or LocalName)", g.local)
		}
	}
	small := cacheBytes / 32 // index entries and analyses are a few hundred bytes each
	bytes := [numGroups]int64{
		groupOriginals: (cacheBytes - 2*small) / 2,
		groupIndex:     small,
		groupAnalyses:  small,
	}
	variants := cacheBytes - bytes[groupOriginals] - 2*small
	bytes[groupProbation] = variants / probationShare
	bytes[groupVariants] = variants - bytes[groupProbation]
	getters := [numGroups]groupcache.GetterFunc{
		groupOriginals: c.loadOriginal,
		groupIndex:     c.loadIndex,
		groupAnalyses:  c.loadAnalysis,
		groupVariants:  c.loadVariant,
		groupProbation: c.loadProbation,
	}
	for i, g := range c.groups {
		if c.self != "" {
			pickers.Store(g.local, g)
		}
		g.g = groupcache.NewGroup(g.local, bytes[i], getters[i])
	}
	c.originals, c.indexes = c.groups[groupOriginals].g, c.groups[groupIndex].g
	c.analysisGroup, c.variants = c.groups[groupAnalyses].g, c.groups[groupVariants].g
	c.probation = c.groups[groupProbation].g
	return nil
}

// Request names one variant of one avatar.
type Request struct {
	// Type is the delivery type, a key of Config.Providers.
	Type string
	// ID is the identifier in its canonical form (fetch.Provider.CheckID).
	ID string
	// Version is the version the URL asked for; 0 means none: the avatar follows the refresh
	// period. A version that a forced refresh (Refresh) made serves that refresh's picture; any
	// other version is a cache buster, and serves the picture an unversioned request would. Both
	// are immutable (Variant.Expires is zero), unless stale or a default picture, or a buster newer
	// than the picture it serves (it may be a refresh not heard of yet: fresh for a minute).
	Version uint64
	// Transformation is the canonical string of the chain (imageops.Chain.String), "" for none.
	Transformation string
	// Format is the format the URL's extension asked for; imageops.FormatOriginal for none.
	Format imageops.Format
	// Default names the default picture (d_) that stands in when the network has no picture for
	// the avatar or only its generic one: IdenticonName, or a key of Config.Defaults. "" for none.
	// Transformation holds no d_: the pixels of a variant do not depend on it.
	Default string
	// FormatAuto reports that the transformation ends in f_auto; Accept then lists the formats
	// the client accepts (from its Accept header; nil when it did not say).
	FormatAuto bool
	Accept     []imageops.Format
	// Trusted reports that the app itself asked for this variant (a URL it signed, its named
	// transformations, the untransformed picture): it is admitted to the cache at its first
	// request. Other variants are admitted at their second (admission.go).
	Trusted bool
}

// IdenticonName is the built-in default picture, d_identicon: a pattern drawn from the avatar's
// identity (imageops.Identicon).
const IdenticonName = "identicon"

// Get returns the variant r names, loading and transforming what it needs. A permanent outcome
// that is not a picture is returned as the *fetch.Error or *imageops.Error it was.
func (c *Cache) Get(ctx context.Context, r Request) (Variant, error) {
	rc := &reqCtx{Context: ctx} // the one allocation of a hit's context: it carries the variant's hint too
	since := c.loads.seq.Load()
	v, key, err := c.get(rc, r)
	v.Hit = !rc.loaded.Load() && (key == "" || !c.loads.endedSince(key, since))
	return v, err
}

// get is Get; it returns the variant key too ("" when it got none that far).
func (c *Cache) get(ctx *reqCtx, r Request) (Variant, string, error) {
	now := c.now()
	a, err := c.lookup(ctx, r, now)
	if err != nil {
		return Variant{}, "", err
	}
	e := a.e
	src := contentSource(e.meta)
	defaultName := ""
	if r.Default != "" && (e.isNoPicture() || e.class == classPicture && e.flags&flagDefault != 0) {
		defaultName = r.Default
		if src, err = c.defaultSource(r.Default, r.Type, r.ID); err != nil {
			return Variant{}, "", err
		}
		c.defaultsServed.Add(1)
	} else if e.class != classPicture {
		return Variant{}, "", e.err()
	}

	var v groupcache.ByteView
	accept := acceptField(r.FormatAuto, r.Accept)
	key := variantKey(src, r.Transformation, r.Format, accept)
	ctx.hint = a.key // no load runs with ctx now: lookup's are over
	err = c.getVariant(ctx, key, r.Trusted, &v)
	if errors.Is(err, errContentChanged) && defaultName == "" {
		// The original was evicted and loaded again since its index entry was made, and the
		// network had a new picture by then: serve that one.
		if e, err = c.reindex(ctx, a.key); err == nil {
			if e.class != classPicture {
				return Variant{}, key, e.err()
			}
			key = variantKey(contentSource(e.meta), r.Transformation, r.Format, accept)
			err = c.getVariant(ctx, key, r.Trusted, &v)
		}
	}
	if err != nil {
		return Variant{}, key, err
	}
	ve, err := decodeEntry(v)
	if err != nil {
		return Variant{}, key, err
	}
	if ve.class != classPicture {
		return Variant{}, key, ve.err()
	}
	expires := a.expires
	switch {
	case a.stale:
		expires = now.Add(c.errorRetry)
	case defaultName != "":
		// The default stands in while the network has no picture: re-checked soon.
		if d := now.Add(c.negativeTTL); expires.IsZero() || d.Before(expires) {
			expires = d
		}
	case r.Version > 0 && (a.expires.IsZero() || r.Version < uint64(e.stamp)):
		// A versioned URL is fresh for good (docs/freshness.md): a refresh's own version, or a cache
		// buster older than the picture it serves, which is then at least as new as any refresh
		// made at that version. The app that wants a newer picture changes the version.
		expires = time.Time{}
	case r.Version > 0:
		// A version newer than the picture served may be a refresh this node has not heard of,
		// whose key it could not find just now (an owner down): not pinned to this picture.
		if d := now.Add(notVersionMemo); d.Before(expires) {
			expires = d
		}
	}
	return Variant{
		ETag:        ve.meta,
		Format:      imageops.Format(ve.kind),
		Default:     e.class == classPicture && e.flags&flagDefault != 0,
		DefaultName: defaultName,
		Stale:       a.stale,
		Expires:     expires,
		body:        ve.body,
	}, key, nil
}

// avatarAt is what a request learns of its avatar before it names the variant.
type avatarAt struct {
	key     string    // the avatar key whose picture (or outcome) is served
	e       entry     // its index entry
	expires time.Time // the end of the avatar's period; zero for a pinned version
	stale   bool      // e is the last good picture, served because the current load failed
}

// lookup finds the index entry a request serves: its pinned version's, or the current key's
// (period or override), or the last good one when that fails, or a re-check's when a "no such
// user" is older than NegativeTTL.
func (c *Cache) lookup(ctx context.Context, r Request, now time.Time) (avatarAt, error) {
	// pinned: a version a forced refresh made, whose picture never changes. Any other version
	// is, as on Cloudinary, a cache buster that serves the avatar's current picture: were every
	// version its own download, anyone could make us download an avatar again and again.
	if r.Version > 0 && c.isVersion(ctx, r.Type, r.ID, r.Version, now) {
		key := versionKey(r.Type, r.ID, r.Version)
		e, err := c.indexOf(ctx, key)
		return avatarAt{key: key, e: e}, err
	}
	var a avatarAt
	a.key, a.expires = c.currentKey(r.Type, r.ID, now)
	var err error
	if a.e, err = c.indexOf(ctx, a.key); err != nil {
		if !isTransient(err) {
			return a, err
		}
		g, ok := c.staleFallback(ctx, r.Type, r.ID, a.key, now)
		if !ok {
			return a, err
		}
		c.log.Debug("avatarkit: serving the last good picture", "type", r.Type, "id", r.ID, "from", g.key, "err", err)
		c.staleServed.Add(1)
		a.key, a.e, a.stale = g.key, g.e, true
		return a, nil
	}
	if a.e.isNoPicture() && now.Unix()-a.e.stamp >= int64(c.negativeTTL/time.Second) {
		// Believed for NegativeTTL: ask again, once per NegativeTTL cluster-wide.
		pkey, _ := c.periodKey(r.Type, r.ID, now)
		if rkey := c.recheckKey(pkey, r.Type, r.ID, now); rkey != a.key {
			if re, err := c.indexOf(ctx, rkey); err == nil {
				a.key, a.e = rkey, re
				if re.class == classPicture {
					c.setOverride(r.Type+"|"+r.ID, override{key: rkey, until: a.expires})
				}
			}
		}
	}
	if a.e.class == classPicture {
		key, e, until := a.key, a.e, a.expires
		c.good.touch(r.Type+"|"+r.ID,
			func(old any) bool { return old.(goodPicture).key == key },
			func() any { return goodPicture{key: key, e: e, until: until} })
	}
	return a, nil
}

// defaultSource returns the source of the default picture name stands for.
func (c *Cache) defaultSource(name, typ, id string) (string, error) {
	if name == IdenticonName {
		return identiconSource(typ, id), nil
	}
	d, ok := c.defaults[name]
	if !ok {
		return "", &imageops.Error{Kind: imageops.KindBadParam, Param: "d_" + name, Msg: "no default image of that name is configured"}
	}
	return "d" + name + "." + d.hash, nil
}

// Stats are counters of one cache.
type Stats struct {
	// OriginFetches counts the fetches from a network this node made: a picture downloaded, or
	// an outcome learnt (no such user, no picture, a failure). A lookup that found the picture
	// unchanged downloads nothing and is counted in Unchanged instead.
	OriginFetches int64 `json:"origin_fetches"`
	// Unchanged counts the lookups that downloaded nothing: the network said the avatar still
	// had the picture the cache held (Graph's cache_key, X's picture URL), which was kept for
	// another period.
	Unchanged int64 `json:"unchanged"`
	// Transforms counts the variants this node computed.
	Transforms int64 `json:"transforms"`
	// CacheBytes is the most memory the cache's values may take (Config.CacheBytes).
	CacheBytes int64 `json:"cache_bytes"`
	// Peers is the number of nodes of the cluster as this node sees it, itself included; 0 when
	// the cache has no Self.
	Peers int `json:"peers"`
	// PeersDown is the number of peers set aside for now because they could not be reached.
	PeersDown int `json:"peers_down"`
	// PeerLoads counts the values this node asked their owners for and got (all groups).
	PeerLoads int64 `json:"peer_loads"`
	// PeerErrors counts the asks of an owner that failed (all groups): the key was then loaded
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
	// Analyses counts the face and detail analyses this node computed.
	Analyses int64 `json:"analyses"`
	// StaleServed counts the requests answered with the last good picture because the avatar's
	// refresh failed.
	StaleServed int64 `json:"stale_served"`
	// DefaultsServed counts the requests answered with a default picture (d_).
	DefaultsServed int64 `json:"defaults_served"`
	// Refreshes counts the forced refreshes this node made.
	Refreshes int64 `json:"refreshes"`
	// RateLimitHolds counts the rate limits other nodes told this node of: the network was left
	// alone here too until its reset.
	RateLimitHolds int64 `json:"rate_limit_holds"`
	// Work describes the work budget: the memory cold work holds, the queue for it and what was
	// refused because the node was busy.
	Work BudgetStats `json:"work"`
	// Admission describes the admission of variants to the cache: one-off variants are kept
	// apart, in the probation group, so that they cannot evict the popular ones.
	Admission AdmissionStats `json:"admission"`
	// RefreshesCoalesced counts the forced refreshes answered with the version of one in flight,
	// or made moments before, instead of asking the network again.
	RefreshesCoalesced int64 `json:"refreshes_coalesced"`
	// Store holds the counters of the durable store (Config.Store); Enabled is false without one.
	Store StoreStats `json:"store"`
	// OriginOutcomes counts the calls to each provider by outcome (OriginOutcomes), the outcomes
	// that happened only.
	OriginOutcomes map[string]map[string]int64 `json:"origin_outcomes,omitempty"`
	// RateLimitedUntil says, for each provider whose network holds this node off now (it
	// rate-limited this node, or another node of the fleet), until when.
	RateLimitedUntil map[string]time.Time `json:"rate_limited_until,omitempty"`
	// Originals, Index, Analyses and Variants are groupcache's own counters of the four groups.
	Originals GroupStats `json:"originals"`
	Index     GroupStats `json:"index"`
	AnalysesG GroupStats `json:"analyses_group"`
	Variants  GroupStats `json:"variants"`
	Probation GroupStats `json:"probation_group"`
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
		CacheBytes:         c.cacheBytes,
		OriginFetches:      c.originFetches.Load() - c.unchanged.Load(),
		Unchanged:          c.unchanged.Load(),
		Transforms:         c.transforms.Load(),
		ServedForPeers:     c.servedForPeers.Load(),
		PeerAuthRefusals:   c.peerAuthRefusals.Load(),
		PeerBadRequests:    c.peerBadRequests.Load(),
		Analyses:           c.analyses.Load(),
		StaleServed:        c.staleServed.Load(),
		DefaultsServed:     c.defaultsServed.Load(),
		Refreshes:          c.refreshes.Load(),
		RateLimitHolds:     c.holdsTaken.Load(),
		RefreshesCoalesced: c.coalesced.Load(),
		Work:               c.work.stats(),
		Admission:          AdmissionStats{Probation: c.probationLoads.Load(), Promoted: c.promoted.Load(), PeerPeeks: c.peekMisses.Load()},
		Originals:          groupStats(c.originals),
		Index:              groupStats(c.indexes),
		AnalysesG:          groupStats(c.analysisGroup),
		Variants:           groupStats(c.variants),
		Probation:          groupStats(c.probation),
	}
	if c.store != nil {
		s.Store = c.store.stats()
	}
	for typ, oc := range c.outcomes {
		for i := range oc {
			if n := oc[i].Load(); n > 0 {
				if s.OriginOutcomes == nil {
					s.OriginOutcomes = map[string]map[string]int64{}
				}
				if s.OriginOutcomes[typ] == nil {
					s.OriginOutcomes[typ] = map[string]int64{}
				}
				s.OriginOutcomes[typ][OriginOutcomes[i]] = n
			}
		}
	}
	s.RateLimitedUntil = c.rateLimitedUntil()
	for _, g := range []GroupStats{s.Originals, s.Index, s.AnalysesG, s.Variants, s.Probation} {
		s.PeerLoads += g.PeerLoads
		s.PeerErrors += g.PeerErrors
	}
	// A key a peer asked for is loaded here rather than passed on to the node this one thinks
	// owns it (during a change of membership): groupcache counts that as a peer error, but no
	// peer was asked.
	s.PeerErrors -= c.notForwarded.Load() + c.peekMisses.Load()
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
