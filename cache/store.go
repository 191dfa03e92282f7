package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/groupcache"

	"github.com/avatarkit/avatarkit/fetch"
)

// The durable tier. groupcache forgets everything when a process stops; a Store keeps the
// originals (and the facts "no such user", "no picture") beyond that, so that a node started
// again, or a node new to the fleet, serves what the fleet fetched within its period without
// asking the networks again. Variants are not stored: they are recomputed from a stored
// original, which costs CPU, not a call to a rate-limited network.
//
// The cache reads the store on a miss of the originals group, on the key's owner, before any
// call to the network, and writes what it fetched after it answered, from a bounded queue: the
// answer never waits for a write. A store that fails or is slow is set aside for a few seconds
// (storeRetry) and the cache works as it would without one. Nothing the store returns is
// trusted: every entry is checked (its cluster, avatar and key, its size against the source
// limit, its SHA-256, its sniffed type) before it is served, and ignored when it fails.
//
// One object per avatar holds the avatar's latest outcome — the picture or fact, with the key it
// was loaded under (a period, a re-check or a forced refresh's version) and when — so that a
// forced refresh survives a restart too: its version key is the stored key, and the avatar's
// period key takes the picture because it was fetched in that period. Object names:
//
//	originals/v1/<Name>/<type>/<id>
//
// where <id> is the canonical identifier when it is made of [A-Za-z0-9_-], else "~" and its hex.

// Store is a durable store of originals. Implementations must be safe for concurrent use. The
// cache builds the keys (see storeKey); the store keeps bytes and metadata as they are given and
// needs to understand neither. Package cache/blobstore implements it on a gocloud.dev bucket: a
// local directory, S3, Google Cloud Storage, Azure Blob Storage or memory.
type Store interface {
	// Get returns what is stored under key: ErrNotStored when nothing is, and an error wrapping
	// ErrStoredCorrupt when the object cannot be read as an original or holds more than maxBytes
	// bytes of picture (it reads no more than that).
	Get(ctx context.Context, key string, maxBytes int64) (*StoredOriginal, error)
	// Put stores o under key, replacing what was there.
	Put(ctx context.Context, key string, o *StoredOriginal) error
	// Delete removes what is stored under key; nothing stored is no error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every object whose key begins with prefix, in any order, until fn
	// returns an error (List then returns it).
	List(ctx context.Context, prefix string, fn func(StoredObject) error) error
	// Ping reports whether the store can be reached now, cheaply.
	Ping(ctx context.Context) error
}

// StoredOriginal is an original as a Store keeps it: its metadata and its bytes.
type StoredOriginal struct {
	Meta  OriginalMeta
	Bytes []byte // the picture as the network served it; empty for a fact
}

// StoredObject is one object as Store.List sees it.
type StoredObject struct {
	Key     string
	ModTime time.Time // when it was written, by the store's clock
	Size    int64     // bytes, metadata included
}

// OriginalMeta is what the cache needs to serve a stored original as if it had just fetched it.
// Stores keep it as they like (cache/blobstore as JSON in front of the bytes); the field names
// below are its JSON form, whose version is MetaVersion.
type OriginalMeta struct {
	// V is the version of this metadata's form: MetaVersion.
	V int `json:"v"`
	// Cluster is the Name of the cache that wrote it: a cache ignores the entries of another.
	Cluster string `json:"cluster"`
	// Type and ID name the avatar (the ID in its canonical form).
	Type string `json:"type"`
	ID   string `json:"id"`
	// Key is the avatar key the original was loaded under: "<type>|<id>|e<period>", a re-check
	// "…|e<period>n<epoch>" or a forced refresh's "…|v<version>".
	Key string `json:"key"`
	// Fetched is when the network answered, by the writing cache's clock.
	Fetched time.Time `json:"fetched"`
	// Outcome is "picture", or the fact the network stated: "not_found", "no_picture".
	Outcome string `json:"outcome"`
	// Provider and Message are a fact's, as the network's error said them.
	Provider string `json:"provider,omitempty"`
	Message  string `json:"message,omitempty"`
	// ContentType is the picture's sniffed type: image/jpeg, image/png, image/gif or image/webp.
	ContentType string `json:"content_type,omitempty"`
	// Default reports the network's generic picture (a silhouette, a default egg).
	Default bool `json:"default,omitempty"`
	// Size and SHA256 are the picture's length and hex SHA-256, checked on every read.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// Version is the forced refresh's version when Key is a version key, and OverrideUntil the
	// end of the refresh period it was made in: until then unversioned URLs serve it.
	Version       uint64    `json:"version,omitempty"`
	OverrideUntil time.Time `json:"override_until,omitzero"`
	// Validator is an opaque string a provider may give to tell later whether the picture
	// changed without downloading it (such as Graph's cache_key); empty when none.
	Validator string `json:"validator,omitempty"`
}

