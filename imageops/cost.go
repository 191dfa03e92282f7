package imageops

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/avatarkit/avatarkit/imageops/internal/jpeg"
	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// Cost is what decoding a source and transforming it (or analysing it) will take from the
// machine, estimated from the source's header and the chain before anything is decoded, so that
// a caller can admit, delay or refuse the work up front ([Estimate], [EstimateAnalysis]).
type Cost struct {
	// Bytes bounds the memory the work allocates, in all: the decoded source and what its
	// decoder needs, every intermediate image and the buffers of the resizer, the effects and
	// the encoders, and the output. It is the sum of every allocation, so the memory the work
	// holds at any instant is at most this much.
	Bytes int64
	// Decoded is the part of Bytes that decoding the source takes, on its own.
	Decoded int64
	// CPU is the processor time the work is expected to take on one core of a 2-vCPU cloud
	// machine of 2026 (the figures are measured there; a faster core takes less).
	CPU time.Duration
}

func (c *Cost) add(bytes float64, ns float64) {
	c.Bytes += int64(math.Ceil(bytes))
	c.CPU += time.Duration(ns)
}

// Fixed costs of one transform and of one analysis: scratch of the decoders and encoders that does
// not grow with the picture, plan slices, the output's header.
const (
	fixedBytes = 256 << 10
	fixedCPU   = 50 * time.Microsecond
)

// Estimate returns the cost of TransformWith(ctx, src, c, ext, lim, opt), after the same checks
// TransformWith makes before decoding (the chain, the source's header against the limits, the
// plan of every component): when TransformWith would refuse the work without decoding,
// Estimate returns the same error. It reads the header only.
//
// A chain with focal gravity whose Analysis is not given is planned as if no face were found,
// which gives the largest intermediate images, and includes the analysis that TransformWith then
// makes.
//
// With f_auto, the formats of opt.Accept whose encoding would take the work beyond the limits
// are left out of the comparison (TransformWith leaves them out too), so that a large picture is
// served in a format that fits rather than refused; only when none fits is it refused.
func Estimate(src []byte, c Chain, ext Format, lim Limits, opt Options) (Cost, error) {
	cost, _, err := estimate(src, c, ext, lim.WithDefaults(), opt)
	return cost, err
}

// estimate is Estimate with lim's defaults filled in; it also returns the formats f_auto
// compares (nil without f_auto).
func estimate(src []byte, c Chain, ext Format, lim Limits, opt Options) (Cost, []Format, error) {
	if err := c.Check(lim); err != nil {
		return Cost{}, nil, err
	}
	info, err := inspect(src, lim)
	if err != nil {
		return Cost{}, nil, err
	}
	w, h := info.uprightSize()
	a := opt.Analysis
	if a != nil && (a.Width != w || a.Height != h) {
		return Cost{}, nil, errorf(KindBadParam, "", "Options.Analysis is of a %d×%d picture, the source is %d×%d", a.Width, a.Height, w, h)
	}
	plans, err := planChain(c, w, h, lim, a)
	if err != nil {
		if a != nil || !c.NeedsAnalysis() {
			return Cost{}, nil, err
		}
		// Where the faces are decides the sizes, and TransformWith finds them after decoding:
		// reckon with every component giving the largest image the limits allow.
		plans = worstPlans(c, w, h, lim)
	}
	cost := Cost{Bytes: fixedBytes, CPU: fixedCPU}
	scale := decodeScale(info, plans)
	if c.NeedsAnalysis() && a == nil {
		// TransformWith decodes for the analysis, then again when the components need more.
		as := analysisScale(info)
		d := decodeCost(info, as)
		cost.add(d.bytes, d.ns)
		b, ns := analysisCost(info.uprightScaled(as))
		cost.add(b, ns)
		if scale != as {
			d := decodeCost(info, scale)
			cost.add(d.bytes, d.ns)
		}
	}
	d := decodeCost(info, scale)
	if !c.NeedsAnalysis() || a != nil {
		cost.add(d.bytes, d.ns)
	}
	cost.Decoded = int64(math.Ceil(d.bytes))
	dw, dh := info.uprightScaled(scale)
	plans = scalePlans(plans, scale, dw, dh)
	cur := pixels{w: dw, h: dh, kind: d.kind, bpp: d.bpp}
	for _, p := range plans {
		b, ns := stepCost(p, &cur)
		cost.add(b, ns)
	}
	f := c.Format()
	if f == FormatOriginal {
		f = ext
	}
	if f == FormatOriginal {
		f = info.format
	}
	wk := webpKindOf(info, src, c)
	var auto []Format
	if c.FormatAuto() && len(opt.Accept) > 0 {
		// One of them is encoded (chooseAuto picks it after decoding, by the picture's
		// transparency): reckon with the dearest.
		auto = autoFormats(cost, cur, opt.Accept, c.quality(), wk, lim)
		var most Cost
		for _, f := range auto {
			var e Cost
			e.add(encodeCost(f, cur, c.quality(), wk))
			most.Bytes, most.CPU = max(most.Bytes, e.Bytes), max(most.CPU, e.CPU)
		}
		cost.Bytes += most.Bytes
		cost.CPU += most.CPU
	} else {
		cost.add(encodeCost(f, cur, c.quality(), wk))
	}
	return cost, auto, cost.check(info, lim, "transforming")
}

