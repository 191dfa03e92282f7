package resize

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc), with the collector off.
// The runtime itself now and then allocates a few KiB at the same time, while f allocates the same
// every time, so when the figure is above want, allocated measures twice more and returns the
// least.
func allocated(f func(), want int64) int64 {
	least := int64(math.MaxInt64)
	for range 3 {
		var m0, m1 runtime.MemStats
		runtime.GC()
		old := debug.SetGCPercent(-1)
		runtime.ReadMemStats(&m0)
		f()
		runtime.ReadMemStats(&m1)
		debug.SetGCPercent(old)
		least = min(least, int64(m1.TotalAlloc-m0.TotalAlloc))
		if least <= want {
			break
		}
	}
	return least
}

// costSource returns a sw×sh source of kind k (variant v picks among the types a kind covers and,
// for YCbCr, an odd origin), with zero pixels: the content does not change what Resize allocates.
func costSource(k Kind, v, sw, sh int) image.Image {
	r := image.Rect(0, 0, sw, sh)
	switch k {
	case KindRGBA:
		return image.NewRGBA(r)
	case KindGray:
		return image.NewGray(r)
	case KindConverted:
		switch v % 5 {
		case 0:
			return image.NewNRGBA(r)
		case 1:
			return image.NewPaletted(r, color.Palette{color.Black, color.White})
		case 2:
			return image.NewRGBA64(r)
		case 3:
			return image.NewCMYK(r)
		default:
			return &image.NYCbCrA{YCbCr: *image.NewYCbCr(r, image.YCbCrSubsampleRatio420), A: make([]uint8, sw*sh), AStride: sw}
		}
	}
	ratio := ycbcrKinds[k-KindYCbCr444]
	if v%2 == 1 { // an odd origin: the chroma planes can be a sample longer
		fx, fy := subsampling(ratio)
		big := image.NewYCbCr(image.Rect(0, 0, sw+fx, sh+fy), ratio)
		return big.SubImage(image.Rect(fx-1, fy-1, fx-1+sw, fy-1+sh))
	}
	return image.NewYCbCr(r, ratio)
}

var allKinds = []Kind{KindRGBA, KindConverted, KindGray, KindYCbCr444, KindYCbCr422, KindYCbCr420,
	KindYCbCr440, KindYCbCr411, KindYCbCr410}

func (k Kind) String() string {
	names := [...]string{"RGBA", "Converted", "Gray", "YCbCr444", "YCbCr422", "YCbCr420", "YCbCr440", "YCbCr411", "YCbCr410"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

func TestKindOf(t *testing.T) {
	for _, k := range allKinds {
		for v := range 5 {
			assert.Equal(t, k, KindOf(costSource(k, v, 9, 7)), "%T", costSource(k, v, 9, 7))
		}
	}
	neg := image.NewYCbCr(image.Rect(-2, 0, 5, 5), image.YCbCrSubsampleRatio420)
	assert.Equal(t, KindConverted, KindOf(neg)) // Resize converts it row by row
	assert.Equal(t, KindConverted, KindOf(image.NewGray16(image.Rect(0, 0, 2, 2))))
	assert.Equal(t, KindConverted, KindOf(atOnly{image.NewRGBA(image.Rect(0, 0, 2, 2))}))
}

// costSizes are the geometries the bound is checked on: tiny, large, up, down, same size, odd
// and extreme aspect ratios.
var costSizes = [][4]int{ // sw, sh, w, h
	{1, 1, 1, 1}, {1, 1, 7, 3}, {3, 5, 1, 1}, {5, 5, 5, 5}, {64, 48, 64, 47},
	{100, 100, 400, 400}, {512, 512, 1024, 1024}, {1024, 1024, 200, 200}, {2048, 2048, 200, 200},
	{2048, 2048, 1024, 1024}, {2048, 1, 1, 2048}, {1, 2048, 2048, 1}, {2048, 2048, 2048, 1},
	{2048, 2048, 1, 2048}, {2048, 2048, 1, 1}, {999, 333, 1001, 17}, {640, 480, 320, 241},
	{17, 2048, 3, 100}, {2047, 1535, 2047, 1535}, {301, 199, 41, 700}, {1200, 7, 1200, 300},
	{9, 9, 2048, 2048}, {1536, 2048, 1000, 1},
}

// Cost's bytes are an upper bound of what Resize allocates, and a tight one: measured ≤ Cost ≤
// 1.25·measured + 16 KiB, for every kind and geometry.
func TestCostBoundsAllocations(t *testing.T) {
	Resize(image.NewRGBA(image.Rect(0, 0, 9, 9)), 3, 3) // the kernel's table, allocated once
	// The largest source and result checked, in pixels.
	limit := math.MaxInt
	if testing.Short() {
		limit = 1 << 19
	}
	if raceEnabled {
		limit = 1 << 16
	}
	var worst float64
	for _, sz := range costSizes {
		if sz[0]*sz[1]+sz[2]*sz[3] > limit {
			continue
		}
		for _, k := range allKinds {
			for v := range 5 {
				if k != KindConverted && v > 1 || k < KindYCbCr444 && k != KindConverted && v > 0 {
					continue
				}
				src := costSource(k, v, sz[0], sz[1])
				est, _ := Cost(k, sz[0], sz[1], sz[2], sz[3])
				got := allocated(func() { Resize(src, sz[2], sz[3]) }, est)
				name := fmt.Sprintf("%v %T %v→%dx%d", k, src, src.Bounds(), sz[2], sz[3])
				require.LessOrEqual(t, got, est, "%s: Cost is not a bound", name)
				require.LessOrEqual(t, est, got+got/4+16<<10, "%s: Cost is loose (measured %d)", name, got)
				worst = max(worst, float64(est)/float64(got))
				t.Logf("%-50s measured %10d  Cost %10d  (%.3f)", name, got, est, float64(est)/float64(got))
			}
		}
	}
	t.Logf("largest Cost/measured: %.3f", worst)
}

// Cost is cheap enough to call for every request: no allocation, and odd arguments are fine.
func TestCostIsCheap(t *testing.T) {
	var sink int64
	allocs := testing.AllocsPerRun(100, func() {
		for _, k := range allKinds {
			b, _ := Cost(k, 2048, 1536, 200, 200)
			sink += b
		}
	})
	assert.Zero(t, allocs)
	for _, a := range [][4]int{{0, 0, 0, 0}, {-5, 3, -1, -1}, {3, 3, 0, 0}, {1, 1, 1, 1}} {
		b, cpu := Cost(Kind(200), a[0], a[1], a[2], a[3])
		assert.Positive(t, b)
		assert.Positive(t, cpu)
	}
	// Absurd sizes (a lying image header) saturate rather than overflow.
	for _, a := range [][4]int{{math.MaxInt, math.MaxInt, 200, 200}, {200, 200, math.MaxInt, 1}, {1 << 21, 1 << 20, 1, 1}} {
		b, cpu := Cost(KindRGBA, a[0], a[1], a[2], a[3])
		assert.Equal(t, int64(math.MaxInt64), b, "%v", a)
		assert.Equal(t, time.Duration(math.MaxInt64), cpu, "%v", a)
	}
	// Empty sources and the result's own size.
	b, _ := Cost(KindRGBA, 0, 10, 20, 30)
	assert.Equal(t, allocSize(4*20*30)+allocSize(rgbaHeader), b)
	_ = sink
}