// MetaVersion is the version of OriginalMeta's form that this cache writes and reads.
const MetaVersion = 1

// Outcomes of OriginalMeta.
const (
	OutcomePicture   = "picture"
	OutcomeNotFound  = "not_found"
	OutcomeNoPicture = "no_picture"
)

// ErrNotStored is what Store.Get returns when nothing is stored under the key.
var ErrNotStored = errors.New("cache: not in the store")

// ErrStoredCorrupt is wrapped by the error Store.Get returns for an object it cannot read as an
// original. The cache ignores such an object, as it does one that fails its own checks.
var ErrStoredCorrupt = errors.New("cache: corrupt object in the store")

// Defaults of the store fields of Config.
const (
	DefaultStoreReadTimeout  = 2 * time.Second
	DefaultStoreWriteTimeout = 30 * time.Second
	DefaultStoreQueue        = 1000
	DefaultStoreQueueBytes   = 16 << 20
	DefaultStoreSweep        = 6 * time.Hour
)

// storeDefaults fills in and checks the store fields of cfg.
func storeDefaults(cfg *Config) error {
	for _, f := range []struct {
		name string
		p    *time.Duration
		def  time.Duration
	}{{"StoreReadTimeout", &cfg.StoreReadTimeout, DefaultStoreReadTimeout}, {"StoreWriteTimeout", &cfg.StoreWriteTimeout, DefaultStoreWriteTimeout}} {
		switch {
		case *f.p == 0:
			*f.p = f.def
		case *f.p < 0:
			return fmt.Errorf("cache: negative %s %v", f.name, *f.p)
		}
	}
	switch {
	case cfg.StoreQueue == 0:
		cfg.StoreQueue = DefaultStoreQueue
	case cfg.StoreQueue < 0:
		return fmt.Errorf("cache: negative StoreQueue %d", cfg.StoreQueue)
	}
	switch {
	case cfg.StoreQueueBytes == 0:
		cfg.StoreQueueBytes = DefaultStoreQueueBytes
	case cfg.StoreQueueBytes < 0:
		return fmt.Errorf("cache: negative StoreQueueBytes %d", cfg.StoreQueueBytes)
	}
	if cfg.StoreSweep == 0 {
		cfg.StoreSweep = DefaultStoreSweep
	}
	return nil
}

// storeRetry is how long a store that failed is left alone before it is tried again.
const storeRetry = 10 * time.Second

// storeWriters is the number of writes in flight at once.
const storeWriters = 2

// storeDrainTimeout bounds how long Close waits for the writes still queued.
const storeDrainTimeout = 10 * time.Second

// storePeekMemo is how long a node remembers what the store held for an avatar (see fromStore).
const storePeekMemo = time.Minute

// StoreStats are the counters of the durable store of one cache.
type StoreStats struct {
	// Enabled reports that the cache has a store.
	Enabled bool `json:"enabled"`
	// Down reports that the store failed moments ago and is left alone for now.
	Down bool `json:"down"`
	// Reads counts the reads made (on a miss of the originals group); Hits the reads that gave
	// an entry served as the key's original; Misses the reads that found nothing, or an entry
	// too old for the key (another period's).
	Reads  int64 `json:"reads"`
	Hits   int64 `json:"hits"`
	Misses int64 `json:"misses"`
	// ReadErrors counts the reads that failed (the store down, slow or refusing); Skipped the
	// reads not made because the store had failed moments ago.
	ReadErrors int64 `json:"read_errors"`
	Skipped    int64 `json:"skipped"`
	// Corrupt counts the entries ignored because they failed a check: unreadable, another
	// cluster's or avatar's, too large, a hash or type that does not match their bytes.
	Corrupt int64 `json:"corrupt"`
	// Writes counts the originals written; WriteFailures the writes that failed; WritesDropped
	// the writes given up because the queue was full (or the cache closing).
	Writes        int64 `json:"writes"`
	WriteFailures int64 `json:"write_failures"`
	WritesDropped int64 `json:"writes_dropped"`
	// Queued is the number of writes waiting now, QueuedBytes their bytes.
	Queued      int64 `json:"queued"`
	QueuedBytes int64 `json:"queued_bytes"`
	// Swept counts the entries the sweep deleted for their age.
	Swept int64 `json:"swept"`
}

