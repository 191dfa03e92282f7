package fetch

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHostMatches(t *testing.T) {
	tests := []struct {
		host, entry string
		want        bool
	}{
		// Dot boundaries.
		{"fbcdn.net", "fbcdn.net", true},
		{"scontent.xx.fbcdn.net", "fbcdn.net", true},
		{"scontent-ams4-1.xx.fbcdn.net", "fbcdn.net", true},
		{"evilfbcdn.net", "fbcdn.net", false},
		{"fbcdn.net.evil.com", "fbcdn.net", false},
		{"fbcdn.netx", "fbcdn.net", false},
		{"net", "fbcdn.net", false},
		{"twimg.com", "pbs.twimg.com", false},
		{"abs.twimg.com", "pbs.twimg.com", false},
		{"x.pbs.twimg.com", "pbs.twimg.com", true},
		// Case, trailing dot.
		{"SContent.FBCDN.net", "fbcdn.net", true},
		{"fbcdn.net", "FBCDN.NET", true},
		{"scontent.fbcdn.net.", "fbcdn.net", true},
		{"scontent.fbcdn.net..", "fbcdn.net", false},
		// Ports: an entry without a port matches any; with one, only that one.
		{"fbcdn.net:443", "fbcdn.net", true},
		{"fbcdn.net:8443", "fbcdn.net", true},
		{"127.0.0.1:8080", "127.0.0.1:8080", true},
		{"127.0.0.1:8081", "127.0.0.1:8080", false},
		{"127.0.0.1", "127.0.0.1:8080", false},
		{"127.0.0.1:8080", "127.0.0.1", true},
		{"api.x.com:8080", "api.x.com:8080", true},
		{"sub.api.x.com:8080", "api.x.com:8080", true},
		{"api.x.com:80", "api.x.com:8080", false},
		// IP addresses match exactly, never as a suffix.
		{"1.127.0.0.1", "127.0.0.1", false},
		{"127.0.0.2", "127.0.0.1", false},
		{"[::1]:80", "::1", true},
		{"[::1]:80", "[::1]:80", true},
		{"[::1]:81", "[::1]:80", false},
		{"::1", "::1", true},
		{"[::ffff:127.0.0.1]", "127.0.0.1", true},
		{"localhost", "127.0.0.1", false},
		// Malformed hosts and entries match nothing.
		{"", "fbcdn.net", false},
		{"fbcdn.net", "", false},
		{".fbcdn.net", "fbcdn.net", false},
		{"a..fbcdn.net", "fbcdn.net", false},
		{"evil.com@fbcdn.net", "fbcdn.net", false},
		{"evil.com/x.fbcdn.net", "fbcdn.net", false},
		{"evil.com%2efbcdn.net", "fbcdn.net", false},
		{"ｆbcdn.net", "fbcdn.net", false},
		{"scontent.ｆbcdn.net", "fbcdn.net", false},
		{"fbcdn.net:abc", "fbcdn.net", false},
		{"fbcdn.net:", "fbcdn.net", false},
		{"fbcdn.net:123456", "fbcdn.net", false},
		{"[1.2.3.4]", "1.2.3.4", false},
		{"[::1", "::1", false},
		{"*.fbcdn.net", "fbcdn.net", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, HostMatches(tt.host, tt.entry), "HostMatches(%q, %q)", tt.host, tt.entry)
	}
}

func TestAllowlistAllowsURL(t *testing.T) {
	allow := Allowlist{"fbcdn.net", "127.0.0.1:8080"}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://scontent.xx.fbcdn.net/v/t1/p.jpg?oh=1&oe=2", true},
		{"http://scontent.xx.fbcdn.net/p.jpg", true},
		{"http://127.0.0.1:8080/fbcdn/p.jpg", true},
		{"http://127.0.0.1:9090/fbcdn/p.jpg", false},
		{"https://evilfbcdn.net/p.jpg", false},
		{"ftp://scontent.fbcdn.net/p.jpg", false},
		{"file:///etc/passwd", false},
		{"https://user:pw@scontent.fbcdn.net/p.jpg", false},
		{"https://scontent.fbcdn.net@evil.com/p.jpg", false},
		{"//scontent.fbcdn.net/p.jpg", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		require.NoError(t, err, tt.url)
		assert.Equal(t, tt.want, allow.AllowsURL(u), tt.url)
	}
	assert.False(t, allow.AllowsURL(nil))
	assert.False(t, Allowlist(nil).Allows("fbcdn.net"))
}
