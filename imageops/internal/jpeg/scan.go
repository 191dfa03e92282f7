// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// This file is Go 1.26's image/jpeg/scan.go, changed to keep progressive coefficients in 16
// bits and only for the blocks that reach the output, to reconstruct blocks at a reduced scale,
// and to skip the AC scans of a progressive file at scale 8.

package jpeg

import "bytes"

// scanComponent is a component of a scan, from the SOS header.
type scanComponent struct {
	compIndex uint8
	td        uint8 // DC table selector.
	ta        uint8 // AC table selector.
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]scanComponent
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
	}

	d.nScans++
	if d.nScans > maxScans {
		return errTooManyScans
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if d.img == nil {
		if err := d.makeImg(); err != nil {
			return err
		}
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			compIndex := scan[i].compIndex
			if d.coeffs[compIndex].c == nil {
				d.coeffs[compIndex] = d.newCoeffs(int(compIndex))
			}
		}
		if zigStart != 0 && d.planes[scan[0].compIndex].scale == 8 {
			// At scale 8 only the DC coefficients are used, and an AC scan (which has one
			// component) changes no DC coefficient: skip its entropy-coded data undecoded.
			return d.skipScan()
		}
	}

	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
		// spare holds the coefficients of a progressive block that no output pixel depends on:
		// one of the padding blocks of an interleaved DC scan.
		spare [blockSize]int16
	)
	for my := 0; my < myy; my++ {
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				for j := 0; j < hi*vi; j++ {
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					//
					// For a sequential 32x16 pixel image, the Y blocks visiting order is:
					//	0 1 4 5
					//	2 3 6 7
					//
					// For progressive images, the interleaved scans (those with nComp > 1)
					// are traversed as above, but non-interleaved scans are traversed left
					// to right, top to bottom:
					//	0 1 2 3
					//	4 5 6 7
					// Only DC scans (zigStart == 0) can be interleaved. AC scans must have
					// only one component.
					//
					// To further complicate matters, for non-interleaved scans, there is no
					// data for any blocks that are inside the image at the MCU level but
					// outside the image at the pixel level. For example, a 24x16 pixel 4:2:0
					// progressive image consists of two 16x16 MCUs. The interleaved scans
					// will process 8 Y blocks:
					//	0 1 4 5
					//	2 3 6 7
					// The non-interleaved scans will process only 6 Y blocks:
					//	0 1 2
					//	3 4 5
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
					}

					if d.progressive {
						// Load the previous partially decoded coefficients. Every block that a
						// non-interleaved scan visits is stored (see newCoeffs); the others
						// only matter to the DC predictor, which is in dc.
						st := &d.coeffs[compIndex]
						p := spare[:st.per]
						stored := bx < st.bw && by < st.bh
						k := by*st.bw + bx
						if stored {
							p = st.c[k*st.per : (k+1)*st.per : (k+1)*st.per]
						}
						if st.masks != nil && zigStart != 0 {
							// An AC scan over compacted blocks (see coeffs): the block is
							// expanded to 64 coefficients, unless it is in an EOB run of a
							// first scan, which leaves it as it is.
							if ah == 0 && d.eobRun > 0 {
								d.eobRun--
								continue
							}
							var full [blockSize]int16
							if stored {
								expand(&full, p, st.masks[k])
							}
							if err := d.progressiveBlock(full[:], &scan[i], &dc[compIndex], zigStart, zigEnd, ah, al); err != nil {
								return err
							}
							if stored {
								st.masks[k] = compact(p, &full)
							}
							continue
						}
						if err := d.progressiveBlock(p, &scan[i], &dc[compIndex], zigStart, zigEnd, ah, al); err != nil {
							return err
						}
						// The blocks are reconstructed by reconstructProgressiveImage once
						// all of the SOS markers are processed.
						continue
					}

					b = block{}
					zig := zigStart
					if zig == 0 {
						zig++
						// Decode the DC coefficient, as specified in section F.2.2.1.
						value, err := d.decodeHuffman(&d.huff[dcTable][scan[i].td])
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
						dc[compIndex] += dcDelta
						b[0] = dc[compIndex] << al
					}

					if zig <= zigEnd && d.eobRun > 0 {
						d.eobRun--
					} else {
						// Decode the AC coefficients, as specified in section F.2.2.2. At
						// scale 8 they are decoded (to find the next block) but not kept.
						keep := d.planes[compIndex].scale != 8
						huff := &d.huff[acTable][scan[i].ta]
						for ; zig <= zigEnd; zig++ {
							if huff.valid {
								// The fast path: a run/size symbol and its coefficient at once.
								if d.bits.n < 16 {
									d.fillBits()
								}
								if d.bits.n >= fastBits {
									k := huff.fastAC[(d.bits.a>>uint32(d.bits.n-fastBits))&fastMask]
									if k != 0 && zig+int32(k>>4&15) <= zigEnd {
										zig += int32(k >> 4 & 15)
										d.bits.n -= int32(k & 15)
										if keep {
											b[unzig[zig]] = int32(k >> 8)
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
								if keep {
									b[unzig[zig]] = ac << al
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
					}

					d.reconstructBlock(&b, bx, by, int(compIndex))
				} // for j
			} // for i
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				// For well-formed input, the RST[0-7] restart marker follows
				// immediately. For corrupt input, call findRST to try to
				// resynchronize.
				if err := d.readFull(d.tmp[:2]); err != nil {
					return err
				} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
					if err := d.findRST(expectedRST); err != nil {
						return err
					}
				}
				expectedRST++
				if expectedRST == rst7Marker+1 {
					expectedRST = rst0Marker
				}
				// Reset the Huffman decoder.
				d.bits = bits{}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
				// Reset the progressive decoder state, as per section G.1.2.2.
				d.eobRun = 0
			}
		} // for mx
	} // for my

	return nil
}

