package fetch_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// resolveAll returns a LookupIPAddr that resolves every name to ip and counts its calls.
func resolveAll(ip string, calls *atomic.Int32) func(context.Context, string) ([]net.IPAddr, error) {
	return func(_ context.Context, host string) ([]net.IPAddr, error) {
		if calls != nil {
			calls.Add(1)
		}
		return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
	}
}

func requireAddressRefusal(t *testing.T, err error, host string) *fetch.AddressError {
	t.Helper()
	e := requireKind(t, err, fetch.KindUpstream)
	assert.Contains(t, e.Msg, "non-public address")
	assert.Contains(t, e.Msg, host)
	var ae *fetch.AddressError
	require.True(t, errors.As(err, &ae), "cause: %v", e.Err)
	assert.NotContains(t, e.Msg, ae.Addr.String())
	assertNoSecret(t, err)
	return ae
}

// TestBaseURLOnLoopback runs every provider against the fake on 127.0.0.1 with no dial or resolver
// hook at all: the configured base URLs' host is trusted, for API calls and for the pictures served
// from it.
func TestBaseURLOnLoopback(t *testing.T) {
	s := fake(t)
	cfg := config(s)
	cfg.Client = fetch.ClientConfig{}
	ps := providers(t, cfg)
	for _, c := range []struct{ typ, id string }{
		{"facebook", fbID}, {"twitter", xID}, {"twitter_name", "pi_day"},
		{"gravatar", fetchtest.UsersOf("gravatar")[0].ID},
	} {
		_, err := fetchID(t, ps, c.typ, c.id)
		require.NoError(t, err, c.typ)
	}
	assert.Equal(t, 1, s.Count(fetchtest.FacebookImage))
	assert.Equal(t, 2, s.Count(fetchtest.XImage))
	assert.Equal(t, 1, s.Count(fetchtest.GravatarImage))
}

// TestPictureHostOnPrivateAddress makes the networks hand out picture URLs on their real CDN hosts,
// which resolve to a loopback or private address: the download is refused after the lookup, before
// any connection, and the error names the host.
func TestPictureHostOnPrivateAddress(t *testing.T) {
	for _, ip := range []string{"127.0.0.1", "10.0.0.5", "::ffff:10.0.0.5", "169.254.169.254", "100.64.1.1", "fd00::1", "64:ff9b::a9fe:a9fe"} {
		t.Run(ip, func(t *testing.T) {
			s := fake(t)
			var dials atomic.Int32
			base := strings.TrimPrefix(s.URL, "http://")
			cfg := config(s)
			cfg.Client.LookupIPAddr = resolveAll(ip, nil)
			cfg.Client.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				assert.Equal(t, base, addr, "only the trusted base host is dialled")
				return s.DialContext(ctx, network, addr)
			}
			ps := providers(t, cfg)
			s.SetImageHost("facebook", "scontent-ams4-1.xx.fbcdn.net")
			s.SetImageHost("x", "pbs.twimg.com")

			_, err := fetchID(t, ps, "facebook", fbID)
			e := requireAddressRefusal(t, err, "scontent-ams4-1.xx.fbcdn.net")
			var fe *fetch.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "facebook", fe.Provider)
			assert.Equal(t, "scontent-ams4-1.xx.fbcdn.net", e.Host)

			_, err = fetchID(t, ps, "twitter", xID)
			requireAddressRefusal(t, err, "pbs.twimg.com")

			assert.Equal(t, 1, s.Count(fetchtest.FacebookLookup))
			assert.Equal(t, 1, s.Count(fetchtest.XLookup))
			assert.Zero(t, s.Count(fetchtest.FacebookImage))
			assert.Zero(t, s.Count(fetchtest.XImage))
			assert.Positive(t, dials.Load())
		})
	}
}

// TestTrustIsPerProvider configures Facebook's base URL on a host that is also one of X's picture
// hosts. It is trusted for Facebook's requests, and still checked for X's: a connection Facebook
// opened to it is never reused by X.
func TestTrustIsPerProvider(t *testing.T) {
	s := fake(t)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	require.NoError(t, err)
	shared := "pbs.twimg.com:" + port

	var lookups atomic.Int32
	cfg := config(s)
	cfg.FacebookURL = "http://" + shared + "/facebook/v19.0"
	cfg.Client.LookupIPAddr = resolveAll("127.0.0.1", &lookups)
	ps := providers(t, cfg)
	s.SetImageHost("facebook", shared)
	s.SetImageHost("x", shared)

	pic, err := fetchID(t, ps, "facebook", fbID)
	require.NoError(t, err, "Facebook trusts its base host")
	assert.NotEmpty(t, pic.Bytes)
	assert.Zero(t, lookups.Load(), "a trusted host is not resolved by the client")
	for _, r := range s.Requests() {
		assert.Equal(t, shared, r.Host)
	}

	s.ResetCounts()
	_, err = fetchID(t, ps, "twitter", xID)
	ae := requireAddressRefusal(t, err, "pbs.twimg.com")
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), ae.Addr)
	assert.Equal(t, 1, s.Count(fetchtest.XLookup), "X's own base URL (127.0.0.1) is trusted for X")
	assert.Zero(t, s.Count(fetchtest.XImage))

	// Gravatar's and X's base hosts are the fake's 127.0.0.1:port; Facebook's is not, so Facebook
	// may not fetch from there.
	s.SetImageHost("facebook", "")
	_, err = fetchID(t, ps, "facebook", fbID)
	e := requireKind(t, err, fetch.KindUpstream)
	assert.Contains(t, e.Msg, "not on the allowlist")
}

// TestDefaultBaseURLIsChecked: a base URL left to its default is a public host and gets no
// exception; resolving it to a private address refuses the API call.
func TestDefaultBaseURLIsChecked(t *testing.T) {
	s := fake(t)
	var dials atomic.Int32
	ps := providers(t, fetch.Config{
		XToken: fetchtest.XToken,
		Client: fetch.ClientConfig{
			LookupIPAddr: resolveAll("10.1.2.3", nil),
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return s.DialContext(ctx, network, addr)
			},
		},
	})
	for typ, host := range map[string]string{"facebook": "graph.facebook.com", "twitter": "api.x.com", "gravatar": "www.gravatar.com"} {
		id := map[string]string{"facebook": fbID, "twitter": xID, "gravatar": fetchtest.MissingGravatarHash}[typ]
		_, err := fetchID(t, ps, typ, id)
		requireAddressRefusal(t, err, host)
	}
	assert.Zero(t, dials.Load())
	assert.Empty(t, s.Requests())
}

// TestAllowPrivateAddressesProvider opens a private range: picture hosts resolving into it are
// fetched.
func TestAllowPrivateAddressesProvider(t *testing.T) {
	s := fake(t)
	cfg := config(s)
	cfg.Client.LookupIPAddr = resolveAll("10.20.30.40", nil)
	cfg.Client.AllowPrivateAddresses = []netip.Prefix{netip.MustParsePrefix("10.20.30.0/24")}
	ps := providers(t, cfg)
	s.SetImageHost("facebook", "scontent.xx.fbcdn.net")
	_, err := fetchID(t, ps, "facebook", fbID)
	require.NoError(t, err)
	assert.Equal(t, 1, s.Count(fetchtest.FacebookImage))
}
