package avatarmw

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// "One cache for the whole fleet", proved at the front door: clusters of Handlers, each behind
// its own HTTP server with the app's mux mounting the handler under /avatars/ and its peer
// endpoint at PeerBasePath, all talking to one fetchtest fake whose counters therefore count
// cluster-wide.

const clusterPeerSecret = "cluster-test-peer-secret-0123456789"

// clusterNode is one app server of a test cluster.
type clusterNode struct {
	h   *Handler
	srv *httptest.Server
	url string
	log *clusterLog
	// frozen makes the whole server hang, as a node stuck in a stop-the-world pause or a
	// deadlock: requests are accepted and never answered (until the asker gives up).
	frozen atomic.Bool
}

// newCluster starts n nodes of one cluster named name, every provider pointing at fake. mod,
// when given, changes the configuration of node i.
func newCluster(t testing.TB, n int, name string, fake *fetchtest.Server, mod func(i int, cfg *Config)) []*clusterNode {
	t.Helper()
	nodes := make([]*clusterNode, n)
	muxes := make([]*http.ServeMux, n)
	urls := make([]string, n)
	release := make(chan struct{}) // ends the hangs of frozen nodes, before their servers close
	for i := range nodes {
		nd := &clusterNode{}
		muxes[i] = http.NewServeMux()
		mux := muxes[i]
		nd.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if nd.frozen.Load() {
				select {
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			mux.ServeHTTP(w, r)
		}))
		nd.url = "http://" + nd.srv.Listener.Addr().String()
		urls[i] = nd.url
		nodes[i] = nd
	}
	for i, nd := range nodes {
		cfg := Config{
			Name:         name,
			MaxQueueWait: testQueueWait,
			Fetch: fetch.Config{
				FacebookURL:   fake.FacebookURL(),
				FacebookToken: fetchtest.FacebookToken,
				XURL:          fake.XURL(),
				XToken:        fetchtest.XToken,
				GravatarURL:   fake.GravatarURL(),
				SourceSize:    fetch.MinSourceSize, // small originals: fast transforms under -race
			},
			Self:       nd.url,
			Peers:      urls,
			PeerSecret: clusterPeerSecret,
		}
		nd.log = &clusterLog{}
		cfg.Logger = slog.New(nd.log)
		if mod != nil {
			mod(i, &cfg)
		}
		h, err := New(cfg)
		require.NoError(t, err)
		nd.h = h
		muxes[i].Handle("/avatars/", h)
		muxes[i].Handle(h.PeerBasePath(), h.PeerHandler())
		muxes[i].HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the app's own page") })
		nd.srv.Start()
		t.Cleanup(func() { nd.srv.Close(); h.Close() })
	}
	t.Cleanup(func() { close(release) }) // runs first: cleanups are last in, first out
	return nodes
}

// clusterLog is a slog.Handler that keeps the messages at Info level and above, each followed by
// its attributes as " key=value".
type clusterLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *clusterLog) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelInfo
}
func (l *clusterLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *clusterLog) WithGroup(string) slog.Handler      { return l }
func (l *clusterLog) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		msg += " " + a.Key + "=" + a.Value.String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, msg)
	return nil
}

// count returns the number of messages that contain every one of parts.
func (l *clusterLog) count(parts ...string) (n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, m := range l.msgs {
		for _, p := range parts {
			if !strings.Contains(m, p) {
				continue next
			}
		}
		n++
	}
	return n
}

func newClusterName() string { return fmt.Sprintf("avatarmwcluster%d", testHandlerSeq.Add(1)) }

func clusterFake(t testing.TB) *fetchtest.Server {
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	return fake
}

// clusterStats sums the nodes' counters.
func clusterStats(nodes []*clusterNode) (sum Stats) {
	for _, nd := range nodes {
		s := nd.h.Stats()
		sum.Requests += s.Requests
		sum.OriginFetches += s.OriginFetches
		sum.Transforms += s.Transforms
		sum.Analyses += s.Analyses
		sum.PeerLoads += s.PeerLoads
		sum.PeerErrors += s.PeerErrors
		sum.ServedForPeers += s.ServedForPeers
		sum.PeerAuthRefusals += s.PeerAuthRefusals
		sum.PeerBadRequests += s.PeerBadRequests
		sum.Admission.PeerPeeks += s.Admission.PeerPeeks
	}
	return sum
}

// originDownloads counts the picture downloads the fake served, all networks together.
func originDownloads(fake *fetchtest.Server) int {
	return fake.Count(fetchtest.FacebookImage) + fake.Count(fetchtest.XImage) + fake.Count(fetchtest.GravatarImage)
}

