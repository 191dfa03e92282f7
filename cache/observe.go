package cache

import (
	"context"
	"errors"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/avatarkit/avatarkit/fetch"
)

// What a cache tells its operators, besides Stats: the durations of its work (Observer), the
// outcomes of its origin calls by provider, the rate limits it knows of, and, for each request,
// whether it was a hit (Variant.Hit).

// Observer receives the durations of the work a cache does, for histograms (package avatarmw's
// Prometheus collector is one). Its methods are called where the work is done, never on a hit;
// they must be quick and safe for concurrent use.
type Observer interface {
	// OriginFetch is told every call to a provider this node made: the delivery type, its
	// outcome (one of OriginOutcomes) and how long it took.
	OriginFetch(provider, outcome string, d time.Duration)
	// Transform is told every variant computed here and how long the transform took (not its wait
	// for room in the work budget).
	Transform(d time.Duration)
	// Analysis is told every face and detail analysis computed here and how long it took.
	Analysis(d time.Duration)
	// PeerRequest is told every ask of another node for a value: its outcome ("ok", "owner_error"
	// when the owner answered with its own load's failure, "error" when the owner could not be
	// asked or failed to answer) and how long it took.
	PeerRequest(outcome string, d time.Duration)
}

// The outcomes of origin calls, indices of OriginOutcomes.
const (
	oPicture = iota
	oDefaultPicture
	oUnchanged
	oNotFound
	oNoPicture
	oBadID
	oGone
	oNotImage
	oTooLarge
	oUpstream
	oTimeout
	oNotConfigured
	oCredentials
	oRateLimited
	oHeldBack
	oShed
	oOther
	numOutcomes
)

// OriginOutcomes lists the outcomes an origin call can have (Observer.OriginFetch,
// Stats.OriginOutcomes), a set of known, bounded size for metrics' labels: "picture" and
// "default_picture" (the network's generic one), "unchanged" (a lookup that found the picture the
// cache held, and downloaded nothing), the network's facts and refusals, its failures,
// "held_back" for a call not made because the network had rate-limited us, "shed" for a download
// this node had no room for, and "other".
var OriginOutcomes = []string{
	oPicture: "picture", oDefaultPicture: "default_picture", oUnchanged: "unchanged",
	oNotFound: "not_found", oNoPicture: "no_picture", oBadID: "bad_id", oGone: "gone",
	oNotImage: "not_image", oTooLarge: "too_large", oUpstream: "upstream_error", oTimeout: "timeout",
	oNotConfigured: "not_configured", oCredentials: "credentials", oRateLimited: "rate_limited",
	oHeldBack: "held_back", oShed: "shed", oOther: "other",
}

// outcomeIndex maps an origin call's result to its index in OriginOutcomes.
func outcomeIndex(pic *fetch.Picture, err error) int {
	if err == nil {
		switch {
		case pic != nil && pic.Unchanged:
			return oUnchanged
		case pic != nil && pic.Default:
			return oDefaultPicture
		}
		return oPicture
	}
	var busy *BusyError
	if errors.As(err, &busy) {
		return oShed
	}
	var fe *fetch.Error
	if !errors.As(err, &fe) {
		return oOther
	}
	switch fe.Kind {
	case fetch.KindNotFound:
		return oNotFound
	case fetch.KindNoPicture:
		return oNoPicture
	case fetch.KindBadID:
		return oBadID
	case fetch.KindGone:
		return oGone
	case fetch.KindNotImage:
		return oNotImage
	case fetch.KindTooLarge:
		return oTooLarge
	case fetch.KindUpstream:
		return oUpstream
	case fetch.KindTimeout:
		return oTimeout
	case fetch.KindNotConfigured:
		return oNotConfigured
	case fetch.KindCredentials:
		return oCredentials
	case fetch.KindRateLimited:
		if fe.HeldBack {
			return oHeldBack
		}
		return oRateLimited
	}
	return oOther
}

// outcomeCounts counts the origin calls of one provider by outcome.
type outcomeCounts [numOutcomes]atomic.Int64

