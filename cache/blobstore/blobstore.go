// Package blobstore is a durable store of avatarkit's originals (a cache.Store) in a bucket of
// gocloud.dev/blob: a local directory, Amazon S3 (or any S3-compatible service), Google Cloud
// Storage, Azure Blob Storage, or memory (for tests). A fleet of nodes shares one bucket, so that
// a node started again, or a new node, serves what the fleet fetched without asking the
// networks again; see cache.Config.Store.
//
// This package imports no cloud SDK. The program that opens a bucket by URL imports the driver of
// its scheme for its side effect, as gocloud.dev documents:
//
//	import (
//		_ "gocloud.dev/blob/fileblob"  // file:// and directory paths
//		_ "gocloud.dev/blob/s3blob"    // s3://bucket?region=eu-west-1
//		_ "gocloud.dev/blob/gcsblob"   // gs://bucket
//		_ "gocloud.dev/blob/azureblob" // azblob://container
//		_ "gocloud.dev/blob/memblob"   // mem://
//	)
//
// Each original is one object, written whole (a reader never sees half of one):
//
//	"AVKO" 0x01                          magic and the version of this layout
//	uint32, big-endian: n                the length of the metadata
//	n bytes                              cache.OriginalMeta as JSON
//	the rest                             the picture as the network served it (none for a fact)
//
// The cache checks every object it reads (its cluster, avatar and key, size, SHA-256 and type) and
// ignores one that fails; the store only checks the framing and the size.
package blobstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/avatarkit/avatarkit/cache"
)

// ContentType is the content type of the objects written.
const ContentType = "application/x-avatarkit-original"

// Layout of an object.
const (
	magic         = "AVKO"
	layoutVersion = 1
	headerSize    = len(magic) + 1 + 4
	maxMetaBytes  = 64 << 10
)

// Store keeps originals in a bucket. It is safe for concurrent use.
type Store struct {
	b   *blob.Bucket
	own bool // Close closes b
}

var _ cache.Store = (*Store)(nil)

// New returns a Store on b. Closing the Store does not close b.
func New(b *blob.Bucket) *Store { return &Store{b: b} }

// Open opens the bucket that where names and returns a Store on it, which Close closes:
//
//   - a directory path ("/var/lib/avatarkit", "./store"), created when missing;
//   - a file:// URL ("file:///var/lib/avatarkit"), as gocloud.dev's fileblob reads it;
//   - any other bucket URL whose driver the program imports: "s3://bucket?region=eu-west-1",
//     "gs://bucket", "azblob://container", "mem://". A "prefix" parameter keeps the objects under
//     a prefix ("s3://bucket?prefix=avatarkit/").
func Open(ctx context.Context, where string) (*Store, error) {
	if where == "" {
		return nil, errors.New("blobstore: no bucket URL or directory given")
	}
	u := where
	if !strings.Contains(where, "://") {
		abs, err := filepath.Abs(where)
		if err != nil {
			return nil, fmt.Errorf("blobstore: directory %q: %w", where, err)
		}
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return nil, fmt.Errorf("blobstore: directory %q: %w", where, err)
		}
		// No sidecar files of attributes: nothing is read from them.
		u = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "metadata=skip"}).String()
	}
	b, err := blob.OpenBucket(ctx, u)
	if err != nil {
		// gocloud's message quotes the URL, whose query may hold a credential.
		return nil, fmt.Errorf("blobstore: opening %s: %s", redact(where), strings.ReplaceAll(err.Error(), u, redact(u)))
	}
	return &Store{b: b, own: true}, nil
}

// redact drops the query of a URL (where credentials may travel) for messages.
func redact(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i] + "?…"
	}
	return s
}

// Close closes the bucket when Open opened it.
func (s *Store) Close() error {
	if s.own {
		return s.b.Close()
	}
	return nil
}

// Bucket returns the bucket the Store uses.
func (s *Store) Bucket() *blob.Bucket { return s.b }

// Get implements cache.Store: it reads the object of key, no more than its framing, metadata
// and maxBytes of picture.
func (s *Store) Get(ctx context.Context, key string, maxBytes int64) (*cache.StoredOriginal, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, cache.ErrNotStored
		}
		return nil, err
	}
	defer r.Close()
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", cache.ErrStoredCorrupt, key, fmt.Sprintf(format, args...))
	}
	size := r.Size()
	if size < int64(headerSize) {
		return nil, corrupt("%d bytes, too short", size)
	}
	if size > int64(headerSize)+maxMetaBytes+maxBytes {
		return nil, corrupt("%d bytes, beyond the source limit of %d", size, maxBytes)
	}
	var head [headerSize]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, readErr(key, err)
	}
	if string(head[:len(magic)]) != magic || head[len(magic)] != layoutVersion {
		return nil, corrupt("not an original of layout %d", layoutVersion)
	}
	n := int64(binary.BigEndian.Uint32(head[len(magic)+1:]))
	if n > maxMetaBytes || int64(headerSize)+n > size {
		return nil, corrupt("metadata of %d bytes", n)
	}
	meta := make([]byte, n)
	if _, err := io.ReadFull(r, meta); err != nil {
		return nil, readErr(key, err)
	}
	o := &cache.StoredOriginal{}
	if err := json.Unmarshal(meta, &o.Meta); err != nil {
		return nil, corrupt("metadata: %v", err)
	}
	body := size - int64(headerSize) - n
	if body > maxBytes {
		return nil, corrupt("%d bytes of picture, beyond the source limit of %d", body, maxBytes)
	}
	if body > 0 {
		o.Bytes = make([]byte, body)
		if _, err := io.ReadFull(r, o.Bytes); err != nil {
			return nil, readErr(key, err)
		}
	}
	return o, nil
}

// readErr is a failure while reading an object that was there: cut short is corrupt (it changed
// under us, or lies about its size); anything else is the store's.
func readErr(key string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w %s: cut short", cache.ErrStoredCorrupt, key)
	}
	return err
}

// Encode returns the object that Put writes for o.
func Encode(o *cache.StoredOriginal) ([]byte, error) {
	meta, err := json.Marshal(o.Meta)
	if err != nil {
		return nil, err
	}
	if len(meta) > maxMetaBytes {
		return nil, fmt.Errorf("blobstore: metadata of %d bytes", len(meta))
	}
	var buf bytes.Buffer
	buf.Grow(headerSize + len(meta) + len(o.Bytes))
	buf.WriteString(magic)
	buf.WriteByte(layoutVersion)
	binary.Write(&buf, binary.BigEndian, uint32(len(meta))) //nolint:errcheck // a bytes.Buffer takes anything
	buf.Write(meta)
	buf.Write(o.Bytes)
	return buf.Bytes(), nil
}

// Put implements cache.Store: it writes the object of key whole, replacing the one there.
func (s *Store) Put(ctx context.Context, key string, o *cache.StoredOriginal) error {
	b, err := Encode(o)
	if err != nil {
		return err
	}
	return s.b.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: ContentType})
}

// Delete implements cache.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.b.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return err
}

// List implements cache.Store.
func (s *Store) List(ctx context.Context, prefix string, fn func(cache.StoredObject) error) error {
	it := s.b.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if obj.IsDir {
			continue
		}
		if err := fn(cache.StoredObject{Key: obj.Key, ModTime: obj.ModTime, Size: obj.Size}); err != nil {
			return err
		}
	}
}

// Ping implements cache.Store: it asks the bucket whether it is accessible.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.b.IsAccessible(ctx)
	switch {
	case err != nil:
		return err
	case !ok:
		return errors.New("blobstore: the bucket does not exist or is not accessible")
	}
	return nil
}