// clusterAvatar is one avatar of the test population, as a URL type and identifier.
type clusterAvatar struct{ typ, id string }

// tenAvatars returns ten ordinary users of three networks, with distinct pictures of their own
// (no silhouette, no default picture, no photograph): four Facebook, three X (at most 800 px, as
// X pictures come at their native size) and three Gravatar users. Facebook and Gravatar send
// them at the cluster's SourceSize.
func tenAvatars(t testing.TB) []clusterAvatar {
	want := map[string]int{fetchtest.Facebook: 4, fetchtest.X: 3, fetchtest.Gravatar: 3}
	typ := map[string]string{fetchtest.Facebook: "facebook", fetchtest.X: "twitter", fetchtest.Gravatar: "gravatar"}
	var out []clusterAvatar
	for _, u := range fetchtest.Users {
		if u.Default || u.NoPicture || u.Photo || want[u.Network] == 0 || u.Network == fetchtest.X && max(u.Width, u.Height) > 800 {
			continue
		}
		want[u.Network]--
		out = append(out, clusterAvatar{typ[u.Network], u.ID})
	}
	require.Len(t, out, 10, "fetchtest has fewer ordinary users than this test needs")
	return out
}

// The two transformations of the cluster tests: each avatar gives two distinct variants.
var clusterTransformations = []string{"c_fill,h_64,w_64/%s.jpg", "c_fit,h_40,w_40/%s.png"}

func clusterPaths(t testing.TB) []string {
	var paths []string
	for _, a := range tenAvatars(t) {
		for _, tr := range clusterTransformations {
			paths = append(paths, "/avatars/"+a.typ+"/"+fmt.Sprintf(tr, a.id))
		}
	}
	return paths
}

// clusterGet does one request and returns its status, ETag, body length and how long it took.
func clusterGet(client *http.Client, u string) (code int, etag string, n int64, took time.Duration, err error) {
	start := time.Now()
	res, err := client.Get(u)
	if err != nil {
		return 0, "", 0, time.Since(start), err
	}
	n, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("ETag"), n, time.Since(start), err
}

func clusterClient(t testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// TestClusterServesEachAvatarOnce: 300 concurrent requests for 10 avatars × 2 transformations,
// spread over the three nodes, cost the whole cluster exactly 10 origin downloads and 20
// transforms, and every node answers every URL with the same picture.
func TestClusterServesEachAvatarOnce(t *testing.T) {
	fake := clusterFake(t)
	// Slow downloads keep the loads in flight while the requests pile up on every node.
	for _, k := range []fetchtest.Kind{fetchtest.FacebookImage, fetchtest.XImage, fetchtest.GravatarImage} {
		fake.SetFault(k, fetchtest.Fault{Latency: 100 * time.Millisecond})
	}
	clock := newClock() // no refresh period can roll over during the test
	nodes := newCluster(t, 3, newClusterName(), fake, func(_ int, c *Config) { c.Now = clock.Now })
	paths := clusterPaths(t)
	require.Len(t, paths, 20)
	client := clusterClient(t)

	const requests = 300
	type answer struct {
		node, path, etag string
		code             int
		n                int64
		err              error
	}
	answers := make([]answer, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		nd := nodes[i%3]
		path := paths[(i/3)%len(paths)] // each URL 15 times, 5 times on each node
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code, etag, n, _, err := clusterGet(client, nd.url+path)
			answers[i] = answer{nd.url, path, etag, code, n, err}
		}()
	}
	close(start)
	wg.Wait()

	etags := map[string]string{}
	perNode := map[string]int{}
	for _, a := range answers {
		require.NoError(t, a.err, "%s%s", a.node, a.path)
		require.Equal(t, http.StatusOK, a.code, "%s%s", a.node, a.path)
		assert.Positive(t, a.n)
		require.NotEmpty(t, a.etag)
		if prev, ok := etags[a.path]; ok {
			assert.Equal(t, prev, a.etag, "%s serves %s as the other nodes do", a.node, a.path)
		}
		etags[a.path] = a.etag
		perNode[a.node+" "+a.path]++
	}
	assert.Len(t, etags, 20)
	assert.Len(t, perNode, 60, "every URL was asked of every node")
	distinct := map[string]bool{}
	for _, e := range etags {
		distinct[e] = true
	}
	assert.Len(t, distinct, 20, "20 distinct variants: the ten pictures are distinct")

	// Cluster-wide: one lookup and one download per avatar, one transform per variant.
	assert.Equal(t, 10, originDownloads(fake), "origin downloads in the whole cluster")
	assert.Equal(t, 4, fake.Count(fetchtest.FacebookLookup))
	assert.Equal(t, 4, fake.Count(fetchtest.FacebookImage))
	assert.Equal(t, 3, fake.Count(fetchtest.XLookup))
	assert.Equal(t, 3, fake.Count(fetchtest.XImage))
	assert.Equal(t, 3, fake.Count(fetchtest.GravatarImage))
	sum := clusterStats(nodes)
	assert.EqualValues(t, 10, sum.OriginFetches)
	assert.EqualValues(t, 20, sum.Transforms)
	assert.EqualValues(t, requests, sum.Requests)
	assert.Zero(t, sum.PeerErrors)
	assert.Zero(t, sum.PeerAuthRefusals)
	assert.Zero(t, sum.PeerBadRequests)
	assert.Positive(t, sum.PeerLoads, "the nodes asked each other")
	assert.Equal(t, sum.PeerLoads+sum.Admission.PeerPeeks, sum.ServedForPeers,
		"every peer load, and every look into another node's variants for a variant new to this one, is a request a peer endpoint answered")
	for _, nd := range nodes {
		s := nd.h.Stats()
		assert.Equal(t, 3, s.Peers, nd.url)
		assert.Zero(t, s.PeersDown, nd.url)
		assert.EqualValues(t, requests/3, s.Requests, nd.url)
		assert.Zero(t, nd.log.count("unreachable"), "%s took no busy peer for a dead one", nd.url)
		t.Logf("%s: origin fetches %d, transforms %d, peer loads %d, served for peers %d",
			nd.url, s.OriginFetches, s.Transforms, s.PeerLoads, s.ServedForPeers)
	}

	// Once warm, no node asks the network again.
	for _, nd := range nodes {
		for _, p := range paths {
			code, etag, _, _, err := clusterGet(client, nd.url+p)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, code)
			assert.Equal(t, etags[p], etag)
		}
	}
	assert.Equal(t, 10, originDownloads(fake))
	assert.EqualValues(t, 20, clusterStats(nodes).Transforms)
}

