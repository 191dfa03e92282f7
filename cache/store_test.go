package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/fetch"
)

// The durable store (store.go), against memStore, a Store in memory whose failures the test sets.
// Package cache/blobstore tests the same through real buckets (mem://, file://).

type memObject struct {
	o   StoredOriginal
	mod time.Time
}

type memStore struct {
	mu       sync.Mutex
	objs     map[string]memObject
	getErr   error
	getDelay time.Duration // when not zero, Get takes that long (or until ctx is done)
	putErr   error
	putGate  chan struct{} // when not nil, Put waits for it (or ctx)
	gets     atomic.Int64
	puts     atomic.Int64
}

func newMemStore() *memStore { return &memStore{objs: map[string]memObject{}} }

func (s *memStore) Get(ctx context.Context, key string, maxBytes int64) (*StoredOriginal, error) {
	s.gets.Add(1)
	s.mu.Lock()
	delay := s.getDelay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getErr != nil {
		return nil, s.getErr
	}
	obj, ok := s.objs[key]
	if !ok {
		return nil, ErrNotStored
	}
	if int64(len(obj.o.Bytes)) > maxBytes {
		return nil, fmt.Errorf("%w: too large", ErrStoredCorrupt)
	}
	o := obj.o
	o.Bytes = append([]byte(nil), o.Bytes...)
	return &o, nil
}

func (s *memStore) Put(ctx context.Context, key string, o *StoredOriginal) error {
	s.mu.Lock()
	gate, err := s.putGate, s.putErr
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	s.puts.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *o
	cp.Bytes = append([]byte(nil), o.Bytes...)
	s.objs[key] = memObject{o: cp, mod: time.Now()}
	return nil
}

func (s *memStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objs, key)
	return nil
}