// coeffs holds a component's coefficients between the scans of a progressive file, for the bw×bh
// blocks that the component's non-interleaved scans visit: per int16s per block, in natural
// order, and at scale 4 a mask per block.
//
// image/jpeg keeps every block of every MCU as 64 int32s. Quantized coefficients of an 8-bit JPEG
// fit in 16 bits (libjpeg's JCOEF is a short), which halves the memory; the blocks that only an
// interleaved scan visits, the padding of the last MCU row and column, reach no output pixel and
// are not kept. Then it depends on the scale of the component:
//
//   - 1 and 2: the 64 coefficients (the 1/2 inverse DCT uses 49 of them), 128 bytes per block;
//   - 4: the 25 coefficients that the 1/4 inverse DCT uses (rows and columns 0, 1, 3, 5, 7, see
//     keep4), and for the other 39 only whether they are non-zero, in a 64-bit mask: that is all
//     that a refinement scan needs of them (it reads a correction bit for each non-zero
//     coefficient). 58 bytes per block;
//   - 8: the DC coefficient, 2 bytes per block; the AC scans are not even decoded.
type coeffs struct {
	c      []int16
	masks  []uint64 // scale 4: bit k is set if the coefficient of natural index k is non-zero
	bw, bh int
	per    int
}

// keep4 maps a natural index to its place among the coefficients kept at scale 4, or -1.
var keep4 = func() (m [blockSize]int8) {
	n := int8(0)
	for k := range m {
		u, v := k%8, k/8
		if (u == 0 || u%2 == 1) && (v == 0 || v%2 == 1) {
			m[k] = n
			n++
		} else {
			m[k] = -1
		}
	}
	return m
}()

const kept4 = 25 // the coefficients kept at scale 4

// expand fills b with a block compacted for scale 4: the kept coefficients, and 1 for each of
// the others that is non-zero (its value is never used, only whether it is zero).
func expand(b *[blockSize]int16, c []int16, mask uint64) {
	for k, i := range keep4 {
		if i >= 0 {
			b[k] = c[i]
		} else {
			b[k] = int16(mask >> k & 1)
		}
	}
}

// compact stores b into c and returns its mask (see coeffs).
func compact(c []int16, b *[blockSize]int16) (mask uint64) {
	for k, i := range keep4 {
		if i >= 0 {
			c[i] = b[k]
		} else if b[k] != 0 {
			mask |= 1 << k
		}
	}
	return mask
}

// storedBlocks returns the number of blocks across and down that a progressive component
// keeps: those that image/jpeg's non-interleaved scans visit, bx < mxx·h and bx·8 < width (and
// likewise down). They include every block that reaches the output (bx·8·h0/h < width).
func storedBlocks(width, height, h0, v0, h, v int) (bw, bh int) {
	mxx := (width + 8*h0 - 1) / (8 * h0)
	myy := (height + 8*v0 - 1) / (8 * v0)
	return min(mxx*h, (width+7)/8), min(myy*v, (height+7)/8)
}

// coeffsPerBlock returns how many coefficients a progressive decode keeps per block for a
// component decoded at the given scale, and whether it keeps a mask per block too.
func coeffsPerBlock(scale int) (int, bool) {
	switch scale {
	case 4:
		return kept4, true
	case 8:
		return 1, false
	}
	return blockSize, false
}

func (d *decoder) newCoeffs(i int) coeffs {
	bw, bh := storedBlocks(d.width, d.height, d.comp[0].h, d.comp[0].v, d.comp[i].h, d.comp[i].v)
	per, masked := coeffsPerBlock(d.planes[i].scale)
	st := coeffs{c: make([]int16, bw*bh*per), bw: bw, bh: bh, per: per}
	if masked {
		st.masks = make([]uint64, bw*bh)
	}
	return st
}

