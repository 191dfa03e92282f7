// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// The decoding of progressive blocks is image/jpeg's (scan.go), changed to keep the
// coefficients in 16 bits, fewer of them at reduced scales, with a bitmap of the non-zero ones.

package jpeg

import mbits "math/bits"

// coeffs holds a component's coefficients between the scans of a progressive file, for the bw×bh
// blocks that the component's non-interleaved scans visit.
//
// image/jpeg keeps every block of every MCU as 64 int32s. Quantized coefficients of an 8-bit JPEG
// fit in 16 bits (libjpeg's JCOEF is a short), which halves the memory; the blocks that only an
// interleaved scan visits, the padding of the last MCU row and column, reach no output pixel and
// are not kept. Then it depends on the scale at which the component is decoded:
//
//   - 1 and 2: the 64 coefficients (the 1/2 inverse DCT uses 49 of them) and a bitmap, 136 bytes
//     per block;
//   - 4: the 25 coefficients that the 1/4 inverse DCT uses (rows and columns 0, 1, 3, 5, 7, see
//     keep4) and the bitmap: of the other coefficients, a refinement scan needs only to know
//     whether they are zero (it reads a correction bit for each non-zero one). 58 bytes per block;
//   - 8: the DC coefficient, 2 bytes per block; the AC scans are not even decoded.
//
// The bitmap (nz) has bit z set when the coefficient of zig-zag index z is non-zero (a coefficient
// never returns to zero once set). With it a refinement visits only the non-zero coefficients of
// its band, and a block of an EOB run costs the same whatever the band: a file made of hundreds of
// refinement scans of empty blocks costs little.
type coeffs struct {
	c      []int16  // per values per block, in natural order, or per keep
	nz     []uint64 // the bitmap of each block; nil at scale 8
	bw, bh int
	per    int
	keep   *[blockSize]int8 // natural index → index in a block's values, or -1 when not kept
}

// progBlock is one block of coeffs.
type progBlock struct {
	c    []int16
	nz   *uint64
	keep *[blockSize]int8
}

// keepAll keeps every coefficient; keep4 those that the 1/4 inverse DCT uses.
var keepAll, keep4 = func() (all, four [blockSize]int8) {
	n := int8(0)
	for k := range blockSize {
		all[k] = int8(k)
		u, v := k%8, k/8
		if (u == 0 || u%2 == 1) && (v == 0 || v%2 == 1) {
			four[k] = n
			n++
		} else {
			four[k] = -1
		}
	}
	return all, four
}()

const kept4 = 25 // the number of coefficients keep4 keeps

// storedBlocks returns the number of blocks across and down that a progressive component
// keeps: those that image/jpeg's non-interleaved scans visit, bx < mxx·h and bx·8 < width (and
// likewise down). They include every block that reaches the output (bx·8·h0/h < width).
func storedBlocks(width, height, h0, v0, h, v int) (bw, bh int) {
	mxx := (width + 8*h0 - 1) / (8 * h0)
	myy := (height + 8*v0 - 1) / (8 * v0)
	return min(mxx*h, (width+7)/8), min(myy*v, (height+7)/8)
}

// coeffsPerBlock returns how many coefficients a progressive decode keeps per block for a
// component decoded at the given scale, and whether it keeps a bitmap per block too.
func coeffsPerBlock(scale int) (int, bool) {
	switch scale {
	case 4:
		return kept4, true
	case 8:
		return 1, false
	}
	return blockSize, true
}

func (d *decoder) newCoeffs(i int) coeffs {
	bw, bh := storedBlocks(d.width, d.height, d.comp[0].h, d.comp[0].v, d.comp[i].h, d.comp[i].v)
	per, bitmap := coeffsPerBlock(d.planes[i].scale)
	st := coeffs{c: make([]int16, bw*bh*per), bw: bw, bh: bh, per: per, keep: &keepAll}
	if per == kept4 {
		st.keep = &keep4
	}
	if bitmap {
		st.nz = make([]uint64, bw*bh)
	}
	return st
}

// block returns block k.
func (st *coeffs) block(k int) progBlock {
	b := progBlock{c: st.c[k*st.per : (k+1)*st.per : (k+1)*st.per], keep: st.keep}
	if st.nz != nil {
		b.nz = &st.nz[k]
	}
	return b
}

// load sets the coefficients of b that the component's inverse DCT uses to those of block k.
func (st *coeffs) load(b *block, k int) {
	c := st.c[k*st.per : (k+1)*st.per]
	switch st.per {
	case 1:
		b[0] = int32(c[0])
	case blockSize:
		for j, v := range c {
			b[j] = int32(v)
		}
	default:
		for j, i := range st.keep {
			if i >= 0 {
				b[j] = int32(c[i])
			}
		}
	}
}

// set stores a new non-zero coefficient at zig-zag index zig.
func (b progBlock) set(zig int32, v int32) error {
	if v != int32(int16(v)) {
		return errCoefficientRange
	}
	*b.nz |= 1 << uint(zig)
	if i := b.keep[unzig[zig&63]]; i >= 0 {
		b.c[i] = int16(v)
	}
	return nil
}

