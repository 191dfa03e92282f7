// Package avatarmw is avatarkit's front door: an http.Handler that serves social-network profile
// pictures under a prefix (by default /avatars/) in Cloudinary's URL grammar,
//
//	/avatars/<type>/[s--<sig>--/][<transformation>/ ...][v<version>/]<id>[.<ext>]
//
// for example /avatars/facebook/c_fill,h_90,w_90/65646572251.jpg. The first request for a picture
// downloads it from the network; later requests are served from memory (package cache).
//
// A Handler is mounted in an existing app's mux:
//
//	h, err := avatarmw.New(avatarmw.Config{Fetch: fetch.Config{XToken: os.Getenv("X_BEARER_TOKEN")}})
//	...
//	mux.Handle("/avatars/", h)
//
// avatarmw parses and checks every URL before anything else sees it, and is the one place where
// errors become HTTP statuses (see StatusOf).
package avatarmw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// Defaults of Config.
const (
	DefaultPrefix       = "/avatars/"
	DefaultMaxURLLength = 2048
	DefaultMinSendRate  = 16 << 10
	DefaultWorkBytes    = cache.DefaultWorkBytes
	DefaultMaxQueueWait = cache.DefaultMaxQueueWait
	DefaultLoadTimeout  = cache.DefaultLoadTimeout
	DefaultPeerTimeout  = cache.DefaultPeerTimeout

	// MinPeerSecretLen is the least length of Config.PeerSecret, in bytes, that New takes
	// without logging a warning.
	MinPeerSecretLen = cache.MinPeerSecretLen

	// MinSecretLen is the least length of a Config.Secrets entry, in bytes, that New takes
	// without logging a warning: a short secret can be found by trying.
	MinSecretLen = 16
)

// DNSDiscovery finds the nodes of a cluster by resolving a DNS name every few seconds, such as a
// Kubernetes headless service (Config.PeerDiscovery).
type DNSDiscovery = cache.DNSDiscovery

