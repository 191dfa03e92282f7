package cache

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang/groupcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

func TestOriginalEntryCarriesItsValidator(t *testing.T) {
	pic := []byte("\xff\xd8 the picture \xff\xd9")
	b := encodeOriginal(imageops.JPEG, true, 99, "hash", "cache-key-1", pic)
	var v groupcache.ByteView
	require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(b))
	e, err := decodeEntry(v)
	require.NoError(t, err)
	assert.Equal(t, "cache-key-1", e.validator)
	assert.Equal(t, string(pic), e.body.String(), "the picture alone")
	assert.Equal(t, "hash", e.meta)
	assert.NotZero(t, e.flags&flagDefault)
	assert.True(t, bytes.HasPrefix(v.ByteSlice()[entryHeaderSize+len("hash"):], pic),
		"the picture first: a node that does not know the flag reads it with a trailer, which decoders ignore")

	// Without a validator (or one too long to keep): the entry of before.
	assert.Equal(t, encodePicture(imageops.JPEG, false, 99, "hash", pic), encodeOriginal(imageops.JPEG, false, 99, "hash", "", pic))
	long := string(bytes.Repeat([]byte("k"), fetch.MaxValidatorLen+1))
	assert.Equal(t, encodePicture(imageops.JPEG, false, 99, "hash", pic), encodeOriginal(imageops.JPEG, false, 99, "hash", long, pic))

	// An empty picture with a validator, and trailers that lie.
	require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(encodeOriginal(imageops.PNG, false, 1, "h", "v", nil)))
	e, err = decodeEntry(v)
	require.NoError(t, err)
	assert.Equal(t, "v", e.validator)
	assert.Zero(t, e.body.Len())
	for _, bad := range [][]byte{
		encodeEntry(classPicture, 0, flagValidator, 1, "h", nil),
		encodeEntry(classPicture, 0, flagValidator, 1, "h", []byte{0}),
		encodeEntry(classPicture, 0, flagValidator, 1, "h", binary.BigEndian.AppendUint16([]byte("ab"), 3)),
	} {
		require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(bad))
		_, err := decodeEntry(v)
		assert.ErrorIs(t, err, errCorrupt, "%x", bad)
	}
}

// FuzzDecodeEntry: decodeEntry reads what peers send; it never panics, and an entry it accepts
// with a validator splits its bytes exactly.
func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeOriginal(imageops.JPEG, true, 99, "0123456789abcdef0123456789abcdef", "cache-key", []byte("pic")))
	f.Add(encodePicture(imageops.PNG, false, 1, `"etag"`, []byte("body")))
	f.Add(encodeEntry(classPicture, 0, flagValidator, 1, "h", []byte{0, 5}))
	fb, _ := encodeError(&fetch.Error{Kind: fetch.KindNotFound, Msg: "no such user"}, 5)
	f.Add(fb)
	f.Fuzz(func(t *testing.T, b []byte) {
		var v groupcache.ByteView
		require.NoError(t, groupcache.ByteViewSink(&v).SetBytes(b))
		e, err := decodeEntry(v)
		if err != nil {
			return
		}
		if e.flags&flagValidator != 0 {
			assert.Equal(t, len(b), entryHeaderSize+len(e.meta)+e.body.Len()+len(e.validator)+2)
		} else {
			assert.Empty(t, e.validator)
		}
	})
}

// revalidator is a fakeProvider that is a fetch.Revalidator: each picture's validator is its
// generation, which set bumps.
type revalidator struct {
	*fakeProvider
	mu         sync.Mutex
	gen        map[string]int
	lookups    atomic.Int64
	downloads  atomic.Int64
	validators []string // the validators FetchIfChanged was given
}

func newRevalidator() *revalidator {
	return &revalidator{fakeProvider: newFakeProvider(), gen: map[string]int{}}
}

func (p *revalidator) set(id string, pic []byte) {
	p.fakeProvider.set(id, pic, nil)
	p.mu.Lock()
	p.gen[id]++
	p.mu.Unlock()
}

func (p *revalidator) Fetch(ctx context.Context, id string) (*fetch.Picture, error) {
	return p.FetchIfChanged(ctx, id, "")
}

