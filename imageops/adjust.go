package imageops

import (
	"image"
	"math"
)

// Defaults of the newer effects' arguments that are not a level (see effectSpecs for those).
const (
	// defaultShadowOffset is e_shadow's offset right and down (x_, y_) when not given, px.
	defaultShadowOffset = 8
	// shadowSigma is the standard deviation of e_shadow's blur, px.
	shadowSigma = 4.0
	// unsharpSigma is the standard deviation of e_unsharp_mask's blur, px.
	unsharpSigma = 1.0
)

// defaultTintColor is e_tint's colour when none is given.
var defaultTintColor = Color{R: 0xff, A: 0xff, Name: "red"}

// defaultColor returns the colour effect n takes when co_ is not given (gray for e_colorize and
// e_shadow, black for e_outline); ok is false for the effects that take no colour.
func (n EffectName) defaultColor() (Color, bool) {
	switch n {
	case EffectColorize, EffectShadow:
		return Color{R: 0x80, G: 0x80, B: 0x80, A: 0xff, Name: "gray"}, true
	case EffectOutline:
		return Color{A: 0xff, Name: "black"}, true
	}
	return Color{}, false
}

// lut is a table of 256 output levels per channel (R, G, B).
type lut [3][256]uint8

// applyLUT maps the straight (un-premultiplied) colour of every pixel of m through t, blended
// with the original by blend (0–1; 1 is t alone).
func (t *lut) apply(m *image.RGBA, blend float64) {
	if blend < 1 {
		for c := range t {
			for v := range t[c] {
				t[c][v] = uint8(math.Round(float64(t[c][v])*blend + float64(v)*(1-blend)))
			}
		}
	}
	for i := 0; i < len(m.Pix); i += 4 {
		p := m.Pix[i : i+3 : i+3]
		p[0], p[1], p[2] = t[0][p[0]], t[1][p[1]], t[2][p[2]]
	}
}

// histograms returns the histograms of m's R, G, B channels and of its luminance (straight
// colour; fully transparent pixels are not counted).
func histograms(m *image.RGBA) (ch [3][256]int, lum [256]int, n int) {
	for i := 0; i < len(m.Pix); i += 4 {
		if m.Pix[i+3] == 0 {
			continue
		}
		r, g, b := m.Pix[i], m.Pix[i+1], m.Pix[i+2]
		ch[0][r]++
		ch[1][g]++
		ch[2][b]++
		lum[luma(r, g, b)]++
		n++
	}
	return ch, lum, n
}

// luma returns the Rec. 601 luminance of a colour, 0–255.
func luma(r, g, b uint8) uint8 {
	return uint8((299*uint32(r) + 587*uint32(g) + 114*uint32(b) + 500) / 1000)
}

// percentile returns the smallest level at or below which at least q (0–1) of the n counted
// values of h lie.
func percentile(h *[256]int, n int, q float64) int {
	target := int(math.Ceil(q * float64(n)))
	sum := 0
	for v, c := range h {
		sum += c
		if sum >= target && sum > 0 {
			return v
		}
	}
	return 255
}

// stretch returns the levels table that maps lo to 0 and hi to 255 linearly, its gain limited
// to maxGain (a nearly flat picture is not blown up).
func stretch(lo, hi int, maxGain float64) [256]uint8 {
	var t [256]uint8
	if hi <= lo {
		for v := range t {
			t[v] = uint8(v)
		}
		return t
	}
	gain := math.Min(255/float64(hi-lo), maxGain)
	// Keep the middle of the range where it was when the gain is limited.
	mid := float64(lo+hi) / 2
	target := mid
	if gain*float64(hi-lo) >= 254.5 {
		target = 127.5
	}
	for v := range t {
		t[v] = clamp8((float64(v)-mid)*gain + target)
	}
	return t
}

func clamp8(f float64) uint8 {
	switch {
	case f <= 0:
		return 0
	case f >= 255:
		return 255
	}
	return uint8(f + 0.5)
}

// autoLevels are the percentiles that e_auto_contrast, e_auto_color and e_improve stretch to
// black and white, and the largest gain they apply.
const (
	autoLow     = 0.005
	autoHigh    = 0.995
	autoMaxGain = 3
)

