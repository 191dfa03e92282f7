package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang/groupcache"

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
const (
	groupOriginals = iota
	groupIndex
	groupAnalyses
	groupVariants
	numGroups
)

var groupSuffixes = [numGroups]string{"-originals", "-index", "-analyses", "-variants"}

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
func (c *Cache) loadOriginal(ctx context.Context, key string, dest groupcache.Sink) error {
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
	if b, ok := c.fromStore(ctx, k, key); ok {
		return dest.SetBytes(b)
	}
	if peek {
		return errNotCached
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()

	c.originFetches.Add(1)
	start := time.Now()
	pic, err := k.p.Fetch(ctx, k.id)
	fetched := c.now()
	stamp := fetched.Unix()
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
			return dest.SetBytes(b)
		}
		wait := c.failures.add(key, err, fetched, c.errorRetry, c.maxErrRetry)
		c.noteRateLimit(k.typ, err)
		c.log.Warn("avatarkit: origin fetch failed", "type", k.typ, "id", k.id, "err", err, "took", time.Since(start), "retry_in", wait)
		return err
	}
	f, _ := formatOfContentType(pic.ContentType)
	c.log.Debug("avatarkit: origin fetched", "type", k.typ, "id", k.id, "bytes", len(pic.Bytes), "took", time.Since(start))
	b := encodePicture(f, pic.Default, stamp, contentHash(pic.Bytes), pic.Bytes)
	c.storeOutcome(k, key, fetched, pic, nil)
	return dest.SetBytes(b)
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
	return dest.SetBytes(encodeEntry(e.class, e.kind, e.flags, e.stamp, e.meta, nil))
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
	return e.body.ByteSlice(), nil
}

// acquire takes a transform slot, or fails when ctx ends first.
func (c *Cache) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cache: waiting for a transform slot: %w", ctx.Err())
	}
}

func (c *Cache) release() { <-c.sem }

// loadAnalysis is the analyses group's loader: it finds the faces and the detail of a source.
func (c *Cache) loadAnalysis(ctx context.Context, key string, dest groupcache.Sink) error {
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
	if err := c.acquire(ctx); err != nil {
		return err
	}
	c.analyses.Add(1)
	a, err := imageops.Analyze(ctx, src, c.limits)
	c.release()
	stamp := c.now().Unix()
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			return dest.SetBytes(b)
		}
		return err
	}
	b, err := a.MarshalBinary()
	if err != nil {
		return err
	}
	return dest.SetBytes(encodeEntry(classPicture, 0, 0, stamp, "", b))
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
	if err := a.UnmarshalBinary(e.body.ByteSlice()); err != nil {
		return nil, fmt.Errorf("cache: analysis of %s: %w", srcKey, err)
	}
	return a, nil
}

// loadVariant is the variants group's loader: it transforms the source and encodes the result.
func (c *Cache) loadVariant(ctx context.Context, key string, dest groupcache.Sink) error {
	if err := c.groups[groupVariants].takeOwnerErr(key); err != nil {
		return err
	}
	v, err := c.parseVariantKey(key)
	if err != nil {
		return err
	}
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
				return dest.SetBytes(b)
			}
			return err
		}
	}
	if err := c.acquire(ctx); err != nil {
		return err
	}
	c.transforms.Add(1)
	start := time.Now()
	out, err := c.transform(ctx, src, v.chain, v.ext, c.limits, opt)
	c.release()
	if err != nil {
		if b, ok := encodeError(err, stamp); ok {
			c.log.Debug("avatarkit: transform refused", "key", key, "err", err)
			return dest.SetBytes(b)
		}
		c.log.Warn("avatarkit: transform failed", "key", key, "err", err)
		return err
	}
	c.log.Debug("avatarkit: transformed", "key", key, "bytes", len(out.Bytes), "took", time.Since(start))
	sum := sha256.Sum256(out.Bytes)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return dest.SetBytes(encodePicture(out.Format, false, stamp, etag, out.Bytes))
}
