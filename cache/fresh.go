package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang/groupcache"
	"github.com/golang/groupcache/lru"

	"github.com/avatarkit/avatarkit/fetch"
)

// Freshness (docs/freshness.md). groupcache values never change, so everything that changes over time
// is a change of key, decided per request from the clock and from what this node remembers:
//
//   - Each refresh period of an avatar has its own key (periodKey): the first request of a new
//     period loads the picture again. Variants are named by the picture's content, so when the
//     network gives the same picture, nothing is transformed again; and when its lookup says so
//     (a fetch.Revalidator given the last picture's validator), nothing is downloaded either
//     (revalidate.go).
//   - A forced refresh (Refresh) loads the avatar under a new version key and tells every node
//     (broadcastOverride) to serve that key to unversioned requests until the period ends: an
//     override. Nodes ask their peers for the overrides they hold at start and every
//     overrideSync. Only a forced refresh loads a version key: any other version in a URL is a
//     cache buster that serves the current picture (isVersion).
//   - A "no such user" or "no picture" is believed for NegativeTTL; after that a request asks the
//     network again under a re-check key, once per NegativeTTL cluster-wide; a picture found
//     that way becomes the node's override for the rest of the period.
//   - When a load fails (the network is down, slow or rate-limiting us, or gave an answer that may
//     be passing: a page that is not an image, a file over the limits, a body cut short), the
//     owner remembers the failure (failures) for a back-off that starts at ErrorRetry and doubles
//     with each failure in a row, up to MaxErrorRetry, so that the network is not hammered, and
//     requests are answered with the last good picture (stale-if-error) while it is at most
//     StaleIfError past its refresh time: the one this node last served, or the previous
//     period's, if a cache in the cluster still holds it, or the one in the store.
//   - Forced refreshes of one avatar coalesce: while one is in flight, or within
//     refreshCoalesce of one, another returns its version without asking the network.

// lruMap is a groupcache/lru.Cache safe for concurrent use.
type lruMap struct {
	mu sync.Mutex
	l  *lru.Cache
}

func newLRU(n int) *lruMap { return &lruMap{l: lru.New(n)} }

func (m *lruMap) get(k string) (any, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.l.Get(k)
}

func (m *lruMap) add(k string, v any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.l.Add(k, v)
}

// touch marks k as used and, unless same says its value is v already, sets it to v: on the hot
// path, a lookup instead of an allocation.
func (m *lruMap) touch(k string, same func(old any) bool, v func() any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.l.Get(k); ok && same(old) {
		return
	}
	m.l.Add(k, v())
}

// failureMemo remembers the transient failures of origin loads for a while.
type failureMemo struct{ m *lruMap }

type failure struct {
	err       error
	at, until time.Time
	n         int // failures in a row
}

// recent returns the failure of key if its back-off is not over. A wait the network asked for
// (fetch.Error.RetryAfter) is what is left of it now.
func (f failureMemo) recent(key string, now time.Time) error {
	v, ok := f.m.get(key)
	if !ok || !now.Before(v.(failure).until) {
		return nil
	}
	fl := v.(failure)
	var fe *fetch.Error
	if errors.As(fl.err, &fe) && fe.RetryAfter > 0 {
		cp := *fe
		cp.RetryAfter = max(time.Second, (fe.RetryAfter - now.Sub(fl.at)).Truncate(time.Second))
		if cp.Kind == fetch.KindRateLimited {
			cp.Msg, cp.HeldBack = "the network is rate-limiting us, retry in "+cp.RetryAfter.String(), true
		}
		return &cp
	}
	return fl.err
}

// addUntil records err for key from at until until.
func (f failureMemo) addUntil(key string, err error, at, until time.Time) {
	f.m.add(key, failure{err: err, at: at, until: until, n: 1})
}