func (s *memStore) List(ctx context.Context, prefix string, fn func(StoredObject) error) error {
	s.mu.Lock()
	objs := maps.Clone(s.objs)
	s.mu.Unlock()
	for k, o := range objs {
		if strings.HasPrefix(k, prefix) {
			if err := fn(StoredObject{Key: k, ModTime: o.mod, Size: int64(len(o.o.Bytes))}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *memStore) Ping(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.getErr
}

func (s *memStore) edit(key string, f func(o *StoredOriginal)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := s.objs[key]
	f(&obj.o)
	s.objs[key] = obj
}

func (s *memStore) set(f func(s *memStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// storeNode is one life of a node: a cache of the cluster name with a process-unique LocalName,
// its own provider, and the given store.
func storeNode(t testing.TB, name string, store Store, cfg Config) (*Cache, *fakeProvider) {
	t.Helper()
	p := newFakeProvider()
	cfg.Providers = map[string]fetch.Provider{"fake": p}
	cfg.Name, cfg.LocalName, cfg.Store = name, fmt.Sprintf("%s#%d", name, nameSeq.Add(1)), store
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, p
}

// waitWrites waits until c's store queue is empty.
func waitWrites(t testing.TB, c *Cache) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := c.Stats().Store
		return s.Queued == 0
	}, 5*time.Second, time.Millisecond)
}

// A node stopped and started again with the same store serves every avatar fetched within its
// period — pictures, a generic picture, "no such user" — without calling the network.
func TestStoreRestartCostsNothing(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	name := fmt.Sprintf("storerestart%d", nameSeq.Add(1))
	cfg := Config{Now: clock.Now, RefreshPeriod: time.Hour}
	first, p1 := storeNode(t, name, store, cfg)
	ids := []string{"ann", "bob", "cy", "dee"}
	reqs := map[string]Request{}
	etags := map[string]string{}
	for _, id := range ids {
		p1.set(id, userJPEG(t, id, 48, 48), nil)
		reqs[id] = Request{Type: "fake", ID: id, Transformation: mustChain(t, "c_fill,h_16,w_16")}
		v, err := first.Get(context.Background(), reqs[id])
		require.NoError(t, err)
		etags[id] = v.ETag
	}
	_, err := first.Get(context.Background(), Request{Type: "fake", ID: "ghost"})
	require.ErrorIs(t, err, fetch.ErrNotFound)
	require.EqualValues(t, 5, p1.calls.Load())
	require.NoError(t, first.Close(), "Close makes the queued writes")
	assert.EqualValues(t, 5, first.Stats().Store.Writes)

	clock.Advance(time.Minute)
	second, p2 := storeNode(t, name, store, cfg)
	for _, id := range ids {
		v, err := second.Get(context.Background(), reqs[id])
		require.NoError(t, err)
		assert.Equal(t, etags[id], v.ETag, id)
		assert.False(t, v.Stale)
		_, end := second.periodOf("fake", id, clock.Now())
		assert.Equal(t, end, v.Expires, "fresh until the avatar's refresh time, as before the restart")
	}
	_, err = second.Get(context.Background(), Request{Type: "fake", ID: "ghost"})
	assert.ErrorIs(t, err, fetch.ErrNotFound)
	assert.Zero(t, p2.calls.Load(), "no call to the network after the restart")
	s := second.Stats()
	assert.Zero(t, s.OriginFetches)
	assert.EqualValues(t, 5, s.Store.Hits)
	assert.Zero(t, s.Store.Corrupt)

	// "No such user" is believed for NegativeTTL from when the network said it, not from the
	// restart.
	clock.Advance(DefaultNegativeTTL)
	_, err = second.Get(context.Background(), Request{Type: "fake", ID: "ghost"})
	assert.ErrorIs(t, err, fetch.ErrNotFound)
	assert.EqualValues(t, 1, p2.calls.Load(), "asked again after NegativeTTL")

	// The next period asks the network again, whatever the store holds.
	_, end := second.periodOf("fake", "ann", clock.Now())
	clock.Set(end)
	p2.set("ann", userJPEG(t, "ann", 48, 48), nil)
	_, err = second.Get(context.Background(), reqs["ann"])
	require.NoError(t, err)
	assert.EqualValues(t, 2, p2.calls.Load())
}

// A forced refresh survives a restart: its version serves its picture, unversioned URLs serve it
// until the period ends, and a repeat of it moments later is the same version.
func TestStoreRefreshSurvivesRestart(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	name := fmt.Sprintf("storerefresh%d", nameSeq.Add(1))
	cfg := Config{Now: clock.Now, RefreshPeriod: time.Hour}
	first, p1 := storeNode(t, name, store, cfg)
	atPeriodStart(first, clock, "eve")
	req := Request{Type: "fake", ID: "eve", Transformation: mustChain(t, "w_16")}
	p1.set("eve", userJPEG(t, "old", 48, 48), nil)
	old, err := first.Get(context.Background(), req)
	require.NoError(t, err)
	clock.Advance(time.Minute)
	p1.set("eve", userJPEG(t, "new", 48, 48), nil)
	version, err := first.Refresh(context.Background(), "fake", "eve")
	require.NoError(t, err)
	fresh, err := first.Get(context.Background(), req)
	require.NoError(t, err)
	require.NotEqual(t, old.ETag, fresh.ETag)
	first.Close()

	clock.Advance(time.Second)
	second, p2 := storeNode(t, name, store, cfg)
	p2.set("eve", userJPEG(t, "newer", 48, 48), nil)
	v, err := second.Get(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, fresh.ETag, v.ETag, "unversioned: the refresh's picture")
	vr := req
	vr.Version = version
	vv, err := second.Get(context.Background(), vr)
	require.NoError(t, err)
	assert.Equal(t, fresh.ETag, vv.ETag, "versioned: the refresh's picture")
	assert.True(t, vv.Expires.IsZero(), "immutable")
	again, err := second.Refresh(context.Background(), "fake", "eve")
	require.NoError(t, err)
	assert.Equal(t, version, again, "a repeat within seconds, across the restart, is the same refresh")
	assert.Zero(t, p2.calls.Load())

	clock.Advance(refreshCoalesce)
	newer, err := second.Refresh(context.Background(), "fake", "eve")
	require.NoError(t, err)
	assert.Greater(t, newer, version)
	assert.EqualValues(t, 1, p2.calls.Load())
}

// goodEntry returns the stored entry of a picture of avatar id, loaded under key at fetched.
func goodEntry(t testing.TB, c *Cache, id, key string, fetched time.Time, pic []byte) StoredOriginal {
	sum := sha256.Sum256(pic)
	return StoredOriginal{Meta: OriginalMeta{V: MetaVersion, Cluster: c.name, Type: "fake", ID: id, Key: key, Fetched: fetched,
		Outcome: OutcomePicture, ContentType: "image/jpeg", Size: int64(len(pic)), SHA256: hex.EncodeToString(sum[:])}, Bytes: pic}
}

// Every entry is checked before it is served: a corrupt or foreign one is ignored (and counted),
// and the network asked instead.
func TestStoreEntriesAreChecked(t *testing.T) {
	pic := testJPEG(t, 32, 32, red, blue)
	png := testPNG(t, 8, 8)
	for _, tc := range []struct {
		name string
		edit func(o *StoredOriginal)
	}{
		{"sound", func(o *StoredOriginal) {}},
		{"another cluster", func(o *StoredOriginal) { o.Meta.Cluster = "other" }},
		{"another avatar", func(o *StoredOriginal) { o.Meta.ID = "zed" }},
		{"another avatar's key", func(o *StoredOriginal) { o.Meta.Key = strings.Replace(o.Meta.Key, "|flo|", "|zed|", 1) }},
		{"malformed key", func(o *StoredOriginal) { o.Meta.Key = "fake|flo" }},
		{"version without its key", func(o *StoredOriginal) { o.Meta.Version = 7 }},
		{"metadata version", func(o *StoredOriginal) { o.Meta.V = 2 }},
		{"bit flipped", func(o *StoredOriginal) { o.Bytes[len(o.Bytes)/2] ^= 1 }},
		{"cut short", func(o *StoredOriginal) { o.Bytes = o.Bytes[:len(o.Bytes)-10] }},
		{"other bytes, their hash", func(o *StoredOriginal) {
			o.Bytes = png
			sum := sha256.Sum256(png)
			o.Meta.SHA256, o.Meta.Size = hex.EncodeToString(sum[:]), int64(len(png))
		}},
		{"not an image", func(o *StoredOriginal) {
			o.Bytes = []byte("<html>nope</html>")
			sum := sha256.Sum256(o.Bytes)
			o.Meta.SHA256, o.Meta.Size, o.Meta.ContentType = hex.EncodeToString(sum[:]), int64(len(o.Bytes)), ""
		}},
		{"beyond the source limit", func(o *StoredOriginal) {}},
		{"fetched in the future", func(o *StoredOriginal) { o.Meta.Fetched = o.Meta.Fetched.Add(time.Hour) }},
		{"unknown outcome", func(o *StoredOriginal) { o.Meta.Outcome = "maybe" }},
		{"a fact with bytes", func(o *StoredOriginal) { o.Meta.Outcome = OutcomeNotFound }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			store := newMemStore()
			cfg := Config{Now: clock.Now, RefreshPeriod: time.Hour}
			if tc.name == "beyond the source limit" {
				cfg.Limits.MaxSourceBytes = int64(len(pic)) - 1
			}
			c, p := storeNode(t, fmt.Sprintf("storecheck%d", nameSeq.Add(1)), store, cfg)
			key, _ := c.periodKey("fake", "flo", clock.Now())
			o := goodEntry(t, c, "flo", key, clock.Now().Add(-time.Second), pic)
			tc.edit(&o)
			require.NoError(t, store.Put(context.Background(), c.storeKey("fake", "flo"), &o))
			p.set("flo", testJPEG(t, 32, 32, blue, blue), nil)
			c.Get(context.Background(), Request{Type: "fake", ID: "flo"}) //nolint:errcheck // the network's picture may break the limit too
			s := c.Stats().Store
			if tc.name == "sound" {
				assert.Zero(t, p.calls.Load())
				assert.EqualValues(t, 1, s.Hits)
				assert.Zero(t, s.Corrupt)
				return
			}
			assert.EqualValues(t, 1, p.calls.Load(), "ignored: the network is asked")
			assert.EqualValues(t, 1, s.Corrupt)
			assert.Zero(t, s.Hits)
		})
	}
}

// An entry of an earlier period is no answer for the current one; when the network then fails it
// is the last good picture, on a node that never served it.
func TestStoreStaleAfterRestart(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	name := fmt.Sprintf("storestale%d", nameSeq.Add(1))
	cfg := Config{Now: clock.Now, RefreshPeriod: time.Hour}
	first, p1 := storeNode(t, name, store, cfg)
	req := Request{Type: "fake", ID: "gus", Transformation: mustChain(t, "w_12")}
	p1.set("gus", userJPEG(t, "gus", 40, 40), nil)
	good, err := first.Get(context.Background(), req)
	require.NoError(t, err)
	first.Close()

	// Three periods later, the network down.
	clock.Advance(3 * time.Hour)
	second, p2 := storeNode(t, name, store, cfg)
	p2.set("gus", nil, downstream)
	v, err := second.Get(context.Background(), req)
	require.NoError(t, err)
	assert.True(t, v.Stale)
	assert.Equal(t, good.ETag, v.ETag)
	assert.EqualValues(t, 1, p2.calls.Load(), "an old period's entry: the network is asked first")
	assert.EqualValues(t, 1, second.Stats().StaleServed)
	reads := store.gets.Load()
	for range 5 {
		clock.Advance(time.Second)
		v, err := second.Get(context.Background(), req)
		require.NoError(t, err)
		assert.True(t, v.Stale)
	}
	assert.Equal(t, reads, store.gets.Load(), "the last good picture is remembered: no read per request")

	// Beyond StaleIfError (a day by default) past its refresh time, the failure is the answer.
	clock.Advance(DefaultStaleIfError)
	third, p3 := storeNode(t, name, store, cfg)
	p3.set("gus", nil, downstream)
	_, err = third.Get(context.Background(), req)
	assert.ErrorIs(t, err, fetch.ErrUpstream)
}

// A store that fails is set aside, with one warning: requests are served from the network
// meanwhile, never failed by the store.
func TestStoreDownDegradesToTheNetwork(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	logs := &logRecorder{}
	cfg := Config{Now: clock.Now, Logger: slog.New(logs)}
	c, p := storeNode(t, fmt.Sprintf("storedown%d", nameSeq.Add(1)), store, cfg)
	store.set(func(s *memStore) {
		s.getErr = errors.New("connection refused")
		s.putErr = errors.New("connection refused")
	})
	for i := range 5 {
		id := fmt.Sprintf("u%d", i)
		p.set(id, userJPEG(t, id, 24, 24), nil)
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: id})
		require.NoError(t, err, "the store's failure is no failure of the request")
	}
	assert.EqualValues(t, 5, p.calls.Load())
	s := c.Stats().Store
	assert.True(t, s.Down)
	assert.EqualValues(t, 1, s.ReadErrors, "after one failure the store is left alone")
	assert.EqualValues(t, 4, s.Skipped)
	assert.EqualValues(t, 1, store.gets.Load())
	assert.Equal(t, 1, logs.count("the store failed"), "one warning, not one per request")
	assert.Error(t, c.PingStore(context.Background()))

	// Back after storeRetry (real time: the store's own clock).
	store.set(func(s *memStore) { s.getErr, s.putErr = nil, nil })
	c.store.downUntil.Store(time.Now().Add(-time.Millisecond).UnixNano())
	p.set("u9", userJPEG(t, "u9", 24, 24), nil)
	_, err := c.Get(context.Background(), Request{Type: "fake", ID: "u9"})
	require.NoError(t, err)
	waitWrites(t, c)
	require.Eventually(t, func() bool { return c.Stats().Store.Writes >= 1 }, 5*time.Second, time.Millisecond)
	assert.False(t, c.Stats().Store.Down)
	assert.Equal(t, 1, logs.count("the store works again"))
	assert.NoError(t, c.PingStore(context.Background()))
}

