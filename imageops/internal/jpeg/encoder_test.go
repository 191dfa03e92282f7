package jpeg

import (
	"bytes"
	"image/color"
	"math"
	"math/rand/v2"
)

// A small JPEG encoder for the tests: image/jpeg only writes 4:2:0 or gray baseline files, and
// the tests need every sampling, RGB, CMYK and YCCK files, restart intervals, non-interleaved
// sequential scans and progressive files, at any size, without an external tool.
//
// Its progressive files follow libjpeg's default script (spectral selection and successive
// approximation, AC refinement included), and every scan has optimal Huffman tables, as
// cjpeg -progressive writes them.

type encOpts struct {
	quality     int        // 1–100; 0 means 85
	sampling    []Sampling // one per component: 1, 3 or 4 components
	ids         []byte     // component identifiers; nil means 1, 2, 3, 4
	jfif        bool       // write a JFIF APP0 marker
	adobe       int        // the transform of an Adobe APP14 marker, or -1 for none
	restart     int        // restart interval in MCUs (interleaved sequential scans only)
	separate    bool       // sequential: one scan per component instead of one interleaved scan
	progressive bool
}

// encodeJPEG encodes the w×h full-resolution component planes (one per sampling entry, in the
// file's color space) and returns the file.
func encodeJPEG(w, h int, planes [][]byte, o encOpts) []byte {
	n := len(o.sampling)
	if o.quality == 0 {
		o.quality = 85
	}
	ids := o.ids
	if ids == nil {
		ids = []byte{1, 2, 3, 4}
	}
	hmax, vmax := 1, 1
	for _, s := range o.sampling {
		hmax, vmax = max(hmax, s.H), max(vmax, s.V)
	}
	mxx, myy := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)

	// Quantization: table 0 (luma) for the first and, with four components, the last component;
	// table 1 for the others.
	var quant [2][blockSize]int32 // natural order
	scale := 5000 / o.quality
	if o.quality >= 50 {
		scale = 200 - 2*o.quality
	}
	for t := range 2 {
		for zig := range blockSize {
			q := (int32(stdQuant[t][zig])*int32(scale) + 50) / 100
			quant[t][unzig[zig]] = min(max(q, 1), 255)
		}
	}
	tqOf := func(c int) int {
		if c == 0 || (n == 4 && c == 3) {
			return 0
		}
		return 1
	}

	// Quantized coefficients of each component, on the grid of the interleaved scans (which
	// covers the non-interleaved grid).
	type compData struct {
		bw, bh int // interleaved grid
		nw, nh int // non-interleaved grid
		blocks [][blockSize]int32
	}
	comps := make([]compData, n)
	for c, s := range o.sampling {
		hr, vr := hmax/s.H, vmax/s.V
		cw, ch := (w+hr-1)/hr, (h+vr-1)/vr
		sub := make([]float64, cw*ch) // box-averaged samples
		for y := range ch {
			for x := range cw {
				var sum float64
				var k int
				for yy := y * vr; yy < min(y*vr+vr, h); yy++ {
					for xx := x * hr; xx < min(x*hr+hr, w); xx++ {
						sum += float64(planes[c][yy*w+xx])
						k++
					}
				}
				sub[y*cw+x] = sum / float64(k)
			}
		}
		d := compData{bw: mxx * s.H, bh: myy * s.V, nw: (cw + 7) / 8, nh: (ch + 7) / 8}
		d.blocks = make([][blockSize]int32, d.bw*d.bh)
		var px [blockSize]float64
		for by := range d.bh {
			for bx := range d.bw {
				for y := range 8 {
					for x := range 8 {
						sx, sy := min(bx*8+x, cw-1), min(by*8+y, ch-1) // replicate the edges
						px[y*8+x] = sub[sy*cw+sx] - 128
					}
				}
				f := fdctFloat(&px)
				q := &quant[tqOf(c)]
				for k := range blockSize {
					d.blocks[by*d.bw+bx][k] = int32(math.Round(f[k] / float64(q[k])))
				}
			}
		}
		comps[c] = d
	}

	var out bytes.Buffer
	seg := func(marker byte, payload ...byte) {
		out.Write([]byte{0xff, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		out.Write(payload)
	}
	out.Write([]byte{0xff, soiMarker})
	if o.jfif {
		seg(app0Marker, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0)
	}
	if o.adobe >= 0 {
		seg(app14Marker, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(o.adobe))
	}
	for t := range 2 {
		p := []byte{byte(t)}
		for zig := range blockSize {
			p = append(p, byte(quant[t][unzig[zig]]))
		}
		seg(dqtMarker, p...)
	}
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(n)}
	for c, s := range o.sampling {
		sof = append(sof, ids[c], byte(s.H<<4|s.V), byte(tqOf(c)))
	}
	if o.progressive {
		seg(sof2Marker, sof...)
	} else {
		seg(sof0Marker, sof...)
	}
	if o.restart > 0 {
		seg(driMarker, byte(o.restart>>8), byte(o.restart))
	}

	all := make([]int, n)
	for c := range all {
		all[c] = c
	}
	var scans []scanSpec
	switch {
	case o.progressive:
		scans = progressiveScript(n)
	case o.separate:
		for c := range n {
			scans = append(scans, scanSpec{comps: []int{c}, se: 63})
		}
	default:
		scans = []scanSpec{{comps: all, se: 63}}
	}

	// blocksOf visits the blocks of a scan of components cs in order, and calls mcuDone after
	// each MCU of an interleaved scan.
	blocksOf := func(cs []int, f func(c int, b *[blockSize]int32), mcuDone func(mcu int)) {
		if len(cs) == 1 {
			d := &comps[cs[0]]
			for by := range d.nh {
				for bx := range d.nw {
					f(cs[0], &d.blocks[by*d.bw+bx])
				}
			}
			return
		}
		mcu := 0
		for my := range myy {
			for mx := range mxx {
				for _, c := range cs {
					s, d := o.sampling[c], &comps[c]
					for v := range s.V {
						for u := range s.H {
							f(c, &d.blocks[(my*s.V+v)*d.bw+mx*s.H+u])
						}
					}
				}
				mcu++
				mcuDone(mcu)
			}
		}
	}

	for _, sc := range scans {
		// Two passes: count the symbols, then write them with optimal Huffman tables.
		var e emitter
		for _, counting := range []bool{true, false} {
			e.counting = counting
			if !counting {
				dcVals, dcCounts := e.dc.build()
				acVals, acCounts := e.ac.build()
				if dcVals != nil {
					seg(dhtMarker, append(append([]byte{0x00}, dcCounts[:]...), dcVals...)...)
				}
				if acVals != nil {
					seg(dhtMarker, append(append([]byte{0x10}, acCounts[:]...), acVals...)...)
				}
				p := []byte{byte(len(sc.comps))}
				for _, c := range sc.comps {
					p = append(p, ids[c], 0x00)
				}
				p = append(p, byte(sc.ss), byte(sc.se), byte(sc.ah<<4|sc.al))
				seg(sosMarker, p...)
			}
			var pred [4]int32
			rst := 0
			blocksOf(sc.comps, func(c int, b *[blockSize]int32) {
				switch {
				case !o.progressive:
					e.dcDiff(b[0] - pred[c])
					pred[c] = b[0]
					e.acFirst(b, 1, 63, 0, false)
				case sc.ss == 0 && sc.ah == 0:
					v := b[0] >> sc.al
					e.dcDiff(v - pred[c])
					pred[c] = v
				case sc.ss == 0:
					e.bits(uint32(b[0]>>sc.al)&1, 1)
				case sc.ah == 0:
					e.acFirst(b, sc.ss, sc.se, sc.al, true)
				default:
					e.acRefine(b, sc.ss, sc.se, sc.al)
				}
			}, func(mcu int) {
				if o.restart > 0 && !o.progressive && mcu%o.restart == 0 && mcu < mxx*myy {
					e.flushEOB()
					if !counting {
						e.bw.flush()
						out.Write(e.bw.buf)
						e.bw = bitWriter{}
						out.Write([]byte{0xff, byte(rst0Marker + rst%8)})
					}
					rst++
					pred = [4]int32{}
				}
			})
			e.flushEOB()
		}
		e.bw.flush()
		out.Write(e.bw.buf)
	}
	out.Write([]byte{0xff, eoiMarker})
	return out.Bytes()
}

