package cache

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang/groupcache"
	pb "github.com/golang/groupcache/groupcachepb"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// The peer protocol.
//
// Request:
//
//	GET <BasePath><wire group>/<key>          (each of group and key url.PathEscape'd)
//	Authorization: AvatarkitPeer <unix seconds>:<signature>
//	X-Avatarkit-Node: <random id of the asking cache>
//	X-Avatarkit-Hint: <avatar key>            (optional: the hint of a content source, keys.go)
//	X-Avatarkit-Peek: 1                       (optional: answer from the cache only, load nothing)
//
// <wire group> is the cluster-wide name of a group, "<Name>-originals", "-index", "-analyses" or
// "-variants"; the server maps it to its own group, whatever name that group has in its process
// (Config.LocalName). The signature is HMAC-SHA256 keyed with PeerSecret over
//
//	"avatarkit-peer-v1\n" + method + "\n" + decoded path + "\n" + unix seconds + "\n" +
//	hint + "\n" + ("1" if peek) + "\n" + body
//
// encoded base64url without padding. The secret never travels; the timestamp must be within
// PeerAuthWindow of the server's clock. Refusals: no AvatarkitPeer credentials 401; malformed,
// expired or wrong signature 403; a request from this very cache (Self is not how the peers know
// it) 508; a group this cache does not have 404; a key or hint that fails validation 400; another
// method 405. Error responses carry a one-line reason in the body and in X-Avatar-Error.
//
// Besides loads, two requests keep the nodes' forced refreshes (fresh.go) in step, signed alike:
//
//	POST <BasePath>_override   body: JSON overrideNotice   a forced refresh: 200 once recorded
//	GET  <BasePath>_overrides                              200, JSON [overrideNotice, ...]
//
// and one tells whether a peer is there, for readiness (ready.go):
//
//	GET  <BasePath>_ping                                   200, JSON {"self": …, "peers": […]}
//
// A load request may carry the W3C trace context (traceparent, tracestate) of the load that asks
// for it, outside the signature (trace.go).
//
// Response 200, Content-Type application/x-avatarkit-peer, a body of frames:
//
//	0x00                               heartbeat, while the load runs (every PeerTimeout/4)
//	'V' uint32 n, n bytes              the value (big-endian length); the last frame
//	'E' uint32 n, n bytes of JSON      the owner's load failed: peerError; the last frame
//
// A value that is ready within PeerTimeout/4 (a hit) is sent at once with a Content-Length; a
// slower load sends the header and then heartbeats, so that the asking node can tell a busy owner
// (header and heartbeats arrive) from a dead or hung one (they do not, within PeerTimeout).

const (
	authScheme      = "AvatarkitPeer"
	nodeHeader      = "X-Avatarkit-Node"
	hintHeader      = "X-Avatarkit-Hint"
	peekHeader      = "X-Avatarkit-Peek"
	errorHeader     = "X-Avatar-Error"
	peerContentType = "application/x-avatarkit-peer"
	signContext     = "avatarkit-peer-v1\n"

	frameHeartbeat = 0x00
	frameValue     = 'V'
	frameError     = 'E'

	// maxPeerValue bounds a value read from a peer.
	maxPeerValue = 1 << 30
	// maxPeerError bounds an error frame.
	maxPeerError = 1 << 16
)

// signedRequest is what a peer request's signature covers.
type signedRequest struct {
	method, path string // the path decoded
	ts           int64  // Unix seconds
	hint         string
	peek         bool
	body         []byte
}

// sign returns the signature of r.
func (r signedRequest) sign(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, signContext)
	for _, s := range []string{r.method, r.path, strconv.FormatInt(r.ts, 10), r.hint} {
		io.WriteString(m, s)
		io.WriteString(m, "\n")
	}
	if r.peek {
		io.WriteString(m, "1")
	}
	io.WriteString(m, "\n")
	m.Write(r.body)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// authorize signs req, whose decoded path is path and whose body is body, as this node.
func (c *Cache) authorize(req *http.Request, path string, body []byte) {
	sr := signedRequest{method: req.Method, path: path, ts: c.now().Unix(), hint: req.Header.Get(hintHeader),
		peek: req.Header.Get(peekHeader) == "1", body: body}
	req.Header.Set("Authorization", authScheme+" "+strconv.FormatInt(sr.ts, 10)+":"+sr.sign(c.secret))
	req.Header.Set(nodeHeader, c.nodeID)
}