// Config configures a Handler. Zero values are the defaults.
type Config struct {
	// Prefix is the path the handler is mounted under, with both slashes. Default "/avatars/".
	// "/<cloud name>/image/" serves the URLs Cloudinary's SDKs build with only their host
	// changed (cname or secure_distribution), and "/image/" those they build with private_cdn.
	Prefix string

	// Fetch configures the built-in providers: their base URLs, credentials and the limits of the
	// HTTP client that downloads pictures.
	Fetch fetch.Config

	// Providers adds delivery types of the app's own, or replaces built-in ones, by type name.
	Providers map[string]fetch.Provider

	// Name names this handler's cache in the peer protocol: every node of one cluster uses the
	// same Name, and two clusters that share a network use two. Several handlers, of one cluster
	// or of several, can live in one process whatever their Names. Default "avatarkit".
	Name string

	// CacheBytes bounds the memory this node spends on cached pictures. Default 64 MiB.
	CacheBytes int64

	// RefreshPeriod is how often an avatar is checked again at its network. Default 7 days; at
	// least a second (under a minute is logged as a warning: for demos and tests).
	RefreshPeriod time.Duration

	// LoadTimeout bounds one origin fetch or one transform. Default 30 s.
	LoadTimeout time.Duration

	// MaxTransforms bounds the transforms running at once. Default GOMAXPROCS.
	MaxTransforms int

	// WorkBytes is the working-memory budget of this node: what decoding, transforming,
	// downloading and sending large responses may hold at once, on top of CacheBytes. Each
	// transform is reckoned from the picture's header before it starts; work that does not fit
	// waits briefly or is answered 503 with Retry-After, and a picture whose decoding alone needs
	// more than the whole budget is a 422 that says so. Default 128 MiB. See cache.Config.
	WorkBytes int64

	// MaxQueueWait bounds how long a request waits for room in the work budget before it is
	// answered 503 with Retry-After; a request expected to wait longer is answered at once.
	// Default 3 s.
	MaxQueueWait time.Duration

	// MinSendRate is the slowest a client may read a large response (cache.HoldThreshold bytes
	// or more), in bytes per second: its connection gets a write deadline of 10 s plus the
	// body's size at this rate, so that a client that reads slowly cannot hold the body (and the
	// room it holds in the work budget) for long. Default 16 KiB/s; negative: no deadline.
	MinSendRate int64

	// Limits bound the pictures accepted and produced: at most 2048 px a side out, 16 MiB and 50
	// megapixels in by default.
	Limits imageops.Limits

	// Secrets are the URL signing secrets (docs/security.md). The first one signs the URLs that URL
	// builds; all of them are accepted, so a secret can be rotated: add the new one first, deploy,
	// move the old one's URLs over, then drop it. A secret may not be empty; one shorter than
	// MinSecretLen is taken (Cloudinary's secrets have no minimum) with a warning in the log.
	Secrets []string

	// Restricted lists the types whose URLs must be signed (401 without a signature, 403 with a
	// wrong one). nil means every type once Secrets is set; an empty, non-nil slice restricts none.
	Restricted []string

	// StrictTransformations makes unsigned URLs of every type use named transformations only
	// (t_<name>, the built-in ones included); any other transformation needs a signature (403).
	// It needs Secrets.
	StrictTransformations bool

	// NamedTransformations are the transformations URLs name with t_<name>, by name, each a
	// transformation as a URL writes it ("c_fill,g_face,h_90,w_90/r_max"). A t_ stands alone in
	// its component and expands to its definition; definitions contain no t_. The networks' own
	// size names are built in (BuiltinTransformations: t_x_normal, t_fb_large, t_banner_web...);
	// a name defined here replaces the built-in one. With StrictTransformations they, built-in
	// ones included, are all unsigned URLs may use.
	NamedTransformations map[string]string

	// DefaultImages are the default pictures URLs name with d_<name> (letters, digits, '_', '-'):
	// the bytes of a JPEG, PNG, GIF or WebP image within Limits. A default picture is served, with
	// the URL's transformation applied, when the network has no such user, no picture, or only its
	// generic one (Facebook's silhouette, X's default picture); the response says so in
	// X-Avatar-Default and is fresh for NegativeTTL at most. d_identicon is built in: a pattern
	// drawn from the identifier, like Gravatar's.
	DefaultImages map[string][]byte

	// NegativeTTL is how long a "no such user" or "no picture" is believed before the network is
	// asked again (once per NegativeTTL for a whole cluster). Default 5 minutes (RefreshPeriod
	// when that is shorter).
	NegativeTTL time.Duration

	// ErrorRetry is how soon an avatar whose load failed is asked for again the first time: the
	// network failed, or gave an answer that may be passing (a page that is not an image, a file
	// over the limits, a body cut short). The wait doubles with each failure in a row, up to
	// MaxErrorRetry; meanwhile requests get the last good picture, or the failure. Default 1 s.
	ErrorRetry time.Duration

	// MaxErrorRetry bounds the wait between two tries of an avatar whose loads keep failing.
	// Default 5 minutes.
	MaxErrorRetry time.Duration

	// StaleIfError bounds how long past its refresh time a picture is still served when the
	// network fails. Default a day, or RefreshPeriod when that is longer; negative: never.
	StaleIfError time.Duration

	// Store, when set, keeps the originals (and the facts "no such user", "no picture") beyond the
	// life of the process: what this node fetches is written there in the background, and read
	// back before any call to a network, so that a node started again, or a new node of the
	// fleet sharing the store, serves what was fetched within its period without calling the
	// networks. Package cache/blobstore opens one on a directory or a bucket (S3, GCS, Azure).
	// A store that fails or is slow is left alone for a few seconds, with a warning in the log,
	// and never fails a request.
	Store cache.Store

	// StoreReadTimeout bounds one read of the Store, made before a call to a network: raise it
	// for a bucket far away. Default 2 s.
	StoreReadTimeout time.Duration

	// StoreSweep is how often one node deletes the Store's entries older than RefreshPeriod +
	// StaleIfError (+ an hour). Default 6 hours; negative: never, for a bucket whose lifecycle
	// rules expire them (docs/store.md).
	StoreSweep time.Duration

	// LongSignatures makes URL write 32-character SHA-256 signatures instead of Cloudinary's default
	// 8-character SHA-1 ones. Both are accepted whatever this says.
	LongSignatures bool

	// MaxURLLength is the longest request URI accepted; longer ones get 414. Default 2048 bytes.
	MaxURLLength int

	// Self is this node's base URL as the other nodes of a cluster reach it, such as
	// "http://10.0.0.5:8080". Empty: the handler is not part of a cluster and loads everything
	// itself. See cache.Config.Self.
	Self string

	// Peers are the base URLs of all the nodes of the cluster, Self included. Every node lists
	// the same nodes by the same URLs. SetPeers changes the list at run time.
	Peers []string

	// PeerDiscovery, instead of (or as well as) Peers, finds the nodes by resolving a DNS name
	// every few seconds, such as a Kubernetes headless service. See cache.DNSDiscovery.
	PeerDiscovery *DNSDiscovery

	// PeerSecret authenticates the nodes to each other on the peer endpoint (PeerHandler): 16
	// random bytes or more (New logs a warning below MinPeerSecretLen), the same on every node;
	// it never travels. Required with other nodes.
	PeerSecret string

	// PeerTimeout bounds what a peer that is down or hung costs a request, after which the key is
	// loaded locally. Default 2 s.
	PeerTimeout time.Duration

	// Now returns the current time. Default time.Now. It is also Fetch.Now, the clock of the
	// networks' rate-limit waits, unless that is set.
	Now func() time.Time

	// Logger receives server-side failures (5xx) and, at debug level, every refused request.
	// Default: silent.
	Logger *slog.Logger

	// TracerProvider, when set, traces the handler's work with OpenTelemetry: a span for each
	// request (avatarkit.request, a child of the span the request's context carries, such as
	// otelhttp's), and under it the cache's work where there is any — loads of originals, the
	// providers' lookups and downloads, reads of the store, analyses, transforms, and the asks of
	// a peer, whose trace context travels to the peer so that one request can be followed across
	// nodes (docs/operations.md). Default: none; no span is made and a hit costs nothing more.
	TracerProvider trace.TracerProvider
}

