package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refusedAddrs are addresses of every class the client never connects to, with a word of the reason
// it gives.
var refusedAddrs = []struct{ addr, reason string }{
	{"127.0.0.1", "loopback"},
	{"127.1.2.3", "loopback"},
	{"::1", "loopback"},
	{"0.0.0.0", "unspecified"},
	{"0.1.2.3", "unspecified"},
	{"::", "unspecified"},
	{"10.0.0.5", "private"},
	{"172.16.0.1", "private"},
	{"172.31.255.254", "private"},
	{"192.168.1.1", "private"},
	{"fc00::1", "private"},
	{"fd12:3456:789a::1", "private"},
	{"169.254.169.254", "cloud metadata"},
	{"169.254.1.1", "link-local"},
	{"fe80::1", "link-local"},
	{"fe80::1%eth0", "link-local"},
	{"fec0::1", "site-local"},
	{"100.64.0.1", "CGNAT"},
	{"100.127.255.254", "CGNAT"},
	{"224.0.0.1", "multicast"},
	{"239.255.255.250", "multicast"},
	{"ff02::1", "multicast"},
	{"ff0e::1", "multicast"},
	{"255.255.255.255", "broadcast"},
	{"240.0.0.1", "reserved"},
	{"192.0.0.170", "reserved"},
	{"192.0.2.1", "documentation"},
	{"198.51.100.7", "documentation"},
	{"203.0.113.9", "documentation"},
	{"2001:db8::1", "documentation"},
	{"3fff::1", "documentation"},
	{"198.18.0.1", "benchmarking"},
	{"198.19.255.1", "benchmarking"},
	{"2001:2::1", "benchmarking"},
	{"192.88.99.1", "6to4 relay"},
	{"100::1", "discard"},
	// IPv4 hidden in IPv6
	{"::ffff:127.0.0.1", "IPv4-mapped IPv6 of a loopback"},
	{"::ffff:10.0.0.5", "IPv4-mapped IPv6 of a private"},
	{"::ffff:169.254.169.254", "IPv4-mapped IPv6 of a link-local (cloud metadata)"},
	{"::127.0.0.1", "IPv4-compatible IPv6 of a loopback"},
	{"::10.0.0.5", "IPv4-compatible IPv6 of a private"},
	{"::ffff:0:10.0.0.5", "IPv4-translated IPv6 of a private"},
	{"64:ff9b::127.0.0.1", "NAT64 IPv6 of a loopback"},
	{"64:ff9b::a00:5", "NAT64 IPv6 of a private"},
	{"64:ff9b:1::8.8.8.8", "local-use NAT64"},
	{"2002:7f00:1::1", "6to4 IPv6 of a loopback"},
	{"2002:a00:5::1", "6to4 IPv6 of a private"},
	{"2002:a9fe:a9fe::", "6to4 IPv6 of a link-local (cloud metadata)"},
	{"2001:0:7f00:1::", "Teredo IPv6 of a loopback"},          // server 127.0.0.1
	{"2001:0:808:808::f5ff:fffa", "Teredo IPv6 of a private"}, // client ^f5ff:fffa = 10.0.0.5
	{"2001:4860::5efe:a00:5", "ISATAP IPv6 of a private"},
	{"2001:4860::200:5efe:7f00:1", "ISATAP IPv6 of a loopback"},
	{"::2", "IPv4-compatible IPv6 of a unspecified"},
	{"::1:0:0:1", "reserved"},
}

// publicAddrs are ordinary public addresses, including IPv6 ones that embed a public IPv4 address.
var publicAddrs = []string{
	"8.8.8.8",
	publicIP,
	"1.1.1.1",
	"100.63.255.255", // just below CGNAT
	"100.128.0.0",    // just above
	"172.15.255.255", // just below 172.16/12
	"172.32.0.0",     // just above
	"169.253.255.255",
	"2a03:2880:f12f:83:face:b00c:0:25de",
	"2606:4700:4700::1111",
	"::ffff:8.8.8.8",
	"64:ff9b::808:808",
	"2002:808:808::1",
	"2001:0:808:808::fefe:fefe", // Teredo: server 8.8.8.8, client 1.1.1.1
	"2001:4860::5efe:808:808",   // ISATAP of 8.8.8.8
}

