package resize

import (
	"math"
	"sync"
)

// Fixed-point formats.
//
// Filter weights are integers scaled by 2^weightBits; the weights of one output sample always sum
// to exactly 2^weightBits, so a flat area keeps its exact value. Samples between the steps (box
// averages, the output of the first Lanczos pass) carry interBits fractional bits and are neither
// rounded to whole values nor clamped to [0, 255] (Lanczos overshoots); only the final store
// rounds and clamps. Range: the samples stay below 2¹⁵ in magnitude (255·2⁶ times the sum of the
// absolute weights, which is below 1.6 for Lanczos3 even after edge renormalisation), so a sum of
// products stays below 2¹⁵·1.6·2¹⁴ < 2³⁰ — what the packed lanes of pass.go need.
const (
	weightBits = 14
	weightOne  = 1 << weightBits
	interBits  = 6
)

// lanczosSupport is the radius of the Lanczos kernel, in samples of the coarser grid.
const lanczosSupport = 3

// lanczos3 is the Lanczos kernel with a = 3: sinc(x)·sinc(x/3) for |x| < 3, 0 elsewhere.
func lanczos3(x float64) float64 {
	x = math.Abs(x)
	if x >= lanczosSupport {
		return 0
	}
	if x < 1e-8 {
		return 1
	}
	px := math.Pi * x
	return lanczosSupport * math.Sin(px) * math.Sin(px/lanczosSupport) / (px * px)
}

// lanczosTable holds lanczos3 at lanczosSteps points per unit on [0, 3], for lanczos3Fast.
var lanczosTable = sync.OnceValue(func() []float64 {
	t := make([]float64, lanczosSupport*lanczosSteps+2)
	for i := range t {
		t[i] = lanczos3(float64(i) / lanczosSteps)
	}
	return t
})

const lanczosSteps = 1024

// lanczos3Fast is lanczos3 interpolated linearly in a table: two orders of magnitude cheaper than
// two sines, and within 2·10⁻⁶ of it (linear interpolation errs by at most h²/8 times the largest
// second derivative, which is below 10, with h = 1/1024), far below the 1/16384 resolution of the
// fixed-point weights.
func lanczos3Fast(t []float64, x float64) float64 {
	x = math.Abs(x) * lanczosSteps
	if x >= lanczosSupport*lanczosSteps {
		return 0
	}
	i := int(x)
	f := x - float64(i)
	return t[i] + f*(t[i+1]-t[i])
}

// axis describes how one axis of an output image maps onto one axis of a source plane.
//
// Sample i of the plane covers [i, i+1) and has its centre at i+0.5; output pixel x (0 ≤ x < out)
// has its centre at plane coordinate a + (x+0.5)·s. For a whole image a = 0 and s = n/out; a
// subsampled chroma plane has a smaller s and, when the image starts at an odd luma coordinate, a
// non-zero a.
type axis struct {
	n   int     // samples in the source plane along this axis
	out int     // output pixels
	a   float64 // plane coordinate of the output's left edge
	s   float64 // plane samples per output pixel (> 1 shrinks)
}

// maxBoxFactor bounds the box pre-reduction so that a box holds at most 255×255 samples: the
// 16-bit column sums of boxReduce cannot overflow. (Beyond a 510× reduction the Lanczos step takes
// on the rest, with more taps.)
const maxBoxFactor = 255

// boxRemaining is the largest reduction factor left to the Lanczos pass after the box
// pre-reduction: a reduction by s > boxRemaining first averages boxes of k = ⌈s/boxRemaining⌉
// samples, leaving a Lanczos reduction by s/k ∈ (boxRemaining/2, boxRemaining].
const boxRemaining = 2

// boxFactor returns the integer box pre-reduction factor for an axis.
func (ax axis) boxFactor() int {
	if ax.s <= boxRemaining {
		return 1
	}
	k := int(math.Ceil(ax.s/boxRemaining - 1e-9))
	return min(max(k, 1), maxBoxFactor, ax.n)
}

// boxed returns the axis as seen after averaging boxes of k samples: box j covers samples
// [j·k, j·k+k) (the last box may be partial) and has its centre at plane coordinate (j+0.5)·k.
func (ax axis) boxed(k int) axis {
	if k == 1 {
		return ax
	}
	fk := float64(k)
	return axis{n: (ax.n + k - 1) / k, out: ax.out, a: ax.a / fk, s: ax.s / fk}
}

// weights are the precomputed Lanczos3 taps of one axis: output sample x is
//
//	Σ_{k<taps} src[start[x]+k] · w[x·taps+k] / weightOne
//
// Every output has the same number of taps (zero-padded), and every window lies inside [0, n), so
// the inner loops need neither per-output lengths nor bounds handling.
type weights struct {
	taps  int
	start []int32
	w     []int32
}

// makeWeights computes the Lanczos3 taps for an axis.
//
// When shrinking (s > 1) the kernel is stretched by s so that it also low-pass filters (otherwise it
// would alias); when enlarging it is used as is (an interpolator). Taps that fall outside the plane
// are dropped and the remaining weights renormalised to sum to one, so edges neither darken nor
// brighten.
func makeWeights(ax axis) weights {
	wt := untrimmedWeights(ax)
	wt.trim()
	return wt
}

