// This file is a frozen copy of the resizer as it was before rows were streamed (commit 3f17002:
// the whole box-reduced plane packed at once, then a whole transposed intermediate), with every
// package-level name prefixed by "oracle". It is the oracle of TestMatchesOracle — the streaming
// resizer must give the same pixels — and the "old" side of BenchmarkStreaming. Do not edit it
// except to keep it compiling.

package resize

import (
	"encoding/binary"
	"image"
	"image/color"
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
	oracleWeightBits = 14
	oracleWeightOne  = 1 << oracleWeightBits
	oracleInterBits  = 6
)

// lanczosSupport is the radius of the Lanczos kernel, in samples of the coarser grid.
const oracleLanczosSupport = 3

// lanczos3 is the Lanczos kernel with a = 3: sinc(x)·sinc(x/3) for |x| < 3, 0 elsewhere.
func oracleLanczos3(x float64) float64 {
	x = math.Abs(x)
	if x >= oracleLanczosSupport {
		return 0
	}
	if x < 1e-8 {
		return 1
	}
	px := math.Pi * x
	return oracleLanczosSupport * math.Sin(px) * math.Sin(px/oracleLanczosSupport) / (px * px)
}

// lanczosTable holds lanczos3 at lanczosSteps points per unit on [0, 3], for lanczos3Fast.
var oracleLanczosTable = sync.OnceValue(func() []float64 {
	t := make([]float64, oracleLanczosSupport*oracleLanczosSteps+2)
	for i := range t {
		t[i] = oracleLanczos3(float64(i) / oracleLanczosSteps)
	}
	return t
})

const oracleLanczosSteps = 1024

