package fetch

import (
	"fmt"
	"net/netip"
)

// AddressError is the cause (Error.Err) of a KindUpstream *Error for a connection the Client refused
// to open because of the address it would have reached: a loopback, private, link-local, CGNAT,
// multicast, reserved or documentation address, or an IPv4 address of one of those kinds hidden in
// an IPv6 address. It is for logs: the public Msg of the *Error never holds the address.
type AddressError struct {
	// Host is the host name (or IP literal) of the URL being fetched.
	Host string
	// Addr is the refused address: the IP literal of the URL, or one the host name resolved to.
	Addr netip.Addr
	// Reason names the kind of address, e.g. "private", "loopback", "link-local (cloud metadata)",
	// "IPv4-mapped IPv6 of a private IPv4 address".
	Reason string
}

// Error returns "<host> resolves to <addr> (<reason>)", or "address <addr> (<reason>)" when the host
// is that address.
func (e *AddressError) Error() string {
	if a, err := netip.ParseAddr(e.Host); err == nil && a.WithZone("") == e.Addr.WithZone("") {
		return fmt.Sprintf("address %s (%s)", e.Addr, e.Reason)
	}
	return fmt.Sprintf("%s resolves to %s (%s)", e.Host, e.Addr, e.Reason)
}

// special is a range of addresses the Client never connects to (unless the operator allows it), or
// one that carries an IPv4 address that must be checked instead.
type special struct {
	prefix netip.Prefix
	reason string
	// embedded, when set, returns the IPv4 address(es) the range carries; the address is refused
	// when one of them is.
	embedded func(a [16]byte) []netip.Addr
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// v4at returns the IPv4 address in bytes b[i:i+4].
func v4at(b [16]byte, i int) netip.Addr { return netip.AddrFrom4([4]byte(b[i : i+4])) }

// specialRanges lists the non-public ranges, most specific first within overlapping ranges. Sources:
// the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later), RFC 6052 (NAT64),
// RFC 3056 (6to4), RFC 4380 (Teredo), RFC 4214 (ISATAP, checked separately), RFC 9637.
var specialRanges = []special{
	// IPv4
	{prefix: mustPrefix("255.255.255.255/32"), reason: "broadcast"},
	{prefix: mustPrefix("0.0.0.0/8"), reason: "unspecified (this-network)"},
	{prefix: mustPrefix("10.0.0.0/8"), reason: "private"},
	{prefix: mustPrefix("100.64.0.0/10"), reason: "shared (CGNAT)"},
	{prefix: mustPrefix("127.0.0.0/8"), reason: "loopback"},
	{prefix: mustPrefix("169.254.169.254/32"), reason: "link-local (cloud metadata)"},
	{prefix: mustPrefix("169.254.0.0/16"), reason: "link-local"},
	{prefix: mustPrefix("172.16.0.0/12"), reason: "private"},
	{prefix: mustPrefix("192.0.0.0/24"), reason: "reserved (IETF protocol assignments)"},
	{prefix: mustPrefix("192.0.2.0/24"), reason: "documentation"},
	{prefix: mustPrefix("192.88.99.0/24"), reason: "reserved (6to4 relay anycast)"},
	{prefix: mustPrefix("192.168.0.0/16"), reason: "private"},
	{prefix: mustPrefix("198.18.0.0/15"), reason: "benchmarking"},
	{prefix: mustPrefix("198.51.100.0/24"), reason: "documentation"},
	{prefix: mustPrefix("203.0.113.0/24"), reason: "documentation"},
	{prefix: mustPrefix("224.0.0.0/4"), reason: "multicast"},
	{prefix: mustPrefix("240.0.0.0/4"), reason: "reserved"},

	// IPv6
	{prefix: mustPrefix("::/128"), reason: "unspecified"},
	{prefix: mustPrefix("::1/128"), reason: "loopback"},
	{prefix: mustPrefix("::ffff:0:0/96"), reason: "IPv4-mapped IPv6",
		embedded: func(b [16]byte) []netip.Addr { return []netip.Addr{v4at(b, 12)} }},
	{prefix: mustPrefix("::ffff:0:0:0/96"), reason: "IPv4-translated IPv6",
		embedded: func(b [16]byte) []netip.Addr { return []netip.Addr{v4at(b, 12)} }},
	{prefix: mustPrefix("::/96"), reason: "IPv4-compatible IPv6",
		embedded: func(b [16]byte) []netip.Addr { return []netip.Addr{v4at(b, 12)} }},
	{prefix: mustPrefix("64:ff9b::/96"), reason: "NAT64 IPv6",
		embedded: func(b [16]byte) []netip.Addr { return []netip.Addr{v4at(b, 12)} }},
	// The local-use NAT64 prefix may embed IPv4 at several positions (RFC 6052 §2.2); it only ever
	// reaches a local translator, so it is refused whole.
	{prefix: mustPrefix("64:ff9b:1::/48"), reason: "local-use NAT64"},
	{prefix: mustPrefix("::/8"), reason: "reserved"}, // after the NAT64 prefixes it holds
	{prefix: mustPrefix("100::/64"), reason: "discard-only"},
	{prefix: mustPrefix("2001:2::/48"), reason: "benchmarking"},
	{prefix: mustPrefix("2001:10::/28"), reason: "reserved (ORCHID)"},
	{prefix: mustPrefix("2001:db8::/32"), reason: "documentation"},
	// Teredo: the server's IPv4 in bits 32-63, the client's (obfuscated: inverted) in bits 96-127.
	{prefix: mustPrefix("2001::/32"), reason: "Teredo IPv6",
		embedded: func(b [16]byte) []netip.Addr {
			var c [4]byte
			for i := range c {
				c[i] = ^b[12+i]
			}
			return []netip.Addr{v4at(b, 4), netip.AddrFrom4(c)}
		}},
	{prefix: mustPrefix("2002::/16"), reason: "6to4 IPv6",
		embedded: func(b [16]byte) []netip.Addr { return []netip.Addr{v4at(b, 2)} }},
	{prefix: mustPrefix("3fff::/20"), reason: "documentation"},
	{prefix: mustPrefix("5f00::/16"), reason: "reserved (SRv6 SIDs)"},
	{prefix: mustPrefix("fc00::/7"), reason: "private (unique local)"},
	{prefix: mustPrefix("fe80::/10"), reason: "link-local"},
	{prefix: mustPrefix("fec0::/10"), reason: "site-local"},
	{prefix: mustPrefix("ff00::/8"), reason: "multicast"},
}

// addrRefusal returns why the Client may not connect to a, or "" when it may. allowed lists
// prefixes the operator opened (ClientConfig.AllowPrivateAddresses): an address in one of them is
// fine, and so is an IPv4 address in one of them hidden in an IPv6 address.
func addrRefusal(a netip.Addr, allowed []netip.Prefix) string {
	return refusal(a.WithZone(""), allowed, 0)
}

func refusal(a netip.Addr, allowed []netip.Prefix, depth int) string {
	if !a.IsValid() {
		return "invalid"
	}
	for _, p := range allowed {
		if p.Contains(a) {
			return ""
		}
	}
	for _, r := range specialRanges {
		if !r.prefix.Contains(a) {
			continue
		}
		if r.embedded == nil {
			return r.reason
		}
		for _, v4 := range r.embedded(a.As16()) {
			if why := refusal(v4, allowed, depth+1); why != "" {
				return r.reason + " of a " + why + " IPv4 address"
			}
		}
		return ""
	}
	if a.Is6() && depth == 0 {
		// ISATAP (RFC 5214): an interface identifier of 0000:5efe or 0200:5efe (the u/l bit may be
		// set) followed by an IPv4 address, under any prefix.
		b := a.As16()
		if b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe && (b[8] == 0 || b[8] == 2) {
			if why := refusal(v4at(b, 12), allowed, depth+1); why != "" {
				return "ISATAP IPv6 of a " + why + " IPv4 address"
			}
		}
	}
	if !a.IsGlobalUnicast() {
		return "non-unicast"
	}
	return ""
}
