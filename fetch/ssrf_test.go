package fetch

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inetAtonLookup resolves like a libc resolver that accepts the legacy spellings of IPv4 addresses
// (inet_aton: decimal, octal and hex parts, and fewer than four of them): every host it is asked
// for is one of those spellings of 127.0.0.1 or 10.0.0.5, and it answers that address. It counts
// its calls.
func inetAtonLookup(calls *atomic.Int32) func(context.Context, string) ([]net.IPAddr, error) {
	return func(_ context.Context, host string) ([]net.IPAddr, error) {
		calls.Add(1)
		ip := "127.0.0.1"
		if strings.HasPrefix(host, "167772") || strings.HasPrefix(host, "0xa") || strings.HasPrefix(host, "012.") || strings.HasPrefix(host, "10.") {
			ip = "10.0.0.5"
		}
		return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
	}
}

// TestLegacyIPv4Spellings requests hosts that are not IP literals to Go (net/netip refuses them)
// but that some resolvers turn into 127.0.0.1 or 10.0.0.5: "2130706433", "0x7f000001",
// "0177.0.0.1", "127.1", ... Even with every one of them on the allowlist, and a resolver that
// answers as inet_aton would, the address the name resolves to is checked when dialling: refused,
// nothing dialled, and a real listener on 127.0.0.1 never sees a connection.
func TestLegacyIPv4Spellings(t *testing.T) {
	addr, accepted := countingListener(t)
	_, port, _ := net.SplitHostPort(addr)
	hosts := []string{
		"2130706433", "0x7f000001", "0x7F000001", "017700000001", "0177.0.0.1", "0x7f.0.0.1", "0x7f.1",
		"127.1", "127.0.1", "127.000.000.001", "0127.0.0.1", "127.0.0.1.", "0", "0.0", "0x0",
		"167772165", "0xa000005", "012.0.0.5", "10.5",
	}
	var lookups atomic.Int32
	dial := &countingDial{target: addr}
	cl := newTestClient(t, ClientConfig{LookupIPAddr: inetAtonLookup(&lookups), DialContext: dial.dial})
	refused := func(t *testing.T, err error, host string) {
		t.Helper()
		e := requireKind(t, err, KindUpstream)
		var ae *AddressError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, host, ae.Host)
		assert.Contains(t, e.Msg, "non-public address")
		assert.Contains(t, e.Msg, host, "the message names the host")
	}
	for _, h := range hosts {
		t.Run(h, func(t *testing.T) {
			if h != "127.0.0.1." { // one trailing dot is the address itself
				assert.False(t, HostMatches(h, "127.0.0.1"), "an IP entry matches that address only, never another spelling")
			}
			assert.False(t, HostMatches(h, "10.0.0.5"))
			u := "http://" + net.JoinHostPort(h, port) + "/p.png"
			_, err := cl.Picture(t.Context(), u, Allowlist{h})
			refused(t, err, h)
			_, err = cl.API(t.Context(), u, nil, Allowlist{h})
			refused(t, err, h)
		})
	}
	assert.Positive(t, lookups.Load(), "the names were resolved, then refused")
	assert.Empty(t, dial.seen(), "never dialled")
	assert.Zero(t, accepted.Load())
}

// TestNoEnvironmentProxy: the guarded client never goes through a proxy from the environment,
// which would dial the proxy instead of the checked address; derived clients neither.
func TestNoEnvironmentProxy(t *testing.T) {
	root := newTestClient(t, ClientConfig{})
	derived, err := root.WithTrustedBaseURL("http://graph.internal:8080")
	require.NoError(t, err)
	for _, c := range []*Client{root, derived} {
		assert.Nil(t, c.transport.Proxy)
		assert.NotNil(t, c.transport.DialContext)
		assert.Nil(t, c.transport.DialTLSContext, "TLS connections are dialled by the checked DialContext too")
		assert.Nil(t, c.transport.Dial) //nolint:staticcheck // the deprecated hook must stay unset as well
	}
}

