package cache

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// Key layout. Keys are self-describing: a getter rebuilds, and validates again, everything it
// needs from the key alone (and, for content, from its hint; see below), so that a peer can never
// make a node load what the public URL would refuse.
//
// An avatar at a time, the key of the originals and the index groups:
//
//	<type>|<id>|e<period>              the refresh period the avatar is in
//	<type>|<id>|e<period>n<epoch>      a re-check of a "no such user" in that period
//	<type>|<id>|v<version>             a version (a forced refresh, or a URL's v<version>)
//
// A source, the content a variant is made from, and the key of the analyses group:
//
//	h<32 hex digits>                   an original's content (its SHA-256, truncated)
//	d<name>.<16 hex digits>            a configured default image and its content
//	i<type>:<id>                       the built-in identicon of an avatar
//
// A variant: "<source>|<canonical transformation>|<extension>|<accept>", where <accept> is empty
// unless the transformation ends in f_auto: then it lists the acceptable formats, "a", "w", "p",
// "j" and "g" in that order (avif, webp, png, jpg, gif), or "*" when the request did not say:
// at most 32 variants of one f_auto transformation, whatever the Accept headers.
//
// A variant of an original's content (source h…) does not say which avatar it is: every avatar
// key whose picture has that content gives the same variants, so a refresh that finds the same
// picture computes nothing again. Its loader needs the original's bytes, so the request carries,
// besides the key, a hint: the avatar key of an original with that content (contentHint), which
// travels to the owner in the peer protocol, is validated there like a key, and is checked
// against the content before it is used.

// periodOf returns the number of the refresh period an avatar is in at now, and when it ends.
// Each avatar's periods are shifted by a jitter in [0, period) derived from its identity.
func (c *Cache) periodOf(typ, id string, now time.Time) (int64, time.Time) {
	p := int64(c.period)
	n := (now.UnixNano() + jitter(typ, id, p)) / p
	return n, time.Unix(0, (n+1)*p-jitter(typ, id, p))
}

// periodStart returns when period n of an avatar begins (the refresh time of period n-1).
func (c *Cache) periodStart(typ, id string, n int64) time.Time {
	p := int64(c.period)
	return time.Unix(0, n*p-jitter(typ, id, p))
}

// recheckEpoch returns the number of the NegativeTTL epoch an avatar is in at now: a "no such
// user" is asked again once per epoch. Epochs are shifted per avatar like periods.
func (c *Cache) recheckEpoch(typ, id string, now time.Time) int64 {
	p := int64(c.negativeTTL)
	return (now.UnixNano() + jitter(typ, id, p)) / p
}

// recheckStart returns when re-check epoch n of an avatar begins.
func (c *Cache) recheckStart(typ, id string, n int64) time.Time {
	p := int64(c.negativeTTL)
	return time.Unix(0, n*p-jitter(typ, id, p))
}

func jitter(typ, id string, p int64) int64 {
	h := fnv.New64a()
	h.Write([]byte(typ))
	h.Write([]byte{'|'})
	h.Write([]byte(id))
	return int64(h.Sum64() % uint64(p))
}

// periodKey returns the key of an avatar in the refresh period it is in at now, and when that
// period ends.
func (c *Cache) periodKey(typ, id string, now time.Time) (string, time.Time) {
	n, end := c.periodOf(typ, id, now)
	return typ + "|" + id + "|e" + strconv.FormatInt(n, 10), end
}

// recheckKey returns the key that asks the network again about an avatar whose key in period
// key said "no such user" or "no picture".
func (c *Cache) recheckKey(periodKey, typ, id string, now time.Time) string {
	return periodKey + "n" + strconv.FormatInt(c.recheckEpoch(typ, id, now), 10)
}

func versionKey(typ, id string, version uint64) string {
	return typ + "|" + id + "|v" + strconv.FormatUint(version, 10)
}

// avatarKey is an avatar key, parsed.
type avatarKey struct {
	typ, id  string
	p        fetch.Provider
	version  uint64 // v<version>; 0 for a period key
	period   int64  // e<period>
	recheck  int64  // n<epoch>; -1 when none
	hasCheck bool
}

