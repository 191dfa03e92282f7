// Package resize scales images with high quality, fast, in one goroutine, in memory that does not
// grow with the source.
//
// The filter is Lanczos3 (sinc windowed by sinc, radius 3), separable, with precomputed
// fixed-point weights: for each output row and column, a window of source samples and their
// integer weights (filter.go). A reduction by s costs Lanczos3 about 6·s taps per output sample,
// so large reductions are done in two steps: first an integer-factor box average that leaves at
// most a 2× reduction (one addition per source sample, four columns per 64-bit add), then Lanczos3
// for the rest. The pipeline for one plane is
//
//	source rows ─box average (or just pack)─► ring of boxed rows ─Lanczos along y─► strip of
//	the transposed intermediate ─Lanczos along x─► 8-bit RGBA pixels
//
// It streams: source rows are read once, in order, and box-averaged into a ring that holds only
// the boxed rows the filter along y still needs (its window, plus one step); the output is made a
// strip of rows at a time (stripWords), the pass along y filling the strip and the pass along x
// emptying it into the result. So besides the w×h result a call holds a few boxed rows, a strip
// and the weights — for a 2048² RGBA to 1024², 0.9 MB next to the 4 MB result, where a whole
// intermediate would take 100 MB — and Cost says exactly how much, before the call. Both Lanczos
// passes stream whole rows (one weight per row, no per-sample index arithmetic) and multiply two
// samples per 64-bit multiplication; see "Packed samples" in pass.go.
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
// What it allocates, result included, is bounded by Cost(KindOf(src), sw, sh, w, h) for a sw×sh
// src: a few rows and a strip of output rows besides the result, however large src is.
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
	switch s := src.(type) {
	case *image.YCbCr:
		if ycbcrOK(s) {
			resizeYCbCr(dst, s, ax, ay)
			return dst
		}
	case *image.Gray:
		p := plane{pix: s.Pix[s.PixOffset(sb.Min.X, sb.Min.Y):], stride: s.Stride, w: sb.Dx(), h: sb.Dy(), c: 1}
		resizePlane(dst, source{p: p}, ax, ay)
		return dst
	}
	resizePlane(dst, rgbaSource(src), ax, ay)
	return dst
}

// plan is what resizing planes of one geometry needs: the box pre-reduction factors, the size of
// the boxed plane and the Lanczos weights of both axes. The Cb and Cr planes of an image share
// one.
type plan struct {
	kx, ky int
	bw, bh int
	wx, wy weights
}

func newPlan(ax, ay axis) *plan {
	kx, ky := ax.boxFactor(), ay.boxFactor()
	bx, by := ax.boxed(kx), ay.boxed(ky)
	return &plan{kx: kx, ky: ky, bw: bx.n, bh: by.n, wx: makeWeights(bx), wy: makeWeights(by)}
}

func (pl *plan) box() bool { return pl.kx > 1 || pl.ky > 1 }

// Strips. The output is made stripPairs pairs of rows at a time: the vertical pass fills a strip
// of its transposed output for those rows, then the final pass filters the strip along x into
// dst. A strip of stripWords words (256 KiB: with the ring, within the L2 cache of common CPUs)
// keeps both passes in cache; a strip of fewer than minStripPairs pairs would make the final
// pass's rows too short to stream well. (Half the words cost small enlargements of JPEGs about 3 %
// in speed, by making those rows shorter, for 0.1 MB less memory.)
const (
	stripWords    = 1 << 15
	minStripPairs = 4
)

// stripPairs returns the pairs of output rows per strip for boxed rows of ns samples in all (all
// planes together) and J pairs of output rows: as many as stripWords allow, at least
// minStripPairs, evened out over the strips that takes.
func stripPairs(ns, J int) int {
	js := min(J, max(minStripPairs, stripWords/max(ns, 1)))
	strips := (J + js - 1) / js
	return (J + strips - 1) / strips
}

// resizePlane resizes a 1-channel (grey) or 4-channel (premultiplied RGBA) source into dst.
func resizePlane(dst *image.RGBA, src source, ax, ay axis) {
	pl := newPlan(ax, ay)
	c := src.p.c
	rw := newRowWork((pl.bw*c+1)/2, src.p.w*c, pl.box(), src.conv != nil, pl.ky > 1)
	v := newVPass(src, pl, rw)
	J := (dst.Rect.Dy() + 1) / 2
	js := stripPairs(v.ns, J)
	trans := make([]int64, v.ns*js)
	acc := make([]int64, c*js)
	for j0 := 0; j0 < J; j0 += js {
		jl := min(js, J-j0)
		t := trans[:v.ns*jl]
		for jj := range jl {
			v.pair(j0+jj, t, jl, jj)
		}
		if c == 4 {
			finishRGBA(dst, t, &pl.wx, j0, jl, src.p.transparent, acc[:4*jl])
		} else {
			finishGray(dst, t, &pl.wx, j0, jl, acc[:jl])
		}
	}
}

// The final pass filters a strip of the vertical pass's transposed output along x (see
// vpass.pair: one packed row of c·jl words per boxed pixel column, channel-major, lanes holding
// output rows 2j and 2j+1 for j = j0+jj, jj < jl) and stores each output column of the strip
// straight into dst as 8-bit pixels.