// lanczos3Fast is lanczos3 interpolated linearly in a table: two orders of magnitude cheaper than
// two sines, and within 2·10⁻⁶ of it (linear interpolation errs by at most h²/8 times the largest
// second derivative, which is below 10, with h = 1/1024), far below the 1/16384 resolution of the
// fixed-point weights.
func oracleLanczos3Fast(t []float64, x float64) float64 {
	x = math.Abs(x) * oracleLanczosSteps
	if x >= oracleLanczosSupport*oracleLanczosSteps {
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
type oracleAxis struct {
	n   int     // samples in the source plane along this axis
	out int     // output pixels
	a   float64 // plane coordinate of the output's left edge
	s   float64 // plane samples per output pixel (> 1 shrinks)
}

// maxBoxFactor bounds the box pre-reduction so that a box holds at most 255×255 samples: the
// 16-bit column sums of boxReduce cannot overflow. (Beyond a 510× reduction the Lanczos step takes
// on the rest, with more taps.)
const oracleMaxBoxFactor = 255

// boxRemaining is the largest reduction factor left to the Lanczos pass after the box
// pre-reduction: a reduction by s > boxRemaining first averages boxes of k = ⌈s/boxRemaining⌉
// samples, leaving a Lanczos reduction by s/k ∈ (boxRemaining/2, boxRemaining].
const oracleBoxRemaining = 2

// boxFactor returns the integer box pre-reduction factor for an axis.
func (ax oracleAxis) boxFactor() int {
	if ax.s <= oracleBoxRemaining {
		return 1
	}
	k := int(math.Ceil(ax.s/oracleBoxRemaining - 1e-9))
	return min(max(k, 1), oracleMaxBoxFactor, ax.n)
}

// boxed returns the axis as seen after averaging boxes of k samples: box j covers samples
// [j·k, j·k+k) (the last box may be partial) and has its centre at plane coordinate (j+0.5)·k.
func (ax oracleAxis) boxed(k int) oracleAxis {
	if k == 1 {
		return ax
	}
	fk := float64(k)
	return oracleAxis{n: (ax.n + k - 1) / k, out: ax.out, a: ax.a / fk, s: ax.s / fk}
}

// weights are the precomputed Lanczos3 taps of one axis: output sample x is
//
//	Σ_{k<taps} src[start[x]+k] · w[x·taps+k] / weightOne
//
// Every output has the same number of taps (zero-padded), and every window lies inside [0, n), so
// the inner loops need neither per-output lengths nor bounds handling.
type oracleWeights struct {
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
func oracleMakeWeights(ax oracleAxis) oracleWeights {
	scale := max(ax.s, 1)
	support := oracleLanczosSupport * scale
	taps := min(int(math.Ceil(2*support))+1, ax.n)

	wt := oracleWeights{taps: taps, start: make([]int32, ax.out), w: make([]int32, ax.out*taps)}
	fw := make([]float64, taps)
	table := oracleLanczosTable()
	for x := range ax.out {
		u := ax.a + (float64(x)+0.5)*ax.s

		lo := max(int(math.Ceil(u-0.5-support)), 0)
		hi := min(int(math.Floor(u-0.5+support)), ax.n-1)
		if hi-lo+1 > taps {
			hi = lo + taps - 1
		}
		var sum float64
		for i := lo; i <= hi; i++ {
			f := oracleLanczos3Fast(table, (float64(i)+0.5-u)/scale)
			fw[i-lo] = f
			sum += f
		}
		if hi < lo || sum <= 1e-9 {

			lo = min(max(int(math.Floor(u)), 0), ax.n-1)
			hi = lo
			fw[0], sum = 1, 1
		}

		start := min(lo, ax.n-taps)
		wt.start[x] = int32(start)
		ws := wt.w[x*taps : (x+1)*taps]
		oracleQuantize(ws[lo-start:lo-start+hi-lo+1], fw[:hi-lo+1], sum)
	}
	wt.trim(ax.n)
	return wt
}

// quantize stores f/sum as fixed-point weights in dst that sum to exactly weightOne. The rounding
// residue goes to the largest weight, where it matters least.
func oracleQuantize(dst []int32, f []float64, sum float64) {
	var isum int32
	big := 0
	for i, v := range f {
		q := int32(math.Round(v / sum * oracleWeightOne))
		dst[i] = q
		isum += q
		if q > dst[big] {
			big = i
		}
	}
	dst[big] += oracleWeightOne - isum
}

// trim removes tap columns that are zero for every output (for example, Lanczos3 at scale 1 and
// integer phase is a single tap of weight one), so that identity and near-identity axes cost one
// tap per sample instead of six.
func (wt *oracleWeights) trim(n int) {
	span := 0
	for x := range wt.start {
		f, l := oracleFirstLastNonZero(wt.w[x*wt.taps : (x+1)*wt.taps])
		span = max(span, l-f+1)
	}
	if span >= wt.taps || span <= 0 {
		return
	}
	nw := make([]int32, len(wt.start)*span)
	for x := range wt.start {
		ws := wt.w[x*wt.taps : (x+1)*wt.taps]
		f, l := oracleFirstLastNonZero(ws)
		start := int(wt.start[x]) + f
		off := 0
		if start+span > n {
			off = start + span - n
			start -= off
		}
		copy(nw[x*span+off:(x+1)*span], ws[f:l+1])
		wt.start[x] = int32(start)
	}
	wt.taps, wt.w = span, nw
}

// firstLastNonZero returns the offsets of the first and last non-zero weight (last < first when all
// are zero).
func oracleFirstLastNonZero(ws []int32) (first, last int) {
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

// boxReduce averages boxes of kx×ky samples of src into a new plane. A box row is built by first
// adding its ky source rows column by column (colSums) — the only work done per source sample —
// and then adding kx column sums per box. The last box of a row or column may be partial and is
// then the average of the samples it has.
//
// The averages keep interBits fractional bits, so the box step adds no rounding error worth the
// name, and are returned packed (see "Packed samples" below), bh rows of ⌈bw·c/2⌉ words, ready
// for passV.
func oracleBoxReduce(src oracleSource, kx, ky int, sc *oracleScratch) (out []int64, bw, bh int) {
	p := src.p
	c := p.c
	bw, bh = (p.w+kx-1)/kx, (p.h+ky-1)/ky
	nw := (bw*c + 1) / 2
	out = oracleGrow(&sc.plane, nw*bh)
	n := p.w * c

	acc := make(oracleColSums, 2*((n+7)/8))
	cols := make([]uint16, len(acc)*4)
	var buf0, buf1 []uint8
	if src.conv != nil {
		buf0, buf1 = sc.rowBufs(n)
	}
	rowAt := func(y int, buf []uint8) []uint8 {
		if src.conv == nil {
			return p.row(y)
		}
		src.conv(buf, y)
		return buf
	}
	for j := range bh {
		y0, y1 := j*ky, min(j*ky+ky, p.h)
		clear(acc)
		y := y0
		for ; y+1 < y1; y += 2 {
			acc.add2(rowAt(y, buf0), rowAt(y+1, buf1))
		}
		if y < y1 {
			acc.add1(rowAt(y, buf0))
		}
		acc.extract(cols)
		oracleBoxRow(out[j*nw:(j+1)*nw], cols[:n], p.w, c, kx, y1-y0)
	}
	return out, bw, bh
}

// boxRow turns the column sums of one box row (rows source rows of w pixels with c channels) into
// packed averages of boxes kx pixels wide: word i of dst holds samples 2i and 2i+1, sample
// b·c+ch being channel ch of box b. The last box may be partial.
func oracleBoxRow(dst []int64, cols []uint16, w, c, kx, rows int) {
	cnt := kx * rows
	full := w / kx
	done := 0
	if c == 1 && cnt < 1<<13 {

		m, half := oracleReciprocal(cnt), uint64(cnt/2)
		pairs := full / 2
		d := dst[:pairs]
		switch kx {
		case 2:
			for i := range d {
				p := cols[4*i : 4*i+4 : 4*i+4]
				d[i] = oraclePack(oracleAverage(uint32(p[0])+uint32(p[1]), half, m), oracleAverage(uint32(p[2])+uint32(p[3]), half, m))
			}
		case 3:
			for i := range d {
				p := cols[6*i : 6*i+6 : 6*i+6]
				d[i] = oraclePack(oracleAverage(uint32(p[0])+uint32(p[1])+uint32(p[2]), half, m),
					oracleAverage(uint32(p[3])+uint32(p[4])+uint32(p[5]), half, m))
			}
		default:
			for i := range d {
				p := cols[2*kx*i : 2*kx*(i+1)]
				var s0, s1 uint32
				for _, v := range p[:kx] {
					s0 += uint32(v)
				}
				for _, v := range p[kx:] {
					s1 += uint32(v)
				}
				d[i] = oraclePack(oracleAverage(s0, half, m), oracleAverage(s1, half, m))
			}
		}
		done = 2 * pairs
	}
	if c == 4 && cnt < 1<<13 {

		m, half := oracleReciprocal(cnt), uint64(cnt/2)
		for b := range full {
			p := cols[4*kx*b : 4*kx*(b+1)]
			var s0, s1, s2, s3 uint32
			for len(p) >= 4 {
				s0 += uint32(p[0])
				s1 += uint32(p[1])
				s2 += uint32(p[2])
				s3 += uint32(p[3])
				p = p[4:]
			}
			d := dst[2*b : 2*b+2 : 2*b+2]
			d[0] = oraclePack(oracleAverage(s0, half, m), oracleAverage(s1, half, m))
			d[1] = oraclePack(oracleAverage(s2, half, m), oracleAverage(s3, half, m))
		}
		done = full
	}

	clear(dst[done*c/2:])
	for s := done * c; s < (w+kx-1)/kx*c; s++ {
		b, ch := s/c, s%c
		x0, x1 := b*kx, min(b*kx+kx, w)
		var sum uint32
		for x := x0; x < x1; x++ {
			sum += uint32(cols[x*c+ch])
		}
		n := uint32((x1 - x0) * rows)
		v := int32((sum<<oracleInterBits + n/2) / n)
		lo, hi := oracleUnpack(dst[s/2])
		if s%2 == 0 {
			lo = v
		} else {
			hi = v
		}
		dst[s/2] = oraclePack(lo, hi)
	}
}

// reciprocal and average compute rounded averages with interBits fractional bits without a
// division: average(sum, n/2, reciprocal(n)) = round(sum·2^interBits / n) for n < 2¹³ and
// sum ≤ 255·n.
//
// m = ⌈2⁴⁰/n⌉. With x = sum·2^interBits + n/2 < 2¹⁴·n, x·m/2⁴⁰ = x/n + x·e/2⁴⁰ for some 0 ≤ e < 1,
// and the error term stays below 1/n (so it cannot carry x/n past the next integer) as long as
// x < 2⁴⁰/n, which 2¹⁴·n² < 2⁴⁰, i.e. n < 2¹³, guarantees.
func oracleReciprocal(n int) uint64 { return (uint64(1)<<40 + uint64(n) - 1) / uint64(n) }

func oracleAverage(sum uint32, half, m uint64) int32 {
	return int32(((uint64(sum)<<oracleInterBits + half) * m) >> 40)
}

// colSums holds column sums of 8-bit rows as 16-bit lanes, four per uint64 ("SIMD within a
// register"): word 2j holds columns 8j, 8j+2, 8j+4, 8j+6 and word 2j+1 columns 8j+1, 8j+3, 8j+5,
// 8j+7. Adding a row then costs two 8-byte loads, masks and adds per 8 columns instead of 8
// separate loads, adds and stores. A lane never overflows because at most maxBoxFactor rows are
// added: 255·255 < 2¹⁶.
type oracleColSums []uint64

const oracleEvenBytes = 0x00ff00ff00ff00ff

// add2 adds rows a and b (the same length, at most 4·len(cs) bytes).
func (cs oracleColSums) add2(a, b []uint8) {
	full := len(a) / 8
	c := cs[:2*full]
	b = b[:len(a)]
	for j := range full {
		x := binary.LittleEndian.Uint64(a[8*j:])
		y := binary.LittleEndian.Uint64(b[8*j:])
		c[2*j] += x&oracleEvenBytes + y&oracleEvenBytes
		c[2*j+1] += (x>>8)&oracleEvenBytes + (y>>8)&oracleEvenBytes
	}
	if len(a) > 8*full {
		var ta, tb [8]uint8
		copy(ta[:], a[8*full:])
		copy(tb[:], b[8*full:])
		x, y := binary.LittleEndian.Uint64(ta[:]), binary.LittleEndian.Uint64(tb[:])
		cs[2*full] += x&oracleEvenBytes + y&oracleEvenBytes
		cs[2*full+1] += (x>>8)&oracleEvenBytes + (y>>8)&oracleEvenBytes
	}
}

// add1 adds row a.
func (cs oracleColSums) add1(a []uint8) {
	full := len(a) / 8
	c := cs[:2*full]
	for j := range full {
		x := binary.LittleEndian.Uint64(a[8*j:])
		c[2*j] += x & oracleEvenBytes
		c[2*j+1] += (x >> 8) & oracleEvenBytes
	}
	if len(a) > 8*full {
		var ta [8]uint8
		copy(ta[:], a[8*full:])
		x := binary.LittleEndian.Uint64(ta[:])
		cs[2*full] += x & oracleEvenBytes
		cs[2*full+1] += (x >> 8) & oracleEvenBytes
	}
}

// extract stores the column sums in column order in cols (len(cols) = 4·len(cs)).
func (cs oracleColSums) extract(cols []uint16) {
	for j := range len(cs) / 2 {
		e, o := cs[2*j], cs[2*j+1]
		d := cols[8*j : 8*j+8 : 8*j+8]
		d[0], d[1], d[2], d[3] = uint16(e), uint16(o), uint16(e>>16), uint16(o>>16)
		d[4], d[5], d[6], d[7] = uint16(e>>32), uint16(o>>32), uint16(e>>48), uint16(o>>48)
	}
}

// pack returns the word holding lo and hi.
func oraclePack(lo, hi int32) int64 { return int64(hi)<<32 + int64(lo) }

// unpack returns the two lanes of a word.
func oracleUnpack(w int64) (lo, hi int32) {
	lo = int32(w)
	return lo, int32((w - int64(lo)) >> 32)
}

// packRow packs an 8-bit row into words, scaling the samples to interBits fractional bits. An odd
// final sample is paired with zero.
func oraclePackRow(dst []int64, row []uint8) {
	n := len(row) / 2
	d := dst[:n]
	for i := range d {
		p := row[2*i : 2*i+2 : 2*i+2]
		d[i] = oraclePack(int32(p[0])<<oracleInterBits, int32(p[1])<<oracleInterBits)
	}
	if len(row)%2 == 1 {
		dst[n] = oraclePack(int32(row[len(row)-1])<<oracleInterBits, 0)
	}
}

// accumulate sets acc[i] = round + Σ_k ws[k]·in[(st+k)·n + i] over whole packed rows of n words.
// Four rows per sweep keep the loads and stores of acc to a quarter.
func oracleAccumulate(acc, in []int64, n, st int, ws []int32) {
	const round = 1<<(oracleWeightBits-1) + 1<<(oracleWeightBits-1)<<32 // one half in each lane
	k := 0
	if len(ws) >= 2 {
		w0, w1 := int64(ws[0]), int64(ws[1])
		r0, r1 := in[st*n:(st+1)*n], in[(st+1)*n:(st+2)*n]
		r0, r1 = r0[:len(acc)], r1[:len(acc)]
		for i := range acc {
			acc[i] = round + r0[i]*w0 + r1[i]*w1
		}
		k = 2
	} else {
		for i := range acc {
			acc[i] = round
		}
	}
	for ; k+3 < len(ws); k += 4 {
		w0, w1, w2, w3 := int64(ws[k]), int64(ws[k+1]), int64(ws[k+2]), int64(ws[k+3])
		o := (st + k) * n
		r0, r1, r2, r3 := in[o:o+n], in[o+n:o+2*n], in[o+2*n:o+3*n], in[o+3*n:o+4*n]
		r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
		for i := range acc {
			acc[i] += r0[i]*w0 + r1[i]*w1 + r2[i]*w2 + r3[i]*w3
		}
	}
	for ; k < len(ws); k++ {
		w0 := int64(ws[k])
		r0 := in[(st+k)*n : (st+k+1)*n]
		r0 = r0[:len(acc)]
		for i := range acc {
			acc[i] += r0[i] * w0
		}
	}
}

// lane returns a lane of an accumulated word scaled back to interBits fractional bits.
func oracleLane(v int32) int32 {
	return min(max(v>>oracleWeightBits, -1<<15), 1<<15-1)
}

// passV filters a packed plane of rows of n words (ns samples per row) along its columns with wy,
// and writes the result transposed and packed: sample s of output rows 2j and 2j+1 goes to word
// s·J + j of out, J = ⌈len(wy.start)/2⌉. For c interleaved channels, the c·J words from
// x·c·J on are then one packed "row" for pixel column x, which is what the final pass along x
// (finishRGBA, finishGray, resizeYCbCr) streams over.
func oraclePassV(in []int64, n, ns int, wy *oracleWeights, out []int64, acc0, acc1 []int64) {
	oh := len(wy.start)
	t := wy.taps
	J := (oh + 1) / 2
	acc0, acc1 = acc0[:n], acc1[:n]
	for j := range J {
		y := 2 * j
		oracleAccumulate(acc0, in, n, int(wy.start[y]), wy.w[y*t:y*t+t])
		if y+1 < oh {
			oracleAccumulate(acc1, in, n, int(wy.start[y+1]), wy.w[(y+1)*t:(y+1)*t+t])
		} else {
			clear(acc1)
		}

		for i, a := range acc0 {
			lo0, hi0 := oracleUnpack(a)
			lo1, hi1 := oracleUnpack(acc1[i])
			s := 2 * i
			out[s*J+j] = oraclePack(oracleLane(lo0), oracleLane(lo1))
			if s+1 < ns {
				out[(s+1)*J+j] = oraclePack(oracleLane(hi0), oracleLane(hi1))
			}
		}
	}
}

// final8 returns an accumulated lane as an 8-bit value, rounded (accumulate already added one
// half of the weight scale; this adds the rest of one half of the output scale) and clamped.
func oracleFinal8(v int32) uint8 {
	const round = 1<<(oracleWeightBits+oracleInterBits-1) - 1<<(oracleWeightBits-1)
	u := (v + round) >> (oracleWeightBits + oracleInterBits)
	if uint32(u) > 255 {
		return uint8(^(u >> 31))
	}
	return uint8(u)
}

// Resize returns src scaled to exactly w×h as a new *image.RGBA (premultiplied alpha) with
// Bounds() = (0,0)-(w,h). Widths and heights below 1 are treated as 1. src may be any image.Image,
// including a sub-image whose Bounds().Min is not the origin; an empty src gives a transparent
// result. Up- and downscaling and different factors per axis all work; when w×h equals the source
// size the result is a converted copy (no filtering).
//
// Fast paths: *image.YCbCr (every subsample ratio image/jpeg produces), *image.NYCbCrA,
// *image.RGBA, *image.NRGBA, *image.Gray, *image.Paletted and *image.CMYK; other types are read
// through RGBA64At. Resize runs in the calling goroutine only and is safe for concurrent use.
func oracleResize(src image.Image, w, h int) *image.RGBA {
	w, h = max(w, 1), max(h, 1)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sb := src.Bounds()
	if sb.Empty() {
		return dst
	}
	if sb.Dx() == w && sb.Dy() == h {
		oracleCopyConvert(dst, src)
		return dst
	}
	ax := oracleAxis{n: sb.Dx(), out: w, s: float64(sb.Dx()) / float64(w)}
	ay := oracleAxis{n: sb.Dy(), out: h, s: float64(sb.Dy()) / float64(h)}
	var sc oracleScratch
	switch s := src.(type) {
	case *image.YCbCr:
		if oracleYcbcrOK(s) {
			oracleResizeYCbCr(dst, s, ax, ay, &sc)
			return dst
		}
	case *image.Gray:
		p := oraclePlane{pix: s.Pix[s.PixOffset(sb.Min.X, sb.Min.Y):], stride: s.Stride, w: sb.Dx(), h: sb.Dy(), c: 1}
		pl := oracleNewPlan(ax, ay)
		trans := pl.run(oracleSource{p: p}, &sc, &sc.trans)
		oracleFinishGray(dst, trans, &pl.wx, &sc)
		return dst
	}
	rs := oracleRgbaSource(src)
	pl := oracleNewPlan(ax, ay)
	trans := pl.run(rs, &sc, &sc.trans)
	oracleFinishRGBA(dst, trans, &pl.wx, rs.p.transparent, &sc)
	return dst
}

// scratch holds the buffers one Resize call reuses across passes and planes.
type oracleScratch struct {
	plane                   []int64 // the packed input of passV
	trans, transCb, transCr []int64 // passV's transposed outputs
	acc0, acc1, acc2        []int64
	row0, row1              []uint8
}

// grow returns (*buf)[:n], reallocating when the capacity is too small. The contents are not
// cleared.
func oracleGrow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

func (sc *oracleScratch) rowBufs(n int) (a, b []uint8) {
	return oracleGrow(&sc.row0, n), oracleGrow(&sc.row1, n)
}

// plan is what resizing planes of one geometry needs: the box pre-reduction factors and the
// Lanczos weights of both axes. The Cb and Cr planes of an image share one.
type oraclePlan struct {
	kx, ky int
	wx, wy oracleWeights
}

func oracleNewPlan(ax, ay oracleAxis) *oraclePlan {
	kx, ky := ax.boxFactor(), ay.boxFactor()
	return &oraclePlan{kx: kx, ky: ky, wx: oracleMakeWeights(ax.boxed(kx)), wy: oracleMakeWeights(ay.boxed(ky))}
}

// run does the first half of resizing src (whose size must match the axes the plan was made for):
// the box average (or just packing), then the Lanczos pass along y. It returns passV's transposed
// output, stored in *trans; the caller finishes with the pass along x.
func (pl *oraclePlan) run(src oracleSource, sc *oracleScratch, trans *[]int64) []int64 {
	c := src.p.c
	var in []int64
	var w, h int
	if pl.kx > 1 || pl.ky > 1 {
		in, w, h = oracleBoxReduce(src, pl.kx, pl.ky, sc)
	} else {

		w, h = src.p.w, src.p.h
		nw := (w*c + 1) / 2
		in = oracleGrow(&sc.plane, nw*h)
		buf, _ := sc.rowBufs(w * c)
		for y := range h {
			row := buf
			if src.conv != nil {
				src.conv(buf, y)
			} else {
				row = src.p.row(y)
			}
			oraclePackRow(in[y*nw:(y+1)*nw], row)
		}
	}
	n := (w*c + 1) / 2
	J := (len(pl.wy.start) + 1) / 2
	t := oracleGrow(trans, w*c*J)
	oraclePassV(in, n, w*c, &pl.wy, t, oracleGrow(&sc.acc0, n), oracleGrow(&sc.acc1, n))
	return t
}

// finishRGBA finishes a 4-channel (premultiplied RGBA) plane.
func oracleFinishRGBA(dst *image.RGBA, trans []int64, wx *oracleWeights, transparent bool, sc *oracleScratch) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	J := (h + 1) / 2
	acc := oracleGrow(&sc.acc2, 4*J)
	for x := range w {
		oracleAccumulate(acc, trans, 4*J, int(wx.start[x]), wx.w[x*wx.taps:(x+1)*wx.taps])
		ar, ag, ab, aa := acc[:J], acc[J:2*J], acc[2*J:3*J], acc[3*J:4*J]
		for j := range J {
			r0, r1 := oracleUnpack(ar[j])
			g0, g1 := oracleUnpack(ag[j])
			b0, b1 := oracleUnpack(ab[j])
			a0, a1 := oracleUnpack(aa[j])
			oracleStoreRGBA(dst.Pix[(2*j)*dst.Stride+4*x:], r0, g0, b0, a0, transparent)
			if 2*j+1 < h {
				oracleStoreRGBA(dst.Pix[(2*j+1)*dst.Stride+4*x:], r1, g1, b1, a1, transparent)
			}
		}
	}
}

func oracleStoreRGBA(p []uint8, r, g, b, a int32, transparent bool) {
	p = p[:4:4]
	p[0], p[1], p[2], p[3] = oracleFinal8(r), oracleFinal8(g), oracleFinal8(b), oracleFinal8(a)
	if transparent {

		p[0], p[1], p[2] = min(p[0], p[3]), min(p[1], p[3]), min(p[2], p[3])
	}
}

// finishGray finishes a grey plane.
func oracleFinishGray(dst *image.RGBA, trans []int64, wx *oracleWeights, sc *oracleScratch) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	J := (h + 1) / 2
	acc := oracleGrow(&sc.acc2, J)
	for x := range w {
		oracleAccumulate(acc, trans, J, int(wx.start[x]), wx.w[x*wx.taps:(x+1)*wx.taps])
		for j, v := range acc {
			v0, v1 := oracleUnpack(v)
			p := dst.Pix[(2*j)*dst.Stride+4*x:][:4:4]
			g := oracleFinal8(v0)
			p[0], p[1], p[2], p[3] = g, g, g, 0xff
			if 2*j+1 < h {
				p := dst.Pix[(2*j+1)*dst.Stride+4*x:][:4:4]
				g := oracleFinal8(v1)
				p[0], p[1], p[2], p[3] = g, g, g, 0xff
			}
		}
	}
}

// resizeYCbCr resizes the Y, Cb and Cr planes of s separately to the output size and converts only
// the result to RGB. Colour conversion is affine, so filtering before it equals filtering after it
// up to rounding and to the clamping of out-of-gamut colours, and the conversion is done before
// either (from samples with interBits fractional bits).
func oracleResizeYCbCr(dst *image.RGBA, s *image.YCbCr, ax, ay oracleAxis, sc *oracleScratch) {
	r := s.Rect
	w, h := ax.out, ay.out
	fx, fy := oracleSubsampling(s.SubsampleRatio)

	ypl := oracleNewPlan(ax, ay)
	yp := oraclePlane{pix: s.Y[s.YOffset(r.Min.X, r.Min.Y):], stride: s.YStride, w: r.Dx(), h: r.Dy(), c: 1}
	ty := ypl.run(oracleSource{p: yp}, sc, &sc.trans)

	cx, cy := oracleChromaAxis(r.Min.X, r.Max.X, fx, w), oracleChromaAxis(r.Min.Y, r.Max.Y, fy, h)
	cpl := oracleNewPlan(cx, cy)
	co := s.COffset(r.Min.X, r.Min.Y)
	cbp := oraclePlane{pix: s.Cb[co:], stride: s.CStride, w: cx.n, h: cy.n, c: 1}
	crp := cbp
	crp.pix = s.Cr[co:]
	tcb := cpl.run(oracleSource{p: cbp}, sc, &sc.transCb)
	tcr := cpl.run(oracleSource{p: crp}, sc, &sc.transCr)

	J := (h + 1) / 2
	accY, accB, accR := oracleGrow(&sc.acc0, J), oracleGrow(&sc.acc1, J), oracleGrow(&sc.acc2, J)
	for x := range w {
		oracleAccumulate(accY, ty, J, int(ypl.wx.start[x]), ypl.wx.w[x*ypl.wx.taps:(x+1)*ypl.wx.taps])
		oracleAccumulate(accB, tcb, J, int(cpl.wx.start[x]), cpl.wx.w[x*cpl.wx.taps:(x+1)*cpl.wx.taps])
		oracleAccumulate(accR, tcr, J, int(cpl.wx.start[x]), cpl.wx.w[x*cpl.wx.taps:(x+1)*cpl.wx.taps])
		accB, accR := accB[:len(accY)], accR[:len(accY)]
		for j, v := range accY {
			y0, y1 := oracleUnpack(v)
			b0, b1 := oracleUnpack(accB[j])
			r0, r1 := oracleUnpack(accR[j])
			p := dst.Pix[(2*j)*dst.Stride+4*x:][:4:4]
			p[0], p[1], p[2] = oracleYcbcrFracToRGB(oracleLane(y0), oracleLane(b0), oracleLane(r0))
			p[3] = 0xff
			if 2*j+1 < h {
				p := dst.Pix[(2*j+1)*dst.Stride+4*x:][:4:4]
				p[0], p[1], p[2] = oracleYcbcrFracToRGB(oracleLane(y1), oracleLane(b1), oracleLane(r1))
				p[3] = 0xff
			}
		}
	}
}

// chromaAxis maps the output axis onto a chroma plane subsampled by f along it, for luma coordinates
// [lo, hi) (lo ≥ 0). Chroma sample c (absolute) covers luma [c·f, c·f+f); the plane starts at the
// sample containing lo, so the output's left edge, luma lo, is at plane coordinate (lo mod f)/f.
func oracleChromaAxis(lo, hi, f, out int) oracleAxis {
	c0 := lo / f
	return oracleAxis{
		n:   (hi-1)/f - c0 + 1,
		out: out,
		a:   float64(lo-c0*f) / float64(f),
		s:   float64(hi-lo) / float64(out) / float64(f),
	}
}

// copyConvert converts src to RGBA pixel by pixel into dst, which has the same size.
func oracleCopyConvert(dst *image.RGBA, src image.Image) {
	rs := oracleRgbaSource(src)
	p := rs.p
	for y := range p.h {
		d := dst.Pix[y*dst.Stride : y*dst.Stride+p.w*4]
		if rs.conv != nil {
			rs.conv(d, y)
		} else {
			copy(d, p.row(y))
		}
	}
}

// plane is an 8-bit image in memory with c interleaved channels (c = 1: grey, or one of Y, Cb, Cr;
// c = 4: premultiplied RGBA).
type oraclePlane struct {
	pix         []uint8
	stride      int
	w, h, c     int
	transparent bool // only meaningful for c = 4: may contain alpha < 255
}

func (p *oraclePlane) row(y int) []uint8 {
	o := y * p.stride
	return p.pix[o : o+p.w*p.c]
}

// source is where the pixels to resize come from: a plane that is already in memory in a usable
// format (RGBA, Gray, the planes of a YCbCr), or conv, which converts row y (0-based) of the source
// to premultiplied RGBA in dst. Converted rows are produced one at a time, so that a large source
// is never converted whole.
type oracleSource struct {
	p    oraclePlane // for conv != nil only w, h, c and transparent are set
	conv func(dst []uint8, y int)
}

// premul returns the 8-bit premultiplied value of an 8-bit straight-alpha colour channel, rounded
// exactly as image/draw and color.RGBAModel do it.
func oraclePremul(v, a uint32) uint8 {
	return uint8((v * 0x101 * (a * 0x101) / 0xffff) >> 8)
}

// rgbaSource returns a premultiplied RGBA source for any image, with fast row converters for the
// common types and RGBA64At (or At) for the rest. (*image.Gray and *image.YCbCr have their own
// 1-channel paths in Resize; they get here only for copies and unusual layouts.)
func oracleRgbaSource(src image.Image) oracleSource {
	r := src.Bounds()
	w := r.Dx()
	conv := func(f func(dst []uint8, y int)) oracleSource {
		return oracleSource{p: oraclePlane{w: w, h: r.Dy(), c: 4, transparent: true}, conv: f}
	}
	switch s := src.(type) {
	case *image.RGBA:
		return oracleSource{p: oraclePlane{pix: s.Pix[s.PixOffset(r.Min.X, r.Min.Y):], stride: s.Stride, w: w, h: r.Dy(), c: 4, transparent: true}}
	case *image.NRGBA:
		return conv(func(dst []uint8, y int) {
			sp := s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w*4]
			dst = dst[:len(sp)]
			for i := 0; i+3 < len(sp); i += 4 {
				d, p := dst[i:i+4:i+4], sp[i:i+4:i+4]
				switch a := uint32(p[3]); a {
				case 0xff:
					d[0], d[1], d[2], d[3] = p[0], p[1], p[2], 0xff
				case 0:
					d[0], d[1], d[2], d[3] = 0, 0, 0, 0
				default:
					d[0], d[1], d[2], d[3] = oraclePremul(uint32(p[0]), a), oraclePremul(uint32(p[1]), a), oraclePremul(uint32(p[2]), a), uint8(a)
				}
			}
		})
	case *image.Paletted:
		// Convert the palette once; each pixel is then a table look-up. Indices beyond the palette
		// (invalid; At would panic) read as transparent black.
		var lut [256][4]uint8
		for i, c := range s.Palette {
			if i >= len(lut) || c == nil {
				continue
			}
			cr, cg, cb, ca := c.RGBA()
			lut[i] = [4]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), uint8(ca >> 8)}
		}
		return conv(func(dst []uint8, y int) {
			sp := s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w]
			for x, idx := range sp {
				copy(dst[x*4:x*4+4], lut[idx][:])
			}
		})
	case *image.Gray:
		src := conv(func(dst []uint8, y int) {
			oracleGrayToRGBA(dst, s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w])
		})
		src.p.transparent = false
		return src
	case *image.YCbCr:
		if oracleYcbcrOK(s) {
			src := conv(func(dst []uint8, y int) { oracleYcbcrRow(dst, s, r.Min.Y+y, nil) })
			src.p.transparent = false
			return src
		}
	case *image.NYCbCrA:
		if oracleYcbcrOK(&s.YCbCr) {
			return conv(func(dst []uint8, y int) {
				oracleYcbcrRow(dst, &s.YCbCr, r.Min.Y+y, s.A[s.AOffset(r.Min.X, r.Min.Y+y):][:w])
			})
		}
	case *image.CMYK:
		src := conv(func(dst []uint8, y int) {
			sp := s.Pix[s.PixOffset(r.Min.X, r.Min.Y+y):][:w*4]
			for i := 0; i+3 < len(sp); i += 4 {
				d := dst[i : i+4 : i+4]
				d[0], d[1], d[2] = color.CMYKToRGB(sp[i], sp[i+1], sp[i+2], sp[i+3])
				d[3] = 0xff
			}
		})
		src.p.transparent = false
		return src
	}
	if s, ok := src.(image.RGBA64Image); ok {

		return conv(func(dst []uint8, y int) {
			for x := range w {
				c := s.RGBA64At(r.Min.X+x, r.Min.Y+y)
				d := dst[x*4 : x*4+4 : x*4+4]
				d[0], d[1], d[2], d[3] = uint8(c.R>>8), uint8(c.G>>8), uint8(c.B>>8), uint8(c.A>>8)
			}
		})
	}
	return conv(func(dst []uint8, y int) {
		for x := range w {
			cr, cg, cb, ca := src.At(r.Min.X+x, r.Min.Y+y).RGBA()
			d := dst[x*4 : x*4+4 : x*4+4]
			d[0], d[1], d[2], d[3] = uint8(cr>>8), uint8(cg>>8), uint8(cb>>8), uint8(ca>>8)
		}
	})
}

