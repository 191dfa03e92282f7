package cache

import (
	"cmp"
	"container/list"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// The catalog: what a node can tell its operators of the avatars it holds. groupcache cannot list
// what its caches hold, so the node keeps a small index of its own, bounded (catalogAvatars
// avatars, catalogVariants variants each, least recently told first out) and fed where values
// are loaded, never on a hit: the index entry of every avatar the node learns (its outcome, when
// the network answered, under which key), the originals it loads as their owner (their size,
// and whether they came from the network or the store), and the variants it computes or receives
// from their owner. A variant listed may have been evicted from the cache since: the catalog
// says what the node made or received lately, not what its LRU holds this instant.

// Bounds of the catalog.
const (
	catalogAvatars           = 4096
	catalogVariants          = 16
	catalogMaxTransformation = 256 // bytes of a transformation kept; longer ones are cut
)

// AvatarInfo is what a node knows of one avatar (Cache.Avatars, Cache.StoredAvatars).
type AvatarInfo struct {
	// Type and ID name the avatar; ID is canonical.
	Type string `json:"type"`
	ID   string `json:"id"`
	// Key is the avatar key of the outcome this node learnt last: "<type>|<id>|e<period>" (a
	// refresh period), "…|e<period>n<epoch>" (a re-check of a "no such user") or "…|v<version>"
	// (a forced refresh, whose version is Version).
	Key     string `json:"key"`
	Version uint64 `json:"version,omitempty"`
	// Outcome is "picture", "default_picture" (the network's generic one), "not_found" or
	// "no_picture".
	Outcome string `json:"outcome"`
	// Message is a "no such user" or "no picture" as the network said it.
	Message string `json:"message,omitempty"`
	// Fetched is when the network answered.
	Fetched time.Time `json:"fetched"`
	// ContentType is the original's: image/jpeg, image/png, image/gif or image/webp.
	ContentType string `json:"content_type,omitempty"`
	// Bytes is the size of the original, when this node loaded it (it owns the avatar) or read it
	// from the store; 0 when another node did.
	Bytes int64 `json:"bytes,omitempty"`
	// Source is where this node loaded the original from: "network" or "store"; "" when another
	// node loaded it.
	Source string `json:"source,omitempty"`
	// Seen is when this node last learnt something of the avatar; for the store's listing, when
	// the store's object was written.
	Seen time.Time `json:"seen"`
	// Variants are the variants of the current picture this node computed or received lately,
	// the most recent first.
	Variants []VariantInfo `json:"variants,omitempty"`

	content  string // the picture's content hash, which names its variants' source
	bytesKey string // the avatar key Bytes and Source are of
}

// VariantInfo is one variant a node computed or received from its owner.
type VariantInfo struct {
	// Transformation is the canonical transformation ("" for none), cut at 256 bytes.
	Transformation string `json:"transformation"`
	// Format is the variant's format: jpg, png, gif, webp…
	Format string `json:"format"`
	// Bytes is the size of the variant.
	Bytes int `json:"bytes"`
	// Made is when this node computed or received it.
	Made time.Time `json:"made"`
	// Source is "computed" (here) or "peer" (received from its owner).
	Source string `json:"source"`
	// Default reports a variant of a default picture (d_), which stands in for the network's.
	Default bool `json:"default,omitempty"`

	key string // the variant key
	src string // the source key
}

// AvatarQuery selects a page of avatars.
type AvatarQuery struct {
	// Type keeps the avatars of one delivery type; "" keeps all.
	Type string
	// Offset and Limit select the page, in the order of the listing: most recently fetched first.
	// Limit 0 means 50; at most 500.
	Offset, Limit int
}

// Defaults and bounds of AvatarQuery.Limit.
const (
	DefaultAvatarLimit = 50
	MaxAvatarLimit     = 500
)

// AvatarList is one page of avatars.
type AvatarList struct {
	// Total is the number of avatars that match the query (for the store's listing, of those it
	// looked at: see Truncated).
	Total int `json:"total"`
	// Types counts the avatars by type, whatever the query's Type.
	Types map[string]int `json:"types"`
	// Avatars is the page.
	Avatars []AvatarInfo `json:"avatars"`
	// Truncated reports that the store holds more objects than a listing looks at
	// (maxStoreListing): the page is of the ones it did.
	Truncated bool `json:"truncated,omitempty"`
}

type catalog struct {
	mu  sync.Mutex
	max int
	ll  *list.List               // of *AvatarInfo, the most recently told first
	m   map[string]*list.Element // "type|id" -> its element
}

func newCatalog(n int) *catalog {
	return &catalog{max: n, ll: list.New(), m: map[string]*list.Element{}}
}

// record returns the record of an avatar, made when missing, and marks it the most recent.
// Called with mu held.
func (cl *catalog) record(typ, id string) *AvatarInfo {
	k := typ + "|" + id
	if e, ok := cl.m[k]; ok {
		cl.ll.MoveToFront(e)
		return e.Value.(*AvatarInfo)
	}
	a := &AvatarInfo{Type: typ, ID: id}
	cl.m[k] = cl.ll.PushFront(a)
	if cl.ll.Len() > cl.max {
		old := cl.ll.Remove(cl.ll.Back()).(*AvatarInfo)
		delete(cl.m, old.Type+"|"+old.ID)
	}
	return a
}

// splitAvatarKey returns the type, identifier and version of an avatar key, unchecked.
func splitAvatarKey(key string) (typ, id string, version uint64, ok bool) {
	typ, rest, ok1 := strings.Cut(key, "|")
	id, when, ok2 := strings.Cut(rest, "|")
	if !ok1 || !ok2 || when == "" {
		return "", "", 0, false
	}
	if when[0] == 'v' {
		version, _ = parseDigits(when[1:])
	}
	return typ, id, version, true
}

// index records the index entry of an avatar key this node learnt: the avatar's outcome, unless
// the node knows a more recent one.
func (cl *catalog) index(key string, e entry, now time.Time) {
	typ, id, version, ok := splitAvatarKey(key)
	if !ok {
		return
	}
	outcome, msg, ct := "", "", ""
	switch {
	case e.class == classPicture && e.flags&flagDefault != 0:
		outcome, ct = "default_picture", imageops.Format(e.kind).ContentType()
	case e.class == classPicture:
		outcome, ct = "picture", imageops.Format(e.kind).ContentType()
	case e.class == classFetchError && fetch.Kind(e.kind) == fetch.KindNoPicture:
		outcome, msg = OutcomeNoPicture, e.meta
	case e.class == classFetchError:
		outcome, msg = OutcomeNotFound, e.meta
	default:
		return
	}
	fetched := time.Unix(e.stamp, 0)
	cl.mu.Lock()
	defer cl.mu.Unlock()
	a := cl.record(typ, id)
	a.Seen = now
	if fetched.Before(a.Fetched) {
		return
	}
	if a.bytesKey != key {
		a.Bytes, a.Source = 0, "" // known again when this node loads it
	}
	a.Key, a.Version, a.Outcome, a.Message, a.ContentType, a.Fetched = key, version, outcome, msg, ct, fetched
	if e.class == classPicture {
		a.content = e.meta
	}
}

// original records the original of an avatar key this node loaded, an encoded entry, and where
// from.
func (cl *catalog) original(key string, b []byte, source string, now time.Time) {
	typ, id, _, ok := splitAvatarKey(key)
	if !ok {
		return
	}
	class, _, _, n, ok := entryHeader(b)
	if !ok || class != classPicture {
		return
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	a := cl.record(typ, id)
	a.Seen = now
	if a.Key == "" || a.Key == key {
		a.Bytes, a.Source, a.bytesKey = int64(n), source, key
	}
}

// variant records a variant of the avatar whose key is hint: its variant key, format and size,
// and where it came from.
func (cl *catalog) variant(hint, key string, f imageops.Format, size int, source string, now time.Time) {
	typ, id, _, ok := splitAvatarKey(hint)
	if !ok {
		return
	}
	parts := strings.SplitN(key, "|", 4)
	if len(parts) != 4 {
		return
	}
	tr := parts[1]
	if len(tr) > catalogMaxTransformation {
		tr = strings.ToValidUTF8(tr[:catalogMaxTransformation], "") + "…"
	}
	vi := VariantInfo{Transformation: tr, Format: f.String(), Bytes: size, Made: now, Source: source,
		Default: parts[0] != "" && parts[0][0] != 'h', key: key, src: parts[0]}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	a := cl.record(typ, id)
	a.Seen = now
	a.Variants = slices.DeleteFunc(a.Variants, func(v VariantInfo) bool { return v.key == key })
	if len(a.Variants) >= catalogVariants {
		a.Variants = a.Variants[1:]
	}
	a.Variants = append(a.Variants, vi)
}

// list returns copies of the records, with the variants of their current picture.
func (cl *catalog) list() []AvatarInfo {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	out := make([]AvatarInfo, 0, cl.ll.Len())
	for e := cl.ll.Front(); e != nil; e = e.Next() {
		out = append(out, e.Value.(*AvatarInfo).snapshot())
	}
	return out
}

// snapshot returns a copy of a, with the variants of its current picture only, the most recent
// first.
func (a *AvatarInfo) snapshot() AvatarInfo {
	cp := *a
	cp.Variants = nil
	for i := len(a.Variants) - 1; i >= 0; i-- {
		v := a.Variants[i]
		if strings.HasPrefix(v.src, "h") && v.src != contentSource(a.content) {
			continue // a variant of an earlier picture
		}
		cp.Variants = append(cp.Variants, v)
	}
	return cp
}

// Avatars returns a page of the avatars this node knows of (see the catalog above), most
// recently fetched first.
func (c *Cache) Avatars(q AvatarQuery) AvatarList {
	return page(c.catalog.list(), q)
}

// page sorts, counts and cuts a listing.
func page(all []AvatarInfo, q AvatarQuery) AvatarList {
	q = q.withDefaults()
	l := AvatarList{Types: map[string]int{}, Avatars: []AvatarInfo{}}
	kept := all[:0]
	for _, a := range all {
		l.Types[a.Type]++
		if q.Type == "" || a.Type == q.Type {
			kept = append(kept, a)
		}
	}
	slices.SortFunc(kept, func(a, b AvatarInfo) int {
		return cmp.Or(b.Fetched.Compare(a.Fetched), cmp.Compare(a.Type, b.Type), cmp.Compare(a.ID, b.ID))
	})
	l.Total = len(kept)
	if q.Offset < len(kept) {
		l.Avatars = append(l.Avatars, kept[q.Offset:min(len(kept), q.Offset+q.Limit)]...)
	}
	return l
}

func (q AvatarQuery) withDefaults() AvatarQuery {
	switch {
	case q.Limit <= 0:
		q.Limit = DefaultAvatarLimit
	case q.Limit > MaxAvatarLimit:
		q.Limit = MaxAvatarLimit
	}
	q.Offset = max(q.Offset, 0)
	return q
}

// maxStoreListing bounds the objects of the store a listing looks at.
const maxStoreListing = 10000

// storeListReaders is the number of entries of a page read from the store at once.
const storeListReaders = 4

// ErrNoStore is what StoredAvatars returns for a cache without a store.
var ErrNoStore = errors.New("cache: no store is configured")

// StoredAvatars returns a page of the avatars the durable store holds for this cache's cluster,
// most recently written first, with what this node knows of their variants. It lists at most
// 10,000 of the store's objects (AvatarList.Truncated says when there are more) and reads the
// entries of the page (their metadata; the pictures come along with it).
func (c *Cache) StoredAvatars(ctx context.Context, q AvatarQuery) (AvatarList, error) {
	if c.store == nil {
		return AvatarList{}, ErrNoStore
	}
	q = q.withDefaults()
	prefix := c.storePrefix()
	errEnough := errors.New("enough")
	var objs []StoredObject
	err := c.store.s.List(ctx, prefix, func(o StoredObject) error {
		if len(objs) >= maxStoreListing {
			return errEnough
		}
		objs = append(objs, o)
		return nil
	})
	l := AvatarList{Types: map[string]int{}, Avatars: []AvatarInfo{}, Truncated: errors.Is(err, errEnough)}
	if err != nil && !l.Truncated {
		return AvatarList{}, fmt.Errorf("cache: listing the store: %w", err)
	}
	type found struct {
		typ, id string
		obj     StoredObject
	}
	var kept []found
	for _, o := range objs {
		typ, id, ok := parseStoreKey(strings.TrimPrefix(o.Key, prefix))
		if !ok {
			continue
		}
		l.Types[typ]++
		if q.Type == "" || typ == q.Type {
			kept = append(kept, found{typ, id, o})
		}
	}
	slices.SortFunc(kept, func(a, b found) int {
		return cmp.Or(b.obj.ModTime.Compare(a.obj.ModTime), cmp.Compare(a.typ, b.typ), cmp.Compare(a.id, b.id))
	})
	l.Total = len(kept)
	if q.Offset >= len(kept) {
		return l, nil
	}
	kept = kept[q.Offset:min(len(kept), q.Offset+q.Limit)]
	known := map[string]AvatarInfo{}
	for _, a := range c.catalog.list() {
		known[a.Type+"|"+a.ID] = a
	}
	l.Avatars = make([]AvatarInfo, len(kept))
	maxBytes := c.limits.WithDefaults().MaxSourceBytes
	var wg sync.WaitGroup
	sem := make(chan struct{}, storeListReaders)
	for i, f := range kept {
		a := AvatarInfo{Type: f.typ, ID: f.id, Seen: f.obj.ModTime, Source: "store", Bytes: f.obj.Size}
		if k, ok := known[f.typ+"|"+f.id]; ok {
			a.Variants = k.Variants
		}
		l.Avatars[i] = a
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rctx, cancel := context.WithTimeout(ctx, c.store.readTimeout)
			defer cancel()
			o, err := c.store.s.Get(rctx, f.obj.Key, maxBytes)
			if err != nil {
				l.Avatars[i].Outcome = "unreadable"
				l.Avatars[i].Message = oneLine(err.Error())
				return
			}
			m := &o.Meta
			a := &l.Avatars[i]
			a.Key, a.Version, a.Outcome, a.Fetched, a.ContentType = m.Key, m.Version, m.Outcome, m.Fetched, m.ContentType
			if m.Default {
				a.Outcome = "default_picture"
			}
			if m.Outcome == OutcomePicture {
				a.Bytes = m.Size
			} else {
				a.Message, a.Bytes = m.Message, 0
			}
		})
	}
	wg.Wait()
	return l, nil
}

// parseStoreKey returns the type and identifier of a store key, after the cache's prefix.
func parseStoreKey(rest string) (typ, id string, ok bool) {
	typ, id, ok = strings.Cut(rest, "/")
	if !ok || typ == "" || id == "" || strings.Contains(id, "/") {
		return "", "", false
	}
	if hexID, isHex := strings.CutPrefix(id, "~"); isHex {
		b, err := hex.DecodeString(hexID)
		if err != nil {
			return "", "", false
		}
		id = string(b)
	}
	return typ, id, true
}
