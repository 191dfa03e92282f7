package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngBytes is the start of a PNG file: enough to be sniffed.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")

// hostServer is an httptest server that records the Host of every request it gets.
type hostServer struct {
	*httptest.Server
	mu    sync.Mutex
	hosts []string
}

func newHostServer(t *testing.T, h http.HandlerFunc) *hostServer {
	t.Helper()
	s := &hostServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hosts = append(s.hosts, r.Host)
		s.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// seen returns the Hosts requested since the last call.
func (s *hostServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.hosts
	s.hosts = nil
	return out
}

// dialTo routes every connection to addr, whatever the URL's host.
func dialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

func newTestClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// trustingClient is newTestClient trusting the host of baseURL (a local test server): the address
// check lets it through, as it does a provider's configured base URL.
func trustingClient(t *testing.T, cfg ClientConfig, baseURL string) *Client {
	t.Helper()
	c, err := newTestClient(t, cfg).WithTrustedBaseURL(baseURL)
	require.NoError(t, err)
	return c
}

// publicIP is an ordinary public address. Tests resolve CDN names to it (LookupIPAddr) and route the
// connection to a local server (DialContext): the address check passes and nothing leaves the
// machine.
const publicIP = "157.240.1.35"

// resolveTo returns a LookupIPAddr that resolves every host to ips.
func resolveTo(ips ...string) func(context.Context, string) ([]net.IPAddr, error) {
	return func(context.Context, string) ([]net.IPAddr, error) {
		out := make([]net.IPAddr, len(ips))
		for i, ip := range ips {
			a := netip.MustParseAddr(ip)
			out[i] = net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
		}
		return out, nil
	}
}

func requireKind(t *testing.T, err error, k Kind) *Error {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.True(t, errors.As(err, &e), "want *Error, got %T: %v", err, err)
	require.Equal(t, k, e.Kind, "kind of %v", err)
	return e
}

// redirectServer serves /r/N, which redirects to /r/N-1?token=secret, and /r/0, a PNG. It fails
// the test when a request carries a Referer (which would hold the previous URL's token).
func redirectServer(t *testing.T) *hostServer {
	return newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Empty(t, r.Header.Get("Referer"), "Referer of %s", r.URL)
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		switch {
		case err != nil:
			http.NotFound(w, r)
		case n == 0:
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pngBytes)
		default:
			http.Redirect(w, r, fmt.Sprintf("/r/%d?token=secret", n-1), http.StatusFound)
		}
	})
}

func TestClientRedirects(t *testing.T) {
	s := redirectServer(t)
	host := strings.TrimPrefix(s.URL, "http://")
	allow := Allowlist{host}
	c := trustingClient(t, ClientConfig{}, s.URL)

	t.Run("3 allowed", func(t *testing.T) {
		pic, err := c.Picture(t.Context(), s.URL+"/r/3", allow)
		require.NoError(t, err)
		assert.Equal(t, "image/png", pic.ContentType)
		assert.Equal(t, pngBytes, pic.Bytes)
		assert.Len(t, s.seen(), 4)
	})
	t.Run("4 refused", func(t *testing.T) {
		_, err := c.Picture(t.Context(), s.URL+"/r/4", allow)
		e := requireKind(t, err, KindUpstream)
		assert.Contains(t, e.Msg, "too many redirects")
		assert.Len(t, s.seen(), 4, "the 5th URL is never requested")
	})
	t.Run("configured 1", func(t *testing.T) {
		c1 := trustingClient(t, ClientConfig{MaxRedirects: 1}, s.URL)
		_, err := c1.Picture(t.Context(), s.URL+"/r/1", allow)
		require.NoError(t, err)
		_, err = c1.Picture(t.Context(), s.URL+"/r/2", allow)
		requireKind(t, err, KindUpstream)
		s.seen()
	})
	t.Run("none", func(t *testing.T) {
		c0 := trustingClient(t, ClientConfig{MaxRedirects: -1}, s.URL)
		_, err := c0.Picture(t.Context(), s.URL+"/r/1", allow)
		requireKind(t, err, KindUpstream)
		assert.Len(t, s.seen(), 1)
	})
	t.Run("api", func(t *testing.T) {
		resp, err := c.API(t.Context(), s.URL+"/r/2", nil, allow)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		_, err = c.API(t.Context(), s.URL+"/r/4", nil, allow)
		requireKind(t, err, KindUpstream)
		s.seen()
	})
}

