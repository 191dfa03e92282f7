package fetch

import (
	"net"
	"net/url"
	"strings"
)

// Allowlist is the list of hosts a download may touch: every hop of a picture download (the first
// URL and each redirect target) must match one of its entries, or the Client refuses it before
// making the request.
//
// An entry is a host name ("fbcdn.net"), an IP address ("127.0.0.1", "::1"), or either with a port
// ("127.0.0.1:8080", "[::1]:8080"). A host-name entry matches that host and every subdomain of it,
// on dot boundaries: "fbcdn.net" matches "fbcdn.net" and "scontent.xx.fbcdn.net" but neither
// "evilfbcdn.net" nor "fbcdn.net.evil.com". An IP entry matches that address only. An entry without a
// port matches any port; an entry with a port matches that port only.
type Allowlist []string

// Allows reports whether hostport (a URL's Host: "host" or "host:port") matches one of a's entries.
// See HostMatches.
func (a Allowlist) Allows(hostport string) bool {
	for _, entry := range a {
		if HostMatches(hostport, entry) {
			return true
		}
	}
	return false
}

// AllowsURL reports whether u is an http or https URL whose host a allows.
func (a Allowlist) AllowsURL(u *url.URL) bool {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return false
	}
	return a.Allows(u.Host)
}

// HostMatches reports whether hostport (a URL's Host: "host" or "host:port", IPv6 literals in
// brackets) matches the allowlist entry, on dot boundaries: the host equals the entry's host or ends
// with "." followed by it. Case and one trailing dot are ignored. IP addresses match only exactly. When
// the entry has a port, hostport must carry the same port; an entry without a port matches any port.
//
// Hosts that are not plain ASCII host names or IP literals (empty labels, non-ASCII or other unusual
// characters) match nothing.
func HostMatches(hostport, entry string) bool {
	host, port, ok := splitHostPort(hostport)
	if !ok {
		return false
	}
	ehost, eport, ok := splitHostPort(entry)
	if !ok {
		return false
	}
	if eport != "" && eport != port {
		return false
	}
	hostIP, entryIP := net.ParseIP(host), net.ParseIP(ehost)
	if hostIP != nil || entryIP != nil {
		return hostIP != nil && entryIP != nil && hostIP.Equal(entryIP)
	}
	return host == ehost || strings.HasSuffix(host, "."+ehost)
}

// splitHostPort splits "host", "host:port", "[v6]" or "[v6]:port" into a normalised (lower-case,
// no trailing dot, no brackets) host and a port, and reports whether the host is acceptable.
func splitHostPort(hostport string) (host, port string, ok bool) {
	host = hostport
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", "", false
		}
		host, rest := hostport[1:end], hostport[end+1:]
		switch {
		case rest == "":
		case rest[0] == ':' && validPort(rest[1:]):
			port = rest[1:]
		default:
			return "", "", false
		}
		ip := net.ParseIP(host)
		if ip == nil || ip.To4() != nil && !strings.Contains(host, ":") {
			return "", "", false
		}
		return strings.ToLower(host), port, true
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		if strings.IndexByte(hostport[:i], ':') >= 0 {
			// A bare IPv6 address (no brackets, so no port).
			if net.ParseIP(hostport) == nil {
				return "", "", false
			}
			return strings.ToLower(hostport), "", true
		}
		host, port = hostport[:i], hostport[i+1:]
		if !validPort(port) {
			return "", "", false
		}
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !validHostName(host) {
		return "", "", false
	}
	return host, port, true
}

// validHostName reports whether h is a non-empty dot-separated sequence of non-empty labels of
// ASCII letters, digits, '-' and '_'.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// validPort reports whether p is 1 to 5 decimal digits.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}