// scanSpec is one scan of the encoder: components, spectral selection and successive
// approximation.
type scanSpec struct {
	comps          []int
	ss, se, ah, al int
}

// progressiveScript returns libjpeg's default progressive script (jcparam.c,
// jpeg_simple_progression) for n components.
func progressiveScript(n int) []scanSpec {
	all := make([]int, n)
	for c := range all {
		all[c] = c
	}
	one := func(c, ss, se, ah, al int) scanSpec { return scanSpec{[]int{c}, ss, se, ah, al} }
	if n == 3 {
		return []scanSpec{
			{all, 0, 0, 0, 1},
			one(0, 1, 5, 0, 2), one(2, 1, 63, 0, 1), one(1, 1, 63, 0, 1),
			one(0, 6, 63, 0, 2), one(0, 1, 63, 2, 1),
			{all, 0, 0, 1, 0},
			one(2, 1, 63, 1, 0), one(1, 1, 63, 1, 0), one(0, 1, 63, 1, 0),
		}
	}
	ss := []scanSpec{{all, 0, 0, 0, 1}}
	for c := range n {
		ss = append(ss, one(c, 1, 5, 0, 2))
	}
	for c := range n {
		ss = append(ss, one(c, 6, 63, 0, 2))
	}
	for c := range n {
		ss = append(ss, one(c, 1, 63, 2, 1))
	}
	ss = append(ss, scanSpec{all, 0, 0, 1, 0})
	for c := range n {
		ss = append(ss, one(c, 1, 63, 1, 0))
	}
	return ss
}