// parseAvatarKey splits and validates an avatar key: well-formed, of a known type, with the
// identifier in its canonical form. It does not look at the time (validateAvatarKey does).
func (c *Cache) parseAvatarKey(key string) (avatarKey, error) {
	bad := func(why string) (avatarKey, error) {
		return avatarKey{}, fmt.Errorf("cache: malformed avatar key %q: %s", key, why)
	}
	parts := strings.Split(key, "|")
	if len(parts) != 3 || len(parts[2]) < 2 {
		return bad("want <type>|<id>|e<period> or <type>|<id>|v<version>")
	}
	k := avatarKey{typ: parts[0], id: parts[1]}
	when := parts[2]
	switch when[0] {
	case 'v':
		v, ok := parseDigits(when[1:])
		if !ok || v == 0 {
			return bad("bad version")
		}
		k.version = v
	case 'e':
		per, rest, _ := strings.Cut(when[1:], "n")
		n, ok := parseDigits(per)
		if !ok {
			return bad("bad period")
		}
		k.period = int64(n)
		if strings.Contains(when, "n") {
			j, ok := parseDigits(rest)
			if !ok {
				return bad("bad re-check epoch")
			}
			k.recheck, k.hasCheck = int64(j), true
		}
	default:
		return bad("want e<period> or v<version>")
	}
	p, ok := c.providers[k.typ]
	if !ok {
		return avatarKey{}, fmt.Errorf("cache: key %q: unknown type", key)
	}
	canon, err := p.CheckID(k.id)
	if err != nil {
		return avatarKey{}, err
	}
	if canon != k.id {
		return avatarKey{}, fmt.Errorf("cache: key %q: identifier is not canonical", key)
	}
	k.p = p
	return k, nil
}