func TestAddrRefusal(t *testing.T) {
	for _, c := range refusedAddrs {
		a := netip.MustParseAddr(c.addr)
		why := addrRefusal(a, nil)
		assert.Contains(t, why, c.reason, c.addr)
	}
	for _, s := range publicAddrs {
		assert.Empty(t, addrRefusal(netip.MustParseAddr(s), nil), s)
	}
	assert.Equal(t, "invalid", addrRefusal(netip.Addr{}, nil))

	t.Run("AllowPrivateAddresses", func(t *testing.T) {
		allowed := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
		for _, s := range []string{"10.0.0.5", "::ffff:10.0.0.5", "64:ff9b::a00:5", "2002:a00:5::1", "fd12::1"} {
			assert.Empty(t, addrRefusal(netip.MustParseAddr(s), allowed), s)
		}
		for _, s := range []string{"127.0.0.1", "192.168.1.1", "::ffff:127.0.0.1", "fc00::1", "169.254.169.254"} {
			assert.NotEmpty(t, addrRefusal(netip.MustParseAddr(s), allowed), s)
		}
	})
}

// countingDial is a DialContext hook that records the addresses it is asked for and routes every
// connection to target.
type countingDial struct {
	target string
	mu     sync.Mutex
	addrs  []string
}

func (d *countingDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.target)
}

func (d *countingDial) seen() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := d.addrs
	d.addrs = nil
	return out
}

// countingListener is a TCP listener on 127.0.0.1 that counts the connections it accepts (and
// closes them).
func countingListener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

func requireRefusal(t *testing.T, err error, host string) *AddressError {
	t.Helper()
	e := requireKind(t, err, KindUpstream)
	assert.Contains(t, e.Msg, "non-public address", host)
	var ae *AddressError
	require.True(t, errors.As(err, &ae), "cause %T: %v", e.Err, e.Err)
	if _, perr := netip.ParseAddr(host); perr == nil {
		assert.NotContains(t, e.Msg, host, "no address in a public message")
	} else {
		assert.Contains(t, e.Msg, host, "the message names the host")
	}
	assert.NotContains(t, e.Msg, ae.Addr.String(), "no address in a public message")
	return ae
}

// TestDialRefusesEveryClass resolves a CDN name to an address of every refused class: the
// connection is refused before the dial hook is called, with a message that names the host.
func TestDialRefusesEveryClass(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBytes) })
	dial := &countingDial{target: s.Listener.Addr().String()}
	allow := Allowlist{"fbcdn.net"}
	for _, c := range refusedAddrs {
		t.Run(c.addr, func(t *testing.T) {
			cl := newTestClient(t, ClientConfig{DialContext: dial.dial, LookupIPAddr: resolveTo(c.addr)})
			_, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png?oh=SECRET", allow)
			ae := requireRefusal(t, err, "scontent.xx.fbcdn.net")
			// A resolver gives IPv4 addresses in their IPv4-mapped form: they are checked as IPv4.
			assert.Equal(t, addrRefusal(netip.MustParseAddr(c.addr).Unmap(), nil), ae.Reason)
			assert.Equal(t, "scontent.xx.fbcdn.net", ae.Host)
			assert.NotContains(t, err.Error(), "SECRET")
			_, err = cl.API(t.Context(), "http://scontent.xx.fbcdn.net/api", nil, allow)
			requireRefusal(t, err, "scontent.xx.fbcdn.net")
			assert.Empty(t, dial.seen(), "never dialled")
		})
	}
	assert.Empty(t, s.seen())
}