// clusterWarmUp requests every path of paths from nd, one after the other, and returns their ETags.
// One at a time: a burst of cold loads on two cores under -race can delay a busy peer's answer
// beyond a short PeerTimeout, and get it set aside as if it were hung.
func clusterWarmUp(t testing.TB, client *http.Client, nd *clusterNode, paths []string) map[string]string {
	t.Helper()
	etags := map[string]string{}
	for _, p := range paths {
		code, etag, _, _, err := clusterGet(client, nd.url+p)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, code, p)
		etags[p] = etag
	}
	return etags
}

// TestClusterSurvivesANodeStopping: with one node gone, the other two keep serving every
// avatar; the dead node costs a request at most about PeerTimeout, once per surviving node,
// after which it is set aside and costs nothing.
func TestClusterSurvivesANodeStopping(t *testing.T) {
	const peerTimeout = 300 * time.Millisecond
	for _, how := range []string{"closed", "hung"} {
		t.Run(how, func(t *testing.T) {
			fake := clusterFake(t)
			nodes := newCluster(t, 3, newClusterName(), fake, func(_ int, c *Config) { c.PeerTimeout = peerTimeout })
			paths := clusterPaths(t)
			client := clusterClient(t)
			etags := clusterWarmUp(t, client, nodes[0], paths)
			dead := nodes[2]
			if how == "closed" {
				dead.srv.Close()
			} else {
				dead.frozen.Store(true)
			}

			// Each surviving node finds out once, at the cost of about PeerTimeout to one request
			// (its own, or one that asked it for a key), and sets the dead node aside. Keys the
			// dead node owned are loaded again by the others.
			var slow []string
			for _, nd := range nodes[:2] {
				for _, p := range paths {
					code, etag, _, took, err := clusterGet(client, nd.url+p)
					require.NoError(t, err)
					require.Equal(t, http.StatusOK, code, "%s%s", nd.url, p)
					assert.Equal(t, etags[p], etag, "%s%s", nd.url, p)
					assert.Less(t, took, peerTimeout+time.Second, "%s%s", nd.url, p)
					if took >= peerTimeout {
						slow = append(slow, fmt.Sprintf("%s%s %v", nd.url, p, took))
					}
				}
			}
			t.Logf("requests that took PeerTimeout or more: %q", slow)
			if how == "hung" {
				assert.NotEmpty(t, slow, "some request waited for the hung node")
			}
			for _, nd := range nodes[:2] {
				s := nd.h.Stats()
				assert.Equal(t, 1, nd.log.count("unreachable", "peer="+dead.url), "%s set the dead node aside once", nd.url)
				if s.PeersDown != 1 {
					nd.log.mu.Lock()
					t.Logf("%s logged %q", nd.url, nd.log.msgs)
					nd.log.mu.Unlock()
				}
				// (Stats.PeerErrors is not 1: it also counts the keys a peer asked this node for
				// that this node, not yet aware of the dead node, thought were the dead node's.)
				assert.Equal(t, 1, s.PeersDown, "%s set the dead node aside", nd.url)
				assert.Equal(t, 3, s.Peers, "%s still lists it, to try again later", nd.url)
			}

			// Now it costs nothing.
			for _, nd := range nodes[:2] {
				for _, p := range paths {
					code, etag, _, took, err := clusterGet(client, nd.url+p)
					require.NoError(t, err)
					require.Equal(t, http.StatusOK, code)
					assert.Equal(t, etags[p], etag)
					assert.Less(t, took, peerTimeout/2, "%s%s: the dead node is set aside", nd.url, p)
				}
			}
			for _, nd := range nodes[:2] {
				assert.Equal(t, 1, nd.log.count("unreachable", "peer="+dead.url), "%s did not try the dead node again", nd.url)
				assert.Zero(t, nd.log.count("peer request failed"), nd.url)
			}
		})
	}
}

