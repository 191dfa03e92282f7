// Package jpeg is a JPEG decoder that decodes at a reduced scale, with a memory footprint known
// before decoding.
//
// It is Go 1.26's image/jpeg decoder (BSD licence, see LICENSE), changed so that:
//
//   - Decode takes a scale, 1, 2, 4 or 8, and returns the image at ⌈w/scale⌉×⌈h/scale⌉, allocated
//     at that size only. Each 8×8 block of coefficients goes through a reduced inverse DCT
//     (idctred.go) that gives the mean of each 2×2, 4×4 or 8×8 square of the full-size block; at
//     scale 8 that is the DC coefficient alone, and the AC scans of a progressive file are skipped
//     without being decoded. A 200-pixel thumbnail of a 4000-pixel photo needs a 1/8 decode.
//   - At scale 1 the pixels are exactly image/jpeg's, and so is the image type (*image.Gray,
//     *image.YCbCr, *image.RGBA or *image.CMYK).
//   - A sequential file is decoded block by block straight into the output. A progressive file
//     keeps its coefficients between scans as 16-bit values (libjpeg's JCOEF), only for the blocks
//     that reach the output, only those its scale uses (25 of 64 at scale 4, the DC at scale 8)
//     and a bitmap of the non-zero ones: about 2.1 bytes per pixel and component at scales 1 and
//     2, 0.9 at scale 4 and 1/32 at scale 8, against image/jpeg's 4 (progressive.go).
//   - The entropy decoder reads up to 8 bytes at a time and decodes a run, a size and a
//     coefficient in one look-up when they fit in 9 bits; refinement scans visit only the non-zero
//     coefficients. A sequential 1024² photo decodes in about 0.7 of image/jpeg's CPU time at
//     scale 1, 0.33 at scale 4 and 0.25 at scale 8; a progressive one in about the same time at
//     scale 1 and in a sixteenth at scale 8 (BENCHMARKS.md, "Reduced JPEG decoding").
//   - DecodeConfig describes the file (Config: size, components, color space, sampling factors,
//     progressive or not) and MemoryBound turns a Config and a scale into a bound of the bytes
//     Decode allocates, so that a caller can reserve memory, or refuse, before decoding.
//
// The reduced images are as close to a box-filtered full decode as libjpeg-turbo's scaled
// decoding is: a mean absolute difference of 0.27, 0.28 and 0.31 levels on luma at scales 2, 4
// and 8 for both, over the test corpus (quality_test.go), which is the rounding to whole levels.
//
// Deliberate differences from image/jpeg, each an error where image/jpeg would decode: a file
// with more than 500 scans, as libjpeg-turbo's TJFLAG_LIMITSCANS (each scan visits every block of
// its components, so a small file could otherwise cost unbounded CPU; 500 scans of a 2048² image
// cost about 0.4 s); a progressive file whose coefficients do not fit in 16 bits (no 8-bit JPEG
// has such coefficients); a 4-component file without an Adobe APP14 marker before its first
// scan (image/jpeg fails too, but only after decoding); and an APP0 or APP14 marker after the
// first scan that switches a 3-component file between YCbCr and RGB (the output is allocated at
// the first scan).
//
// JPEG is defined in ITU-T T.81: https://www.w3.org/Graphics/JPEG/itu-t81.pdf.
package jpeg
