package imageops

import (
	"image/color"
	"strconv"
	"strings"
)

// Chain is a parsed transformation: its components in order, each applied to the result of the
// one before. The zero Chain is the empty transformation (the source, re-encoded). Chains are
// built by [ParseChain]; a Step built by hand must respect the same rules ([Chain.Check] and
// [Transform] re-check the ones that matter for safety).
type Chain struct {
	Steps []Step
}

// Step is one transformation component (one URL path segment such as "c_fill,g_north,h_90,w_90").
// Every field's zero value means "parameter not given".
type Step struct {
	Width  Dim // w_
	Height Dim // h_

	Crop    CropMode // c_; CropDefault behaves as CropScale
	Gravity Gravity  // g_; GravityDefault behaves as GravityCenter

	X, Y       int  // x_, y_: top-left of a c_crop region, px
	HasX, HasY bool // whether x_ / y_ was given

	AspectRatio AspectRatio // ar_
	Zoom        float64     // z_, > 0 when given
	DPR         float64     // dpr_, in [1,4] when given; multiplies w_ and h_
	DPRAuto     bool        // dpr_auto: the device pixel ratio of the request (see Chain.ResolveHints)

	Quality    Quality // q_
	Format     Format  // f_<fmt>; FormatOriginal when not given or when f_auto
	FormatAuto bool    // f_auto

	Flags          Flags  // fl_: the flags that change something (the others are accepted and dropped)
	AttachmentName string // fl_attachment:<name>: the file name offered for download ("" = the identifier)

	Radius         Radius         // r_
	Background     Color          // b_, meaningful when HasBackground
	HasBackground  bool           //
	BackgroundAuto BackgroundAuto // b_auto[:mode]: a padding colour taken from the picture
	Border         Border         // bo_
	Angle          Angle          // a_: quarter turns and mirrors
	Rotate         int            // a_<degrees>, not a multiple of 90: 1–359 clockwise, after Angle
	AutoRotate     AutoRotate     // a_auto_right / a_auto_left: a quarter turn before the crop, when it fits the box better
	IgnoreEXIF     bool           // a_ignore: the source's EXIF orientation is not applied
	Effect         Effect         // e_
	EffectColor    Color          // co_: the colour of e_colorize, e_outline and e_shadow; meaningful when HasEffectColor
	HasEffectColor bool           //
	Default        string         // d_: name of a default image ("identicon" is built in)
	Named          string         // t_: name of a named transformation, or several joined by '.'
}

// Dim is a w_ or h_ value: a pixel count, or a fraction of the current image's side.
// The zero Dim means "not given".
type Dim struct {
	Px   int     // > 0: pixels (before dpr_)
	Frac float64 // in (0,1] when Px == 0: fraction of the current image's width (w_) or height (h_)

	// Auto is w_auto[:<step>[:<fallback>]]: the width the client asks for with a client hint,
	// rounded up to a multiple of AutoStep (DefaultAutoStep when 0), or AutoFallback px
	// (before dpr_) without a hint. See Chain.ResolveHints.
	Auto         bool
	AutoStep     int
	AutoFallback int
}

// DefaultAutoStep is the step w_auto rounds the client's width up to when the URL gives none.
const DefaultAutoStep = 100

// IsZero reports whether the dimension was not given.
func (d Dim) IsZero() bool { return d.Px == 0 && d.Frac == 0 && !d.Auto }

// String is the canonical value: "150" for px, "0.5" / "1.0" for a fraction (always with a
// decimal point, so a fraction never reads back as px), "auto", "auto:50", "auto:100:400".
func (d Dim) String() string {
	switch {
	case d.Auto:
		s := "auto"
		step := d.AutoStep
		if step == 0 {
			step = DefaultAutoStep
		}
		if step != DefaultAutoStep || d.AutoFallback > 0 {
			s += ":" + strconv.Itoa(step)
		}
		if d.AutoFallback > 0 {
			s += ":" + strconv.Itoa(d.AutoFallback)
		}
		return s
	case d.Px > 0:
		return strconv.Itoa(d.Px)
	}
	return formatDecimal(d.Frac)
}