// progressiveBlock decodes one block of a progressive scan into b, which holds the block's
// coefficients so far. It is image/jpeg's code for progressive blocks, on 16-bit coefficients (a
// value that does not fit is an error, errCoefficientRange) with a bitmap of the non-zero ones.
func (d *decoder) progressiveBlock(b progBlock, sc *scanComponent, dc *int32, zigStart, zigEnd int32, ah, al uint32) error {
	if ah != 0 {
		if zigStart == 0 {
			// Refining a DC component is trivial.
			bit, err := d.decodeBit()
			if err != nil {
				return err
			}
			if bit {
				v := int32(b.c[0]) | 1<<al
				if v != int32(int16(v)) {
					return errCoefficientRange
				}
				b.c[0] = int16(v)
			}
			return nil
		}
		return d.refine(b, &d.huff[acTable][sc.ta], zigStart, zigEnd, 1<<al)
	}
	if zigStart == 0 {
		// Decode the DC coefficient, as specified in section F.2.2.1. A progressive DC scan has
		// no AC coefficients (zigEnd is 0).
		value, err := d.decodeHuffman(&d.huff[dcTable][sc.td])
		if err != nil {
			return err
		}
		if value > 16 {
			return UnsupportedError("excessive DC component")
		}
		dcDelta, err := d.receiveExtend(value)
		if err != nil {
			return err
		}
		*dc += dcDelta
		v := *dc << al
		if v != int32(int16(v)) {
			return errCoefficientRange
		}
		b.c[0] = int16(v)
		return nil
	}

	if d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	// Decode the AC coefficients, as specified in section G.1.2.2.
	huff := &d.huff[acTable][sc.ta]
	for zig := zigStart; zig <= zigEnd; zig++ {
		if huff.valid {
			// The fast path: a run/size symbol and its coefficient at once. The coefficient is
			// in [-128, 127], so shifted by al ≤ 7 it fits in 16 bits.
			if d.bits.n < 16 {
				d.fillBits()
			}
			if d.bits.n >= fastBits && al <= 7 {
				k := huff.fastAC[(d.bits.a>>uint32(d.bits.n-fastBits))&fastMask]
				if k != 0 && zig+int32(k>>4&15) <= zigEnd {
					zig += int32(k >> 4 & 15)
					d.bits.n -= int32(k & 15)
					*b.nz |= 1 << uint(zig)
					if i := b.keep[unzig[zig&63]]; i >= 0 {
						b.c[i] = int16(int32(k>>8) << al)
					}
					continue
				}
			}
		}
		value, err := d.decodeHuffman(huff)
		if err != nil {
			return err
		}
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > zigEnd {
				break
			}
			ac, err := d.receiveExtend(val1)
			if err != nil {
				return err
			}
			if err := b.set(zig, ac<<al); err != nil {
				return err
			}
		} else {
			if val0 != 0x0f {
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					bits, err := d.decodeBits(int32(val0))
					if err != nil {
						return err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				break
			}
			zig += 0x0f
		}
	}
	return nil
}

// refine decodes a successive approximation refinement of AC coefficients, as specified in
// sections G.1.2.2 and G.1.2.3.
func (d *decoder) refine(b progBlock, h *huffman, zigStart, zigEnd, delta int32) error {
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return FormatError("unexpected Huffman code")
			}

			zig, err = d.refineNonZeroes(b, zig, zigEnd, int32(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return FormatError("too many coefficients")
			}
			if z != 0 {
				if err := b.set(zig, z); err != nil {
					return err
				}
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := d.refineNonZeroes(b, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines the non-zero entries of b from zig-zag index zig on, up to the
// (nz+1)-th zero entry, whose index it returns (zigEnd+1 if there is none; nz < 0 means no
// limit). That is image/jpeg's loop over the coefficients, done with b's bitmap: it reads one
// correction bit per non-zero entry, and touches no other.
func (d *decoder) refineNonZeroes(b progBlock, zig, zigEnd, nz, delta int32) (int32, error) {
	if zig > zigEnd {
		return zig, nil
	}
	band := (^uint64(0) >> uint(63-zigEnd)) &^ (1<<uint(zig) - 1) // bits zig..zigEnd
	end := zigEnd + 1
	if nz >= 0 {
		zeros := ^*b.nz & band
		for ; nz > 0 && zeros != 0; nz-- {
			zeros &= zeros - 1
		}
		if zeros != 0 {
			end = int32(mbits.TrailingZeros64(zeros))
		}
	}
	todo := *b.nz & band & (1<<uint(end) - 1)
	for todo != 0 {
		// Take the correction bits 32 at most at a time (fillBits keeps 57 or more at hand).
		n := min(int32(mbits.OnesCount64(todo)), 32)
		if d.bits.n < n {
			d.fillBits()
			if d.bits.n < n {
				return 0, d.bits.stop
			}
		}
		d.bits.n -= n
		corrections := d.bits.a >> uint32(d.bits.n) // the low n bits, the first one highest
		for ; n > 0; todo &= todo - 1 {
			n--
			if corrections>>uint32(n)&1 == 0 {
				continue
			}
			i := b.keep[unzig[mbits.TrailingZeros64(todo)&63]]
			if i < 0 {
				continue // not kept at this scale: only its being non-zero matters
			}
			v := int32(b.c[i])
			if v >= 0 {
				v += delta
			} else {
				v -= delta
			}
			if v != int32(int16(v)) {
				return 0, errCoefficientRange
			}
			b.c[i] = int16(v)
		}
	}
	return end, nil
}