// peerSignature is the signature of a peer request, computed here from the protocol's
// documentation in package cache (peerhttp.go), independently of its code:
//
//	HMAC-SHA256(PeerSecret, "avatarkit-peer-v1\n" + method + "\n" + decoded path + "\n" +
//	unix seconds + "\n" + hint + "\n" + ("1" if peek) + "\n" + body), base64url without padding
func peerSignature(secret, method, path string, ts int64, hint string, peek bool, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	p := ""
	if peek {
		p = "1"
	}
	io.WriteString(m, "avatarkit-peer-v1\n"+method+"\n"+path+"\n"+strconv.FormatInt(ts, 10)+"\n"+hint+"\n"+p+"\n")
	m.Write(body)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// peerCall is one hand-made request to a peer endpoint.
type peerCall struct {
	group, key string // wire group ("<Name>-originals") and key, unescaped
	auth       string // the whole Authorization header; "" for none
	hint       string
	peek       bool
}

// peerPath is the decoded path of a peer request, which the signature covers.
func peerPath(group, key string) string { return cache.DefaultBasePath + group + "/" + key }

// peerAuth returns the Authorization header of a request for path signed with secret at ts.
func peerAuth(secret, path string, ts int64, hint string, peek bool) string {
	return "AvatarkitPeer " + strconv.FormatInt(ts, 10) + ":" + peerSignature(secret, http.MethodGet, path, ts, hint, peek, nil)
}

// callPeer sends c to the node at base and returns the status, the reason and the body.
func callPeer(t testing.TB, base string, c peerCall) (int, string, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+cache.DefaultBasePath+url.PathEscape(c.group)+"/"+url.PathEscape(c.key), nil)
	require.NoError(t, err)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.hint != "" {
		req.Header.Set("X-Avatarkit-Hint", c.hint)
	}
	if c.peek {
		req.Header.Set("X-Avatarkit-Peek", "1")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header.Get("X-Avatar-Error"), body, res.Header
}

// lastFrame returns the type of the last frame of a peer response body (heartbeats skipped).
func lastFrame(t testing.TB, body []byte) byte {
	t.Helper()
	for len(body) > 0 && body[0] == 0 {
		body = body[1:]
	}
	require.GreaterOrEqual(t, len(body), 5, "a frame: type and length")
	n := int(body[1])<<24 | int(body[2])<<16 | int(body[3])<<8 | int(body[4])
	assert.Equal(t, len(body)-5, n, "the frame is the rest of the body")
	return body[0]
}

// TestPeerEndpointSecurity attacks the peer endpoint of a real node through its listener.
func TestPeerEndpointSecurity(t *testing.T) {
	fake := clusterFake(t)
	name := newClusterName()
	nodes := newCluster(t, 3, name, fake, nil)
	node := nodes[1]
	fb := user(t, "facebook", plain)
	originals, index, variants := name+"-originals", name+"-index", name+"-variants"
	validKey := "facebook|" + fb.ID + "|v1" // a version key: valid whatever the clock says
	now := time.Now().Unix()
	ok := func(group, key string) string {
		return peerAuth(clusterPeerSecret, peerPath(group, key), now, "", false)
	}

	t.Run("not authenticated", func(t *testing.T) {
		for name, auth := range map[string]string{
			"no credentials":   "",
			"another scheme":   "Bearer " + clusterPeerSecret,
			"basic":            "Basic " + base64.StdEncoding.EncodeToString([]byte("peer:"+clusterPeerSecret)),
			"the secret alone": clusterPeerSecret,
		} {
			code, reason, _, hdr := callPeer(t, node.url, peerCall{group: originals, key: validKey, auth: auth})
			assert.Equal(t, http.StatusUnauthorized, code, name)
			assert.Equal(t, "AvatarkitPeer", hdr.Get("WWW-Authenticate"), name)
			assert.NotEmpty(t, reason, name)
		}
	})

	t.Run("not authentic", func(t *testing.T) {
		path := peerPath(originals, validKey)
		good := peerSignature(clusterPeerSecret, http.MethodGet, path, now, "", false, nil)
		tampered := []byte(good)
		tampered[3] ^= 'A' ^ 'B' // still base64url, another MAC
		if tampered[3] == good[3] {
			tampered[3] = 'x'
		}
		other := "facebook|" + user(t, "facebook", func(u fetchtest.User) bool { return plain(u) && u.ID != fb.ID }).ID + "|v1"
		for name, auth := range map[string]string{
			"expired":              peerAuth(clusterPeerSecret, path, now-120, "", false),
			"from the future":      peerAuth(clusterPeerSecret, path, now+120, "", false),
			"tampered signature":   "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":" + string(tampered),
			"truncated signature":  "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":" + good[:20],
			"another timestamp":    "AvatarkitPeer " + strconv.FormatInt(now-1, 10) + ":" + good,
			"another path":         peerAuth(clusterPeerSecret, peerPath(originals, other), now, "", false),
			"another group":        peerAuth(clusterPeerSecret, peerPath(variants, validKey), now, "", false),
			"the escaped path":     peerAuth(clusterPeerSecret, cache.DefaultBasePath+originals+"/"+url.PathEscape(validKey), now, "", false),
			"wrong secret":         peerAuth("another-secret-of-the-same-length!!", path, now, "", false),
			"another method":       "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":" + peerSignature(clusterPeerSecret, http.MethodPost, path, now, "", false, nil),
			"signed as a peek":     peerAuth(clusterPeerSecret, path, now, "", true),
			"signed with a hint":   peerAuth(clusterPeerSecret, path, now, validKey, false),
			"no signature":         "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":",
			"no timestamp":         "AvatarkitPeer :" + good,
			"not base64":           "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":" + strings.Repeat("!", 43),
			"the secret in clear":  "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":" + clusterPeerSecret,
			"signature of nothing": "AvatarkitPeer " + strconv.FormatInt(now, 10) + ":" + peerSignature(clusterPeerSecret, "", "", 0, "", false, nil),
		} {
			code, reason, _, _ := callPeer(t, node.url, peerCall{group: originals, key: validKey, auth: auth})
			assert.Equal(t, http.StatusForbidden, code, "%s: %s", name, reason)
			assert.NotContains(t, reason, clusterPeerSecret, name)
		}
		// Headers the signature covers, changed after signing.
		code, _, _, _ := callPeer(t, node.url, peerCall{group: originals, key: validKey, auth: ok(originals, validKey), peek: true})
		assert.Equal(t, http.StatusForbidden, code, "a peek header added after signing")
		code, _, _, _ = callPeer(t, node.url, peerCall{group: index, key: validKey, auth: ok(index, validKey), hint: validKey})
		assert.Equal(t, http.StatusForbidden, code, "a hint added after signing")
	})

	t.Run("invalid keys", func(t *testing.T) {
		gravatar := user(t, "gravatar", plain)
		xname := user(t, "x", func(u fetchtest.User) bool { return plain(u) && strings.ToLower(u.Name) != u.Name })
		src := "h" + strings.Repeat("0", 32)
		for _, c := range []struct{ name, group, key, hint string }{
			{"wrong period", originals, "facebook|" + fb.ID + "|e1", ""},
			{"wrong period (index)", index, "facebook|" + fb.ID + "|e99999999", ""},
			{"bad period", originals, "facebook|" + fb.ID + "|e01", ""},
			{"re-check epoch of another time", originals, "facebook|" + fb.ID + "|e1n1", ""},
			{"version 0", originals, "facebook|" + fb.ID + "|v0", ""},
			{"neither period nor version", originals, "facebook|" + fb.ID + "|x1", ""},
			{"non-canonical gravatar hash", originals, "gravatar|" + strings.ToUpper(gravatar.ID) + "|v1", ""},
			{"non-canonical screen name", index, "twitter_name|" + xname.Name + "|v1", ""},
			{"id breaking its rule", originals, "facebook|12ab|v1", ""},
			{"id too long", originals, "facebook|" + strings.Repeat("1", 26) + "|v1", ""},
			{"unknown type", originals, "myspace|123|v1", ""},
			{"withdrawn type", originals, "gplus|123|v1", ""},
			{"extra field", originals, "facebook|" + fb.ID + "|v1|x", ""},
			{"out of limits", variants, src + "|w_5000|jpg|", ""},
			{"out of limits after dpr", variants, src + "|dpr_4.0,w_1000|jpg|", ""},
			{"unknown parameter", variants, src + "|foo_1|jpg|", ""},
			{"non-canonical transformation", variants, src + "|w_40,h_40,c_fill|jpg|", ""},
			{"named transformation", variants, src + "|t_thumb|jpg|", ""},
			{"non-canonical extension", variants, src + "|w_40|jpeg|", ""},
			{"accept without f_auto", variants, src + "|w_40|jpg|w", ""},
			{"bad source", variants, "h1234|w_40|jpg|", ""},
			{"unknown default", variants, "dnope.0123456789abcdef|w_40|jpg|", ""},
			{"identicon of a bad id", variants, "ifacebook:abc|w_40|png|", ""},
			{"identicon of an unknown type", variants, "imyspace:1|w_40|png|", ""},
			{"bad analysis source", name + "-analyses", "x", ""},
			{"invalid hint", variants, src + "|w_40|jpg|", "facebook|" + fb.ID + "|e1"},
			{"hint of an unknown type", variants, src + "|w_40|jpg|", "myspace|1|v1"},
		} {
			auth := peerAuth(clusterPeerSecret, peerPath(c.group, c.key), now, c.hint, false)
			code, reason, _, _ := callPeer(t, node.url, peerCall{group: c.group, key: c.key, auth: auth, hint: c.hint})
			assert.Equal(t, http.StatusBadRequest, code, "%s (%s): %s", c.name, c.key, reason)
			t.Logf("%s: %d %s", c.name, code, reason)
		}
		assert.Empty(t, fake.Requests(), "nothing was fetched")
		s := clusterStats(nodes)
		assert.Zero(t, s.OriginFetches)
		assert.Zero(t, s.Transforms)
		assert.Zero(t, s.ServedForPeers)
		assert.Positive(t, node.h.Stats().PeerBadRequests)

		// A group of another cluster, and other methods.
		code, reason, _, _ := callPeer(t, node.url, peerCall{group: "other-originals", key: validKey, auth: ok("other-originals", validKey)})
		assert.Equal(t, http.StatusNotFound, code, reason)
		req, _ := http.NewRequest(http.MethodPost, node.url+cache.DefaultBasePath+originals+"/x", nil)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	})

	// The same protocol, followed: the endpoint answers. This pins the signature computed above
	// (method, decoded path, time, hint, peek) to the one the nodes use.
	t.Run("authentic", func(t *testing.T) {
		before := len(fake.Requests())
		code, reason, body, hdr := callPeer(t, node.url, peerCall{group: originals, key: "facebook|" + fb.ID + "|v2", peek: true,
			auth: peerAuth(clusterPeerSecret, peerPath(originals, "facebook|"+fb.ID+"|v2"), now, "", true)})
		require.Equal(t, http.StatusOK, code, reason)
		assert.Equal(t, "application/x-avatarkit-peer", hdr.Get("Content-Type"))
		assert.Equal(t, byte('E'), lastFrame(t, body), "a peek at what no cache holds: an error frame, and nothing loaded")
		assert.Len(t, fake.Requests(), before)

		code, reason, body, _ = callPeer(t, node.url, peerCall{group: index, key: validKey, hint: validKey,
			auth: peerAuth(clusterPeerSecret, peerPath(index, validKey), now, validKey, false)})
		require.Equal(t, http.StatusOK, code, reason)
		assert.Equal(t, byte('V'), lastFrame(t, body))
		assert.Equal(t, 1, fake.Count(fetchtest.FacebookImage), "an authentic request for a valid key loads it")

		src := "ifacebook:" + fb.ID // the identicon: made here, fetched from nowhere
		key := src + "|c_fill,h_24,w_24/r_max|png|"
		code, reason, body, _ = callPeer(t, node.url, peerCall{group: variants, key: key, auth: ok(variants, key)})
		require.Equal(t, http.StatusOK, code, reason)
		assert.Equal(t, byte('V'), lastFrame(t, body), "a key with a '/' travels escaped and is signed decoded")
	})

	t.Run("not on the default mux", func(t *testing.T) {
		_, pattern := http.DefaultServeMux.Handler(httptest.NewRequest(http.MethodGet, peerPath(originals, validKey), nil))
		assert.Empty(t, pattern, "no handler registered the peer endpoint on http.DefaultServeMux")
		assert.Equal(t, cache.DefaultBasePath, node.h.PeerBasePath())
		// The avatar handler itself does not answer peer requests.
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, peerPath(originals, validKey), nil)
		req.Header.Set("Authorization", ok(originals, validKey))
		node.h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusNotFound, rec.Code)
	})

	s := clusterStats(nodes)
	assert.Positive(t, s.PeerAuthRefusals)
	t.Logf("auth refusals %d, bad requests %d, served for peers %d", s.PeerAuthRefusals, s.PeerBadRequests, s.ServedForPeers)
}

