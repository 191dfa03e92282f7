package jpeg

import "math"

// Reduced inverse DCTs: an 8×8 block of coefficients to 4×4, 2×2 or 1×1 samples, for decoding at
// 1/2, 1/4 and 1/8 scale, as libjpeg's jidctred.c does. They differ from libjpeg's in what each
// output sample is: here it is exactly the mean of the 2×2, 4×4 or 8×8 full-size samples it stands
// for (before rounding and clipping), where libjpeg samples the full-size signal at the centre of
// that square. The mean is the better thumbnail (it is a box filter, where libjpeg aliases the
// block's high frequencies) and costs the same: it is a fixed weight per coefficient, which is
// folded into the quantization table.
//
// The mathematics, in one dimension (the 2-D transforms apply it to the rows and the columns):
// the 8-point inverse DCT of the coefficients F(u) is
//
//	f(x) = ½ Σ_u C(u) F(u) cos((2x+1)uπ/16),  C(0) = 1/√2, C(u) = 1 otherwise.
//
// The mean of f over the n samples x = nk … nk+n-1 (n = 2, 4 or 8) is, by the sum-to-product
// identities,
//
//	m(k) = ½ Σ_u C(u) F(u) a_n(u) cos((2k+1)unπ/16),
//
// with a_2(u) = cos(uπ/16), a_4(u) = cos(uπ/16)·cos(uπ/8) and a_8(u) = 0 for u > 0: the mean of a
// block is its DC coefficient. Then:
//
//   - n = 2: cos((2k+1)(8-u)π/8) = -cos((2k+1)uπ/8) and u = 4 contributes nothing, so m is the
//     4-point inverse DCT of G(0) = F(0), G(u) = a_2(u)F(u) - a_2(8-u)F(8-u) for u = 1, 2, 3.
//   - n = 4: cos((2k+1)uπ/4) is ±1/√2 for odd u and 0 for u = 2, 6; a_4(4) = 0. So
//     m(k) = (F(0) ± Σ_odd s(u) a_4(u) F(u)) / (2√2), + for k = 0 and - for k = 1, with
//     s(1) = s(7) = 1 and s(3) = s(5) = -1.
//   - n = 8: m = F(0)/(2√2), that is F(0)/8 in two dimensions.
//
// Fixed point: the prescaled quantization tables (rquant) hold q·w(u)·w(v) with 13 fractional
// bits, so that a 16-bit quantizer still fits in an int32; the sums are int64. A hostile file can
// still overflow them, which gives wrong pixels but never a panic.

const (
	rqBits = 13 // fractional bits of the prescaled quantization tables
	rcBits = 16 // fractional bits of the 4-point IDCT's constants
)

var (
	// weight2 and weight4 are w(u)·w(v) for the 1/2 and 1/4 transforms, in natural order, with
	// rqBits fractional bits: w(u) is a_2(u) with the sign of the fold (negative for u > 4, zero
	// for u = 4) or s(u)·a_4(u) (zero for even u > 0).
	weight2, weight4 [blockSize]int32

	// The 4-point inverse DCT's constants: 1/√2, cos(π/8), cos(3π/8).
	rcR2, rcC1, rcC3 int64
)

func init() {
	var w2, w4 [8]float64
	for u := range 8 {
		a2 := math.Cos(float64(u) * math.Pi / 16)
		a4 := a2 * math.Cos(float64(u)*math.Pi/8)
		switch {
		case u == 0:
			w2[u], w4[u] = 1, 1
		case u < 4:
			w2[u] = a2
		case u > 4:
			w2[u] = -a2
		}
		switch u {
		case 1, 7:
			w4[u] = a4
		case 3, 5:
			w4[u] = -a4
		}
	}
	for v := range 8 {
		for u := range 8 {
			weight2[v*8+u] = int32(math.Round(w2[u] * w2[v] * (1 << rqBits)))
			weight4[v*8+u] = int32(math.Round(w4[u] * w4[v] * (1 << rqBits)))
		}
	}
	fix := func(x float64) int64 { return int64(math.Round(x * (1 << rcBits))) }
	rcR2, rcC1, rcC3 = fix(math.Sqrt2/2), fix(math.Cos(math.Pi/8)), fix(math.Cos(3*math.Pi/8))
}

