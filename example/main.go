// Command example is an ordinary Go web app with routes of its own and avatarkit mounted under
// /avatars/. With -demo it starts a fake social network in-process and runs offline:
//
//	go run ./example -demo
//
// then open http://127.0.0.1:8080/.
//
// Several copies make one cluster that shares one deduplicated cache: give each its own -self,
// all of them the same -peers (or -peers-dns) and the same -peer-secret:
//
//	export AVATAR_PEER_SECRET=$(openssl rand -hex 16)
//	go run ./example -demo -addr 127.0.0.1:8081 -self http://127.0.0.1:8081 -peers http://127.0.0.1:8081,http://127.0.0.1:8082
//	go run ./example -demo -addr 127.0.0.1:8082 -self http://127.0.0.1:8082 -peers http://127.0.0.1:8081,http://127.0.0.1:8082
//
// The nodes talk to each other under /_avatarkit/ on the same listener.
//
// With -store, what a node fetches survives it: stopped and started again with the same store, or
// a new node of the fleet, it serves what was fetched within its refresh period without calling
// the networks. A directory serves one machine; a bucket serves a fleet:
//
//	go run ./example -demo -store /tmp/avatarkit-store
//	go run ./example -store 's3://my-bucket?region=eu-west-1&prefix=avatarkit/' ...
//
// For operators it serves /metrics (Prometheus), /healthz, /readyz, with -admin-token an admin
// page at /admin/ listing the avatars held, and with -pprof the profiles under /debug/pprof/
// (docs/operations.md).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	// The drivers of the store's bucket URLs (-store): the app links the SDKs of the clouds it
	// may use; avatarkit's own packages link none.
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/avatarkit/avatarkit/avatarmw"
	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if underGoRun() {
		// Stop with `go run`, which keeps SIGTERM to itself.
		var cancel context.CancelFunc
		ctx, cancel = untilParentExits(ctx, os.Getppid, 500*time.Millisecond)
		defer cancel()
	}
	if err := run(ctx, os.Args[1:], env{stderr: os.Stderr, setMemoryLimit: debug.SetMemoryLimit}); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0) // -h: the usage is printed
		}
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	addr          string
	demo          bool
	facebookURL   string
	facebookToken string
	xURL          string
	xToken        string
	gravatarURL   string
	cacheMB       int64
	workMB        int64
	queueWait     time.Duration
	refresh       time.Duration
	secret        string
	restricted    []string // nil: every type when secret is set

	// Cluster.
	self          string                 // this node's base URL; "" outside a cluster
	peers         []string               // -peers, as given
	peerDiscovery *avatarmw.DNSDiscovery // -peers-dns
	peerSecret    string
	peerTimeout   time.Duration

	adminToken string // -admin-token: the admin endpoint's bearer token; "" leaves it unmounted
	store      string // -store: a directory or a bucket URL; "" for none
	pprof      bool   // -pprof: mount net/http/pprof under /debug/pprof/
}

// adminPrefix is where the admin endpoint is mounted.
const adminPrefix = "/admin/avatars/"