// TestClusterNoSuchUserIsAskedOnce: 30 concurrent requests spread over the three nodes for a
// user the network does not know cost the network one lookup.
func TestClusterNoSuchUserIsAskedOnce(t *testing.T) {
	fake := clusterFake(t)
	fake.SetFault(fetchtest.FacebookLookup, fetchtest.Fault{Latency: 100 * time.Millisecond})
	nodes := newCluster(t, 3, newClusterName(), fake, nil)
	client := clusterClient(t)
	trs := []string{"", "w_10/", "c_fill,h_20,w_20/"}
	exts := []string{".jpg", ".png", ""}
	start := make(chan struct{})
	var wg sync.WaitGroup
	codes := make([]int, 30)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			u := nodes[i%3].url + "/avatars/facebook/" + trs[(i/3)%3] + fetchtest.MissingFacebookID + exts[(i/9)%3]
			code, _, _, _, err := clusterGet(client, u)
			assert.NoError(t, err)
			codes[i] = code
		}()
	}
	close(start)
	wg.Wait()
	for i, code := range codes {
		assert.Equal(t, http.StatusNotFound, code, i)
	}
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup), "one lookup in the whole cluster")
	assert.Len(t, fake.Requests(), 1)
	s := clusterStats(nodes)
	assert.EqualValues(t, 1, s.OriginFetches)
	assert.Zero(t, s.Transforms)
	assert.Zero(t, s.PeerErrors, "the owner's answer is a value, not an error every node loads again")

	// And later requests, on any node, are answered from the cache.
	for _, nd := range nodes {
		code, _, _, _, err := clusterGet(client, nd.url+"/avatars/facebook/w_30/"+fetchtest.MissingFacebookID+".jpg")
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotFound, code)
	}
	assert.Equal(t, 1, fake.Count(fetchtest.FacebookLookup))
}