// add records a failure of key at at, and returns how long key is left alone: first for base,
// then twice as long after each failure in a row (one that comes within the last back-off, or
// twice maxWait, of the one before), at most maxWait; or for the wait a rate-limited network
// asked for, when it is longer.
func (f failureMemo) add(key string, err error, at time.Time, base, maxWait time.Duration) time.Duration {
	n := 1
	if v, ok := f.m.get(key); ok {
		if prev := v.(failure); at.Sub(prev.until) < max(prev.until.Sub(prev.at), 2*maxWait) {
			n = prev.n + 1
		}
	}
	wait := base
	for i := 1; i < n && wait < maxWait; i++ {
		wait *= 2
	}
	wait = min(wait, maxWait)
	var fe *fetch.Error
	if errors.As(err, &fe) && fe.Kind == fetch.KindRateLimited && fe.RetryAfter > wait {
		wait = fe.RetryAfter
	}
	f.m.add(key, failure{err: err, at: at, until: at.Add(wait), n: n})
	return wait
}

// goodPicture is the last picture a node served for an avatar.
type goodPicture struct {
	key   string    // its avatar key
	e     entry     // its index entry
	until time.Time // when its period ended (or ends)
}

// override is the avatar key unversioned requests of one avatar use instead of the period key.
type override struct {
	key     string
	version uint64 // a forced refresh's version; 0 for a re-check that found a picture
	until   time.Time
}

// maxOverrides bounds the overrides a node holds; forced refreshes are rare.
const maxOverrides = 10000

// currentKey returns the avatar key an unversioned request uses at now, and when the avatar's
// period ends.
func (c *Cache) currentKey(typ, id string, now time.Time) (string, time.Time) {
	key, end := c.periodKey(typ, id, now)
	c.ovMu.Lock()
	o, ok := c.overrides[typ+"|"+id]
	c.ovMu.Unlock()
	if ok && now.Before(o.until) {
		return o.key, end
	}
	return key, end
}

// isVersion reports whether version is one a forced refresh made, so that it has a picture of
// its own: one this node was told of, or whose picture a cache of the cluster holds (only Refresh
// loads version keys; a peek, which loads nothing, finds out). A version found to be none is
// remembered as such for a minute, so that cache busters cost one peek each at most.
func (c *Cache) isVersion(ctx context.Context, typ, id string, version uint64, now time.Time) bool {
	c.ovMu.Lock()
	o, ok := c.overrides[typ+"|"+id]
	c.ovMu.Unlock()
	if ok && o.version == version && now.Before(o.until) {
		return true
	}
	key := versionKey(typ, id, version)
	if _, ok := c.memo.get(key); ok {
		return true
	}
	if c.notVersions.recent(key, now) != nil {
		return false
	}
	_, err := c.indexOf(withPeek(ctx), key)
	if errors.Is(err, errNotCached) {
		c.notVersions.addUntil(key, err, now, now.Add(notVersionMemo))
	}
	return err == nil
}

// notVersionMemo is how long a version found to be no forced refresh's is believed to be none.
const notVersionMemo = time.Minute

// setOverride records an override, and reports whether it is new. One with a version replaces
// only an older one.
func (c *Cache) setOverride(avatar string, o override) bool {
	c.ovMu.Lock()
	defer c.ovMu.Unlock()
	if old, ok := c.overrides[avatar]; ok && (old == o || o.version > 0 && old.version > o.version) {
		return false
	}
	if len(c.overrides) >= maxOverrides {
		now := c.now()
		var soonest string
		for k, v := range c.overrides {
			if !now.Before(v.until) {
				delete(c.overrides, k)
			} else if soonest == "" || v.until.Before(c.overrides[soonest].until) {
				soonest = k
			}
		}
		if len(c.overrides) >= maxOverrides {
			delete(c.overrides, soonest)
		}
	}
	c.overrides[avatar] = o
	return true
}