// emitter writes the entropy-coded data of one scan, or only counts its Huffman symbols.
type emitter struct {
	counting bool
	dc, ac   huffTable
	bw       bitWriter
	eobrun   int
	be       []uint32 // correction bits of the blocks of the pending EOB run (AC refinement)
}

// huffTable is a Huffman table being counted, then built.
type huffTable struct {
	freq [257]int
	code [256]uint32
	size [256]uint32
}

func (e *emitter) sym(t *huffTable, s byte) {
	if e.counting {
		t.freq[s]++
		return
	}
	e.bw.emit(t.code[s], t.size[s])
}

func (e *emitter) bits(v, n uint32) {
	if !e.counting {
		e.bw.emit(v, n)
	}
}

// magnitude returns the bit length of |v| and the bits that code v (T.81 F.1.2.1).
func magnitude(v int32) (uint32, uint32) {
	a := v
	if a < 0 {
		a = -a
	}
	s := uint32(0)
	for a != 0 {
		s++
		a >>= 1
	}
	if v < 0 {
		v += 1<<s - 1
	}
	return s, uint32(v) & (1<<s - 1)
}

func (e *emitter) dcDiff(diff int32) {
	s, bits := magnitude(diff)
	e.sym(&e.dc, byte(s))
	e.bits(bits, s)
}

// flushEOB emits the pending EOB run and the correction bits that go with it.
func (e *emitter) flushEOB() {
	if e.eobrun > 0 {
		nb := uint32(0)
		for 1<<(nb+1) <= e.eobrun {
			nb++
		}
		e.sym(&e.ac, byte(nb<<4))
		e.bits(uint32(e.eobrun)-1<<nb, nb)
		e.eobrun = 0
	}
	for _, b := range e.be {
		e.bits(b, 1)
	}
	e.be = e.be[:0]
}

// acFirst codes coefficients ss..se of b (zig-zag order) with point transform al: libjpeg's
// encode_mcu_AC_first, or a sequential block's AC coefficients (which end with EOB, not a run).
func (e *emitter) acFirst(b *[blockSize]int32, ss, se, al int, progressive bool) {
	r := 0
	for k := ss; k <= se; k++ {
		v := b[unzig[k]]
		if v < 0 {
			v = -(-v >> al)
		} else {
			v >>= al
		}
		if v == 0 {
			r++
			continue
		}
		if progressive {
			e.flushEOB()
		}
		for r > 15 {
			e.sym(&e.ac, 0xf0)
			r -= 16
		}
		s, bits := magnitude(v)
		e.sym(&e.ac, byte(r<<4)|byte(s))
		e.bits(bits, s)
		r = 0
	}
	if r > 0 {
		if !progressive {
			e.sym(&e.ac, 0x00)
			return
		}
		e.eobrun++
		if e.eobrun == 0x7fff {
			e.flushEOB()
		}
	}
}

