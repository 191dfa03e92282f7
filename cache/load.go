package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang/groupcache"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// The four groups and their loaders. Each loader runs on the key's owner, on a context detached
// from the request that started it (with its own timeout), and turns every permanent outcome into
// a value; only transient failures are errors, which groupcache does not cache.
//
//	originals  avatar key -> the picture as the network serves it, with its content hash
//	index      avatar key -> the same entry without the picture: what a request needs to name
//	           the variant (a few dozen bytes, so that a node that does not own the original
//	           does not move it to learn its hash)
//	analyses   source -> the faces and detail of the picture (imageops.Analysis), computed once
//	           for every size of it
//	variants   variant key -> the transformed, encoded picture
//	probation  variant key -> the same, for variants asked for once so far (admission.go)
const (
	groupOriginals = iota
	groupIndex
	groupAnalyses
	groupVariants
	groupProbation
	numGroups
)

var groupSuffixes = [numGroups]string{"-originals", "-index", "-analyses", "-variants", "-probation"}

// Context values that travel with a load, in process and (as headers) to the owner.
type (
	// hintKey carries the avatar key of an original with the content a source h… names.
	hintKey struct{}
	// peekKey marks a load that must not call the network: only what a cache holds is wanted
	// (the last good picture, for stale-if-error).
	peekKey struct{}
)

func withHint(ctx context.Context, avatarKey string) context.Context {
	return context.WithValue(ctx, hintKey{}, avatarKey)
}

func hintOf(ctx context.Context) string {
	s, _ := ctx.Value(hintKey{}).(string)
	return s
}

func withPeek(ctx context.Context) context.Context { return context.WithValue(ctx, peekKey{}, true) }

func isPeek(ctx context.Context) bool { return ctx.Value(peekKey{}) != nil }

// errNotCached answers a peek at a key no cache holds.
var errNotCached = errors.New("cache: not cached, and a peek does not load")

// errContentChanged answers a load of a source whose hint no longer has that content: the
// request raced a refresh; asking again names the new content.
var errContentChanged = errors.New("cache: the avatar's picture changed while it was being served; try again")

func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:contentHashLen/2])
}

// loadOriginal is the originals group's loader: it reads the store, and asks the network when
// the store has nothing for the key.
func (c *Cache) loadOriginal(ctx context.Context, key string, dest groupcache.Sink) (err error) {
	noteLoad(ctx)
	if err := c.groups[groupOriginals].takeOwnerErr(key); err != nil {
		return err
	}
	k, err := c.parseAvatarKey(key)
	if err != nil {
		return err
	}
	peek := isPeek(ctx)
	if !peek {
		if err := c.failures.recent(key, c.now()); err != nil {
			return err // failed moments ago: not asked again before its back-off is over
		}
	}
	ctx, span := c.startSpan(ctx, spanLoad, trace.SpanKindInternal, true, attribute.String(attrType, k.typ), attribute.String(attrKey, key))
	source := "network"
	defer func() { endSpan(span, err, attribute.String(attrSource, source)) }()
	if c.store != nil {
		sctx, sspan := c.startSpan(ctx, spanStoreRead, trace.SpanKindInternal, false)
		b, ok := c.fromStore(sctx, k, key)
		endSpan(sspan, nil, attribute.Bool("avatarkit.found", ok))
		if ok {
			source = "store"
			c.catalog.original(key, b, source, c.now())
			return setOwned(dest, b)
		}
	}
	if peek {
		source = "none"
		return errNotCached
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	mem := &loadMemory{ctx: ctx, b: c.work}
	defer mem.release() // the picture is then in the cache, and counted there
	ctx = fetch.WithMemory(ctx, mem)

	c.originFetches.Add(1)
	start := time.Now()
	pic, err := c.fetchOriginal(ctx, k, key, mem)
	c.noteOrigin(k.typ, pic, err, time.Since(start))
	fetched := c.now()
	stamp := fetched.Unix()
	var busy *BusyError
	if errors.As(err, &busy) {
		// No room to download now: this node's state, not the network's. Not remembered.
		c.log.Debug("avatarkit: origin download shed", "type", k.typ, "id", k.id, "err", busy)
		return busy
	}
	if err == nil {
		if _, ok := formatOfContentType(pic.ContentType); !ok {
			// The provider promised a sniffed image type; anything else is a bug of the provider.
			err = &fetch.Error{Kind: fetch.KindNotImage, Provider: k.typ, Msg: fmt.Sprintf("picture has content type %q", pic.ContentType)}
		}
	}
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			c.log.Debug("avatarkit: origin outcome", "type", k.typ, "id", k.id, "outcome", err.Error(), "took", time.Since(start))
			var fe *fetch.Error
			errors.As(err, &fe)
			c.storeOutcome(k, key, fetched, nil, fe)
			span.SetAttributes(attribute.String(attrOutcome, fe.Kind.String()))
			return setOwned(dest, b)
		}
		wait := c.failures.add(key, err, fetched, c.errorRetry, c.maxErrRetry)
		c.noteRateLimit(k.typ, err)
		c.log.Warn("avatarkit: origin fetch failed", "type", k.typ, "id", k.id, "err", err, "took", time.Since(start), "retry_in", wait)
		return err
	}
	f, _ := formatOfContentType(pic.ContentType)
	c.log.Debug("avatarkit: origin fetched", "type", k.typ, "id", k.id, "bytes", len(pic.Bytes), "took", time.Since(start))
	b := encodeOriginal(f, pic.Default, stamp, contentHash(pic.Bytes), pic.Validator, pic.Bytes)
	c.storeOutcome(k, key, fetched, pic, nil)
	c.catalog.original(key, b, source, fetched)
	span.SetAttributes(attribute.String(attrOutcome, "picture"), attribute.Int(attrBytes, len(pic.Bytes)))
	return setOwned(dest, b)
}