// A store slower than StoreReadTimeout costs a cold request that timeout once; then it is set
// aside and the network answers at once.
func TestStoreSlowReadIsBounded(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	store.set(func(s *memStore) { s.getDelay = 10 * time.Second })
	c, p := storeNode(t, fmt.Sprintf("storeslowread%d", nameSeq.Add(1)), store, Config{Now: clock.Now, StoreReadTimeout: 100 * time.Millisecond})
	for i := range 3 {
		id := fmt.Sprintf("r%d", i)
		p.set(id, userJPEG(t, id, 24, 24), nil)
		start := time.Now()
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: id})
		require.NoError(t, err)
		took := time.Since(start)
		if i == 0 {
			assert.GreaterOrEqual(t, took, 100*time.Millisecond)
		}
		assert.Less(t, took, 5*time.Second, "request %d: bounded by StoreReadTimeout, not the store", i)
	}
	s := c.Stats().Store
	assert.EqualValues(t, 1, s.ReadErrors)
	assert.EqualValues(t, 2, s.Skipped)
	assert.EqualValues(t, 3, p.calls.Load())
}

// The answer never waits for the write: a store whose writes hang costs a cold request nothing,
// and a full queue drops writes (counted, logged), never requests.
func TestStoreWritesNeverDelayTheAnswer(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	gate := make(chan struct{})
	store.set(func(s *memStore) { s.putGate = gate })
	logs := &logRecorder{}
	c, p := storeNode(t, fmt.Sprintf("storeslow%d", nameSeq.Add(1)), store, Config{Now: clock.Now, StoreQueue: 3, Logger: slog.New(logs)})
	const n = 10
	start := time.Now()
	for i := range n {
		id := fmt.Sprintf("w%d", i)
		p.set(id, userJPEG(t, id, 24, 24), nil)
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: id})
		require.NoError(t, err)
		if i == storeWriters-1 {
			waitWrites(t, c) // each writer holds one write
		}
	}
	t.Logf("%d cold requests with a store whose writes hang: %v", n, time.Since(start))
	s := c.Stats().Store
	assert.Zero(t, s.Writes)
	// Two writers hold one write each; three wait; the rest are dropped.
	assert.EqualValues(t, n-storeWriters-3, s.WritesDropped)
	assert.EqualValues(t, 3, s.Queued)
	assert.Equal(t, 1, logs.count("was dropped"), "one warning per 10 s, not one per write")
	close(gate)
	waitWrites(t, c)
	require.Eventually(t, func() bool { return c.Stats().Store.Writes == storeWriters+3 }, 5*time.Second, time.Millisecond)
}

