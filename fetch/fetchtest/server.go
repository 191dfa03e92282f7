// Package fetchtest is an in-process fake of the social networks avatarkit talks to: Facebook's
// Graph API and its CDN, the X API v2 and its image hosts (pbs.twimg.com, abs.twimg.com), and
// Gravatar — all in one HTTP server on a loopback port. Every test of the project runs against it
// (never the real networks), and the example app's -demo mode uses it to run offline, so its
// pictures are meant to be looked at: every user in Users has a distinct, deterministic, photo-like
// portrait (gradient background, blurred discs, a shaded head-and-shoulders figure, film grain),
// except the Photo users, whose picture is a real photograph of a face (for face-aware crops), and
// the Photograph users, whose picture is a photograph of people from avatarkit's face evaluation
// set (internal/facephotos).
// Server.AddUser adds users to one server at run time (many large originals for a memory test, say).
//
// The fake answers like the real networks — status codes, JSON shapes, error bodies, headers (see
// the project's reference notes on the Graph API, X and Gravatar) — counts requests per Kind,
// records them (Requests), and misbehaves on demand per Kind (SetFault): latency, error statuses,
// rate limiting, rejected credentials, non-image bodies, huge bodies, cut connections — for every
// request from now on, or only for the next few (FaultNext: "fail the next two downloads").
// ChangePicture gives a user a new picture, for freshness tests; OnNext runs code in the middle of
// a request, to stage races ("the user changes their picture between the lookup and the
// download"). SetNow gives the fake the test's clock, so that rate-limit windows can be stepped
// over without sleeping.
//
// # URL layout
//
// All paths are relative to Server.URL ("http://127.0.0.1:PORT"):
//
//	/facebook/v19.0/{id}/picture                  Graph API picture edge           FacebookLookup
//	/fbcdn/v/{dir}/p{S}x{S}/{asset}_n.jpg?...     Facebook CDN: an S×S JPEG        FacebookImage
//	/x/2/users/{id}                               X API v2 lookup by id            XLookup
//	/x/2/users/by/username/{name}                 X API v2 lookup by screen name   XLookup
//	/pbs/profile_images/{n}/{slug}[_size].{ext}   pbs.twimg.com profile images     XImage
//	/abs/sticky/default_profile_images/default_profile[_size].png
//	                                              abs.twimg.com default picture    XImage
//	/x/1.1/users/profile_banner.json?user_id=…    X API v1.1 banner lookup         XBanner
//	                                  (or screen_name=…)
//	/pbs/profile_banners/{uid}/{stamp}/{size}     pbs.twimg.com banners (JPEG)     XBannerImage
//	/gravatar/avatar/{hash}[.jpg]?s=W&d=404       Gravatar                         GravatarImage
//	anything else                                 404                              Other
//
// Configure providers with FacebookURL, XURL and GravatarURL. Picture URLs in API answers point at
// the server itself, or at the host set with SetImageHost (same paths): plug DialContext into an
// http.Transport (or use Transport / Client) so that such a host reaches the fake; with fetch's
// guarded client plug in LookupIPAddr too, so that the host resolves to a public address and passes
// the client's address check. The fake speaks plain HTTP, so the picture URLs it hands out are
// http:// URLs.
//
// # Behaviour worth knowing
//
//   - Graph: width/height ask for a minimum size; the picture is square, max(width, height) clamped
//     to the native size (type=square/small 50, normal 100, large/album 200; nothing: 50). No
//     redirect=false: 302 to the picture. A missing token is accepted (app-scoped ids), a wrong one
//     gets code 190 (HTTP 400). An unknown numeric id gets HTTP 400, GraphMethodException, code 100,
//     subcode 33; a non-numeric id code 803 (HTTP 404). Throttling is HTTP 403 with code 4, 17, 32,
//     341 or 613 and is_transient true, as the real API answers. JSON is not HTML-escaped, so URLs
//     keep their '&'.
//   - X: a missing or wrong bearer gets 401 problem JSON; an unknown user gets HTTP 200 with an
//     "errors" array (parameter "id" or "username"); ids and screen names breaking their rule get
//     400 invalid-request. Screen names match case-insensitively. Every API answer carries
//     x-rate-limit-limit (300), -remaining (counting down per 15-minute window, never enforced)
//     and -reset (by the clock of SetNow). profile_image_url is the "_normal" variant; the image
//     host also serves "_bigger" (73), "_mini" (24), "_200x200", "_400x400" and the original
//     (suffix removed) at native size. After ChangePicture the old pbs URLs answer 404.
//   - X banners: profile_banner.json lists the nine sizes of a Banner user's banner (ipad 626×313,
//     ipad_retina, web 520×260, web_retina, mobile 320×160, mobile_retina, 300x100, 600x200,
//     1500x500), each a URL without extension that serves a JPEG landscape of that size (the 2:1
//     sizes are the middle of the 3:1 ones). A user without a banner gets 404 with error 34, an
//     unknown user 404 with error 50, a missing or wrong bearer 401 with error 89, a rate limit
//     429 with error 88. ChangeBanner gives a user a new banner under a new URL; the old one
//     answers 404.
//   - Graph: the picture edge's data carries a cache_key that changes when the picture does
//     (ChangePicture); OmitCacheKeys leaves it out.
//   - Gravatar: s (or size) defaults to 80; values below 1 or not numbers give 80, values above
//     2048 are clamped to 2048 (no 400). The hash must be lower-case hex, MD5 or SHA-256: an
//     upper-case hash is deliberately treated as unknown, to catch a client that forgets to
//     normalise. No avatar: d=404 gives 404, no d gives Gravatar's logo (PNG), d=mp a mystery
//     person, d=blank a transparent PNG, d=<URL> a 302 to it, other generated styles an identicon.
//     f=y (forcedefault) is honoured.
//   - Pictures are rendered on demand and kept in a process-wide, size-bounded cache, so repeated
//     downloads are cheap and byte-identical; concurrent requests for one picture render it once.
//     Image responses carry a true Content-Length and the Content-Type of their bytes.
//   - Everything is safe for concurrent use.
//
// NewServer does not use net/http/httptest, which would register its -httptest.serve flag in the
// example app's flag set.
package fetchtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a kind of request the fake serves; requests are counted per Kind.
type Kind string