// indexOf returns the index entry of an avatar key: from this node's memo (the entry of a key
// never changes), else from the index group.
func (c *Cache) indexOf(ctx context.Context, key string) (entry, error) {
	if v, ok := c.memo.get(key); ok {
		return v.(entry), nil
	}
	var v groupcache.ByteView
	if err := c.indexes.Get(ctx, key, groupcache.ByteViewSink(&v)); err != nil {
		return entry{}, err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return entry{}, err
	}
	c.memo.add(key, e)
	c.catalog.index(key, e, c.now())
	return e, nil
}

// reindex returns the entry of the original an avatar key holds now, and makes it this node's
// index entry of the key: for when the original was loaded again (after an eviction) and the
// network had another picture by then.
func (c *Cache) reindex(ctx context.Context, key string) (entry, error) {
	var v groupcache.ByteView
	if err := c.originals.Get(ctx, key, groupcache.ByteViewSink(&v)); err != nil {
		return entry{}, err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return entry{}, err
	}
	e.body, e.validator, e.flags = groupcache.ByteView{}, "", e.flags&^flagValidator
	c.memo.add(key, e)
	c.catalog.index(key, e, c.now())
	return e, nil
}

// staleFallback returns the last good picture of an avatar, when one is known and at most
// StaleIfError past its refresh time: the one this node served last, or else the previous
// period's, if a cache of the cluster still holds it (a peek: the network is not asked).
func (c *Cache) staleFallback(ctx context.Context, typ, id, failedKey string, now time.Time) (goodPicture, bool) {
	if c.staleIfError < 0 {
		return goodPicture{}, false
	}
	if v, ok := c.good.get(typ + "|" + id); ok {
		g := v.(goodPicture)
		if g.key != failedKey && now.Sub(g.until) <= c.staleIfError {
			return g, true
		}
	}
	n, _ := c.periodOf(typ, id, now)
	prev := typ + "|" + id + "|e" + strconv.FormatInt(n-1, 10)
	_, end := c.periodOf(typ, id, now.Add(-c.period))
	if prev == failedKey || now.Sub(end) > c.staleIfError {
		return c.storedLastGood(ctx, typ, id, failedKey, now)
	}
	if e, err := c.indexOf(withPeek(ctx), prev); err == nil && e.class == classPicture {
		return goodPicture{key: prev, e: e, until: end}, true
	}
	// The last picture the store holds, from any period: on a node started since it was served.
	g, ok := c.storedLastGood(ctx, typ, id, failedKey, now)
	if ok {
		c.good.add(typ+"|"+id, g)
	}
	return g, ok
}

// nextVersion returns a new version number: the Unix time in seconds, or one more than the last
// version this node gave, or least, if either is larger.
func (c *Cache) nextVersion(now time.Time, least uint64) uint64 {
	for {
		last := c.lastVersion.Load()
		v := max(uint64(now.Unix()), last+1, least)
		if c.lastVersion.CompareAndSwap(last, v) {
			return v
		}
	}
}

