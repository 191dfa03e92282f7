package resize

import (
	"image"
	"math"
	"time"
)

// Kind is the pixel layout of a Resize source, for Cost.
type Kind uint8

// The kinds of source Resize tells apart. An *image.YCbCr with a negative origin is converted row
// by row (KindConverted), whatever its subsampling.
const (
	KindRGBA      Kind = iota // *image.RGBA
	KindConverted             // any type Resize converts row by row (NRGBA, NYCbCrA, RGBA64, NRGBA64, Paletted, CMYK, others)
	KindGray                  // *image.Gray
	KindYCbCr444              // *image.YCbCr, 4:4:4 (no chroma subsampling)
	KindYCbCr422              // *image.YCbCr, 4:2:2 (chroma halved horizontally)
	KindYCbCr420              // *image.YCbCr, 4:2:0 (halved both ways: most JPEGs)
	KindYCbCr440              // *image.YCbCr, 4:4:0 (halved vertically)
	KindYCbCr411              // *image.YCbCr, 4:1:1 (quartered horizontally)
	KindYCbCr410              // *image.YCbCr, 4:1:0 (quartered horizontally, halved vertically)
)

// ycbcrKinds maps subsampling ratios to kinds, in the order of the Kind constants.
var ycbcrKinds = [...]image.YCbCrSubsampleRatio{
	image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
	image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
}

// KindOf returns the Kind of img as Resize will treat it.
func KindOf(img image.Image) Kind {
	switch s := img.(type) {
	case *image.RGBA:
		return KindRGBA
	case *image.Gray:
		return KindGray
	case *image.YCbCr:
		if ycbcrOK(s) {
			for i, r := range ycbcrKinds {
				if r == s.SubsampleRatio {
					return KindYCbCr444 + Kind(i)
				}
			}
		}
	}
	return KindConverted
}

// Cost returns an upper bound of the bytes Resize allocates, result included, to scale a
// sw×sh source of kind k to w×h, and the processor time it takes on the reference machine.
//
// The bytes follow Resize's allocations one by one, each rounded up as the Go runtime rounds it
// (size classes up to 32 KiB, whole 8 KiB pages above), with the sizes that depend on the weights
// (taps before trimming, the rows of the ring) replaced by upper bounds computed from the
// geometry alone, and for YCbCr the largest chroma planes any origin can give. They do not include
// what the source's own methods allocate (an image type from outside the standard library, read
// through At, may allocate a color.Color per pixel), nor the kernel's table, allocated once per
// process.
//
// The processor time is a linear model of what Resize does (source samples read, multiply-adds of
// each pass, weight taps, output pixels; see cpuModel), fitted to single calls measured on the
// reference machine, a 2-vCPU AMD EPYC VM. Over the cases of TestCostModel the measurements fall
// within 0.5× to 2× of it. Converting a source row by row costs from about 1 ns per pixel
// (Paletted) to 3 (NRGBA), 5 (CMYK), 7 (NRGBA64, what a 16-bit PNG decodes to), 10 (NYCbCrA) and
// 30 (a type read through At only); KindConverted is costed at 7.5, the 16-bit figure.
//
// Cost does not allocate, takes O(1) time and is safe for concurrent use. Sides above 2³⁰ or
// areas above 2⁴⁰ pixels (which Resize could not allocate) give the largest int64 and Duration.
func Cost(k Kind, sw, sh, w, h int) (bytes int64, cpu time.Duration) {
	const side, area = 1 << 30, 1 << 40
	if sw > side || sh > side || w > side || h > side || int64(sw)*int64(sh) > area || int64(w)*int64(h) > area {
		return math.MaxInt64, math.MaxInt64
	}
	var f features
	bytes = costOf(k, sw, sh, w, h, &f)
	var ns float64
	for i, v := range f {
		ns += cpuModel[i] * v
	}
	return bytes, time.Duration(math.Ceil(ns))
}

// The features of the processor time model: what Resize does, counted.
const (
	featCall      = iota // calls
	featSrc              // source samples read: added into box sums, or packed
	featConv             // source pixels converted row by row (KindConverted)
	featV                // multiply-adds of the pass along y (packed words × taps)
	featH                // multiply-adds of the pass along x (packed words × taps)
	featTaps             // weight taps computed
	featOut              // output pixels stored (YCbCr: converted to RGB)
	featCopy             // pixels of a same-size copy
	featCopyGray         // pixels of a same-size copy converted from grey
	featCopyYCbCr        // pixels of a same-size copy converted from YCbCr
	numFeatures
)

