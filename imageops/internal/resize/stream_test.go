package resize

import (
	"flag"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// quick says whether the long matrices of this file and cost_test.go are cut short: with -short,
// and under the race detector, which makes them ten times slower and has nothing to find in code
// that runs in one goroutine.
func quick() bool { return testing.Short() || raceEnabled }

// atOnly hides every method of an image but those of image.Image, so that Resize takes its most
// generic path (At).
type atOnly struct{ image.Image }

// subSources returns one image of each kind Resize distinguishes, sw×sh, as a sub-image at
// (ox, oy) of a larger image of the same kind (the zero offset gives a whole image).
func subSources(sw, sh, ox, oy int) map[string]image.Image {
	pw, ph := sw+ox+3, sh+oy+2 // the parent
	all := sources(pw, ph)
	r := image.Rect(ox, oy, ox+sw, oy+sh)
	m := map[string]image.Image{}
	for name, img := range all {
		m[name] = img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)
	}
	m["generic"] = atOnly{m["NRGBA"]}
	m["RGBA64"] = image.NewRGBA64(r) // zero: transparent, still a path of its own
	return m
}

// The streaming resizer gives exactly the pixels the resizer it replaced gave (oracle_test.go),
// for every source kind, sub-image offsets, and enlargements, reductions with and without a box
// step, and mixed factors.
func TestMatchesOracle(t *testing.T) {
	sizes := [][4]int{ // sw, sh, w, h
		{1, 1, 1, 1}, {1, 1, 5, 3}, {7, 5, 1, 1}, {7, 5, 3, 2}, {2, 2, 3, 3},
		{64, 48, 64, 47}, {64, 48, 63, 48}, {97, 83, 31, 29}, {97, 83, 200, 150},
		{100, 100, 400, 400}, {300, 200, 299, 201}, {301, 199, 40, 700}, {37, 53, 200, 13},
		{513, 257, 200, 200}, {400, 300, 37, 101}, {1000, 3, 7, 9}, {3, 1000, 9, 7},
		{255, 256, 1, 3}, {1024, 7, 1, 2048}, {9, 1024, 700, 1}, {640, 480, 319, 241},
		{1200, 900, 5, 4}, {128, 128, 129, 127}, {50, 700, 25, 20},
	}
	offsets := [][2]int{{0, 0}, {1, 3}, {6, 1}}
	if quick() {
		offsets = offsets[1:2]
	}
	for _, sz := range sizes {
		if quick() && sz[0]*sz[1] > 50_000 || raceEnabled && max(sz[0]*sz[1], sz[2]*sz[3]) > 10_000 {
			continue
		}
		for _, off := range offsets {
			for name, src := range subSources(sz[0], sz[1], off[0], off[1]) {
				got, want := Resize(src, sz[2], sz[3]), oracleResize(src, sz[2], sz[3])
				if !equalRGBA(got, want) {
					t.Fatalf("%s %dx%d at %v → %dx%d: differs from the oracle (%s)",
						name, sz[0], sz[1], off, sz[2], sz[3], firstDiff(got, want))
				}
			}
		}
	}
}

// Random geometries on the fast paths, against the oracle.
func TestMatchesOracleRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 300
	if quick() {
		n = 60
	}
	side := 600 // the largest side of a source or result
	if raceEnabled {
		n, side = 30, 150
	}
	for i := range n {
		sw, sh := 1+rng.IntN(side), 1+rng.IntN(side)
		if i%10 == 0 { // extreme aspect ratios
			sw, sh = 1+rng.IntN(3000), 1+rng.IntN(4)
			if i%20 == 0 {
				sw, sh = sh, sw
			}
		}
		w, h := 1+rng.IntN(side), 1+rng.IntN(side)
		ox, oy := rng.IntN(5), rng.IntN(5)
		r := image.Rect(ox, oy, ox+sw, oy+sh)
		var src image.Image
		switch i % 5 {
		case 0:
			img := randomImage(ox+sw, oy+sh, uint64(i))
			src = img.SubImage(r)
		case 1:
			img := image.NewGray(image.Rect(0, 0, ox+sw, oy+sh))
			for j := range img.Pix {
				img.Pix[j] = uint8(rng.Uint32())
			}
			src = img.SubImage(r)
		default:
			ratio := allRatios[rng.IntN(len(allRatios))]
			img := image.NewYCbCr(image.Rect(0, 0, ox+sw, oy+sh), ratio)
			for _, p := range [][]uint8{img.Y, img.Cb, img.Cr} {
				for j := range p {
					p[j] = uint8(rng.Uint32())
				}
			}
			src = img.SubImage(r)
		}
		got, want := Resize(src, w, h), oracleResize(src, w, h)
		if !equalRGBA(got, want) {
			t.Fatalf("%T %v → %dx%d: differs from the oracle (%s)", src, r, w, h, firstDiff(got, want))
		}
	}
}