// TestDialRefusedLiterals requests IP literals of refused classes that are on the allowlist: the
// message does not repeat the address.
func TestDialRefusedLiterals(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBytes) })
	dial := &countingDial{target: s.Listener.Addr().String()}
	cl := newTestClient(t, ClientConfig{DialContext: dial.dial})
	for _, c := range refusedAddrs {
		a := netip.MustParseAddr(c.addr)
		u := "http://" + netip.AddrPortFrom(a, 8080).String() + "/p.png"
		if a.Zone() != "" {
			u = "http://[" + a.WithZone("").String() + "%25" + a.Zone() + "]:8080/p.png"
		}
		_, err := cl.Picture(t.Context(), u, Allowlist{a.WithZone("").String()})
		if a.Zone() != "" {
			// A zone is not a host name the allowlist accepts: refused before any dial.
			requireKind(t, err, KindUpstream)
			continue
		}
		ae := requireRefusal(t, err, a.String())
		assert.Contains(t, ae.Reason, c.reason, c.addr)
	}
	assert.Empty(t, dial.seen(), "never dialled")
	assert.Empty(t, s.seen())
}

// TestDialNoByteSent checks with a real listener on 127.0.0.1 that a refused connection is never
// opened, whatever the spelling of the address: a name resolving to it (the real resolver for
// localhost), the literal, an IPv4-mapped literal.
func TestDialNoByteSent(t *testing.T) {
	addr, accepted := countingListener(t)
	_, port, _ := net.SplitHostPort(addr)
	cases := []struct {
		name, url string
		allow     Allowlist
		lookup    func(context.Context, string) ([]net.IPAddr, error)
		host      string
	}{
		{"name to 127.0.0.1", "http://scontent.xx.fbcdn.net:" + port + "/p.png", Allowlist{"fbcdn.net"}, resolveTo("127.0.0.1"), "scontent.xx.fbcdn.net"},
		{"name to ::ffff:127.0.0.1", "http://scontent.xx.fbcdn.net:" + port + "/p.png", Allowlist{"fbcdn.net"}, resolveTo("::ffff:127.0.0.1"), "scontent.xx.fbcdn.net"},
		{"name to public and 127.0.0.1", "http://scontent.xx.fbcdn.net:" + port + "/p.png", Allowlist{"fbcdn.net"}, resolveTo(publicIP, "127.0.0.1"), "scontent.xx.fbcdn.net"},
		{"localhost, real resolver", "http://localhost:" + port + "/p.png", Allowlist{"localhost"}, nil, "localhost"},
		{"literal", "http://" + addr + "/p.png", Allowlist{"127.0.0.1"}, nil, "127.0.0.1"},
		{"mapped literal", "http://[::ffff:127.0.0.1]:" + port + "/p.png", Allowlist{"::ffff:127.0.0.1"}, nil, "::ffff:127.0.0.1"},
		{"compatible literal", "http://[::127.0.0.1]:" + port + "/p.png", Allowlist{"::127.0.0.1"}, nil, "::127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := newTestClient(t, ClientConfig{LookupIPAddr: c.lookup})
			_, err := cl.Picture(t.Context(), c.url, c.allow)
			requireRefusal(t, err, c.host)
			_, err = cl.API(t.Context(), c.url, nil, c.allow)
			requireRefusal(t, err, c.host)
		})
	}
	assert.Zero(t, accepted.Load(), "no connection reached the listener")
}