// Handler serves avatars. Create one with New; it is safe for concurrent use.
type Handler struct {
	prefix       string
	providers    map[string]fetch.Provider
	cache        *cache.Cache
	maxURLLength int
	minSendRate  int64
	limits       imageops.Limits
	named        map[string]imageops.Chain
	defaults     map[string]bool
	secrets      []string
	restricted   map[string]bool
	strict       bool
	long         bool
	now          func() time.Time
	log          *slog.Logger

	resolved resolvedMemo
	requests atomic.Int64
	codes    [len(statusCodes) + 1]atomic.Int64 // requests by status (codeIndex)
	metrics  atomic.Pointer[metrics]            // nil until Collector is called
	tracer   trace.Tracer                       // nil without Config.TracerProvider
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(cfg.Prefix, "/") || !strings.HasSuffix(cfg.Prefix, "/") {
		return nil, fmt.Errorf("avatarmw: Prefix %q must begin and end with '/'", cfg.Prefix)
	}
	switch {
	case cfg.MinSendRate == 0:
		cfg.MinSendRate = DefaultMinSendRate
	case cfg.MinSendRate < 0:
		cfg.MinSendRate = 0
	}
	switch {
	case cfg.MaxURLLength == 0:
		cfg.MaxURLLength = DefaultMaxURLLength
	case cfg.MaxURLLength < len(cfg.Prefix)+16:
		return nil, fmt.Errorf("avatarmw: MaxURLLength %d is too short for any avatar URL", cfg.MaxURLLength)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Fetch.Logger == nil {
		cfg.Fetch.Logger = cfg.Logger
	}
	if cfg.Fetch.Now == nil {
		cfg.Fetch.Now = cfg.Now // one clock for the cache's freshness and the networks' waits
	}
	providers, err := fetch.NewProviders(cfg.Fetch)
	if err != nil {
		return nil, fmt.Errorf("avatarmw: %w", err)
	}
	maps.Copy(providers, cfg.Providers)
	for name, p := range providers {
		if !isTypeName(name) {
			return nil, fmt.Errorf("avatarmw: provider type %q: want lower-case letters, digits and '_', starting with a letter", name)
		}
		if p == nil {
			return nil, fmt.Errorf("avatarmw: provider %q is nil", name)
		}
	}
	for i, s := range cfg.Secrets {
		switch {
		case s == "":
			return nil, fmt.Errorf("avatarmw: Secrets[%d] is empty", i)
		case len(s) < MinSecretLen:
			cfg.Logger.Warn("avatarkit: a URL signing secret is short: signatures made with it can be found by trying; use at least 16 random bytes",
				"secret", i, "bytes", len(s), "recommended", MinSecretLen)
		}
	}
	restricted := map[string]bool{}
	switch {
	case cfg.Restricted == nil && len(cfg.Secrets) > 0:
		for name := range providers {
			restricted[name] = true
		}
	case len(cfg.Restricted) > 0 && len(cfg.Secrets) == 0:
		return nil, errors.New("avatarmw: Restricted types need Secrets to sign their URLs with")
	default:
		for _, name := range cfg.Restricted {
			if _, ok := providers[name]; !ok {
				return nil, fmt.Errorf("avatarmw: Restricted names %q, which is not a type", name)
			}
			restricted[name] = true
		}
	}
	if cfg.StrictTransformations && len(cfg.Secrets) == 0 {
		return nil, errors.New("avatarmw: StrictTransformations needs Secrets to sign the other transformations with")
	}
	defaults := map[string]bool{cache.IdenticonName: true}
	for name := range cfg.DefaultImages {
		defaults[name] = true
	}
	named := make(map[string]imageops.Chain, len(builtinChains)+len(cfg.NamedTransformations))
	maps.Copy(named, builtinChains) // the configured ones replace them
	for name, tr := range cfg.NamedTransformations {
		ch, err := parseNamed(name, tr, cfg.Limits, defaults)
		if err != nil {
			return nil, err
		}
		named[name] = ch
	}
	if cfg.Name == "" {
		cfg.Name = cache.DefaultName
	}
	h := &Handler{}
	c, err := cache.New(cache.Config{
		Name: cfg.Name,
		// groupcache's group names are global to the process: each handler registers its groups
		// under a name of its own, and the peer protocol says Name.
		LocalName:        fmt.Sprintf("%s#%d", cfg.Name, handlerSeq.Add(1)),
		Self:             cfg.Self,
		Peers:            cfg.Peers,
		PeerDiscovery:    cfg.PeerDiscovery,
		PeerSecret:       cfg.PeerSecret,
		PeerTimeout:      cfg.PeerTimeout,
		Providers:        providers,
		CacheBytes:       cfg.CacheBytes,
		RefreshPeriod:    cfg.RefreshPeriod,
		LoadTimeout:      cfg.LoadTimeout,
		MaxTransforms:    cfg.MaxTransforms,
		WorkBytes:        cfg.WorkBytes,
		MaxQueueWait:     cfg.MaxQueueWait,
		Limits:           cfg.Limits,
		Defaults:         cfg.DefaultImages,
		NegativeTTL:      cfg.NegativeTTL,
		ErrorRetry:       cfg.ErrorRetry,
		MaxErrorRetry:    cfg.MaxErrorRetry,
		StaleIfError:     cfg.StaleIfError,
		Store:            cfg.Store,
		StoreReadTimeout: cfg.StoreReadTimeout,
		StoreSweep:       cfg.StoreSweep,
		Now:              cfg.Now,
		Logger:           cfg.Logger,
		Observer:         cacheObserver{h}, // the metrics, once Collector is called
		TracerProvider:   cfg.TracerProvider,
	})
	if err != nil {
		return nil, fmt.Errorf("avatarmw: %w", err)
	}
	*h = Handler{
		prefix:       cfg.Prefix,
		providers:    providers,
		cache:        c,
		maxURLLength: cfg.MaxURLLength,
		minSendRate:  cfg.MinSendRate,
		limits:       cfg.Limits,
		named:        named,
		defaults:     defaults,
		secrets:      slices.Clone(cfg.Secrets),
		restricted:   restricted,
		strict:       cfg.StrictTransformations,
		long:         cfg.LongSignatures,
		now:          cfg.Now,
		log:          cfg.Logger,
	}
	if cfg.TracerProvider != nil {
		h.tracer = cfg.TracerProvider.Tracer(tracerName)
	}
	return h, nil
}

// handlerSeq numbers the handlers of the process, for their groupcache names.
var handlerSeq atomic.Int64

// PeerHandler returns the peer endpoint, which the app mounts on its own listener at
// PeerBasePath ("/_avatarkit/") when the handler is a node of a cluster:
//
//	mux.Handle(h.PeerBasePath(), h.PeerHandler())
//
// It answers only the authenticated requests of the other nodes and validates every key they ask
// for again, so exposing it by mistake exposes nothing; it is never registered on
// http.DefaultServeMux. Set the server's WriteTimeout above LoadTimeout+PeerTimeout (a public
// request may wait that long for the node that owns its avatar, and then load it here), or leave
// it to the peer endpoint, which extends the write deadline of its own requests.
func (h *Handler) PeerHandler() http.Handler { return h.cache.PeerHandler() }

// PeerBasePath returns the path PeerHandler is mounted at: "/_avatarkit/".
func (h *Handler) PeerBasePath() string { return h.cache.BasePath() }

// SetPeers replaces the list of the cluster's nodes (base URLs, Self included) at run time.
func (h *Handler) SetPeers(peers ...string) error { return h.cache.SetPeers(peers...) }

// Peers returns the cluster's nodes as this node sees them, sorted; nil outside a cluster.
func (h *Handler) Peers() []string { return h.cache.Peers() }

// PingStore reports whether Config.Store can be reached now (nil without a store), for readiness
// checks. The handler serves without the store while it cannot.
func (h *Handler) PingStore(ctx context.Context) error { return h.cache.PingStore(ctx) }

// Close stops the handler's background work (peer discovery, forced refreshes being told to
// peers, the sweep of the store), makes the writes to the Store still queued (for at most 10 s),
// and closes its idle connections, to peers and to the networks. The handler keeps
// serving. groupcache cannot forget groups: the memory of a handler's cache is held for the life
// of the process, so create handlers once, at start-up.
func (h *Handler) Close() error {
	err := h.cache.Close()
	for _, p := range h.providers {
		if ic, ok := p.(fetch.IdleCloser); ok {
			ic.CloseIdleConnections()
		}
	}
	return err
}

// Header values shared by every response; net/http never modifies them.
var (
	hdrNosniff     = []string{"nosniff"}
	hdrAllow       = []string{"GET, HEAD"}
	hdrNoStore     = []string{"no-store"}
	hdrTextPlain   = []string{"text/plain; charset=utf-8"}
	hdrImmutable   = []string{"public, max-age=31536000, immutable"}
	hdrStale       = []string{"the network failed to refresh this avatar: this is the last good picture"}
	contentTypeHdr = map[imageops.Format][]string{
		imageops.JPEG: {imageops.JPEG.ContentType()},
		imageops.PNG:  {imageops.PNG.ContentType()},
		imageops.GIF:  {imageops.GIF.ContentType()},
		imageops.WebP: {imageops.WebP.ContentType()},
		imageops.AVIF: {imageops.AVIF.ContentType()},
	}
)

// Front returns a handler that serves the requests under the handler's prefix itself, as they
// came, and passes every other request to next (the app's ServeMux). Put it in front of a
// ServeMux rather than mounting the handler on it, as in
//
//	srv := &http.Server{Handler: avatars.Front(mux)}
//
// because a ServeMux cleans a path before it routes: it answers a path with "..", "." or "//"
// with a 307 redirect to the cleaned path, and avatarkit never sees it. Behind Front such a URL
// gets avatarkit's 400 naming the segment, as for any malformed URL. Mounting the handler on the
// ServeMux also works; only malformed paths are answered differently. With Prefix "/", Front
// hands every request to the handler, the peer endpoint's and the app's own included.
func (h *Handler) Front(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, h.prefix) { // decoded: "/avatars%2F…" is the handler's 400 too
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves one avatar request; docs/url.md lists its answers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	m := h.metrics.Load()
	if m == nil && h.tracer == nil {
		o := h.serve(w, r)
		h.codes[codeIndex(o.code)].Add(1)
		return
	}
	h.serveObserved(w, r, m) // metrics.go
}

// served is what ServeHTTP did with a request, for the metrics and the trace.
type served struct {
	code   int
	cached bool   // the cache was asked: the request named an avatar that passed its checks
	hit    bool   // the cache answered from this node's memory (cache.Variant.Hit)
	typ    string // the delivery type, when the URL named a known one
}

// serve serves one avatar request.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) served {
	hdr := w.Header()
	hdr["X-Content-Type-Options"] = hdrNosniff

	req, ex, err := h.parseRequest(r)
	if err != nil {
		return served{code: h.fail(w, r, err)}
	}
	if ex.vary != nil {
		hdr["Vary"] = ex.vary
	}
	if ex.acceptCH != nil {
		hdr["Accept-Ch"] = ex.acceptCH
	}
	v, err := h.cache.Get(r.Context(), req)
	if err != nil {
		return served{code: h.fail(w, r, err), cached: true, hit: v.Hit, typ: req.Type}
	}
	inm := r.Header.Get("If-None-Match")
	notModified := inm != "" && etagListMatches(inm, v.ETag)
	sending := !notModified && r.Method != http.MethodHead
	if sending {
		// A large body holds room in the work budget while it is sent: a slow reader must not
		// keep it in memory after the cache let it go, beyond what the budget allows.
		release, err := h.cache.Hold(r.Context(), v)
		if err != nil {
			return served{code: h.fail(w, r, err), cached: true, hit: v.Hit, typ: req.Type}
		}
		defer release()
	}

	if ct, ok := contentTypeHdr[v.Format]; ok {
		hdr["Content-Type"] = ct
	}
	hdr["Etag"] = []string{v.ETag}
	switch {
	case v.Expires.IsZero():
		hdr["Cache-Control"] = hdrImmutable
	case ex.immutable && !v.Stale && v.DefaultName == "": // fl_immutable_cache, not for a stand-in
		hdr["Cache-Control"] = []string{"public, max-age=" + strconv.FormatInt(maxAge(v.Expires, h.now()), 10) + ", immutable"}
	default:
		hdr["Cache-Control"] = []string{"public, max-age=" + strconv.FormatInt(maxAge(v.Expires, h.now()), 10)}
	}
	if ex.attachment != "" { // fl_attachment
		hdr["Content-Disposition"] = []string{`attachment; filename="` + ex.attachment + "." + v.Format.String() + `"`}
	}
	if v.DefaultName != "" {
		hdr["X-Avatar-Default"] = []string{v.DefaultName}
	}
	if v.Stale {
		hdr["X-Avatar-Stale"] = hdrStale
	}
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return served{code: http.StatusNotModified, cached: true, hit: v.Hit, typ: req.Type}
	}
	hdr["Content-Length"] = []string{strconv.Itoa(v.Len())}
	if sending && h.minSendRate > 0 && v.Len() >= cache.HoldThreshold {
		defer h.sendDeadline(w, v.Len())()
	}
	w.WriteHeader(http.StatusOK)
	if sending {
		v.WriteTo(w) //nolint:errcheck // the client went away; nothing to tell it
	}
	return served{code: http.StatusOK, cached: true, hit: v.Hit, typ: req.Type}
}

