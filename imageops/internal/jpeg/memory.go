package jpeg

import "unsafe"

// MemoryBound returns an upper bound of the bytes that Decode allocates on the heap to decode, at
// the given scale, a file that DecodeConfig described as cfg. It is the sum of:
//
//   - the decoder's state (Huffman tables with their look-up tables, quantization tables, a
//     4 KiB input buffer): 32 KiB;
//   - the output image at the scaled size W×H = cfg.ScaledSize(scale): W·H bytes for Gray,
//     W·H plus two chroma planes for YCbCr (W·H·1.5 for 4:2:0, ·2 for 4:2:2, ·3 for 4:4:4),
//     4·W·H for RGB, CMYK and YCCK;
//   - for a progressive file, the coefficients kept between scans, for the 8×8 blocks that cover
//     each component: 136 bytes per block at scales 1 and 2 (64 coefficients of 2 bytes and a
//     64-bit bitmap), 58 at scale 4 (25 coefficients and the bitmap), 2 at scale 8 (the DC).
//     Per pixel of the file, at scales 1–2, 4 and 8: 2.1, 0.91 and 0.031 bytes for gray; 3.2, 1.4
//     and 0.047 for 4:2:0; 6.4, 2.7 and 0.094 for 4:4:4; 8.5, 3.6 and 0.125 for CMYK;
//
// each rounded up as the Go allocator rounds it, and 4 KiB for small objects (and what the
// runtime may allocate meanwhile). A sequential file keeps no coefficients: one block at a time
// goes straight to the output.
//
// A 2048² 4:2:0 photo, for example: image/jpeg allocates 6.3 MB for a sequential file, 31.5 MB
// for a progressive one; MemoryBound is 6.3, 1.6, 0.43 and 0.13 MB at scales 1, 2, 4 and 8 for
// a sequential file, 19.7, 15.0, 6.1 and 0.33 MB for a progressive one.
//
// Decode's allocations are exactly these, so the bound is also close: within a few KiB of what
// Decode allocates for a file whose components all appear in its scans. An invalid scale gives
// the bound of the decoder's state alone (Decode allocates no more before refusing it).
func MemoryBound(cfg Config, scale int) int64 {
	n := allocSize(int64(unsafe.Sizeof(decoder{}))) + smallObjects
	switch scale {
	case 1, 2, 4, 8:
	default:
		return n
	}
	w, h := cfg.ScaledSize(scale)
	area := int64(w) * int64(h)
	switch cfg.ColorSpace {
	case Gray:
		n += allocSize(area)
	case YCbCr:
		cw, ch := chromaSize(w, h, cfg.SubsampleRatio())
		n += allocSize(area + 2*int64(cw)*int64(ch))
	default:
		n += allocSize(4 * area)
	}
	if cfg.Progressive {
		s0 := cfg.Sampling[0]
		for i := range min(max(cfg.Components, 0), maxComponents) {
			s := cfg.Sampling[i]
			if cfg.Components == 1 {
				s0, s = Sampling{1, 1}, Sampling{1, 1}
			}
			bw, bh := storedBlocks(cfg.Width, cfg.Height, max(s0.H, 1), max(s0.V, 1), max(s.H, 1), max(s.V, 1))
			per, masked := coeffsPerBlock(componentScale(cfg, i, scale))
			n += allocSize(2 * int64(bw) * int64(bh) * int64(per))
			if masked {
				n += allocSize(8 * int64(bw) * int64(bh))
			}
		}
	}
	return n
}

// smallObjects bounds the small allocations of a decode besides the decoder and the buffers (the
// image's header struct, an error value) with room for what the runtime itself may allocate
// meanwhile (a garbage collection starting its workers), which MemStats.TotalAlloc counts too.
const smallObjects = 4 << 10

// allocSize bounds the bytes that the Go allocator takes for an object of n bytes: objects up to
// 32 KiB are rounded up to a size class, which wastes less than a quarter plus 16 bytes; larger
// ones to whole 8 KiB pages.
func allocSize(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if n <= 32<<10 {
		return min(n+n/4+16, (n+8191)&^8191)
	}
	return (n + 8191) &^ 8191
}