// CropMode is a c_ value.
type CropMode uint8

// Crop modes, as Cloudinary defines them (docs/url.md).
const (
	CropDefault CropMode = iota // no c_ given: scale
	CropScale
	CropFit
	CropLimit
	CropMfit
	CropFill
	CropLfill
	CropPad
	CropLpad
	CropMpad
	CropCrop
	CropThumb
	// CropFillPad is fill that pads rather than cut off what g_auto keeps (the faces, with their
	// margin): it needs g_auto. (c_auto is read as c_fill with g_auto by default.)
	CropFillPad
)

var cropNames = [...]string{"", "scale", "fit", "limit", "mfit", "fill", "lfill", "pad", "lpad", "mpad", "crop", "thumb", "fill_pad"}

// String returns the c_ value ("fill"), "" for CropDefault.
func (m CropMode) String() string {
	if int(m) < len(cropNames) {
		return cropNames[m]
	}
	return "CropMode(" + strconv.Itoa(int(m)) + ")"
}

// effective returns the mode actually applied (CropDefault -> CropScale).
func (m CropMode) effective() CropMode {
	if m == CropDefault {
		return CropScale
	}
	return m
}

// Gravity is a g_ value.
type Gravity uint8

// Gravities, as Cloudinary defines them (docs/url.md).
const (
	GravityDefault Gravity = iota // no g_ given: center
	GravityCenter
	GravityNorth
	GravityNorthEast
	GravityEast
	GravitySouthEast
	GravitySouth
	GravitySouthWest
	GravityWest
	GravityNorthWest
	GravityFace
	GravityFaces
	GravityAuto
	GravityFaceAuto  // face:auto: the largest face; without one, where the detail is
	GravityFacesAuto // faces:auto: all the faces; without one, where the detail is
	GravityAutoFace  // auto:face: where the detail is, the largest face first
)

var gravityNames = [...]string{"", "center", "north", "north_east", "east", "south_east", "south",
	"south_west", "west", "north_west", "face", "faces", "auto", "face:auto", "faces:auto", "auto:face"}

// gravityAliases are the g_ values that mean what another one means: g_face already falls back
// to the centre when no face is found.
var gravityAliases = map[string]Gravity{"face:center": GravityFace, "faces:center": GravityFaces}

// largestFace reports whether focal gravity g keeps the largest face only (else all of them).
func (g Gravity) largestFace() bool {
	return g == GravityFace || g == GravityFaceAuto || g == GravityAutoFace
}

// detailFallback reports whether focal gravity g, without a face, keeps the most detailed region
// (else the centre).
func (g Gravity) detailFallback() bool {
	return g == GravityAuto || g == GravityFaceAuto || g == GravityFacesAuto || g == GravityAutoFace
}

// String returns the g_ value ("north_east"), "" for GravityDefault.
func (g Gravity) String() string {
	if int(g) < len(gravityNames) {
		return gravityNames[g]
	}
	return "Gravity(" + strconv.Itoa(int(g)) + ")"
}

// isCompass reports whether g is one of the nine compass positions (or the default).
func (g Gravity) isCompass() bool { return g <= GravityNorthWest }

// AspectRatio is an ar_ value: "a:b" (W:H) or a decimal. The zero value means "not given".
type AspectRatio struct {
	W, H int     // > 0 for the a:b form
	Dec  float64 // > 0 for the decimal form (used when W == 0)
}

// IsZero reports whether no aspect ratio was given.
func (a AspectRatio) IsZero() bool { return a.W == 0 && a.Dec == 0 }

// Value returns the ratio width/height (0 when not given).
func (a AspectRatio) Value() float64 {
	if a.W > 0 && a.H > 0 {
		return float64(a.W) / float64(a.H)
	}
	return a.Dec
}