// A write queued for an avatar already queued replaces it: the store gets the latest.
func TestStoreQueueKeepsTheLatestOfAnAvatar(t *testing.T) {
	store := newMemStore()
	tier := newStoreTier(store, &Config{StoreReadTimeout: time.Second, StoreWriteTimeout: time.Second, StoreQueue: 10, StoreQueueBytes: 1 << 20}, slog.New(slog.DiscardHandler))
	gate := make(chan struct{})
	store.set(func(s *memStore) { s.putGate = gate })
	for i := range storeWriters {
		tier.enqueue(fmt.Sprintf("busy%d", i), &StoredOriginal{})
	}
	require.Eventually(t, func() bool { return tier.stats().Queued == 0 }, time.Second, time.Millisecond)
	tier.enqueue("k", &StoredOriginal{Meta: OriginalMeta{Key: "first"}})
	tier.enqueue("k", &StoredOriginal{Meta: OriginalMeta{Key: "second"}})
	assert.EqualValues(t, 1, tier.stats().Queued)
	close(gate)
	tier.close()
	o, err := store.Get(context.Background(), "k", 1<<20)
	require.NoError(t, err)
	assert.Equal(t, "second", o.Meta.Key)
}

// An empty queue takes one write of any size: the largest original is stored too.
func TestStoreQueueTakesOneLargeWrite(t *testing.T) {
	store := newMemStore()
	gate := make(chan struct{})
	store.set(func(s *memStore) { s.putGate = gate })
	tier := newStoreTier(store, &Config{StoreReadTimeout: time.Second, StoreWriteTimeout: time.Second, StoreQueue: 10, StoreQueueBytes: 2000}, slog.New(slog.DiscardHandler))
	for i := range storeWriters {
		tier.enqueue(fmt.Sprintf("busy%d", i), &StoredOriginal{})
	}
	require.Eventually(t, func() bool { return tier.stats().Queued == 0 }, time.Second, time.Millisecond)
	tier.enqueue("big", &StoredOriginal{Bytes: make([]byte, 5000)})
	tier.enqueue("small", &StoredOriginal{Bytes: make([]byte, 10)})
	st := tier.stats()
	assert.EqualValues(t, 1, st.Queued)
	assert.EqualValues(t, 1, st.WritesDropped, "the queue is over its bytes now")
	close(gate)
	tier.close()
	_, err := store.Get(context.Background(), "big", 1<<20)
	assert.NoError(t, err)
}