// autoFormats returns the formats of accept that f_auto chooses among (chooseAuto): each once,
// GIF only when nothing else is acceptable, and only those whose encoding fits the limits on top
// of base. When none fits, the cheapest one, which the limits then refuse.
func autoFormats(base Cost, cur pixels, accept []Format, q Quality, wk webpKind, lim Limits) []Format {
	var cands []Format
	for _, f := range accept {
		if !slices.Contains(cands, f) && (f != GIF || !slices.ContainsFunc(accept, func(g Format) bool { return g != GIF })) {
			cands = append(cands, f)
		}
	}
	var fit []Format
	cheapest, cheapestCPU := FormatOriginal, time.Duration(math.MaxInt64)
	for _, f := range cands {
		b, ns := encodeCost(f, cur, q, wk)
		if d := time.Duration(ns); d < cheapestCPU {
			cheapest, cheapestCPU = f, d
		}
		next := base
		next.add(b, ns)
		if next.Bytes <= lim.MaxWorkBytes && next.CPU <= lim.MaxCPU {
			fit = append(fit, f)
		}
	}
	if len(fit) == 0 && cheapest != FormatOriginal {
		fit = []Format{cheapest}
	}
	return fit
}

// EstimateAnalysis returns the cost of Analyze(ctx, src, lim), after the same checks Analyze
// makes before decoding (the source's header against the limits).
func EstimateAnalysis(src []byte, lim Limits) (Cost, error) {
	lim = lim.WithDefaults()
	info, err := inspect(src, lim)
	if err != nil {
		return Cost{}, err
	}
	cost := Cost{Bytes: fixedBytes, CPU: fixedCPU}
	scale := analysisScale(info)
	d := decodeCost(info, scale)
	cost.add(d.bytes, d.ns)
	cost.Decoded = int64(math.Ceil(d.bytes))
	b, ns := analysisCost(info.uprightScaled(scale))
	cost.add(b, ns)
	return cost, cost.check(info, lim, "analysing")
}

// check refuses work beyond lim's MaxWorkBytes and MaxCPU (KindWorkLimit), saying what it
// would take.
func (c Cost) check(info source, lim Limits, doing string) error {
	what := fmt.Sprintf("this %d×%d %s", info.width, info.height, info.describe())
	switch {
	case c.Decoded > lim.MaxWorkBytes:
		return errorf(KindWorkLimit, "", "decoding %s takes about %s of memory, more than the working-memory budget of %s", what, formatMiB(c.Decoded), formatMiB(lim.MaxWorkBytes))
	case c.Bytes > lim.MaxWorkBytes:
		return errorf(KindWorkLimit, "", "decoding %s and %s it takes about %s of memory, more than the working-memory budget of %s", what, doing, formatMiB(c.Bytes), formatMiB(lim.MaxWorkBytes))
	case c.CPU > lim.MaxCPU:
		return errorf(KindWorkLimit, "", "decoding %s and %s it takes about %.1f s of processor time, more than the %.1f s an image may take: ask for a smaller size, or a cheaper format or effect",
			what, doing, c.CPU.Seconds(), lim.MaxCPU.Seconds())
	}
	return nil
}

