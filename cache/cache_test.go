package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/groupcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
	"github.com/avatarkit/avatarkit/imageops"
)

// fakeProvider is an origin whose answers the test sets. The cache's contract with providers is
// the fetch.Provider interface; the real providers are tested against fetchtest in package fetch.
type fakeProvider struct {
	mu    sync.Mutex
	pics  map[string][]byte
	errs  map[string]error
	gate  chan struct{} // when not nil, Fetch waits for it (or ctx)
	delay time.Duration // when not zero, Fetch takes that long (or until ctx is done)
	calls atomic.Int64
	held  []time.Time // the arguments of Hold
}

func newFakeProvider() *fakeProvider {
	return &fakeProvider{pics: map[string][]byte{}, errs: map[string]error{}}
}

// Hold records the rate limits the cache passes on (fetch.Holder).
func (p *fakeProvider) Hold(until time.Time) {
	p.mu.Lock()
	p.held = append(p.held, until)
	p.mu.Unlock()
}

func (p *fakeProvider) holds() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.held...)
}

func (p *fakeProvider) CheckID(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, "|/") {
		return "", &fetch.Error{Kind: fetch.KindBadID, Provider: "fake", Msg: "bad id"}
	}
	return strings.ToLower(id), nil
}

func (p *fakeProvider) Fetch(ctx context.Context, id string) (*fetch.Picture, error) {
	p.calls.Add(1)
	p.mu.Lock()
	gate, delay, pic, err := p.gate, p.delay, p.pics[id], p.errs[id]
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, &fetch.Error{Kind: fetch.KindTimeout, Provider: "fake", Msg: "timed out", Err: ctx.Err()}
		}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, &fetch.Error{Kind: fetch.KindTimeout, Provider: "fake", Msg: "timed out", Err: ctx.Err()}
		}
	}
	if err != nil {
		return nil, err
	}
	if pic == nil {
		return nil, &fetch.Error{Kind: fetch.KindNotFound, Provider: "fake", Msg: "no such user " + id}
	}
	return &fetch.Picture{Bytes: pic, ContentType: "image/jpeg"}, nil
}

func (p *fakeProvider) set(id string, pic []byte, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pics[id], p.errs[id] = pic, err
}

// testJPEG returns a w×h JPEG whose left half is c1 and right half c2.
func testJPEG(t testing.TB, w, h int, c1, c2 color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				img.SetRGBA(x, y, c1)
			} else {
				img.SetRGBA(x, y, c2)
			}
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}))
	return buf.Bytes()
}

// userJPEG returns a w×h JPEG of two colours drawn from id: users get pictures of their own,
// whose variants the cache does not share (it shares the variants of equal pictures).
func userJPEG(t testing.TB, id string, w, h int) []byte {
	f := fnv.New32a()
	f.Write([]byte(id))
	n := f.Sum32()
	return testJPEG(t, w, h, color.RGBA{uint8(n), uint8(n >> 8), 40, 255}, color.RGBA{40, uint8(n >> 16), uint8(n >> 24), 255})
}

// testPNG returns a w×h PNG, half transparent.
func testPNG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 255 / w), G: 80, B: uint8(y * 255 / h), A: uint8(128 + 127*(x%2))})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

var nameSeq atomic.Int64