// grayToRGBA expands grey values into opaque RGBA pixels (len(dst) ≥ 4·len(g)).
func oracleGrayToRGBA(dst []uint8, g []uint8) {
	dst = dst[:len(g)*4]
	for i, v := range g {
		d := dst[i*4 : i*4+4 : i*4+4]
		d[0], d[1], d[2], d[3] = v, v, v, 0xff
	}
}

// subsampling returns the horizontal and vertical chroma subsampling factors of a ratio, or 0, 0
// for a ratio this package does not know.
func oracleSubsampling(r image.YCbCrSubsampleRatio) (fx, fy int) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 0, 0
}

// ycbcrOK reports whether the fast paths can index s's planes directly: a known subsampling ratio
// and a non-negative origin (image.YCbCr's chroma indexing truncates towards zero, which for
// negative coordinates is not a plain floor; such images take the generic path).
func oracleYcbcrOK(s *image.YCbCr) bool {
	fx, _ := oracleSubsampling(s.SubsampleRatio)
	return fx != 0 && s.Rect.Min.X >= 0 && s.Rect.Min.Y >= 0
}

// ycbcrRow converts row y (absolute) of s to RGBA exactly as s.At does: a pixel takes the chroma
// sample whose block contains it. With a non-nil alpha row (an image.NYCbCrA), the colour is
// premultiplied by it.
func oracleYcbcrRow(dst []uint8, s *image.YCbCr, y int, alpha []uint8) {
	r := s.Rect
	w := r.Dx()
	fx, _ := oracleSubsampling(s.SubsampleRatio)
	yp := s.Y[s.YOffset(r.Min.X, y):][:w]
	co := s.COffset(r.Min.X, y)
	cb, cr := s.Cb[co:], s.Cr[co:]
	c0 := r.Min.X / fx
	for x, yy := range yp {
		ci := (r.Min.X+x)/fx - c0
		d := dst[x*4 : x*4+4 : x*4+4]
		d[0], d[1], d[2] = oracleYcbcrToRGB(yy, cb[ci], cr[ci])
		d[3] = 0xff
		if alpha != nil {
			a := uint32(alpha[x])
			d[0], d[1], d[2], d[3] = oraclePremul(uint32(d[0]), a), oraclePremul(uint32(d[1]), a), oraclePremul(uint32(d[2]), a), uint8(a)
		}
	}
}