// formatMiB writes a byte count in MiB, rounded up.
func formatMiB(b int64) string {
	return strconv.FormatInt((b+(1<<20)-1)>>20, 10) + " MiB"
}

// describe names the source's format and the layout that matters for its cost: "JPEG",
// "progressive JPEG", "16-bit PNG", "lossless WebP".
func (s source) describe() string {
	l := s.layout
	switch s.format {
	case JPEG:
		switch {
		case l.progressive && l.components == 4:
			return "progressive CMYK JPEG"
		case l.progressive:
			return "progressive JPEG"
		case l.components == 4:
			return "CMYK JPEG"
		}
	case PNG:
		if l.bitDepth == 16 {
			return "16-bit PNG"
		}
		if l.interlaced {
			return "interlaced PNG"
		}
	case WebP:
		if l.lossless {
			return "lossless WebP"
		}
	}
	return formatName(s.format)
}

// worstPlans stands in for the plans of a chain with focal gravity whose Analysis is not known:
// every component scales to the largest size the output limit allows.
func worstPlans(c Chain, w, h int, lim Limits) []plan {
	plans := make([]plan, len(c.Steps))
	cur := image.Pt(w, h)
	for i, s := range c.Steps {
		m := lim.MaxOutputSide
		p := plan{src: image.Rectangle{Max: cur}, w: m, h: m, effect: s.Effect, radius: s.Radius, border: s.Border, angle: s.Angle}
		plans[i] = p
		cur = p.size()
	}
	return plans
}

// pixels is what the estimate knows of the image between two steps: its size and its layout.
type pixels struct {
	w, h int
	kind resize.Kind
	bpp  float64 // bytes a pixel of this layout takes
	own  bool    // a *image.RGBA the transform made, which effects may change in place
}

func (p pixels) n() float64 { return float64(p.w) * float64(p.h) }

func (p *pixels) becomeRGBA(w, h int) {
	*p = pixels{w: w, h: h, kind: resize.KindRGBA, bpp: 4, own: true}
}

// decoded is the cost of decoding a source and the layout of its result.
type decoded struct {
	bytes, ns float64
	kind      resize.Kind
	bpp       float64
}