// untrimmedWeights is makeWeights without the trim.
func untrimmedWeights(ax axis) weights {
	scale := max(ax.s, 1)
	support := lanczosSupport * scale
	taps := untrimmedTaps(ax)

	wt := weights{taps: taps, start: make([]int32, ax.out), w: make([]int32, ax.out*taps)}
	fw := make([]float64, taps)
	table := lanczosTable()
	for x := range ax.out {
		u := ax.a + (float64(x)+0.5)*ax.s // centre of output x, in plane coordinates
		// Sample i (centre i+0.5) contributes iff |i+0.5-u| < support; samples outside the
		// plane are dropped.
		lo := max(int(math.Ceil(u-0.5-support)), 0)
		hi := min(int(math.Floor(u-0.5+support)), ax.n-1)
		if hi-lo+1 > taps { // cannot happen in exact arithmetic; guard against rounding
			hi = lo + taps - 1
		}
		var sum float64
		for i := lo; i <= hi; i++ {
			f := lanczos3Fast(table, (float64(i)+0.5-u)/scale)
			fw[i-lo] = f
			sum += f
		}
		if hi < lo || sum <= 1e-9 {
			// Degenerate (only possible for a centre outside the plane): take the nearest sample.
			lo = min(max(int(math.Floor(u)), 0), ax.n-1)
			hi = lo
			fw[0], sum = 1, 1
		}
		// The window [start, start+taps) must lie inside [0, n); shift it left near the right edge.
		start := min(lo, ax.n-taps)
		wt.start[x] = int32(start)
		ws := wt.w[x*taps : (x+1)*taps]
		quantize(ws[lo-start:lo-start+hi-lo+1], fw[:hi-lo+1], sum)
	}
	return wt
}

// quantize stores f/sum as fixed-point weights in dst that sum to exactly weightOne. The rounding
// residue goes to the largest weight, where it matters least.
func quantize(dst []int32, f []float64, sum float64) {
	var isum int32
	big := 0
	for i, v := range f {
		q := int32(math.Round(v / sum * weightOne))
		dst[i] = q
		isum += q
		if q > dst[big] {
			big = i
		}
	}
	dst[big] += weightOne - isum
}

// trim removes tap columns that are zero for every output (for example, Lanczos3 at scale 1 and
// integer phase is a single tap of weight one), so that identity and near-identity axes cost one
// tap per sample instead of six.
//
// Each output's new window of span taps holds all its non-zero weights and lies inside its old
// window, so inside [0, n) (ringBound relies on this too). trim works in place: compacting in
// increasing x never overwrites weights still to be read, because output x's new weights end at
// or before (x+1)·span, where output x+1's old weights have not begun.
func (wt *weights) trim() {
	span := 0 // the widest run from first to last non-zero weight of any output
	for x := range wt.start {
		f, l := firstLastNonZero(wt.w[x*wt.taps : (x+1)*wt.taps])
		span = max(span, l-f+1)
	}
	if span >= wt.taps || span <= 0 {
		return
	}
	for x := range wt.start {
		f, l := firstLastNonZero(wt.w[x*wt.taps : (x+1)*wt.taps])
		// The window starts at the first non-zero weight, or earlier when that would run past
		// the old window's end.
		s := min(f, wt.taps-span)
		d := wt.w[x*span : (x+1)*span]
		m := copy(d[f-s:], wt.w[x*wt.taps+f:x*wt.taps+l+1]) // a memmove: overlaps are fine
		clear(d[:f-s])
		clear(d[f-s+m:])
		wt.start[x] += int32(s)
	}
	wt.taps, wt.w = span, wt.w[:len(wt.start)*span]
}

// ringRows returns how many consecutive source samples (rows, for the vertical pass) must be at
// hand at once to compute the outputs in pairs, 2j and 2j+1, in order, when samples are produced
// in order and only as far as needed: the largest distance from the first sample a pair needs to
// the last sample produced by then. Windows normally move forward; after trim they may step back
// by a few samples, which this accounts for.
func (wt *weights) ringRows() int {
	t, maxEnd, need := wt.taps, 0, 1
	for y := 0; y < len(wt.start); y += 2 {
		lo := int(wt.start[y])
		maxEnd = max(maxEnd, lo+t)
		if y+1 < len(wt.start) {
			s := int(wt.start[y+1])
			lo = min(lo, s)
			maxEnd = max(maxEnd, s+t)
		}
		need = max(need, maxEnd-lo)
	}
	return need
}

// untrimmedTaps is the number of taps makeWeights allocates for an axis, before trim.
func untrimmedTaps(ax axis) int {
	return min(int(math.Ceil(2*lanczosSupport*max(ax.s, 1)))+1, ax.n)
}

// ringBound is an upper bound of makeWeights(ax).ringRows() that needs no weights: windows of t
// untrimmed taps start at most ⌈s⌉ apart and never step back, and trimmed windows lie inside
// them, so a pair of outputs needs at most t + ⌈s⌉ samples at hand.
func ringBound(ax axis) int {
	return min(untrimmedTaps(ax)+int(math.Ceil(ax.s)), ax.n)
}

// firstLastNonZero returns the offsets of the first and last non-zero weight (last < first when all
// are zero).
func firstLastNonZero(ws []int32) (first, last int) {
	first, last = 0, -1
	for k, v := range ws {
		if v != 0 {
			first = k
			break
		}
	}
	for k := len(ws) - 1; k >= 0; k-- {
		if ws[k] != 0 {
			last = k
			break
		}
	}
	return first, last
}
