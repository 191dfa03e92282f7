package imageops

import (
	"image"
	"image/color"
	"strings"
)

// BackgroundAuto is b_auto[:<mode>][:palette_<colour>_<colour>...]: a padding colour taken
// from the picture being padded. The zero value means "not given".
type BackgroundAuto struct {
	On bool
	// Mode is where the colour comes from: BgBorder (the default: the most frequent colour of
	// the picture's edges) or BgPredominant (of the whole picture); the contrast modes take the
	// opposite of that colour.
	Mode BgMode
	// Palette, when NPalette > 0, restricts the choice to its colours: the one nearest to the
	// colour found.
	Palette  [maxPalette]Color
	NPalette int
}

// maxPalette is how many colours a b_auto palette holds at most.
const maxPalette = 8

// BgMode is a b_auto mode.
type BgMode uint8

// The b_auto modes.
const (
	BgBorder BgMode = iota
	BgPredominant
	BgBorderContrast
	BgPredominantContrast
)

var bgModeNames = [...]string{"border", "predominant", "border_contrast", "predominant_contrast"}

// String is the canonical b_ value: "auto", "auto:predominant", "auto:border:palette_red_blue".
func (b BackgroundAuto) String() string {
	s := "auto"
	if b.Mode != BgBorder || b.NPalette > 0 {
		s += ":" + bgModeNames[b.Mode]
	}
	if b.NPalette > 0 {
		s += ":palette"
		for _, c := range b.Palette[:b.NPalette] {
			s += "_" + c.String()
		}
	}
	return s
}

// parseBackgroundAuto parses a b_ value that starts with "auto". It returns "" or what is wrong.
func parseBackgroundAuto(val string) (BackgroundAuto, string) {
	b := BackgroundAuto{On: true}
	rest, ok := strings.CutPrefix(val, "auto")
	if !ok || (rest != "" && rest[0] != ':') {
		return BackgroundAuto{}, "colour must be a name (white, black, transparent, red, ...), rgb:RRGGBB / rgb:RRGGBBAA / rgb:RGB, or auto"
	}
	if rest == "" {
		return b, ""
	}
	args := strings.Split(rest[1:], ":")
	mode := args[0]
	found := false
	for i, n := range bgModeNames {
		if n == mode {
			b.Mode, found = BgMode(i), true
		}
	}
	if !found {
		if strings.Contains(mode, "gradient") {
			return BackgroundAuto{}, "gradient backgrounds are not supported: use b_auto, b_auto:border, b_auto:predominant, b_auto:border_contrast or b_auto:predominant_contrast"
		}
		return BackgroundAuto{}, "b_auto takes border, predominant, border_contrast or predominant_contrast"
	}
	if len(args) == 1 {
		return b, ""
	}
	// A palette: its colours are joined by '_', and "rgb:RRGGBB" holds a ':', which split.
	pal, ok := strings.CutPrefix(strings.Join(args[1:], ":"), "palette_")
	if !ok {
		return BackgroundAuto{}, "after the b_auto mode comes palette_<colour>_<colour>..."
	}
	for c := range strings.SplitSeq(pal, "_") {
		col, ok := parseColor(c)
		if !ok || b.NPalette == maxPalette {
			return BackgroundAuto{}, "a b_auto palette is 1 to 8 colours (names or rgb:RRGGBB) joined by '_'"
		}
		b.Palette[b.NPalette] = col
		b.NPalette++
	}
	return b, ""
}

// colorOf returns the padding colour b takes from img (premultiplied, opaque unless the colour
// found is transparent).
func (b BackgroundAuto) colorOf(img image.Image) color.RGBA {
	src := ownRGBAView(img)
	c := predominant(src, b.Mode == BgBorder || b.Mode == BgBorderContrast)
	if b.Mode == BgBorderContrast || b.Mode == BgPredominantContrast {
		c = color.NRGBA{255 - c.R, 255 - c.G, 255 - c.B, c.A}
	}
	if b.NPalette > 0 {
		best, bestD := b.Palette[0], -1
		for _, p := range b.Palette[:b.NPalette] {
			dr, dg, db := int(p.R)-int(c.R), int(p.G)-int(c.G), int(p.B)-int(c.B)
			if d := dr*dr + dg*dg + db*db; bestD < 0 || d < bestD {
				best, bestD = p, d
			}
		}
		return best.premultiplied()
	}
	return Color{R: c.R, G: c.G, B: c.B, A: c.A}.premultiplied()
}

// ownRGBAView returns img as an *image.RGBA to read from (a copy when it is not one).
func ownRGBAView(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok {
		return m
	}
	return ownRGBA(img)
}

// predominant returns the most frequent colour of m (of its outermost rows and columns when
// border is set), un-premultiplied: colours are counted in bins of 16 levels a channel, and the
// mean colour of the fullest bin is returned. Fully transparent pixels count as transparent.
func predominant(m *image.RGBA, border bool) color.NRGBA {
	const bins = 16 * 16 * 16
	var count [bins + 1]int32 // the last bin: transparent
	var sum [bins][3]int64
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	add := func(x, y int) {
		i := (y-b.Min.Y)*m.Stride + 4*(x-b.Min.X)
		p := m.Pix[i : i+4 : i+4]
		a := uint32(p[3])
		if a == 0 {
			count[bins]++
			return
		}
		r, g, bl := p[0], p[1], p[2]
		if a != 255 {
			r, g, bl = uint8(uint32(r)*255/a), uint8(uint32(g)*255/a), uint8(uint32(bl)*255/a)
		}
		k := int(r>>4)<<8 | int(g>>4)<<4 | int(bl>>4)
		count[k]++
		sum[k][0] += int64(r)
		sum[k][1] += int64(g)
		sum[k][2] += int64(bl)
	}
	if border {
		for x := b.Min.X; x < b.Max.X; x++ {
			add(x, b.Min.Y)
			if h > 1 {
				add(x, b.Max.Y-1)
			}
		}
		for y := b.Min.Y + 1; y < b.Max.Y-1; y++ {
			add(b.Min.X, y)
			if w > 1 {
				add(b.Max.X-1, y)
			}
		}
	} else {
		// Every pixel of a small picture; a grid of about 256×256 of a large one.
		sx, sy := max(1, w/256), max(1, h/256)
		for y := b.Min.Y; y < b.Max.Y; y += sy {
			for x := b.Min.X; x < b.Max.X; x += sx {
				add(x, y)
			}
		}
	}
	best := 0
	for k := range count {
		if count[k] > count[best] {
			best = k
		}
	}
	if best == bins || count[best] == 0 {
		return color.NRGBA{}
	}
	n := int64(count[best])
	return color.NRGBA{uint8(sum[best][0] / n), uint8(sum[best][1] / n), uint8(sum[best][2] / n), 255}
}