// decodeCost estimates decode(src, info, scale): the decoded image (padded as its decoder pads it),
// the decoder's working memory, and the turn upright by EXIF orientation. Figures are TotalAlloc
// and process CPU time of decodes measured on the reference machine, with a margin.
func decodeCost(info source, scale int) decoded {
	w, h := float64(info.width), float64(info.height)
	n := w * h
	l := info.layout
	var d decoded
	switch info.format {
	case JPEG:
		// The decoder's own bound (the output at the scale, and a progressive file's kept
		// coefficients); Huffman decoding visits every block whatever the scale, and each scan
		// of a progressive file visits its blocks again.
		cfg := info.jpeg
		d.bytes = float64(jpeg.MemoryBound(cfg, scale))
		switch cfg.ColorSpace {
		case jpeg.Gray:
			d.kind, d.bpp = resize.KindGray, 1
		case jpeg.YCbCr:
			d.kind = ycbcrKind(l)
			d.bpp = 1 + 2*float64(l.chroma)/4
		case jpeg.RGB:
			d.kind, d.bpp = resize.KindRGBA, 4
		default:
			d.kind, d.bpp = resize.KindConverted, 4
		}
		perPixel := map[int]float64{1: 16, 2: 11, 4: 8.5, 8: 6.5}[scale]
		if cfg.Progressive {
			perPixel = map[int]float64{1: 32, 2: 26, 4: 24, 8: 2.5}[scale]
			perScan := 0.25
			if scale == 8 {
				perScan = 0.02 // AC scans are skipped byte by byte
			}
			perPixel += perScan * float64(l.scans)
		}
		if cfg.Components == 4 || cfg.ColorSpace == jpeg.RGB {
			perPixel *= 1.5
		}
		d.ns = perPixel * n
		if scale > 1 {
			sw, sh := info.scaledSize(scale)
			n = float64(sw) * float64(sh)
		}
	case PNG:
		bpp := pngBytesPerPixel(l)
		d.kind, d.bpp = resize.KindConverted, bpp
		switch {
		case bpp == 1 && l.colorType == 0:
			d.kind = resize.KindGray
		case bpp == 4 && l.colorType == 2 && !l.transparent:
			d.kind = resize.KindRGBA
		}
		raw := float64(max(1, pngChannels(l.colorType)*l.bitDepth/8))
		// The decoded image, and as much again: the decoder inflates into a buffer the size of
		// the raw rows for every pass (measured: 8.5 B/px for 8-bit RGB, 4.4 for gray).
		d.bytes = n*bpp + n*max(raw, 3.5) + 2*(w*raw+1) + (64 << 10)
		if l.interlaced {
			d.bytes += n * bpp
		}
		d.ns = 80 * n
		if l.bitDepth == 16 {
			d.ns = 100 * n
		}
	case GIF:
		// The first frame (one byte a pixel), on an RGBA canvas when it does not cover the screen.
		d.kind, d.bpp = resize.KindConverted, 4
		d.bytes = 5*n + (64 << 10)
		d.ns = 14 * n
	case WebP:
		switch {
		case l.lossless:
			d.kind, d.bpp = resize.KindConverted, 4
			d.bytes = 4.5*n + (256 << 10)
			d.ns = 90 * n
		case l.alpha:
			d.kind, d.bpp = resize.KindConverted, 2.5
			d.bytes = 7*n + (128 << 10)
			d.ns = 45 * n
		default:
			d.kind, d.bpp = resize.KindYCbCr420, 1.5
			d.bytes = 1.8*n + (128 << 10)
			d.ns = 35 * n
		}
	}
	if info.orientation >= 2 {
		// orient copies the image: the same layout, or RGBA for those it cannot turn as they are.
		d.bytes += n * max(d.bpp, 4)
		d.ns += 6 * n
		if d.kind != resize.KindGray && d.kind != resize.KindRGBA && d.kind != resize.KindYCbCr444 && d.kind != resize.KindYCbCr420 {
			d.kind, d.bpp = resize.KindConverted, 4
		}
	}
	return d
}

func ycbcrKind(l layout) resize.Kind {
	switch {
	case l.chroma >= 4:
		return resize.KindYCbCr444
	case l.chroma == 2 && l.hmax == 2:
		return resize.KindYCbCr422
	case l.chroma == 2:
		return resize.KindYCbCr440
	case l.hmax == 4:
		return resize.KindYCbCr411
	}
	return resize.KindYCbCr420
}

func pngChannels(colorType int) int {
	switch colorType {
	case 0, 3:
		return 1
	case 4:
		return 2
	case 2:
		return 3
	}
	return 4
}

// pngBytesPerPixel is the size of a pixel as image/png decodes it.
func pngBytesPerPixel(l layout) float64 {
	wide := l.bitDepth == 16
	switch l.colorType {
	case 0: // gray: Gray or Gray16, NRGBA(64) with tRNS
		switch {
		case l.transparent && wide:
			return 8
		case l.transparent:
			return 4
		case wide:
			return 2
		}
		return 1
	case 3: // paletted
		return 1
	}
	if wide {
		return 8
	}
	return 4
}

// analysisCost is what analyzing a decoded w×h picture adds to its decode: the memory
// analysisWorkBytes bounds, and the CPU of averaging the picture down to the grid (a few ns per
// pixel) and of the scans and fine searches on the grid (bounded by the grid: of the order of 10 ms).
func analysisCost(w, h int) (bytes, ns float64) {
	return float64(analysisWorkBytes(w, h, false)), 1e7 + 4*float64(w)*float64(h)
}