// storeTier is the cache's side of its Store: the checks, the breaker, the write queue.
type storeTier struct {
	s            Store
	log          *slog.Logger
	readTimeout  time.Duration
	writeTimeout time.Duration
	maxQueue     int
	maxBytes     int64

	downUntil atomic.Int64 // Unix ns, real time: reads and writes are skipped before it
	isDown    atomic.Bool  // for logging the transitions

	mu      sync.Mutex
	pending map[string]storeWrite // store key -> the latest write not yet made
	order   []string              // store keys in the order they were queued
	bytes   int64
	wake    chan struct{} // a token when there is work
	stop    chan struct{} // closed by Close: write what is queued, then stop
	done    sync.WaitGroup

	lastDropLog atomic.Int64 // Unix ns of the last "dropped" warning
	dropsSince  atomic.Int64

	reads, hits, misses, readErrors, skipped, corrupt atomic.Int64
	writes, writeFailures, dropped, swept             atomic.Int64
}

type storeWrite struct {
	key string
	o   *StoredOriginal
}

func newStoreTier(s Store, cfg *Config, log *slog.Logger) *storeTier {
	t := &storeTier{
		s: s, log: log,
		readTimeout: cfg.StoreReadTimeout, writeTimeout: cfg.StoreWriteTimeout,
		maxQueue: cfg.StoreQueue, maxBytes: cfg.StoreQueueBytes,
		pending: map[string]storeWrite{},
		wake:    make(chan struct{}, storeWriters),
		stop:    make(chan struct{}),
	}
	for range storeWriters {
		t.done.Add(1)
		go t.writer()
	}
	return t
}

// available reports whether the store may be used now; false while it is set aside.
func (t *storeTier) available() bool {
	until := t.downUntil.Load()
	return until == 0 || time.Now().UnixNano() >= until
}

// failed sets the store aside for storeRetry after err, logging when it was up.
func (t *storeTier) failed(op string, err error) {
	t.downUntil.Store(time.Now().Add(storeRetry).UnixNano())
	if !t.isDown.Swap(true) {
		t.log.Warn("avatarkit: the store failed; serving without it (originals not found in memory are fetched from the networks) and trying it again soon",
			"op", op, "err", err, "retry_in", storeRetry)
	}
}

// worked notes a successful operation, logging when the store was down.
func (t *storeTier) worked() {
	if t.isDown.Swap(false) {
		t.downUntil.Store(0)
		t.log.Info("avatarkit: the store works again")
	}
}

// get reads key, within the read timeout. ok is false when nothing usable came back; the
// counters say why; answered is false when the store did not say (it failed, or was set aside).
func (t *storeTier) get(ctx context.Context, key string, maxBytes int64) (o *StoredOriginal, ok, answered bool) {
	if !t.available() {
		t.skipped.Add(1)
		return nil, false, false
	}
	t.reads.Add(1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.readTimeout)
	defer cancel()
	o, err := t.s.Get(ctx, key, maxBytes)
	switch {
	case err == nil:
		t.worked()
		return o, true, true
	case errors.Is(err, ErrNotStored):
		t.worked()
		t.misses.Add(1)
	case errors.Is(err, ErrStoredCorrupt):
		t.worked()
		t.corrupt.Add(1)
		t.log.Warn("avatarkit: ignored a corrupt entry of the store", "key", key, "err", err)
	default:
		t.readErrors.Add(1)
		t.failed("read", err)
		return nil, false, false
	}
	return nil, false, true
}