type features [numFeatures]float64

// cpuModel holds the nanoseconds per unit of each feature. It was fitted by
//
//	go test -run=TestCostModel -v ./imageops/internal/resize -fit
//
// which measures Resize over the cases of TestCostModel (RGBA, Gray, YCbCr 4:2:0 and 4:4:4 and
// NRGBA64 sources over 14 geometries from 8² → 4² to 2048² → 1024², up, down, same size and
// mixed, and the other subsamplings on two), each as the least processor time of its thread over
// several calls, and minimises the squared relative error with non-negative coefficients
// (coordinate descent). The figures below are the rounded mean of two fits made while the machine
// was shared (load average about 20 on its 2 cores), whose coefficients agreed within about 20 %
// but for the per-call and per-tap ones, which trade off against each other on small cases. On a
// quiet machine calls take less: 1024² YCbCr → 200², 2.2 ms here during the fit, was 1.63 ms in
// BENCHMARKS.md's quiet run, so there the model errs on the safe side by about 1.4×.
var cpuModel = features{
	featCall: 1000, featSrc: 0.4, featConv: 7.5, featV: 0.6, featH: 1.1, featTaps: 18, featOut: 1,
	featCopy: 0.6, featCopyGray: 1.3, featCopyYCbCr: 6.3,
}

// costOf returns Cost's bytes and counts the features of the processor time model into f.
func costOf(k Kind, sw, sh, w, h int, f *features) int64 {
	w, h = max(w, 1), max(h, 1)
	var c costing
	c.f = f
	f[featCall] = 1
	c.allocPtr(rgbaHeader)
	c.alloc(4 * w * h)
	if sw <= 0 || sh <= 0 {
		return c.bytes
	}
	conv := k == KindConverted
	if conv || k != KindRGBA && sw == w && sh == h {
		c.allocPtr(convClosure) // a row converter (a copy converts all but RGBA)
	}
	if conv {
		c.alloc(paletteLUT)
		f[featConv] = float64(sw * sh)
	}
	if sw == w && sh == h {
		f[featCopy] = float64(w * h)
		switch {
		case k == KindGray:
			f[featCopyGray] = float64(w * h)
		case k >= KindYCbCr444:
			f[featCopyYCbCr] = float64(w * h)
		}
		return c.bytes
	}
	f[featOut] = float64(w * h)
	ax := axis{n: sw, out: w, s: float64(sw) / float64(w)}
	ay := axis{n: sh, out: h, s: float64(sh) / float64(h)}
	if k < KindYCbCr444 || k > KindYCbCr410 { // resizePlane
		ch := 1
		if k == KindRGBA || conv {
			ch = 4
		}
		p := c.plane(ax, ay, ch)
		c.vpass(p)
		c.rowWork(p.n, sw*ch, p.box, conv, p.ky > 1)
		js := stripPairs(p.ns, (h+1)/2)
		c.alloc(8 * p.ns * js) // the strip
		c.alloc(8 * ch * js)   // the final pass's accumulators
		return c.bytes
	}
	// resizeYCbCr. A chroma plane is at most one sample longer than the luma plane divided by the
	// subsampling factor (an odd origin shifts it by part of a block), which is the bound used.
	fx, fy := subsampling(ycbcrKinds[k-KindYCbCr444])
	cn := func(n, f int) int { return (n+f-2)/f + 1 }
	cx := axis{n: cn(sw, fx), out: w, s: float64(sw) / float64(w) / float64(fx)}
	cy := axis{n: cn(sh, fy), out: h, s: float64(sh) / float64(h) / float64(fy)}
	y, ch := c.plane(ax, ay, 1), c.plane(cx, cy, 1)
	c.vpass(y)
	c.vpass(ch) // Cb
	c.vpass(ch) // Cr
	c.rowWork((max(y.bw, ch.bw)+1)/2, sw, y.box || ch.box, false, false)
	js := stripPairs(y.ns+2*ch.ns, (h+1)/2)
	c.alloc(8 * (y.ns + 2*ch.ns) * js)
	c.alloc(8 * 3 * js)
	return c.bytes
}