// The sweep deletes this cache's entries older than a period plus StaleIfError (plus an hour).
func TestStoreSweep(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	c, p := storeNode(t, fmt.Sprintf("storesweep%d", nameSeq.Add(1)), store, Config{Now: clock.Now, RefreshPeriod: time.Hour})
	for _, id := range []string{"old", "new"} {
		p.set(id, userJPEG(t, id, 16, 16), nil)
		_, err := c.Get(context.Background(), Request{Type: "fake", ID: id})
		require.NoError(t, err)
	}
	waitWrites(t, c)
	require.Eventually(t, func() bool { return store.puts.Load() == 2 }, 5*time.Second, time.Millisecond)
	require.NoError(t, store.Put(context.Background(), "originals/v1/another/fake/x", &StoredOriginal{}))
	store.set(func(s *memStore) {
		o := s.objs[c.storeKey("fake", "old")]
		o.mod = o.mod.Add(-c.storeRetention() - time.Minute)
		s.objs[c.storeKey("fake", "old")] = o
		o = s.objs["originals/v1/another/fake/x"]
		o.mod = time.Unix(0, 0)
		s.objs["originals/v1/another/fake/x"] = o
	})
	assert.Equal(t, time.Hour+DefaultStaleIfError+time.Hour, c.storeRetention())
	n, err := c.sweepStore(context.Background(), time.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	store.mu.Lock()
	_, oldThere := store.objs[c.storeKey("fake", "old")]
	_, newThere := store.objs[c.storeKey("fake", "new")]
	_, otherThere := store.objs["originals/v1/another/fake/x"]
	store.mu.Unlock()
	assert.False(t, oldThere)
	assert.True(t, newThere)
	assert.True(t, otherThere, "another cluster's entries are its own to sweep")
	assert.EqualValues(t, 1, c.Stats().Store.Swept)
}

// Identifiers that are not plain letters and digits are written in hex in the store's keys.
func TestStoreKeys(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	assert.Equal(t, "originals/v1/"+c.name+"/fake/Abc_9-x", c.storeKey("fake", "Abc_9-x"))
	assert.Equal(t, "originals/v1/"+c.name+"/fake/~612f2e2e", c.storeKey("fake", "a/.."))
}

// Two nodes that are not a cluster but share a store: what one fetched, the other serves without
// a call.
func TestStoreSharedByTwoNodes(t *testing.T) {
	clock := newClock()
	store := newMemStore()
	name := fmt.Sprintf("storeshared%d", nameSeq.Add(1))
	cfg := Config{Now: clock.Now}
	a, pa := storeNode(t, name, store, cfg)
	b, pb := storeNode(t, name, store, cfg)
	var reqs []Request
	for i := range 6 {
		id := fmt.Sprintf("s%d", i)
		pa.set(id, userJPEG(t, id, 32, 32), nil)
		r := Request{Type: "fake", ID: id, Transformation: mustChain(t, "c_fill,h_20,w_20")}
		_, err := a.Get(context.Background(), r)
		require.NoError(t, err)
		reqs = append(reqs, r)
	}
	waitWrites(t, a)
	require.Eventually(t, func() bool { return a.Stats().Store.Writes == 6 }, 5*time.Second, time.Millisecond)
	for _, r := range reqs {
		va, _ := a.Get(context.Background(), r)
		vb, err := b.Get(context.Background(), r)
		require.NoError(t, err)
		assert.Equal(t, va.ETag, vb.ETag)
	}
	assert.Zero(t, pb.calls.Load())
	assert.EqualValues(t, 6, b.Stats().Store.Hits)
}
