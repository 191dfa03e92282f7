// Package resize scales images with high quality, fast, in one goroutine.
//
// The filter is Lanczos3 (sinc windowed by sinc, radius 3), separable, with precomputed
// fixed-point weights: for each output row and column, a window of source samples and their
// integer weights (filter.go). A reduction by s costs Lanczos3 about 6·s taps per output sample,
// so large reductions are done in two steps: first an integer-factor box average that leaves at
// most a 2× reduction (one addition per source sample, four columns per 64-bit add), then Lanczos3
// for the rest. The pipeline for one plane is
//
//	source rows ─box average (or just pack)─► packed plane ─Lanczos along y─► transposed
//	intermediate ─Lanczos along x─► 8-bit RGBA pixels
//
// Both Lanczos passes stream whole rows (one weight per row, no per-sample index arithmetic) and
// multiply two samples per 64-bit multiplication; see "Packed samples" in pass.go.
//
// Alpha is resampled premultiplied. An *image.YCbCr (what image/jpeg decodes to) is resampled plane
// by plane — Y at full resolution, Cb and Cr at their own subsampled resolution — and only the w×h
// result is converted to RGB, so the million pixels of a 1024² JPEG are never converted.
//
// Compared with an exact float64 Lanczos3, a 1024² photo-like JPEG reduced to 200² differs by
// about 0.5 (of 255) per channel on average; the box step accounts for most of that, the
// YCbCr-domain filtering for about 0.15 (resize_test.go has the measurement).
package resize

import (
	"image"
)

// Resize returns src scaled to exactly w×h as a new *image.RGBA (premultiplied alpha) with
// Bounds() = (0,0)-(w,h). Widths and heights below 1 are treated as 1. src may be any image.Image,
// including a sub-image whose Bounds().Min is not the origin; an empty src gives a transparent
// result. Up- and downscaling and different factors per axis all work; when w×h equals the source
// size the result is a converted copy (no filtering).
//
// Fast paths: *image.YCbCr (every subsample ratio image/jpeg produces), *image.NYCbCrA,
// *image.RGBA, *image.NRGBA, *image.Gray, *image.Paletted and *image.CMYK; other types are read
// through RGBA64At. Resize runs in the calling goroutine only and is safe for concurrent use.
func Resize(src image.Image, w, h int) *image.RGBA {
	w, h = max(w, 1), max(h, 1)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sb := src.Bounds()
	if sb.Empty() {
		return dst
	}
	if sb.Dx() == w && sb.Dy() == h {
		copyConvert(dst, src)
		return dst
	}
	ax := axis{n: sb.Dx(), out: w, s: float64(sb.Dx()) / float64(w)}
	ay := axis{n: sb.Dy(), out: h, s: float64(sb.Dy()) / float64(h)}
	var sc scratch
	switch s := src.(type) {
	case *image.YCbCr:
		if ycbcrOK(s) {
			resizeYCbCr(dst, s, ax, ay, &sc)
			return dst
		}
	case *image.Gray:
		p := plane{pix: s.Pix[s.PixOffset(sb.Min.X, sb.Min.Y):], stride: s.Stride, w: sb.Dx(), h: sb.Dy(), c: 1}
		pl := newPlan(ax, ay)
		trans := pl.run(source{p: p}, &sc, &sc.trans)
		finishGray(dst, trans, &pl.wx, &sc)
		return dst
	}
	rs := rgbaSource(src)
	pl := newPlan(ax, ay)
	trans := pl.run(rs, &sc, &sc.trans)
	finishRGBA(dst, trans, &pl.wx, rs.p.transparent, &sc)
	return dst
}

// scratch holds the buffers one Resize call reuses across passes and planes.
type scratch struct {
	plane                   []int64 // the packed input of passV
	trans, transCb, transCr []int64 // passV's transposed outputs
	acc0, acc1, acc2        []int64
	row0, row1              []uint8
}

// grow returns (*buf)[:n], reallocating when the capacity is too small. The contents are not
// cleared.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

func (sc *scratch) rowBufs(n int) (a, b []uint8) {
	return grow(&sc.row0, n), grow(&sc.row1, n)
}

