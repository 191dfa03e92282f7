package cache

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/groupcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops"
)

// TestFloodOfOneOffVariantsKeepsThePopularOnes asks for a popular set of variants again and
// again, then floods the cache with distinct one-off variants, larger than the whole cache, then
// asks for the popular set again: every popular variant is still a hit, because one-off variants
// live in the probation group. Asked the same way with Trusted, which admits every variant at
// once, the flood evicts the popular set: the mechanism is what keeps it.
func TestFloodOfOneOffVariantsKeepsThePopularOnes(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprint("trusted=", trusted), func(t *testing.T) {
			c, p := newTestCache(t, Config{CacheBytes: 2 << 20})
			p.set("alice", noiseJPEG(t, 200, 200), nil)
			get := func(tr string, trusted bool) {
				t.Helper()
				_, err := c.Get(context.Background(), Request{Type: "fake", ID: "alice", Transformation: mustChain(t, tr),
					Format: imageops.PNG, Trusted: trusted})
				require.NoError(t, err, tr)
			}
			popular := []string{"c_fill,h_48,w_48", "c_fill,h_90,w_90", "w_100"}
			for range 3 {
				for _, tr := range popular {
					get(tr, trusted)
				}
			}
			before := c.Stats().Transforms
			require.EqualValues(t, len(popular), before, "each popular variant computed once")

			// The flood: 100 distinct variants of about 12 KB each, 1.2 MB in all, more than the
			// variants group holds (0.8 MB).
			var wg sync.WaitGroup
			sem := make(chan struct{}, 4)
			for i := range 100 {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					get(fmt.Sprintf("c_scale,h_%d,w_48", 48+i), trusted)
				}()
			}
			wg.Wait()
			flood := c.Stats().Transforms - before
			assert.EqualValues(t, 100, flood)

			for _, tr := range popular {
				get(tr, trusted)
			}
			again := c.Stats().Transforms - before - flood
			if trusted {
				assert.Positive(t, again, "admitted at once, the flood evicts the popular variants")
				return
			}
			assert.Zero(t, again, "the popular variants were all still cached")
			s := c.Stats()
			assert.EqualValues(t, len(popular)+100, s.Admission.Probation)
			assert.EqualValues(t, len(popular), s.Admission.Promoted)
			assert.Positive(t, s.Probation.MainCache.Evictions, "the flood evicted only its own")
		})
	}
}

// noiseJPEG returns a w×h JPEG of random pixels: its variants are as large as a PNG gets.
func noiseJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.Uint32())
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}))
	return buf.Bytes()
}

func TestDoorkeeper(t *testing.T) {
	d := newDoorkeeper()
	// A hundred keys rather than one: a Bloom filter answers "seen" wrongly for a few per cent of
	// keys, so one key's fate after the rotations is a matter of chance.
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprint("key", i)
		assert.False(t, d.seen(keys[i]))
		assert.True(t, d.seen(keys[i]))
	}
	// Across a rotation a key is still known: it moves to the previous generation.
	for i := range doorBits / 10 {
		d.seen(fmt.Sprint("filler", i))
	}
	for _, k := range keys {
		assert.True(t, d.seen(k), "remembered for a generation after its own")
	}
	for i := range doorBits / 4 {
		d.seen(fmt.Sprint("more filler", i))
	}
	remembered := 0
	for _, k := range keys {
		if d.seen(k) {
			remembered++
		}
	}
	assert.Less(t, remembered, 15, "forgotten after two generations, but for false positives")
	// False positives: a few per cent of new keys at most.
	fp := 0
	for i := range 10000 {
		if d.seen(fmt.Sprint("new", i)) {
			fp++
		}
	}
	assert.Less(t, fp, 500)
}

// A variant computed in the variants group moments before a probation load of it (a first
// request that peeked at the owner before the computation) is not computed again.
func TestProbationTakesTheVariantJustMade(t *testing.T) {
	c, p := newTestCache(t, Config{})
	p.set("alice", userJPEG(t, "alice", 64, 64), nil)
	r := Request{Type: "fake", ID: "alice", Transformation: mustChain(t, "c_fill,h_32,w_32"), Format: imageops.PNG, Trusted: true}
	first, err := c.Get(context.Background(), r)
	require.NoError(t, err)
	require.EqualValues(t, 1, c.Stats().Transforms)

	okey, vkey := keys(c, r)
	var v groupcache.ByteView
	require.NoError(t, c.probation.Get(withHint(context.Background(), okey), vkey, groupcache.ByteViewSink(&v)))
	assert.EqualValues(t, 1, c.Stats().Transforms, "taken from the variants just made")
	e, err := decodeEntry(v)
	require.NoError(t, err)
	assert.Equal(t, first.Bytes(), viewBytes(e.body))
}

func TestJustMade(t *testing.T) {
	var j justMade
	now := time.Now()
	j.add("a", "A", now)
	j.add("big", strings.Repeat("x", justMadeMax+1), now)
	got, ok := j.get("a", now.Add(justMadeFor-time.Millisecond))
	assert.True(t, ok)
	assert.Equal(t, "A", got)
	_, ok = j.get("a", now.Add(justMadeFor))
	assert.False(t, ok, "forgotten after justMadeFor")
	_, ok = j.get("big", now)
	assert.False(t, ok, "large variants are not kept")
	for i := range justMadeSlots {
		j.add(fmt.Sprint("k", i), "v", now)
	}
	_, ok = j.get("a", now)
	assert.False(t, ok, "overwritten by newer ones")
}