// autoContrast stretches the luminance of m (straight colour) so that its darkest and lightest
// 0.5 % become black and white, with one table for the three channels (hues are kept).
func autoContrast(m *image.RGBA, blend float64) {
	_, lum, n := histograms(m)
	if n == 0 {
		return
	}
	t := stretch(percentile(&lum, n, autoLow), percentile(&lum, n, autoHigh), autoMaxGain)
	l := lut{t, t, t}
	l.apply(m, blend)
}

// autoColor stretches each channel of m on its own (a white balance and contrast at once).
func autoColor(m *image.RGBA, blend float64) {
	ch, _, n := histograms(m)
	if n == 0 {
		return
	}
	var l lut
	for c := range l {
		l[c] = stretch(percentile(&ch[c], n, autoLow), percentile(&ch[c], n, autoHigh), autoMaxGain)
	}
	l.apply(m, blend)
}

// autoBrightness applies the gamma that brings the mean luminance of m to mid-grey (a gamma from
// 0.5 to 2).
func autoBrightness(m *image.RGBA, blend float64) {
	_, lum, n := histograms(m)
	if n == 0 {
		return
	}
	sum := 0
	for v, c := range lum {
		sum += v * c
	}
	mean := (float64(sum)/float64(n) + 0.5) / 256
	g := math.Log(0.5) / math.Log(mean)
	g = math.Min(2, math.Max(0.5, g))
	var t [256]uint8
	for v := range t {
		t[v] = clamp8(255 * math.Pow(float64(v)/255, g))
	}
	l := lut{t, t, t}
	l.apply(m, blend)
}

// improve is e_improve: for indoor pictures a grey-world white balance first (each channel's
// mean brought to the mean luminance), then each channel stretched as by autoColor, but
// limited to a gain of 2.
func improve(m *image.RGBA, indoor bool, blend float64) {
	ch, lum, n := histograms(m)
	if n == 0 {
		return
	}
	var wb [3]float64
	for c := range wb {
		wb[c] = 1
	}
	if indoor {
		var means [3]float64
		lm := 0.0
		for v := range 256 {
			for c := range means {
				means[c] += float64(v * ch[c][v])
			}
			lm += float64(v * lum[v])
		}
		for c := range wb {
			if means[c] > 0 {
				wb[c] = math.Min(2, math.Max(0.5, lm/means[c]))
			}
		}
		// The histograms after the balance, for the stretch.
		var bal [3][256]int
		for c := range bal {
			for v, k := range ch[c] {
				bal[c][clamp8(float64(v)*wb[c])] += k
			}
		}
		ch = bal
	}
	var l lut
	for c := range l {
		s := stretch(percentile(&ch[c], n, autoLow), percentile(&ch[c], n, autoHigh), 2)
		for v := range l[c] {
			l[c][v] = s[clamp8(float64(v)*wb[c])]
		}
	}
	l.apply(m, blend)
}

// vibrance raises (amount > 0) or lowers the saturation of m, the less saturated colours the
// most: each channel moves away from (or towards) the luminance by a factor of
// 1 + amount·(1 - saturation), amount in [-1, 1].
func vibrance(m *image.RGBA, amount float64) {
	for i := 0; i < len(m.Pix); i += 4 {
		p := m.Pix[i : i+3 : i+3]
		r, g, b := float64(p[0]), float64(p[1]), float64(p[2])
		mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
		k := 1 + amount*(1-(mx-mn)/255)
		l := 0.299*r + 0.587*g + 0.114*b
		p[0], p[1], p[2] = clamp8(l+(r-l)*k), clamp8(l+(g-l)*k), clamp8(l+(b-l)*k)
	}
}

// blackwhite makes every pixel of m black or white: black where its luminance is below level
// % of white (level 0 is all white, 100 all black but pure white).
func blackwhite(m *image.RGBA, level int) {
	t := float64(level) * 2.55
	for i := 0; i < len(m.Pix); i += 4 {
		p := m.Pix[i : i+3 : i+3]
		v := uint8(255)
		if float64(luma(p[0], p[1], p[2])) < t {
			v = 0
		}
		p[0], p[1], p[2] = v, v, v
	}
}