// usage is printed above the flags by -h.
const usage = `Usage: example [flags]

An ordinary Go web app with avatarkit mounted under /avatars/; -demo runs it offline.

Cluster: several nodes share one deduplicated cache. Start each with its own -self, the same
-peers (or -peers-dns) and the same -peer-secret; they talk under /_avatarkit/ on -addr.

Flags:
`

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	// Flags whose default comes from the environment are declared with an empty default and read
	// the variable after parsing, so that -h never prints a secret.
	fromEnv := map[string]string{}
	envString := func(p *string, name, variable, help string) {
		fs.StringVar(p, name, "", help+" (default $"+variable+")")
		fromEnv[name] = variable
	}
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.BoolVar(&o.demo, "demo", false, "start the built-in fake social network in-process and point every provider at it: runs offline, no credentials")
	fs.StringVar(&o.facebookURL, "facebook-url", "https://graph.facebook.com/v19.0", "Graph API base, version included")
	envString(&o.facebookToken, "facebook-token", "FACEBOOK_ACCESS_TOKEN", "Graph API access token")
	fs.StringVar(&o.xURL, "x-url", "https://api.x.com", "X API base")
	envString(&o.xToken, "x-token", "X_BEARER_TOKEN", "X API bearer token")
	fs.StringVar(&o.gravatarURL, "gravatar-url", "https://www.gravatar.com", "Gravatar base")
	fs.Int64Var(&o.cacheMB, "cache-mb", 64, "cache size of this node, in MiB")
	fs.DurationVar(&o.queueWait, "queue-wait", avatarmw.DefaultMaxQueueWait, "the longest a request waits for room to decode and transform before it is answered 503 with Retry-After")
	fs.Int64Var(&o.workMB, "work-mb", 128, "memory budget for decoding and transforming at once on this node, in MiB (at least 8): work beyond it waits briefly or gets 503 with Retry-After")
	fs.DurationVar(&o.refresh, "refresh", 168*time.Hour, "refresh period: how often an avatar is checked again at its network (at least 1s; under a minute is for demos)")
	fs.StringVar(&o.store, "store", "", "durable store for originals, so that a restart or a new node calls no network for what was fetched within its period: a directory path or file:// URL, "+
		"or a bucket URL shared by the fleet (s3://bucket?region=…, gs://bucket, azblob://container, mem://; a prefix= parameter keeps the objects under a prefix)")
	envString(&o.secret, "secret", "AVATAR_SECRET", "URL signing secret (16 random bytes or more; a shorter one is taken with a warning)")
	restricted := fs.String("restricted", "", "comma-separated types that need signed URLs, or \"none\" (default: every type when -secret is set)")
	fs.StringVar(&o.self, "self", "", "this node's base `URL` as the other nodes reach it, such as http://10.0.0.5:8080: makes the app a node of a cluster and mounts the peer endpoint at /_avatarkit/")
	peers := fs.String("peers", "", "comma-separated base `URLs` of all the cluster's nodes, this one (-self) included, the same list on every node (needs -self)")
	peersDNS := fs.String("peers-dns", "", "find the cluster's nodes by resolving a DNS `name:port` every 5s, such as a Kubernetes headless service, "+
		"avatarkit.default.svc.cluster.local:8080: each address found is the node <scheme of -self>://<address>:<port>, so -self must be this node's IP address in that form, "+
		"such as http://$POD_IP:8080 (needs -self; combines with -peers)")
	fs.DurationVar(&o.peerTimeout, "peer-timeout", avatarmw.DefaultPeerTimeout, "how long a node waits for a peer that does not answer (no connection, no response header or heartbeat) before it loads the avatar itself and sets the peer aside for a few seconds; the same on every node")
	envString(&o.peerSecret, "peer-secret", "AVATAR_PEER_SECRET", "shared secret that authenticates the nodes to each other, 16 random bytes or more, the same on every node; required with -peers and -peers-dns")
	envString(&o.adminToken, "admin-token", "AVATAR_ADMIN_TOKEN", "bearer token (16 random bytes or more) of the admin endpoint POST "+adminPrefix+"<type>/<id>/refresh, which forces a refresh and answers {\"version\": n}, "+
		"and GET "+adminPrefix+", which lists the avatars held (the page /admin/ shows them); without it neither is mounted")
	fs.BoolVar(&o.pprof, "pprof", false, "mount net/http/pprof under /debug/pprof/ (CPU and heap profiles, goroutines) on the app's listener")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, variable := range fromEnv {
		if !set[name] {
			fs.Set(name, os.Getenv(variable)) //nolint:errcheck // a string flag takes any value
		}
	}
	switch *restricted {
	case "":
	case "none":
		o.restricted = []string{}
	default:
		if o.secret == "" {
			return o, errors.New("-restricted needs -secret to sign URLs with")
		}
		o.restricted = strings.Split(*restricted, ",")
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.cacheMB <= 0 {
		return o, fmt.Errorf("-cache-mb %d: want a positive number of MiB", o.cacheMB)
	}
	if o.queueWait <= 0 {
		return o, fmt.Errorf("-queue-wait %v: want a positive duration", o.queueWait)
	}
	if o.workMB < 8 {
		return o, fmt.Errorf("-work-mb %d: want at least 8 MiB", o.workMB)
	}
	if o.refresh < time.Second {
		return o, fmt.Errorf("-refresh %v: want a second or more", o.refresh)
	}
	if err := o.parseCluster(*peers, *peersDNS); err != nil {
		return o, err
	}
	return o, nil
}