// TestAllowlistLookalikeURLs: picture URLs a network (or a redirect) could hand us that look like
// an allowed CDN host but are not one, or that smuggle another host in: none is allowed, whatever
// url.Parse makes of it, and none reaches the dialer.
func TestAllowlistLookalikeURLs(t *testing.T) {
	allow := Allowlist{"fbcdn.net", "facebook.com", "pbs.twimg.com"}
	bad := []string{
		"https://evilfbcdn.net/p.jpg",
		"https://fbcdn.net.evil.com/p.jpg",
		"https://scontent.fbcdn.net.evil.com/p.jpg",
		"https://scontent.fbcdn.net%2eevil.com/p.jpg",
		"https://evil.com%2escontent.fbcdn.net/p.jpg",
		"https://scontent.fbcdn.net%2fevil.com/p.jpg",
		"https://evil.com#@scontent.fbcdn.net/p.jpg",
		"https://evil.com?@scontent.fbcdn.net/p.jpg",
		"https://evil.com\\@scontent.fbcdn.net/p.jpg",
		"https://scontent.fbcdn.net@evil.com/p.jpg",
		"https://scontent.fbcdn.net:443@evil.com/p.jpg",
		"https://user@scontent.fbcdn.net/p.jpg",
		"https://scontent\u3002fbcdn.net/p.jpg", // ideographic full stop, a dot to browsers
		"https://scontent\uff0efbcdn.net/p.jpg", // fullwidth full stop
		"https://scontent.\uff46bcdn.net/p.jpg", // fullwidth f
		"https://scontent.fbcdn.n\u0435t/p.jpg", // Cyrillic е
		"https://xn--fbcdn-net.evil.com/p.jpg",
		"https://scontent.fbcdn.net\x00.evil.com/p.jpg",
		"https://scontent.fbcdn.net%00.evil.com/p.jpg",
		"https://[::ffff:157.240.1.35]/p.jpg", // an address, even a public one, is not a name on the list
		"https://157.240.1.35/p.jpg",
		"https://pbs.twimg.com.evil.com/p.jpg",
		"https://evilpbs.twimg.com/p.jpg",
		"https://twimg.com/p.jpg",
		"https://*.fbcdn.net/p.jpg",
		"https://.fbcdn.net/p.jpg",
		"https://scontent..fbcdn.net/p.jpg",
		"file:///etc/passwd",
		"gopher://scontent.fbcdn.net/p.jpg",
		"ftp://scontent.fbcdn.net/p.jpg",
		"//scontent.fbcdn.net/p.jpg",
		"scontent.fbcdn.net/p.jpg",
		"https:scontent.fbcdn.net/p.jpg",
		"https:/scontent.fbcdn.net/p.jpg",
	}
	var dials atomic.Int32
	cl := newTestClient(t, ClientConfig{
		LookupIPAddr: resolveTo(publicIP),
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			dials.Add(1)
			return nil, &net.OpError{Op: "dial", Err: net.UnknownNetworkError("test")}
		},
	})
	for _, raw := range bad {
		if u, err := url.Parse(raw); err == nil {
			assert.False(t, allow.AllowsURL(u), "%q parses to host %q", raw, u.Host)
		}
		_, err := cl.Picture(t.Context(), raw, allow)
		requireKind(t, err, KindUpstream)
	}
	assert.Zero(t, dials.Load(), "refused before any connection")

	for _, good := range []string{"https://scontent.xx.fbcdn.net/p.jpg", "https://SCONTENT.FBCDN.NET./p.jpg", "https://www.facebook.com/p.jpg", "https://pbs.twimg.com/p.jpg"} {
		u, err := url.Parse(good)
		require.NoError(t, err)
		assert.True(t, allow.AllowsURL(u), good)
	}
}

// TestRedirectToLookalikeOrLegacyHost: a redirect from an allowed, public picture host to one of
// the hosts above is refused at the hop, before it is requested; one to an allowed name that a
// resolver turns into 127.0.0.1 is refused at the dial.
func TestRedirectToLookalikeOrLegacyHost(t *testing.T) {
	addr, accepted := countingListener(t)
	_, port, _ := net.SplitHostPort(addr)
	targets := map[string]string{
		"/lookalike": "http://scontent.fbcdn.net.evil.com/p.png",
		"/userinfo":  "http://scontent.fbcdn.net@127.0.0.1:" + port + "/p.png",
		"/legacy":    "http://2130706433.fbcdn.net:" + port + "/p.png",
		"/scheme":    "file:///etc/passwd",
	}
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		if to, ok := targets[r.URL.Path]; ok {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		_, _ = w.Write(pngBytes)
	})
	lookup := func(_ context.Context, host string) ([]net.IPAddr, error) {
		if strings.HasPrefix(host, "2130706433.") {
			return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
		}
		return []net.IPAddr{{IP: net.ParseIP(publicIP)}}, nil
	}
	dial := &countingDial{target: s.Listener.Addr().String()}
	cl := newTestClient(t, ClientConfig{LookupIPAddr: lookup, DialContext: dial.dial})
	allow := Allowlist{"fbcdn.net"}
	for path := range targets {
		_, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net"+path, allow)
		requireKind(t, err, KindUpstream)
		if path == "/legacy" {
			requireRefusal(t, err, "2130706433.fbcdn.net")
		}
	}
	for _, a := range dial.seen() {
		assert.Equal(t, publicIP+":80", a, "only the first, public hop was dialled")
	}
	assert.Zero(t, accepted.Load())
}
