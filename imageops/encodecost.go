package imageops

import "time"

// What one encode costs, measured by BenchmarkEncode (encode_bench_test.go) on a photo-like
// picture at 200², 512², 1024² and 2048² on the 2-vCPU AMD EPYC machine of BENCHMARKS.md:
//
//	go test -run='^$' -bench='Encode/' -benchtime=3x -cpu=1 ./imageops
//
// CPU is the process's user+system time per encode (cpu-ns/op), measured while the machine
// was shared (load average 20 on 2 cores), so the figures are on the high side of what a quiet
// machine shows (about 1.3× for the WebAssembly encoders). Memory is the peak of the Go heap
// above what was live before the encode (peak-heap-MiB): for the WebAssembly encoders it is
// mostly the module instance's linear memory, an ordinary Go byte slice freed when the encode
// returns. Neither counts the image handed to the encoder. Photographs are the expensive
// case: flat pictures (drawings, identicons) cost PNG and lossless WebP much less.
//
// Each cost is fixed + perPixel × pixels, with the setting encode picks for the size
// (effort.go): the constants below are per setting, at the default quality and at q_100.
//
//	               CPU per encode                              peak heap per encode
//	               200²     512²     1024²    2048²            200²    512²   1024²   2048²
//	JPEG           1.5 ms   8.9 ms   33 ms    118 ms           0.5 MiB 2.4    1.0     4.0
//	PNG            8.6 ms   59 ms    217 ms   935 ms           5.7     7.5    8.2     37
//	GIF            1.8 ms   9.9 ms   31 ms    126 ms           3.1     5.8    4.1     16
//	WebP lossy     29 ms    181 ms   228 ms   468 ms           6.2     15     41      161
//	  (method)     (4)      (4)      (2)      (0)
//	WebP fastest   9.8 ms   30 ms    104 ms   461 ms           5.9     15     41      161
//	WebP lossless  36 ms    ~270 ms  ~1.1 s   4.6 s            4.7     –      70      224
//	  (nativewebp, in Go; libwebp's lossless, 2.5× faster, was measured at 11 / 39 / 159 / 619
//	  MiB and up to 600 bytes a pixel on busy alpha, which is why it is not used)
//	AVIF           99 ms    277 ms   489 ms   2176 ms          27      54     121     587
//	  (speed)      (8)      (8)      (10)     (10)
//	AVIF fastest   35 ms    135 ms   489 ms   2176 ms          27      54     121     587
//
// and at q_100 (the lossy formats; memory as above unless given):
//
//	JPEG           4.1 ms   19 ms    58 ms    258 ms           0.1     1.0    4.0     16
//	WebP lossy     53 ms    241 ms   459 ms   1308 ms          6.7     26     72      281
//	WebP fastest   17 ms    81 ms    356 ms   1275 ms
//	AVIF           103 ms   478 ms   684 ms   2960 ms          16      39     122     590
//	AVIF fastest   54 ms    196 ms   614 ms
//
// So a 2048² AVIF does not fit a budget of about a second of CPU at any speed or quality (2.2
// s at the default quality, 3.0 s at q_100): the largest AVIF that stays under 1 s of encoding
// is about 1.7 Mpx (1320²) at the default quality, under 1.5 s about 2.6 Mpx (1620²); its
// memory (about 140 bytes a pixel, 370 MiB at 1620²) is the tighter bound. A 2048² lossy WebP
// costs 0.5 s at the default quality and 1.3 s at q_100, libwebp's fastest method already.
// Lossless WebP (nativewebp) of a 2048² photograph costs 4.6 s. f_auto serves AVIF only up to
// 512² (see chooseAuto), and the estimator (cost.go) leaves out of f_auto's choice the formats
// that do not fit the limits. The JPEG, PNG and GIF lines are informative: the estimator keeps
// its own figures for them; it takes these for WebP and AVIF (encoderCost).
//
// The first WebP or AVIF encode of a process also compiles its WebAssembly module, unless
// WarmUp did (see encoderStartCost).