// acRefine codes the refinement of coefficients ss..se of b by one bit, at point transform al:
// libjpeg's encode_mcu_AC_refine.
func (e *emitter) acRefine(b *[blockSize]int32, ss, se, al int) {
	var abs [blockSize]int32
	eob := 0
	for k := ss; k <= se; k++ {
		v := b[unzig[k]]
		if v < 0 {
			v = -v
		}
		abs[k] = v >> al
		if abs[k] == 1 {
			eob = k // the last newly non-zero coefficient
		}
	}
	r := 0
	var br []uint32 // this block's correction bits not yet emitted
	for k := ss; k <= se; k++ {
		a := abs[k]
		if a == 0 {
			r++
			continue
		}
		for r > 15 && k <= eob {
			e.flushEOB()
			e.sym(&e.ac, 0xf0)
			r -= 16
			for _, bit := range br {
				e.bits(bit, 1)
			}
			br = br[:0]
		}
		if a > 1 {
			br = append(br, uint32(a&1)) // a previously non-zero coefficient: one correction bit
			continue
		}
		e.flushEOB()
		e.sym(&e.ac, byte(r<<4)|1)
		sign := uint32(1)
		if b[unzig[k]] < 0 {
			sign = 0
		}
		e.bits(sign, 1)
		for _, bit := range br {
			e.bits(bit, 1)
		}
		br = br[:0]
		r = 0
	}
	if r > 0 || len(br) > 0 {
		e.eobrun++
		e.be = append(e.be, br...)
		if e.eobrun == 0x7fff || len(e.be) > 1000-blockSize+1 {
			e.flushEOB()
		}
	}
}

// build makes the optimal length-limited Huffman code for the counted symbols (T.81 K.2, as
// libjpeg's jpeg_gen_optimal_table) and returns its values and counts per length, or nil if no
// symbol was counted.
func (t *huffTable) build() ([]byte, [16]byte) {
	var counts [16]byte
	freq := t.freq
	any := false
	for _, f := range freq[:256] {
		any = any || f > 0
	}
	if !any {
		return nil, counts
	}
	freq[256] = 1 // a reserved symbol, so that no code is all ones
	var codesize [257]int
	others := [257]int{}
	for i := range others {
		others[i] = -1
	}
	for {
		c1, c2 := -1, -1
		v := math.MaxInt
		for i := range 257 {
			if freq[i] > 0 && freq[i] <= v {
				v, c1 = freq[i], i
			}
		}
		v = math.MaxInt
		for i := range 257 {
			if freq[i] > 0 && freq[i] <= v && i != c1 {
				v, c2 = freq[i], i
			}
		}
		if c2 < 0 {
			break
		}
		freq[c1] += freq[c2]
		freq[c2] = 0
		codesize[c1]++
		for others[c1] >= 0 {
			c1 = others[c1]
			codesize[c1]++
		}
		others[c1] = c2
		codesize[c2]++
		for others[c2] >= 0 {
			c2 = others[c2]
			codesize[c2]++
		}
	}
	var bits [33]int
	for i := range 257 {
		if codesize[i] > 0 {
			bits[codesize[i]]++
		}
	}
	for i := 32; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	i := 16
	for bits[i] == 0 {
		i--
	}
	bits[i]-- // remove the reserved symbol
	var vals []byte
	for size := 1; size <= 32; size++ {
		for s := range 256 {
			if codesize[s] == size {
				vals = append(vals, byte(s))
			}
		}
	}
	// Assign the codes: canonical, by length then value order.
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		counts[l-1] = byte(bits[l])
		for range bits[l] {
			t.code[vals[k]], t.size[vals[k]] = code, uint32(l)
			code++
			k++
		}
		code <<= 1
	}
	return vals, counts
}

// stdQuant are the quantization tables of T.81 K.1 in zig-zag order (luma, chroma).
var stdQuant = [2][blockSize]byte{
	{
		16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40,
		26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51,
		56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87,
		95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
	},
	{
		17, 18, 18, 24, 21, 24, 47, 26, 26, 47, 99, 66, 56, 66, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
	},
}

// fdctFloat is the 2-D forward DCT of T.81 A.3.3, in floating point, natural order.
func fdctFloat(px *[blockSize]float64) (f [blockSize]float64) {
	var t [blockSize]float64
	for y := range 8 {
		for u := range 8 {
			var s float64
			for x := range 8 {
				s += px[y*8+x] * cosTable[x][u]
			}
			t[y*8+u] = s * cu(u) / 2
		}
	}
	for u := range 8 {
		for v := range 8 {
			var s float64
			for y := range 8 {
				s += t[y*8+u] * cosTable[y][v]
			}
			f[v*8+u] = s * cu(v) / 2
		}
	}
	return f
}