func TestClientRedirectToRefusedHost(t *testing.T) {
	var evilHits atomic.Int32
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Host {
		case "scontent.xx.fbcdn.net":
			switch r.URL.Path {
			case "/to-evil":
				http.Redirect(w, r, "http://evilfbcdn.net/p.png?access_token=SECRET", http.StatusFound)
			case "/to-file":
				http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
			case "/to-ok":
				http.Redirect(w, r, "http://static.xx.fbcdn.net/p.png", http.StatusMovedPermanently)
			}
		case "static.xx.fbcdn.net":
			_, _ = w.Write(pngBytes)
		default:
			evilHits.Add(1)
			_, _ = w.Write(pngBytes)
		}
	})
	c := newTestClient(t, ClientConfig{DialContext: dialTo(s.Listener.Addr().String()), LookupIPAddr: resolveTo(publicIP)})
	allow := Allowlist{"fbcdn.net"}

	pic, err := c.Picture(t.Context(), "http://scontent.xx.fbcdn.net/to-ok", allow)
	require.NoError(t, err)
	assert.Equal(t, "image/png", pic.ContentType)

	_, err = c.Picture(t.Context(), "http://scontent.xx.fbcdn.net/to-evil", allow)
	e := requireKind(t, err, KindUpstream)
	assert.Contains(t, e.Msg, `"evilfbcdn.net"`)
	assert.NotContains(t, err.Error(), "SECRET")
	assert.NotContains(t, fmt.Sprint(e.Err), "SECRET")

	_, err = c.Picture(t.Context(), "http://scontent.xx.fbcdn.net/to-file", allow)
	requireKind(t, err, KindUpstream)

	// The first URL is checked too, before any request.
	_, err = c.Picture(t.Context(), "http://evilfbcdn.net/p.png?oh=SECRET", allow)
	e = requireKind(t, err, KindUpstream)
	assert.Contains(t, e.Msg, "evilfbcdn.net")
	assert.NotContains(t, err.Error(), "SECRET")
	_, err = c.Picture(t.Context(), "ftp://scontent.xx.fbcdn.net/p.png", allow)
	requireKind(t, err, KindUpstream)
	_, err = c.Picture(t.Context(), "http://scontent.xx.fbcdn.net:99999999/p.png", allow)
	requireKind(t, err, KindUpstream)
	_, err = c.Picture(t.Context(), "%zz", allow)
	requireKind(t, err, KindUpstream)

	assert.Zero(t, evilHits.Load(), "a refused host is never requested")
	assert.Equal(t, []string{"scontent.xx.fbcdn.net", "static.xx.fbcdn.net", "scontent.xx.fbcdn.net", "scontent.xx.fbcdn.net"}, s.seen())
}

func TestClientPictureOutcomes(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/png":
			w.Header().Set("Content-Type", "text/plain") // the header does not matter
			_, _ = w.Write(pngBytes)
		case "/html":
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte("<html>nope</html>"))
		case "/empty":
		case "/404":
			http.Error(w, "gone", http.StatusNotFound)
		case "/403":
			http.Error(w, "no", http.StatusForbidden)
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/429":
			w.Header().Set("Retry-After", "120")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "/big-length":
			w.Header().Set("Content-Length", "2048")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(pngBytes) // never read
		case "/big-chunked":
			_, _ = w.Write(pngBytes)
			w.(http.Flusher).Flush()
			_, _ = w.Write(make([]byte, 2048))
		case "/exact":
			_, _ = w.Write(append(append([]byte{}, pngBytes...), make([]byte, 1024-len(pngBytes))...))
		case "/truncated":
			conn, bw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: image/png\r\n\r\n")
			_, _ = bw.Write(pngBytes)
			_ = bw.Flush()
		}
	})
	allow := Allowlist{strings.TrimPrefix(s.URL, "http://")}
	c := trustingClient(t, ClientConfig{MaxBytes: 1024}, s.URL)
	get := func(path string) (*Picture, error) { return c.Picture(t.Context(), s.URL+path, allow) }

	pic, err := get("/png")
	require.NoError(t, err)
	assert.Equal(t, "image/png", pic.ContentType)
	assert.False(t, pic.Default)

	pic, err = get("/exact")
	require.NoError(t, err, "exactly MaxBytes is fine")
	assert.Len(t, pic.Bytes, 1024)

	for path, kind := range map[string]Kind{
		"/html": KindNotImage, "/empty": KindNotImage,
		"/404": KindUpstream, "/403": KindUpstream, "/500": KindUpstream,
		"/big-length": KindTooLarge, "/big-chunked": KindTooLarge,
		"/truncated": KindUpstream,
	} {
		_, err := get(path)
		e := requireKind(t, err, kind)
		assert.NotEmpty(t, e.Msg, path)
		assert.Empty(t, e.Provider, path)
	}

	_, err = get("/404")
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusNotFound, se.StatusCode)
	assert.Equal(t, s.URL+"/404", se.URL)

	_, err = get("/429")
	e := requireKind(t, err, KindRateLimited)
	assert.Equal(t, 120*time.Second, e.RetryAfter)
	assert.Contains(t, e.Msg, "retry in 2m0s")

	_, err = get("/big-length")
	assert.Contains(t, err.Error(), "larger than 1 KiB")
}

