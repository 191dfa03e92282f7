package resize

import "encoding/binary"

// vpass streams one plane through the first two steps of the pipeline: source rows are
// box-averaged (or just packed) one boxed row at a time into a ring that holds only the boxed rows
// the Lanczos filter along y still needs, and each pair of output rows is filtered from the ring
// and written, transposed, into a strip (see pair). The memory it holds is the ring and the
// buffers of rowWork: a few rows, whatever the height of the source.
//
// A box row is built by first adding its ky source rows column by column (colSums) — the only
// work done per source sample — and then adding kx column sums per box. The last box of a row or
// column may be partial and is then the average of the samples it has. The averages keep
// interBits fractional bits, so the box step adds no rounding error worth the name, and are
// packed (see "Packed samples" below): a boxed row is ⌈bw·c/2⌉ words.
type vpass struct {
	src    source
	kx, ky int
	ns, n  int // samples and packed words per boxed row
	wy     *weights
	ring   [][]int64 // boxed row r is ring[r%len(ring)]
	next   int       // the boxed rows produced so far
	window [][]int64 // the ring rows of one output row's taps
	rw     *rowWork
}

// rowWork holds the buffers the vpasses of one Resize call share. Each is used only within one
// call of vpass.pair, so the planes of an image can take turns with them.
type rowWork struct {
	sums       colSums  // column sums of the source rows of one box row
	cols       []uint16 // the same, extracted in column order
	buf0, buf1 []uint8  // converted source rows
	acc0, acc1 []int64  // two output rows of the Lanczos pass along y
}

// newRowWork returns the buffers for vpasses of at most n words per boxed row, over sources of at
// most ns samples per row; box says whether any plane is box-averaged, conv whether the source
// is converted row by row (then twice says whether box rows of several source rows are added).
func newRowWork(n, ns int, box, conv, twice bool) *rowWork {
	rw := &rowWork{acc0: make([]int64, n), acc1: make([]int64, n)}
	if box {
		rw.sums = make(colSums, 2*((ns+7)/8))
		rw.cols = make([]uint16, len(rw.sums)*4)
	}
	if conv {
		rw.buf0 = make([]uint8, ns)
		if box && twice {
			rw.buf1 = make([]uint8, ns)
		}
	}
	return rw
}

// newVPass prepares the vertical pass of src, whose size must match the axes pl was made for.
func newVPass(src source, pl *plan, rw *rowWork) vpass {
	ns := pl.bw * src.p.c
	n := (ns + 1) / 2
	rows := pl.wy.ringRows()
	ring := make([]int64, rows*n)
	v := vpass{src: src, kx: pl.kx, ky: pl.ky, ns: ns, n: n, wy: &pl.wy,
		ring: make([][]int64, rows), window: make([][]int64, pl.wy.taps), rw: rw}
	for i := range v.ring {
		v.ring[i] = ring[i*n : (i+1)*n : (i+1)*n]
	}
	return v
}

// row returns source row y (0-based), converting it into buf if need be.
func (v *vpass) row(y int, buf []uint8) []uint8 {
	if v.src.conv == nil {
		return v.src.p.row(y)
	}
	v.src.conv(buf, y)
	return buf
}

// produce computes boxed rows up to (not including) end into the ring.
func (v *vpass) produce(end int) {
	p, rw := &v.src.p, v.rw
	for ; v.next < end; v.next++ {
		r := v.next
		dst := v.ring[r%len(v.ring)]
		if v.kx == 1 && v.ky == 1 {
			packRow(dst, v.row(r, rw.buf0))
			continue
		}
		y0, y1 := r*v.ky, min(r*v.ky+v.ky, p.h)
		// This plane's share of the sums (the buffers fit the widest plane).
		sums := rw.sums[:2*((p.w*p.c+7)/8)]
		clear(sums)
		y := y0
		for ; y+1 < y1; y += 2 {
			sums.add2(v.row(y, rw.buf0), v.row(y+1, rw.buf1))
		}
		if y < y1 {
			sums.add1(v.row(y, rw.buf0))
		}
		cols := rw.cols[:4*len(sums)]
		sums.extract(cols)
		boxRow(dst, cols[:p.w*p.c], p.w, p.c, v.kx, y1-y0)
	}
}

