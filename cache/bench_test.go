package cache

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/avatarkit/avatarkit/imageops"
)

// BenchmarkColdStampede measures a stampede: 64 concurrent requests for one cold avatar (a 256²
// JPEG, filled to 64²), which must cost one origin fetch and one transform. It reports those
// counts per stampede next to the time, so a regression in coalescing shows as a number above 1.
func BenchmarkColdStampede(b *testing.B) {
	c, p := newTestCache(b, Config{CacheBytes: 1 << 30})
	pic := testJPEG(b, 256, 256, red, blue)
	chain := mustChain(b, "c_fill,h_64,w_64")
	const callers = 64
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := "u" + strconv.Itoa(i)
		p.set(id, pic, nil)
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