// TestDialPublic resolves names to public addresses: the check passes, and the dial hook gets the
// checked address, never the name.
func TestDialPublic(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBytes) })
	for _, a := range publicAddrs {
		t.Run(a, func(t *testing.T) {
			dial := &countingDial{target: s.Listener.Addr().String()}
			cl := newTestClient(t, ClientConfig{DialContext: dial.dial, LookupIPAddr: resolveTo(a)})
			pic, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png", Allowlist{"fbcdn.net"})
			require.NoError(t, err)
			assert.Equal(t, "image/png", pic.ContentType)
			want := netip.AddrPortFrom(netip.MustParseAddr(a).Unmap(), 80).String()
			assert.Equal(t, []string{want}, dial.seen())
		})
	}
	assert.Equal(t, []string{"scontent.xx.fbcdn.net"}, s.seen()[:1], "the Host header keeps the name")

	t.Run("first address fails, second works", func(t *testing.T) {
		var calls atomic.Int32
		cl := newTestClient(t, ClientConfig{
			LookupIPAddr: resolveTo("8.8.8.8", "1.1.1.1"),
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				calls.Add(1)
				if addr == "8.8.8.8:80" {
					return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
				}
				var d net.Dialer
				return d.DialContext(ctx, "tcp", s.Listener.Addr().String())
			},
		})
		_, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png", Allowlist{"fbcdn.net"})
		require.NoError(t, err)
		assert.EqualValues(t, 2, calls.Load())
	})
	t.Run("lookup fails", func(t *testing.T) {
		cl := newTestClient(t, ClientConfig{LookupIPAddr: func(context.Context, string) ([]net.IPAddr, error) {
			return nil, &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}
		}})
		_, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png", Allowlist{"fbcdn.net"})
		e := requireKind(t, err, KindUpstream)
		assert.Contains(t, e.Msg, "host not found")
		cl = newTestClient(t, ClientConfig{LookupIPAddr: resolveTo()})
		_, err = cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png", Allowlist{"fbcdn.net"})
		e = requireKind(t, err, KindUpstream)
		assert.Contains(t, e.Msg, "host not found")
	})
	s.seen()
}

// TestDialRedirectToPrivate follows a redirect from an allowed public host to an allowed host name
// that resolves to a private address, and to a loopback literal: both hops are refused.
func TestDialRedirectToPrivate(t *testing.T) {
	addr, accepted := countingListener(t)
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-private-name":
			http.Redirect(w, r, "http://static.xx.fbcdn.net/p.png", http.StatusFound)
		case "/to-loopback":
			http.Redirect(w, r, "http://"+addr+"/p.png", http.StatusFound)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		default:
			_, _ = w.Write(pngBytes)
		}
	})
	dial := &countingDial{target: s.Listener.Addr().String()}
	lookup := func(_ context.Context, host string) ([]net.IPAddr, error) {
		if host == "static.xx.fbcdn.net" {
			return []net.IPAddr{{IP: net.ParseIP("10.0.0.5")}}, nil
		}
		return []net.IPAddr{{IP: net.ParseIP(publicIP)}}, nil
	}
	cl := newTestClient(t, ClientConfig{DialContext: dial.dial, LookupIPAddr: lookup})
	allow := Allowlist{"fbcdn.net", "127.0.0.1", "169.254.169.254"}

	_, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/to-private-name", allow)
	ae := requireRefusal(t, err, "static.xx.fbcdn.net")
	assert.Equal(t, netip.MustParseAddr("10.0.0.5"), ae.Addr)

	_, err = cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/to-loopback", allow)
	requireRefusal(t, err, "127.0.0.1")

	_, err = cl.API(t.Context(), "http://scontent.xx.fbcdn.net/to-metadata", nil, allow)
	ae = requireRefusal(t, err, "169.254.169.254")
	assert.Contains(t, ae.Reason, "cloud metadata")

	for _, a := range dial.seen() {
		assert.Equal(t, publicIP+":80", a, "only the public host was dialled")
	}
	assert.Equal(t, []string{"scontent.xx.fbcdn.net", "scontent.xx.fbcdn.net", "scontent.xx.fbcdn.net"}, s.seen())
	assert.Zero(t, accepted.Load())
}