// parseDigits parses a decimal uint64 without sign or leading zeros.
func parseDigits(s string) (uint64, bool) {
	if s == "" || len(s) > 20 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// validateAvatarKey checks an avatar key a peer sends: parseAvatarKey, and, for a period key, a
// period (and re-check epoch) a node could be using now — nothing the public URL could not have
// asked for:
//
//   - the current period, or a neighbour for clocks a little apart; or an older one whose
//     picture may still be served stale (it ended at most StaleIfError ago): a node asks for the
//     last good picture's variants, with its key as their hint, while refreshes fail;
//   - a re-check epoch from the first of the key's period to the current one (or the next, for
//     clocks apart): a re-check that found a picture is the avatar's key until its period ends.
func (c *Cache) validateAvatarKey(key string) error {
	k, err := c.parseAvatarKey(key)
	if err != nil || k.version > 0 {
		return err
	}
	now := c.now()
	cur, _ := c.periodOf(k.typ, k.id, now)
	// Clocks of peers are at most PeerAuthWindow apart, or they would not be talking: with a
	// short period that is more than one period.
	oldest, _ := c.periodOf(k.typ, k.id, now.Add(-c.authWindow))
	newest, _ := c.periodOf(k.typ, k.id, now.Add(c.authWindow))
	oldest, newest = min(oldest, cur-1), max(newest, cur+1)
	if c.staleIfError > 0 {
		n, _ := c.periodOf(k.typ, k.id, now.Add(-c.staleIfError-c.authWindow))
		oldest = min(oldest, n)
	}
	if k.period < oldest || k.period > newest {
		return fmt.Errorf("cache: key %q: period %d is not the current one (%d)", key, k.period, cur)
	}
	if k.hasCheck {
		first := c.recheckEpoch(k.typ, k.id, c.periodStart(k.typ, k.id, k.period))
		last := max(c.recheckEpoch(k.typ, k.id, now)+1, c.recheckEpoch(k.typ, k.id, now.Add(c.authWindow)))
		if e := c.recheckEpoch(k.typ, k.id, now); k.recheck < first || k.recheck > last {
			return fmt.Errorf("cache: key %q: re-check epoch %d is not one of its period up to the current one (%d)", key, k.recheck, e)
		}
	}
	return nil
}

// Sources.

const (
	contentHashLen = 32 // hex digits of an original's content hash
	defaultHashLen = 16 // hex digits of a default image's content hash
)

func contentSource(hash string) string { return "h" + hash }

func identiconSource(typ, id string) string { return "i" + typ + ":" + id }

// source is a parsed source key.
type source struct {
	kind byte   // 'h', 'd' or 'i'
	hash string // h: the content hash; d: the default image's content hash
	name string // d: the default image's name
	typ  string // i
	id   string // i
}

// parseSource splits and validates a source key.
func (c *Cache) parseSource(s string) (source, error) {
	bad := func(why string) (source, error) {
		return source{}, fmt.Errorf("cache: malformed source %q: %s", s, why)
	}
	if s == "" {
		return bad("empty")
	}
	switch s[0] {
	case 'h':
		if !isLowerHex(s[1:], contentHashLen) {
			return bad("want h<32 hex digits>")
		}
		return source{kind: 'h', hash: s[1:]}, nil
	case 'd':
		name, hash, ok := strings.Cut(s[1:], ".")
		d, known := c.defaults[name]
		switch {
		case !ok || !isLowerHex(hash, defaultHashLen):
			return bad("want d<name>.<16 hex digits>")
		case !known:
			return bad("no default image of that name here (is Defaults the same on every node?)")
		case d.hash != hash:
			return bad("the default image of that name has other content here (is Defaults the same on every node?)")
		}
		return source{kind: 'd', name: name, hash: hash}, nil
	case 'i':
		typ, id, ok := strings.Cut(s[1:], ":")
		if !ok {
			return bad("want i<type>:<id>")
		}
		if _, err := c.parseAvatarKey(typ + "|" + id + "|v1"); err != nil {
			return source{}, err
		}
		return source{kind: 'i', typ: typ, id: id}, nil
	}
	return bad("unknown kind")
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// Variants.

// acceptLetters are the formats of a variant key's <accept> field, in their order.
var acceptLetters = [...]struct {
	letter byte
	format imageops.Format
}{{'a', imageops.AVIF}, {'w', imageops.WebP}, {'p', imageops.PNG}, {'j', imageops.JPEG}, {'g', imageops.GIF}}

// acceptField returns the <accept> field of a variant key: "" without f_auto, else the formats
// of accept in canonical order, or "*" for none.
func acceptField(auto bool, accept []imageops.Format) string {
	if !auto {
		return ""
	}
	var b []byte
	for _, l := range acceptLetters {
		for _, f := range accept {
			if f == l.format {
				b = append(b, l.letter)
				break
			}
		}
	}
	if len(b) == 0 {
		return "*"
	}
	return string(b)
}

// parseAccept reads an <accept> field back: the formats in canonical order (nil for "*").
func parseAccept(s string) ([]imageops.Format, bool) {
	if s == "*" {
		return nil, true
	}
	var out []imageops.Format
	i := 0
	for _, l := range acceptLetters {
		if i < len(s) && s[i] == l.letter {
			out = append(out, l.format)
			i++
		}
	}
	return out, i == len(s) && len(s) > 0
}

func variantKey(src, transformation string, ext imageops.Format, accept string) string {
	return src + "|" + transformation + "|" + ext.String() + "|" + accept
}

// variant is a parsed variant key.
type variant struct {
	src    source
	srcKey string
	chain  imageops.Chain
	ext    imageops.Format
	auto   bool
	accept []imageops.Format
}

// parseVariantKey splits and validates a variant key: its source, its transformation (which must
// be canonical, expanded and within the limits), its extension and its accept field (present
// exactly when the transformation ends in f_auto).
func (c *Cache) parseVariantKey(key string) (variant, error) {
	parts := strings.Split(key, "|")
	if len(parts) != 4 {
		return variant{}, fmt.Errorf("cache: malformed variant key %q", key)
	}
	src, err := c.parseSource(parts[0])
	if err != nil {
		return variant{}, err
	}
	v := variant{src: src, srcKey: parts[0]}
	if parts[2] != "" {
		if v.ext, err = imageops.ParseFormat(parts[2]); err != nil {
			return variant{}, err
		}
		if v.ext.String() != parts[2] {
			return variant{}, fmt.Errorf("cache: key %q: extension is not canonical", key)
		}
	}
	if tr := parts[1]; tr != "" {
		if v.chain, err = imageops.ParseChain(strings.Split(tr, "/")); err != nil {
			return variant{}, err
		}
		if v.chain.String() != tr {
			return variant{}, fmt.Errorf("cache: key %q: transformation is not canonical", key)
		}
		if err := v.chain.Check(c.limits); err != nil {
			return variant{}, err
		}
		for _, s := range v.chain.Steps {
			if s.Named != "" || s.Default != "" {
				return variant{}, fmt.Errorf("cache: key %q: a variant's transformation has no t_ or d_", key)
			}
		}
		if w, d := v.chain.UsesHints(); w || d {
			return variant{}, fmt.Errorf("cache: key %q: a variant's transformation has its client hints resolved (no w_auto, dpr_auto)", key)
		}
	}
	v.auto = v.chain.FormatAuto()
	switch {
	case v.auto:
		var ok bool
		if v.accept, ok = parseAccept(parts[3]); !ok {
			return variant{}, fmt.Errorf("cache: key %q: malformed accept field", key)
		}
	case parts[3] != "":
		return variant{}, fmt.Errorf("cache: key %q: an accept field without f_auto", key)
	}
	return v, nil
}

// validateSource checks a source a peer sends (the key of the analyses group).
func (c *Cache) validateSource(key string) error {
	_, err := c.parseSource(key)
	return err
}

// validateVariantKey checks a variant key a peer sends.
func (c *Cache) validateVariantKey(key string) error {
	_, err := c.parseVariantKey(key)
	return err
}