// parseCluster checks -self, -peer-secret and the nodes given by -peers and -peers-dns. The URLs
// themselves are checked by avatarmw.New.
func (o *options) parseCluster(peers, peersDNS string) error {
	for p := range strings.SplitSeq(peers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.peers = append(o.peers, p)
		}
	}
	if peers != "" && len(o.peers) == 0 {
		return fmt.Errorf("-peers %q lists no node: want comma-separated base URLs such as http://10.0.0.5:8080,http://10.0.0.6:8080", peers)
	}
	if peersDNS != "" {
		host, port, err := net.SplitHostPort(peersDNS)
		n, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("-peers-dns %q: want name:port, such as avatarkit.default.svc.cluster.local:8080", peersDNS)
		}
		o.peerDiscovery = &avatarmw.DNSDiscovery{Name: host, Port: n, Scheme: "http"}
	}
	clustered := len(o.peers) > 0 || o.peerDiscovery != nil
	if o.self == "" {
		switch {
		case len(o.peers) > 0:
			return errors.New("-peers needs -self: this node's own base URL, as the other nodes reach it (e.g. -self http://10.0.0.5:8080)")
		case o.peerDiscovery != nil:
			return errors.New("-peers-dns needs -self: this node's own IP address in the form discovery yields (e.g. -self http://$POD_IP:8080)")
		}
		return nil // -peer-secret (or $AVATAR_PEER_SECRET) alone has nothing to do
	}
	u, err := url.Parse(o.self)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-self %q: want this node's base URL, such as http://10.0.0.5:8080", o.self)
	}
	if o.peerDiscovery != nil {
		o.peerDiscovery.Scheme = u.Scheme
	}
	switch {
	case clustered && o.peerSecret == "":
		return errors.New("-peers and -peers-dns need -peer-secret (or $AVATAR_PEER_SECRET): the nodes authenticate each other with it; use the same random string of 16 bytes or more on every node")
	case o.peerTimeout < 10*time.Millisecond || o.peerTimeout > time.Minute:
		return fmt.Errorf("-peer-timeout %v: want between 10ms and 1m", o.peerTimeout)
	}
	return nil
}

// redactQuery drops the query of a bucket URL, where a credential may travel, for the log.
func redactQuery(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?…"
	}
	return s
}

// env is what run gets from its caller besides the command line.
type env struct {
	stderr io.Writer     // logs and flag errors
	ready  chan<- string // when not nil, receives the listening address
	name   string        // the handler's Name (avatarmw.Config.Name), the same on every node of a cluster

	// setMemoryLimit, when not nil, is debug.SetMemoryLimit: the process is the app's own, not a
	// test's.
	setMemoryLimit func(int64) int64

	// lookupHost, when not nil, replaces the DNS resolver of -peers-dns (tests).
	lookupHost func(ctx context.Context, host string) ([]string, error)
}

// writeTimeout returns the server's WriteTimeout. An avatar request may wait for the node that owns
// the avatar (at most LoadTimeout+PeerTimeout, while that node answers with heartbeats) and, when
// it fails, load the avatar here (LoadTimeout again); on top of that, the time to send the picture.
// The peer endpoint extends its own requests' deadline by itself.
func writeTimeout(peerTimeout time.Duration) time.Duration {
	return 2*(avatarmw.DefaultLoadTimeout+peerTimeout) + 10*time.Second
}

// memoryHeadroom is what a node needs besides its cache and its work budget: the Go runtime, the
// avatars it remembers (cache.Config.MaxAvatars), connections, small responses being sent.
const memoryHeadroom = 64 << 20

// setMemoryLimit sets Go's memory limit to the cache, the work budget and the headroom, so that
// the collector works harder rather than let garbage take the process beyond what it was given;
// avatarkit's budgets keep what is live within it. An explicit GOMEMLIMIT wins.
func setMemoryLimit(log *slog.Logger, o options, set func(int64) int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		log.Info("memory limit from GOMEMLIMIT", "limit_mib", set(-1)>>20)
		return
	}
	limit := o.cacheMB<<20 + o.workMB<<20 + memoryHeadroom
	set(limit)
	log.Info("memory limit", "limit_mib", limit>>20, "cache_mib", o.cacheMB, "work_mib", o.workMB)
}