// servingKey marks the context of a load a peer asked for, with the group it is for: that group's
// peer getter then refuses to pass the key on, so that groupcache loads it here. The node a peer
// asks is the owner as far as the asker knows; passing the key on would only add hops while the
// two disagree about the membership.
type servingKey struct{}

var errNotForwarding = errors.New("cache: a peer asked this node for the key: loading it here")

// PeerHandler returns the handler of the peer endpoint, which the app mounts on its own listener
// at BasePath, on a net/http ServeMux and without stripping the prefix:
//
//	mux.Handle(c.BasePath(), c.PeerHandler())
//
// It is never registered anywhere by cache. It serves only the authenticated requests of the
// cluster's peers — GETs for this cache's groups and for the forced refreshes it holds, POSTed
// notices of a forced refresh or of a rate limit — and validates every key and notice again (as
// strictly as the public URL) before anything is loaded or held; so mounting it on a public
// listener by mistake exposes nothing. Without Self it refuses every request: the cache has no
// peers.
//
// Set the server's WriteTimeout above LoadTimeout+PeerTimeout, or leave it to the handler, which
// extends the write deadline of its own requests where the ResponseWriter allows it.
func (c *Cache) PeerHandler() http.Handler { return peerHandler{c} }

type peerHandler struct{ c *Cache }