// loadMemory reserves the buffers of one load's downloads from the work budget (fetch.Memory),
// until the load is over.
type loadMemory struct {
	ctx      context.Context
	b        *budget
	mu       sync.Mutex
	releases []func()
}

func (m *loadMemory) Reserve(n int64) error {
	r, err := m.b.acquire(m.ctx, n, 0, false)
	if errors.Is(err, errBudgetTooSmall) {
		return &fetch.Error{Kind: fetch.KindTooLarge, Msg: fmt.Sprintf("picture is larger than this node's work budget of %d MiB can hold while it is downloaded", m.b.capBytes>>20)}
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.releases = append(m.releases, r)
	m.mu.Unlock()
	return nil
}

func (m *loadMemory) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.releases {
		r()
	}
	m.releases = nil
}

func formatOfContentType(ct string) (imageops.Format, bool) {
	switch ct {
	case "image/jpeg":
		return imageops.JPEG, true
	case "image/png":
		return imageops.PNG, true
	case "image/gif":
		return imageops.GIF, true
	case "image/webp":
		return imageops.WebP, true
	}
	return imageops.FormatOriginal, false
}

// loadIndex is the index group's loader: the original's entry without its picture.
func (c *Cache) loadIndex(ctx context.Context, key string, dest groupcache.Sink) error {
	noteLoad(ctx)
	if err := c.groups[groupIndex].takeOwnerErr(key); err != nil {
		return err
	}
	if _, err := c.parseAvatarKey(key); err != nil {
		return err
	}
	var v groupcache.ByteView
	if err := c.originals.Get(ctx, key, groupcache.ByteViewSink(&v)); err != nil {
		return err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return err
	}
	return setOwned(dest, encodeEntry(e.class, e.kind, e.flags&^flagValidator, e.stamp, e.meta, nil))
}

// sourceBytes returns the picture a source names. For an original's content it needs the hint,
// and checks that the hint's picture has that content.
func (c *Cache) sourceBytes(ctx context.Context, s source) ([]byte, error) {
	switch s.kind {
	case 'd':
		return c.defaults[s.name].bytes, nil
	case 'i':
		return imageops.Identicon(s.typ + "|" + s.id), nil
	}
	hint := hintOf(ctx)
	if hint == "" {
		return nil, errors.New("cache: a content source needs the avatar key of an original with that content")
	}
	var v groupcache.ByteView
	if err := c.originals.Get(ctx, hint, groupcache.ByteViewSink(&v)); err != nil {
		return nil, err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return nil, err
	}
	if e.class != classPicture || e.meta != s.hash {
		return nil, errContentChanged
	}
	return viewBytes(e.body), nil
}

// admit reserves room in the work budget for work on src that cost says it takes: first the
// source's own bytes, which the work holds from now on (they may be evicted from the cache
// meanwhile), then a worker slot with the bytes the work allocates. It returns the function that
// gives everything back.
func (c *Cache) admit(ctx context.Context, src []byte, cost imageops.Cost) (func(), error) {
	held := int64(len(src))
	if held+cost.Bytes > c.work.capBytes {
		held = 0 // it could never fit with it: the source is counted by the cache alone
	}
	var releaseSrc func()
	if held > 0 {
		r, err := c.work.acquire(ctx, held, 0, false)
		if err != nil {
			return nil, err
		}
		releaseSrc = r
	}
	release, err := c.work.acquire(ctx, cost.Bytes, cost.CPU, true)
	if err != nil {
		if releaseSrc != nil {
			releaseSrc()
		}
		return nil, err
	}
	return func() {
		release()
		if releaseSrc != nil {
			releaseSrc()
		}
	}, nil
}