// run runs the app until ctx is done.
func run(ctx context.Context, args []string, e env) error {
	stderr, ready := e.stderr, e.ready
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if e.setMemoryLimit != nil {
		setMemoryLimit(log, o, e.setMemoryLimit)
	}

	fc := fetch.Config{
		FacebookURL:   o.facebookURL,
		FacebookToken: o.facebookToken,
		XURL:          o.xURL,
		XToken:        o.xToken,
		GravatarURL:   o.gravatarURL,
	}
	if o.demo {
		fake := fetchtest.NewServer()
		defer fake.Close()
		fc = fake.FetchConfig()
		log.Info("demo mode: every provider points at the built-in fake social network", "fake", fake.URL)
	}

	cfg := avatarmw.Config{
		Name:          e.name,
		Fetch:         fc,
		CacheBytes:    o.cacheMB << 20,
		WorkBytes:     o.workMB << 20,
		MaxQueueWait:  o.queueWait,
		RefreshPeriod: o.refresh,
		Restricted:    o.restricted,
		Logger:        log,
	}
	if o.secret != "" {
		cfg.Secrets = []string{o.secret}
	}
	if o.store != "" {
		store, err := blobstore.Open(ctx, o.store)
		if err != nil {
			return fmt.Errorf("-store: %w", err)
		}
		defer store.Close() //nolint:errcheck // after the handler has written what it queued
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := store.Ping(pingCtx); err != nil {
			// Not fatal: the handler serves without the store while it cannot be reached.
			log.Warn("the store cannot be reached now; serving without it until it can", "store", redactQuery(o.store), "err", err)
		}
		cancel()
		cfg.Store = store
		log.Info("durable store for originals", "store", redactQuery(o.store))
	}
	if o.self != "" {
		cfg.Self, cfg.Peers, cfg.PeerSecret, cfg.PeerTimeout = o.self, o.peers, o.peerSecret, o.peerTimeout
		if d := o.peerDiscovery; d != nil {
			d.LookupHost = e.lookupHost
			cfg.PeerDiscovery = d
		}
	}
	avatars, err := avatarmw.New(cfg)
	if err != nil {
		return err
	}
	defer avatars.Close() //nolint:errcheck // Close always succeeds; it runs after the server has stopped
	// The WebP and AVIF encoders are WebAssembly modules compiled on first use (about 0.3 s and
	// 1.7 s of CPU): compile them now, beside serving, so that no request waits for it.
	go func() {
		start := time.Now()
		imageops.WarmUp(imageops.WebP, imageops.AVIF)
		// Compiling them took some 100 MiB of heap that is garbage now: give it back to the
		// system at once rather than when the memory limit is near, so that the node's memory
		// at rest is what it serves with.
		debug.FreeOSMemory()
		log.Info("WebP and AVIF encoders ready", "took", time.Since(start).Round(time.Millisecond))
	}()

	mux := http.NewServeMux()
	mux.Handle("/avatars/", avatars)
	// The other nodes ask this one for the avatars it owns, on the same listener. The endpoint
	// authenticates them and refuses everyone else (everyone, without -self).
	mux.Handle(avatars.PeerBasePath(), avatars.PeerHandler())
	if o.self != "" {
		log.Info("peer endpoint mounted", "self", o.self, "path", avatars.PeerBasePath())
	}
	if o.adminToken != "" {
		admin, err := avatars.AdminHandler(adminPrefix, o.adminToken)
		if err != nil {
			return err
		}
		mux.Handle(adminPrefix, admin)
		log.Info("admin endpoint mounted", "path", adminPrefix+"<type>/<id>/refresh", "listing", adminPrefix, "page", "/admin/")
	}
	mountOps(mux, avatars, o)
	if o.pprof {
		log.Info("profiles mounted", "path", "/debug/pprof/")
	}
	page, err := newDemoPage(avatars, o.demo, o.secret != "")
	if err != nil {
		return err
	}
	mux.Handle("GET /{$}", page)
	if o.secret == "" { // with a secret, the playground's builder would sign whatever it is asked
		mux.HandleFunc("GET /playground/url", page.serveURL)
	}
	mux.HandleFunc("GET /debug/avatars", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(avatars.Stats()) //nolint:errcheck // the client went away
	})

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           avatars.Front(mux), // avatar URLs as they came: "..", "//" get a 400, not the mux's 307
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      writeTimeout(o.peerTimeout),
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "url", "http://"+ln.Addr().String()+"/")
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "why", context.Cause(ctx))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	avatars.Close() //nolint:errcheck // Close always succeeds
	log.Info("stopped")
	return nil
}