// enqueue queues a write. A write for a key already queued replaces it; a write that does not fit
// is dropped, counted and logged (at most every 10 s).
func (t *storeTier) enqueue(key string, o *StoredOriginal) {
	size := int64(len(o.Bytes)) + 512
	t.mu.Lock()
	select {
	case <-t.stop:
		t.mu.Unlock()
		t.drop(key, "the cache is closing")
		return
	default:
	}
	old, queued := t.pending[key]
	oldSize := int64(0)
	if queued {
		oldSize = int64(len(old.o.Bytes)) + 512
	}
	// An empty queue takes any one write, however large: an original of the largest size the
	// source limit allows is stored too.
	if (!queued && len(t.order) >= t.maxQueue) || (len(t.order) > 0 && t.bytes-oldSize+size > t.maxBytes) {
		t.mu.Unlock()
		t.drop(key, "the write queue is full")
		return
	}
	t.pending[key] = storeWrite{key: key, o: o}
	t.bytes += size - oldSize
	if !queued {
		t.order = append(t.order, key)
	}
	t.mu.Unlock()
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *storeTier) drop(key, why string) {
	t.dropped.Add(1)
	n := t.dropsSince.Add(1)
	now := time.Now().UnixNano()
	last := t.lastDropLog.Load()
	if now-last >= int64(10*time.Second) && t.lastDropLog.CompareAndSwap(last, now) {
		t.dropsSince.Store(0)
		t.log.Warn("avatarkit: a write to the store was dropped; the original stays in memory and is fetched again after a restart",
			"key", key, "why", why, "dropped_since_last_warning", n)
	}
}

// next takes the oldest queued write.
func (t *storeTier) next() (storeWrite, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.order) == 0 {
		return storeWrite{}, false
	}
	key := t.order[0]
	t.order[0] = ""
	t.order = t.order[1:]
	w := t.pending[key]
	delete(t.pending, key)
	t.bytes -= int64(len(w.o.Bytes)) + 512
	return w, true
}

// writer makes the queued writes until stop, and then the ones still queued, within
// storeDrainTimeout.
func (t *storeTier) writer() {
	defer t.done.Done()
	for {
		for w, ok := t.next(); ok; w, ok = t.next() {
			t.write(context.Background(), w)
		}
		select {
		case <-t.wake:
		case <-t.stop:
			ctx, cancel := context.WithTimeout(context.Background(), storeDrainTimeout)
			defer cancel()
			for w, ok := t.next(); ok; w, ok = t.next() {
				if ctx.Err() != nil {
					t.drop(w.key, "the cache closed before it was written")
					continue
				}
				t.write(ctx, w)
			}
			return
		}
	}
}

func (t *storeTier) write(ctx context.Context, w storeWrite) {
	if !t.available() {
		t.writeFailures.Add(1)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, t.writeTimeout)
	defer cancel()
	if err := t.s.Put(ctx, w.key, w.o); err != nil {
		t.writeFailures.Add(1)
		t.failed("write", err)
		return
	}
	t.worked()
	t.writes.Add(1)
}

// close makes the writes still queued (within storeDrainTimeout) and stops the writers.
func (t *storeTier) close() {
	t.mu.Lock()
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	t.mu.Unlock()
	t.done.Wait()
}

func (t *storeTier) stats() StoreStats {
	t.mu.Lock()
	queued, qbytes := int64(len(t.order)), t.bytes
	t.mu.Unlock()
	return StoreStats{
		Enabled: true, Down: !t.available(),
		Reads: t.reads.Load(), Hits: t.hits.Load(), Misses: t.misses.Load(),
		ReadErrors: t.readErrors.Load(), Skipped: t.skipped.Load(), Corrupt: t.corrupt.Load(),
		Writes: t.writes.Load(), WriteFailures: t.writeFailures.Load(), WritesDropped: t.dropped.Load(),
		Queued: queued, QueuedBytes: qbytes, Swept: t.swept.Load(),
	}
}

// The cache's use of its store.

var plainID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// storePrefix is the beginning of every key of this cache's entries.
func (c *Cache) storePrefix() string { return "originals/v1/" + c.name + "/" }

// storeKey is the key of an avatar's entry in the store.
func (c *Cache) storeKey(typ, id string) string {
	if !plainID.MatchString(id) {
		id = "~" + hex.EncodeToString([]byte(id))
	}
	return c.storePrefix() + typ + "/" + id
}

