package fetch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// hostPort is a host and a port as the transport dials them: the host lower-case without a trailing
// dot, an IP address in its canonical form.
type hostPort struct{ host, port string }

func (h hostPort) String() string { return net.JoinHostPort(h.host, h.port) }

// normHost lower-cases a host name and drops one trailing dot; an IP address gets its canonical
// form (zone kept).
func normHost(h string) string {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// baseHostPort returns the host and port a base URL's requests dial: the URL's port, or 443 for
// https and 80 for http.
func baseHostPort(raw string) (hostPort, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return hostPort{}, fmt.Errorf("fetch: base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return hostPort{}, fmt.Errorf("fetch: base URL %q: scheme must be http or https", raw)
	}
	if _, _, ok := splitHostPort(u.Host); !ok || u.Hostname() == "" {
		return hostPort{}, fmt.Errorf("fetch: base URL %q: unusable host", raw)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return hostPort{}, fmt.Errorf("fetch: base URL %q: bad port", raw)
	}
	return hostPort{host: normHost(u.Hostname()), port: port}, nil
}

// dialer opens every connection of one Client: it resolves the host itself, refuses the connection
// when any address the host resolves to is not public (see addrRefusal), and dials the addresses it
// checked, so that a second resolution can never swap in another one (DNS rebinding). Connections to
// a trusted host:port (a provider's configured base URL) skip the check and are dialled as they are.
type dialer struct {
	trusted []hostPort
	allowed []netip.Prefix
	lookup  func(ctx context.Context, host string) ([]net.IPAddr, error)
	// hook is ClientConfig.DialContext; nil: checked (untrusted) or plain (trusted).
	hook    func(ctx context.Context, network, addr string) (net.Conn, error)
	checked *net.Dialer // its Control refuses a non-public address again, as a second line
	plain   *net.Dialer
	timeout time.Duration
}

func newDialer(cfg *ClientConfig, timeout time.Duration, trusted []hostPort) *dialer {
	d := &dialer{
		trusted: trusted,
		allowed: cfg.AllowPrivateAddresses,
		lookup:  cfg.LookupIPAddr,
		hook:    cfg.DialContext,
		plain:   &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second},
		timeout: timeout,
	}
	if d.lookup == nil {
		d.lookup = net.DefaultResolver.LookupIPAddr
	}
	d.checked = &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: d.control}
	return d
}

// control is the checked net.Dialer's Control: it refuses a connection to a non-public address.
// DialContext has checked the address already; this guards against a change that would dial a name.
func (d *dialer) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("fetch: refusing to dial %q: not an IP address", address)
	}
	if why := addrRefusal(ap.Addr(), d.allowed); why != "" {
		return refused(ap.Addr().String(), ap.Addr(), why)
	}
	return nil
}

func (d *dialer) isTrusted(host, port string) bool {
	h := hostPort{host: normHost(host), port: port}
	return slices.Contains(d.trusted, h)
}

// DialContext is the transport's DialContext.
func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if d.isTrusted(host, port) {
		if d.hook != nil {
			return d.hook(ctx, network, addr)
		}
		return d.plain.DialContext(ctx, network, addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("fetch: bad port %q", port)
	}
	// The transport detaches dials from the request's cancellation; bound lookup and dials here.
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	addrs, err := d.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if why := addrRefusal(a, d.allowed); why != "" {
			return nil, refused(host, a, why)
		}
	}
	var first error
	for i, a := range addrs {
		actx, acancel := partialDeadline(ctx, len(addrs)-i)
		target := netip.AddrPortFrom(a, mustPort(port)).String()
		var conn net.Conn
		if d.hook != nil {
			conn, err = d.hook(actx, network, target)
		} else {
			conn, err = d.checked.DialContext(actx, network, target)
		}
		acancel()
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// resolve returns the addresses of host (an IP literal is its own), IPv4-mapped answers unmapped,
// without duplicates.
func (d *dialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	ipas, err := d.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ipas))
	for _, ipa := range ipas {
		a, ok := netip.AddrFromSlice(ipa.IP)
		if !ok {
			continue
		}
		a = a.Unmap().WithZone(ipa.Zone)
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

// partialDeadline gives one of n remaining dial attempts its share of ctx's time, at least 2s (as
// net.Dialer does).
func partialDeadline(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || n <= 1 {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	share := max(left/time.Duration(n), min(2*time.Second, left))
	return context.WithTimeout(ctx, share)
}

func mustPort(p string) uint16 {
	n, _ := strconv.ParseUint(p, 10, 16)
	return uint16(n)
}

// refused is the error of a connection refused because of its address. The public message names
// the host when it is a name, never an address.
func refused(host string, a netip.Addr, why string) *Error {
	cause := &AddressError{Host: host, Addr: a, Reason: why}
	if _, err := netip.ParseAddr(host); err == nil {
		return &Error{Kind: KindUpstream, Msg: "refused to connect to a non-public address (" + why + ")", Err: cause}
	}
	return &Error{Kind: KindUpstream, Err: cause,
		Msg: fmt.Sprintf("refused to connect to %s: it resolves to a non-public address (%s)", quoteShort(host), why)}
}