// plan is what resizing planes of one geometry needs: the box pre-reduction factors and the
// Lanczos weights of both axes. The Cb and Cr planes of an image share one.
type plan struct {
	kx, ky int
	wx, wy weights
}

func newPlan(ax, ay axis) *plan {
	kx, ky := ax.boxFactor(), ay.boxFactor()
	return &plan{kx: kx, ky: ky, wx: makeWeights(ax.boxed(kx)), wy: makeWeights(ay.boxed(ky))}
}

// run does the first half of resizing src (whose size must match the axes the plan was made for):
// the box average (or just packing), then the Lanczos pass along y. It returns passV's transposed
// output, stored in *trans; the caller finishes with the pass along x.
func (pl *plan) run(src source, sc *scratch, trans *[]int64) []int64 {
	c := src.p.c
	var in []int64
	var w, h int
	if pl.kx > 1 || pl.ky > 1 {
		in, w, h = boxReduce(src, pl.kx, pl.ky, sc)
	} else {
		// No box step means the source is less than twice the output size (or smaller), so
		// packing it whole costs little.
		w, h = src.p.w, src.p.h
		nw := (w*c + 1) / 2
		in = grow(&sc.plane, nw*h)
		buf, _ := sc.rowBufs(w * c)
		for y := range h {
			row := buf
			if src.conv != nil {
				src.conv(buf, y)
			} else {
				row = src.p.row(y)
			}
			packRow(in[y*nw:(y+1)*nw], row)
		}
	}
	n := (w*c + 1) / 2
	J := (len(pl.wy.start) + 1) / 2
	t := grow(trans, w*c*J)
	passV(in, n, w*c, &pl.wy, t, grow(&sc.acc0, n), grow(&sc.acc1, n))
	return t
}

// The final pass filters passV's transposed output along x (see passV: one packed row of c·J words
// per input pixel column, channel-major, lanes holding output rows 2j and 2j+1) and stores each
// output column straight into dst as 8-bit pixels.

// finishRGBA finishes a 4-channel (premultiplied RGBA) plane.
func finishRGBA(dst *image.RGBA, trans []int64, wx *weights, transparent bool, sc *scratch) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	J := (h + 1) / 2
	acc := grow(&sc.acc2, 4*J)
	for x := range w {
		accumulate(acc, trans, 4*J, int(wx.start[x]), wx.w[x*wx.taps:(x+1)*wx.taps])
		ar, ag, ab, aa := acc[:J], acc[J:2*J], acc[2*J:3*J], acc[3*J:4*J]
		for j := range J {
			r0, r1 := unpack(ar[j])
			g0, g1 := unpack(ag[j])
			b0, b1 := unpack(ab[j])
			a0, a1 := unpack(aa[j])
			storeRGBA(dst.Pix[(2*j)*dst.Stride+4*x:], r0, g0, b0, a0, transparent)
			if 2*j+1 < h {
				storeRGBA(dst.Pix[(2*j+1)*dst.Stride+4*x:], r1, g1, b1, a1, transparent)
			}
		}
	}
}

func storeRGBA(p []uint8, r, g, b, a int32, transparent bool) {
	p = p[:4:4]
	p[0], p[1], p[2], p[3] = final8(r), final8(g), final8(b), final8(a)
	if transparent {
		// Lanczos overshoot can push a colour channel above alpha, which is not a valid
		// premultiplied colour.
		p[0], p[1], p[2] = min(p[0], p[3]), min(p[1], p[3]), min(p[2], p[3])
	}
}

// finishGray finishes a grey plane.
func finishGray(dst *image.RGBA, trans []int64, wx *weights, sc *scratch) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	J := (h + 1) / 2
	acc := grow(&sc.acc2, J)
	for x := range w {
		accumulate(acc, trans, J, int(wx.start[x]), wx.w[x*wx.taps:(x+1)*wx.taps])
		for j, v := range acc {
			v0, v1 := unpack(v)
			p := dst.Pix[(2*j)*dst.Stride+4*x:][:4:4]
			g := final8(v0)
			p[0], p[1], p[2], p[3] = g, g, g, 0xff
			if 2*j+1 < h {
				p := dst.Pix[(2*j+1)*dst.Stride+4*x:][:4:4]
				g := final8(v1)
				p[0], p[1], p[2], p[3] = g, g, g, 0xff
			}
		}
	}
}