// colorize blends every pixel of m towards c by level (0–1), keeping alpha (straight colour).
func colorize(m *image.RGBA, c Color, level float64) {
	cr, cg, cb := float64(c.R)*level, float64(c.G)*level, float64(c.B)*level
	k := 1 - level
	for i := 0; i < len(m.Pix); i += 4 {
		p := m.Pix[i : i+3 : i+3]
		p[0], p[1], p[2] = clamp8(float64(p[0])*k+cr), clamp8(float64(p[1])*k+cg), clamp8(float64(p[2])*k+cb)
	}
}

// tint blends m (straight colour) with the tint of each pixel's luminance by amount (0–1). The
// tint is a gradient over the luminance: one colour c gives black, c and white at 0, 50 and
// 100 %; several colours are spread evenly from the darkest to the lightest unless their
// positions are given. With equalize the luminance is equalized (its histogram made flat)
// before it picks the tint.
func tint(m *image.RGBA, e Effect) {
	stops := e.Stops[:e.NStops]
	if len(stops) == 0 {
		stops = []TintStop{{Color: defaultTintColor}}
	}
	type stop struct {
		pos     float64
		r, g, b float64
	}
	var grad []stop
	if len(stops) == 1 {
		c := stops[0].Color
		grad = []stop{{0, 0, 0, 0}, {0.5, float64(c.R), float64(c.G), float64(c.B)}, {1, 255, 255, 255}}
	} else {
		for i, st := range stops {
			pos := float64(i) / float64(len(stops)-1)
			if st.HasPos {
				pos = float64(st.Pos) / 100
			}
			grad = append(grad, stop{pos, float64(st.Color.R), float64(st.Color.G), float64(st.Color.B)})
		}
	}
	// The gradient's colour for every luminance level.
	var table [256][3]float64
	for v := range table {
		x := float64(v) / 255
		lo, hi := grad[0], grad[len(grad)-1]
		for j := range grad {
			if grad[j].pos <= x {
				lo = grad[j]
			}
			if grad[len(grad)-1-j].pos >= x {
				hi = grad[len(grad)-1-j]
			}
		}
		t := 0.0
		if hi.pos > lo.pos {
			t = (x - lo.pos) / (hi.pos - lo.pos)
		}
		table[v] = [3]float64{lo.r + (hi.r-lo.r)*t, lo.g + (hi.g-lo.g)*t, lo.b + (hi.b-lo.b)*t}
	}
	var level [256]uint8 // the luminance that picks the tint
	for v := range level {
		level[v] = uint8(v)
	}
	if e.Equalize {
		_, lum, n := histograms(m)
		if n > 0 {
			sum := 0
			for v, c := range lum {
				sum += c
				level[v] = clamp8(255 * float64(sum) / float64(n))
			}
		}
	}
	amount := float64(e.value()) / 100
	for i := 0; i < len(m.Pix); i += 4 {
		p := m.Pix[i : i+3 : i+3]
		t := &table[level[luma(p[0], p[1], p[2])]]
		for c := range 3 {
			p[c] = clamp8(float64(p[c])*(1-amount) + t[c]*amount)
		}
	}
}

// vignette darkens m towards its edges (premultiplied colour is multiplied; alpha is kept). The
// darkening grows with the distance from the centre (1 at the middle of each edge): from
// 1 - strength out to 0.6 beyond it, to at most the whole of strength.
func vignette(m *image.RGBA, strength float64) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cx, cy := float64(w)/2, float64(h)/2
	inner := 1 - strength
	for y := range h {
		dy := (float64(y) + 0.5 - cy) / cy
		row := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := range w {
			dx := (float64(x) + 0.5 - cx) / cx
			d := math.Sqrt(dx*dx + dy*dy)
			t := (d - inner) / 0.6
			if t <= 0 {
				continue
			}
			t = math.Min(1, t)
			k := 1 - strength*t*t*(3-2*t) // smoothstep
			p := row[4*x : 4*x+3 : 4*x+3]
			p[0], p[1], p[2] = uint8(float64(p[0])*k+0.5), uint8(float64(p[1])*k+0.5), uint8(float64(p[2])*k+0.5)
		}
	}
}

