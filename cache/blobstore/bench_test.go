package blobstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/avatarkit/avatarkit/cache"
	"github.com/avatarkit/avatarkit/cache/blobstore"
	"github.com/avatarkit/avatarkit/fetch/fetchtest"
)

// BenchmarkColdRequest measures a cold request — a node that has just started, asked for an
// avatar at c_fill,w_64,h_64 — served from the network (the fake Graph API and image host on
// loopback: a lookup and a download), or from a store (a directory, memory). Each iteration is a
// new cache (a restarted node); its creation is not timed. "network+slow_store_write" is the
// network with a store whose every write takes 200 ms: the answer does not wait for it (it would
// take 200 ms at least if it did).
func BenchmarkColdRequest(b *testing.B) {
	fake := fetchtest.NewServer()
	b.Cleanup(fake.Close)
	var users []fetchtest.User
	for _, u := range fetchtest.UsersOf(fetchtest.Facebook) {
		if !u.NoPicture && u.Width >= 400 && u.Width <= 1024 && len(users) < 8 {
			users = append(users, u)
		}
	}
	ctx := context.Background()
	dir, err := blobstore.Open(ctx, filepath.Join(b.TempDir(), "store"))
	if err != nil {
		b.Fatal(err)
	}
	mem := blobstore.New(memblob.OpenBucket(nil))
	const name = "benchcold"
	for _, s := range []cache.Store{dir, mem} { // fill the stores, as a first life would
		c := newCache(b, fake, name, s)
		for _, u := range users {
			if _, err := c.Get(ctx, cache.Request{Type: "facebook", ID: u.ID}); err != nil {
				b.Fatal(err)
			}
		}
		c.Close()
	}
	for _, bc := range []struct {
		name  string
		store cache.Store
	}{
		{"network", nil},
		{"network+slow_store_write", missStore{slowPuts{mem, 200 * time.Millisecond}}},
		{"store_dir", dir},
		{"store_mem", mem},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var fetches, hits int64
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				c := newCache(b, fake, name, bc.store)
				u := users[i%len(users)]
				b.StartTimer()
				if _, err := c.Get(ctx, cache.Request{Type: "facebook", ID: u.ID, Transformation: "c_fill,h_64,w_64"}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s := c.Stats()
				fetches, hits = fetches+s.OriginFetches, hits+s.Store.Hits
				c.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(fetches)/float64(b.N), "fetches/op")
			b.ReportMetric(float64(hits)/float64(b.N), "store_hits/op")
		})
	}
}

// missStore finds nothing, so that every request goes to the network and every original is
// written.
type missStore struct{ cache.Store }

func (missStore) Get(context.Context, string, int64) (*cache.StoredOriginal, error) {
	return nil, cache.ErrNotStored
}

// slowPuts makes every write take d.
type slowPuts struct {
	cache.Store
	d time.Duration
}

func (s slowPuts) Put(ctx context.Context, key string, o *cache.StoredOriginal) error {
	time.Sleep(s.d)
	return s.Store.Put(ctx, key, o)
}

// BenchmarkOriginal isolates what a cold request pays for its original: a fetch from the network
// (the fake Graph API and image host on loopback: a lookup and a 1024 px download) or a read of
// the stored original (a directory, memory), checks not included.
func BenchmarkOriginal(b *testing.B) {
	fake := fetchtest.NewServer()
	b.Cleanup(fake.Close)
	var u fetchtest.User
	for _, cand := range fetchtest.UsersOf(fetchtest.Facebook) {
		if !cand.NoPicture && cand.Width >= 400 {
			u = cand
			break
		}
	}
	ctx := context.Background()
	dir, err := blobstore.Open(ctx, filepath.Join(b.TempDir(), "store"))
	if err != nil {
		b.Fatal(err)
	}
	mem := blobstore.New(memblob.OpenBucket(nil))
	const name = "benchoriginal"
	for _, s := range []cache.Store{dir, mem} {
		c := newCache(b, fake, name, s)
		if _, err := c.Get(ctx, cache.Request{Type: "facebook", ID: u.ID}); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	key := "originals/v1/" + name + "/facebook/" + u.ID
	ps := providers(b, fake)
	b.Run("network_fetch", func(b *testing.B) {
		for b.Loop() {
			if _, err := ps["facebook"].Fetch(ctx, u.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct {
		name string
		s    cache.Store
	}{{"store_dir_get", dir}, {"store_mem_get", mem}} {
		b.Run(bc.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				o, err := bc.s.Get(ctx, key, 16<<20)
				if err != nil {
					b.Fatal(err)
				}
				n = len(o.Bytes)
			}
			b.SetBytes(int64(n))
		})
	}
}
