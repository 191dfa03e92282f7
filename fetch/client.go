package fetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of ClientConfig.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBytes     = 16 << 20
	DefaultMaxRedirects = 3
	DefaultUserAgent    = "avatarkit (+https://github.com/avatarkit/avatarkit)"
)

// MaxAPIBytes caps the body of an API answer read by Client.API. Profile lookups answer with a few
// hundred bytes; anything above this is a broken or hostile network.
const MaxAPIBytes = 1 << 20

// ClientConfig configures the guarded client every download goes through. Zero values are the
// defaults.
type ClientConfig struct {
	// Timeout bounds one HTTP exchange — an API call or a picture download with its redirects — from
	// dialling to the last byte of the body: dial, TLS handshake, waiting for the response header and
	// reading the body each get at most this, and all together too. Default 10s.
	Timeout time.Duration
	// MaxBytes caps a downloaded picture. It is enforced while reading: a Content-Length above it
	// fails before the body is read, and a body that runs past it fails as soon as it does, whatever
	// Content-Length said. Default 16 MiB.
	MaxBytes int64
	// MaxRedirects is how many redirects one download may follow; each hop is checked against the
	// allowlist before it is requested. Default 3; negative: none.
	MaxRedirects int
	// UserAgent is sent with every request. Default DefaultUserAgent.
	UserAgent string
	// DialContext, when set, opens every connection instead of a net.Dialer. Tests use it to route
	// any host to a fake.
	//
	// It is called after the address check, with what the check let through: an IP address and
	// port ("157.240.1.35:443", "[2a03:2880::1]:443") that the client resolved (with LookupIPAddr)
	// and checked itself — never a host name, so that nothing can resolve the name again to another
	// address. The one exception is a trusted base URL's host (see Client.WithTrustedBaseURL), which
	// is passed as it is ("graph.internal:8080") and not resolved by the client. Whatever the hook
	// connects to is its own business: the check is on the address it is given.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// LookupIPAddr resolves a host name to the addresses the client may connect to. Every address it
	// returns is checked (see AllowPrivateAddresses), and the connection is refused when any of them
	// is not public. Default net.DefaultResolver.LookupIPAddr. Tests use it to simulate DNS: a CDN
	// host that resolves to 127.0.0.1, or one that answers differently from one call to the next.
	LookupIPAddr func(ctx context.Context, host string) ([]net.IPAddr, error)
	// AllowPrivateAddresses lists address ranges the client may connect to although they are not
	// public. By default (empty) the client never opens a connection — API call, picture download or
	// redirect hop — to a loopback, unspecified, private (RFC 1918, fc00::/7), link-local
	// (169.254.0.0/16 with the cloud metadata address, fe80::/10), CGNAT (100.64.0.0/10), multicast,
	// broadcast, reserved, benchmarking or documentation address, nor to an IPv6 address that hides
	// such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo, ISATAP), whatever host
	// name led to it: a picture URL from a network's answer must not be a way into our own network.
	// The host of a provider's configured base URL is exempt (see Client.WithTrustedBaseURL).
	//
	// DANGEROUS: every range listed here becomes reachable by any picture URL a network (or a
	// redirect) hands us on an allowed host name whose DNS points there. List only what must be
	// reached, as narrowly as possible (e.g. one egress proxy's /32), never 0.0.0.0/0.
	AllowPrivateAddresses []netip.Prefix
	// Now is the clock a Retry-After date (an HTTP date rather than seconds) is read against.
	// Default time.Now. NewProviders sets it to Config.Now when it is left nil.
	Now func() time.Time
}

// Client is the one guarded HTTP client every origin call goes through: per-request timeouts, a byte
// cap enforced while reading, a host allowlist checked on every hop, a check of the address every
// connection goes to (made when dialling, so that neither a redirect nor DNS rebinding gets around
// it; see ClientConfig.AllowPrivateAddresses), a bounded number of redirects and content sniffing. It
// never follows a proxy from the environment. A Client is safe for concurrent use.
type Client struct {
	timeout      time.Duration
	maxBytes     int64
	maxRedirects int
	userAgent    string
	now          func() time.Time
	transport    *http.Transport
	hc           *http.Client

	cfg     ClientConfig // as given to NewClient, for the derived clients
	trusted []hostPort   // exempt from the address check (sorted)
	root    *Client      // the Client NewClient returned; itself for that one
	mu      sync.Mutex   // root only: guards views
	views   map[string]*Client
}

