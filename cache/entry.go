package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"

	"github.com/golang/groupcache"

	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/imageops"
)

// An entry is one value of either group: a picture (an original, or an encoded variant), or a
// permanent outcome that is not a picture ("no such user", "not an image", "crop outside the image").
// Permanent outcomes are values, never Getter errors: groupcache caches values only, and a peer's
// error makes the asking node load the key itself.
//
// Layout, big-endian:
//
//	[0]     magic 0xA7
//	[1]     class: classPicture, classFetchError or classImageError
//	[2]     picture: imageops.Format; fetch error: fetch.Kind; image error: imageops.ErrorKind
//	[3]     flags (flagDefault)
//	[4:12]  load time, Unix seconds
//	[12:14] n, length of meta
//	[14:14+n] meta: picture: the quoted strong ETag; fetch error: the message;
//	          image error: param + "\x00" + message
//	[14+n:] body (pictures only)
//
// An original whose provider gave a validator (fetch.Picture.Validator: Graph's cache_key, X's
// picture URL) has flagValidator, and its body ends with the validator and the validator's
// length (2 bytes, big-endian): a refresh asks the network whether the picture is still that one
// before it downloads it (revalidate.go). The picture's own bytes come first, so that a node that
// does not know the flag reads a picture with a few bytes after its end, which decoders ignore.
const (
	entryMagic      = 0xA7
	entryHeaderSize = 14

	classPicture    = 1
	classFetchError = 2
	classImageError = 3

	flagDefault   = 1 << 0
	flagValidator = 1 << 1
)

// encodePicture returns the entry of a picture.
func encodePicture(f imageops.Format, isDefault bool, stamp int64, etag string, body []byte) []byte {
	var flags byte
	if isDefault {
		flags |= flagDefault
	}
	return encodeEntry(classPicture, byte(f), flags, stamp, etag, body)
}

// encodeOriginal returns the entry of an original picture: encodePicture, with the validator
// its provider gave ("" for none).
func encodeOriginal(f imageops.Format, isDefault bool, stamp int64, hash, validator string, body []byte) []byte {
	if validator == "" || len(validator) > fetch.MaxValidatorLen {
		return encodePicture(f, isDefault, stamp, hash, body)
	}
	flags := byte(flagValidator)
	if isDefault {
		flags |= flagDefault
	}
	b := encodeEntry(classPicture, byte(f), flags, stamp, hash, body)
	b = append(b, validator...)
	return binary.BigEndian.AppendUint16(b, uint16(len(validator)))
}

// encodeError returns the entry of an outcome that is a fact: a *fetch.Error that states
// something about the user (isFact), or an *imageops.Error (a fact about a picture's content,
// which names it). Other errors may pass and are not encoded.
func encodeError(err error, stamp int64) ([]byte, bool) {
	var fe *fetch.Error
	if errors.As(err, &fe) && isFact(fe.Kind) {
		return encodeEntry(classFetchError, byte(fe.Kind), 0, stamp, truncateMeta(fe.Error()), nil), true
	}
	var ie *imageops.Error
	if errors.As(err, &ie) {
		return encodeEntry(classImageError, byte(ie.Kind), 0, stamp, truncateMeta(ie.Param+"\x00"+ie.Msg), nil), true
	}
	return nil, false
}

// isFact reports whether a network's answer of kind k is a fact about the user, remembered like a
// picture: "no such user", "no picture". Anything else the network gave — a page that is not an
// image, a file over the limits, a body cut short, a 5xx — may be passing, and is asked again
// after a back-off.
func isFact(k fetch.Kind) bool { return k == fetch.KindNotFound || k == fetch.KindNoPicture }

func truncateMeta(s string) string {
	const max = 1 << 12
	if len(s) > max {
		return s[:max]
	}
	return s
}

func encodeEntry(class, kind, flags byte, stamp int64, meta string, body []byte) []byte {
	b := make([]byte, entryHeaderSize+len(meta)+len(body))
	b[0], b[1], b[2], b[3] = entryMagic, class, kind, flags
	binary.BigEndian.PutUint64(b[4:12], uint64(stamp))
	binary.BigEndian.PutUint16(b[12:14], uint16(len(meta)))
	copy(b[entryHeaderSize:], meta)
	copy(b[entryHeaderSize+len(meta):], body)
	return b
}

// setOwned sets dest to b without copying it: b becomes the value and must never be changed
// again. Every value this package makes is written once, so it is handed over as it is, as a
// string, which groupcache keeps without the copy SetBytes makes.
func setOwned(dest groupcache.Sink, b []byte) error {
	return dest.SetString(unsafe.String(unsafe.SliceData(b), len(b)))
}

// viewBytes returns the bytes of v without copying them, whether v holds a string (every value
// this node made: setOwned) or a byte slice (a value a peer sent). The result must only be read.
func viewBytes(v groupcache.ByteView) []byte {
	bv := (*byteViewLayout)(unsafe.Pointer(&v))
	if bv.b != nil {
		return bv.b
	}
	return unsafe.Slice(unsafe.StringData(bv.s), len(bv.s))
}

