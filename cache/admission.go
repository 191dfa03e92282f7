package cache

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/groupcache"
)

// Admission of variants: a flood of one-off variants must not evict the ones asked for again and
// again. groupcache keeps every value it loads, least recently used first out, so a client that
// asks for 20,000 distinct sizes of one avatar would push every popular variant out of the cache,
// and each of them would be computed again at its next request.
//
// So a variant is admitted to the variants group only once it has been asked for before. A node
// remembers which variant keys it was asked for recently (doorkeeper, a Bloom filter in two
// generations, as TinyLFU's doorkeeper). A key not seen before is served from the variants group
// if it happens to be there (a peek: nothing is computed), else computed in the probation group,
// a small group of its own (an eighth of the variants' share of CacheBytes) where one-off
// variants evict only each other. The second request for the key goes to the variants group,
// whose loader takes the value from the probation group's cache when it is still there (the
// owner of a key is the same node in both groups), so a variant asked for twice is computed
// once. Variants the app itself asks for — URLs it signed, its named transformations, the
// untransformed picture — are admitted at once (Request.Trusted).
//
// The doorkeeper is per node: in a cluster a variant is admitted by the node its requests reach,
// which for a popular variant is every node.

// probationShare is the part of the variants' share of CacheBytes given to the probation group.
const probationShare = 8

// doorBits is the size of one generation of the doorkeeper, in bits (128 KiB); a generation is
// retired after doorBits/10 keys, so that it answers "seen" wrongly for about 2 % of new keys.
const doorBits = 1 << 20

type doorkeeper struct {
	seed     maphash.Seed
	mu       sync.Mutex // rotation
	cur      atomic.Pointer[bloom]
	prev     atomic.Pointer[bloom]
	inserted atomic.Int64 // keys added to cur
}

type bloom struct{ words []atomic.Uint64 }

func newBloom() *bloom { return &bloom{words: make([]atomic.Uint64, doorBits/64)} }

func newDoorkeeper() *doorkeeper {
	d := &doorkeeper{seed: maphash.MakeSeed()}
	d.cur.Store(newBloom())
	d.prev.Store(newBloom())
	return d
}

// probes returns the three bit positions of a key.
func (d *doorkeeper) probes(key string) [3]uint64 {
	h := maphash.String(d.seed, key)
	h1, h2 := h&0xffffffff, h>>32|1
	return [3]uint64{h1 % doorBits, (h1 + h2) % doorBits, (h1 + 2*h2) % doorBits}
}

func (b *bloom) has(p [3]uint64) bool {
	for _, i := range p {
		if b.words[i/64].Load()&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}

func (b *bloom) add(p [3]uint64) {
	for _, i := range p {
		b.words[i/64].Or(1 << (i % 64))
	}
}

// seen reports whether key was asked for before (recently, and give or take a few per cent of
// false positives), and records that it has been now.
func (d *doorkeeper) seen(key string) bool {
	p := d.probes(key)
	cur := d.cur.Load()
	if cur.has(p) {
		return true
	}
	was := d.prev.Load().has(p)
	cur.add(p)
	if d.inserted.Add(1) >= doorBits/10 {
		d.rotate(cur)
	}
	return was
}

// rotate retires the older generation, once per filled generation.
func (d *doorkeeper) rotate(full *bloom) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur.Load() != full {
		return // another goroutine rotated it
	}
	d.prev.Store(full)
	d.cur.Store(newBloom())
	d.inserted.Store(0)
}

// getVariant gets the variant key into v, through the doorkeeper: see above. ctx carries the
// hint, the avatar key the variant's content is known by.
func (c *Cache) getVariant(ctx context.Context, key string, trusted bool, v *groupcache.ByteView) error {
	if trusted || c.door.seen(key) {
		return getLoading(ctx, c.variants, key, v)
	}
	err := c.variants.Get(withPeek(ctx), key, groupcache.ByteViewSink(v))
	if !errors.Is(err, errNotCached) {
		return err
	}
	c.probationLoads.Add(1)
	return getLoading(ctx, c.probation, key, v)
}