// NewClient validates cfg, fills in its defaults and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	switch {
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("fetch: ClientConfig.Timeout %v is negative", cfg.Timeout)
	case cfg.MaxBytes < 0:
		return nil, fmt.Errorf("fetch: ClientConfig.MaxBytes %d is negative", cfg.MaxBytes)
	case strings.ContainsAny(cfg.UserAgent, "\r\n\x00"):
		return nil, errors.New("fetch: ClientConfig.UserAgent contains a control character")
	}
	c := &Client{
		timeout:      cfg.Timeout,
		maxBytes:     cfg.MaxBytes,
		maxRedirects: cfg.MaxRedirects,
		userAgent:    cfg.UserAgent,
		now:          cfg.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBytes == 0 {
		c.maxBytes = DefaultMaxBytes
	}
	switch {
	case c.maxRedirects == 0:
		c.maxRedirects = DefaultMaxRedirects
	case c.maxRedirects < 0:
		c.maxRedirects = 0
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	allowed := make([]netip.Prefix, 0, len(cfg.AllowPrivateAddresses))
	for _, p := range cfg.AllowPrivateAddresses {
		if !p.IsValid() {
			return nil, fmt.Errorf("fetch: ClientConfig.AllowPrivateAddresses holds an invalid prefix %q", p)
		}
		allowed = append(allowed, p.Masked())
	}
	cfg.AllowPrivateAddresses = allowed
	c.cfg = cfg
	c.root = c
	c.init()
	return c, nil
}

// init builds c's transport and http.Client. Each Client (the root and every derived one) has a
// transport of its own, so that a connection opened under one set of trusted hosts is never reused
// by a Client that does not trust that host.
func (c *Client) init() {
	d := newDialer(&c.cfg, c.timeout, c.trusted)
	c.transport = &http.Transport{
		Proxy:                  nil, // never an environment proxy: it would bypass the dialer
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    c.timeout,
		ResponseHeaderTimeout:  c.timeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		// Pictures are compressed already; without this the byte cap would apply to a gunzipped
		// stream and Content-Length would mean nothing.
		DisableCompression: true,
	}
	c.hc = &http.Client{Transport: c.transport, CheckRedirect: c.checkRedirect}
}

// WithTrustedBaseURL returns a Client like c whose connections to the host and port of baseURL (its
// port, or 443 for https and 80 for http) skip the address check: that host may resolve to a
// loopback or private address, and is dialled by name (ClientConfig.DialContext receives it as it
// is). Every other host is checked as before, redirect hops included.
//
// A provider whose API base URL the operator configured uses it for its calls: operators point
// avatarkit at internal proxies, and tests at 127.0.0.1. The built-in providers do it for the
// FacebookURL, XURL and GravatarURL that are set (each for itself only: Facebook's base host is not
// trusted for X's requests). The default base URLs are public hosts and stay checked.
//
// The trusted hosts add up when called on a derived Client. Derived Clients share c's configuration
// but not its connections; asking twice for the same trusted hosts returns the same Client. The
// error reports a base URL that is not absolute http(s) with a usable host.
func (c *Client) WithTrustedBaseURL(baseURL string) (*Client, error) {
	hp, err := baseHostPort(baseURL)
	if err != nil {
		return nil, err
	}
	trusted := slices.Clone(c.trusted)
	if !slices.Contains(trusted, hp) {
		trusted = append(trusted, hp)
	}
	slices.SortFunc(trusted, func(a, b hostPort) int { return strings.Compare(a.String(), b.String()) })
	keys := make([]string, len(trusted))
	for i, t := range trusted {
		keys[i] = t.String()
	}
	key := strings.Join(keys, " ")

	root := c.root
	root.mu.Lock()
	defer root.mu.Unlock()
	if v, ok := root.views[key]; ok {
		return v, nil
	}
	v := &Client{
		timeout:      root.timeout,
		maxBytes:     root.maxBytes,
		maxRedirects: root.maxRedirects,
		userAgent:    root.userAgent,
		now:          root.now,
		cfg:          root.cfg,
		trusted:      trusted,
		root:         root,
	}
	v.init()
	if root.views == nil {
		root.views = make(map[string]*Client)
	}
	root.views[key] = v
	return v, nil
}

// MaxBytes returns the byte cap on a downloaded picture.
func (c *Client) MaxBytes() int64 { return c.maxBytes }

// CloseIdleConnections closes the connections the client keeps open for reuse, and with them their
// goroutines. Called on the Client NewClient returned, it closes those of every Client derived from
// it (WithTrustedBaseURL) too.
func (c *Client) CloseIdleConnections() {
	c.transport.CloseIdleConnections()
	if c.root != c {
		return
	}
	c.mu.Lock()
	views := make([]*Client, 0, len(c.views))
	for _, v := range c.views {
		views = append(views, v)
	}
	c.mu.Unlock()
	for _, v := range views {
		v.transport.CloseIdleConnections()
	}
}

// APIResponse is a network's answer to an API call, whatever its status.
type APIResponse struct {
	StatusCode int
	Header     http.Header
	// Body is the complete body, at most MaxAPIBytes.
	Body []byte
}

// API makes a GET request to an API (a profile lookup) and returns its answer whatever the status,
// for the provider to interpret: networks put their error codes in the body. header is added to the
// request (for example an Authorization header); Accept defaults to application/json. Redirects are
// followed within allow like a download's.
//
// The returned error is an *Error without a Provider: KindUpstream for a refused host or address (an
// address refusal has an *AddressError as its Err), a failed connection, a cut or oversized body
// (more than MaxAPIBytes); KindTimeout when the client's timeout or ctx ran out.
func (c *Client) API(ctx context.Context, rawURL string, header http.Header, allow Allowlist) (*APIResponse, error) {
	ctx, span := startSpan(ctx, spanLookup, rawURL)
	h := make(http.Header, len(header)+1)
	for k, v := range header {
		h[http.CanonicalHeaderKey(k)] = v
	}
	if h.Get("Accept") == "" {
		h.Set("Accept", "application/json")
	}
	r, err := c.get(ctx, rawURL, h, allow, exchange{noun: "API answer", limit: MaxAPIBytes, tooLarge: KindUpstream, errBody: true})
	if err != nil {
		endSpan(span, 0, 0, err)
		return nil, err
	}
	endSpan(span, r.status, len(r.body), nil)
	return &APIResponse{StatusCode: r.status, Header: r.header, Body: r.body}, nil
}

// Picture downloads the picture at rawURL. rawURL and every redirect target must be http or https
// on a host that allow allows, or the request is not made; every connection must go to a public
// address (see ClientConfig.AllowPrivateAddresses), or it is not opened; at most the configured
// number of redirects are followed.
//
// The returned Picture has Bytes and a ContentType sniffed from them; Default is left false for the
// provider to set. The error is an *Error without a Provider: KindTooLarge past the byte cap,
// KindNotImage when the bytes are not JPEG, PNG, GIF or WebP (whatever Content-Type said),
// KindRateLimited on a 429 (with its Retry-After), KindUpstream on any other non-2xx answer (its
// Err is a *StatusError), on a refused host or address (Err an *AddressError), too many redirects,
// a failed connection or a body cut short, and KindTimeout when the client's timeout or ctx ran out.
func (c *Client) Picture(ctx context.Context, rawURL string, allow Allowlist) (pic *Picture, err error) {
	ctx, span := startSpan(ctx, spanDownload, rawURL)
	var r *result
	defer func() {
		n := 0
		if pic != nil {
			n = len(pic.Bytes)
		}
		endSpan(span, statusOf(r), n, err)
	}()
	h := http.Header{"Accept": {"image/webp,image/png,image/jpeg,image/gif"}}
	r, err = c.get(ctx, rawURL, h, allow, exchange{noun: "picture", limit: c.maxBytes, tooLarge: KindTooLarge})
	if err != nil {
		return nil, err
	}
	if r.status < 200 || r.status > 299 {
		// Every other non-2xx is a failure of the network, 403 and 404 included; providers give
		// some of them a meaning of their own (Gravatar's 404 is "no picture"; X's 403 and 404 mean
		// the user changed their picture since the lookup).
		se := &StatusError{StatusCode: r.status, URL: redactURL(r.url)}
		if r.status == http.StatusTooManyRequests {
			return nil, rateLimited("", "picture host rate limit", retryAfter(r.header, c.now()), se)
		}
		return nil, markTransient(&Error{Kind: KindUpstream, Msg: fmt.Sprintf("picture download failed: HTTP %d", r.status), Err: se},
			transientStatus(r.status))
	}
	ct := SniffImage(r.body)
	if ct == "" {
		return nil, &Error{Kind: KindNotImage, Msg: "file is not a JPEG, PNG, GIF or WebP image",
			Err: fmt.Errorf("sniffed %q, Content-Type %q", head(r.body, 16), r.header.Get("Content-Type"))}
	}
	return &Picture{Bytes: r.body, ContentType: ct}, nil
}

// StatusError is the cause (Error.Err) of a KindUpstream or KindRateLimited *Error for a download
// that got a non-2xx answer. Providers inspect it with errors.As to give some statuses a meaning of
// their own (Gravatar's 404 is "no picture").
type StatusError struct {
	StatusCode int
	// URL is the address that answered, without its query string.
	URL string
}

// Error returns "HTTP <code> from <URL>".
func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d from %s", e.StatusCode, e.URL) }

// exchange describes how one request is read.
type exchange struct {
	noun     string // what is fetched, for messages: "picture", "API answer"
	limit    int64  // byte cap on the body
	tooLarge Kind   // the Kind of a body past the cap
	errBody  bool   // read the body of a non-2xx answer too
}

// result is a complete answer.
type result struct {
	status int
	header http.Header
	body   []byte
	url    *url.URL // the URL that answered, after redirects
}

// policyKey carries a request's redirect policy to checkRedirect through its context, so that the
// one http.Client serves requests with different allowlists.
type policyKey struct{}

type policy struct {
	allow Allowlist
	max   int
}

// get makes one guarded GET and reads its body.
func (c *Client) get(parent context.Context, rawURL string, header http.Header, allow Allowlist, x exchange) (*result, error) {
	ctx, cancel := context.WithTimeout(parent, c.timeout)
	defer cancel()
	ctx = context.WithValue(ctx, policyKey{}, &policy{allow: allow, max: c.maxRedirects})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &Error{Kind: KindUpstream, Msg: "the network gave an unusable " + x.noun + " URL", Err: redactErr(err)}
	}
	if err := checkHop(req.URL, allow); err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.transportError(parent, ctx, err, x.noun)
	}
	defer resp.Body.Close()
	r := &result{status: resp.StatusCode, header: resp.Header, url: resp.Request.URL}
	if (resp.StatusCode < 200 || resp.StatusCode > 299) && !x.errBody {
		return r, nil
	}
	if resp.ContentLength > x.limit {
		return nil, tooLargeErr(x, fmt.Errorf("Content-Length %d", resp.ContentLength))
	}
	body, err := readCapped(resp.Body, x.limit, resp.ContentLength, memoryOf(parent))
	if err != nil {
		var me *memoryError
		if errors.As(err, &me) {
			return nil, me.err // the caller's budget said no: its own error, as it was
		}
		return nil, c.transportError(parent, ctx, err, x.noun)
	}
	if int64(len(body)) > x.limit {
		return nil, tooLargeErr(x, fmt.Errorf("body longer than %d bytes", x.limit))
	}
	r.body = body
	return r, nil
}

