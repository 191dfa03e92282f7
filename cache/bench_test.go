package cache

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/avatarkit/avatarkit/imageops"
)

// BenchmarkColdStampede measures a stampede: 64 concurrent requests for one cold avatar (a 256²
// JPEG, filled to 64²), which must cost one origin fetch and one transform. It reports those
// counts per stampede next to the time, so a regression in coalescing shows as a number above 1.
// Each stampede's avatar has a picture of its own (variants are shared by equal pictures).
func BenchmarkColdStampede(b *testing.B) {
	c, p := newTestCache(b, Config{CacheBytes: 1 << 30})
	pic := testJPEG(b, 256, 256, red, blue)
	chain := mustChain(b, "c_fill,h_64,w_64")
	const callers = 64
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := "u" + strconv.Itoa(i)
		p.set(id, withComment(pic, id), nil)
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Get(context.Background(), Request{Type: "fake", ID: id, Transformation: chain, Format: imageops.JPEG}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	s := c.Stats()
	b.ReportMetric(float64(s.OriginFetches)/float64(b.N), "fetches/stampede")
	b.ReportMetric(float64(s.Transforms)/float64(b.N), "transforms/stampede")
}

// withComment returns the JPEG pic with a comment segment holding s: other bytes, the same pixels.
func withComment(pic []byte, s string) []byte {
	out := make([]byte, 0, len(pic)+4+len(s))
	out = append(out, pic[:2]...) // SOI
	out = append(out, 0xFF, 0xFE, byte((len(s)+2)>>8), byte(len(s)+2))
	out = append(out, s...)
	return append(out, pic[2:]...)
}

// BenchmarkPeerHop compares a cache hit served locally with one served through a peer hop: a
// node asks the owner of a variant (a 64² JPEG, ~700 bytes) for it, over HTTP on loopback, with
// the request signed and checked and the key validated again.
//
// groupcache keeps a tenth of what a node gets from peers in its hot cache, after which the node
// serves the key itself; so in "hop" the asking node is given a cache too small to keep anything
// (CacheBytes 2) and every Get is a real hop. "hop_hotcache" is the same with a normal cache on
// the asking node: the average over b.N falls to nearly a local hit once the value is hot there.
// "hop" reports its ratio to "local" as hop/local.
func BenchmarkPeerHop(b *testing.B) {
	tc := newTestCluster(b, 3, Config{}, func(i int, cfg *Config) {
		if i == 0 {
			cfg.CacheBytes = 2
		}
	})
	asker, owner, hotAsker := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	r := Request{Type: "fake", Transformation: mustChain(b, "c_fill,h_64,w_64"), Format: imageops.JPEG}
	for i := 0; ; i++ {
		r.ID = "bench" + strconv.Itoa(i)
		tc.set(r.ID, userJPEG(b, r.ID, 256, 256), nil)
		if okey, vkey := keys(owner.c, r); ownerOf(owner.c, okey) == owner.url && ownerOf(owner.c, vkey) == owner.url {
			break
		}
	}
	v, err := owner.c.Get(context.Background(), r)
	if err != nil {
		b.Fatal(err)
	}
	size := v.Len()

	var local time.Duration
	get := func(b *testing.B, c *Cache) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			if _, err := c.Get(context.Background(), r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("local", func(b *testing.B) {
		get(b, owner.c)
		local = b.Elapsed() / time.Duration(b.N)
	})
	b.Run("hop", func(b *testing.B) {
		// The first Get also learns the avatar's index entry from its owner; this node keeps it.
		if _, err := asker.c.Get(context.Background(), r); err != nil {
			b.Fatal(err)
		}
		before := asker.c.Stats().PeerLoads
		get(b, asker.c)
		if hops := asker.c.Stats().PeerLoads - before; hops != int64(b.N) {
			b.Fatalf("%d hops for %d Gets", hops, b.N)
		}
		if local > 0 {
			b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(local), "hop/local")
		}
	})
	b.Run("hop_hotcache", func(b *testing.B) {
		get(b, hotAsker.c)
	})
}
