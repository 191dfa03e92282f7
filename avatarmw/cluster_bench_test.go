package avatarmw

import (
	"net/http"
	"testing"
)

// BenchmarkClusterHit compares, over real loopback HTTP and through the whole handler, a cache
// hit served by the node that owns the variant ("local") with the same hit asked of another
// node, which fetches it from the owner's peer endpoint on every request ("hop": that node's
// cache is too small to keep a copy, as groupcache keeps a tenth of what it gets from peers in
// its hot cache), and with a node with an ordinary cache ("hop_hotcache", which soon serves the
// value itself). "hop" checks that every request misses the asking node's cache and that the
// avatar's index entry is memoized there: only the variant travels. Concurrent misses share one
// hop; hops/op says how many requests paid for one.
func BenchmarkClusterHit(b *testing.B) {
	fake := clusterFake(b)
	nodes := newCluster(b, 3, newClusterName(), fake, func(i int, c *Config) {
		if i == 0 {
			c.CacheBytes = 2
		}
	})
	client := clusterClient(b)

	// An avatar whose variant node 0 does not own: its transform happens on node 1 or 2.
	var path string
	var size int64
	var owner *clusterNode
	for _, p := range clusterPaths(b) {
		before := make([]int64, len(nodes))
		for i, nd := range nodes {
			before[i] = nd.h.Stats().Transforms
		}
		code, _, n, _, err := clusterGet(client, nodes[0].url+p)
		if err != nil || code != http.StatusOK {
			b.Fatal(code, err)
		}
		for i, nd := range nodes[1:] {
			if nd.h.Stats().Transforms > before[i+1] {
				path, size, owner = p, n, nd
			}
		}
		if owner != nil {
			break
		}
	}
	if owner == nil {
		b.Fatal("node 0 owns every variant")
	}
	var other *clusterNode // the third node, with an ordinary cache
	for _, nd := range nodes[1:] {
		if nd != owner {
			other = nd
		}
	}

	run := func(b *testing.B, nd *clusterNode) {
		u := nd.url + path
		b.SetBytes(size)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				code, _, _, _, err := clusterGet(client, u)
				if err != nil || code != http.StatusOK {
					b.Error(code, err)
					return
				}
			}
		})
	}
	b.Run("local", func(b *testing.B) { run(b, owner) })
	b.Run("hop", func(b *testing.B) {
		before := nodes[0].h.Stats()
		run(b, nodes[0])
		after := nodes[0].h.Stats()
		// Concurrent requests share one peer load (single flight), so there are at most b.N hops;
		// but every request missed node 0's cache, and none asked for the index entry again.
		if misses := after.Variants.Loads - before.Variants.Loads; misses != int64(b.N) {
			b.Fatalf("%d of %d requests missed node 0's cache", misses, b.N)
		}
		if gets := after.Index.Gets - before.Index.Gets; gets != 0 {
			b.Fatalf("%d index lookups for %d requests: the index entry is not memoized", gets, b.N)
		}
		b.ReportMetric(float64(after.PeerLoads-before.PeerLoads)/float64(b.N), "hops/op")
	})
	b.Run("hop_hotcache", func(b *testing.B) { run(b, other) })
}
