package avatarmw

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HugoSmits86/nativewebp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

// bombPNG returns a PNG whose header claims w×h 8-bit RGBA pixels and whose IDAT holds 64 KiB of
// zeros, compressed: a few hundred bytes.
func bombPNG(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		_ = binary.Write(&buf, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = zw.Write(make([]byte, 64<<10))
	_ = zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

// bombs are tiny files whose headers claim far more pixels than any limit: a 30000×30000 PNG, a
// 60000×60000 JPEG, a 65535×65535 GIF and a 16384×16384 WebP.
func bombs(t testing.TB) map[string][]byte {
	var j bytes.Buffer
	require.NoError(t, jpeg.Encode(&j, image.NewGray(image.Rect(0, 0, 8, 8)), nil))
	jpg := j.Bytes()
	i := bytes.Index(jpg, []byte{0xFF, 0xC0})
	require.Positive(t, i)
	binary.BigEndian.PutUint16(jpg[i+5:], 60000)
	binary.BigEndian.PutUint16(jpg[i+7:], 60000)

	var g bytes.Buffer
	require.NoError(t, gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black}), nil))
	gifData := g.Bytes()
	binary.LittleEndian.PutUint16(gifData[6:], 65535)
	binary.LittleEndian.PutUint16(gifData[8:], 65535)

	var w bytes.Buffer
	require.NoError(t, nativewebp.Encode(&w, image.NewNRGBA(image.Rect(0, 0, 4, 4)), nil))
	webp := w.Bytes()
	k := bytes.Index(webp, []byte("VP8L"))
	require.Positive(t, k)
	v := binary.LittleEndian.Uint32(webp[k+9:])
	binary.LittleEndian.PutUint32(webp[k+9:], v&0xF0000000|0x0FFFFFFF)

	return map[string][]byte{"png": bombPNG(30000, 30000), "jpeg": jpg, "gif": gifData, "webp": webp}
}

// bombProvider serves, for the identifier "png", "jpeg", "gif" or "webp" (with any suffix after a
// '-'), the bomb of that format.
type bombProvider struct {
	files   map[string][]byte
	fetches atomic.Int64
}

func (p *bombProvider) CheckID(id string) (string, error) { return id, nil }

func (p *bombProvider) Fetch(_ context.Context, id string) (*fetch.Picture, error) {
	p.fetches.Add(1)
	f, _, _ := strings.Cut(id, "-")
	b := p.files[f]
	return &fetch.Picture{Bytes: b, ContentType: fetch.SniffImage(b)}, nil
}

// TestPixelBombsAre422WithoutAllocating asks, cold, for avatars whose origin serves a file of a
// few hundred bytes claiming 30000×30000 pixels (and the like in every format): 422 naming the
// size, decided from the header alone. The image the header claims (3.6 GB for the PNG) is never
// allocated: a whole cold request allocates less than 1 MiB.
func TestPixelBombsAre422WithoutAllocating(t *testing.T) {
	files := bombs(t)
	p := &bombProvider{files: files}
	h, err := New(Config{Providers: map[string]fetch.Provider{"bomb": p}})
	require.NoError(t, err)
	serve := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	serve("/avatars/bomb/w_10/png-warm-up.jpg") // groupcache and the handler set themselves up

	for format, file := range files {
		require.Less(t, len(file), 1024, format)
		for i, tr := range []string{"", "c_fill,h_90,w_90/", "c_thumb,g_face,h_50,w_50/"} {
			path := fmt.Sprintf("/avatars/bomb/%s%s-%d.png", tr, format, i)
			var rec *httptest.ResponseRecorder
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			rec = serve(path)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, "%s: %s", path, rec.Body)
			assert.Contains(t, rec.Header().Get("X-Avatar-Error"), "more than the limit of 50000000 pixels", path)
			assert.Less(t, alloc, uint64(1<<20), "%s: a cold request allocated %d bytes", path, alloc)
			assert.Less(t, took, 2*time.Second, path)
			t.Logf("%s: %d %q, %d bytes allocated, %v", path, rec.Code, rec.Header().Get("X-Avatar-Error"), alloc, took)
		}
	}
	assert.EqualValues(t, 1+len(files)*3, p.fetches.Load(), "every request was cold")
}