// reducedQuant returns quantization table tq prescaled for the reduced inverse DCT of scale 2
// (i = 0) or 4 (i = 1), computing it from d.quant when needed.
func (d *decoder) reducedQuant(i int, tq uint8) *[blockSize]int32 {
	rq := &d.rquant[i][tq]
	if !d.rquantOK[i][tq] {
		w := &weight2
		if i == 1 {
			w = &weight4
		}
		for zig, q := range d.quant[tq] {
			k := unzig[zig]
			rq[k] = q * w[k] // a quantizer is at most 16 bits, a weight at most 1<<rqBits
		}
		d.rquantOK[i][tq] = true
	}
	return rq
}

// idct4x4 turns the quantized coefficients b into the 4×4 means of the 8×8 block's 2×2 squares,
// in b[y*8+x] for x, y < 4, without the +128 level shift. rq is the prescaled quantization table.
func idct4x4(b *block, rq *[blockSize]int32) {
	// Fold the 8×8 weighted coefficients into the 4×4 G (row r = vertical frequency), dropping
	// row and column 4.
	var t [16]int64
	for r := range 4 {
		r0, r1 := r*8, (8-r)*8
		for c := range 4 {
			s := int64(b[r0+c]) * int64(rq[r0+c])
			if c != 0 {
				s += int64(b[r0+8-c]) * int64(rq[r0+8-c])
			}
			if r != 0 {
				s += int64(b[r1+c]) * int64(rq[r1+c])
				if c != 0 {
					s += int64(b[r1+8-c]) * int64(rq[r1+8-c])
				}
			}
			t[r*4+c] = s
		}
	}
	// Columns, then rows: the 4-point inverse DCT, without its factor ½ (applied at the end).
	const half = 1 << (rcBits - 1)
	for c := range 4 {
		g0, g1, g2, g3 := t[c], t[4+c], t[8+c], t[12+c]
		e0, e1 := (g0+g2)*rcR2, (g0-g2)*rcR2
		o0, o1 := g1*rcC1+g3*rcC3, g1*rcC3-g3*rcC1
		t[c] = (e0 + o0 + half) >> rcBits
		t[4+c] = (e1 + o1 + half) >> rcBits
		t[8+c] = (e1 - o1 + half) >> rcBits
		t[12+c] = (e0 - o0 + half) >> rcBits
	}
	// t now has rqBits fractional bits and twice its value; the row pass adds rcBits and doubles
	// it again.
	const shift = rqBits + rcBits + 2
	for r := range 4 {
		g0, g1, g2, g3 := t[r*4], t[r*4+1], t[r*4+2], t[r*4+3]
		e0, e1 := (g0+g2)*rcR2, (g0-g2)*rcR2
		o0, o1 := g1*rcC1+g3*rcC3, g1*rcC3-g3*rcC1
		out := b[r*8 : r*8+4 : r*8+4]
		out[0] = int32((e0 + o0 + 1<<(shift-1)) >> shift)
		out[1] = int32((e1 + o1 + 1<<(shift-1)) >> shift)
		out[2] = int32((e1 - o1 + 1<<(shift-1)) >> shift)
		out[3] = int32((e0 - o0 + 1<<(shift-1)) >> shift)
	}
}

// idct2x2 turns the quantized coefficients b into the 2×2 means of the 8×8 block's 4×4 squares,
// in b[0], b[1], b[8], b[9], without the +128 level shift. rq is the prescaled quantization table.
func idct2x2(b *block, rq *[blockSize]int32) {
	// e: the DC; x: odd horizontal frequencies of the first row; y: odd vertical frequencies of
	// the first column; z: odd in both. The weights of rq carry the signs s(u)·s(v).
	e := int64(b[0]) * int64(rq[0])
	var x, y, z int64
	for u := 1; u < 8; u += 2 {
		x += int64(b[u]) * int64(rq[u])
		y += int64(b[u*8]) * int64(rq[u*8])
		for v := 1; v < 8; v += 2 {
			z += int64(b[v*8+u]) * int64(rq[v*8+u])
		}
	}
	// The 2-D factor is 1/8.
	const shift = rqBits + 3
	const round = 1 << (shift - 1)
	b[0] = int32((e + x + y + z + round) >> shift)
	b[1] = int32((e - x + y - z + round) >> shift)
	b[8] = int32((e + x - y - z + round) >> shift)
	b[9] = int32((e - x - y + z + round) >> shift)
}

// idct1x1 returns the mean of a block whose quantized DC coefficient is dc and whose DC
// quantizer is q, without the +128 level shift.
func idct1x1(dc, q int32) int32 {
	return int32((int64(dc)*int64(q) + 4) >> 3)
}