// sendGrace is the time a large body may take to be sent on top of its size at MinSendRate.
const sendGrace = 10 * time.Second

// sendDeadline gives the connection a write deadline for sending n bytes at MinSendRate, and
// returns the function that lifts it when the body is written. Where the writer cannot take a
// deadline (not a net/http server), nothing is done.
func (h *Handler) sendDeadline(w http.ResponseWriter, n int) func() {
	rc := http.NewResponseController(w)
	d := sendGrace + time.Duration(float64(n)/float64(h.minSendRate)*float64(time.Second))
	if rc.SetWriteDeadline(time.Now().Add(d)) != nil {
		return func() {}
	}
	// Lifted, not restored: net/http sets the next request's deadline (WriteTimeout) itself, and
	// without a WriteTimeout this one would cut the connection's later responses short.
	return func() { rc.SetWriteDeadline(time.Time{}) } //nolint:errcheck // as above
}

// parseRequest checks everything that can be checked without the network and names the variant.
// The query string is not part of an avatar URL's meaning: Cloudinary's SDKs add one (?_a=…,
// their analytics) to every URL, and it is ignored — not signed, not in the cache key.
func (h *Handler) parseRequest(r *http.Request) (cache.Request, *resolved, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return cache.Request{}, nil, &statusError{code: http.StatusMethodNotAllowed, msg: fmt.Sprintf("method %s not allowed: use GET or HEAD", r.Method)}
	}
	if n := len(r.RequestURI); n > h.maxURLLength {
		return cache.Request{}, nil, &statusError{code: http.StatusRequestURITooLong, msg: fmt.Sprintf("URL is %d bytes long; the limit is %d", n, h.maxURLLength)}
	}
	p := r.URL.EscapedPath()
	if !strings.HasPrefix(p, h.prefix) {
		if i := strings.IndexByte(p, '%'); i >= 0 && strings.HasPrefix(r.URL.Path, h.prefix) { // "/avatars%2F…", from Front
			return cache.Request{}, nil, &URLError{Part: segmentAt(p, i), Msg: "percent-encoded characters are not allowed in avatar URLs"}
		}
		return cache.Request{}, nil, &statusError{code: http.StatusNotFound, msg: fmt.Sprintf("not an avatar URL: the path does not start with %s", h.prefix)}
	}
	rest := p[len(h.prefix):]
	if i := strings.IndexByte(rest, '%'); i >= 0 {
		if sent, _, _ := strings.Cut(r.RequestURI, "?"); !strings.Contains(sent, "%") {
			// The client sent no '%': net/http escaped bytes that are not URL characters.
			return cache.Request{}, nil, &URLError{Part: segmentAt(rest, i), Msg: "only the characters A-Z a-z 0-9 _ ~ . , : - and / are allowed in avatar URLs (others shown percent-escaped)"}
		}
	}
	ex, ok := h.resolved.get(rest)
	if !ok {
		pp, err := parsePath(rest)
		if err != nil {
			return cache.Request{}, nil, err
		}
		if ex, err = h.resolve(pp); err != nil {
			return cache.Request{}, nil, err
		}
		h.resolved.add(rest, ex)
	}
	req := ex.req
	if ex.hinted {
		c := ex.chain.ResolveHints(hintsOf(r, ex.chain), h.limits)
		if err := c.Check(h.limits); err != nil {
			return cache.Request{}, nil, err
		}
		req.Transformation = c.String()
	}
	if req.FormatAuto {
		req.Accept = acceptedFormats(r.Header.Values("Accept"))
	}
	return req, ex, nil
}