func TestClientAPI(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("X-Echo-Auth", r.Header.Get("Authorization"))
			w.Header().Set("X-Echo-Accept", r.Header.Get("Accept"))
			w.Header().Set("X-Echo-UA", r.Header.Get("User-Agent"))
			_, _ = w.Write([]byte(`{"data":{}}`))
		case "/400":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":100}}`))
		case "/huge":
			_, _ = w.Write([]byte(strings.Repeat(" ", MaxAPIBytes+1)))
		}
	})
	allow := Allowlist{strings.TrimPrefix(s.URL, "http://")}
	c := trustingClient(t, ClientConfig{UserAgent: "test-agent"}, s.URL)

	resp, err := c.API(t.Context(), s.URL+"/ok", http.Header{"authorization": {"Bearer T"}}, allow)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"data":{}}`, string(resp.Body))
	assert.Equal(t, "Bearer T", resp.Header.Get("X-Echo-Auth"))
	assert.Equal(t, "application/json", resp.Header.Get("X-Echo-Accept"))
	assert.Equal(t, "test-agent", resp.Header.Get("X-Echo-UA"))

	resp, err = c.API(t.Context(), s.URL+"/400", nil, allow)
	require.NoError(t, err, "a non-2xx answer is the provider's to read")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `{"error":{"code":100}}`, string(resp.Body))

	_, err = c.API(t.Context(), s.URL+"/huge", nil, allow)
	requireKind(t, err, KindUpstream) // not KindTooLarge: that is a fact about a picture

	_, err = c.API(t.Context(), "http://api.example.com/ok", nil, allow)
	requireKind(t, err, KindUpstream)
}

func TestClientTimeouts(t *testing.T) {
	release := make(chan struct{})
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-header":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/slow-body":
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write(pngBytes)
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	allow := Allowlist{strings.TrimPrefix(s.URL, "http://")}
	c := trustingClient(t, ClientConfig{Timeout: 100 * time.Millisecond}, s.URL)

	for _, path := range []string{"/slow-header", "/slow-body"} {
		start := time.Now()
		_, err := c.Picture(t.Context(), s.URL+path+"?access_token=SECRET", allow)
		e := requireKind(t, err, KindTimeout)
		assert.Contains(t, e.Msg, "not received within 100ms", "%s: the bound that ran out", path)
		assert.Less(t, time.Since(start), 5*time.Second, path)
		assert.NotContains(t, err.Error(), "SECRET")
		assert.NotContains(t, e.Err.Error(), "SECRET", "the cause is redacted too")
		_, err = c.API(t.Context(), s.URL+path, nil, allow)
		requireKind(t, err, KindTimeout)
	}

	// The caller's context bounds the request as well.
	slow := trustingClient(t, ClientConfig{Timeout: time.Minute}, s.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := slow.Picture(ctx, s.URL+"/slow-header", allow)
	e := requireKind(t, err, KindTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "picture not received before the caller's deadline", e.Msg, "not the client's minute")

	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = slow.Picture(ctx, s.URL+"/slow-body", allow)
	requireKind(t, err, KindTimeout)
	require.ErrorIs(t, err, context.Canceled)
}

func TestClientConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c := trustingClient(t, ClientConfig{}, "http://"+addr)
	_, err = c.Picture(t.Context(), "http://"+addr+"/p.png", Allowlist{addr})
	e := requireKind(t, err, KindUpstream)
	assert.NotContains(t, e.Msg, "127.0.0.1", "no internal address in a public message")
}

func TestNewClientConfig(t *testing.T) {
	c, err := NewClient(ClientConfig{})
	require.NoError(t, err)
	assert.Equal(t, DefaultTimeout, c.timeout)
	assert.Equal(t, int64(DefaultMaxBytes), c.MaxBytes())
	assert.Equal(t, DefaultMaxRedirects, c.maxRedirects)
	assert.Equal(t, DefaultUserAgent, c.userAgent)
	assert.Nil(t, c.transport.Proxy, "never an environment proxy")

	for _, bad := range []ClientConfig{
		{Timeout: -time.Second},
		{MaxBytes: -1},
		{UserAgent: "a\r\nX-Injected: 1"},
	} {
		_, err := NewClient(bad)
		assert.Error(t, err, "%+v", bad)
	}
}

// TestClientNoGoroutineLeft runs downloads of every outcome and checks that, once the idle
// connections are closed, no goroutine is left behind.
func TestClientNoGoroutineLeft(t *testing.T) {
	s := redirectServer(t)
	allow := Allowlist{strings.TrimPrefix(s.URL, "http://")}
	before := runtime.NumGoroutine()
	root, err := NewClient(ClientConfig{MaxBytes: 10})
	require.NoError(t, err)
	c, err := root.WithTrustedBaseURL(s.URL)
	require.NoError(t, err)
	for range 20 {
		_, _ = c.Picture(t.Context(), s.URL+"/r/1", allow) // too large
		_, _ = c.Picture(t.Context(), s.URL+"/r/9", allow) // too many redirects
		_, _ = c.API(t.Context(), s.URL+"/nope", nil, allow)
	}
	s.seen()
	root.CloseIdleConnections() // the derived client's too
	// Polled by hand: assert.Eventually runs its condition on a goroutine of its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: before %d, now %d\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestRedactURL(t *testing.T) {
	u, err := url.Parse("https://user:pw@graph.example.com/v19.0/1/picture?access_token=T#frag")
	require.NoError(t, err)
	assert.Equal(t, "https://graph.example.com/v19.0/1/picture", redactURL(u))
	assert.Empty(t, redactURL(nil))
}