// costLine is one encoder setting's cost: fixed + perPixel × pixels.
type costLine struct {
	cpuFixed    time.Duration
	cpuPerPixel float64 // ns
	memFixed    int64   // bytes
	memPerPixel float64 // bytes
}

// The cost lines, fitted to the table above (conservatively: each line is at or above every
// measured point it covers). Memory is also at or above what an encode allocates in all
// (TotalAlloc, which counts the linear memory's growth), as the estimator of the work limits
// needs; lossy WebP is reckoned with an alpha channel (about 100 bytes a pixel; 26 without
// alpha), which the estimate cannot rule out before decoding. The lossy WebP lines' fixed part is
// 2 MiB above the fit: a rotated 300² picture (transparent corners) allocated 0.7 MB more than
// the fit in the long test of the estimates (AVATARKIT_COST=long).
var (
	costJPEG         = costLine{cpuFixed: 400 * time.Microsecond, cpuPerPixel: 32, memFixed: 5 << 19, memPerPixel: 1}
	costPNG          = costLine{cpuFixed: 1 * time.Millisecond, cpuPerPixel: 230, memFixed: 6 << 20, memPerPixel: 8}
	costGIF          = costLine{cpuFixed: 500 * time.Microsecond, cpuPerPixel: 38, memFixed: 5 << 20, memPerPixel: 4}
	costWebPMethod4  = costLine{cpuFixed: 6 * time.Millisecond, cpuPerPixel: 700, memFixed: 12 << 20, memPerPixel: 120}
	costWebPMethod2  = costLine{cpuFixed: 6 * time.Millisecond, cpuPerPixel: 220, memFixed: 12 << 20, memPerPixel: 120}
	costWebPMethod0  = costLine{cpuFixed: 6 * time.Millisecond, cpuPerPixel: 115, memFixed: 12 << 20, memPerPixel: 120}
	costWebPLossless = costLine{cpuFixed: 4 * time.Millisecond, cpuPerPixel: 1100, memFixed: 12 << 20, memPerPixel: 90}
	costAVIFSpeed8   = costLine{cpuFixed: 70 * time.Millisecond, cpuPerPixel: 820, memFixed: 24 << 20, memPerPixel: 135}
	costAVIFSpeed10  = costLine{cpuFixed: 25 * time.Millisecond, cpuPerPixel: 560, memFixed: 24 << 20, memPerPixel: 142}
)

// The same at q_100, the dearest quality of the lossy formats (libwebp's and libaom's CPU grow
// with their quality: a 2048² WebP at q_100 is 2.8× the one at the default quality).
var (
	costJPEGq100        = costLine{cpuFixed: 1700 * time.Microsecond, cpuPerPixel: 68, memFixed: 1 << 19, memPerPixel: 4}
	costWebPMethod4q100 = costLine{cpuFixed: 17 * time.Millisecond, cpuPerPixel: 920, memFixed: 9 << 20, memPerPixel: 150}
	costWebPMethod2q100 = costLine{cpuFixed: 6 * time.Millisecond, cpuPerPixel: 440, memFixed: 9 << 20, memPerPixel: 150}
	costWebPMethod0q100 = costLine{cpuFixed: 6 * time.Millisecond, cpuPerPixel: 340, memFixed: 9 << 20, memPerPixel: 150}
	costAVIFSpeed8q100  = costLine{cpuFixed: 36 * time.Millisecond, cpuPerPixel: 1700, memFixed: 24 << 20, memPerPixel: 135}
	costAVIFSpeed10q100 = costLine{cpuFixed: 33 * time.Millisecond, cpuPerPixel: 700, memFixed: 24 << 20, memPerPixel: 142}
)

// The one-time cost of compiling a WebAssembly encoder (see WarmUp): CPU, and the peak of Go
// heap it takes while compiling. Afterwards the compiled code holds about 5 MiB (WebP) and 15
// MiB (AVIF) of memory outside the Go heap for the life of the process.
var (
	startWebP = costLine{cpuFixed: 450 * time.Millisecond, memFixed: 40 << 20}
	startAVIF = costLine{cpuFixed: 1800 * time.Millisecond, memFixed: 95 << 20}
)