func (p *revalidator) FetchIfChanged(ctx context.Context, id, validator string) (*fetch.Picture, error) {
	p.lookups.Add(1)
	p.mu.Lock()
	p.validators = append(p.validators, validator)
	cur := "gen" + string(rune('0'+p.gen[id]))
	p.mu.Unlock()
	if validator == cur {
		return &fetch.Picture{Validator: cur, Unchanged: true}, nil
	}
	p.downloads.Add(1)
	pic, err := p.fakeProvider.Fetch(ctx, id)
	if err != nil {
		return nil, err
	}
	pic.Validator = cur
	return pic, nil
}

// TestRevalidationSkipsTheDownload: at each new period the provider is given the validator of the
// picture the cache holds; while it says "unchanged", the picture is served with no download, its
// variants are not computed again, and the store gets it under the new key.
func TestRevalidationSkipsTheDownload(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	p := newRevalidator()
	store := newMemStore()
	c, _ := newTestCache(t, Config{RefreshPeriod: time.Hour, Now: clock, Providers: map[string]fetch.Provider{"fake": p}, Store: store})
	t.Cleanup(func() { c.Close() })
	p.set("ivy", testJPEG(t, 64, 64, red, blue))
	req := Request{Type: "fake", ID: "ivy", Transformation: mustChain(t, "w_32")}

	first, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	transforms := c.Stats().Transforms
	for period := 1; period <= 3; period++ {
		now.Add(int64(time.Hour))
		v, err := c.Get(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, first.ETag, v.ETag)
		assert.EqualValues(t, 1+period, p.lookups.Load(), "a lookup per period")
		assert.EqualValues(t, 1, p.downloads.Load(), "and no download")
	}
	assert.EqualValues(t, 3, c.Stats().Unchanged)
	assert.Equal(t, map[string]int64{"picture": 1, "unchanged": 3}, c.Stats().OriginOutcomes["fake"], "the calls' outcomes")
	assert.Equal(t, transforms, c.Stats().Transforms, "the same picture: nothing computed again")
	assert.Equal(t, []string{"", "gen1", "gen1", "gen1"}, p.validators)
	k, _ := c.periodKey("fake", "ivy", clock())
	require.Eventually(t, func() bool {
		o, err := store.Get(context.Background(), c.storeKey("fake", "ivy"), 1<<20)
		return err == nil && o.Meta.Key == k && o.Meta.Validator == "gen1"
	}, 5*time.Second, time.Millisecond, "stored again under the new period's key, with its validator")

	// A new picture: downloaded, and the next period revalidates that one.
	p.set("ivy", testJPEG(t, 64, 64, blue, red))
	now.Add(int64(time.Hour))
	v, err := c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.NotEqual(t, first.ETag, v.ETag)
	assert.EqualValues(t, 2, p.downloads.Load())
	now.Add(int64(time.Hour))
	_, err = c.Get(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 2, p.downloads.Load())
	assert.Equal(t, "gen2", p.validators[len(p.validators)-1])

	// A forced refresh downloads whatever the validator says.
	_, err = c.Refresh(context.Background(), "fake", "ivy")
	require.NoError(t, err)
	assert.EqualValues(t, 3, p.downloads.Load())
	assert.Equal(t, "", p.validators[len(p.validators)-1])
}

// TestRevalidationNeedsTheBytes: a cache that holds no picture of the avatar (started since, no
// store) gives no validator, and downloads.
func TestRevalidationNeedsTheBytes(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	p := newRevalidator()
	p.set("ivy", testJPEG(t, 64, 64, red, blue))
	c, _ := newTestCache(t, Config{RefreshPeriod: time.Hour, Now: clock, Providers: map[string]fetch.Provider{"fake": p}})
	_, err := c.Get(context.Background(), Request{Type: "fake", ID: "ivy"})
	require.NoError(t, err)
	c.Close()

	now.Add(int64(time.Hour))
	again, _ := newTestCache(t, Config{RefreshPeriod: time.Hour, Now: clock, Providers: map[string]fetch.Provider{"fake": p}})
	t.Cleanup(func() { again.Close() })
	_, err = again.Get(context.Background(), Request{Type: "fake", ID: "ivy"})
	require.NoError(t, err)
	assert.Equal(t, []string{"", ""}, p.validators)
	assert.EqualValues(t, 2, p.downloads.Load())
	assert.Zero(t, again.Stats().Unchanged)
}
