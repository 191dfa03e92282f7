package blobstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// The store through real buckets, opened by URL as a program opens S3, GCS or Azure: mem:// and
// file:// take the same path (blob.OpenBucket, the driver registered by its blank import).

// buckets returns the bucket URLs each test runs against: memory, a file:// URL, a plain
// directory path.
func buckets(t *testing.T) map[string]string {
	return map[string]string{
		"mem":       "mem://",
		"file URL":  "file://" + filepath.ToSlash(t.TempDir()) + "?metadata=skip",
		"directory": filepath.Join(t.TempDir(), "not", "there", "yet"),
	}
}

func jpegOf(t testing.TB, w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{c.R, uint8(x * 255 / w), uint8(y * 255 / h), 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, nil))
	return buf.Bytes()
}

func original(pic []byte) *cache.StoredOriginal {
	sum := sha256.Sum256(pic)
	return &cache.StoredOriginal{Meta: cache.OriginalMeta{V: cache.MetaVersion, Cluster: "c", Type: "facebook", ID: "1",
		Key: "facebook|1|e42", Fetched: time.Unix(1700000000, 0).UTC(), Outcome: cache.OutcomePicture, ContentType: "image/jpeg",
		Size: int64(len(pic)), SHA256: hex.EncodeToString(sum[:]), Validator: "abc"}, Bytes: pic}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, u := range buckets(t) {
		t.Run(name, func(t *testing.T) {
			s, err := blobstore.Open(ctx, u)
			require.NoError(t, err)
			defer s.Close()
			require.NoError(t, s.Ping(ctx))

			_, err = s.Get(ctx, "originals/v1/c/facebook/1", 1<<20)
			assert.ErrorIs(t, err, cache.ErrNotStored)

			o := original(jpegOf(t, 40, 30, color.RGBA{R: 200}))
			require.NoError(t, s.Put(ctx, "originals/v1/c/facebook/1", o))
			got, err := s.Get(ctx, "originals/v1/c/facebook/1", 1<<20)
			require.NoError(t, err)
			assert.Equal(t, o.Meta, got.Meta)
			assert.Equal(t, o.Bytes, got.Bytes)

			fact := &cache.StoredOriginal{Meta: cache.OriginalMeta{V: 1, Cluster: "c", Type: "facebook", ID: "2", Key: "facebook|2|e42",
				Outcome: cache.OutcomeNotFound, Provider: "facebook", Message: "no such user"}}
			require.NoError(t, s.Put(ctx, "originals/v1/c/facebook/2", fact))
			got, err = s.Get(ctx, "originals/v1/c/facebook/2", 1<<20)
			require.NoError(t, err)
			assert.Equal(t, fact.Meta, got.Meta)
			assert.Empty(t, got.Bytes)

			_, err = s.Get(ctx, "originals/v1/c/facebook/1", int64(len(o.Bytes))-1)
			assert.ErrorIs(t, err, cache.ErrStoredCorrupt, "beyond the limit: not read")

			var keys []string
			require.NoError(t, s.List(ctx, "originals/v1/c/", func(obj cache.StoredObject) error {
				keys = append(keys, obj.Key)
				assert.WithinDuration(t, time.Now(), obj.ModTime, time.Minute)
				assert.Positive(t, obj.Size)
				return nil
			}))
			assert.ElementsMatch(t, []string{"originals/v1/c/facebook/1", "originals/v1/c/facebook/2"}, keys)

			require.NoError(t, s.Delete(ctx, "originals/v1/c/facebook/1"))
			require.NoError(t, s.Delete(ctx, "originals/v1/c/facebook/1"), "deleting nothing is fine")
			_, err = s.Get(ctx, "originals/v1/c/facebook/1", 1<<20)
			assert.ErrorIs(t, err, cache.ErrNotStored)
		})
	}
}