// finishRGBA finishes a strip of a 4-channel (premultiplied RGBA) plane; len(acc) = 4·jl.
func finishRGBA(dst *image.RGBA, trans []int64, wx *weights, j0, jl int, transparent bool, acc []int64) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for x := range w {
		accumulate(acc, trans, 4*jl, int(wx.start[x]), wx.w[x*wx.taps:(x+1)*wx.taps])
		ar, ag, ab, aa := acc[:jl], acc[jl:2*jl], acc[2*jl:3*jl], acc[3*jl:4*jl]
		for jj := range jl {
			y := 2 * (j0 + jj)
			r0, r1 := unpack(ar[jj])
			g0, g1 := unpack(ag[jj])
			b0, b1 := unpack(ab[jj])
			a0, a1 := unpack(aa[jj])
			storeRGBA(dst.Pix[y*dst.Stride+4*x:], r0, g0, b0, a0, transparent)
			if y+1 < h {
				storeRGBA(dst.Pix[(y+1)*dst.Stride+4*x:], r1, g1, b1, a1, transparent)
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

// finishGray finishes a strip of a grey plane; len(acc) = jl.
func finishGray(dst *image.RGBA, trans []int64, wx *weights, j0, jl int, acc []int64) {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	for x := range w {
		accumulate(acc, trans, jl, int(wx.start[x]), wx.w[x*wx.taps:(x+1)*wx.taps])
		for jj, v := range acc {
			y := 2 * (j0 + jj)
			v0, v1 := unpack(v)
			p := dst.Pix[y*dst.Stride+4*x:][:4:4]
			g := final8(v0)
			p[0], p[1], p[2], p[3] = g, g, g, 0xff
			if y+1 < h {
				p := dst.Pix[(y+1)*dst.Stride+4*x:][:4:4]
				g := final8(v1)
				p[0], p[1], p[2], p[3] = g, g, g, 0xff
			}
		}
	}
}

// resizeYCbCr resizes the Y, Cb and Cr planes of s separately to the output size and converts only
// the result to RGB. Colour conversion is affine, so filtering before it equals filtering after it
// up to rounding and to the clamping of out-of-gamut colours, and the conversion is done before
// either (from samples with interBits fractional bits). The three planes stream through their
// vertical passes in step, strip by strip.
func resizeYCbCr(dst *image.RGBA, s *image.YCbCr, ax, ay axis) {
	r := s.Rect
	w, h := ax.out, ay.out
	fx, fy := subsampling(s.SubsampleRatio)

	ypl := newPlan(ax, ay)
	yp := plane{pix: s.Y[s.YOffset(r.Min.X, r.Min.Y):], stride: s.YStride, w: r.Dx(), h: r.Dy(), c: 1}
	cx, cy := chromaAxis(r.Min.X, r.Max.X, fx, w), chromaAxis(r.Min.Y, r.Max.Y, fy, h)
	cpl := newPlan(cx, cy)
	co := s.COffset(r.Min.X, r.Min.Y)
	cbp := plane{pix: s.Cb[co:], stride: s.CStride, w: cx.n, h: cy.n, c: 1}
	crp := cbp
	crp.pix = s.Cr[co:]

	// A chroma plane can be one sample wider than the luma plane's boxes (odd origins).
	rw := newRowWork((max(ypl.bw, cpl.bw)+1)/2, yp.w, ypl.box() || cpl.box(), false, false)
	vy := newVPass(source{p: yp}, ypl, rw)
	vb := newVPass(source{p: cbp}, cpl, rw)
	vr := newVPass(source{p: crp}, cpl, rw)
	J := (h + 1) / 2
	js := stripPairs(vy.ns+2*vb.ns, J)
	trans := make([]int64, (vy.ns+2*vb.ns)*js)
	acc := make([]int64, 3*js)
	for j0 := 0; j0 < J; j0 += js {
		jl := min(js, J-j0)
		ty := trans[:vy.ns*jl]
		tb := trans[vy.ns*jl : (vy.ns+vb.ns)*jl]
		tr := trans[(vy.ns+vb.ns)*jl : (vy.ns+2*vb.ns)*jl]
		for jj := range jl {
			vy.pair(j0+jj, ty, jl, jj)
			vb.pair(j0+jj, tb, jl, jj)
			vr.pair(j0+jj, tr, jl, jj)
		}
		// The final pass of the three planes in lockstep, converting each output pixel as it goes.
		accY, accB, accR := acc[:jl], acc[jl:2*jl], acc[2*jl:3*jl]
		for x := range w {
			accumulate(accY, ty, jl, int(ypl.wx.start[x]), ypl.wx.w[x*ypl.wx.taps:(x+1)*ypl.wx.taps])
			accumulate(accB, tb, jl, int(cpl.wx.start[x]), cpl.wx.w[x*cpl.wx.taps:(x+1)*cpl.wx.taps])
			accumulate(accR, tr, jl, int(cpl.wx.start[x]), cpl.wx.w[x*cpl.wx.taps:(x+1)*cpl.wx.taps])
			for jj, v := range accY {
				y := 2 * (j0 + jj)
				y0, y1 := unpack(v)
				b0, b1 := unpack(accB[jj])
				r0, r1 := unpack(accR[jj])
				p := dst.Pix[y*dst.Stride+4*x:][:4:4]
				p[0], p[1], p[2] = ycbcrFracToRGB(lane(y0), lane(b0), lane(r0))
				p[3] = 0xff
				if y+1 < h {
					p := dst.Pix[(y+1)*dst.Stride+4*x:][:4:4]
					p[0], p[1], p[2] = ycbcrFracToRGB(lane(y1), lane(b1), lane(r1))
					p[3] = 0xff
				}
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