// taps returns the ring rows of output row y's window (which must have been produced, and not yet
// overwritten) and its weights.
func (v *vpass) taps(y int) ([][]int64, []int32) {
	t := v.wy.taps
	i := int(v.wy.start[y]) % len(v.ring)
	for k := range v.window {
		v.window[k] = v.ring[i]
		if i++; i == len(v.ring) {
			i = 0
		}
	}
	return v.window, v.wy.w[y*t : y*t+t]
}

// pair filters output rows 2j and 2j+1 along y (the second is zero when the output has an odd
// number of rows and 2j+1 is past it) and writes them transposed and packed into a strip of jl
// pairs, as pair jj of it: sample s of the two rows goes to word s·jl + jj of out. For c
// interleaved channels, the c·jl words from x·c·jl on are then one packed "row" for pixel column
// x, which is what the final pass along x (finishRGBA, finishGray, resizeYCbCr) streams over.
//
// The boxed rows are produced as the windows reach them; ringRows guarantees that the rows a pair
// needs are still in the ring.
func (v *vpass) pair(j int, out []int64, jl, jj int) {
	wy, rw := v.wy, v.rw
	oh, t := len(wy.start), wy.taps
	y := 2 * j
	end := int(wy.start[y]) + t
	if y+1 < oh {
		end = max(end, int(wy.start[y+1])+t)
	}
	v.produce(end)
	acc0, acc1 := rw.acc0[:v.n], rw.acc1[:v.n]
	rows, ws := v.taps(y)
	accumulateRows(acc0, rows, ws)
	if y+1 < oh {
		rows, ws := v.taps(y + 1)
		accumulateRows(acc1, rows, ws)
	} else {
		clear(acc1)
	}
	// The 2×2 transpose: words (a, b) of rows y and y+1 become words (a_y, a_y+1) and
	// (b_y, b_y+1).
	ns := v.ns
	for i, a := range acc0 {
		lo0, hi0 := unpack(a)
		lo1, hi1 := unpack(acc1[i])
		s := 2 * i
		out[s*jl+jj] = pack(lane(lo0), lane(lo1))
		if s+1 < ns {
			out[(s+1)*jl+jj] = pack(lane(hi0), lane(hi1))
		}
	}
}

// boxRow turns the column sums of one box row (rows source rows of w pixels with c channels) into
// packed averages of boxes kx pixels wide: word i of dst holds samples 2i and 2i+1, sample
// b·c+ch being channel ch of box b. The last box may be partial.
func boxRow(dst []int64, cols []uint16, w, c, kx, rows int) {
	cnt := kx * rows
	full := w / kx // boxes that are kx pixels wide
	done := 0      // boxes done by the fast paths (c = 1: an even number)
	if c == 1 && cnt < 1<<13 {
		// Two full boxes, one packed word, per iteration.
		m, half := reciprocal(cnt), uint64(cnt/2)
		pairs := full / 2
		d := dst[:pairs]
		switch kx {
		case 2:
			for i := range d {
				p := cols[4*i : 4*i+4 : 4*i+4]
				d[i] = pack(average(uint32(p[0])+uint32(p[1]), half, m), average(uint32(p[2])+uint32(p[3]), half, m))
			}
		case 3:
			for i := range d {
				p := cols[6*i : 6*i+6 : 6*i+6]
				d[i] = pack(average(uint32(p[0])+uint32(p[1])+uint32(p[2]), half, m),
					average(uint32(p[3])+uint32(p[4])+uint32(p[5]), half, m))
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
				d[i] = pack(average(s0, half, m), average(s1, half, m))
			}
		}
		done = 2 * pairs
	}
	if c == 4 && cnt < 1<<13 {
		// One full box, two packed words, per iteration.
		m, half := reciprocal(cnt), uint64(cnt/2)
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
			d[0] = pack(average(s0, half, m), average(s1, half, m))
			d[1] = pack(average(s2, half, m), average(s3, half, m))
		}
		done = full
	}
	// The general case, and what the fast path left (at most a full and a partial box): one
	// sample at a time. done·c is even, so the remaining words are whole; clearing them first
	// keeps a padding lane at the end zero.
	clear(dst[done*c/2:])
	for s := done * c; s < (w+kx-1)/kx*c; s++ {
		b, ch := s/c, s%c
		x0, x1 := b*kx, min(b*kx+kx, w)
		var sum uint32
		for x := x0; x < x1; x++ {
			sum += uint32(cols[x*c+ch])
		}
		n := uint32((x1 - x0) * rows)
		v := int32((sum<<interBits + n/2) / n)
		lo, hi := unpack(dst[s/2])
		if s%2 == 0 {
			lo = v
		} else {
			hi = v
		}
		dst[s/2] = pack(lo, hi)
	}
}

