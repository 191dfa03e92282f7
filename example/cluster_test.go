package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nodeStats are the figures of /debug/avatars the cluster tests read.
type nodeStats struct {
	Requests       int64 `json:"requests"`
	OriginFetches  int64 `json:"origin_fetches"`
	Transforms     int64 `json:"transforms"`
	Peers          int   `json:"peers"`
	PeersDown      int   `json:"peers_down"`
	PeerLoads      int64 `json:"peer_loads"`
	PeerErrors     int64 `json:"peer_errors"`
	ServedForPeers int64 `json:"served_for_peers"`
}

// minus returns the counters of s less those of before; the gauges (Peers, PeersDown) of s.
func (s nodeStats) minus(before nodeStats) nodeStats {
	s.Requests -= before.Requests
	s.OriginFetches -= before.OriginFetches
	s.Transforms -= before.Transforms
	s.PeerLoads -= before.PeerLoads
	s.PeerErrors -= before.PeerErrors
	s.ServedForPeers -= before.ServedForPeers
	return s
}

// peerStatsKeys are the peer figures /debug/avatars must show (cache.Stats).
var peerStatsKeys = []string{"served_for_peers", "peer_loads", "peer_errors", "peers"}

// TestCluster builds the example and runs it as three processes that form one cluster on loopback,
// each with its own -demo fake network. Concurrent requests for 10 avatars × 2 transformations,
// spread over the three nodes, must cost the cluster as a whole exactly one origin fetch per avatar
// and one transform per variant; once one node is stopped, the two others still serve every one
// of them.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example and runs three processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	t.Cleanup(cancel)
	start := time.Now()

	bin := buildExample(ctx, t)
	ports := freePorts(t, 3)
	var urls []string
	for _, p := range ports {
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", p))
	}
	const secret = "example-cluster-test-peer-secret"
	nodes := make([]*process, len(ports))
	for i, p := range ports {
		nodes[i] = startProcess(ctx, t, bin, fmt.Sprintf("node%d", i), urls[i],
			"-demo",
			"-addr", fmt.Sprintf("127.0.0.1:%d", p),
			"-self", urls[i],
			"-peers", strings.Join(urls, ","),
			"-peer-secret", secret,
			// On a machine busy enough to starve a node for the default 2 s, its peers would
			// set it aside and load its avatars themselves: the counts would be off.
			"-peer-timeout", "15s",
			// Nor should its work wait so long that it is shed.
			"-queue-wait", "1m",
			// A refresh period of a year: no avatar enters a new period (a new key, fetched
			// again) while the test runs.
			"-refresh", "8760h",
		)
	}
	for _, n := range nodes {
		n.waitHealthy(ctx, t)
	}
	t.Logf("built and started in %v", time.Since(start).Round(time.Millisecond))

	client := &http.Client{Timeout: 20 * time.Second}
	variants := pickVariants(ctx, t, client, nodes[0].base, 10, 2)
	// The demo page asks the cluster for its intentional errors when it is served: counted apart.
	before := make([]nodeStats, len(nodes))
	for i, n := range nodes {
		before[i] = n.stats(ctx, t, client)
	}

	// The peer endpoint is mounted, and refuses a request without credentials.
	res := getURL(ctx, client, nodes[0].base+"/_avatarkit/avatarkit-variants/x")
	require.NoError(t, res.err)
	assert.Equal(t, http.StatusUnauthorized, res.code, "unauthenticated peer request: %s", res.body)

	// 300 requests, 15 for every variant, each variant asked of all three nodes.
	const total = 300
	results := make([]result, total)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	fired := time.Now()
	for i := range total {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = getURL(ctx, client, nodes[i%len(nodes)].base+variants[i%len(variants)])
		})
	}
	wg.Wait()
	t.Logf("%d requests for %d variants in %v", total, len(variants), time.Since(fired).Round(time.Millisecond))
	etags := map[string]string{}
	for i, r := range results {
		url := variants[i%len(variants)]
		if !assert.NoError(t, r.err, url) {
			continue
		}
		if !assert.Equal(t, http.StatusOK, r.code, "%s from node%d: %s", url, i%len(nodes), r.body) {
			continue
		}
		assert.True(t, strings.HasPrefix(r.ctype, "image/"), "%s: Content-Type %q", url, r.ctype)
		if e, ok := etags[url]; ok {
			assert.Equal(t, e, r.etag, "%s: one variant, one ETag on every node", url)
		}
		etags[url] = r.etag
	}

	var sum nodeStats
	for i, n := range nodes {
		s := n.stats(ctx, t, client).minus(before[i])
		t.Logf("node%d: requests %d, origin_fetches %d, transforms %d, peer_loads %d, served_for_peers %d, peer_errors %d, peers %d",
			i, s.Requests, s.OriginFetches, s.Transforms, s.PeerLoads, s.ServedForPeers, s.PeerErrors, s.Peers)
		assert.Equal(t, len(nodes), s.Peers, "node%d sees the whole cluster", i)
		sum.Requests += s.Requests
		sum.OriginFetches += s.OriginFetches
		sum.Transforms += s.Transforms
		sum.PeerLoads += s.PeerLoads
		sum.PeerErrors += s.PeerErrors
		sum.ServedForPeers += s.ServedForPeers
	}
	assert.EqualValues(t, total, sum.Requests, "requests")
	assert.EqualValues(t, 10, sum.OriginFetches, "the cluster fetched every avatar once")
	assert.EqualValues(t, 20, sum.Transforms, "the cluster computed every variant once")
	assert.Zero(t, sum.PeerErrors, "no peer request failed")
	assert.Positive(t, sum.PeerLoads, "the nodes asked each other")
	assert.Positive(t, sum.ServedForPeers, "the nodes answered each other")

	// The banners of the demo page, every size asked of every node: one lookup and download of
	// each banner for the cluster, each size computed once.
	var banners []string
	for _, b := range sectionImages(ctx, t, client, nodes[0].base, "banners") {
		if !strings.Contains(b, "1500x500") { // the largest: the slowest, and nothing more to prove
			banners = append(banners, b)
		}
	}
	require.NotEmpty(t, banners)
	avatars := map[string]bool{}
	for _, b := range banners {
		parts := strings.Split(b, "/")
		avatars[parts[2]+"/"+parts[len(parts)-1]] = true // type and identifier
	}
	for i, n := range nodes {
		before[i] = n.stats(ctx, t, client)
	}
	for i := range 3 * len(banners) {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := getURL(ctx, client, nodes[i%len(nodes)].base+banners[i%len(banners)])
			if assert.NoError(t, r.err) {
				assert.Equal(t, http.StatusOK, r.code, "%s: %s", banners[i%len(banners)], r.body)
			}
		})
	}
	wg.Wait()
	var bsum nodeStats
	for i, n := range nodes {
		s := n.stats(ctx, t, client).minus(before[i])
		bsum.OriginFetches += s.OriginFetches
		bsum.Transforms += s.Transforms
	}
	assert.EqualValues(t, len(avatars), bsum.OriginFetches, "the cluster fetched every banner once")
	assert.EqualValues(t, len(banners), bsum.Transforms, "and computed every size once")

	// One node stops (SIGTERM: it shuts down cleanly); the two others serve everything, loading
	// what the stopped node owned themselves.
	gone := nodes[1]
	stopping := time.Now()
	gone.stop(t, syscall.SIGTERM)
	t.Logf("node1 stopped in %v", time.Since(stopping).Round(time.Millisecond))
	require.NoError(t, gone.err, "node1 exits cleanly on SIGTERM:\n%s", gone.logs())
	assert.Contains(t, gone.logs(), "shutting down")
	stopped := time.Now()
	for _, n := range []*process{nodes[0], nodes[2]} {
		for _, v := range variants {
			r := getURL(ctx, client, n.base+v)
			require.NoError(t, r.err, v)
			assert.Equal(t, http.StatusOK, r.code, "%s from %s once node1 is gone: %s", v, n.name, r.body)
		}
	}
	for _, n := range []*process{nodes[0], nodes[2]} {
		s := n.stats(ctx, t, client)
		t.Logf("%s after node1 stopped: origin_fetches %d, transforms %d, peer_errors %d, peers_down %d",
			n.name, s.OriginFetches, s.Transforms, s.PeerErrors, s.PeersDown)
	}
	t.Logf("served all %d variants from the 2 remaining nodes in %v; whole test %v",
		len(variants), time.Since(stopped).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// buildExample builds the example's binary into a temporary directory.
func buildExample(ctx context.Context, t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the example with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "example")
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./example")
	cmd.Dir = ".." // the module's root; tests run in the package's directory
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./example:\n%s", out)
	return bin
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// process is one running example.
type process struct {
	name string
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when it has exited; then err is its exit
	err  error
}

// startProcess starts bin with args. When the test ends the process is stopped, and its output is
// printed if the test failed.
func startProcess(ctx context.Context, t *testing.T, bin, name, base string, args ...string) *process {
	t.Helper()
	p := &process{name: name, base: base, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.WaitDelay = time.Second
	require.NoError(t, p.cmd.Start(), name)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t, syscall.SIGTERM)
		if t.Failed() {
			t.Logf("%s %s (%v):\n%s", name, strings.Join(args, " "), p.err, p.logs())
		}
	})
	return p
}