// Refresh asks an avatar's network for its picture now, whatever its refresh period says, and
// returns the version the picture is stored under. URLs with v<version> serve it from every node
// at once (a node that was not told finds it by a peek; see isVersion); unversioned URLs serve it
// on this node at once and on every other node as soon as it has been told: Refresh tells every
// node it can reach before it returns (each within PeerTimeout), tries the others again a few
// times in the background, and every node asks its peers for theirs at start and every
// overrideSync. It holds until the avatar's refresh period ends, when the next period's load asks
// the network again anyway.
//
// id must be in its canonical form (the provider's CheckID). The error is the load's: a
// transient failure of the network (nothing changes), or the permanent outcome ("no such user"),
// which unversioned URLs then serve too, with the version.
func (c *Cache) Refresh(ctx context.Context, typ, id string) (uint64, error) {
	p, ok := c.providers[typ]
	if !ok {
		return 0, fmt.Errorf("cache: unknown type %q", typ)
	}
	if canon, err := p.CheckID(id); err != nil {
		return 0, err
	} else if canon != id {
		return 0, fmt.Errorf("cache: identifier %q is not canonical (%q)", id, canon)
	}
	avatar := typ + "|" + id
	c.refreshMu.Lock()
	if rc := c.refreshing[avatar]; rc != nil {
		select {
		case <-rc.done:
			if c.now().Sub(rc.at) < refreshCoalesce && rc.version > 0 {
				c.refreshMu.Unlock()
				c.coalesced.Add(1)
				return rc.version, rc.err
			}
		default:
			c.refreshMu.Unlock()
			c.coalesced.Add(1)
			select {
			case <-rc.done:
				return rc.version, rc.err
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	rc := &refreshCall{done: make(chan struct{})}
	if len(c.refreshing) >= maxOverrides {
		for k, old := range c.refreshing {
			select {
			case <-old.done:
				delete(c.refreshing, k)
			default:
			}
		}
	}
	c.refreshing[avatar] = rc
	c.refreshMu.Unlock()
	rc.version, rc.err = c.refresh(ctx, typ, id)
	rc.at = c.now()
	close(rc.done)
	return rc.version, rc.err
}

// RefreshCoalesce is how long after a forced refresh of an avatar another one returns its version
// instead of asking the network again: a refresh made on any node of the cluster (its version,
// a Unix time, says when), or found in the store.
const RefreshCoalesce = 10 * time.Second

const refreshCoalesce = RefreshCoalesce

// refreshCall is a forced refresh in flight (done open), or made at at.
type refreshCall struct {
	done    chan struct{}
	version uint64
	err     error
	at      time.Time
}

// refresh is Refresh, once it is known that no refresh of the avatar is in flight here.
func (c *Cache) refresh(ctx context.Context, typ, id string) (uint64, error) {
	now := c.now()
	avatar := typ + "|" + id
	// Above the avatar's latest refresh this node knows of, even one another node made in the
	// same second, or one made before this node started: the same version would serve that
	// refresh's picture, not ask the network. One made moments ago is the answer.
	c.ovMu.Lock()
	o := c.overrides[avatar]
	c.ovMu.Unlock()
	known := o.version
	if m, ok := c.storedVersion(ctx, typ, id); ok && m.Version > known {
		known = m.Version
		o = override{key: m.Key, version: m.Version, until: m.OverrideUntil}
	}
	if o.version > 0 && now.Before(o.until) && now.Sub(time.Unix(int64(o.version), 0)) < refreshCoalesce {
		if e, err := c.indexOf(withPeek(ctx), o.key); err == nil { // a peek: no load of its own
			c.coalesced.Add(1)
			c.setOverride(avatar, o)
			return o.version, e.err()
		}
	}
	version := c.nextVersion(now, known+1)
	key := versionKey(typ, id, version)
	e, err := c.indexOf(ctx, key)
	if err != nil {
		return 0, err
	}
	c.refreshes.Add(1)
	_, end := c.periodOf(typ, id, now)
	o = override{key: key, version: version, until: end}
	c.setOverride(typ+"|"+id, o)
	c.broadcastOverride(ctx, typ, id, o)
	c.log.Info("avatarkit: forced refresh", "type", typ, "id", id, "version", version, "until", end)
	if e.class != classPicture {
		return version, e.err()
	}
	return version, nil
}

// overrideNotice is an override as the peer protocol carries it.
type overrideNotice struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	Until   int64  `json:"until"` // Unix seconds
}

// Paths of the peer endpoint's own requests, after BasePath. Group names end in a suffix of
// groupSuffixes, so they can never be one of these.
const (
	overridePath  = "_override"
	overridesPath = "_overrides"
)

// broadcastRetries is how many more times a node that did not take a notice is tried.
const broadcastRetries = 3

// broadcastOverride tells every other node of an override: at once (each within PeerTimeout),
// then, in the background, the ones that failed, every few seconds a few times.
func (c *Cache) broadcastOverride(ctx context.Context, typ, id string, o override) {
	if c.self == "" {
		return
	}
	body, _ := json.Marshal(overrideNotice{Type: typ, ID: id, Version: o.version, Until: o.until.Unix()})
	ctx = context.WithoutCancel(ctx) // the caller going away does not stop the telling
	var failed []string
	var mu sync.Mutex
	c.eachOtherNode(func(p string) {
		if err := c.sendOverride(ctx, p, body); err != nil {
			c.log.Warn("avatarkit: a node did not take a forced refresh; trying again", "peer", p, "err", err)
			mu.Lock()
			failed = append(failed, p)
			mu.Unlock()
		}
	})
	if len(failed) == 0 {
		return
	}
	c.background(func(ctx context.Context) {
		for range broadcastRetries {
			if !sleepCtx(ctx, c.peerRetry) {
				return
			}
			var still []string
			for _, p := range failed {
				if err := c.sendOverride(ctx, p, body); err != nil {
					still = append(still, p)
				}
			}
			if failed = still; len(failed) == 0 {
				return
			}
		}
		c.log.Warn("avatarkit: nodes never took a forced refresh: they serve the old picture to unversioned URLs until its period ends",
			"peers", failed, "type", typ, "id", id)
	})
}

func (c *Cache) sendOverride(ctx context.Context, peer string, body []byte) error {
	res, err := c.peerRequest(ctx, http.MethodPost, peer, overridePath, body)
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}

// alonePoll is how often a node that knows no other node yet looks at its peer list again, to
// ask the peers it gets for their overrides.
const alonePoll = 100 * time.Millisecond

// overrideSync is how often a node asks its peers for the forced refreshes they hold, besides
// being told of each one: a node that could not be told (unreachable for longer than the
// broadcast's retries) serves a forced refresh within this time of being reachable again.
const overrideSync = time.Minute

// pullOverrides asks the other nodes for the overrides they hold, so that a node that starts
// after a forced refresh serves it too, and then every overrideSync, so that a node that missed a
// notice catches up. At start it asks every other node, since any one of them may have missed a
// notice or have started a moment ago itself (setOverride keeps the newest of each avatar), and
// tries again a few times while none answers; a node that knows no other node yet (its discovery
// has not answered, or the app calls SetPeers later) waits for some, for as long as the retries
// would last.
func (c *Cache) pullOverrides(ctx context.Context) {
	c.pullOverridesAtStart(ctx)
	close(c.startPulled)
	for sleepCtx(ctx, overrideSync) {
		c.pullOnce(ctx)
	}
}

// pullOverridesAtStart is the first part of pullOverrides.
func (c *Cache) pullOverridesAtStart(ctx context.Context) {
	var patience time.Time
	for len(c.ring.Load().peers) < 2 {
		if patience.IsZero() {
			patience = time.Now().Add(broadcastRetries * c.peerRetry)
		}
		if time.Now().After(patience) || !sleepCtx(ctx, alonePoll) {
			return
		}
	}
	for attempt := range broadcastRetries + 1 {
		if attempt > 0 && !sleepCtx(ctx, c.peerRetry) {
			return
		}
		if c.pullOnce(ctx) > 0 {
			return
		}
	}
}

// eachOtherNode calls f for every other node of the cluster as this node sees it, all at once,
// and returns when every call has.
func (c *Cache) eachOtherNode(f func(peer string)) {
	var wg sync.WaitGroup
	for _, p := range c.ring.Load().peers {
		if p != c.self {
			wg.Go(func() { f(p) })
		}
	}
	wg.Wait()
}

// pullOnce asks every other node for its overrides at once, and returns how many answered.
func (c *Cache) pullOnce(ctx context.Context) int64 {
	var answered, learnt atomic.Int64
	c.eachOtherNode(func(p string) {
		n, err := c.pullOverridesFrom(ctx, p)
		if err != nil {
			c.log.Debug("avatarkit: could not ask a peer for its forced refreshes", "peer", p, "err", err)
			return
		}
		answered.Add(1)
		learnt.Add(int64(n))
	})
	if n := learnt.Load(); n > 0 {
		c.log.Info("avatarkit: forced refreshes learnt from peers", "peers", answered.Load(), "overrides", n)
	}
	return answered.Load()
}

func (c *Cache) pullOverridesFrom(ctx context.Context, peer string) (int, error) {
	res, err := c.peerRequest(ctx, http.MethodGet, peer, overridesPath, nil)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var list []overrideNotice
	if err := json.NewDecoder(io.LimitReader(res.Body, 16<<20)).Decode(&list); err != nil {
		return 0, fmt.Errorf("cache: peer %s: malformed overrides: %w", peer, err)
	}
	n := 0
	for _, o := range list {
		if isNew, err := c.takeOverride(o); err == nil && isNew {
			n++
		}
	}
	return n, nil
}

// takeOverride validates an override a peer sends and records it; it reports whether it was new.
func (c *Cache) takeOverride(n overrideNotice) (bool, error) {
	key := versionKey(n.Type, n.ID, n.Version)
	if _, err := c.parseAvatarKey(key); err != nil {
		return false, err
	}
	until := time.Unix(n.Until, 0)
	_, end := c.periodOf(n.Type, n.ID, c.now())
	if until.After(end.Add(c.period)) {
		return false, fmt.Errorf("cache: override of %s|%s lasts beyond its next period", n.Type, n.ID)
	}
	if !c.now().Before(until) {
		return false, nil // over already
	}
	return c.setOverride(n.Type+"|"+n.ID, override{key: key, version: n.Version, until: until}), nil
}

// overrideList returns the forced refreshes this node holds, still in force.
func (c *Cache) overrideList() []overrideNotice {
	now := c.now()
	c.ovMu.Lock()
	defer c.ovMu.Unlock()
	list := make([]overrideNotice, 0, len(c.overrides))
	for _, o := range c.overrides {
		if o.version == 0 || !now.Before(o.until) {
			continue
		}
		if k, err := c.parseAvatarKey(o.key); err == nil {
			list = append(list, overrideNotice{Type: k.typ, ID: k.id, Version: o.version, Until: o.until.Unix()})
		}
	}
	return list
}

// peerRequest sends one of the peer endpoint's own requests (not a load) and returns the 200
// response, within PeerTimeout.
func (c *Cache) peerRequest(ctx context.Context, method, peer, path string, body []byte) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.peerTimeout)
	full := c.basePath + path
	req, err := http.NewRequestWithContext(ctx, method, peer+full, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, err
	}
	c.authorize(req, full, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.transport.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("cache: peer %s: %w", peer, err)
	}
	if res.StatusCode != http.StatusOK {
		io.CopyN(io.Discard, res.Body, 4<<10)
		res.Body.Close()
		cancel()
		return nil, fmt.Errorf("cache: peer %s answered %d: %s", peer, res.StatusCode, res.Header.Get(errorHeader))
	}
	res.Body = cancelOnClose{res.Body, cancel}
	return res, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// background runs f in a goroutine that Close cancels and waits for.
func (c *Cache) background(f func(ctx context.Context)) {
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		f(c.closeCtx)
	}()
}

// sleepCtx sleeps for d, or until ctx is done; it reports whether it slept all of d.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// isNoPicture reports whether an entry says the network has no picture for the avatar, which a
// default picture (d_) stands in for.
func (e entry) isNoPicture() bool {
	if e.class != classFetchError {
		return false
	}
	k := fetch.Kind(e.kind)
	return k == fetch.KindNotFound || k == fetch.KindNoPicture
}

// isTransient reports whether err is a failure that may go away (and a stale picture may stand
// in for), rather than a fact about the user or a refusal of the request: an answer that is not
// an image, or is over the limits, may be passing too.
func isTransient(err error) bool {
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return !isFact(fe.Kind) && fe.Kind != fetch.KindBadID && fe.Kind != fetch.KindGone && fe.Kind != fetch.KindNotConfigured
	}
	return !errors.Is(err, context.Canceled)
}