func refuse(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set(errorHeader, msg)
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

func (h peerHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.c
	rest, ok := strings.CutPrefix(r.URL.Path, c.basePath)
	if !ok {
		refuse(w, http.StatusNotFound, "not a peer request: mount the peer handler at "+c.basePath)
		return
	}
	want := http.MethodGet
	if rest == overridePath || rest == holdPath {
		want = http.MethodPost
	}
	if r.Method != want {
		w.Header().Set("Allow", want)
		refuse(w, http.StatusMethodNotAllowed, "this peer request is "+want)
		return
	}
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 1<<16+1)); err != nil || len(body) > 1<<16 {
			refuse(w, http.StatusBadRequest, "unreadable or too large body")
			return
		}
	}
	if msg, code := c.checkAuth(r, body); code != 0 {
		c.peerAuthRefusals.Add(1)
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", authScheme)
		}
		c.log.Debug("avatarkit: peer request refused", "remote", r.RemoteAddr, "path", r.URL.Path, "status", code, "reason", msg)
		refuse(w, code, msg)
		return
	}
	if r.Header.Get(nodeHeader) == c.nodeID {
		c.log.Warn("avatarkit: this node asked itself for a key: its Self is not the URL the peer list knows it by", "self", c.self)
		refuse(w, http.StatusLoopDetected, "a node asked itself: Self is not how the peers list this node")
		return
	}
	switch rest {
	case overridePath:
		var n overrideNotice
		if err := json.Unmarshal(body, &n); err != nil {
			refuse(w, http.StatusBadRequest, "malformed override: "+oneLine(err.Error()))
			return
		}
		if _, err := c.takeOverride(n); err != nil {
			c.peerBadRequests.Add(1)
			refuse(w, http.StatusBadRequest, "invalid override: "+oneLine(err.Error()))
			return
		}
		c.log.Info("avatarkit: forced refresh from a peer", "type", n.Type, "id", n.ID, "version", n.Version)
		w.WriteHeader(http.StatusOK)
		return
	case holdPath:
		var n holdNotice
		if err := json.Unmarshal(body, &n); err != nil {
			refuse(w, http.StatusBadRequest, "malformed rate-limit notice: "+oneLine(err.Error()))
			return
		}
		if err := c.takeHold(n); err != nil {
			c.peerBadRequests.Add(1)
			refuse(w, http.StatusBadRequest, "invalid rate-limit notice: "+oneLine(err.Error()))
			return
		}
		w.WriteHeader(http.StatusOK)
		return
	case overridesPath:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(c.overrideList())
		return
	case pingPath:
		c.servePing(w)
		return
	}
	wire, key, _ := strings.Cut(rest, "/")
	var g *group
	for _, cand := range c.groups {
		if cand.wire == wire {
			g = cand
		}
	}
	if g == nil {
		c.peerBadRequests.Add(1)
		refuse(w, http.StatusNotFound, fmt.Sprintf("no group %q here (is Name the same on every node?)", wire))
		return
	}
	if err := g.validate(key); err != nil {
		c.peerBadRequests.Add(1)
		c.log.Warn("avatarkit: peer asked for an invalid key", "remote", r.RemoteAddr, "group", wire, "key", key, "err", err)
		refuse(w, http.StatusBadRequest, "invalid key: "+oneLine(err.Error()))
		return
	}
	hint, peek := r.Header.Get(hintHeader), r.Header.Get(peekHeader) == "1"
	if hint != "" {
		if err := c.validateAvatarKey(hint); err != nil {
			c.peerBadRequests.Add(1)
			refuse(w, http.StatusBadRequest, "invalid hint: "+oneLine(err.Error()))
			return
		}
	}
	c.servedForPeers.Add(1)
	g.g.Stats.ServerRequests.Add(1)

	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(c.timeout + 2*c.peerTimeout))
	type result struct {
		v   groupcache.ByteView
		err error
	}
	done := make(chan result, 1)
	sctx, span := c.serveSpan(r, wire, key)
	defer span.End()
	ctx := context.WithValue(context.WithoutCancel(sctx), servingKey{}, g)
	if hint != "" {
		ctx = withHint(ctx, hint)
	}
	if peek {
		ctx = withPeek(ctx)
	}
	go func() {
		var v groupcache.ByteView
		err := g.g.Get(ctx, key, groupcache.ByteViewSink(&v))
		done <- result{v, err}
	}()

	hdr := w.Header()
	hdr.Set("Content-Type", peerContentType)
	hdr.Set("Cache-Control", "no-store")
	interval := c.peerTimeout / 4
	tick := time.NewTimer(interval)
	defer tick.Stop()
	started := false
	for {
		select {
		case res := <-done:
			spanError(span, res.err)
			var head [5]byte
			var body []byte
			if res.err != nil {
				body = encodePeerError(res.err)
				head[0] = frameError
				binary.BigEndian.PutUint32(head[1:], uint32(len(body)))
			} else {
				head[0] = frameValue
				binary.BigEndian.PutUint32(head[1:], uint32(res.v.Len()))
			}
			if !started {
				n := len(head) + len(body) + res.v.Len() // v is empty on error
				hdr.Set("Content-Length", strconv.Itoa(n))
				w.WriteHeader(http.StatusOK)
			}
			w.Write(head[:])
			if res.err != nil {
				w.Write(body)
			} else {
				res.v.WriteTo(w)
			}
			return
		case <-tick.C:
			if !started {
				started = true
				w.WriteHeader(http.StatusOK)
			}
			if _, err := w.Write([]byte{frameHeartbeat}); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			tick.Reset(interval)
		case <-r.Context().Done():
			// The asking node gave up. The load goes on, and its value is cached here.
			return
		}
	}
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// checkAuth checks the credentials of a peer request. It returns a status (401, 403) and a reason,
// or 0 when the request is authentic.
func (c *Cache) checkAuth(r *http.Request, body []byte) (string, int) {
	auth := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, authScheme) {
		return "peer credentials required", http.StatusUnauthorized
	}
	if c.secret == nil || c.self == "" {
		return "this node is not in a cluster: it accepts no peer requests", http.StatusForbidden
	}
	tsText, sig, ok := strings.Cut(strings.TrimSpace(cred), ":")
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if !ok || err != nil || sig == "" {
		return "malformed peer credentials", http.StatusForbidden
	}
	now, window := c.now().Unix(), int64(c.authWindow/time.Second)
	if ts < now-window || ts > now+window {
		return fmt.Sprintf("peer credentials expired: the timestamp is not within %v of this node's clock", c.authWindow), http.StatusForbidden
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	sr := signedRequest{method: r.Method, path: r.URL.Path, ts: ts, hint: r.Header.Get(hintHeader),
		peek: r.Header.Get(peekHeader) == "1", body: body}
	want, _ := base64.RawURLEncoding.DecodeString(sr.sign(c.secret))
	if err != nil || !hmac.Equal(got, want) {
		return "bad peer signature", http.StatusForbidden
	}
	return "", 0
}

// peerError is an owner's load error as it travels in an 'E' frame, rebuilt on the other side as
// the error type the owner had, so that the front door maps it to the same status.
type peerError struct {
	Class      string        `json:"class"` // "fetch", "image", "busy" (*BusyError), "changed" (errContentChanged), "notcached" (errNotCached) or "" (any other)
	Kind       uint8         `json:"kind,omitempty"`
	Provider   string        `json:"provider,omitempty"`
	Param      string        `json:"param,omitempty"`
	Msg        string        `json:"msg"`
	RetryAfter time.Duration `json:"retry_after,omitempty"`
}