// storedEntry reads an avatar's entry from the store and checks it; ok is false when there is
// none that is usable, answered false when the store could not say.
func (c *Cache) storedEntry(ctx context.Context, k avatarKey) (o *StoredOriginal, ok, answered bool) {
	o, ok, answered = c.store.get(ctx, c.storeKey(k.typ, k.id), c.limits.WithDefaults().MaxSourceBytes)
	if !ok {
		return nil, false, answered
	}
	if err := c.checkStored(k, o); err != nil {
		c.store.corrupt.Add(1)
		c.log.Warn("avatarkit: ignored an entry of the store that fails its checks", "type", k.typ, "id", k.id, "err", err)
		return nil, false, true
	}
	return o, true, true
}

// checkStored checks an entry the store returned for avatar k: its form, its cluster, its avatar
// and key, its time, and for a picture its size, limit, hash and type.
func (c *Cache) checkStored(k avatarKey, o *StoredOriginal) error {
	m := o.Meta
	switch {
	case m.V != MetaVersion:
		return fmt.Errorf("metadata version %d, want %d", m.V, MetaVersion)
	case m.Cluster != c.name:
		return fmt.Errorf("written by cluster %q, not %q", m.Cluster, c.name)
	case m.Type != k.typ || m.ID != k.id:
		return fmt.Errorf("entry of %s|%s", m.Type, m.ID)
	}
	sk, err := c.parseAvatarKey(m.Key)
	if err != nil {
		return err
	}
	if sk.typ != k.typ || sk.id != k.id {
		return fmt.Errorf("key %q of another avatar", m.Key)
	}
	if sk.version != m.Version {
		return fmt.Errorf("key %q with version %d", m.Key, m.Version)
	}
	if m.Fetched.After(c.now().Add(c.authWindow)) {
		return fmt.Errorf("fetched in the future (%s)", m.Fetched.UTC().Format(time.RFC3339))
	}
	switch m.Outcome {
	case OutcomeNotFound, OutcomeNoPicture:
		if len(o.Bytes) != 0 || m.Size != 0 {
			return errors.New("a fact with bytes")
		}
		return nil
	case OutcomePicture:
	default:
		return fmt.Errorf("unknown outcome %q", m.Outcome)
	}
	if int64(len(o.Bytes)) != m.Size {
		return fmt.Errorf("%d bytes, metadata says %d", len(o.Bytes), m.Size)
	}
	if max := c.limits.WithDefaults().MaxSourceBytes; m.Size > max {
		return fmt.Errorf("%d bytes, beyond the source limit of %d", m.Size, max)
	}
	sum := sha256.Sum256(o.Bytes)
	if hex.EncodeToString(sum[:]) != m.SHA256 {
		return errors.New("SHA-256 does not match the bytes")
	}
	if ct := fetch.SniffImage(o.Bytes); ct != m.ContentType || ct == "" {
		return fmt.Errorf("bytes of type %q, metadata says %q", ct, m.ContentType)
	}
	return nil
}

// storedAnswers reports whether an avatar's stored entry m may be served as the original of key
// (k parsed): it was loaded under that very key, or — for a period or re-check key — fetched
// since the key's period (and re-check epoch) began: what the network said then is what a load
// now would have been told at that time. A version key takes only its own entry.
func (c *Cache) storedAnswers(k avatarKey, key string, m OriginalMeta) bool {
	if m.Key == key {
		return true
	}
	if k.version > 0 {
		return false
	}
	start := c.periodStart(k.typ, k.id, k.period)
	if k.hasCheck {
		if e := c.recheckStart(k.typ, k.id, k.recheck); e.After(start) {
			start = e
		}
	}
	return !m.Fetched.Before(start)
}

// entryOfStored returns the encoded entry of a stored original (checked).
func entryOfStored(o *StoredOriginal) []byte {
	m := o.Meta
	stamp := m.Fetched.Unix()
	switch m.Outcome {
	case OutcomeNotFound, OutcomeNoPicture:
		kind := fetch.KindNotFound
		if m.Outcome == OutcomeNoPicture {
			kind = fetch.KindNoPicture
		}
		b, _ := encodeError(&fetch.Error{Kind: kind, Provider: m.Provider, Msg: m.Message}, stamp)
		return b
	}
	f, _ := formatOfContentType(m.ContentType)
	return encodeOriginal(f, m.Default, stamp, contentHash(o.Bytes), m.Validator, o.Bytes)
}