// stop sends sig and waits for the process to exit, killing it after 10 s.
func (p *process) stop(t *testing.T, sig os.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("%s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s did not stop within 10s of %v: killed", p.name, sig)
		p.cmd.Process.Kill() //nolint:errcheck // it may have exited meanwhile
		<-p.done
	}
}

func (p *process) logs() string { return p.out.String() }

// waitHealthy waits until the process answers /healthz.
func (p *process) waitHealthy(ctx context.Context, t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		if r := getURL(ctx, client, p.base+"/healthz"); r.err == nil && r.code == http.StatusOK {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was healthy (%v):\n%s", p.name, p.err, p.logs())
		case <-ctx.Done():
			t.Fatalf("%s not healthy in time:\n%s", p.name, p.logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stats reads the process's /debug/avatars and checks that it shows the peer figures.
func (p *process) stats(ctx context.Context, t *testing.T, client *http.Client) nodeStats {
	t.Helper()
	return debugStats(ctx, t, client, p.base)
}

func debugStats(ctx context.Context, t *testing.T, client *http.Client, base string) nodeStats {
	t.Helper()
	r := getURL(ctx, client, base+"/debug/avatars")
	require.NoError(t, r.err)
	require.Equal(t, http.StatusOK, r.code, "%s", r.body)
	var all map[string]any
	require.NoError(t, json.Unmarshal(r.body, &all), "%s", r.body)
	for _, k := range peerStatsKeys {
		assert.Contains(t, all, k, "/debug/avatars of %s", base)
	}
	var s nodeStats
	require.NoError(t, json.Unmarshal(r.body, &s))
	return s
}

// pickVariants reads the demo page at base and returns URLs of users avatars × transformations
// variants: the first transformations columns of the page for the first users rows that show an
// ordinary picture of their own (no "no picture" 404, no network's default picture), each of
// another user.
func pickVariants(ctx context.Context, t *testing.T, client *http.Client, base string, users, transformations int) []string {
	t.Helper()
	page := getURL(ctx, client, base+"/")
	require.NoError(t, page.err)
	require.Equal(t, http.StatusOK, page.code)
	label := regexp.MustCompile(`^\s*<h3>([^<]*)</h3>`)
	img := regexp.MustCompile(`<img src="(/avatars/([a-z_]+)/[^"]+)"`)
	var out []string
	seen := map[string]bool{}
	picked := 0
	for chunk := range strings.SplitSeq(string(page.body), `<div class="row">`) {
		l := label.FindStringSubmatch(chunk)
		cells := img.FindAllStringSubmatch(chunk, -1)
		if l == nil || len(cells) < transformations {
			continue
		}
		if strings.Contains(l[1], "no picture") || strings.Contains(l[1], "default picture") {
			continue
		}
		if cells[0][2] == "twitter_name" {
			continue // the same user as a twitter row
		}
		id := cells[0][1][strings.LastIndexByte(cells[0][1], '/')+1:]
		if seen[id] {
			continue
		}
		seen[id] = true
		for _, c := range cells[:transformations] {
			out = append(out, c[1])
		}
		if picked++; picked == users {
			return out
		}
	}
	t.Fatalf("the demo page has %d rows of ordinary pictures; want %d:\n%s", picked, users, page.body)
	return nil
}

// sectionImages returns the picture URLs of the demo page's section id.
func sectionImages(ctx context.Context, t *testing.T, client *http.Client, base, id string) []string {
	t.Helper()
	page := getURL(ctx, client, base+"/")
	require.NoError(t, page.err)
	m := regexp.MustCompile(`(?s)<section id="` + id + `" class="gallery">.*?</section>`).Find(page.body)
	require.NotNil(t, m, "the demo page has a section %q", id)
	var out []string
	for _, u := range regexp.MustCompile(`<img src="(/avatars/[^"]+)"`).FindAllSubmatch(m, -1) {
		out = append(out, string(u[1]))
	}
	return out
}

// result is the outcome of one request.
type result struct {
	code  int
	ctype string
	etag  string
	body  []byte
	err   error
}

// getURL GETs url; safe to call from any goroutine.
func getURL(ctx context.Context, client *http.Client, url string) result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return result{err: err}
	}
	res, err := client.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return result{err: fmt.Errorf("%s: reading the body: %w", url, err)}
	}
	return result{code: res.StatusCode, ctype: res.Header.Get("Content-Type"), etag: res.Header.Get("ETag"), body: body}
}