// TestLyingContentLengthIs422 makes the X image host claim "Content-Length: 1024" while it streams
// 256 MiB (chunked, which takes precedence): the byte cap is enforced while reading, so the request
// gets 422 after reading just over the cap, whatever the header said, and memory stays in
// proportion to the cap, not to the stream.
func TestLyingContentLengthIs422(t *testing.T) {
	for _, tc := range []struct {
		maxBytes int64
		want     string
	}{
		{1 << 20, "larger than 1 MiB"},
		{0, "larger than 16 MiB"}, // the default cap
	} {
		t.Run(tc.want, func(t *testing.T) {
			fake := fetchtest.NewServer()
			t.Cleanup(fake.Close)
			h, err := New(Config{Fetch: fetch.Config{XURL: fake.XURL(), XToken: fetchtest.XToken,
				Client: fetch.ClientConfig{MaxBytes: tc.maxBytes}}})
			require.NoError(t, err)
			const huge = 256 << 20
			fake.SetFault(fetchtest.XImage, fetchtest.Fault{Huge: huge, LieLength: true})
			u := user(t, "x", plain)

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/avatars/twitter/w_50/"+u.ID+".jpg", nil))
			runtime.ReadMemStats(&after)

			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Header().Get("X-Avatar-Error"), tc.want)
			assert.Equal(t, 1, fake.Count(fetchtest.XImage))
			limit := uint64(cmpOr(tc.maxBytes, fetch.DefaultMaxBytes))
			alloc := after.TotalAlloc - before.TotalAlloc
			// The read buffer doubles as it fills: reading the cap and one byte more ends with a
			// buffer of twice the cap, after allocating about four times the cap in all (eight
			// under the race detector, whose slice growth allocates twice). Reading the stream
			// would have allocated more than twice the stream.
			bound := 4*limit + (8 << 20)
			if raceEnabled {
				bound *= 2
			}
			assert.Less(t, alloc, bound, "allocated %d bytes for a cap of %d and a stream of %d", alloc, limit, huge)
			t.Logf("cap %d, stream %d: %d, %d bytes allocated", limit, huge, rec.Code, alloc)

			// The outcome is a fact about the picture: asked again, the network is not.
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/avatars/twitter/w_60/"+u.ID+".jpg", nil))
			assert.Equal(t, http.StatusUnprocessableEntity, rec.Code)
			assert.Equal(t, 1, fake.Count(fetchtest.XImage))
		})
	}
}

func cmpOr(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}

// burstProvider serves the delivery type of TestColdBurstMemory: identifier i is originals[i],
// downloaded from an HTTP server through fetch's guarded client, as the built-in providers do.
type burstProvider struct {
	client *fetch.Client
	base   string
	allow  fetch.Allowlist
}

func (p burstProvider) CheckID(id string) (string, error) {
	if strings.Trim(id, "0123456789") != "" || id == "" {
		return "", &fetch.Error{Kind: fetch.KindBadID, Msg: "want digits"}
	}
	return id, nil
}

func (p burstProvider) Fetch(ctx context.Context, id string) (*fetch.Picture, error) {
	return p.client.Picture(ctx, p.base+"/"+id+".jpg", p.allow)
}