// resolvedMemo remembers the paths that resolved, and what to: the same URLs come again and
// again, and parsing, checking and naming one is most of what a cache hit costs. What a path
// resolves to depends on the path and the handler's configuration alone; the Accept header of
// f_auto and the client hints of w_auto and dpr_auto are read per request.
type resolvedMemo struct {
	m sync.Map // path after the prefix -> *resolved
	n atomic.Int64
}

// resolved is what a path resolves to: the variant it names, Accept and client hints aside, and
// how its answer is delivered. It is shared by the requests of that path and never modified.
type resolved struct {
	req cache.Request
	// hinted reports that the transformation has w_auto or dpr_auto: chain is then resolved with
	// each request's client hints to name the variant.
	hinted bool
	chain  imageops.Chain
	// vary and acceptCH are the Vary and Accept-CH headers of the answers (nil: none).
	vary, acceptCH []string
	// attachment is the file name (without extension) fl_attachment offers; "" without it.
	attachment string
	// immutable is fl_immutable_cache.
	immutable bool
}

// maxResolved bounds resolvedMemo, some 300 bytes an entry; past it the memo starts again.
const maxResolved = 10000

func (m *resolvedMemo) get(path string) (*resolved, bool) {
	v, ok := m.m.Load(path)
	if !ok {
		return nil, false
	}
	return v.(*resolved), true
}