// TestDialRebinding resolves a name to a public address first and to a private one afterwards: the
// client dials the address it checked (the hook never sees a name to resolve again), and a later
// connection, which resolves again, is refused.
func TestDialRebinding(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBytes) })
	dial := &countingDial{target: s.Listener.Addr().String()}
	var lookups atomic.Int32
	lookup := func(context.Context, string) ([]net.IPAddr, error) {
		if lookups.Add(1) == 1 {
			return []net.IPAddr{{IP: net.ParseIP(publicIP)}}, nil
		}
		return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}, nil
	}
	cl := newTestClient(t, ClientConfig{DialContext: dial.dial, LookupIPAddr: lookup})
	allow := Allowlist{"fbcdn.net"}

	_, err := cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png", allow)
	require.NoError(t, err)
	assert.Equal(t, []string{publicIP + ":80"}, dial.seen(), "the checked address is dialled, not the name")
	assert.EqualValues(t, 1, lookups.Load(), "one lookup per connection")

	cl.CloseIdleConnections() // the next request needs a new connection, hence a new lookup
	_, err = cl.Picture(t.Context(), "http://scontent.xx.fbcdn.net/p.png", allow)
	requireRefusal(t, err, "scontent.xx.fbcdn.net")
	assert.Empty(t, dial.seen())
	assert.EqualValues(t, 2, lookups.Load())
	assert.Len(t, s.seen(), 1)
}

// TestTrustedBaseURL checks the exception for a provider's configured base URL: its host:port is
// dialled by name whatever it resolves to, for that derived client only.
func TestTrustedBaseURL(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBytes) })
	dial := &countingDial{target: s.Listener.Addr().String()}
	root := newTestClient(t, ClientConfig{DialContext: dial.dial, LookupIPAddr: resolveTo("10.0.0.5")})
	allow := Allowlist{"a.internal", "b.internal"}

	a, err := root.WithTrustedBaseURL("http://A.Internal.:8080/graph/v19.0")
	require.NoError(t, err)
	again, err := root.WithTrustedBaseURL("http://a.internal:8080")
	require.NoError(t, err)
	assert.Same(t, a, again, "one derived client per set of trusted hosts")

	_, err = a.Picture(t.Context(), "http://a.internal:8080/p.png", allow)
	require.NoError(t, err)
	_, err = a.API(t.Context(), "http://a.internal:8080/api", nil, allow)
	require.NoError(t, err)
	assert.Equal(t, []string{"a.internal:8080"}, dial.seen(), "a trusted host is dialled by name (one kept-alive connection)")

	for _, c := range []struct {
		cl  *Client
		url string
	}{
		{a, "http://a.internal:9090/p.png"}, // another port
		{a, "http://b.internal:8080/p.png"}, // another host
		{root, "http://a.internal:8080/p.png"},
	} {
		_, err = c.cl.Picture(t.Context(), c.url, allow)
		requireRefusal(t, err, strings.Split(strings.TrimPrefix(c.url, "http://"), ":")[0])
	}
	assert.Empty(t, dial.seen())

	// A client trusting b does not reuse a's connection to a, nor trust a.
	b, err := root.WithTrustedBaseURL("http://b.internal:8080")
	require.NoError(t, err)
	_, err = b.Picture(t.Context(), "http://a.internal:8080/p.png", allow)
	requireRefusal(t, err, "a.internal")
	_, err = b.Picture(t.Context(), "http://b.internal:8080/p.png", allow)
	require.NoError(t, err)

	// Trusted hosts add up.
	ab, err := b.WithTrustedBaseURL("http://a.internal:8080")
	require.NoError(t, err)
	for _, h := range []string{"a", "b"} {
		_, err = ab.Picture(t.Context(), "http://"+h+".internal:8080/p.png", allow)
		require.NoError(t, err, h)
	}
	assert.ElementsMatch(t, []string{"b.internal:8080", "a.internal:8080", "b.internal:8080"}, dial.seen())

	for _, bad := range []string{"ftp://a.internal/", "http://", "a.internal:8080", "http://a b/", "http://a.internal:0/", "http://a.internal:99999/"} {
		_, err := root.WithTrustedBaseURL(bad)
		assert.Error(t, err, bad)
	}

	// Default ports.
	for base, want := range map[string]hostPort{
		"https://graph.internal":     {"graph.internal", "443"},
		"http://graph.internal/v1":   {"graph.internal", "80"},
		"http://[::1]:8080":          {"::1", "8080"},
		"http://[0:0::1]":            {"::1", "80"},
		"https://127.0.0.1:8443/api": {"127.0.0.1", "8443"},
	} {
		hp, err := baseHostPort(base)
		require.NoError(t, err, base)
		assert.Equal(t, want, hp, base)
	}
	s.seen()
}