// String is the canonical value: "16:9" or "1.5" / "2.0".
func (a AspectRatio) String() string {
	if a.W > 0 {
		return strconv.Itoa(a.W) + ":" + strconv.Itoa(a.H)
	}
	return formatDecimal(a.Dec)
}

// Radius is an r_ value: a px radius, 2–4 radii for the corners ("a:b:c:d"), or max (a circle
// or ellipse). The zero value means "not given".
type Radius struct {
	Max bool   // r_max
	N   int    // how many radii were given (1–4) when !Max
	Px  [4]int // the radii, Px[:N]
}

// IsZero reports whether no radius was given.
func (r Radius) IsZero() bool { return !r.Max && r.N == 0 }

// String is the canonical value: "max", "20" or "20:0:20:0".
func (r Radius) String() string {
	if r.Max {
		return "max"
	}
	var sb strings.Builder
	for i := range r.N {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.Itoa(r.Px[i]))
	}
	return sb.String()
}

// Color is a b_ or border colour, not premultiplied. Name is the canonical colour name when it
// was given by name ("white"), "" when it was given as rgb:hex.
type Color struct {
	R, G, B, A uint8
	Name       string
}

// String is the canonical value: the name, or "rgb:rrggbb" (lower-case hex), with a fourth
// byte "rgb:rrggbbaa" only when not opaque.
func (c Color) String() string {
	if c.Name != "" {
		return c.Name
	}
	const hexd = "0123456789abcdef"
	b := []byte("rgb:")
	for _, v := range []uint8{c.R, c.G, c.B} {
		b = append(b, hexd[v>>4], hexd[v&15])
	}
	if c.A != 0xff {
		b = append(b, hexd[c.A>>4], hexd[c.A&15])
	}
	return string(b)
}

// Border is a bo_ value, "<Width>px_solid_<Color>". Width 0 means "not given".
type Border struct {
	Width int
	Color Color
}

// String is the canonical value, e.g. "4px_solid_rgb:ff0000".
func (b Border) String() string {
	return strconv.Itoa(b.Width) + "px_solid_" + b.Color.String()
}

// Angle is an a_ value.
type Angle uint8

// Angles: clockwise rotations and mirrors.
const (
	AngleNone Angle = iota
	Angle90
	Angle180
	Angle270
	AngleHFlip
	AngleVFlip
	AngleHFlip90  // a_hflip.90: mirror left-right, then a quarter turn clockwise
	AngleHFlip270 // a_hflip.270: mirror left-right, then three quarter turns clockwise
)

var angleNames = [...]string{"", "90", "180", "270", "hflip", "vflip", "hflip.90", "hflip.270"}

// String returns the a_ value ("90", "hflip"), "" for AngleNone.
func (a Angle) String() string {
	if int(a) < len(angleNames) {
		return angleNames[a]
	}
	return "Angle(" + strconv.Itoa(int(a)) + ")"
}

// EffectName names an e_ effect.
type EffectName uint8

// Effects, with Cloudinary's value ranges (see the effects table in effectSpecs).
const (
	EffectNone EffectName = iota
	EffectGrayscale
	EffectSepia
	EffectBlur
	EffectPixelate
	EffectSharpen
	EffectNegate
	EffectBrightness
	EffectContrast
	EffectSaturation
	EffectBlackwhite
	EffectVibrance
	EffectUnsharpMask
	EffectVignette
	EffectImprove
	EffectAutoBrightness
	EffectAutoContrast
	EffectAutoColor
	EffectTint
	EffectColorize
	EffectOutline
	EffectShadow
	EffectTrim
	EffectPixelateFaces
	EffectBlurFaces
)

// effectSpec says how an effect takes its value.
type effectSpec struct {
	name     string
	value    int // noValue, optionalValue, requiredValue, or customValue (its own parser)
	min, max int
	def      int // the server default of an optional value; dropped from the canonical form of
	// the effects added with dropDefault (the older ones keep "e_sepia:80" as written)
	dropDefault bool
}

