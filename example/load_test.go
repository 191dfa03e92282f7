package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// The load tests run the example as a black box, in a process of its own, against an origin
// served by the test (a Gravatar stand-in with the pictures each scenario needs), and measure
// what an operator would: the process's peak resident memory (VmHWM), its CPU time, and how long
// clients wait. Each scenario checks the bounds a host app relies on:
//
//	memory   RSS ≤ -cache-mb + -work-mb + 96 MiB, whatever the requests and the clients do
//	waiting  every request answered within 10 s: served, or 503 with Retry-After
//	CPU      no single URL costs more than 1.5 s of process CPU
//	hits     a hit is answered within 1 s whatever else the node does
//
// They run in a short form with the rest of the tests (skipped by -short); the long form, with
// the figures BENCHMARKS.md records, runs with AVATARKIT_LOADTEST=long:
//
//	AVATARKIT_LOADTEST=long go test -run TestLoad -v -timeout 30m ./example

// loadLong reports whether the long form of the load tests was asked for.
func loadLong() bool { return os.Getenv("AVATARKIT_LOADTEST") == "long" }

// origin is the test's Gravatar stand-in: it serves each picture under the MD5 of its name.
type origin struct {
	srv  *httptest.Server
	mu   sync.Mutex
	pics map[string][]byte // hash -> picture
	hits atomic.Int64
}

func newOrigin(t *testing.T) *origin {
	o := &origin{pics: map[string][]byte{}}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		hash := strings.TrimPrefix(r.URL.Path, "/avatar/")
		o.mu.Lock()
		b, ok := o.pics[hash]
		o.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b) //nolint:errcheck // the example hung up
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// add serves b under name and returns the avatar identifier (the hash) of it.
func (o *origin) add(name string, b []byte) string {
	sum := md5.Sum([]byte(name))
	h := hex.EncodeToString(sum[:])
	o.mu.Lock()
	o.pics[h] = b
	o.mu.Unlock()
	return h
}

// distinct returns n copies of a JPEG that differ by a comment segment: n originals, n contents.
func distinct(jpg []byte, n int, tag string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		com := fmt.Appendf(nil, "avatarkit load %s %d", tag, i)
		seg := append([]byte{0xFF, 0xFE, byte((len(com) + 2) >> 8), byte(len(com) + 2)}, com...)
		out[i] = slices.Concat(jpg[:2], seg, jpg[2:])
	}
	return out
}

// portrait returns a side×side JPEG portrait as the fake network draws them.
func portrait(t *testing.T, side int) []byte {
	fake := fetchtest.NewServer()
	defer fake.Close()
	u := fake.AddUser(fetchtest.User{Network: fetchtest.X, Width: side, Height: side})
	url, ok := fake.XPictureURL(u.ID, "")
	require.True(t, ok)
	res, err := fake.Client().Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return b
}

// wide16PNG returns a w×h 16-bit RGB PNG whose pixels are all black: a few hundred KB that
// decode to 6 bytes a pixel in the file and 8 in memory.
func wide16PNG(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data))) //nolint:errcheck // a bytes.Buffer
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, c.Sum32()) //nolint:errcheck // a bytes.Buffer
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 2
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	require.NoError(t, err)
	row := make([]byte, 1+6*w)
	for range h {
		zw.Write(row) //nolint:errcheck // a bytes.Buffer
	}
	require.NoError(t, zw.Close())
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

// node is one example process under load.
type node struct {
	*process
	pid             int
	cacheMB, workMB int64
	client          *http.Client
}

// startNode builds (once) and starts the example against the origin.
func startNode(ctx context.Context, t *testing.T, bin string, o *origin, cacheMB, workMB int64, extra ...string) *node {
	port := freePorts(t, 1)[0]
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	args := append([]string{"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-gravatar-url", o.srv.URL,
		"-cache-mb", strconv.FormatInt(cacheMB, 10), "-work-mb", strconv.FormatInt(workMB, 10), "-refresh", "8760h"}, extra...)
	p := startProcess(ctx, t, bin, "example", base, args...)
	p.waitHealthy(ctx, t)
	// The example compiles its WebP and AVIF encoders in the background at start (seconds of
	// CPU and a temporary heap): the scenarios start once that is over.
	require.Eventually(t, func() bool { return strings.Contains(p.logs(), "encoders ready") }, time.Minute, 50*time.Millisecond,
		"the example's encoders were not ready within a minute")
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}
	t.Cleanup(tr.CloseIdleConnections)
	return &node{process: p, pid: p.cmd.Process.Pid, cacheMB: cacheMB, workMB: workMB, client: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// rssBound is the memory a node may take: its cache, its work budget and 96 MiB.
func (n *node) rssBound() int64 { return (n.cacheMB + n.workMB + 96) << 20 }

// procStatus returns a field of /proc/<pid>/status, in bytes.
func (n *node) procStatus(t *testing.T, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.pid))
	require.NoError(t, err)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, n.pid)
	return 0
}

