package imageops

import (
	"image"
	"math"
)

// Separable convolutions in fixed point, for blur and sharpen: a pass along x into 16-bit rows
// (value × 256), kept in a ring of as many rows as the kernel has taps, and a pass along y from
// that ring into the result. Each costs two kernel lengths of multiply-adds per channel and
// pixel, and holds the result and a few rows besides: no float, no copy of the image. Edges
// repeat the nearest pixel.

// kernelOne is the sum of a kernel's fixed-point weights.
const kernelOne = 1 << 14

// gaussianKernel returns the weights of bild's blur.Gaussian(r): 2r+1 taps, exp(-x²/4r) for x in
// [-r, r], normalised: a Gaussian of standard deviation √(2r) cut at ±r.
func gaussianKernel(r int) []int32 {
	f := make([]float64, 2*r+1)
	sum := 0.0
	for i := range f {
		x := float64(i - r)
		f[i] = math.Exp(-x * x / 4 / float64(r))
		sum += f[i]
	}
	k := make([]int32, len(f))
	total := int32(0)
	for i, v := range f {
		k[i] = int32(math.Round(v / sum * kernelOne))
		total += k[i]
	}
	k[r] += kernelOne - total // the rounding error, to the centre
	return k
}

// convolveRows runs the pass along y: for each output row y it calls emit(y, acc), acc holding
// the convolved row, four channels a pixel, scaled by kernelOne·256. src is a zero-origin RGBA.
func convolveRows(src *image.RGBA, k []int32, emit func(y int, acc []int64)) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	r := len(k) / 2
	n := len(k)
	ring := make([][]uint16, n)
	for i := range ring {
		ring[i] = make([]uint16, 4*w)
	}
	acc := make([]int64, 4*w)
	// horizontal fills ring slot for source row sy (clamped).
	horizontal := func(dst []uint16, sy int) {
		sy = min(max(sy, 0), h-1)
		row := src.Pix[sy*src.Stride : sy*src.Stride+4*w]
		// Scaled by kernelOne; keep 8 fractional bits.
		const shift = 14 - 8
		put := func(x int, s0, s1, s2, s3 int32) {
			d := dst[4*x : 4*x+4 : 4*x+4]
			d[0] = uint16((s0 + 1<<(shift-1)) >> shift)
			d[1] = uint16((s1 + 1<<(shift-1)) >> shift)
			d[2] = uint16((s2 + 1<<(shift-1)) >> shift)
			d[3] = uint16((s3 + 1<<(shift-1)) >> shift)
		}
		edge := func(x int) {
			var s0, s1, s2, s3 int32
			for j, wt := range k {
				sx := min(max(x+j-r, 0), w-1)
				p := row[4*sx : 4*sx+4 : 4*sx+4]
				s0 += wt * int32(p[0])
				s1 += wt * int32(p[1])
				s2 += wt * int32(p[2])
				s3 += wt * int32(p[3])
			}
			put(x, s0, s1, s2, s3)
		}
		for x := 0; x < min(r, w); x++ {
			edge(x)
		}
		for x := r; x < w-r; x++ {
			win := row[4*(x-r) : 4*(x+r+1)]
			var s0, s1, s2, s3 int32
			for j, wt := range k {
				p := win[4*j : 4*j+4 : 4*j+4]
				s0 += wt * int32(p[0])
				s1 += wt * int32(p[1])
				s2 += wt * int32(p[2])
				s3 += wt * int32(p[3])
			}
			put(x, s0, s1, s2, s3)
		}
		for x := max(w-r, r); x < w; x++ {
			edge(x)
		}
	}
	// Slot of source row sy (−r ≤ sy < h+r) in the ring.
	slot := func(sy int) []uint16 { return ring[((sy%n)+n)%n] }
	for sy := -r; sy < r; sy++ {
		horizontal(slot(sy), sy)
	}
	for y := range h {
		horizontal(slot(y+r), y+r)
		clear(acc)
		for j, wt := range k {
			row := slot(y + j - r)
			w64 := int64(wt)
			for i, v := range row {
				acc[i] += w64 * int64(v)
			}
		}
		emit(y, acc)
	}
}

// blurRGBA returns src convolved with k along both axes, as a new image.
func blurRGBA(src *image.RGBA, k []int32) *image.RGBA {
	w := src.Rect.Dx()
	dst := image.NewRGBA(image.Rect(0, 0, w, src.Rect.Dy()))
	const shift = 14 + 8
	convolveRows(src, k, func(y int, acc []int64) {
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for i, v := range acc {
			out[i] = uint8(min((v+1<<(shift-1))>>shift, 255))
		}
	})
	return dst
}

// sharpenKernel is the blur an unsharp mask subtracts: bild's UnsharpMask with radius 0.2 blurs
// with blur.Gaussian(1), three taps.
var sharpenKernel = gaussianKernel(1)

// sharpen returns src + amount·(src − blur(src)) as a new image, colour only: alpha is kept, and
// colour stays within it (a valid premultiplied image). It is bild's effect.UnsharpMask(src,
// 0.2, amount) in fixed point; its cost does not depend on amount.
func sharpen(src *image.RGBA, amount float64) *image.RGBA {
	w := src.Rect.Dx()
	dst := image.NewRGBA(image.Rect(0, 0, w, src.Rect.Dy()))
	const shift = 14 + 8
	a := int64(math.Round(amount * 256)) // amount in 1/256
	convolveRows(src, sharpenKernel, func(y int, acc []int64) {
		in := src.Pix[y*src.Stride : y*src.Stride+4*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := 0; x < 4*w; x += 4 {
			alpha := in[x+3]
			for c := x; c < x+3; c++ {
				s := int64(in[c]) << shift      // the pixel, scaled as acc
				v := s + (s-acc[c])*a>>8        // s + amount·(s − blurred)
				v = (v + 1<<(shift-1)) >> shift // back to 8 bits
				out[c] = uint8(min(max(v, 0), int64(alpha)))
			}
			out[x+3] = alpha
		}
	})
	return dst
}