// byteViewLayout mirrors groupcache.ByteView (a byte slice or a string, whichever is set), whose fields
// are unexported: ByteView offers its bytes only as a copy (ByteSlice) or a string (String copies
// a byte slice), and a hit must copy nothing. TestByteViewLayout checks the mirror against the
// version of groupcache in go.mod.
type byteViewLayout struct {
	b []byte
	s string
}

// entry is a decoded view of an encoded entry. It copies nothing but the small meta and
// validator strings.
type entry struct {
	class, kind, flags byte
	stamp              int64
	meta               string
	body               groupcache.ByteView
	validator          string // an original's (flagValidator), "" when none
}

var errCorrupt = errors.New("cache: corrupt entry")

func decodeEntry(v groupcache.ByteView) (entry, error) {
	if v.Len() < entryHeaderSize || v.At(0) != entryMagic {
		return entry{}, errCorrupt
	}
	var hdr [entryHeaderSize]byte
	v.Slice(0, entryHeaderSize).Copy(hdr[:])
	n := int(binary.BigEndian.Uint16(hdr[12:14]))
	if v.Len() < entryHeaderSize+n {
		return entry{}, errCorrupt
	}
	e := entry{
		class: hdr[1],
		kind:  hdr[2],
		flags: hdr[3],
		stamp: int64(binary.BigEndian.Uint64(hdr[4:12])),
		meta:  v.Slice(entryHeaderSize, entryHeaderSize+n).String(),
		body:  v.SliceFrom(entryHeaderSize + n),
	}
	if e.flags&flagValidator != 0 {
		n := e.body.Len()
		if n < 2 {
			return entry{}, errCorrupt
		}
		var l [2]byte
		e.body.Slice(n-2, n).Copy(l[:])
		vl := int(binary.BigEndian.Uint16(l[:]))
		if vl > n-2 {
			return entry{}, errCorrupt
		}
		e.validator = e.body.Slice(n-2-vl, n-2).String()
		e.body = e.body.Slice(0, n-2-vl)
	}
	switch e.class {
	case classPicture, classFetchError, classImageError:
		return e, nil
	}
	return entry{}, errCorrupt
}

// entryHeader returns the class, kind and flags of an encoded entry and the length of its body,
// without copying it; ok is false when b is no entry.
func entryHeader(b []byte) (class, kind, flags byte, bodyLen int, ok bool) {
	if len(b) < entryHeaderSize || b[0] != entryMagic {
		return 0, 0, 0, 0, false
	}
	n := int(binary.BigEndian.Uint16(b[12:14]))
	if len(b) < entryHeaderSize+n {
		return 0, 0, 0, 0, false
	}
	return b[1], b[2], b[3], len(b) - entryHeaderSize - n, true
}

// err returns the outcome an error entry stands for, as the error type its package returns, so
// that callers map it to a status exactly as they would the original error.
func (e entry) err() error {
	switch e.class {
	case classFetchError:
		return &fetch.Error{Kind: fetch.Kind(e.kind), Msg: e.meta}
	case classImageError:
		param, msg, _ := cutNul(e.meta)
		return &imageops.Error{Kind: imageops.ErrorKind(e.kind), Param: param, Msg: msg}
	case classPicture:
		return nil
	}
	return errCorrupt
}

func cutNul(s string) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

// Variant is one transformed picture, ready to be written to a client. It is a view of the cached
// value: nothing is copied until WriteTo writes it.
type Variant struct {
	// ETag is the strong entity tag of the body, quoted: "\"3f2a…\"".
	ETag string
	// Format is the encoded format of the body.
	Format imageops.Format
	// Default reports that the network's picture for the avatar is its generic one (silhouette,
	// default picture).
	Default bool
	// DefaultName, when not "", is the default picture (d_) served in place of the network's:
	// the network had no picture for the avatar, or only its generic one.
	DefaultName string
	// Stale reports that the avatar's refresh failed and this is the last good picture, served
	// for a short while (Expires) until the network answers again.
	Stale bool
	// Expires is when the response stops being fresh: the end of the avatar's refresh period,
	// sooner for a stale or a default picture; zero (immutable) for a versioned request that is
	// neither.
	Expires time.Time
	// Hit reports that the request was answered from this node's memory: nothing was loaded,
	// computed or asked of a peer for it, and it did not wait for another request's load. Get
	// sets it with an error too, when the error is an outcome this node remembered.
	Hit  bool
	body groupcache.ByteView
}

// Len returns the length of the body in bytes.
func (v Variant) Len() int { return v.body.Len() }

// WriteTo writes the body to w, copying nothing (io.Writer implementations must not change the
// slice they are given).
func (v Variant) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(viewBytes(v.body))
	return int64(n), err
}

// Bytes returns a copy of the body.
func (v Variant) Bytes() []byte { return v.body.ByteSlice() }

func (e entry) String() string {
	return fmt.Sprintf("entry{class %d kind %d flags %d meta %q body %d bytes}", e.class, e.kind, e.flags, e.meta, e.body.Len())
}