func equalRGBA(a, b *image.RGBA) bool {
	if a.Rect != b.Rect || len(a.Pix) != len(b.Pix) {
		return false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return false
		}
	}
	return true
}

func firstDiff(a, b *image.RGBA) string {
	if a.Rect != b.Rect {
		return fmt.Sprintf("bounds %v vs %v", a.Rect, b.Rect)
	}
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			if pa, pb := a.RGBAAt(x, y), b.RGBAAt(x, y); pa != pb {
				return fmt.Sprintf("first at (%d,%d): %v, want %v", x, y, pa, pb)
			}
		}
	}
	return "no difference"
}

// The ring of boxed rows never needs more rows than ringBound (which Cost uses) says, for any
// axis, including chroma axes that start between samples.
func TestRingBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(ax axis) {
		k := ax.boxFactor()
		bx := ax.boxed(k)
		wt := makeWeights(bx)
		require.LessOrEqual(t, wt.ringRows(), ringBound(bx), "%+v boxed by %d", ax, k)
		require.LessOrEqual(t, wt.taps, untrimmedTaps(bx))
		for x, st := range wt.start { // every window inside the plane
			if st < 0 || int(st)+wt.taps > bx.n {
				t.Fatalf("%+v: window %d at %d", ax, x, st)
			}
		}
	}
	n := 3000
	if quick() {
		n = 100
	}
	for range n {
		n, out := 1+rng.IntN(3000), 1+rng.IntN(3000)
		check(axis{n: n, out: out, s: float64(n) / float64(out)})
		lo, f := rng.IntN(8), 1+rng.IntN(4)
		hi := lo + n
		check(chromaAxis(lo, hi, f, out))
	}
	for _, c := range [][2]int{{1, 1}, {1, 2048}, {2048, 1}, {2048, 1024}, {100, 400}, {1024, 200}, {640, 640}} {
		check(axis{n: c[0], out: c[1], s: float64(c[0]) / float64(c[1])})
	}
}

// trim keeps every weight in place and only drops columns of zeros, and every window stays inside
// the untrimmed one.
func TestTrimKeepsWeights(t *testing.T) {
	for _, c := range [][2]int{{100, 100}, {100, 400}, {37, 1000}, {1000, 999}, {64, 32}, {5, 3}, {3, 5}, {1, 9}, {640, 641}} {
		ax := axis{n: c[0], out: c[1], s: float64(c[0]) / float64(c[1])}
		full := untrimmedWeights(ax)
		wt := makeWeights(ax)
		require.Len(t, wt.w, ax.out*wt.taps)
		for x := range ax.out {
			want := make([]int32, ax.n)
			for k, v := range full.w[x*full.taps : (x+1)*full.taps] {
				want[int(full.start[x])+k] = v
			}
			got := make([]int32, ax.n)
			for k, v := range wt.w[x*wt.taps : (x+1)*wt.taps] {
				got[int(wt.start[x])+k] = v
			}
			if !slices.Equal(want, got) {
				t.Fatalf("%v output %d: weights %v, want %v", c, x, got, want)
			}
			require.GreaterOrEqual(t, wt.start[x], full.start[x])
			require.LessOrEqual(t, int(wt.start[x])+wt.taps, int(full.start[x])+full.taps)
		}
	}
}