// readCapped reads r to its end, or to limit+1 bytes, whatever a Content-Length said: the buffer
// starts at the size the response announced (within the cap), else small, and doubles, never
// beyond limit+1 bytes, so that a body that turns out longer than the cap costs at most twice
// the cap in memory, and a body within it at most twice its size. Every buffer is reserved from
// mem first, when there is one.
func readCapped(r io.Reader, limit, announced int64, mem Memory) ([]byte, error) {
	size := int64(32 << 10)
	if announced > 0 {
		size = announced + 1 // +1: room to see a body longer than it said
	}
	alloc := func(n int64) error {
		if mem == nil {
			return nil
		}
		if err := mem.Reserve(n); err != nil {
			return &memoryError{err}
		}
		return nil
	}
	size = min(size, limit+1)
	if err := alloc(size); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, nil
			}
			size := min(2*int64(cap(buf)), limit+1)
			if err := alloc(size); err != nil {
				return nil, err
			}
			grown := make([]byte, len(buf), size)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Memory is a budget the buffers of downloads are taken from (WithMemory), so that the host can
// bound what downloads in flight hold.
type Memory interface {
	// Reserve takes n bytes from the budget, waiting for them as the budget allows. An error
	// fails the download with that error, as it is.
	Reserve(n int64) error
}