// newTestCache returns a cache with a unique group name and a fake provider under type "fake".
func newTestCache(t testing.TB, cfg Config) (*Cache, *fakeProvider) {
	p := newFakeProvider()
	if cfg.Providers == nil {
		cfg.Providers = map[string]fetch.Provider{"fake": p}
	}
	cfg.Name = fmt.Sprintf("cachetest%d", nameSeq.Add(1))
	if cfg.MaxQueueWait == 0 {
		cfg.MaxQueueWait = time.Minute // not about shedding: a busy machine must not make a test's work wait too long
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c, p
}

var (
	red  = color.RGBA{220, 30, 30, 255}
	blue = color.RGBA{30, 30, 220, 255}
)

func mustChain(t testing.TB, s string) string {
	if s == "" {
		return ""
	}
	ch, err := imageops.ParseChain(strings.Split(s, "/"))
	require.NoError(t, err)
	return ch.String()
}

func TestGetTransformsAndCaches(t *testing.T) {
	c, p := newTestCache(t, Config{})
	p.set("alice", testJPEG(t, 400, 300, red, blue), nil)
	req := Request{Type: "fake", ID: "alice", Transformation: mustChain(t, "c_fill,h_50,w_50"), Format: imageops.PNG}

	v, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, imageops.PNG, v.Format)
	img, format, err := image.Decode(bytes.NewReader(v.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, "png", format)
	assert.Equal(t, image.Rect(0, 0, 50, 50), img.Bounds())
	assert.Regexp(t, `^"[0-9a-f]{24}"$`, v.ETag)
	assert.Equal(t, v.Len(), len(v.Bytes()))

	v2, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, v.ETag, v2.ETag)
	assert.Equal(t, v.Bytes(), v2.Bytes())
	assert.EqualValues(t, 1, p.calls.Load(), "the second Get is a hit")
	v3, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, v.ETag, v3.ETag)
	s := c.Stats()
	assert.EqualValues(t, 1, s.OriginFetches)
	assert.EqualValues(t, 1, s.Transforms)
	// The first Get computed the variant in the probation group; the second moved it to the
	// variants group (admission.go), where the third found it.
	assert.EqualValues(t, 1, s.Admission.Probation)
	assert.EqualValues(t, 1, s.Admission.Promoted)
	assert.EqualValues(t, 3, s.Variants.Gets)
	assert.EqualValues(t, 1, s.Variants.CacheHits)
}

func TestVariantsShareOneOriginal(t *testing.T) {
	c, p := newTestCache(t, Config{})
	p.set("bob", testJPEG(t, 200, 200, red, blue), nil)
	for _, tr := range []string{"", "w_10", "c_fill,h_20,w_20", "c_crop,g_east,h_10,w_10"} {
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: "bob", Transformation: mustChain(t, tr)})
		require.NoError(t, err, tr)
	}
	assert.EqualValues(t, 1, p.calls.Load())
	assert.EqualValues(t, 4, c.Stats().Transforms)
}

func TestPermanentOutcomeIsCachedTransientIsNot(t *testing.T) {
	clock := newClock()
	c, p := newTestCache(t, Config{Now: clock.Now, ErrorRetry: time.Minute})
	req := Request{Type: "fake", ID: "ghost"}

	for i := 0; i < 3; i++ {
		_, err := c.Get(context.Background(), req)
		require.Error(t, err)
		assert.ErrorIs(t, err, fetch.ErrNotFound)
		assert.Contains(t, err.Error(), "no such user ghost")
	}
	assert.EqualValues(t, 1, p.calls.Load(), "no such user is a cached value")

	p.set("flaky", nil, &fetch.Error{Kind: fetch.KindUpstream, Provider: "fake", Msg: "503 from the network"})
	for i := 0; i < 3; i++ {
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: "flaky"})
		assert.ErrorIs(t, err, fetch.ErrUpstream)
	}
	assert.EqualValues(t, 2, p.calls.Load(), "a transient failure is not cached, but not asked again before ErrorRetry")
	clock.Advance(time.Minute)
	for i := 0; i < 3; i++ {
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: "flaky"})
		assert.ErrorIs(t, err, fetch.ErrUpstream)
	}
	assert.EqualValues(t, 3, p.calls.Load(), "after ErrorRetry the network is asked again, once")
}

// newClock returns a settable clock for Config.Now.
func newClock() *fetchtest.Clock {
	return fetchtest.NewClock(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
}

func TestImageErrorsAreCachedAsValues(t *testing.T) {
	c, p := newTestCache(t, Config{})
	p.set("carol", testJPEG(t, 100, 100, red, blue), nil)
	// A crop entirely outside the picture is a property of this picture and this chain.
	req := Request{Type: "fake", ID: "carol", Transformation: mustChain(t, "c_crop,h_10,w_10,x_500,y_500")}
	for i := 0; i < 2; i++ {
		_, err := c.Get(context.Background(), req)
		var ie *imageops.Error
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, imageops.KindBadParam, ie.Kind)
		assert.NotEmpty(t, ie.Msg)
	}
	assert.EqualValues(t, 1, c.Stats().Variants.LocalLoads, "refused once, then the refusal is the cached answer")
	assert.EqualValues(t, 0, c.Stats().Transforms, "refused before it started")

	p.set("dave", []byte("<html>not a picture</html>"), nil)
	_, err := c.Get(context.Background(), Request{Type: "fake", ID: "dave"})
	var ie *imageops.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, imageops.KindBadSource, ie.Kind)
}