// noteOrigin counts an origin call of typ and tells the Observer; a rate limit is remembered
// for Stats.RateLimitedUntil.
func (c *Cache) noteOrigin(typ string, pic *fetch.Picture, err error, d time.Duration) {
	i := outcomeIndex(pic, err)
	if oc := c.outcomes[typ]; oc != nil {
		oc[i].Add(1)
	}
	if c.observer != nil {
		c.observer.OriginFetch(typ, OriginOutcomes[i], d)
	}
	var fe *fetch.Error
	if errors.As(err, &fe) && fe.Kind == fetch.KindRateLimited && fe.RetryAfter > 0 {
		c.noteLimited(typ, c.now().Add(fe.RetryAfter))
	}
}

// noteLimited records that typ's network holds this node off until until (a rate limit it was
// given, or one a peer told it of), for Stats.RateLimitedUntil.
func (c *Cache) noteLimited(typ string, until time.Time) {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if until.After(c.limited[typ]) {
		c.limited[typ] = until
	}
}

// rateLimitedUntil returns the rate limits not over yet, by delivery type.
func (c *Cache) rateLimitedUntil() map[string]time.Time {
	now := c.now()
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	var m map[string]time.Time
	for typ, until := range c.limited {
		if !until.After(now) {
			delete(c.limited, typ)
			continue
		}
		if m == nil {
			m = map[string]time.Time{}
		}
		m[typ] = until
	}
	return m
}

// Hits. A request is a hit when everything it needed was in this node's memory: no getter ran
// for it, no peer was asked, and it did not wait for another request's load of its variant.
// groupcache does not say whether a Get was served from its cache, so the cache finds out
// itself, at the cost of nothing on a hit: the request's context, which a variant's Get needs
// anyway to carry its hint, notes whether a load ran with it (a getter runs with the context of
// the request that started the load), and a small table remembers, by variant key, the last
// loads that ended, for the requests that waited on another's (groupcache hands them the value
// without calling anything of ours).

// reqCtx is the context of one Get: it carries the hint of the variant being asked for and notes
// whether a load ran for it. The hint is set before each Get of a variant, while no load runs
// with this context.
type reqCtx struct {
	context.Context
	hint   string
	loaded atomic.Bool
}

// reqKey finds a request's reqCtx among its context's values.
type reqKey struct{}

func (r *reqCtx) Value(key any) any {
	switch key.(type) {
	case hintKey:
		if r.hint == "" {
			return r.Context.Value(key)
		}
		return r.hint
	case reqKey:
		return r
	}
	return r.Context.Value(key)
}

// noteLoad marks the request whose context ctx is as a miss: a load runs for it.
func noteLoad(ctx context.Context) {
	if r, ok := ctx.Value(reqKey{}).(*reqCtx); ok {
		r.loaded.Store(true)
	}
}

// loadsTableSize is the number of slots of the table of recent loads.
const loadsTableSize = 256

// recentLoads remembers the last loads that ended, one per slot by the hash of their key: a
// lossy table, read only by requests that saw some load end while they ran.
type recentLoads struct {
	seed  maphash.Seed
	seq   atomic.Uint64 // loads ended
	slots [loadsTableSize]struct{ hash, seq atomic.Uint64 }
}

func newRecentLoads() *recentLoads { return &recentLoads{seed: maphash.MakeSeed()} }

// ended records that a load of key ended.
func (t *recentLoads) ended(key string) {
	h := maphash.String(t.seed, key)
	s := &t.slots[h%loadsTableSize]
	s.seq.Store(t.seq.Add(1))
	s.hash.Store(h)
}

// endedSince reports whether a load of key ended after the table's count was since.
func (t *recentLoads) endedSince(key string, since uint64) bool {
	if t.seq.Load() == since {
		return false // no load at all ended meanwhile: the common case, at the cost of a load
	}
	h := maphash.String(t.seed, key)
	s := &t.slots[h%loadsTableSize]
	return s.seq.Load() > since && s.hash.Load() == h
}