// fromStore is the originals loader's first step: the avatar's stored entry, when the cache has a
// store and the entry answers key. What the store held is remembered for storePeekMemo, so that
// made-up versions (cache busters, which peek) and the tries of a failing network cost one read
// per avatar and minute at most.
func (c *Cache) fromStore(ctx context.Context, k avatarKey, key string) ([]byte, bool) {
	if c.store == nil {
		return nil, false
	}
	avatar := k.typ + "|" + k.id
	now := c.now()
	if v, ok := c.storePeeks.get(avatar); ok {
		p := v.(storePeek)
		if now.Sub(p.at) < storePeekMemo && (p.meta == nil || !c.storedAnswers(k, key, *p.meta)) {
			return nil, false
		}
	}
	o, ok, answered := c.storedEntry(ctx, k)
	if !ok {
		if answered {
			c.storePeeks.add(avatar, storePeek{at: now})
		}
		return nil, false
	}
	c.storePeeks.add(avatar, storePeek{at: now, meta: &o.Meta})
	if !c.storedAnswers(k, key, o.Meta) {
		c.store.misses.Add(1)
		return nil, false
	}
	c.store.hits.Add(1)
	c.log.Debug("avatarkit: original from the store", "key", key, "stored_as", o.Meta.Key, "fetched", o.Meta.Fetched, "bytes", len(o.Bytes))
	if o.Meta.Version > 0 && now.Before(o.Meta.OverrideUntil) {
		// A forced refresh made before this node started: unversioned URLs serve it.
		c.setOverride(avatar, override{key: o.Meta.Key, version: o.Meta.Version, until: o.Meta.OverrideUntil})
	}
	return entryOfStored(o), true
}

// storePeek is what the store held for an avatar (nil: nothing usable) when a node last looked.
type storePeek struct {
	at   time.Time
	meta *OriginalMeta
}

// storeOutcome queues the write of what key's load got from the network: a picture, or a fact.
func (c *Cache) storeOutcome(k avatarKey, key string, fetched time.Time, pic *fetch.Picture, fact *fetch.Error) {
	if c.store == nil {
		return
	}
	m := OriginalMeta{V: MetaVersion, Cluster: c.name, Type: k.typ, ID: k.id, Key: key, Fetched: fetched, Version: k.version}
	if k.version > 0 {
		_, m.OverrideUntil = c.periodOf(k.typ, k.id, fetched)
	}
	o := &StoredOriginal{Meta: m}
	switch {
	case fact != nil:
		o.Meta.Outcome, o.Meta.Provider, o.Meta.Message = OutcomeNotFound, fact.Provider, fact.Msg
		if fact.Kind == fetch.KindNoPicture {
			o.Meta.Outcome = OutcomeNoPicture
		}
	case pic != nil:
		sum := sha256.Sum256(pic.Bytes)
		o.Meta.Outcome, o.Meta.ContentType, o.Meta.Default = OutcomePicture, pic.ContentType, pic.Default
		o.Meta.Size, o.Meta.SHA256 = int64(len(pic.Bytes)), hex.EncodeToString(sum[:])
		if len(pic.Validator) <= fetch.MaxValidatorLen {
			o.Meta.Validator = pic.Validator
		}
		o.Bytes = pic.Bytes
	default:
		return
	}
	avatar := k.typ + "|" + k.id
	c.storePeeks.add(avatar, storePeek{at: c.now(), meta: &o.Meta})
	c.store.enqueue(c.storeKey(k.typ, k.id), o)
}

// storedVersion returns the forced refresh an avatar's stored entry holds, if any, for Refresh.
func (c *Cache) storedVersion(ctx context.Context, typ, id string) (OriginalMeta, bool) {
	if c.store == nil {
		return OriginalMeta{}, false
	}
	k := avatarKey{typ: typ, id: id}
	o, ok, _ := c.storedEntry(ctx, k)
	if !ok || o.Meta.Version == 0 {
		return OriginalMeta{}, false
	}
	return o.Meta, true
}