// The request kinds.
const (
	// FacebookLookup: GET /facebook/v19.0/{id}/picture.
	FacebookLookup Kind = "facebook-lookup"
	// FacebookImage: a picture download from the Facebook CDN paths (/fbcdn/...).
	FacebookImage Kind = "facebook-image"
	// XLookup: GET /x/2/users/{id} and /x/2/users/by/username/{name}.
	XLookup Kind = "x-lookup"
	// XImage: a picture download from the pbs/abs paths, whatever the size variant (banners
	// aside: XBannerImage).
	XImage Kind = "x-image"
	// XBanner: GET /x/1.1/users/profile_banner.json, the X API's banner lookup.
	XBanner Kind = "x-banner"
	// XBannerImage: a banner download from /pbs/profile_banners/, whatever the size.
	XBannerImage Kind = "x-banner-image"
	// GravatarImage: GET /gravatar/avatar/{hash}.
	GravatarImage Kind = "gravatar-image"
	// Other: any other path (answered 404). Recorded and counted like the others.
	Other Kind = "other"
)

var allKinds = []Kind{FacebookLookup, FacebookImage, XLookup, XImage, XBanner, XBannerImage, GravatarImage, Other}

// Request is one request the fake received.
type Request struct {
	Kind   Kind
	Method string
	// Path is the request path, without the query.
	Path  string
	Query url.Values
	// Header is a copy of the request's header (Authorization included).
	Header http.Header
	// Host is the Host the client asked for (e.g. "pbs.twimg.com" after SetImageHost).
	Host string
}

// Server is the fake. Create it with NewServer; it is safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:PORT", without a trailing slash.
	URL string

	ln      net.Listener
	srv     *http.Server
	addr    string // host:port of the listener
	closed  chan struct{}
	closeMu sync.Once
	start   time.Time

	counts   map[Kind]*atomic.Int64
	inflight atomic.Int64 // handlers running (for tests)

	mu         sync.Mutex
	users      []User // Users, then the users AddUser added (append-only: indexes are stable)
	requests   []Request
	faults     map[Kind]Fault
	next       map[Kind]*nextFault // FaultNext: faults of the next requests, before faults
	hooks      map[Kind][]func()   // OnNext: run during the next requests, in order
	now        func() time.Time    // SetNow; nil: time.Now
	gens       map[int]int         // index in users -> picture generation
	bannerGens map[int]int         // index in users -> banner generation (x users)
	imageHosts map[string]string   // "facebook", "x", "x-abs" -> host
	hijacked   map[net.Conn]struct{}
	xWindow    int64 // the current X rate-limit window (15-minute periods since start)
	xUsed      int64 // X API calls in that window

	noCacheKeys atomic.Bool // OmitCacheKeys
}