// idctFloat is the 2-D inverse DCT of T.81 A.3.3, in floating point: natural order in and out.
func idctFloat(f *[blockSize]float64) (px [blockSize]float64) {
	var t [blockSize]float64
	for v := range 8 {
		for x := range 8 {
			var s float64
			for u := range 8 {
				s += cu(u) * f[v*8+u] * cosTable[x][u]
			}
			t[v*8+x] = s / 2
		}
	}
	for x := range 8 {
		for y := range 8 {
			var s float64
			for v := range 8 {
				s += cu(v) * t[v*8+x] * cosTable[y][v]
			}
			px[y*8+x] = s / 2
		}
	}
	return px
}

var cosTable = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			t[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	return t
}()

func cu(u int) float64 {
	if u == 0 {
		return 1 / math.Sqrt2
	}
	return 1
}

// bitWriter writes MSB-first bits with byte stuffing.
type bitWriter struct {
	buf  []byte
	acc  uint64
	nacc uint32
}

func (w *bitWriter) emit(bits, n uint32) {
	w.acc = w.acc<<n | uint64(bits)&(1<<n-1)
	w.nacc += n
	for w.nacc >= 8 {
		b := byte(w.acc >> (w.nacc - 8))
		w.buf = append(w.buf, b)
		if b == 0xff {
			w.buf = append(w.buf, 0)
		}
		w.nacc -= 8
	}
}

// flush pads the last byte with 1 bits.
func (w *bitWriter) flush() {
	if w.nacc > 0 {
		w.emit(1<<(8-w.nacc)-1, 8-w.nacc)
	}
}