// storedLastGood returns an avatar's stored picture as its last good one, for stale-if-error on
// a node that has not served it since it started: when it is a picture whose period ended at
// most StaleIfError ago. Its key is the hint its variants are asked with; the key's owner finds
// it in the store. What the store held is remembered for storePeekMemo, so that a failing network
// costs one read of the store per avatar and minute, not one per request.
func (c *Cache) storedLastGood(ctx context.Context, typ, id, failedKey string, now time.Time) (goodPicture, bool) {
	if c.store == nil {
		return goodPicture{}, false
	}
	avatar := typ + "|" + id
	var m *OriginalMeta
	if v, ok := c.storePeeks.get(avatar); ok && now.Sub(v.(storePeek).at) < storePeekMemo {
		m = v.(storePeek).meta
	} else {
		o, ok, answered := c.storedEntry(ctx, avatarKey{typ: typ, id: id})
		if ok {
			m = &o.Meta
		}
		if answered {
			c.storePeeks.add(avatar, storePeek{at: now, meta: m})
		}
	}
	if m == nil || m.Outcome != OutcomePicture || m.Key == failedKey || len(m.SHA256) < contentHashLen {
		return goodPicture{}, false
	}
	_, until := c.periodOf(typ, id, m.Fetched)
	if now.Sub(until) > c.staleIfError {
		return goodPicture{}, false
	}
	f, _ := formatOfContentType(m.ContentType)
	var flags byte
	if m.Default {
		flags |= flagDefault
	}
	// The index entry of the picture: its content hash is the start of its SHA-256.
	e, err := decodeEntry(byteView(encodeEntry(classPicture, byte(f), flags, m.Fetched.Unix(), m.SHA256[:contentHashLen], nil)))
	if err != nil {
		return goodPicture{}, false
	}
	return goodPicture{key: m.Key, e: e, until: until}, true
}

// Sweep.

// storeRetention is how long after it was written an entry may still be of use: a period, plus
// the time its picture may be served stale, plus an hour for clocks and slow writes.
func (c *Cache) storeRetention() time.Duration {
	return c.period + max(c.staleIfError, 0) + time.Hour
}

// sweepStore deletes the entries of this cache written more than storeRetention before now, and
// returns how many it deleted.
func (c *Cache) sweepStore(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-c.storeRetention())
	var old []string
	err := c.store.s.List(ctx, c.storePrefix(), func(o StoredObject) error {
		if o.ModTime.Before(cutoff) {
			old = append(old, o.Key)
		}
		return ctx.Err()
	})
	n := 0
	for _, k := range old {
		if ctx.Err() != nil {
			break
		}
		if derr := c.store.s.Delete(ctx, k); derr != nil {
			err = errors.Join(err, derr)
			continue
		}
		n++
	}
	c.store.swept.Add(int64(n))
	return n, err
}

// sweeper sweeps the store every interval, on the node that owns the sweep (the owner of the key
// "sweep" on the ring; every node outside a cluster).
func (c *Cache) sweeper(interval time.Duration) func(context.Context) {
	return func(ctx context.Context) {
		for sleepCtx(ctx, interval) {
			if c.self != "" && c.ring.Load().live.Get("sweep") != c.self {
				continue
			}
			start := time.Now()
			n, err := c.sweepStore(ctx, time.Now())
			if err != nil {
				c.log.Warn("avatarkit: sweeping the store failed", "err", err, "deleted", n)
				continue
			}
			c.log.Info("avatarkit: swept the store", "deleted", n, "older_than", c.storeRetention(), "took", time.Since(start))
		}
	}
}

// PingStore reports whether the cache's store can be reached now (nil without a store), within
// StoreReadTimeout: for readiness checks.
func (c *Cache) PingStore(ctx context.Context) error {
	if c.store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.store.readTimeout)
	defer cancel()
	return c.store.s.Ping(ctx)
}

// byteView returns a view of b.
func byteView(b []byte) groupcache.ByteView {
	var v groupcache.ByteView
	groupcache.ByteViewSink(&v).SetBytes(b) //nolint:errcheck // a ByteViewSink takes any bytes
	return v
}