// stepCost estimates apply(img, p) on an image described by cur, and updates cur to describe the
// result.
func stepCost(p plan, cur *pixels) (bytes, ns float64) {
	turn := func(o int) { // orient: a whole RGBA, NRGBA, Gray or YCbCr image as it is, else via RGBA
		n := cur.n()
		w, h := cur.w, cur.h
		if o >= 5 {
			w, h = h, w
		}
		if cur.own {
			bytes += 4 * n
			ns += 8 * n
			cur.becomeRGBA(w, h)
		} else {
			bytes += 8 * n
			ns += 14 * n
			*cur = pixels{w: w, h: h, kind: resize.KindConverted, bpp: 4}
		}
	}
	if p.pre > 1 {
		turn(p.pre)
	}
	region := p.src.Size()
	if p.w != region.X || p.h != region.Y {
		b, cpu := resize.Cost(cur.kind, region.X, region.Y, p.w, p.h)
		bytes, ns = bytes+float64(b), ns+float64(cpu)
		cur.becomeRGBA(p.w, p.h)
	} else if region != image.Pt(cur.w, cur.h) {
		cur.w, cur.h = region.X, region.Y // a sub-image: nothing is copied
		cur.own = false
	}
	if p.canvas != (image.Point{}) {
		n := float64(p.canvas.X) * float64(p.canvas.Y)
		bytes += 4 * n
		ns += 3*n + 6*cur.n()
		if p.bgAuto.On {
			ns += 10 * cur.n()
		}
		cur.becomeRGBA(p.canvas.X, p.canvas.Y)
	}
	if p.effect.Name != EffectNone && !p.effect.Name.isLate() {
		b, cpu := ownCost(cur)
		eb, ens := effectCost(p.effect, cur.n())
		bytes, ns = bytes+b+eb, ns+cpu+ens
		cur.becomeRGBA(cur.w, cur.h)
	}
	if !p.radius.IsZero() || p.border.Width > 0 {
		b, cpu := ownCost(cur)
		bytes, ns = bytes+b, ns+cpu
		w, h := cur.w+2*p.border.Width, cur.h+2*p.border.Width
		n := float64(w) * float64(h)
		if p.border.Width > 0 {
			bytes += 4*n + 1024
		}
		ns += 60 * n
		cur.becomeRGBA(w, h)
	}
	if p.effect.Name.isLate() { // e_outline, e_shadow: onto a larger canvas
		b, cpu := ownCost(cur)
		size, _ := p.bordered()
		n := float64(size.X) * float64(size.Y)
		bytes, ns = bytes+b+16*n+(64<<10), ns+cpu+120*n
		cur.becomeRGBA(size.X, size.Y)
	}
	if p.angle != AngleNone {
		turn(p.angle.orientation())
	}
	if p.rotate != 0 {
		b, cpu := ownCost(cur)
		size := rotatedSize(cur.w, cur.h, p.rotate)
		n := float64(size.X) * float64(size.Y)
		bytes, ns = bytes+b+4.5*n, ns+cpu+45*n
		cur.becomeRGBA(size.X, size.Y)
	}
	return bytes, ns
}

// ownCost is what ownRGBA costs: a copy unless the image is a whole *image.RGBA of the transform.
func ownCost(cur *pixels) (bytes, ns float64) {
	if cur.own {
		return 0, 0
	}
	return 4 * cur.n(), 6 * cur.n()
}

// effectCost is what applyEffect adds to an own RGBA image of n pixels.
func effectCost(e Effect, n float64) (bytes, ns float64) {
	switch e.Name {
	case EffectBlur:
		if sigma := float64(e.value()) / 20; sigma <= math.Sqrt(10) {
			taps := 2*max(1, math.Round(sigma*sigma/2)) + 1
			return 4.2*n + 64<<10, (10*taps + 25) * n
		}
		return 5 * n, 30 * n
	case EffectSharpen:
		return 4.2*n + 64<<10, 60 * n
	case EffectPixelate:
		return 0, 8 * n
	case EffectGrayscale:
		return 8.5 * n, 12 * n
	case EffectSaturation:
		return 4.5 * n, 65 * n
	case EffectSepia:
		return 4.5 * n, 40 * n
	case EffectUnsharpMask:
		return 12*n + 64<<10, 130 * n
	case EffectVibrance:
		return 64 << 10, 60 * n
	case EffectTint:
		return 64 << 10, 35 * n
	case EffectVignette, EffectImprove, EffectAutoBrightness, EffectAutoContrast, EffectAutoColor, EffectColorize, EffectBlackwhite, EffectTrim:
		return 64 << 10, 30 * n
	}
	return 4.5 * n, 14 * n
}