type memoryKey struct{}

// WithMemory returns a context whose downloads (Client.Picture, Client.API) reserve every buffer
// they read into from m before allocating it. The reservations last as long as m's owner wants:
// fetch never gives them back.
func WithMemory(ctx context.Context, m Memory) context.Context {
	return context.WithValue(ctx, memoryKey{}, m)
}

func memoryOf(ctx context.Context) Memory {
	m, _ := ctx.Value(memoryKey{}).(Memory)
	return m
}

// memoryError carries a Memory's refusal through the reading of a body.
type memoryError struct{ err error }

func (e *memoryError) Error() string { return e.err.Error() }
func (e *memoryError) Unwrap() error { return e.err }

func tooLargeErr(x exchange, cause error) *Error {
	return &Error{Kind: x.tooLarge, Msg: fmt.Sprintf("%s is larger than %s", x.noun, formatBytes(x.limit)), Err: cause}
}

// checkRedirect is the http.Client's redirect hook: it enforces the request's policy on each hop
// before the hop is requested.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	p, _ := req.Context().Value(policyKey{}).(*policy)
	if p == nil {
		return errors.New("fetch: request without a redirect policy")
	}
	// The previous URL may carry a token in its query string: it is nobody's business.
	req.Header.Del("Referer")
	if len(via) > p.max {
		return &Error{Kind: KindUpstream, Msg: fmt.Sprintf("too many redirects (more than %d)", p.max)}
	}
	return checkHop(req.URL, p.allow)
}