// peakRSS is the process's resident memory at its highest so far.
func (n *node) peakRSS(t *testing.T) int64 { return n.procStatus(t, "VmHWM") }

// cpu returns the CPU time the process has used.
func (n *node) cpu(t *testing.T) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n.pid))
	require.NoError(t, err)
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	require.NoError(t, err1)
	require.NoError(t, err2)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// work is the part of /debug/avatars about the work budget and admission.
type work struct {
	Transforms int64 `json:"transforms"`
	Work       struct {
		UsedBytes int64 `json:"used_bytes"`
		PeakBytes int64 `json:"peak_bytes"`
		Shed      int64 `json:"shed"`
		Waited    int64 `json:"waited"`
	} `json:"work"`
}

func (n *node) work(t *testing.T) work {
	res, err := n.client.Get(n.base + "/debug/avatars")
	require.NoError(t, err)
	defer res.Body.Close()
	var w work
	require.NoError(t, json.NewDecoder(res.Body).Decode(&w))
	return w
}

// loadAnswer is one request's outcome as a client sees it.
type loadAnswer struct {
	code       int
	retryAfter string
	reason     string
	wait       time.Duration
	bytes      int64
}

func (n *node) get(ctx context.Context, path string, hdr ...string) loadAnswer {
	req, err := http.NewRequestWithContext(ctx, "GET", n.base+path, nil)
	if err != nil {
		return loadAnswer{reason: err.Error()}
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	start := time.Now()
	res, err := n.client.Do(req)
	if err != nil {
		return loadAnswer{reason: err.Error(), wait: time.Since(start)}
	}
	defer res.Body.Close()
	b, _ := io.Copy(io.Discard, res.Body)
	return loadAnswer{code: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), reason: res.Header.Get("X-Avatar-Error"),
		wait: time.Since(start), bytes: b}
}