// progressiveBlock decodes one block of a progressive scan into p, which holds the block's
// coefficients so far (1, 25 or 64 of them, see coeffs; 64 for an AC scan). It is image/jpeg's code for progressive
// blocks, on 16-bit coefficients: a value that does not fit is an error (errCoefficientRange).
func (d *decoder) progressiveBlock(p []int16, sc *scanComponent, dc *int32, zigStart, zigEnd int32, ah, al uint32) error {
	if ah != 0 {
		if zigStart == 0 {
			// Refining a DC component is trivial.
			bit, err := d.decodeBit()
			if err != nil {
				return err
			}
			if bit {
				v := int32(p[0]) | 1<<al
				if v != int32(int16(v)) {
					return errCoefficientRange
				}
				p[0] = int16(v)
			}
			return nil
		}
		return d.refine((*[blockSize]int16)(p), &d.huff[acTable][sc.ta], zigStart, zigEnd, 1<<al)
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
		p[0] = int16(v)
		return nil
	}

	if d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	// Decode the AC coefficients, as specified in section G.1.2.2.
	b := (*[blockSize]int16)(p)
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
					b[unzig[zig]] = int16(int32(k>>8) << al)
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
			v := ac << al
			if v != int32(int16(v)) {
				return errCoefficientRange
			}
			b[unzig[zig]] = int16(v)
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
func (d *decoder) refine(b *[blockSize]int16, h *huffman, zigStart, zigEnd, delta int32) error {
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
				if z != int32(int16(z)) {
					return errCoefficientRange
				}
				b[unzig[zig]] = int16(z)
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

// refineNonZeroes refines non-zero entries of b in zig-zag order. If nz >= 0,
// the first nz zero entries are skipped over.
func (d *decoder) refineNonZeroes(b *[blockSize]int16, zig, zigEnd, nz, delta int32) (int32, error) {
	for ; zig <= zigEnd; zig++ {
		u := unzig[zig&63]
		if b[u&63] == 0 {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		// decodeBit, inlined.
		if d.bits.n == 0 {
			d.fillBits()
			if d.bits.n == 0 {
				return 0, d.bits.stop
			}
		}
		d.bits.n--
		if (d.bits.a>>uint32(d.bits.n))&1 == 0 {
			continue
		}
		v := int32(b[u&63])
		if v >= 0 {
			v += delta
		} else {
			v -= delta
		}
		if v != int32(int16(v)) {
			return 0, errCoefficientRange
		}
		b[u&63] = int16(v)
	}
	return zig, nil
}

// skipScan passes over the entropy-coded data of a scan without decoding it: up to the next
// marker other than RST0-7, which it leaves for the marker loop of decode to read.
func (d *decoder) skipScan() error {
	d.bits = bits{}
	for {
		// Look for 0xff in the buffered bytes, then read byte by byte around it.
		if k := bytes.IndexByte(d.bytes.buf[d.bytes.i:d.bytes.j], 0xff); k >= 0 {
			d.bytes.i += k
		} else {
			d.bytes.i = d.bytes.j
		}
		x, err := d.readByte()
		if err != nil {
			return err
		}
		if x != 0xff {
			continue
		}
		for {
			// fill keeps the last two bytes of the buffer, so the 0xff and the byte after it
			// can be given back.
			y, err := d.readByte()
			if err != nil {
				return err
			}
			if y == 0xff { // a fill byte before a marker
				continue
			}
			if y == 0x00 || (rst0Marker <= y && y <= rst7Marker) {
				break // a stuffed 0xff or a restart marker: still in the scan
			}
			d.bytes.i -= 2
			return nil
		}
	}
}

func (d *decoder) reconstructProgressiveImage() error {
	var b block
	for i := 0; i < d.nComp; i++ {
		st := &d.coeffs[i]
		if st.c == nil {
			continue
		}
		// As in image/jpeg: the blocks whose top-left pixel is inside the image.
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		for by := 0; by*v < d.height && by < st.bh; by++ {
			for bx := 0; bx*h < d.width && bx < st.bw; bx++ {
				k := (by*st.bw + bx) * st.per
				switch st.per {
				case 1:
					b[0] = int32(st.c[k])
				case kept4:
					for j, i := range keep4 {
						if i >= 0 {
							b[j] = int32(st.c[k+int(i)])
						}
					}
				default:
					for j, c := range st.c[k : k+blockSize] {
						b[j] = int32(c)
					}
				}
				d.reconstructBlock(&b, bx, by, i)
			}
		}
	}
	return nil
}

// reconstructBlock dequantizes b, performs the inverse DCT at the component's scale and stores
// the block's samples to the image. Blocks wholly outside the image (the padding of the last MCU
// row or column) are skipped.
func (d *decoder) reconstructBlock(b *block, bx, by, compIndex int) {
	p := &d.planes[compIndex]
	x0, y0 := bx*p.bs, by*p.bs
	if x0 >= p.w || y0 >= p.h {
		return
	}
	tq := d.comp[compIndex].tq
	switch p.scale {
	case 1:
		qt := &d.quant[tq]
		for zig := 0; zig < blockSize; zig++ {
			b[unzig[zig]] *= qt[zig]
		}
		idct(b)
	case 2:
		idct4x4(b, d.reducedQuant(0, tq))
	case 4:
		idct2x2(b, d.reducedQuant(1, tq))
	case 8:
		b[0] = idct1x1(b[0], d.quant[tq][0])
	}
	p.put(x0, y0, b)
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