const (
	noValue = iota
	optionalValue
	requiredValue
	customValue
)

var effectSpecs = [...]effectSpec{
	EffectNone:           {},
	EffectGrayscale:      {name: "grayscale", value: noValue},
	EffectSepia:          {name: "sepia", value: optionalValue, min: 1, max: 100, def: 80},
	EffectBlur:           {name: "blur", value: optionalValue, min: 1, max: 2000, def: 100},
	EffectPixelate:       {name: "pixelate", value: optionalValue, min: 1, max: 200, def: 5},
	EffectSharpen:        {name: "sharpen", value: optionalValue, min: 1, max: 2000, def: 100},
	EffectNegate:         {name: "negate", value: noValue},
	EffectBrightness:     {name: "brightness", value: optionalValue, min: -99, max: 100, def: 80},
	EffectContrast:       {name: "contrast", value: optionalValue, min: -100, max: 100, def: 0},
	EffectSaturation:     {name: "saturation", value: optionalValue, min: -100, max: 100, def: 80},
	EffectBlackwhite:     {name: "blackwhite", value: optionalValue, min: 0, max: 100, def: 50, dropDefault: true},
	EffectVibrance:       {name: "vibrance", value: optionalValue, min: -100, max: 100, def: 20, dropDefault: true},
	EffectUnsharpMask:    {name: "unsharp_mask", value: optionalValue, min: 1, max: 2000, def: 100, dropDefault: true},
	EffectVignette:       {name: "vignette", value: optionalValue, min: 0, max: 100, def: 20, dropDefault: true},
	EffectImprove:        {name: "improve", value: customValue, min: 0, max: 100, def: 100, dropDefault: true},
	EffectAutoBrightness: {name: "auto_brightness", value: optionalValue, min: 0, max: 100, def: 100, dropDefault: true},
	EffectAutoContrast:   {name: "auto_contrast", value: optionalValue, min: 0, max: 100, def: 100, dropDefault: true},
	EffectAutoColor:      {name: "auto_color", value: optionalValue, min: 0, max: 100, def: 100, dropDefault: true},
	EffectTint:           {name: "tint", value: customValue, min: 0, max: 100, def: 60, dropDefault: true},
	EffectColorize:       {name: "colorize", value: optionalValue, min: 0, max: 100, def: 100, dropDefault: true},
	EffectOutline:        {name: "outline", value: customValue, min: 1, max: 100, def: 5, dropDefault: true},
	EffectShadow:         {name: "shadow", value: optionalValue, min: 0, max: 100, def: 40, dropDefault: true},
	EffectTrim:           {name: "trim", value: customValue, min: 0, max: 100, def: 10, dropDefault: true},
	// The privacy effects work on the faces of the source's Analysis.
	EffectPixelateFaces: {name: "pixelate_faces", value: optionalValue, min: 1, max: 200, def: 5},
	EffectBlurFaces:     {name: "blur_faces", value: optionalValue, min: 1, max: 2000, def: 100},
}

// onFaces reports whether the effect applies to the detected faces only.
func (n EffectName) onFaces() bool { return n == EffectPixelateFaces || n == EffectBlurFaces }

// String returns the effect's name ("sepia"), "" for EffectNone.
func (n EffectName) String() string {
	if int(n) < len(effectSpecs) {
		return effectSpecs[n].name
	}
	return "EffectName(" + strconv.Itoa(int(n)) + ")"
}

// maxTintStops is how many colours e_tint takes (Cloudinary's limit).
const maxTintStops = 10

// TintStop is one colour of e_tint, with its place on the gradient (0–100 % of the luminance)
// when given.
type TintStop struct {
	Color  Color
	Pos    int
	HasPos bool
}