// TestTwoClustersInOneProcess: two clusters of three handlers, with two Names, in one process
// and with the same peer secret, keep their values apart: each asks its own network, each
// serves its own network's picture, and a node does not answer for the other cluster's groups.
func TestTwoClustersInOneProcess(t *testing.T) {
	fakeA, fakeB := clusterFake(t), clusterFake(t)
	u := user(t, "facebook", plain)
	fakeB.ChangePicture(fetchtest.Facebook, u.ID) // the same user has another picture on B's network
	nameA, nameB := newClusterName(), newClusterName()
	a := newCluster(t, 3, nameA, fakeA, nil)
	b := newCluster(t, 3, nameB, fakeB, nil)
	client := clusterClient(t)
	path := "/avatars/facebook/c_fill,h_50,w_50/" + u.ID + ".jpg"

	etagOf := func(nodes []*clusterNode) string {
		var etag string
		for _, nd := range nodes {
			code, e, _, _, err := clusterGet(client, nd.url+path)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, code)
			if etag != "" {
				assert.Equal(t, etag, e, "one value in one cluster")
			}
			etag = e
		}
		return etag
	}
	etagA := etagOf(a)
	etagB := etagOf(b)
	assert.NotEqual(t, etagA, etagB, "B does not serve A's picture")
	assert.Equal(t, etagA, etagOf(a))
	assert.Equal(t, 1, fakeA.Count(fetchtest.FacebookImage))
	assert.Equal(t, 1, fakeB.Count(fetchtest.FacebookImage), "B fetched its own picture, once")
	sa, sb := clusterStats(a), clusterStats(b)
	assert.EqualValues(t, 1, sa.OriginFetches)
	assert.EqualValues(t, 1, sb.OriginFetches)
	assert.EqualValues(t, 1, sa.Transforms)
	assert.EqualValues(t, 1, sb.Transforms)
	for _, nd := range append(a, b...) {
		assert.Equal(t, 3, nd.h.Stats().Peers, "each node sees its own cluster only")
	}
	assert.Zero(t, sa.PeerAuthRefusals+sb.PeerAuthRefusals+sa.PeerBadRequests+sb.PeerBadRequests,
		"no node asked a node of the other cluster")

	// Even with the same secret, a node of A has no group of B's to answer for.
	key := "facebook|" + u.ID + "|v1"
	for _, g := range []string{"-originals", "-index", "-variants"} {
		code, reason, _, _ := callPeer(t, a[0].url, peerCall{group: nameB + g, key: key,
			auth: peerAuth(clusterPeerSecret, peerPath(nameB+g, key), time.Now().Unix(), "", false)})
		assert.Equal(t, http.StatusNotFound, code, reason)
	}
	assert.Equal(t, 1, fakeA.Count(fetchtest.FacebookImage))
	assert.Equal(t, 1, fakeB.Count(fetchtest.FacebookImage))
}