func (m *resolvedMemo) add(path string, r *resolved) {
	if m.n.Add(1) > maxResolved {
		m.m.Clear()
		m.n.Store(1)
	}
	m.m.Store(path, r)
}

// resolve checks a parsed path against the handler's providers, signatures, named
// transformations, default pictures and limits, and names the variant (Accept and client hints
// aside).
func (h *Handler) resolve(r parsed) (*resolved, error) {
	a, chain := r.Avatar, r.chain
	p, ok := h.providers[a.Type]
	if !ok {
		return nil, &URLError{Part: a.Type, Msg: "unknown type: want one of " + strings.Join(h.typeNames(), ", ")}
	}
	if err := h.checkSignature(r); err != nil {
		return nil, err
	}
	id, err := p.CheckID(a.ID)
	if err != nil {
		return nil, err
	}
	// A variant the app itself asks for is cached at its first request; others at their second,
	// so that one-off variants cannot evict the popular ones (see cache.Request.Trusted).
	trusted := r.Signature != "" || r.named || a.Transformation == ""
	req := cache.Request{Type: a.Type, ID: id, Version: a.Version, Transformation: a.Transformation, Trusted: trusted}
	var changed bool // by t_, d_ or a delivery flag: the canonical string is written again
	if req.Default, chain, changed, err = h.checkChain(chain); err != nil {
		return nil, err
	}
	ex := &resolved{}
	ex.attachment, ok = chain.Attachment()
	if ok && ex.attachment == "" {
		ex.attachment = id
	}
	ex.immutable = chain.Flags()&imageops.FlagImmutableCache != 0
	if ex.attachment != "" || ex.immutable { // how the answer is delivered, not its pixels
		chain, changed = chain.WithoutDelivery(), true
	}
	if changed {
		req.Transformation = chain.String()
	}
	req.FormatAuto = chain.FormatAuto()
	if a.Format != "" {
		if req.Format, err = imageops.ParseFormat(a.Format); err != nil {
			return nil, err
		}
	}
	width, dpr := chain.UsesHints()
	if width || dpr {
		ex.hinted, ex.chain = true, chain
	}
	ex.vary, ex.acceptCH = hintHeaders(req.FormatAuto, width, dpr)
	ex.req = req
	return ex, nil
}