// NewServer starts a fake on a loopback port, like httptest.NewServer. Close it when done.
func NewServer() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if ln, err = net.Listen("tcp6", "[::1]:0"); err != nil {
			panic(fmt.Sprintf("fetchtest: failed to listen on a port: %v", err))
		}
	}
	s := &Server{
		ln:         ln,
		addr:       ln.Addr().String(),
		closed:     make(chan struct{}),
		start:      time.Now(),
		users:      slices.Clone(Users),
		counts:     make(map[Kind]*atomic.Int64, len(allKinds)),
		faults:     make(map[Kind]Fault),
		next:       make(map[Kind]*nextFault),
		hooks:      make(map[Kind][]func()),
		gens:       make(map[int]int),
		bannerGens: make(map[int]int),
		imageHosts: make(map[string]string),
		hijacked:   make(map[net.Conn]struct{}),
	}
	for _, k := range allKinds {
		s.counts[k] = new(atomic.Int64)
	}
	s.URL = "http://" + s.addr
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Close shuts the server down: it closes the listener and every connection, and ends pending
// Latency sleeps.
func (s *Server) Close() {
	s.closeMu.Do(func() {
		close(s.closed)
		_ = s.srv.Close()
		s.mu.Lock()
		for c := range s.hijacked {
			_ = c.Close()
		}
		s.mu.Unlock()
	})
}

// hijack takes over the connection of a request (for the faults that write raw HTTP); the
// connection is closed by Close if it is still open. done must be called when finished with it.
func (s *Server) hijack(w http.ResponseWriter) (conn net.Conn, bw *bufio.ReadWriter, done func(), err error) {
	conn, bw, err = http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, nil, err
	}
	s.mu.Lock()
	s.hijacked[conn] = struct{}{}
	s.mu.Unlock()
	select {
	case <-s.closed:
		_ = conn.Close()
	default:
	}
	return conn, bw, func() {
		s.mu.Lock()
		delete(s.hijacked, conn)
		s.mu.Unlock()
		_ = conn.Close()
	}, nil
}

// FacebookURL returns the Graph API base URL, version included: s.URL + "/facebook/v19.0".
func (s *Server) FacebookURL() string { return s.URL + "/facebook/v19.0" }

// XURL returns the X API base URL: s.URL + "/x".
func (s *Server) XURL() string { return s.URL + "/x" }

// GravatarURL returns the Gravatar base URL: s.URL + "/gravatar".
func (s *Server) GravatarURL() string { return s.URL + "/gravatar" }

// SetNow sets the clock the fake reads for the answers that name a point in time: X's
// x-rate-limit-reset (epoch seconds, also with Fault.RateLimit) and its 15-minute rate-limit
// windows. nil restores time.Now. Give it the clock of the client under test (fetch.Config.Now) so
// that a test can step over a rate-limit window without sleeping. Retry-After and Graph's
// estimated_time_to_regain_access are relative and do not depend on it.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// clock returns the time by the clock set with SetNow.
func (s *Server) clock() time.Time {
	s.mu.Lock()
	now := s.now
	s.mu.Unlock()
	if now == nil {
		return time.Now()
	}
	return now()
}

// OnNext makes fn run once, during the next request of kind k that gets an answer: after the fake
// has prepared its answer (with the state before fn) and before any byte of it is sent, so that
// the client sees fn's effects from its next request on. Several calls queue up, one fn per
// request, in order. A request cut short by a Latency fault (no answer) does not take one.
//
// It stages a race between two requests: OnNext(XLookup, func() { s.ChangePicture("x", id) })
// makes the user change their picture between the lookup that names the old picture URL and its
// download, which then answers 404. The answer of that request is held in memory until fn
// returns; fn must not wait for another request of the fake's clients.
func (s *Server) OnNext(k Kind, fn func()) {
	if fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[k] = append(s.hooks[k], fn)
}

// hook takes the next OnNext hook of kind k, or returns nil.
func (s *Server) hook(k Kind) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.hooks[k]
	if len(q) == 0 {
		return nil
	}
	fn := q[0]
	if len(q) == 1 {
		delete(s.hooks, k)
	} else {
		s.hooks[k] = q[1:]
	}
	return fn
}