// reciprocal and average compute rounded averages with interBits fractional bits without a
// division: average(sum, n/2, reciprocal(n)) = round(sum·2^interBits / n) for n < 2¹³ and
// sum ≤ 255·n.
//
// m = ⌈2⁴⁰/n⌉. With x = sum·2^interBits + n/2 < 2¹⁴·n, x·m/2⁴⁰ = x/n + x·e/2⁴⁰ for some 0 ≤ e < 1,
// and the error term stays below 1/n (so it cannot carry x/n past the next integer) as long as
// x < 2⁴⁰/n, which 2¹⁴·n² < 2⁴⁰, i.e. n < 2¹³, guarantees.
func reciprocal(n int) uint64 { return (uint64(1)<<40 + uint64(n) - 1) / uint64(n) }

func average(sum uint32, half, m uint64) int32 {
	return int32(((uint64(sum)<<interBits + half) * m) >> 40)
}

// colSums holds column sums of 8-bit rows as 16-bit lanes, four per uint64 ("SIMD within a
// register"): word 2j holds columns 8j, 8j+2, 8j+4, 8j+6 and word 2j+1 columns 8j+1, 8j+3, 8j+5,
// 8j+7. Adding a row then costs two 8-byte loads, masks and adds per 8 columns instead of 8
// separate loads, adds and stores. A lane never overflows because at most maxBoxFactor rows are
// added: 255·255 < 2¹⁶.
type colSums []uint64

const evenBytes = 0x00ff00ff00ff00ff

// add2 adds rows a and b (the same length, at most 4·len(cs) bytes).
func (cs colSums) add2(a, b []uint8) {
	full := len(a) / 8
	c := cs[:2*full]
	b = b[:len(a)]
	for j := range full {
		x := binary.LittleEndian.Uint64(a[8*j:])
		y := binary.LittleEndian.Uint64(b[8*j:])
		c[2*j] += x&evenBytes + y&evenBytes
		c[2*j+1] += (x>>8)&evenBytes + (y>>8)&evenBytes
	}
	if len(a) > 8*full {
		var ta, tb [8]uint8
		copy(ta[:], a[8*full:])
		copy(tb[:], b[8*full:])
		x, y := binary.LittleEndian.Uint64(ta[:]), binary.LittleEndian.Uint64(tb[:])
		cs[2*full] += x&evenBytes + y&evenBytes
		cs[2*full+1] += (x>>8)&evenBytes + (y>>8)&evenBytes
	}
}

// add1 adds row a.
func (cs colSums) add1(a []uint8) {
	full := len(a) / 8
	c := cs[:2*full]
	for j := range full {
		x := binary.LittleEndian.Uint64(a[8*j:])
		c[2*j] += x & evenBytes
		c[2*j+1] += (x >> 8) & evenBytes
	}
	if len(a) > 8*full {
		var ta [8]uint8
		copy(ta[:], a[8*full:])
		x := binary.LittleEndian.Uint64(ta[:])
		cs[2*full] += x & evenBytes
		cs[2*full+1] += (x >> 8) & evenBytes
	}
}

// extract stores the column sums in column order in cols (len(cols) = 4·len(cs)).
func (cs colSums) extract(cols []uint16) {
	for j := range len(cs) / 2 {
		e, o := cs[2*j], cs[2*j+1]
		d := cols[8*j : 8*j+8 : 8*j+8]
		d[0], d[1], d[2], d[3] = uint16(e), uint16(o), uint16(e>>16), uint16(o>>16)
		d[4], d[5], d[6], d[7] = uint16(e>>32), uint16(o>>32), uint16(e>>48), uint16(o>>48)
	}
}