// checkHop refuses a URL that is not http(s) on an allowed host. Its message names the host, never
// the rest of the URL.
func checkHop(u *url.URL, allow Allowlist) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &Error{Kind: KindUpstream, Msg: fmt.Sprintf("refused a %s URL (only http and https are fetched)", quoteShort(u.Scheme))}
	}
	if !allow.AllowsURL(u) {
		return &Error{Kind: KindUpstream, Msg: fmt.Sprintf("host %s is not on the allowlist", quoteShort(u.Host))}
	}
	return nil
}

// transportError turns a failure of Do or of reading a body into an *Error. parent is the
// caller's context, ctx the one of the call (parent with the client's Timeout).
func (c *Client) transportError(parent, ctx context.Context, err error, noun string) *Error {
	var fe *Error
	if errors.As(err, &fe) { // refused by checkRedirect
		cp := *fe
		return &cp
	}
	err = redactErr(err)
	var ne net.Error
	switch {
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		// The caller's deadline (the cache's LoadTimeout) came before the client's Timeout.
		return markTransient(&Error{Kind: KindTimeout, Msg: noun + " not received before the caller's deadline", Err: err}, true)
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return markTransient(&Error{Kind: KindTimeout, Msg: fmt.Sprintf("%s not received within %v", noun, c.timeout), Err: err}, true)
	case errors.Is(ctx.Err(), context.Canceled), errors.Is(err, context.Canceled):
		return &Error{Kind: KindTimeout, Msg: noun + " request cancelled", Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return markTransient(&Error{Kind: KindUpstream, Msg: noun + " cut short by the network", Err: err}, true)
	}
	return markTransient(&Error{Kind: KindUpstream, Msg: noun + " request failed: " + errorClass(err), Err: err}, transientConnError(err))
}

// transientConnError reports whether a failed connection may work when tried again: not when the
// host does not exist or its TLS certificate is bad.
func transientConnError(err error) bool {
	var dnsErr *net.DNSError
	var tlsErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound, errors.As(err, &tlsErr):
		return false
	}
	return true
}

// errorClass names a connection failure without addresses.
func errorClass(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return "host not found"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "could not connect"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	var tlsErr *tls.CertificateVerificationError
	if errors.As(err, &tlsErr) {
		return "bad TLS certificate"
	}
	return "connection error"
}

// redactErr strips the query string (where an access token may travel) from a *url.Error's URL.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr != nil {
			return &url.Error{Op: ue.Op, URL: "(unparseable URL)", Err: ue.Err}
		}
		return &url.Error{Op: ue.Op, URL: redactURL(u), Err: ue.Err}
	}
	return err
}

// redactURL returns u without user info, query or fragment.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}

// quoteShort quotes s for a message, cut to a sane length.
func quoteShort(s string) string {
	const max = 100
	if len(s) > max {
		s = s[:max] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// head returns at most the first n bytes of b, for logs.
func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// formatBytes writes n as "16 MiB", "512 KiB" or "100 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