// syncBuffer is a bytes.Buffer safe for concurrent use: a process writes it while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestPeersDNS runs two nodes in this process that find each other with -peers-dns (the resolver
// replaced by one that answers both loopback addresses, 127.0.0.1 and 127.0.0.2, on one port):
// each sees the other, and an avatar asked of both is fetched once.
func TestPeersDNS(t *testing.T) {
	port := sharedLoopbackPort(t, "127.0.0.1", "127.0.0.2")
	const name = "avatarkit.test"
	lookup := func(ctx context.Context, host string) ([]string, error) {
		if host != name {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []string{"127.0.0.1", "127.0.0.2"}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var bases []string
	var dones []chan error
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		ready, done := make(chan string, 1), make(chan error, 1)
		logs := &syncBuffer{}
		go func() {
			done <- run(ctx, []string{"-demo", "-addr", addr, "-self", "http://" + addr,
				"-peers-dns", name + ":" + strconv.Itoa(port), "-peer-secret", "example-dns-test-peer-secret", "-peer-timeout", "15s"},
				env{stderr: logs, ready: ready, name: "example-dns", lookupHost: lookup})
		}()
		select {
		case <-ready:
		case err := <-done:
			t.Fatalf("node %s stopped: %v\n%s", addr, err, logs)
		case <-ctx.Done():
			t.Fatalf("node %s did not start:\n%s", addr, logs)
		}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("node %s:\n%s", addr, logs)
			}
		})
		bases, dones = append(bases, "http://"+addr), append(dones, done)
	}

	client := &http.Client{Timeout: 20 * time.Second}
	for _, b := range bases {
		// Discovery runs in the background: the first resolution lands right after start.
		require.Eventually(t, func() bool {
			r := getURL(ctx, client, b+"/debug/avatars")
			var s nodeStats
			return r.err == nil && json.Unmarshal(r.body, &s) == nil && s.Peers == 2
		}, 10*time.Second, 20*time.Millisecond, "%s finds both nodes", b)
	}
	variants := pickVariants(ctx, t, client, bases[0], 4, 1)
	var before []nodeStats // the demo page asks for its intentional errors when it is served
	for _, b := range bases {
		before = append(before, debugStats(ctx, t, client, b))
	}
	for _, b := range bases {
		for _, v := range variants {
			r := getURL(ctx, client, b+v)
			require.NoError(t, r.err)
			assert.Equal(t, http.StatusOK, r.code, "%s%s: %s", b, v, r.body)
		}
	}
	var fetches, transforms, peerLoads int64
	for i, b := range bases {
		s := debugStats(ctx, t, client, b).minus(before[i])
		fetches, transforms, peerLoads = fetches+s.OriginFetches, transforms+s.Transforms, peerLoads+s.PeerLoads
	}
	assert.EqualValues(t, len(variants), fetches, "every avatar fetched once by the pair")
	assert.EqualValues(t, len(variants), transforms)
	assert.Positive(t, peerLoads)

	cancel()
	for _, done := range dones {
		assert.NoError(t, <-done)
	}
}

// sharedLoopbackPort returns a port free on every one of ips at once, or skips the test when one of
// them cannot be listened on (127.0.0.2 is not a loopback address everywhere).
func sharedLoopbackPort(t *testing.T, ips ...string) int {
	t.Helper()
	for range 20 {
		first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		require.NoError(t, err)
		port := first.Addr().(*net.TCPAddr).Port
		lns := []net.Listener{first}
		ok := true
		for _, ip := range ips[1:] {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				if errors.Is(err, syscall.EADDRNOTAVAIL) {
					first.Close()
					t.Skipf("cannot listen on %s: %v", ip, err)
				}
				ok = false
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no port free on all of", ips)
	return 0
}