// Packed samples.
//
// The Lanczos passes work on "packed" rows: two samples (signed, interBits fractional bits) per
// int64 word, the first in the low 32-bit lane and the second in the high lane, i.e.
// word = second·2³² + first. Multiplying a word by a weight multiplies both samples at once, and
// adding words adds lane by lane, because the arithmetic is exact modulo 2⁶⁴ and the true value of
// a sum of products is L + H·2³² for the two lane sums L and H. As long as |L| and |H| stay below
// 2³¹ they can be read back: L is the low 32 bits as a signed number, H = (word − L)/2³². The bound
// holds with room to spare: samples are below 2¹⁵ in magnitude and the absolute weights of one
// output sum to less than 1.6·2¹⁴ (Lanczos3 lobes, even after edge renormalisation), so
// |L|, |H| < 2³⁰.
//
// Both passes are then "streaming" passes — each output row is a weighted sum of whole input rows,
// one weight per row, with no per-sample index arithmetic — which costs about half as much per tap
// as gathering taps along a row. To filter along rows the first pass writes its output transposed.

// pack returns the word holding lo and hi.
func pack(lo, hi int32) int64 { return int64(hi)<<32 + int64(lo) }

// unpack returns the two lanes of a word.
func unpack(w int64) (lo, hi int32) {
	lo = int32(w)
	return lo, int32((w - int64(lo)) >> 32)
}

// packRow packs an 8-bit row into words, scaling the samples to interBits fractional bits. An odd
// final sample is paired with zero.
func packRow(dst []int64, row []uint8) {
	n := len(row) / 2
	d := dst[:n]
	for i := range d {
		p := row[2*i : 2*i+2 : 2*i+2]
		d[i] = pack(int32(p[0])<<interBits, int32(p[1])<<interBits)
	}
	if len(row)%2 == 1 {
		dst[n] = pack(int32(row[len(row)-1])<<interBits, 0)
	}
}

// accumulate sets acc[i] = round + Σ_k ws[k]·in[(st+k)·n + i] over whole packed rows of n words.
// Four rows per sweep keep the loads and stores of acc to a quarter.
func accumulate(acc, in []int64, n, st int, ws []int32) {
	const round = 1<<(weightBits-1) + 1<<(weightBits-1)<<32 // one half in each lane
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

// accumulateRows is accumulate over rows that are not consecutive in memory: it sets
// acc[i] = round + Σ_k ws[k]·rows[k][i].
func accumulateRows(acc []int64, rows [][]int64, ws []int32) {
	const round = 1<<(weightBits-1) + 1<<(weightBits-1)<<32
	rows = rows[:len(ws)]
	k := 0
	if len(ws) >= 2 {
		w0, w1 := int64(ws[0]), int64(ws[1])
		r0, r1 := rows[0][:len(acc)], rows[1][:len(acc)]
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
		r0, r1, r2, r3 := rows[k][:len(acc)], rows[k+1][:len(acc)], rows[k+2][:len(acc)], rows[k+3][:len(acc)]
		for i := range acc {
			acc[i] += r0[i]*w0 + r1[i]*w1 + r2[i]*w2 + r3[i]*w3
		}
	}
	for ; k < len(ws); k++ {
		w0 := int64(ws[k])
		r0 := rows[k][:len(acc)]
		for i := range acc {
			acc[i] += r0[i] * w0
		}
	}
}

// lane returns a lane of an accumulated word scaled back to interBits fractional bits.
func lane(v int32) int32 {
	return min(max(v>>weightBits, -1<<15), 1<<15-1)
}

// final8 returns an accumulated lane as an 8-bit value, rounded (accumulate already added one
// half of the weight scale; this adds the rest of one half of the output scale) and clamped.
func final8(v int32) uint8 {
	const round = 1<<(weightBits+interBits-1) - 1<<(weightBits-1)
	u := (v + round) >> (weightBits + interBits)
	if uint32(u) > 255 {
		return uint8(^(u >> 31)) // 0 for negative, 255 for > 255
	}
	return uint8(u)
}