// Sizes of Resize's small fixed allocations (upper bounds): the *image.RGBA header, the plan and
// rowWork structs, a row converter's closure and a palette's look-up table.
const (
	rgbaHeader  = 64
	planStruct  = 144
	rowWorkSize = 144
	convClosure = 64
	paletteLUT  = 1024
)

// costing adds up Cost's figures.
type costing struct {
	bytes int64
	f     *features
}

// alloc counts an allocation of n bytes of pointer-free data as the runtime does.
func (c *costing) alloc(n int) { c.bytes += allocSize(n) }

// allocPtr counts an allocation of n bytes that holds pointers: small ones of more than 512
// bytes carry an 8-byte header describing them.
func (c *costing) allocPtr(n int) {
	if n > 512 && n+8 <= maxSmallSize {
		n += 8
	}
	c.bytes += allocSize(n)
}

// planCost is the geometry of one plan, as Cost sees it.
type planCost struct {
	c       int // channels
	box     bool
	ky      int
	bw, bh  int
	ns, n   int // samples and packed words per boxed row
	tx, ty  int // untrimmed taps
	rows    int // ring rows (a bound)
	w, h    int // output size
	samples int // source samples (per plane)
}

// plane counts the allocations of a plan (its weights) and returns its geometry.
func (c *costing) plane(ax, ay axis, ch int) planCost {
	kx, ky := ax.boxFactor(), ay.boxFactor()
	bx, by := ax.boxed(kx), ay.boxed(ky)
	p := planCost{
		c: ch, box: kx > 1 || ky > 1, ky: ky, bw: bx.n, bh: by.n,
		tx: untrimmedTaps(bx), ty: untrimmedTaps(by), rows: ringBound(by),
		w: ax.out, h: ay.out, samples: ax.n * ay.n * ch,
	}
	p.ns = p.bw * ch
	p.n = (p.ns + 1) / 2
	c.allocPtr(planStruct)
	for _, a := range [][2]int{{ax.out, p.tx}, {ay.out, p.ty}} { // the weights: start, w, fw
		c.alloc(4 * a[0])
		c.alloc(4 * a[0] * a[1])
		c.alloc(8 * a[1])
		c.f[featTaps] += float64(a[0] * a[1])
	}
	return p
}

// vpass counts the allocations of a vpass over a plane of geometry p (its ring of boxed rows and
// the slices of rows) and the features of the work it and the final pass do on it.
func (c *costing) vpass(p planCost) {
	c.alloc(8 * p.rows * p.n)
	c.allocPtr(24 * p.rows)
	c.allocPtr(24 * p.ty)
	c.f[featSrc] += float64(p.samples)
	c.f[featV] += float64(p.h * p.n * p.ty)
	c.f[featH] += float64(p.w * (p.h + 1) / 2 * p.c * p.tx)
}

// rowWork counts the allocations of newRowWork.
func (c *costing) rowWork(n, ns int, box, conv, twice bool) {
	c.allocPtr(rowWorkSize)
	c.alloc(8 * n)
	c.alloc(8 * n)
	if box {
		c.alloc(8 * 2 * ((ns + 7) / 8))
		c.alloc(2 * 8 * ((ns + 7) / 8))
	}
	if conv {
		c.alloc(ns)
		if box && twice {
			c.alloc(ns)
		}
	}
}

// allocSize returns the bytes the Go runtime counts for an allocation of n bytes: the size class
// for small objects, whole pages for large ones. (Objects of less than 16 bytes without pointers
// may share a 16-byte block; counting 16 is an upper bound.)
func allocSize(n int) int64 {
	switch {
	case n <= 0:
		return 0
	case n > maxSmallSize:
		return int64((n + pageSize - 1) / pageSize * pageSize)
	}
	for _, s := range sizeClasses {
		if n <= s {
			return int64(s)
		}
	}
	return maxSmallSize
}

const (
	maxSmallSize = 32 << 10
	pageSize     = 8 << 10
)

// sizeClasses are the Go runtime's size classes for small objects (runtime/sizeclasses.go, the
// same since Go 1.14).
var sizeClasses = [...]int{
	16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352,
	384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
	2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
	10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672,
	32768,
}
