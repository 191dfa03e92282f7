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

	// band has bits zigStart..zigEnd set (for AC scans).
	band := (^uint64(0) >> uint(63-zigEnd)) &^ (1<<uint(zigStart) - 1)

	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by int
		// nextX and nextY are the next block of a non-interleaved scan.
		nextX, nextY int
		// spare holds the coefficients of a progressive block that no output pixel depends on:
		// one of the padding blocks of an interleaved DC scan.
		spare   [blockSize]int16
		spareNZ uint64
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
						// bx, by = blockCount % q, blockCount / q, without dividing.
						bx, by = nextX, nextY
						if nextX++; nextX == mxx*hi {
							nextX, nextY = 0, nextY+1
						}
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
					}

					if d.progressive {
						// Load the previous partially decoded coefficients. Every block that a
						// non-interleaved scan visits is stored (see newCoeffs); the others
						// only matter to the DC predictor, which is in dc.
						st := &d.coeffs[compIndex]
						if zigStart != 0 && d.eobRun > 0 {
							// A block of an EOB run in an AC scan (which is not interleaved,
							// so the block is stored): a first scan leaves it as it is, and a
							// refinement reads nothing for a block with no non-zero
							// coefficient in the band. The common cases, made cheap.
							if k := by*st.bw + bx; ah == 0 || st.nz[k]&band == 0 {
								d.eobRun--
								continue
							}
						}
						var pb progBlock
						if bx < st.bw && by < st.bh {
							pb = st.block(by*st.bw + bx)
						} else {
							pb = progBlock{c: spare[:st.per], nz: &spareNZ, keep: st.keep}
						}
						if err := d.progressiveBlock(pb, &scan[i], &dc[compIndex], zigStart, zigEnd, ah, al); err != nil {
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
						if err := d.sequentialAC(&b, &d.huff[acTable][scan[i].ta], zig, keep); err != nil {
							return err
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

// sequentialAC decodes the AC coefficients of a sequential block, from zig-zag index zig (1) to
// 63, into b, or only decodes them (to find the next block) if !keep. It is image/jpeg's loop,
// with a fast path for the symbols that fastAC decodes with their coefficient, which keeps the
// bit buffer in local variables.
func (d *decoder) sequentialAC(b *block, huff *huffman, zig int32, keep bool) error {
	const zigEnd = blockSize - 1
	for zig <= zigEnd {
		if huff.valid {
			a, n := d.bits.a, d.bits.n
			for zig <= zigEnd {
				if n < 16 {
					d.bits.a, d.bits.n = a, n
					d.fillBits()
					a, n = d.bits.a, d.bits.n
					if n < fastBits {
						break
					}
				}
				k := huff.fastAC[(a>>uint32(n-fastBits))&fastMask]
				if k == 0 || zig+int32(k>>4&15) > zigEnd {
					break
				}
				zig += int32(k >> 4 & 15)
				n -= int32(k & 15)
				if keep {
					b[unzig[zig&63]] = int32(k >> 8)
				}
				zig++
			}
			d.bits.a, d.bits.n = a, n
			if zig > zigEnd {
				break
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
				b[unzig[zig]] = ac
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
		zig++
	}
	return nil
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
				st.load(&b, by*st.bw+bx)
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