// Objects that are not originals, or are cut short, are corrupt: the cache ignores them.
func TestCorruptObjects(t *testing.T) {
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, "mem://")
	require.NoError(t, err)
	s := blobstore.New(b)
	good, err := blobstore.Encode(original(jpegOf(t, 16, 16, color.RGBA{G: 90})))
	require.NoError(t, err)
	for name, obj := range map[string][]byte{
		"empty":            {},
		"short":            []byte("AVKO"),
		"foreign":          []byte("GIF89a............................"),
		"layout 2":         append([]byte("AVKO\x02"), good[5:]...),
		"huge metadata":    append([]byte("AVKO\x01\x7f\xff\xff\xff"), good[9:]...),
		"metadata too big": append([]byte("AVKO\x01\x00\x00\xff\xff"), good[9:]...),
		"not JSON":         []byte("AVKO\x01\x00\x00\x00\x03{{{"),
	} {
		require.NoError(t, b.WriteAll(ctx, name, obj, nil))
		_, err := s.Get(ctx, name, 1<<20)
		assert.ErrorIs(t, err, cache.ErrStoredCorrupt, name)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	_, err := blobstore.Open(ctx, "")
	assert.Error(t, err)
	_, err = blobstore.Open(ctx, "nosuch://bucket?secret=x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret=x", "the query is not in the message")

	// A prefix keeps the objects under it.
	dir := t.TempDir()
	s, err := blobstore.Open(ctx, "file://"+filepath.ToSlash(dir)+"?prefix=fleet/&metadata=skip")
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Put(ctx, "originals/v1/c/x/1", original(jpegOf(t, 8, 8, color.RGBA{B: 9}))))
	_, err = os.Stat(filepath.Join(dir, "fleet", "originals", "v1", "c", "x", "1"))
	assert.NoError(t, err)
}

// A cache on a bucket: a node started again with the same bucket (here a directory and memory)
// serves what the first fetched from the fake networks without a call, through the same code as a
// bucket of S3 would take.
func TestRestartThroughABucket(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches and transforms a dozen pictures twice")
	}
	ctx := context.Background()
	fake := fetchtest.NewServer()
	t.Cleanup(fake.Close)
	var users []fetchtest.User
	for _, u := range fetchtest.UsersOf(fetchtest.Facebook) {
		if !u.NoPicture && u.Width <= 600 && len(users) < 6 {
			users = append(users, u)
		}
	}
	require.NotEmpty(t, users)
	for name, u := range buckets(t) {
		t.Run(name, func(t *testing.T) {
			fake.ResetCounts()
			s, err := blobstore.Open(ctx, u)
			require.NoError(t, err)
			defer s.Close()
			cname := "blobrestart" + strings.ReplaceAll(name, " ", "")
			etags := map[string]string{}
			for life := range 2 {
				c := newCache(t, fake, cname, s)
				for _, u := range append(users, fetchtest.User{ID: fetchtest.MissingFacebookID}) {
					v, err := c.Get(ctx, cache.Request{Type: "facebook", ID: u.ID, Transformation: "c_fill,h_32,w_32"})
					if u.ID == fetchtest.MissingFacebookID {
						assert.ErrorIs(t, err, fetch.ErrNotFound)
						continue
					}
					require.NoError(t, err)
					if life == 0 {
						etags[u.ID] = v.ETag
					} else {
						assert.Equal(t, etags[u.ID], v.ETag)
					}
				}
				st := c.Stats()
				require.NoError(t, c.Close())
				if life == 0 {
					assert.EqualValues(t, len(users)+1, st.OriginFetches)
					assert.EqualValues(t, len(users)+1, c.Stats().Store.Writes)
					continue
				}
				assert.Zero(t, st.OriginFetches, "no call to the network after the restart")
				assert.EqualValues(t, len(users)+1, st.Store.Hits)
				assert.Zero(t, st.Store.Corrupt)
			}
			assert.Equal(t, len(users)+1, fake.Count(fetchtest.FacebookLookup))
		})
	}
}

var seq atomic.Int64

func providers(t testing.TB, fake *fetchtest.Server) map[string]fetch.Provider {
	t.Helper()
	ps, err := fetch.NewProviders(fetch.Config{FacebookURL: fake.FacebookURL(), FacebookToken: fetchtest.FacebookToken,
		XURL: fake.XURL(), XToken: fetchtest.XToken, GravatarURL: fake.GravatarURL()})
	require.NoError(t, err)
	return ps
}

func newCache(t testing.TB, fake *fetchtest.Server, name string, s cache.Store) *cache.Cache {
	t.Helper()
	ps := providers(t, fake)
	c, err := cache.New(cache.Config{Name: name, LocalName: fmt.Sprintf("%s#%d", name, seq.Add(1)), Providers: ps, Store: s})
	require.NoError(t, err)
	return c
}