// ycbcrToRGB is color.YCbCrToRGB (same constants, same rounding, same results), written so that
// the compiler inlines it.
func oracleYcbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	g := yy1 - 22554*cb1 - 46802*cr1
	b := yy1 + 116130*cb1
	return oracleClampShift16(r), oracleClampShift16(g), oracleClampShift16(b)
}

// clampShift16 returns v>>16 clamped to [0, 255].
func oracleClampShift16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// ycbcrFracToRGB is ycbcrToRGB for Y, Cb and Cr with interBits fractional bits (and possibly
// outside [0, 255], from Lanczos overshoot): the colour is converted before it is rounded or
// clamped, which is what filtering in RGB would have given. For whole values it returns exactly
// what ycbcrToRGB returns (the same formula with every term scaled by 2^interBits).
func oracleYcbcrFracToRGB(y, cb, cr int32) (uint8, uint8, uint8) {
	const half = 128 << oracleInterBits
	yy1 := int64(y) * 0x10101
	cb1 := int64(cb) - half
	cr1 := int64(cr) - half
	r := (yy1 + 91881*cr1) >> oracleInterBits
	g := (yy1 - 22554*cb1 - 46802*cr1) >> oracleInterBits
	b := (yy1 + 116130*cb1) >> oracleInterBits
	return oracleClampShift16Wide(r), oracleClampShift16Wide(g), oracleClampShift16Wide(b)
}

// clampShift16Wide returns v>>16 clamped to [0, 255].
func oracleClampShift16Wide(v int64) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}