// What Resize allocates beyond its result no longer grows with the source: the streaming resizer
// against the one it replaced, on the cases of the issue, and a source twice as tall costs no
// more. (The table is in BENCHMARKS.md.)
func TestMemoryOldNew(t *testing.T) {
	Resize(image.NewRGBA(image.Rect(0, 0, 9, 9)), 3, 3) // the kernel's table, allocated once
	ycc := func(w, h int) image.Image {
		return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	rgba := func(w, h int) image.Image { return image.NewRGBA(image.Rect(0, 0, w, h)) }
	cases := []struct {
		name   string
		src    image.Image
		w, h   int
		strict bool // the old extra memory was large: the new must be at most a third of it
	}{
		{"RGBA 1024² → 200²", rgba(1024, 1024), 200, 200, true},
		{"YCbCr 4:2:0 1024² → 200²", ycc(1024, 1024), 200, 200, true},
		{"RGBA 2048² → 200²", rgba(2048, 2048), 200, 200, true},
		{"YCbCr 4:2:0 2048² → 200²", ycc(2048, 2048), 200, 200, true},
		{"RGBA 2048² → 1024²", rgba(2048, 2048), 1024, 1024, true},
		{"YCbCr 4:2:0 2048² → 1024²", ycc(2048, 2048), 1024, 1024, true},
		{"RGBA 512² → 1024²", rgba(512, 512), 1024, 1024, true},
		{"RGBA 100² → 400²", rgba(100, 100), 400, 400, false},
		{"YCbCr 4:2:0 100² → 400²", ycc(100, 100), 400, 400, false},
	}
	switch {
	case raceEnabled:
		cases = nil // slow, and the height check below says enough
	case testing.Short():
		cases = cases[:2]
	}
	t.Logf("| case | before | after | of which the result | after − result | Cost |")
	t.Logf("|---|---|---|---|---|---|")
	for _, c := range cases {
		old := allocated(func() { oracleResize(c.src, c.w, c.h) }, math.MaxInt64) // one call: slow
		now := allocated(func() { Resize(c.src, c.w, c.h) }, 0)
		result := int64(4 * c.w * c.h)
		b := c.src.Bounds()
		est, _ := Cost(KindOf(c.src), b.Dx(), b.Dy(), c.w, c.h)
		t.Logf("| %s | %.1f MB | %.2f MB | %.2f MB | %.2f MB | %.2f MB |", c.name, float64(old)/1e6, float64(now)/1e6,
			float64(result)/1e6, float64(now-result)/1e6, float64(est)/1e6)
		require.Less(t, now, old, c.name)
		if c.strict {
			require.Less(t, now-result, (old-result)/3, c.name)
		}
	}
	// Twice the height, same output: the box step takes twice as many rows per boxed row, and
	// nothing else changes.
	for _, mk := range []func(w, h int) image.Image{rgba, ycc} {
		short, tall := mk(600, 600), mk(600, 1200)
		a := allocated(func() { Resize(short, 200, 150) }, 0)
		b := allocated(func() { Resize(tall, 200, 150) }, 0)
		require.LessOrEqual(t, b, a+a/16, "%T", short)
	}
}

var compareOldNew = flag.Bool("compare", false, "TestCompareOldNew: time the resizer against the one it replaced")

// TestCompareOldNew times the streaming resizer against the one it replaced on the cases of
// BenchmarkStreaming, alternating the two call by call (each first half of the time) so that a
// change of load on a shared machine falls on both alike, and reports the median processor time
// of the calling thread for each and their ratio:
//
//	go test -run=TestCompareOldNew -v ./imageops/internal/resize -compare
func TestCompareOldNew(t *testing.T) {
	if !*compareOldNew {
		t.Skip("a measurement: run with -compare")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, c := range streamingCases {
		for _, s := range c.sources(t) {
			calls := 61
			if c.w >= 1024 {
				calls = 15
			}
			var old, cur []time.Duration
			timed := func(f func(image.Image, int, int) *image.RGBA) time.Duration {
				t0 := threadCPU()
				f(s.img, c.w, c.w)
				return threadCPU() - t0
			}
			for i := range calls {
				// Each goes first half of the time: the second call finds the source in cache.
				if i%2 == 0 {
					old = append(old, timed(oracleResize))
					cur = append(cur, timed(Resize))
				} else {
					cur = append(cur, timed(Resize))
					old = append(old, timed(oracleResize))
				}
			}
			slices.Sort(old)
			slices.Sort(cur)
			mo, mn := old[len(old)/2], cur[len(cur)/2]
			t.Logf("%-10s %-5s old %8.3f ms  new %8.3f ms  new/old %.3f", c.name, s.kind,
				float64(mo)/1e6, float64(mn)/1e6, float64(mn)/float64(mo))
		}
	}
}