// TestClusterHandlersWithoutPeers: a Handler that is not a node of a cluster refuses every peer
// request, even a correctly signed one, and Peers says nil.
func TestClusterHandlersWithoutPeers(t *testing.T) {
	h, fake, _ := newTestHandler(t, nil)
	assert.Nil(t, h.Peers())
	srv := httptest.NewServer(h.PeerHandler())
	t.Cleanup(srv.Close)
	key := "facebook|" + user(t, "facebook", plain).ID + "|v1"
	group := cache.DefaultName + "-originals"
	code, _, _, _ := callPeer(t, srv.URL, peerCall{group: group, key: key,
		auth: peerAuth(clusterPeerSecret, peerPath(group, key), time.Now().Unix(), "", false)})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Empty(t, fake.Requests())
	assert.Error(t, h.SetPeers("http://127.0.0.1:1"), "SetPeers needs Self")
}

// TestClusterRateLimitHoldsTheFleet: X rate-limits the one node that calls it, and the whole
// cluster leaves X alone until the reset — one call in the window, not one per node — while the
// other networks are still called. At the reset each node may probe once; then calls flow.
func TestClusterRateLimitHoldsTheFleet(t *testing.T) {
	fake := clusterFake(t)
	clock := newClock()
	fake.SetNow(clock.Now)
	nodes := newCluster(t, 3, newClusterName(), fake, func(_ int, c *Config) {
		c.Now, c.Fetch.Now = clock.Now, clock.Now
		c.ErrorRetry = time.Second // a node's memo of the failure is not what holds the calls back here
	})
	client := clusterClient(t)
	fake.SetFault(fetchtest.XLookup, fetchtest.Fault{RateLimit: true, RetryAfter: 15 * time.Minute})
	users := fetchtest.UsersOf(fetchtest.X)
	require.GreaterOrEqual(t, len(users), 6)

	get := func(nd *clusterNode, path string) *http.Response {
		t.Helper()
		res, err := client.Get(nd.url + path)
		require.NoError(t, err)
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	res := get(nodes[0], "/avatars/twitter/"+users[0].ID+".jpg")
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, 1, fake.Count(fetchtest.XLookup))
	require.Eventually(t, func() bool {
		told := 0
		for _, nd := range nodes {
			told += int(nd.h.Stats().RateLimitHolds)
		}
		return told == 2
	}, 5*time.Second, 5*time.Millisecond, "the owner tells the two other nodes")

	// Ten minutes into the window: every node, both X types, many users, keys owned by all three
	// nodes — and no call to X.
	clock.Advance(10 * time.Minute)
	for i, u := range users {
		for _, p := range []string{"/avatars/twitter/c_fill,h_32,w_32/" + u.ID + ".png", "/avatars/twitter_name/" + u.Name + ".jpg"} {
			res := get(nodes[i%3], p)
			assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, p)
			secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
			require.NoError(t, err, p)
			assert.InDelta(t, 5*60, secs, 2, "%s: the time left until X's reset", p)
			assert.Contains(t, res.Header.Get("X-Avatar-Error"), "rate-limiting", p)
		}
	}
	assert.Equal(t, 1, fake.Count(fetchtest.XLookup), "one call to X in the window, cluster-wide")
	fb := fetchtest.UsersOf(fetchtest.Facebook)[0]
	assert.Equal(t, http.StatusOK, get(nodes[1], "/avatars/facebook/"+fb.ID+".jpg").StatusCode, "Facebook is not held")
	var taken int64
	for _, nd := range nodes {
		taken += nd.h.Stats().RateLimitHolds
	}
	assert.EqualValues(t, 2, taken, "calls held back are not news: no notice goes round again")

	// The reset passes and X has recovered: the pictures come.
	fake.ClearFaults()
	clock.Advance(5*time.Minute + 2*time.Second)
	for i, u := range users[:6] {
		res := get(nodes[i%3], "/avatars/twitter/"+u.ID+".jpg")
		assert.Equal(t, http.StatusOK, res.StatusCode, u.ID)
	}
	assert.Equal(t, 1+6, fake.Count(fetchtest.XLookup))
}