// Effect is an e_ value: a name and, for effects that take one, an optional or required value,
// and the further arguments of the effects that take several. The zero value of each field
// means "not given" (the server default).
type Effect struct {
	Name     EffectName
	Value    int  // meaningful when HasValue: the level, strength or amount; e_outline's width; e_trim's tolerance; e_improve's blend
	HasValue bool // whether ":n" was given

	// Mode is e_improve's mode (indoor, outdoor) and e_outline's (inner, inner_fill, outer,
	// fill); "" is the default (outdoor; inner and outer).
	Mode string
	// Value2 is e_outline's blur (0–2000), meaningful when HasValue2.
	Value2    int
	HasValue2 bool
	// Color is e_trim's colour override (instead of the corner's), meaningful when HasColor.
	Color    Color
	HasColor bool
	// DX, DY are e_shadow's offset (x_, y_), px.
	DX, DY int
	// Equalize, Stops[:NStops] are e_tint's: equalize the luminance first; the colours.
	Equalize bool
	Stops    [maxTintStops]TintStop
	NStops   int
}

// String is the canonical e_ value: "sepia", "sepia:50", "brightness:-20", "outline:outer:10",
// "tint:equalize:80:red:0p:blue:100p", "trim:20:white".
func (e Effect) String() string {
	var b strings.Builder
	b.WriteString(e.Name.String())
	arg := func(s string) { b.WriteByte(':'); b.WriteString(s) }
	switch e.Name {
	case EffectImprove:
		if e.Mode != "" {
			arg(e.Mode)
		}
		if e.HasValue {
			arg(strconv.Itoa(e.Value))
		}
	case EffectOutline:
		if e.Mode != "" {
			arg(e.Mode)
		}
		if e.HasValue || e.HasValue2 {
			v := e.Value
			if !e.HasValue {
				v = effectSpecs[EffectOutline].def
			}
			arg(strconv.Itoa(v))
		}
		if e.HasValue2 {
			arg(strconv.Itoa(e.Value2))
		}
	case EffectTrim:
		if e.HasValue || e.HasColor {
			v := e.Value
			if !e.HasValue {
				v = effectSpecs[EffectTrim].def
			}
			arg(strconv.Itoa(v))
		}
		if e.HasColor {
			arg(e.Color.String())
		}
	case EffectTint:
		if e.Equalize {
			arg("equalize")
		}
		if e.HasValue || e.NStops > 0 {
			v := e.Value
			if !e.HasValue {
				v = effectSpecs[EffectTint].def
			}
			arg(strconv.Itoa(v))
		}
		for _, st := range e.Stops[:e.NStops] {
			arg(st.Color.String())
			if st.HasPos {
				arg(strconv.Itoa(st.Pos) + "p")
			}
		}
	default:
		if e.HasValue {
			arg(strconv.Itoa(e.Value))
		}
	}
	return b.String()
}