func (c costLine) at(px int) (time.Duration, int64) {
	return c.cpuFixed + time.Duration(c.cpuPerPixel*float64(px)), c.memFixed + int64(c.memPerPixel*float64(px))
}

// encoderCost returns what the encoder of f takes to write a w×h result at quality q (a
// chain's q_, 0 when it has none; q_100 is the dearest), with the settings encode picks for that
// size: the CPU, and the memory it allocates (Go heap, the WebAssembly encoders' linear memory
// included) beyond the image handed to it. lossy says whether WebP is written lossy (see
// lossyResult); the other formats ignore it. It does not include the one-time start-up of the
// WebAssembly encoders (encoderStartCost). The figures are for photographs, the expensive case.
// The estimator of the work limits (cost.go) uses it for WebP and AVIF.
//
// alpha says whether the result may have an alpha channel: opaque lossy WebP needs about 40
// bytes a pixel, with alpha (its plane compressed losslessly) about 100.
func encoderCost(f Format, w, h int, lossy, alpha bool, q Quality) (cpu time.Duration, bytes int64) {
	cpu, bytes = encoderCostOf(encoding{format: f, lossless: !lossy, quality: q}, w, h)
	if f == WebP && lossy && !alpha {
		_, opaque := costWebPOpaque.at(w * h)
		_, opaque100 := costWebPOpaqueq100.at(w * h)
		t := min(max(float64(q.jpegEquivalent()-DefaultQuality)/float64(100-DefaultQuality), 0), 1)
		bytes = min(bytes, opaque+int64(t*float64(opaque100-opaque)))
	}
	return cpu, bytes
}

// The memory of opaque lossy WebP (the CPU is the method's line): what it allocates in all,
// 26 bytes a pixel at the default quality and 42 at q_100 at 1000² and 2048².
var (
	costWebPOpaque     = costLine{memFixed: 6 << 20, memPerPixel: 40}
	costWebPOpaqueq100 = costLine{memFixed: 8 << 20, memPerPixel: 55}
)

// encoderCostOf is encoderCost for an encoding, FastEncode included. Between the default
// quality (JPEG 82 and its equivalents) and q_100 the cost is interpolated; below the default
// it is the default's (lower qualities cost less).
func encoderCostOf(e encoding, w, h int) (time.Duration, int64) {
	px := w * h
	var c, c100 costLine
	switch e.format {
	case JPEG:
		c, c100 = costJPEG, costJPEGq100
	case PNG:
		c = costPNG
	case GIF:
		c = costGIF
	case WebP:
		switch {
		case e.lossless:
			c = costWebPLossless
		case webpMethod(px, e.fast) == 4:
			c, c100 = costWebPMethod4, costWebPMethod4q100
		case webpMethod(px, e.fast) == 2:
			c, c100 = costWebPMethod2, costWebPMethod2q100
		default:
			c, c100 = costWebPMethod0, costWebPMethod0q100
		}
	case AVIF:
		c, c100 = costAVIFSpeed10, costAVIFSpeed10q100
		if avifSpeed(px, e.fast) < 10 {
			c, c100 = costAVIFSpeed8, costAVIFSpeed8q100
		}
	default:
		return 0, 0
	}
	cpu, mem := c.at(px)
	if c100 == (costLine{}) {
		return cpu, mem
	}
	cpu100, mem100 := c100.at(px)
	t := min(max(float64(e.quality.jpegEquivalent()-DefaultQuality)/float64(100-DefaultQuality), 0), 1)
	return cpu + time.Duration(t*float64(max(cpu100-cpu, 0))), mem + int64(t*float64(max(mem100-mem, 0)))
}

// encoderStartCost returns the one-time cost still ahead of the first encode in f: compiling
// its WebAssembly module, when neither WarmUp nor an earlier encode has done it; zero
// otherwise, and for the formats encoded in Go.
func encoderStartCost(f Format) (cpu time.Duration, bytes int64) {
	if encoderReady(f) {
		return 0, 0
	}
	switch f {
	case WebP:
		return startWebP.at(0)
	case AVIF:
		return startAVIF.at(0)
	}
	return 0, 0
}
