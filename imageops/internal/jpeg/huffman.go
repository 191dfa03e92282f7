// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpeg

import (
	"encoding/binary"
	"io"
)

// maxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const maxCodeLength = 16

// maxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const maxNCodes = 256

// lutSize is the log-2 size of the Huffman decoder's look-up table.
const lutSize = 8

// fastBits is the size of the fast look-up tables of valid Huffman codes.
const (
	fastBits = 9
	fastMask = 1<<fastBits - 1
)

// huffman is a Huffman decoder, specified in section C.
type huffman struct {
	// length is the number of codes in the tree.
	nCodes int32
	// valid is whether the code lengths fit the code space (Kraft's inequality), as those of every
	// encoder do. image/jpeg does not check it, and decodes the codes of a table that does not
	// fit with lut while it has 8 bits at hand and with minCodes and maxCodes otherwise, which
	// can give different values for the same bits; decodeHuffman does the same for such tables.
	// For the valid ones, every method gives the same values, and it uses fast.
	valid bool
	// lut is the look-up table for the next lutSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are 1 plus the code length, or 0 if the value is too large to fit in
	// lutSize bits.
	lut [1 << lutSize]uint16
	// fast is the look-up table for the next fastBits bits of a valid code: the value in the
	// high 8 bits and the code length in the low 8 bits, or 0 for a longer code.
	fast [1 << fastBits]uint16
	// fastAC decodes, for an AC table, a run/size symbol and the coefficient that follows it
	// at once when both fit in fastBits bits: the coefficient (in [-128, 127]) in the high 8
	// bits, the run in the next 4 and the total length in the low 4; 0 if they do not fit.
	fastAC [1 << fastBits]int16
	// vals are the decoded values, sorted by their encoding.
	vals [maxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [maxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [maxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [maxCodeLength]int32
}

// errShortHuffmanData means that an unexpected EOF occurred while decoding
// Huffman data.
var errShortHuffmanData error = FormatError("short Huffman data")

// fillBits reads entropy-coded bytes into d.bits until it holds more than 56 bits, or until
// the segment ends, which it records in d.bits.stop. It never reads past a marker.
func (d *decoder) fillBits() {
	// The fast path: the next 8 bytes are at hand and none is 0xff.
	if i := d.bytes.i; i+8 <= d.bytes.j && d.bits.n <= 56 {
		w := binary.BigEndian.Uint64(d.bytes.buf[i : i+8])
		if x := ^w; (x-0x0101010101010101)&^x&0x8080808080808080 == 0 { // no zero byte in ^w
			k := (64 - d.bits.n) / 8 // whole bytes that fit
			d.bits.a = d.bits.a<<(8*uint(k)) | w>>(64-8*uint(k))
			d.bits.n += 8 * k
			d.bytes.i = i + int(k)
			return
		}
	}
	for d.bits.n <= 56 && d.bits.stop == nil {
		i := d.bytes.i
		if i+1 < d.bytes.j { // two bytes or more at hand
			c := d.bytes.buf[i]
			if c != 0xff {
				d.bytes.i = i + 1
			} else if d.bytes.buf[i+1] == 0x00 {
				d.bytes.i = i + 2
			} else {
				d.bits.stop = errMissingFF00
				return
			}
			d.bits.a = d.bits.a<<8 | uint64(c)
			d.bits.n += 8
			continue
		}
		c, err := d.readByte()
		if err != nil {
			d.bits.stop = stopError(err)
			return
		}
		if c == 0xff {
			c2, err := d.readByte()
			if err != nil {
				d.bytes.i-- // give back the 0xff (fill keeps the last two bytes)
				d.bits.stop = stopError(err)
				return
			}
			if c2 != 0x00 {
				d.bytes.i -= 2 // give back the marker
				d.bits.stop = errMissingFF00
				return
			}
		}
		d.bits.a = d.bits.a<<8 | uint64(c)
		d.bits.n += 8
	}
}

// stopError is the error that image/jpeg returns for an I/O error within entropy-coded data.
func stopError(err error) error {
	if err == io.ErrUnexpectedEOF {
		return errShortHuffmanData
	}
	return err
}

// receiveExtend is the composition of RECEIVE and EXTEND, specified in section
// F.2.2.1.
func (d *decoder) receiveExtend(t uint8) (int32, error) {
	if d.bits.n < int32(t) {
		d.fillBits()
		if d.bits.n < int32(t) {
			return 0, d.bits.stop
		}
	}
	d.bits.n -= int32(t)
	s := int32(1) << t
	x := int32(d.bits.a>>uint8(d.bits.n)) & (s - 1)
	if x < s>>1 {
		x += ((-1) << t) + 1
	}
	return x, nil
}

// processDHT processes a Define Huffman Table marker, and initializes a huffman
// struct from its contents. Specified in section B.2.4.2.
func (d *decoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > maxTc {
			return FormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > maxTh || (d.baseline && th > 1) {
			return FormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [maxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return FormatError("Huffman table has zero length")
		}
		if h.nCodes > maxNCodes {
			return FormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		// Derive the look-up table.
		clear(h.lut[:])
		var x, code uint32
		for i := uint32(0); i < lutSize; i++ {
			code <<= 1
			for j := int32(0); j < nCodes[i]; j++ {
				// The codeLength is 1+i, so shift code by 8-(1+i) to
				// calculate the high bits for every 8-bit sequence
				// whose codeLength's high bits matches code.
				// The high 8 bits of lutValue are the encoded value.
				// The low 8 bits are 1 plus the codeLength.
				base := uint8(code << (7 - i))
				lutValue := uint16(h.vals[x])<<8 | uint16(2+i)
				for k := uint8(0); k < 1<<(7-i); k++ {
					h.lut[base|k] = lutValue
				}
				code++
				x++
			}
		}

		// Derive minCodes, maxCodes, and valsIndices.
		var c, index int32
		h.valid = true
		for i, n := range nCodes {
			if n == 0 {
				h.minCodes[i] = -1
				h.maxCodes[i] = -1
				h.valsIndices[i] = -1
			} else {
				h.minCodes[i] = c
				h.maxCodes[i] = c + n - 1
				h.valsIndices[i] = index
				c += n
				index += n
			}
			if c > 1<<(i+1) {
				h.valid = false // more codes of length i+1 than there is room for
			}
			c <<= 1
		}
		h.deriveFast(nCodes, tc == acTable)
	}
	return nil
}

// deriveFast derives h.fast and, for an AC table, h.fastAC, from the number of codes of each
// length. It leaves them empty for an invalid table.
func (h *huffman) deriveFast(nCodes [maxCodeLength]int32, ac bool) {
	clear(h.fast[:])
	clear(h.fastAC[:])
	if !h.valid {
		return
	}
	var code uint32
	x := 0
	for i := uint32(0); i < fastBits; i++ {
		length := i + 1
		for range nCodes[i] {
			v := h.vals[x]
			base := code << (fastBits - length)
			for k := uint32(0); k < 1<<(fastBits-length); k++ {
				h.fast[base|k] = uint16(v)<<8 | uint16(length)
				if !ac {
					continue
				}
				run, size := uint32(v>>4), uint32(v&0x0f)
				if size == 0 || length+size > fastBits {
					continue
				}
				// The size bits that follow the code, extended as receiveExtend does.
				bits := int32(k>>(fastBits-length-size)) & (1<<size - 1)
				if bits < 1<<(size-1) {
					bits += (-1 << size) + 1
				}
				if bits < -128 || bits > 127 {
					continue
				}
				h.fastAC[base|k] = int16(bits<<8) | int16(run<<4) | int16(length+size)
			}
			code++
			x++
		}
		code <<= 1
	}
}

// decodeHuffman returns the next Huffman-coded value from the bit-stream,
// decoded according to h.
func (d *decoder) decodeHuffman(h *huffman) (uint8, error) {
	if h.nCodes == 0 {
		return 0, FormatError("uninitialized Huffman table")
	}
	if d.bits.n < 16 {
		d.fillBits()
	}
	if h.valid {
		if d.bits.n >= fastBits {
			if v := h.fast[(d.bits.a>>uint32(d.bits.n-fastBits))&fastMask]; v != 0 {
				d.bits.n -= int32(v & 0xff)
				return uint8(v >> 8), nil
			}
		}
	} else if d.bits.n >= lutSize {
		// image/jpeg's look-up, used whenever it has 8 bits at hand: for an invalid table it
		// can decode differently from the slow path below.
		if v := h.lut[(d.bits.a>>uint32(d.bits.n-lutSize))&0xff]; v != 0 {
			d.bits.n -= int32(v&0xff) - 1
			return uint8(v >> 8), nil
		}
	}

	for i, code := 0, int32(0); i < maxCodeLength; i++ {
		if d.bits.n == 0 {
			d.fillBits()
			if d.bits.n == 0 {
				return 0, d.bits.stop
			}
		}
		d.bits.n--
		code |= int32(d.bits.a>>uint32(d.bits.n)) & 1
		if code <= h.maxCodes[i] {
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
		code <<= 1
	}
	return 0, FormatError("bad Huffman code")
}

func (d *decoder) decodeBit() (bool, error) {
	if d.bits.n == 0 {
		d.fillBits()
		if d.bits.n == 0 {
			return false, d.bits.stop
		}
	}
	d.bits.n--
	return (d.bits.a>>uint32(d.bits.n))&1 != 0, nil
}

func (d *decoder) decodeBits(n int32) (uint32, error) {
	if d.bits.n < n {
		d.fillBits()
		if d.bits.n < n {
			return 0, d.bits.stop
		}
	}
	d.bits.n -= n
	return uint32(d.bits.a>>uint32(d.bits.n)) & (1<<uint32(n) - 1), nil
}