// checkAnswered checks that every loadAnswer came within 10 s and is a 200, or a 503 with
// Retry-After (or one of the codes the scenario expects), and returns how many of each.
func checkAnswered(t *testing.T, name string, answers []loadAnswer, also ...int) (codes map[int]int, slowest time.Duration) {
	codes = map[int]int{}
	for i, a := range answers {
		codes[a.code]++
		slowest = max(slowest, a.wait)
		assert.Less(t, a.wait, 10*time.Second, "%s: request %d waited %v", name, i, a.wait)
		switch {
		case a.code == http.StatusOK, slices.Contains(also, a.code):
		case a.code == http.StatusServiceUnavailable:
			assert.NotEmpty(t, a.retryAfter, "%s: 503 without Retry-After: %s", name, a.reason)
		default:
			t.Errorf("%s: request %d: %d %s (%v)", name, i, a.code, a.reason, a.wait)
		}
	}
	return codes, slowest
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// TestLoad runs the scenarios of a host app's bad day against the example and reports the
// figures against their bounds.
func TestLoad(t *testing.T) {
	if testing.Short() || raceEnabled {
		// Under the race detector only the load generator would be instrumented, and slowed:
		// the figures would be the generator's, not the example's.
		t.Skip("builds the example and loads it for a minute; not under the race detector")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	t.Cleanup(cancel)
	bin := buildExample(ctx, t)
	o := newOrigin(t)
	face := portrait(t, 2048)
	var report []string
	row := func(format string, args ...any) {
		report = append(report, fmt.Sprintf(format, args...))
		t.Logf(format, args...)
	}

	t.Run("burst", func(t *testing.T) {
		// Concurrent cold requests for distinct 2048² originals.
		n := 100
		pics := distinct(face, n, "burst")
		ids := make([]string, n)
		for i, b := range pics {
			ids[i] = o.add(fmt.Sprintf("burst-%d", i), b)
		}
		nd := startNode(ctx, t, bin, o, 64, 128)
		answers := make([]loadAnswer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { answers[i] = nd.get(ctx, "/avatars/gravatar/c_fill,h_200,w_200/"+ids[i]+".jpg") })
		}
		wg.Wait()
		codes, slowest := checkAnswered(t, "burst", answers)
		peak := nd.peakRSS(t)
		row("| (a) %d concurrent cold requests, distinct 2048² JPEGs → 200² | peak RSS %s (bound %s); slowest wait %v (bound 10 s); %d served, %d × 503 |",
			n, mib(peak), mib(nd.rssBound()), slowest.Round(10*time.Millisecond), codes[200], codes[503])
		assert.LessOrEqual(t, peak, nd.rssBound())
		assert.Positive(t, codes[200])
	})

	t.Run("16-bit PNGs", func(t *testing.T) {
		side := 3000
		if loadLong() {
			side = 7000
		}
		id := o.add("png16", wide16PNG(t, side, side))
		nd := startNode(ctx, t, bin, o, 64, 128)
		answers := make([]loadAnswer, 6)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i] = nd.get(ctx, fmt.Sprintf("/avatars/gravatar/w_%d/%s.png", 200+100*i, id)) })
		}
		wg.Wait()
		codes, slowest := checkAnswered(t, "16-bit PNG", answers, http.StatusUnprocessableEntity)
		peak := nd.peakRSS(t)
		row("| (b) 6 concurrent widths of one 16-bit %d² PNG (%d KB) | peak RSS %s (bound %s); slowest %v; %d served, %d × 422 (%q) |",
			side, len(o.pics[id])>>10, mib(peak), mib(nd.rssBound()), slowest.Round(10*time.Millisecond), codes[200], codes[422], answers[0].reason)
		assert.LessOrEqual(t, peak, nd.rssBound())
	})

	t.Run("slow readers", func(t *testing.T) {
		readers, hold := 20, 5*time.Second
		if loadLong() {
			readers, hold = 60, 30*time.Second
		}
		id := o.add("slow", face)
		nd := startNode(ctx, t, bin, o, 16, 128)
		// Warm the variants, then the small one a normal client asks for meanwhile (last, so
		// that the large ones do not push it out of the small cache): each is computed once,
		// before the slow readers come.
		for i := range readers {
			for range 2 {
				a := nd.get(ctx, fmt.Sprintf("/avatars/gravatar/w_%d/%s.png", 1400+i, id))
				require.Equal(t, http.StatusOK, a.code, a.reason)
			}
		}
		small := "/avatars/gravatar/c_fill,h_48,w_48/" + id + ".jpg"
		for range 2 {
			require.Equal(t, http.StatusOK, nd.get(ctx, small).code)
		}
		addr := strings.TrimPrefix(nd.base, "http://")
		var conns []net.Conn
		var refused atomic.Int64
		var wg sync.WaitGroup
		for i := range readers {
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			conns = append(conns, c)
			require.NoError(t, c.(*net.TCPConn).SetReadBuffer(4<<10))
			fmt.Fprintf(c, "GET /avatars/gravatar/w_%d/%s.png HTTP/1.1\r\nHost: x\r\n\r\n", 1400+i, id)
			time.Sleep(hold / time.Duration(2*readers)) // they come one after another, over half the time
			wg.Go(func() {                              // reads 1 KB a second
				r := bufio.NewReaderSize(c, 1024)
				buf := make([]byte, 1024)
				line, _ := r.ReadString('\n')
				if strings.Contains(line, " 503 ") {
					refused.Add(1)
					return
				}
				for {
					if _, err := r.Read(buf); err != nil {
						return
					}
					time.Sleep(time.Second)
				}
			})
		}
		// Meanwhile, hits of a small avatar by a normal client.
		var hitWaits []time.Duration
		for end := time.Now().Add(hold); time.Now().Before(end); {
			a := nd.get(ctx, small)
			require.Equal(t, http.StatusOK, a.code)
			hitWaits = append(hitWaits, a.wait)
			time.Sleep(50 * time.Millisecond)
		}
		peak := nd.peakRSS(t)
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
		slices.Sort(hitWaits)
		row("| (c) %d slow readers (1 KB/s) of distinct %s variants, -cache-mb 16, for %v | peak RSS %s (bound %s); %d refused with 503; hits meanwhile: max %v (bound 1 s) |",
			readers, "1400 px PNG", hold, mib(peak), mib(nd.rssBound()), refused.Load(), hitWaits[len(hitWaits)-1].Round(time.Millisecond))
		assert.LessOrEqual(t, peak, nd.rssBound())
		assert.Less(t, hitWaits[len(hitWaits)-1], time.Second)
	})

	t.Run("worst URL", func(t *testing.T) {
		nd := startNode(ctx, t, bin, o, 64, 128)
		urls := []string{
			"c_fill,h_2048,w_2048,e_sharpen:2000/%s.webp",
			"c_fill,h_2048,w_2048,e_sharpen:2000/%s.png",
			"c_fill,h_2048,w_2048,e_blur:50/%s.png",
			"c_fill,h_2048,w_2048/%s.gif",
			"c_fill,h_2048,w_2048/%s.jpg",
			"c_thumb,g_face,h_2048,w_2048/e_sharpen:2000/r_max/bo_20px_solid_red/%s.png",
			"w_2048/e_sharpen/w_2047/e_sharpen/w_2046/e_sharpen/w_2045/e_sharpen/w_2044/e_sharpen/%s.jpg",
			"w_1500,f_auto/%s.jpg",
		}
		if loadLong() {
			urls = append(urls, "w_2048/a_90/w_2048/a_90/w_2048/a_90/w_2048/a_90/w_2048/e_pixelate:200/%s.png")
		}
		pics := distinct(face, len(urls), "worst")
		worst, worstURL := time.Duration(0), ""
		for i, u := range urls {
			id := o.add(fmt.Sprintf("worst-%d", i), pics[i])
			path := "/avatars/gravatar/" + fmt.Sprintf(u, id)
			before := nd.cpu(t)
			a := nd.get(ctx, path, "Accept", "image/webp,image/png,*/*")
			took := nd.cpu(t) - before
			t.Logf("%s: %d %q, %v of CPU, %d bytes", u, a.code, a.reason, took, a.bytes)
			assert.Contains(t, []int{200, 422}, a.code, u)
			if took > worst {
				worst, worstURL = took, u
			}
		}
		row("| (d) the most expensive URL of %d tried, each cold on a 2048² JPEG | %v of process CPU (bound 1.5 s): `%s` |",
			len(urls), worst, worstURL)
		assert.LessOrEqual(t, worst, 1500*time.Millisecond, worstURL)
	})

	t.Run("variant flood", func(t *testing.T) {
		flood := 2000
		if loadLong() {
			flood = 20000
		}
		small := portrait(t, 512)
		id := o.add("flood", small)
		hot := o.add("hot", distinct(small, 1, "hot")[0])
		nd := startNode(ctx, t, bin, o, 64, 128)
		var popular []string
		for _, w := range []int{32, 48, 64, 96, 128, 200} {
			popular = append(popular, fmt.Sprintf("/avatars/gravatar/c_fill,h_%d,w_%d/%s.jpg", w, w, hot))
		}
		for range 2 {
			for _, p := range popular {
				require.Equal(t, http.StatusOK, nd.get(ctx, p).code)
			}
		}
		computed := nd.work(t).Transforms

		var done atomic.Int64
		var floodCodes sync.Map
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := g; i < flood; i += 8 {
					a := nd.get(ctx, fmt.Sprintf("/avatars/gravatar/c_scale,h_%d,w_%d/%s.png", 100+i%400, 100+i/400, id))
					v, _ := floodCodes.LoadOrStore(a.code, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
					done.Add(1)
				}
			})
		}
		var waits []time.Duration
		for done.Load() < int64(flood) {
			for _, p := range popular {
				a := nd.get(ctx, p)
				require.Equal(t, http.StatusOK, a.code, a.reason)
				waits = append(waits, a.wait)
			}
		}
		wg.Wait()
		// The popular variants were never computed again: the flood did not evict them.
		for _, p := range popular {
			require.Equal(t, http.StatusOK, nd.get(ctx, p).code)
		}
		w := nd.work(t)
		slices.Sort(waits)
		p := func(q float64) time.Duration {
			return waits[int(q*float64(len(waits)-1))].Round(100 * time.Microsecond)
		}
		var codes []string
		floodCodes.Range(func(k, v any) bool {
			codes = append(codes, fmt.Sprintf("%d × %d", v.(*atomic.Int64).Load(), k))
			return true
		})
		slices.Sort(codes)
		row("| (e) %d distinct one-off variants of one avatar (8 clients), while another client asks for 6 popular ones | hot hits: p50 %v, p99 %v, max %v (bound 1 s) over %d; popular variants computed again: %d; flood: %s |",
			flood, p(0.5), p(0.99), waits[len(waits)-1].Round(time.Millisecond), len(waits), w.Transforms-computed-int64(flood)+shedOf(&floodCodes), strings.Join(codes, ", "))
		assert.Less(t, waits[len(waits)-1], time.Second)
	})

	t.Logf("summary (BENCHMARKS.md):\n%s", strings.Join(report, "\n"))
}

// shedOf is the number of flood requests that were not computed (refused as busy).
func shedOf(codes *sync.Map) int64 {
	var n int64
	codes.Range(func(k, v any) bool {
		if k.(int) != http.StatusOK {
			n += v.(*atomic.Int64).Load()
		}
		return true
	})
	return n
}