// checkChain checks a parsed transformation against the handler's named transformations, default
// pictures and limits. It returns the default picture's name (d_) and the chain with t_ expanded
// and d_ taken out; changed reports that it differs from chain.
func (h *Handler) checkChain(chain imageops.Chain) (def string, out imageops.Chain, changed bool, err error) {
	for _, s := range chain.Steps {
		changed = changed || s.Named != "" || s.Default != ""
	}
	if changed {
		if chain, err = chain.Expand(h.named); err != nil {
			return "", imageops.Chain{}, false, err
		}
		if def, chain = takeDefault(chain); def != "" && !h.defaults[def] {
			return "", imageops.Chain{}, false, &URLError{Part: "d_" + def,
				Msg: "no default image of that name: configure it in Config.DefaultImages, or use d_identicon"}
		}
	}
	if err := chain.Check(h.limits); err != nil {
		return "", imageops.Chain{}, false, err
	}
	return def, chain, changed, nil
}

func (h *Handler) typeNames() []string {
	names := make([]string, 0, len(h.providers))
	for name := range h.providers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// headerText returns reason as a header may carry it: printable ASCII, with "×" written "x", "…"
// "..." and "−" "-", any other character "?". The body carries the same text.
func headerText(reason string) string {
	ascii := true
	for i := 0; i < len(reason); i++ {
		if c := reason[i]; c < 0x20 || c > 0x7e {
			ascii = false
			break
		}
	}
	if ascii {
		return reason
	}
	var b strings.Builder
	for _, r := range reason {
		switch {
		case r == '×':
			b.WriteByte('x')
		case r == '…':
			b.WriteString("...")
		case r == '−':
			b.WriteByte('-')
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// fail writes an error response: the status StatusOf gives, the reason in the body and in
// X-Avatar-Error. It returns the status.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) int {
	code, reason, retryAfter := StatusOf(err)
	reason = headerText(reason)
	hdr := w.Header()
	hdr["Content-Type"] = hdrTextPlain
	hdr["Cache-Control"] = hdrNoStore
	hdr["X-Avatar-Error"] = []string{reason}
	if code == http.StatusMethodNotAllowed {
		hdr["Allow"] = hdrAllow
	}
	if retryAfter > 0 {
		hdr["Retry-After"] = []string{strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10)}
	}
	body := reason + "\n"
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write([]byte(body)) //nolint:errcheck // the client went away
	}
	if code >= 500 {
		h.log.Warn("avatarkit: request failed", "path", r.URL.Path, "status", code, "err", err)
	} else {
		h.log.Debug("avatarkit: request refused", "path", r.URL.Path, "status", code, "reason", reason)
	}
	return code
}

// Stats are the handler's counters.
type Stats struct {
	// Requests counts the requests this handler served, whatever their outcome.
	Requests int64 `json:"requests"`
	// Responses counts them by status ("200", "304", "404", …, "other"), the statuses given only.
	Responses map[string]int64 `json:"responses"`
	// Stats holds the cache's counters: origin fetches, transforms and groupcache's own.
	cache.Stats
}

// Stats returns the handler's counters.
func (h *Handler) Stats() Stats {
	s := Stats{Requests: h.requests.Load(), Responses: map[string]int64{}, Stats: h.cache.Stats()}
	for i := range h.codes {
		if n := h.codes[i].Load(); n > 0 {
			s.Responses[codeLabel(i)] = n
		}
	}
	return s
}

// URL returns the URL path (prefix included) of a, in canonical form, after checking it as a
// request would be checked: the type must exist, the identifier follow its type's rule (it is
// written in its canonical form), and the transformation name only configured named
// transformations (t_) and default pictures (d_) and stay within Config.Limits. When the handler
// has Secrets, the URL is signed with the first one, so it is accepted whatever the restrictions;
// a.Signature is ignored.
func (h *Handler) URL(a Avatar) (string, error) {
	a.Signature = ""
	unsigned, err := a.Path()
	if err != nil {
		return "", err
	}
	pp, err := parsePath(unsigned)
	if err != nil {
		return "", err
	}
	p, ok := h.providers[a.Type]
	if !ok {
		return "", &URLError{Part: a.Type, Msg: "unknown type: want one of " + strings.Join(h.typeNames(), ", ")}
	}
	id, err := p.CheckID(a.ID)
	switch {
	case err == nil:
		a.ID = id
	case errors.Is(err, fetch.ErrNotConfigured):
		// The URL is right; the server cannot serve it yet, and will say so.
	default:
		return "", err
	}
	if _, _, _, err := h.checkChain(pp.chain); err != nil {
		return "", err
	}
	if len(h.secrets) > 0 {
		if unsigned, err = a.Path(); err != nil { // the identifier in its canonical form
			return "", err
		}
		if pp, err = parsePath(unsigned); err != nil {
			return "", err
		}
		a.Signature = Sign(h.secrets[0], pp.signed, h.long)
	}
	path, err := a.Path()
	if err != nil {
		return "", err
	}
	return h.prefix + path, nil
}

// maxAge returns the whole seconds from now until expires, at least 0.
func maxAge(expires, now time.Time) int64 {
	d := expires.Sub(now)
	if d <= 0 {
		return 0
	}
	return int64(d / time.Second)
}

// etagListMatches reports whether an If-None-Match value matches etag: "*", or a comma-separated
// list of entity tags compared weakly (RFC 9110 §13.1.2: W/"x" matches "x").
func etagListMatches(list, etag string) bool {
	for list != "" {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		if list[0] == '*' {
			return true
		}
		weak := strings.HasPrefix(list, "W/")
		if weak {
			list = list[2:]
		}
		if list == "" || list[0] != '"' {
			return false // malformed: match nothing rather than guess
		}
		end := strings.IndexByte(list[1:], '"')
		if end < 0 {
			return false
		}
		if list[:end+2] == etag {
			return true
		}
		list = list[end+2:]
	}
	return false
}