// TestTrustedRedirect redirects from a trusted base host to itself (fine) and to a private address
// (refused).
func TestTrustedRedirect(t *testing.T) {
	addr, accepted := countingListener(t)
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/self":
			http.Redirect(w, r, "/p.png", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://"+addr+"/p.png", http.StatusFound)
		default:
			_, _ = w.Write(pngBytes)
		}
	})
	cl := trustingClient(t, ClientConfig{}, s.URL)
	allow := Allowlist{strings.TrimPrefix(s.URL, "http://"), "127.0.0.1"}
	_, err := cl.Picture(t.Context(), s.URL+"/self", allow)
	require.NoError(t, err)
	_, err = cl.Picture(t.Context(), s.URL+"/away", allow)
	requireRefusal(t, err, "127.0.0.1")
	assert.Zero(t, accepted.Load())
	assert.Len(t, s.seen(), 3)
}

func TestAllowPrivateAddresses(t *testing.T) {
	s := newHostServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(pngBytes) })
	dial := &countingDial{target: s.Listener.Addr().String()}
	for _, c := range []struct {
		resolved string
		ok       bool
	}{
		{"10.0.0.5", true}, {"::ffff:10.0.0.5", true}, {"10.255.0.1", true},
		{"127.0.0.1", false}, {"192.168.0.1", false}, {"169.254.169.254", false},
	} {
		cl := newTestClient(t, ClientConfig{DialContext: dial.dial, LookupIPAddr: resolveTo(c.resolved),
			AllowPrivateAddresses: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}})
		_, err := cl.Picture(t.Context(), "http://proxy.corp/p.png", Allowlist{"proxy.corp"})
		if c.ok {
			require.NoError(t, err, c.resolved)
		} else {
			requireRefusal(t, err, "proxy.corp")
		}
	}
	_, err := NewClient(ClientConfig{AllowPrivateAddresses: []netip.Prefix{{}}})
	assert.Error(t, err)

	// A real dial (no hook) through the checked net.Dialer, whose Control checks the address again.
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	cl := newTestClient(t, ClientConfig{LookupIPAddr: resolveTo("127.0.0.1"),
		AllowPrivateAddresses: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	_, err = cl.Picture(t.Context(), "http://proxy.corp:"+port+"/p.png", Allowlist{"proxy.corp"})
	require.NoError(t, err)
	s.seen()
	dial.seen()
}

func TestDialControl(t *testing.T) {
	d := newDialer(&ClientConfig{}, DefaultTimeout, nil)
	assert.NoError(t, d.control("tcp", "157.240.1.35:443", nil))
	assert.NoError(t, d.control("tcp6", "[2a03:2880::1]:443", nil))
	for _, a := range []string{"127.0.0.1:80", "[::ffff:10.0.0.5]:80", "[fe80::1%eth0]:80", "scontent.xx.fbcdn.net:80"} {
		err := d.control("tcp", a, nil)
		assert.Error(t, err, a)
	}
	var e *Error
	require.ErrorAs(t, d.control("tcp", "169.254.169.254:80", nil), &e)
	assert.Equal(t, KindUpstream, e.Kind)
}
