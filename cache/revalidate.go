package cache

import (
	"context"
	"errors"
	"strconv"

	"github.com/golang/groupcache"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// Revalidation (docs/freshness.md). A refresh asks the network again once per period, but most
// pictures have not changed: when the avatar's provider is a fetch.Revalidator (Graph's
// cache_key, X's picture and banner URLs), the load of a new period's key first finds the
// avatar's last picture that the cache can read without calling the network, and gives its
// provider that picture's validator. When the network's lookup still names that picture, nothing
// is downloaded: the last picture's bytes become the new key's original, fetched now, and are
// stored again under the new key. So a refresh of a picture that has not changed costs one lookup
// and no download.
//
// The last picture is, in this order, the first of these that is a picture with a validator:
//
//  1. the one this node last served for the avatar (its key, in memory on that key's owner);
//  2. the previous period's (in memory on its owner, which also reads the store for it);
//  3. the avatar's entry in the store.
//
// The bytes are read before the network is asked, so a lookup that says "unchanged" never needs a
// second one. A forced refresh (a version key) always downloads: it is for when the cached
// picture is not to be trusted.

// lastPicture is an avatar's last picture, as revalidation found it.
type lastPicture struct {
	from      string // the avatar key it was loaded under
	validator string
	f         imageops.Format
	isDefault bool
	body      []byte
}

// fetchOriginal asks k's provider for the original of key: with the validator of the avatar's
// last picture when the provider is a fetch.Revalidator and key is not a version's, Fetch
// otherwise. mem is the load's share of the work budget: the last picture's bytes are held in it
// while the network is asked. An answer "unchanged" comes back as the last picture, its bytes
// included, with Unchanged still set (for the counts of outcomes).
func (c *Cache) fetchOriginal(ctx context.Context, k avatarKey, key string, mem *loadMemory) (*fetch.Picture, error) {
	rv, ok := k.p.(fetch.Revalidator)
	if !ok || k.version > 0 {
		return k.p.Fetch(ctx, k.id)
	}
	last, ok := c.lastPicture(ctx, k, key, mem)
	if !ok {
		return k.p.Fetch(ctx, k.id)
	}
	pic, err := rv.FetchIfChanged(ctx, k.id, last.validator)
	if err != nil || !pic.Unchanged {
		return pic, err
	}
	if pic.Validator != "" && pic.Validator != last.validator {
		// A provider that answers Unchanged for another picture than the one it was asked about:
		// its answer cannot be trusted.
		c.log.Warn("avatarkit: a provider said a picture is unchanged, naming another; downloading it", "type", k.typ, "id", k.id)
		return k.p.Fetch(ctx, k.id)
	}
	c.unchanged.Add(1)
	c.log.Debug("avatarkit: picture unchanged; no download", "key", key, "from", last.from, "bytes", len(last.body))
	return &fetch.Picture{Bytes: last.body, ContentType: last.f.ContentType(), Default: last.isDefault, Validator: last.validator, Unchanged: true}, nil
}

// lastPicture finds the avatar's last picture with a validator, and its bytes, without calling
// the network: see the comment at the top of this file. It reports false when there is none.
func (c *Cache) lastPicture(ctx context.Context, k avatarKey, key string, mem *loadMemory) (lastPicture, bool) {
	avatar := k.typ + "|" + k.id
	tried := map[string]bool{key: true}
	var keys []string
	if v, ok := c.good.get(avatar); ok {
		keys = append(keys, v.(goodPicture).key)
	}
	if k.period > 0 {
		keys = append(keys, avatar+"|e"+strconv.FormatInt(k.period-1, 10))
	}
	for _, from := range keys {
		if tried[from] {
			continue
		}
		tried[from] = true
		if last, ok := c.peekLast(ctx, from, mem); ok {
			return last, true
		}
	}
	if c.store == nil {
		return lastPicture{}, false
	}
	// The store's entry: the avatar's latest outcome, from any node. Its metadata is what this
	// load's fromStore read moments ago; the bytes are read only when it has a validator.
	var m *OriginalMeta
	if v, ok := c.storePeeks.get(avatar); ok {
		m = v.(storePeek).meta
	}
	if m == nil || m.Outcome != OutcomePicture || m.Validator == "" || tried[m.Key] {
		return lastPicture{}, false
	}
	o, ok, _ := c.storedEntry(ctx, k)
	if !ok || o.Meta.Outcome != OutcomePicture || o.Meta.Validator == "" {
		return lastPicture{}, false
	}
	f, ok := formatOfContentType(o.Meta.ContentType)
	if !ok || mem.Reserve(int64(len(o.Bytes))) != nil {
		return lastPicture{}, false
	}
	return lastPicture{from: o.Meta.Key, validator: o.Meta.Validator, f: f, isDefault: o.Meta.Default, body: o.Bytes}, true
}

// peekLast returns the original of avatar key from, when a cache of the cluster (or, on its
// owner, the store) holds it and it is a picture with a validator.
func (c *Cache) peekLast(ctx context.Context, from string, mem *loadMemory) (lastPicture, bool) {
	var v groupcache.ByteView
	if err := c.originals.Get(withPeek(ctx), from, groupcache.ByteViewSink(&v)); err != nil {
		if !errors.Is(err, errNotCached) {
			c.log.Debug("avatarkit: could not read the last picture to revalidate it", "key", from, "err", err)
		}
		return lastPicture{}, false
	}
	e, err := decodeEntry(v)
	if err != nil || e.class != classPicture || e.validator == "" {
		return lastPicture{}, false
	}
	body := viewBytes(e.body)
	if contentHash(body) != e.meta || mem.Reserve(int64(len(body))) != nil {
		return lastPicture{}, false
	}
	return lastPicture{from: from, validator: e.validator, f: imageops.Format(e.kind), isDefault: e.flags&flagDefault != 0, body: body}, true
}
