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
//     that reach the output, and at scale 8 only the DC coefficient: 2 bytes per pixel and
//     component at most, 1/32 byte at scale 8, against image/jpeg's 4 bytes.
//   - DecodeConfig describes the file (Config: size, components, color space, sampling factors,
//     progressive or not) and MemoryBound turns a Config and a scale into a bound of the bytes
//     Decode allocates, so that a caller can reserve memory, or refuse, before decoding.
//
// Deliberate differences from image/jpeg, each an error where image/jpeg would decode: a file
// with more than 500 scans (each scan visits every block, so a small file could otherwise cost
// unbounded CPU); a progressive file whose coefficients do not fit in 16 bits (no 8-bit JPEG
// has such coefficients); a 4-component file without an Adobe APP14 marker before its first
// scan (image/jpeg fails too, but only after decoding); and an APP0 or APP14 marker after the
// first scan that switches a 3-component file between YCbCr and RGB (the output is allocated at
// the first scan).
//
// JPEG is defined in ITU-T T.81: https://www.w3.org/Graphics/JPEG/itu-t81.pdf.
package jpeg