// loadAnalysis is the analyses group's loader: it finds the faces and the detail of a source.
func (c *Cache) loadAnalysis(ctx context.Context, key string, dest groupcache.Sink) (err error) {
	noteLoad(ctx)
	if err := c.groups[groupAnalyses].takeOwnerErr(key); err != nil {
		return err
	}
	s, err := c.parseSource(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	src, err := c.sourceBytes(ctx, s)
	if err != nil {
		return err
	}
	stamp := c.now().Unix()
	cost, err := imageops.EstimateAnalysis(src, c.limits)
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			return setOwned(dest, b)
		}
		return err
	}
	ctx, span := c.startSpan(ctx, spanAnalysis, trace.SpanKindInternal, false, attribute.String(attrKey, key))
	defer func() { endSpan(span, err) }()
	waitStart := time.Now()
	release, err := c.admit(ctx, src, cost)
	if err != nil {
		return err
	}
	span.SetAttributes(attribute.Float64(attrWorkWait, time.Since(waitStart).Seconds()))
	c.analyses.Add(1)
	start := time.Now()
	a, err := imageops.Analyze(ctx, src, c.limits)
	release()
	if c.observer != nil {
		c.observer.Analysis(time.Since(start))
	}
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			return setOwned(dest, b)
		}
		return err
	}
	b, err := a.MarshalBinary()
	if err != nil {
		return err
	}
	return setOwned(dest, encodeEntry(classPicture, 0, 0, stamp, "", b))
}

// analysisOf returns the analysis of a source, computed once cluster-wide.
func (c *Cache) analysisOf(ctx context.Context, srcKey string) (*imageops.Analysis, error) {
	var v groupcache.ByteView
	if err := c.analysisGroup.Get(ctx, srcKey, groupcache.ByteViewSink(&v)); err != nil {
		return nil, err
	}
	e, err := decodeEntry(v)
	if err != nil {
		return nil, err
	}
	if e.class != classPicture {
		return nil, e.err()
	}
	a := new(imageops.Analysis)
	if err := a.UnmarshalBinary(viewBytes(e.body)); err != nil {
		return nil, fmt.Errorf("cache: analysis of %s: %w", srcKey, err)
	}
	return a, nil
}

// computeVariant transforms the source a variant key names and encodes the result: the work of
// the variants and the probation groups' loaders.
func (c *Cache) computeVariant(ctx context.Context, key string, dest groupcache.Sink) (err error) {
	v, err := c.parseVariantKey(key)
	if err != nil {
		return err
	}
	ctx, span := c.startSpan(ctx, spanTransform, trace.SpanKindInternal, false,
		attribute.String(attrTransformation, v.chain.String()), attribute.String(attrFormat, v.ext.String()))
	defer func() { endSpan(span, err) }()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	src, err := c.sourceBytes(ctx, v.src)
	if err != nil {
		return err
	}
	opt := imageops.Options{Accept: v.accept}
	stamp := c.now().Unix()
	if v.chain.NeedsAnalysis() {
		if opt.Analysis, err = c.analysisOf(ctx, v.srcKey); err != nil {
			if b, ok := encodeError(err, stamp); ok {
				return setOwned(dest, b)
			}
			return err
		}
	}
	cost, err := imageops.Estimate(src, v.chain, v.ext, c.limits, opt)
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			c.log.Debug("avatarkit: transform refused", "key", key, "err", err)
			return setOwned(dest, b)
		}
		return err
	}
	waitStart := time.Now()
	release, err := c.admit(ctx, src, cost)
	if err != nil {
		return err
	}
	span.SetAttributes(attribute.Float64(attrWorkWait, time.Since(waitStart).Seconds()))
	c.transforms.Add(1)
	start := time.Now()
	out, err := c.transform(ctx, src, v.chain, v.ext, c.limits, opt)
	release()
	if c.observer != nil && err == nil {
		c.observer.Transform(time.Since(start))
	}
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			c.log.Debug("avatarkit: transform refused", "key", key, "err", err)
			return setOwned(dest, b)
		}
		c.log.Warn("avatarkit: transform failed", "key", key, "err", err)
		return err
	}
	c.log.Debug("avatarkit: transformed", "key", key, "bytes", len(out.Bytes), "took", time.Since(start))
	sum := sha256.Sum256(out.Bytes)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	span.SetAttributes(attribute.Int(attrBytes, len(out.Bytes)))
	c.catalog.variant(hintOf(ctx), key, out.Format, len(out.Bytes), "computed", c.now())
	return setOwned(dest, encodePicture(out.Format, false, stamp, etag, out.Bytes))
}