// webpKind is what a WebP output of a chain will be, as far as the estimate can tell before
// decoding (lossyResult decides after).
type webpKind uint8

const (
	webpKindLossy    webpKind = iota // a lossy source, or fl_lossy
	webpKindLossless                 // a lossless source without fl_lossy or q_auto
	webpKindEither                   // q_auto on a lossless source: by the picture's colours
)

// webpKindOf returns what WebP output of src through c will be.
func webpKindOf(info source, src []byte, c Chain) webpKind {
	switch {
	case info.format == JPEG || (info.format == WebP && !webpLossless(src)) || c.lossyFlag():
		return webpKindLossy
	case c.quality().IsAuto():
		return webpKindEither
	}
	return webpKindLossless
}

// encodeCost estimates encode of an image described by cur in format f: a conversion where the
// encoder needs one, the encoder's state, and the output buffer as it grows. WebP and AVIF take
// the figures the encoders were measured at (encoderCost); wk says which WebP.
func encodeCost(f Format, cur pixels, q Quality, wk webpKind) (bytes, ns float64) {
	n := cur.n()
	convert := func() {
		if cur.kind != resize.KindRGBA && cur.kind != resize.KindGray {
			bytes += 4 * n
			ns += 6 * n
		}
	}
	switch f {
	case JPEG:
		if cur.kind != resize.KindRGBA && cur.kind != resize.KindGray && !isYCbCr(cur.kind) {
			convert()
		} else if cur.kind == resize.KindRGBA {
			bytes += 4 * n // flattened when it has alpha: counted whether it has or not
			ns += 8 * n
		}
		out := 1.0
		if q > 90 || q == 0 && DefaultQuality > 90 {
			out = 2.5
		}
		bytes += out*n + (64 << 10)
		ns += 40 * n
	case PNG:
		convert()
		bytes += 10*n + (1200 << 10) // zlib at BestSpeed takes more than at the default level
		ns += pngEncodeNs(n) * n
	case GIF:
		if cur.kind != resize.KindRGBA {
			bytes += 4 * n
			ns += 6 * n
		}
		bytes += 3.5*n + (64 << 10)
		ns += 50 * n
	case WebP, AVIF:
		// The encoders read straight (WebP) or premultiplied (AVIF) RGBA: a copy unless the
		// result is one already (counted whether it is or not).
		bytes += 4 * n
		ns += 6 * n
		var cpu time.Duration
		var mem int64
		// A JPEG's planes, resized or cropped, have no alpha; anything else may.
		alpha := !isYCbCr(cur.kind) && cur.kind != resize.KindGray
		switch {
		case f == AVIF || wk == webpKindLossy:
			cpu, mem = encoderCost(f, cur.w, cur.h, true, alpha, q)
		case wk == webpKindLossless:
			cpu, mem = encoderCost(f, cur.w, cur.h, false, alpha, q)
		default:
			c1, m1 := encoderCost(f, cur.w, cur.h, true, alpha, q)
			c2, m2 := encoderCost(f, cur.w, cur.h, false, alpha, q)
			cpu, mem = max(c1, c2), max(m1, m2)
		}
		bytes += float64(mem)
		ns += float64(cpu)
		// Not counted: the one-time compilation of the WebAssembly module by the first encode
		// of a process that WarmUp has not done (encoderStartCost): it is the process's cost,
		// not the URL's, and refusing it would leave the encoder never compiled.
	}
	return bytes, ns
}

func isYCbCr(k resize.Kind) bool { return k >= resize.KindYCbCr444 }

// pngEncodeNs is the CPU a PNG encoder takes per pixel at the compression level encode uses for
// n pixels (pngLevel).
func pngEncodeNs(n float64) float64 {
	if pngLevel(int(n)) == png.BestSpeed {
		return 120
	}
	return 260
}