// unsharpMask sharpens m: m + amount·(m - blur(m)), with a blur of unsharpSigma px, alpha kept.
func unsharpMask(m *image.RGBA, amount float64) *image.RGBA {
	blurred := boxBlurRGBA(m, unsharpSigma)
	for i := 0; i < len(m.Pix); i += 4 {
		a := float64(m.Pix[i+3])
		for c := i; c < i+3; c++ {
			v := float64(m.Pix[c]) + amount*(float64(m.Pix[c])-float64(blurred.Pix[c]))
			blurred.Pix[c] = clamp8(math.Min(v, a))
		}
		blurred.Pix[i+3] = m.Pix[i+3]
	}
	return blurred
}

// boxSizes returns the widths of three box blurs whose succession approximates a Gaussian of
// standard deviation sigma (Kovesi's "fast almost-Gaussian filtering"), each odd, at least 1.
func boxSizes(sigma float64) [3]int {
	wIdeal := math.Sqrt(12*sigma*sigma/3 + 1)
	wl := int(math.Floor(wIdeal))
	if wl%2 == 0 {
		wl--
	}
	wl = max(wl, 1)
	wu := wl + 2
	mIdeal := (12*sigma*sigma - 3*float64(wl*wl) - 12*float64(wl) - 9) / (-4*float64(wl) - 4)
	mm := int(math.Round(mIdeal))
	var out [3]int
	for i := range out {
		if i < mm {
			out[i] = wl
		} else {
			out[i] = wu
		}
	}
	return out
}

// boxBlurRGBA returns m blurred by three box blurs approximating a Gaussian of standard
// deviation sigma, edges clamped: the cost per pixel does not depend on sigma.
func boxBlurRGBA(m *image.RGBA, sigma float64) *image.RGBA {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	a := image.NewRGBA(image.Rect(0, 0, w, h))
	copy(a.Pix, m.Pix) // m's stride is 4w: ownRGBA made it so
	b := make([]uint8, len(a.Pix))
	sums := make([]int32, 4*w)
	for _, size := range boxSizes(sigma) {
		if r := (size - 1) / 2; r > 0 {
			boxRows(b, a.Pix, w, h, 4, r)
			boxCols(a.Pix, b, w, h, 4, r, sums)
		}
	}
	return a
}

// boxRows averages each row of src (w×h pixels of ch bytes, rows packed) over a window of
// 2r+1 pixels into dst; pixels beyond the ends repeat the end pixels.
func boxRows(dst, src []uint8, w, h, ch, r int) {
	div := int32(2*r + 1)
	half := div / 2
	for y := range h {
		row := src[y*w*ch : (y+1)*w*ch]
		out := dst[y*w*ch : (y+1)*w*ch]
		for c := range ch {
			sum := int32(r+1) * int32(row[c])
			for i := 1; i <= r; i++ {
				sum += int32(row[min(i, w-1)*ch+c])
			}
			for x := range w {
				out[x*ch+c] = uint8((sum + half) / div)
				add, sub := min(x+r+1, w-1), max(x-r, 0)
				sum += int32(row[add*ch+c]) - int32(row[sub*ch+c])
			}
		}
	}
}

// boxCols averages each column of src over a window of 2r+1 pixels into dst, row by row with a
// running sum per column (sums: scratch of w·ch); pixels beyond the ends repeat the end pixels.
func boxCols(dst, src []uint8, w, h, ch, r int, sums []int32) {
	div := int32(2*r + 1)
	half := div / 2
	rowLen := w * ch
	rowAt := func(y int) []uint8 { y = min(max(y, 0), h-1); return src[y*rowLen : (y+1)*rowLen] }
	first := rowAt(0)
	for i := range rowLen {
		sums[i] = int32(r+1) * int32(first[i])
	}
	for k := 1; k <= r; k++ {
		row := rowAt(k)
		for i := range rowLen {
			sums[i] += int32(row[i])
		}
	}
	for y := range h {
		out := dst[y*rowLen : (y+1)*rowLen]
		add, sub := rowAt(y+r+1), rowAt(y-r)
		for i := range rowLen {
			out[i] = uint8((sums[i] + half) / div)
			sums[i] += int32(add[i]) - int32(sub[i])
		}
	}
}