func TestConcurrentColdRequestsLoadOnce(t *testing.T) {
	c, p := newTestCache(t, Config{})
	p.set("erin", testJPEG(t, 300, 300, red, blue), nil)
	gate := make(chan struct{})
	p.mu.Lock()
	p.gate = gate
	p.mu.Unlock()

	req := Request{Type: "fake", ID: "erin", Transformation: mustChain(t, "c_fill,h_30,w_30")}
	const n = 200
	var wg sync.WaitGroup
	etags := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Get(context.Background(), req)
			etags[i], errs[i] = v.ETag, err
		}()
	}
	// Let the callers pile up on the single flight, then let the origin answer.
	require.Eventually(t, func() bool { return p.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	for i := 0; i < n; i++ {
		require.NoError(t, errs[i])
		assert.Equal(t, etags[0], etags[i])
	}
	assert.EqualValues(t, 1, p.calls.Load())
	assert.EqualValues(t, 1, c.Stats().Transforms)
}

func TestLoadSurvivesTheFirstCallerLeaving(t *testing.T) {
	c, p := newTestCache(t, Config{})
	p.set("fay", testJPEG(t, 64, 64, red, blue), nil)
	gate := make(chan struct{})
	p.mu.Lock()
	p.gate = gate
	p.mu.Unlock()
	req := Request{Type: "fake", ID: "fay"}

	// The first caller starts the load and hangs up.
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := c.Get(ctx, req); first <- err }()
	require.Eventually(t, func() bool { return p.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	second := make(chan error, 1)
	go func() { _, err := c.Get(context.Background(), req); second <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	time.Sleep(20 * time.Millisecond)
	close(gate)

	require.NoError(t, <-second, "the load must not be cancelled with the caller that started it")
	require.NoError(t, <-first)
	assert.EqualValues(t, 1, p.calls.Load())
}

func TestLoadTimeout(t *testing.T) {
	c, p := newTestCache(t, Config{LoadTimeout: 50 * time.Millisecond})
	p.set("gus", testJPEG(t, 64, 64, red, blue), nil)
	p.mu.Lock()
	p.gate = make(chan struct{}) // never opens
	p.mu.Unlock()
	start := time.Now()
	_, err := c.Get(context.Background(), Request{Type: "fake", ID: "gus"})
	assert.ErrorIs(t, err, fetch.ErrTimeout)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestTransformsAreBounded(t *testing.T) {
	c, p := newTestCache(t, Config{MaxTransforms: 2})
	var running, peak atomic.Int64
	c.transform = func(ctx context.Context, src []byte, ch imageops.Chain, f imageops.Format, l imageops.Limits, o imageops.Options) (*imageops.Output, error) {
		n := running.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		running.Add(-1)
		return imageops.TransformWith(ctx, src, ch, f, l, o)
	}
	p.set("hal", testJPEG(t, 64, 64, red, blue), nil)
	var wg sync.WaitGroup
	for i := 1; i <= 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Get(context.Background(), Request{Type: "fake", ID: "hal", Transformation: mustChain(t, fmt.Sprintf("w_%d", i))})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 12, c.Stats().Transforms)
	assert.LessOrEqual(t, peak.Load(), int64(2))
	assert.EqualValues(t, 2, peak.Load(), "with 12 waiting, both slots are used")
}

func TestRefreshPeriodRollsTheKey(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	c, p := newTestCache(t, Config{RefreshPeriod: time.Hour, Now: clock})
	p.set("ivy", testJPEG(t, 64, 64, red, blue), nil)
	req := Request{Type: "fake", ID: "ivy"}

	v, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	left := v.Expires.Sub(clock())
	assert.Greater(t, left, time.Duration(0))
	assert.LessOrEqual(t, left, time.Hour)

	// Just before the period ends: still the cached picture.
	now.Add(int64(left - time.Second))
	_, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 1, p.calls.Load())

	// Once it ends: a new key, a new fetch, and a full period ahead.
	now.Add(int64(2 * time.Second))
	v, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 2, p.calls.Load())
	assert.InDelta(t, float64(time.Hour-time.Second), float64(v.Expires.Sub(clock())), float64(time.Millisecond))

	// A version no forced refresh made is a cache buster: the current picture, immutable.
	v2, err := c.Get(context.Background(), Request{Type: "fake", ID: "ivy", Version: 7})
	require.NoError(t, err)
	assert.True(t, v2.Expires.IsZero(), "a versioned URL is fresh for good")
	assert.Equal(t, v.ETag, v2.ETag)
	assert.EqualValues(t, 2, p.calls.Load(), "an unknown version is not a download")

	// A forced refresh's version has its own key and never expires.
	version, err := c.Refresh(context.Background(), "fake", "ivy")
	require.NoError(t, err)
	assert.EqualValues(t, 3, p.calls.Load())
	v, err = c.Get(context.Background(), Request{Type: "fake", ID: "ivy", Version: version})
	require.NoError(t, err)
	assert.True(t, v.Expires.IsZero())
	assert.EqualValues(t, 3, p.calls.Load())
}

func TestPeriodsAreJitteredPerAvatar(t *testing.T) {
	c, _ := newTestCache(t, Config{RefreshPeriod: 7 * 24 * time.Hour})
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ends := map[time.Time]bool{}
	for i := 0; i < 50; i++ {
		n, end := c.periodOf("fake", fmt.Sprint(i), now)
		n2, end2 := c.periodOf("fake", fmt.Sprint(i), now)
		assert.Equal(t, n, n2, "stable")
		assert.Equal(t, end, end2)
		assert.True(t, end.After(now))
		assert.LessOrEqual(t, end.Sub(now), 7*24*time.Hour)
		ends[end] = true
	}
	assert.Greater(t, len(ends), 45, "avatars do not roll over together")
}

func TestKeysAreValidatedAgain(t *testing.T) {
	c, _ := newTestCache(t, Config{Defaults: map[string][]byte{"anon": testPNG(t, 32, 32)}})
	for _, key := range []string{
		"",
		"fake|alice",
		"fake|alice|x12",
		"fake|alice|e",
		"fake|alice|e12a",
		"fake|alice|e012",  // leading zero
		"fake|alice|v0",    // versions start at 1
		"fake|alice|e12n",  // re-check without an epoch
		"fake|alice|e12nx", // malformed epoch
		"nope|alice|e1",
		"fake|Alice|e1",    // not canonical
		"fake|a/b|e1",      // refused by the provider
		"fake|alice|e1|w_", // variant key given to the avatar groups
	} {
		_, err := c.parseAvatarKey(key)
		assert.Error(t, err, key)
	}
	for _, key := range []string{"fake|alice|e12", "fake|alice|e12n3", "fake|alice|v5"} {
		_, err := c.parseAvatarKey(key)
		assert.NoError(t, err, key)
	}

	h := strings.Repeat("ab", 16)
	d := "danon." + c.defaults["anon"].hash
	for _, key := range []string{
		"h" + h + "|w_10|",                   // missing accept part
		"h" + h + "|w_10,c_fill||",           // not canonical
		"h" + h + "|w_abc||",                 // bad parameter
		"h" + h + "|w_10|bmp|",               // bad extension
		"h" + h + "|w_10|jpeg|",              // extension not canonical
		"h" + h + "|w_100000|jpg|",           // beyond the output limit
		"h" + h + "|g_face,w_10||",           // g_face needs a crop
		"h" + h + "|t_round||",               // t_ is expanded before it gets here
		"h" + h + "|d_anon,w_10||",           // d_ is not part of a variant
		"h" + h + "|w_10||jp",                // accept without f_auto
		"h" + h + "|f_auto,w_10||",           // f_auto without accept
		"h" + h + "|f_auto,w_10||jw",         // accept not canonical
		"h" + h + "|w_10/|jpg|",              // empty component
		"h" + h[:30] + "|w_10|jpg|",          // short hash
		"h" + strings.ToUpper(h) + "|w_10||", // hash not canonical
		"danon.0000000000000000|w_10||",      // default of other content
		"dnone." + c.defaults["anon"].hash + "|w_10||",
		"ifake:Alice|w_10||", // identicon of a non-canonical id
		"x|w_10||",
		"fake|alice|e1|w_10|jpg", // the old layout
	} {
		_, err := c.parseVariantKey(key)
		assert.Error(t, err, key)
	}
	v, err := c.parseVariantKey("h" + h + "|c_fill,w_10|png|")
	require.NoError(t, err)
	assert.Equal(t, source{kind: 'h', hash: h}, v.src)
	assert.Equal(t, imageops.PNG, v.ext)
	v, err = c.parseVariantKey(d + "|c_fill,f_auto,w_10||wj")
	require.NoError(t, err)
	assert.Equal(t, []imageops.Format{imageops.WebP, imageops.JPEG}, v.accept)
	_, err = c.parseVariantKey("ifake:alice|f_auto||*")
	require.NoError(t, err)
}

func TestEntryRoundTrip(t *testing.T) {
	b := encodePicture(imageops.GIF, true, 1234, `"etag"`, []byte("body"))
	e, err := decodeEntry(groupcache.ByteView{})
	assert.ErrorIs(t, err, errCorrupt)
	_ = e

	var v groupcache.ByteView
	require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(b))
	e, err = decodeEntry(v)
	require.NoError(t, err)
	assert.EqualValues(t, classPicture, e.class)
	assert.Equal(t, imageops.GIF, imageops.Format(e.kind))
	assert.EqualValues(t, flagDefault, e.flags)
	assert.EqualValues(t, 1234, e.stamp)
	assert.Equal(t, `"etag"`, e.meta)
	assert.Equal(t, "body", e.body.String())
	assert.NoError(t, e.err())

	fb, ok := encodeError(&fetch.Error{Kind: fetch.KindNoPicture, Provider: "gravatar", Msg: "no picture"}, 5)
	require.True(t, ok)
	require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(fb))
	e, err = decodeEntry(v)
	require.NoError(t, err)
	assert.ErrorIs(t, e.err(), fetch.ErrNoPicture)
	assert.Equal(t, "gravatar: no picture", e.err().Error())

	ib, ok := encodeError(&imageops.Error{Kind: imageops.KindOutputLimit, Param: "w_0.9", Msg: "too wide"}, 5)
	require.True(t, ok)
	require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(ib))
	e, err = decodeEntry(v)
	require.NoError(t, err)
	var ie *imageops.Error
	require.ErrorAs(t, e.err(), &ie)
	assert.Equal(t, imageops.Error{Kind: imageops.KindOutputLimit, Param: "w_0.9", Msg: "too wide"}, *ie)

	_, ok = encodeError(errors.New("boom"), 5)
	assert.False(t, ok, "an unknown error is not a permanent outcome")
	_, ok = encodeError(&fetch.Error{Kind: fetch.KindRateLimited}, 5)
	assert.False(t, ok, "rate limiting is not a permanent outcome")

	for _, bad := range [][]byte{{0xA7}, {0x00, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xA7, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xA7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5}} {
		require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(bad))
		_, err := decodeEntry(v)
		assert.ErrorIs(t, err, errCorrupt, "%x", bad)
	}
}

func TestNewValidates(t *testing.T) {
	p := newFakeProvider()
	ok := map[string]fetch.Provider{"fake": p}
	for _, cfg := range []Config{
		{},
		{Providers: map[string]fetch.Provider{"Bad": p}},
		{Providers: map[string]fetch.Provider{"fake": nil}},
		{Providers: ok, Name: "a|b"},
		{Providers: ok, CacheBytes: -1},
		{Providers: ok, RefreshPeriod: 999 * time.Millisecond},
		{Providers: ok, RefreshPeriod: time.Second, NegativeTTL: 2 * time.Second},
		{Providers: ok, ErrorRetry: time.Minute, MaxErrorRetry: time.Second},
		{Providers: ok, StoreQueue: -1},
		{Providers: ok, StoreReadTimeout: -time.Second},
		{Providers: ok, LoadTimeout: -time.Second},
		{Providers: ok, MaxTransforms: -1},
	} {
		_, err := New(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	name := fmt.Sprintf("dup%d", nameSeq.Add(1))
	_, err := New(Config{Name: name, Providers: ok})
	require.NoError(t, err)
	_, err = New(Config{Name: name, Providers: ok})
	assert.ErrorContains(t, err, "already exist")
}