// TestColdBurstMemory fires concurrent cold requests for many different 2048×2048 avatars at a
// handler with MaxTransforms 2, samples the heap while they run, and checks that it stays under a
// bound computed from the configuration:
//
//	baseline                        the heap before the burst
//	+ MaxTransforms × (W + S)       the transforms running at once: W, the working set of one
//	                                transform of a source of MaxSourcePixels (the decoded JPEG at
//	                                1.5–3 B/px, the resize planes and scratch, the output: at most
//	                                perPixel B/px), and its own copy of the original
//	+ N × copies × S                the originals in flight, each at most S = the client's MaxBytes,
//	                                live twice: the cached value and the copy a transform waiting
//	                                for its slot holds (the download buffer and the cache entry
//	                                being encoded are garbage by then: the GOGC factor covers them)
//	+ CacheBytes                    what the groups may keep
//	+ N × perRequest                buffers of the requests and of their origin connections
//
// all of it times (1 + GOGC/100) with GOGC set to 25 for the test, since HeapAlloc counts the
// garbage the collector has not yet reclaimed. The bound is tight enough to catch a missing
// semaphore: with MaxTransforms 50 (tried by hand) the same burst rose about 370 MiB over the
// baseline, against a bound of about 230 MiB; with 2 it rises about 90 MiB.
//
// The originals are a 2048×2048 portrait of a user added to the fake network (fetchtest
// AddUser), made N different files by a JPEG comment segment: the cache shares the work of
// identical contents, so N avatars need N contents, and rendering N portraits would cost the fake
// seconds of CPU. They are served over HTTP and downloaded through fetch's guarded client, byte
// cap included, like every original.
//
// N is 50 normally; under the race detector, which slows every transform down tenfold, it is 6
// (still three times MaxTransforms); -short skips the test.
func TestColdBurstMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes dozens of 2048×2048 JPEGs")
	}
	n := 50
	if raceEnabled {
		n = 6
	}
	const (
		side          = 2048
		maxTransforms = 2
		cacheBytes    = 8 << 20
		perPixel      = 4 // bytes of working set per source pixel of one transform of a JPEG, at most
		copies        = 2 // live copies of an original in flight, at most
		perRequest    = 256 << 10
		gcPercent     = 25
	)
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	u := fake.AddUser(fetchtest.User{Network: fetchtest.X, Width: side, Height: side})
	orig, ok := fake.XPictureURL(u.ID, "")
	require.True(t, ok)
	res, err := fake.Client().Get(orig)
	require.NoError(t, err)
	portrait, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(portrait))
	require.NoError(t, err)
	require.Equal(t, [2]int{side, side}, [2]int{cfg.Width, cfg.Height})

	originals := make([][]byte, n+1) // the last one for one transform on its own
	for i := range originals {
		com := fmt.Appendf(nil, "avatarkit burst original %d", i)
		seg := append([]byte{0xFF, 0xFE, byte((len(com) + 2) >> 8), byte(len(com) + 2)}, com...)
		originals[i] = append(append(append([]byte{}, portrait[:2]...), seg...), portrait[2:]...)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/%d.jpg", &i); err != nil || i < 0 || i >= len(originals) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", strconv.Itoa(len(originals[i])))
		_, _ = w.Write(originals[i])
	}))
	t.Cleanup(srv.Close)
	maxBytes := int64(len(originals[n])+(256<<10)) &^ (64<<10 - 1) // the byte cap: the largest original, rounded up
	root, err := fetch.NewClient(fetch.ClientConfig{MaxBytes: maxBytes})
	require.NoError(t, err)
	client, err := root.WithTrustedBaseURL(srv.URL)
	require.NoError(t, err)
	t.Cleanup(root.CloseIdleConnections)

	lim := imageops.Limits{MaxSourcePixels: side * side}
	h, err := New(Config{
		Providers:     map[string]fetch.Provider{"burst": burstProvider{client: client, base: srv.URL, allow: fetch.Allowlist{srv.Listener.Addr().String()}}},
		MaxTransforms: maxTransforms,
		CacheBytes:    cacheBytes,
		Limits:        lim,
		LoadTimeout:   5 * time.Minute, // the last requests wait for a slot behind all the others
		MaxQueueWait:  5 * time.Minute,
	})
	require.NoError(t, err)

	w := uint64(perPixel * lim.MaxSourcePixels)
	s := uint64(maxBytes)

	// One cold request on its own allocates, in all, less than the working set the bound grants a
	// transform and the copies of its original: so W is a bound for these sources.
	var ms, before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("/avatars/burst/c_fill,h_200,w_200/%d.jpg", n), nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	runtime.ReadMemStats(&ms)
	one := ms.TotalAlloc - before.TotalAlloc
	assert.Less(t, one, w+(copies+1)*s, "one cold request allocated %d bytes", one)

	old := debug.SetGCPercent(gcPercent)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	runtime.GC()
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapAlloc
	live := baseline + maxTransforms*(w+s) + uint64(n)*copies*s + cacheBytes + uint64(n)*perRequest
	bound := live + live*gcPercent/100

	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	codes := make([]int, n)
	var wg, ready sync.WaitGroup
	ready.Add(n)
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", fmt.Sprintf("/avatars/burst/c_fill,h_200,w_200/%d.jpg", i), nil)
			rec := httptest.NewRecorder()
			ready.Done()
			<-gate // all at once
			h.ServeHTTP(rec, req)
			codes[i] = rec.Code
		}()
	}
	ready.Wait()
	close(gate)
	wg.Wait()
	took := time.Since(start)
	close(done)
	<-sampled

	for i, c := range codes {
		assert.Equal(t, http.StatusOK, c, "avatar %d", i)
	}
	st := h.Stats()
	assert.EqualValues(t, n+1, st.Transforms, "each original transformed once")
	// Each original is downloaded once, give or take one that the small cache evicted between
	// the download and its transform (then downloaded again).
	assert.GreaterOrEqual(t, st.OriginFetches, int64(n+1))
	assert.LessOrEqual(t, st.OriginFetches, int64(n+1+max(1, n/10)), "origin fetches")
	mib := func(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	t.Logf("%d cold requests for %d×%d originals (%s each, cap %s), MaxTransforms %d, in %v (%d origin fetches): heap peak %s over a baseline of %s; bound %s; one request alone allocated %s (W %s)",
		n, side, side, mib(uint64(len(portrait))), mib(s), maxTransforms, took.Round(time.Millisecond), st.OriginFetches, mib(peak.Load()-baseline), mib(baseline), mib(bound-baseline), mib(one), mib(w))
	assert.Less(t, peak.Load(), bound, "heap peak %s, bound %s (baseline %s)", mib(peak.Load()), mib(bound), mib(baseline))
}