// holdWriter holds an answer (status and body; the header map is the real one) until release,
// and runs an OnNext hook before anything is sent: at release, or before the connection is handed
// over to a fault that writes raw HTTP.
type holdWriter struct {
	http.ResponseWriter
	hook   func() // nil once run
	status int
	body   bytes.Buffer
}

// runHook runs the hook unless it ran already.
func (h *holdWriter) runHook() {
	if fn := h.hook; fn != nil {
		h.hook = nil
		fn()
	}
}

// Hijack runs the hook, then hands the connection over (http.ResponseController finds it).
func (h *holdWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.runHook()
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

func (h *holdWriter) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *holdWriter) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (h *holdWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// release sends the answer held back, if any (none after a hijack).
func (h *holdWriter) release() {
	if h.status == 0 {
		return
	}
	h.ResponseWriter.WriteHeader(h.status)
	_, _ = h.ResponseWriter.Write(h.body.Bytes())
}

// Count returns how many requests of kind k the server received since it started or since the
// last ResetCounts, faulted ones included.
func (s *Server) Count(k Kind) int {
	if c, ok := s.counts[k]; ok {
		return int(c.Load())
	}
	return 0
}

// Requests returns every request received since the start or the last ResetCounts, in order of
// arrival. The slice and its values are copies.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		r.Query = cloneValues(r.Query)
		r.Header = r.Header.Clone()
		out[i] = r
	}
	return out
}

// RequestsOf returns the recorded requests of kind k, in order of arrival (copies).
func (s *Server) RequestsOf(k Kind) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// ResetCounts sets every counter to zero and forgets the recorded requests. Faults, picture
// generations and image hosts are kept.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.counts {
		c.Store(0)
	}
	s.requests = nil
}

// ChangePicture gives a user a new picture: a new, clearly different image. Facebook's picture URL
// changes (old URLs keep serving the old picture, like the real CDN until they expire); X's
// profile_image_url changes path and the old one answers 404, like the real pbs host; Gravatar
// serves the new picture under the same URL.
//
// A user with the network's default picture (Default: Facebook's silhouette, X's default image) or
// without one (NoPicture, gravatar) uploads a picture: from then on the fake serves a portrait for
// them (is_silhouette false, a pbs URL, a 200 from Gravatar). A Photo user's photograph is mirrored
// and toned. The User values in Users do not change; Generation tells how many times a user's
// picture changed.
//
// network is "facebook", "x" (or "twitter") or "gravatar"; id is the user's ID (x: the screen name
// is accepted too; gravatar: the MD5 or the SHA-256). Users added with AddUser count too. It panics
// on an unknown user: that is a bug in the test.
func (s *Server) ChangePicture(network, id string) {
	i := s.userIndex(network, strings.ToLower(id))
	if i < 0 {
		i = s.userIndex(network, id)
	}
	if i < 0 && canonNetwork(network) == X {
		i = s.xNameIndex(id)
	}
	if i < 0 {
		panic(fmt.Sprintf("fetchtest: ChangePicture: no %s user %q", network, id))
	}
	s.mu.Lock()
	s.gens[i]++
	s.mu.Unlock()
}

// Generation returns how many times the user's picture was changed with ChangePicture (0 at first).
func (s *Server) Generation(network, id string) int {
	i := s.userIndex(network, id)
	if i < 0 && canonNetwork(network) == X {
		i = s.xNameIndex(id)
	}
	if i < 0 {
		return 0
	}
	return s.gen(i)
}

func (s *Server) gen(i int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gens[i]
}

// SetImageHost makes picture URLs in API answers use host (e.g. "scontent-ams4-1.xx.fbcdn.net",
// "pbs.twimg.com", optionally with ":port") instead of the server's host:port; the paths stay the
// same. network is "facebook" or "x" ("twitter" too); for x it applies to both the pbs and the abs
// (default picture) URLs unless "x-abs" is set separately. An empty host restores the default, the
// server's own host:port. Plug DialContext into the client's transport so the host reaches the fake
// (and, for fetch's client, LookupIPAddr so that it passes the address check).
func (s *Server) SetImageHost(network, host string) {
	network = canonNetwork(network)
	s.mu.Lock()
	defer s.mu.Unlock()
	if host == "" {
		delete(s.imageHosts, network)
		return
	}
	s.imageHosts[network] = host
}