// getLoading gets key from g, loading it when it is not cached. groupcache lets concurrent Gets
// of one key share one load, a peek's among them (on this node, or on the owner when the
// requests come from several nodes), so a Get that got a peek's "not cached" asks again. It
// waits a little first: groupcache wakes a flight's waiters before it forgets the flight, so a
// Get asked again at once can join the same finished peek, and a loop without a pause spins on
// it for as long as the flight's goroutine is not scheduled (seen on a loaded machine). Each
// node peeks at a key once per doorkeeper generation (its first request for it), so a load
// meets few peeks in a row.
func getLoading(ctx context.Context, g *groupcache.Group, key string, v *groupcache.ByteView) error {
	pause := 100 * time.Microsecond
	for i := 0; ; i++ {
		err := g.Get(ctx, key, groupcache.ByteViewSink(v))
		if !errors.Is(err, errNotCached) || i == maxPeekRetries {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// maxPeekRetries bounds the Gets of getLoading that meet a peek's load (about 0.2 s of pauses).
const maxPeekRetries = 24

// loadVariant is the variants group's loader: a variant asked for before. It takes the value
// from the probation group when the first request left it there, and computes it otherwise
// (unless the load is a peek).
func (c *Cache) loadVariant(ctx context.Context, key string, dest groupcache.Sink) error {
	if err := c.groups[groupVariants].takeOwnerErr(key); err != nil {
		return err
	}
	var v groupcache.ByteView
	if err := c.probation.Get(withPeek(ctx), key, groupcache.ByteViewSink(&v)); err == nil {
		c.promoted.Add(1)
		return dest.SetString(v.String())
	}
	if isPeek(ctx) {
		return errNotCached
	}
	return c.computeOnce(ctx, key, dest)
}

// computeOnce computes a variant once for both groups: a first request (probation) and a second
// one (variants) that arrive at the same time share the work, and one that arrives moments after
// the other's computation ended takes its result from the table of variants just made.
func (c *Cache) computeOnce(ctx context.Context, key string, dest groupcache.Sink) error {
	noteLoad(ctx)
	if s, ok := c.justMade.get(key, time.Now()); ok {
		return dest.SetString(s)
	}
	v, err := c.computing.Do(key, func() (any, error) {
		defer c.loads.ended(key)
		var s string
		err := c.computeVariant(ctx, key, groupcache.StringSink(&s))
		if err == nil {
			c.justMade.add(key, s, time.Now())
		}
		return s, err
	})
	if err != nil {
		return err
	}
	return dest.SetString(v.(string))
}

// justMade remembers the variants computed in the last moments, the small ones: a variant's first
// request on one node peeks at the owner's variants, finds nothing, and asks the owner's probation
// group, and when a request of another node (admitted at once) had the owner compute the variant
// meanwhile, the probation load finds it here instead of computing it a second time. (It cannot
// look into the variants group: that group's load may be waiting for this one's.) Variant keys
// name the source's content, so a value found here is the value computing would give. The table
// holds justMadeSlots values of at most justMadeMax bytes, for justMadeFor: 2 MiB at most, most
// of it shared with the cache's copies.
type justMade struct {
	mu    sync.Mutex
	next  int
	slots [justMadeSlots]struct {
		key, value string
		at         time.Time
	}
}

const (
	justMadeSlots = 32
	justMadeMax   = 64 << 10
	justMadeFor   = 2 * time.Second
)

func (j *justMade) get(key string, now time.Time) (string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range j.slots {
		if s := &j.slots[i]; s.key == key && now.Sub(s.at) < justMadeFor {
			return s.value, true
		}
	}
	return "", false
}

func (j *justMade) add(key, value string, now time.Time) {
	if len(value) > justMadeMax {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.slots[j.next] = struct {
		key, value string
		at         time.Time
	}{key, value, now}
	j.next = (j.next + 1) % justMadeSlots
}

// loadProbation is the probation group's loader: a variant asked for the first time.
func (c *Cache) loadProbation(ctx context.Context, key string, dest groupcache.Sink) error {
	if err := c.groups[groupProbation].takeOwnerErr(key); err != nil {
		return err
	}
	if isPeek(ctx) {
		return errNotCached
	}
	return c.computeOnce(ctx, key, dest)
}

// AdmissionStats describe the admission of variants to the cache.
type AdmissionStats struct {
	// Probation counts the requests for a variant not asked for before (on this node) that
	// were not in the cache: it was computed, or found, in the probation group.
	Probation int64 `json:"probation"`
	// Promoted counts the variants asked for again that the variants group took from the
	// probation group instead of computing them again.
	Promoted int64 `json:"promoted"`
	// PeerPeeks counts the looks into another node's variants group for a variant not asked for
	// before that the owner answered with "not cached" (the variant was then computed in the
	// probation group).
	PeerPeeks int64 `json:"peer_peeks"`
}