// photoPlanes returns a deterministic w×h photo-like image (smooth gradients, soft and hard-edged
// discs, a zone plate, fine noise) as R, G, B planes.
func photoPlanes(w, h int, seed uint64) [3][]byte {
	rng := rand.New(rand.NewPCG(seed, 2))
	var p [3][]byte
	for i := range p {
		p[i] = make([]byte, w*h)
	}
	type disc struct {
		cx, cy, r float64
		c         [3]float64
		soft      bool
	}
	fw, fh := float64(w), float64(h)
	fn := max(fw, fh)
	var discs []disc
	for range 12 {
		discs = append(discs, disc{
			cx: rng.Float64() * fw, cy: rng.Float64() * fh, r: (0.04 + 0.12*rng.Float64()) * fn,
			c:    [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255},
			soft: rng.IntN(2) == 0,
		})
	}
	zx, zy, zr := 0.72*fw, 0.3*fh, 0.2*fn
	for y := range h {
		for x := range w {
			fx, fy := float64(x), float64(y)
			c := [3]float64{
				40 + 150*fx/fn + 30*math.Sin(fy/fn*7),
				60 + 120*fy/fn,
				90 + 80*math.Sin((fx+fy)/fn*4),
			}
			for _, d := range discs {
				dist := math.Hypot(fx-d.cx, fy-d.cy)
				a := 0.0
				if d.soft {
					a = math.Max(0, 1-dist/d.r) * 0.8
				} else if dist < d.r {
					a = 0.9
				}
				for i := range c {
					c[i] = c[i]*(1-a) + d.c[i]*a
				}
			}
			if d := math.Hypot(fx-zx, fy-zy); d < zr {
				v := 127.5 + 127.5*math.Cos(math.Pi*d*d/(2*zr))
				for i := range c {
					c[i] = c[i]*0.3 + v*0.7
				}
			}
			for i := range c {
				v := c[i] + rng.NormFloat64()*6
				p[i][y*w+x] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
		}
	}
	return p
}

// kind is a kind of generated test file.
type kind struct {
	name        string
	space       ColorSpace
	sampling    []Sampling
	progressive bool
	restart     int
	separate    bool
}

var (
	s11 = Sampling{1, 1}
	s21 = Sampling{2, 1}
	s12 = Sampling{1, 2}
	s22 = Sampling{2, 2}
	s41 = Sampling{4, 1}
	s42 = Sampling{4, 2}
)

// kinds are the generated variants: every sampling image/jpeg supports, every color space, and
// the sequential and progressive modes.
var kinds = func() []kind {
	base := []kind{
		{name: "gray", space: Gray, sampling: []Sampling{s11}},
		{name: "gray-2x2", space: Gray, sampling: []Sampling{s22}},
		{name: "444", space: YCbCr, sampling: []Sampling{s11, s11, s11}},
		{name: "422", space: YCbCr, sampling: []Sampling{s21, s11, s11}},
		{name: "420", space: YCbCr, sampling: []Sampling{s22, s11, s11}},
		{name: "440", space: YCbCr, sampling: []Sampling{s12, s11, s11}},
		{name: "411", space: YCbCr, sampling: []Sampling{s41, s11, s11}},
		{name: "410", space: YCbCr, sampling: []Sampling{s42, s11, s11}},
		{name: "420-as-422", space: YCbCr, sampling: []Sampling{s22, s21, s21}},
		{name: "rgb", space: RGB, sampling: []Sampling{s11, s11, s11}},
		{name: "rgb-420", space: RGB, sampling: []Sampling{s22, s11, s11}},
		{name: "cmyk", space: CMYK, sampling: []Sampling{s11, s11, s11, s11}},
		{name: "cmyk-2211", space: CMYK, sampling: []Sampling{s22, s11, s11, s22}},
		{name: "ycck", space: YCCK, sampling: []Sampling{s11, s11, s11, s11}},
		{name: "ycck-2211", space: YCCK, sampling: []Sampling{s22, s11, s11, s22}},
	}
	var ks []kind
	for _, k := range base {
		ks = append(ks, k)
		p := k
		p.name, p.progressive = "progressive-"+k.name, true
		ks = append(ks, p)
	}
	ks = append(ks,
		kind{name: "420-restart", space: YCbCr, sampling: []Sampling{s22, s11, s11}, restart: 3},
		kind{name: "444-separate", space: YCbCr, sampling: []Sampling{s11, s11, s11}, separate: true},
		kind{name: "420-separate", space: YCbCr, sampling: []Sampling{s22, s11, s11}, separate: true},
	)
	return ks
}()

// generate encodes a photo-like w×h image as a file of kind k.
func generate(k kind, w, h int, quality int) []byte {
	return generateFrom(k, w, h, quality, photoPlanes(w, h, uint64(w*7919+h)))
}

// generateFrom encodes the w×h R, G, B planes as a file of kind k.
func generateFrom(k kind, w, h int, quality int, rgb [3][]byte) []byte {
	o := encOpts{quality: quality, sampling: k.sampling, adobe: -1, restart: k.restart,
		separate: k.separate, progressive: k.progressive}
	var planes [][]byte
	switch k.space {
	case Gray:
		y := make([]byte, w*h)
		for i := range y {
			y[i], _, _ = color.RGBToYCbCr(rgb[0][i], rgb[1][i], rgb[2][i])
		}
		planes = [][]byte{y}
		o.jfif = true
	case YCbCr, YCCK:
		ycc := [4][]byte{make([]byte, w*h), make([]byte, w*h), make([]byte, w*h), make([]byte, w*h)}
		for i := range ycc[0] {
			ycc[0][i], ycc[1][i], ycc[2][i] = color.RGBToYCbCr(rgb[0][i], rgb[1][i], rgb[2][i])
			ycc[3][i] = byte(255 - (int(rgb[0][i])+int(rgb[2][i]))/4) // some black, inverted as Adobe stores it
		}
		if k.space == YCbCr {
			planes, o.jfif = ycc[:3], true
		} else {
			planes, o.adobe = ycc[:4], 2
		}
	case RGB:
		planes, o.adobe = rgb[:], 0
	case CMYK:
		cmyk := [4][]byte{make([]byte, w*h), make([]byte, w*h), make([]byte, w*h), make([]byte, w*h)}
		for i := range cmyk[0] {
			c, m, y, kk := color.RGBToCMYK(rgb[0][i], rgb[1][i], rgb[2][i])
			cmyk[0][i], cmyk[1][i], cmyk[2][i], cmyk[3][i] = 255-c, 255-m, 255-y, 255-kk // Adobe's inversion
		}
		planes, o.adobe = cmyk[:], 0
	}
	return encodeJPEG(w, h, planes, o)
}