func encodePeerError(err error) []byte {
	var pe peerError
	var fe *fetch.Error
	var ie *imageops.Error
	var be *BusyError
	switch {
	case errors.As(err, &be):
		pe = peerError{Class: "busy", Msg: be.Msg, RetryAfter: be.RetryAfter}
	case errors.Is(err, errContentChanged):
		pe = peerError{Class: "changed", Msg: err.Error()}
	case errors.Is(err, errNotCached):
		pe = peerError{Class: "notcached", Msg: err.Error()}
	case errors.As(err, &fe):
		pe = peerError{Class: "fetch", Kind: uint8(fe.Kind), Provider: fe.Provider, Msg: fe.Msg, RetryAfter: fe.RetryAfter}
	case errors.As(err, &ie):
		pe = peerError{Class: "image", Kind: uint8(ie.Kind), Param: ie.Param, Msg: ie.Msg}
	default:
		pe = peerError{Msg: err.Error()}
	}
	pe.Msg = truncateMeta(pe.Msg)
	b, _ := json.Marshal(pe)
	return b
}

func decodePeerError(b []byte, peer string) error {
	var pe peerError
	if err := json.Unmarshal(b, &pe); err != nil {
		return fmt.Errorf("cache: peer %s: malformed error frame: %v", peer, err)
	}
	switch pe.Class {
	case "fetch":
		return &fetch.Error{Kind: fetch.Kind(pe.Kind), Provider: pe.Provider, Msg: pe.Msg, RetryAfter: pe.RetryAfter}
	case "image":
		return &imageops.Error{Kind: imageops.ErrorKind(pe.Kind), Param: pe.Param, Msg: pe.Msg}
	case "busy":
		return &BusyError{RetryAfter: pe.RetryAfter, Msg: pe.Msg}
	case "changed":
		return errContentChanged
	case "notcached":
		return errNotCached
	}
	return fmt.Errorf("cache: the owner %s failed: %s", peer, pe.Msg)
}

// peerGetter asks one peer for the keys of one group. It implements groupcache.ProtoGetter.
type peerGetter struct {
	pc  *peerClient
	grp *group
}

// unreachableError wraps the failures after which a peer is set aside.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// Get asks the peer for in's key. groupcache loads the key locally when it fails; when the owner
// answered with its own load error, that error is handed to the local getter (group.ownerErrs),
// which returns it instead of loading the key a second time.
func (pg *peerGetter) Get(ctx context.Context, in *pb.GetRequest, out *pb.GetResponse) (err error) {
	g, c := pg.grp, pg.grp.c
	if ctx.Value(servingKey{}) == g {
		c.notForwarded.Add(1) // groupcache counts it as a peer error; Stats takes it back out
		return errNotForwarding
	}
	key := in.GetKey()
	noteLoad(ctx)
	defer c.loads.ended(key)
	ctx, span := c.startSpan(ctx, spanPeerGet, trace.SpanKindClient, false,
		attribute.String(attrPeer, pg.pc.base), attribute.String(attrGroup, g.wire), attribute.String(attrKey, key))
	start := time.Now()
	value, err := c.askPeer(ctx, pg.pc.base, g.wire, key)
	took := time.Since(start)
	outcome := "ok"
	defer func() {
		if c.observer != nil && !errors.Is(err, errNotCached) {
			c.observer.PeerRequest(outcome, took)
		}
	}()
	if err == nil {
		out.Value = value
		endSpan(span, nil, attribute.Int(attrBytes, len(value)))
		if g.idx == groupVariants || g.idx == groupProbation {
			if class, kind, _, n, ok := entryHeader(value); ok && class == classPicture {
				c.catalog.variant(hintOf(ctx), key, imageops.Format(kind), n, "peer", c.now())
			}
		}
		c.log.Debug("avatarkit: got from peer", "peer", pg.pc.base, "group", g.wire, "key", key, "bytes", len(value), "took", took)
		return nil
	}
	endSpan(span, err)
	var ue *unreachableError
	var oe *ownerError
	switch {
	case errors.As(err, &oe):
		if errors.Is(oe.err, errNotCached) {
			c.peekMisses.Add(1) // an answer, not a failure: Stats takes it out of the peer errors
		}
		outcome = "owner_error"
		g.ownerErrs.Store(key, oe.err)
		c.log.Debug("avatarkit: the owner's load failed", "peer", pg.pc.base, "group", g.wire, "key", key, "err", oe.err)
		return oe.err
	case errors.As(err, &ue):
		outcome = "error"
		c.setAside(pg.pc, ue.err)
	default:
		outcome = "error"
		c.log.Warn("avatarkit: peer request failed, loading here", "peer", pg.pc.base, "group", g.wire, "key", key, "err", err, "took", took)
	}
	return err
}