// imageBase returns "http://HOST" for picture URLs of network ("facebook", "x", "x-abs").
func (s *Server) imageBase(network string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.imageHosts[network]; ok {
		return "http://" + h
	}
	if network == "x-abs" {
		if h, ok := s.imageHosts[X]; ok {
			return "http://" + h
		}
	}
	return s.URL
}

// DialContext dials the fake whatever address it is asked for. Plug it into an http.Transport so
// that a picture URL on "scontent.xx.fbcdn.net:80" or "pbs.twimg.com:80" reaches the fake.
func (s *Server) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.addr)
}

// PublicIP is the address LookupIPAddr resolves every host name to: an ordinary public IPv4 address,
// which passes a client's check of the addresses it connects to (fetch refuses loopback and private
// ones) and is never dialled for real when DialContext routes every connection to the fake.
const PublicIP = "157.240.1.35"

// LookupIPAddr resolves every host name to PublicIP (an IP literal to itself). Plug it, with
// DialContext, into fetch.ClientConfig (LookupIPAddr, DialContext) so that picture URLs on a host
// set with SetImageHost ("scontent-ams4-1.xx.fbcdn.net", "pbs.twimg.com") pass the client's address
// check and reach the fake.
func (s *Server) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []net.IPAddr{{IP: ip}}, nil
	}
	return []net.IPAddr{{IP: net.ParseIP(PublicIP)}}, nil
}

// Transport returns a new http.Transport that dials the fake whatever the URL's host.
func (s *Server) Transport() *http.Transport {
	return &http.Transport{DialContext: s.DialContext, MaxIdleConnsPerHost: 64}
}

// Client returns a new http.Client whose transport dials the fake whatever the URL's host. It does
// not follow redirects to other servers any differently from http.Client's default.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 30 * time.Second}
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// record counts and logs a request.
func (s *Server) record(k Kind, r *http.Request) {
	s.counts[k].Add(1)
	req := Request{
		Kind:   k,
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  cloneValues(r.URL.Query()),
		Header: r.Header.Clone(),
		Host:   r.Host,
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
}

// kindOf classifies a path.
func kindOf(path string) Kind {
	switch {
	case strings.HasPrefix(path, "/facebook/"):
		return FacebookLookup
	case strings.HasPrefix(path, "/fbcdn/"):
		return FacebookImage
	case strings.HasPrefix(path, "/x/1.1/"):
		return XBanner
	case strings.HasPrefix(path, "/x/"):
		return XLookup
	case isBannerPath(path):
		return XBannerImage
	case strings.HasPrefix(path, "/pbs/"), strings.HasPrefix(path, "/abs/"):
		return XImage
	case strings.HasPrefix(path, "/gravatar/"):
		return GravatarImage
	}
	return Other
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	k := kindOf(r.URL.Path)
	s.record(k, r)
	f := s.fault(k)
	if f.Latency > 0 && !s.sleep(r.Context(), f.Latency) {
		// The client went away or the server is closing: no answer at all.
		panic(http.ErrAbortHandler)
	}
	if hook := s.hook(k); hook != nil {
		// Hold the answer back until the hook has run, so that whatever the hook changes is in
		// place before the client can make its next request.
		hw := &holdWriter{ResponseWriter: w, hook: hook}
		s.answer(hw, r, k, f)
		hw.runHook()
		hw.release()
		return
	}
	s.answer(w, r, k, f)
}

// answer writes the answer to a request of kind k with fault f.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, k Kind, f Fault) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeBody(w, r, http.StatusMethodNotAllowed, "text/plain; charset=utf-8", []byte("405 method not allowed\n"))
		return
	}
	switch k {
	case FacebookLookup:
		s.serveGraph(w, r, f)
	case FacebookImage:
		s.serveFacebookImage(w, r, f)
	case XLookup:
		s.serveXAPI(w, r, f)
	case XImage:
		s.serveXImage(w, r, f)
	case XBanner:
		s.serveXBanner(w, r, f)
	case XBannerImage:
		s.serveXBannerImage(w, r, f)
	case GravatarImage:
		s.serveGravatar(w, r, f)
	default:
		writeBody(w, r, http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 page not found\n"))
	}
}

// sleep waits d, or until the client goes away or the server closes; it reports whether d elapsed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}

// writeBody writes a complete response with a true Content-Length (no body for HEAD).
func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