// String returns the canonical component: the given parameters as key_value, sorted by key,
// joined by ",". A Step with no parameters gives "". [ParseChain] has already dropped the
// parameters spelled out with their default value (c_scale, g_center, dpr_1.0, z_1.0, and
// g_north_west beside x_/y_), so "c_scale,w_100" reads back as "w_100".
func (s Step) String() string {
	var parts []string
	add := func(k, v string) { parts = append(parts, k+"_"+v) }
	// Keys in alphabetical order: a ar b bo c co d dpr e f fl g h q r t w x y z.
	if a := s.angleString(); a != "" {
		add("a", a)
	}
	if !s.AspectRatio.IsZero() {
		add("ar", s.AspectRatio.String())
	}
	if s.HasBackground {
		add("b", s.Background.String())
	} else if s.BackgroundAuto.On {
		add("b", s.BackgroundAuto.String())
	}
	if s.Border.Width > 0 {
		add("bo", s.Border.String())
	}
	if s.Crop != CropDefault {
		add("c", s.Crop.String())
	}
	if s.HasEffectColor {
		add("co", s.EffectColor.String())
	}
	if s.Default != "" {
		add("d", s.Default)
	}
	if s.DPRAuto {
		add("dpr", "auto")
	} else if s.DPR != 0 {
		add("dpr", formatDecimal(s.DPR))
	}
	if s.Effect.Name != EffectNone {
		add("e", s.Effect.String())
	}
	if s.FormatAuto {
		add("f", "auto")
	} else if s.Format != FormatOriginal {
		add("f", s.Format.String())
	}
	if s.Flags != 0 {
		add("fl", s.Flags.format(s.AttachmentName))
	}
	if s.Gravity != GravityDefault {
		add("g", s.Gravity.String())
	}
	if !s.Height.IsZero() {
		add("h", s.Height.String())
	}
	if s.Quality != 0 {
		add("q", s.Quality.String())
	}
	if !s.Radius.IsZero() {
		add("r", s.Radius.String())
	}
	if s.Named != "" {
		add("t", s.Named)
	}
	if !s.Width.IsZero() {
		add("w", s.Width.String())
	}
	x, hasX, y, hasY := s.X, s.HasX, s.Y, s.HasY
	if s.Effect.Name == EffectShadow {
		x, hasX = s.Effect.DX, s.Effect.DX != defaultShadowOffset
		y, hasY = s.Effect.DY, s.Effect.DY != defaultShadowOffset
	}
	if hasX {
		add("x", strconv.Itoa(x))
	}
	if hasY {
		add("y", strconv.Itoa(y))
	}
	if s.Zoom != 0 {
		add("z", formatDecimal(s.Zoom))
	}
	return strings.Join(parts, ",")
}

// String returns the canonical form of the chain: its components' canonical forms joined by "/",
// "" for the empty chain. Parsing the result gives a Chain with the same String.
func (c Chain) String() string {
	parts := make([]string, len(c.Steps))
	for i, s := range c.Steps {
		parts[i] = s.String()
	}
	return strings.Join(parts, "/")
}

// Format returns the output format the chain asks for with f_: the last f_ across the components
// wins. It returns FormatOriginal when there is no f_, or when the last one is f_auto (which
// depends on the request's Accept header; see Step.FormatAuto).
func (c Chain) Format() Format {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		s := c.Steps[i]
		if s.FormatAuto {
			return FormatOriginal
		}
		if s.Format != FormatOriginal {
			return s.Format
		}
	}
	return FormatOriginal
}

// FormatAuto reports whether the chain's last f_ is f_auto: the output format then depends on
// the formats the client accepts (Options.Accept).
func (c Chain) FormatAuto() bool {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		s := c.Steps[i]
		if s.FormatAuto {
			return true
		}
		if s.Format != FormatOriginal {
			return false
		}
	}
	return false
}

// NeedsAnalysis reports whether a step of the chain uses focal gravity (g_face, g_faces, g_auto
// and their fallback forms) or a face effect (e_pixelate_faces, e_blur_faces), so that
// transforming it needs the source's [Analysis].
func (c Chain) NeedsAnalysis() bool {
	for _, s := range c.Steps {
		if !s.Gravity.isCompass() || s.Effect.Name.onFaces() {
			return true
		}
	}
	return false
}

// quality returns the last q_ of the chain (0 when none).
func (c Chain) quality() Quality {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		if q := c.Steps[i].Quality; q != 0 {
			return q
		}
	}
	return 0
}

// background returns the last b_ of the chain, which is what alpha is flattened onto for
// formats without alpha (white when there is none).
func (c Chain) background() color.RGBA {
	for i := len(c.Steps) - 1; i >= 0; i-- {
		if c.Steps[i].HasBackground {
			return c.Steps[i].Background.premultiplied()
		}
	}
	return color.RGBA{0xff, 0xff, 0xff, 0xff}
}

// formatDecimal formats f with the fewest digits that read back as f, always with a decimal
// point ("0.5", "2.0"), never with an exponent.
func formatDecimal(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