// resizeYCbCr resizes the Y, Cb and Cr planes of s separately to the output size and converts only
// the result to RGB. Colour conversion is affine, so filtering before it equals filtering after it
// up to rounding and to the clamping of out-of-gamut colours, and the conversion is done before
// either (from samples with interBits fractional bits).
func resizeYCbCr(dst *image.RGBA, s *image.YCbCr, ax, ay axis, sc *scratch) {
	r := s.Rect
	w, h := ax.out, ay.out
	fx, fy := subsampling(s.SubsampleRatio)

	ypl := newPlan(ax, ay)
	yp := plane{pix: s.Y[s.YOffset(r.Min.X, r.Min.Y):], stride: s.YStride, w: r.Dx(), h: r.Dy(), c: 1}
	ty := ypl.run(source{p: yp}, sc, &sc.trans)

	cx, cy := chromaAxis(r.Min.X, r.Max.X, fx, w), chromaAxis(r.Min.Y, r.Max.Y, fy, h)
	cpl := newPlan(cx, cy)
	co := s.COffset(r.Min.X, r.Min.Y)
	cbp := plane{pix: s.Cb[co:], stride: s.CStride, w: cx.n, h: cy.n, c: 1}
	crp := cbp
	crp.pix = s.Cr[co:]
	tcb := cpl.run(source{p: cbp}, sc, &sc.transCb)
	tcr := cpl.run(source{p: crp}, sc, &sc.transCr)

	// The final pass of the three planes in lockstep, converting each output pixel as it goes.
	J := (h + 1) / 2
	accY, accB, accR := grow(&sc.acc0, J), grow(&sc.acc1, J), grow(&sc.acc2, J)
	for x := range w {
		accumulate(accY, ty, J, int(ypl.wx.start[x]), ypl.wx.w[x*ypl.wx.taps:(x+1)*ypl.wx.taps])
		accumulate(accB, tcb, J, int(cpl.wx.start[x]), cpl.wx.w[x*cpl.wx.taps:(x+1)*cpl.wx.taps])
		accumulate(accR, tcr, J, int(cpl.wx.start[x]), cpl.wx.w[x*cpl.wx.taps:(x+1)*cpl.wx.taps])
		accB, accR := accB[:len(accY)], accR[:len(accY)]
		for j, v := range accY {
			y0, y1 := unpack(v)
			b0, b1 := unpack(accB[j])
			r0, r1 := unpack(accR[j])
			p := dst.Pix[(2*j)*dst.Stride+4*x:][:4:4]
			p[0], p[1], p[2] = ycbcrFracToRGB(lane(y0), lane(b0), lane(r0))
			p[3] = 0xff
			if 2*j+1 < h {
				p := dst.Pix[(2*j+1)*dst.Stride+4*x:][:4:4]
				p[0], p[1], p[2] = ycbcrFracToRGB(lane(y1), lane(b1), lane(r1))
				p[3] = 0xff
			}
		}
	}
}

// chromaAxis maps the output axis onto a chroma plane subsampled by f along it, for luma coordinates
// [lo, hi) (lo ≥ 0). Chroma sample c (absolute) covers luma [c·f, c·f+f); the plane starts at the
// sample containing lo, so the output's left edge, luma lo, is at plane coordinate (lo mod f)/f.
func chromaAxis(lo, hi, f, out int) axis {
	c0 := lo / f
	return axis{
		n:   (hi-1)/f - c0 + 1,
		out: out,
		a:   float64(lo-c0*f) / float64(f),
		s:   float64(hi-lo) / float64(out) / float64(f),
	}
}

// copyConvert converts src to RGBA pixel by pixel into dst, which has the same size.
func copyConvert(dst *image.RGBA, src image.Image) {
	rs := rgbaSource(src)
	p := rs.p
	for y := range p.h {
		d := dst.Pix[y*dst.Stride : y*dst.Stride+p.w*4]
		if rs.conv != nil {
			rs.conv(d, y)
		} else {
			copy(d, p.row(y))
		}
	}
}