// ownerError is the owner's own load error, received in an 'E' frame.
type ownerError struct{ err error }

func (e *ownerError) Error() string { return e.err.Error() }
func (e *ownerError) Unwrap() error { return e.err }

// askPeer does one peer request. It applies PeerTimeout to connecting, to the response header and
// to every gap between two frames, and LoadTimeout+PeerTimeout to the whole; it runs on a context
// detached from ctx, because the load is shared by every caller waiting on it.
func (c *Cache) askPeer(ctx context.Context, base, wire, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout+c.peerTimeout)
	defer cancel()
	path := c.basePath + wire + "/" + key
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+c.basePath+url.PathEscape(wire)+"/"+url.PathEscape(key), nil)
	if err != nil {
		return nil, fmt.Errorf("cache: peer %s: %v", base, err)
	}
	if hint := hintOf(ctx); hint != "" {
		req.Header.Set(hintHeader, hint)
	}
	if isPeek(ctx) {
		req.Header.Set(peekHeader, "1")
	}
	c.authorize(req, path, nil)
	injectTrace(ctx, req.Header) // not signed: see trace.go
	res, err := c.transport.RoundTrip(req)
	if err != nil {
		return nil, &unreachableError{fmt.Errorf("cache: peer %s: %w", base, err)}
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.CopyN(io.Discard, res.Body, 4<<10) // lets the connection be reused
		reason := res.Header.Get(errorHeader)
		if reason == "" {
			reason = res.Status
		}
		err := fmt.Errorf("cache: peer %s answered %d: %s", base, res.StatusCode, reason)
		switch res.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			c.log.Error("avatarkit: a peer refused this node's credentials: check that every node has the same PeerSecret and a synchronized clock",
				"peer", base, "status", res.StatusCode, "reason", reason)
			return nil, &unreachableError{err}
		case http.StatusLoopDetected:
			c.log.Warn("avatarkit: a peer URL is this very node: set Self to the URL the peer list knows it by", "self", c.self, "peer", base)
			return nil, &unreachableError{err}
		}
		return nil, err
	}
	if ct := res.Header.Get("Content-Type"); ct != peerContentType {
		return nil, fmt.Errorf("cache: peer %s answered with %q, not a peer response (is it an avatarkit node, with the same BasePath?)", base, ct)
	}

	var idle atomic.Bool
	timer := time.AfterFunc(c.peerTimeout, func() { idle.Store(true); cancel() })
	defer timer.Stop()
	value, err := readFrames(&progressReader{r: res.Body, timer: timer, d: c.peerTimeout}, base)
	switch {
	case err == nil:
		io.CopyN(io.Discard, res.Body, 64) // reads the end of the body: the connection is reused
		return value, nil
	case errors.As(err, new(*ownerError)):
		return nil, err
	case idle.Load():
		return nil, &unreachableError{fmt.Errorf("cache: peer %s went silent for %v in the middle of its answer", base, c.peerTimeout)}
	case ctx.Err() != nil:
		return nil, fmt.Errorf("cache: peer %s: no answer within %v", base, c.timeout+c.peerTimeout)
	}
	return nil, &unreachableError{err}
}

// progressReader postpones timer by d whenever bytes arrive.
type progressReader struct {
	r     io.Reader
	timer *time.Timer
	d     time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.timer.Reset(p.d)
	}
	return n, err
}

// readFrames reads a response body: heartbeats, then a value or an error.
func readFrames(r io.Reader, peer string) ([]byte, error) {
	br := bufio.NewReaderSize(r, 512)
	for {
		t, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("cache: peer %s: answer cut short: %w", peer, noEOF(err))
		}
		if t == frameHeartbeat {
			continue
		}
		var n [4]byte
		if _, err := io.ReadFull(br, n[:]); err != nil {
			return nil, fmt.Errorf("cache: peer %s: answer cut short: %w", peer, noEOF(err))
		}
		size := binary.BigEndian.Uint32(n[:])
		switch {
		case t == frameValue && size <= maxPeerValue, t == frameError && size <= maxPeerError:
		case t == frameValue || t == frameError:
			return nil, fmt.Errorf("cache: peer %s: frame of %d bytes is too large", peer, size)
		default:
			return nil, fmt.Errorf("cache: peer %s: unknown frame type 0x%02x", peer, t)
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("cache: peer %s: answer cut short: %w", peer, noEOF(err))
		}
		if t == frameError {
			return nil, &ownerError{decodePeerError(b, peer)}
		}
		return b, nil
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
