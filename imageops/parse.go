package imageops

import (
	"math"
	"strconv"
	"strings"
)

// Bounds the parser enforces on values. They only keep arithmetic sane; the real cap on sizes is
// Limits.MaxOutputSide, enforced by Chain.Check and Transform.
const (
	maxPx        = 100_000 // w_, h_ (px), x_, y_, r_, bo_ width
	maxRatio     = 10_000  // ar_: a and b of a:b at most this; a decimal in [1/maxRatio, maxRatio]
	maxZoom      = 100     // z_ in (0, maxZoom]
	minDPR       = 1.0     // dpr_ in [minDPR, maxDPR]
	maxDPR       = 4.0
	maxNumberLen = 24 // longest number literal accepted
	maxNameLen   = 128
)

// Parameter keys, in the alphabetical order of the canonical form.
const (
	keyA = iota
	keyAR
	keyB
	keyBO
	keyC
	keyCO
	keyD
	keyDPR
	keyE
	keyF
	keyFL
	keyG
	keyH
	keyQ
	keyR
	keyT
	keyW
	keyX
	keyY
	keyZ
	numKeys
)

var keyNames = [numKeys]string{"a", "ar", "b", "bo", "c", "co", "d", "dpr", "e", "f", "fl", "g", "h", "q", "r", "t", "w", "x", "y", "z"}

func keyIndex(k string) int {
	for i, n := range keyNames {
		if n == k {
			return i
		}
	}
	return -1
}

// ParseChain parses a transformation, one element per URL path component, e.g.
// {"c_fill,g_north,h_90,w_90", "r_max"}. nil or empty gives the empty Chain.
//
// Each component is comma-separated key_value parameters (docs/url.md); their order does not
// matter, a key may appear once per component. Every error is an *Error whose Param quotes the
// offending parameter (or component) as written; malformed input is KindBadParam. A chain with
// t_ must be expanded ([Chain.Expand]) before it is transformed, and one with w_auto or dpr_auto
// resolved ([Chain.ResolveHints]).
//
// Number syntax: integers are plain decimal digits without sign or leading zeros ("05" and "+5"
// are rejected; "0" is fine where 0 is in range). Decimals are digits, optionally "." and digits
// ("0.5", "2", "2.0"; not ".5", "5.", "1e3", "NaN"). w_ and h_ are px when written without a
// decimal point (w_1 is 1 px) and a fraction of the current image in (0,1] when written with one
// (w_0.5 is half, w_1.0 is 100%); w_1.5 is rejected.
//
// What Cloudinary's SDKs write is normalised here, so that equal meanings have one canonical
// form: a component that holds only dpr_ applies to every component with w_ or h_ (or, when
// there is none, scales the image: dpr_2.0,w_1.0); flags that cannot change an avatar, a_exif
// and a_0 are dropped, and a component that held nothing else goes away; c_auto is c_fill with
// g_auto unless g_ says otherwise; d_<name>.<ext> is d_<name>.
func ParseChain(components []string) (Chain, error) {
	if len(components) == 0 {
		return Chain{}, nil
	}
	c := Chain{Steps: make([]Step, 0, len(components))}
	dprAt := -1 // where the (last) component that held only dpr_ was
	var dpr Step
	for _, comp := range components {
		s, kind, err := parseStep(comp)
		if err != nil {
			return Chain{}, err
		}
		switch kind {
		case stepDropped:
			continue
		case stepDPR:
			if dprAt < 0 {
				dprAt = len(c.Steps)
			}
			dpr = s
			continue
		}
		c.Steps = append(c.Steps, s)
	}
	if dprAt >= 0 {
		c.Steps = applyChainDPR(c.Steps, dprAt, dpr)
	}
	if len(c.Steps) == 0 {
		return Chain{}, nil
	}
	return c, nil
}

// applyChainDPR applies the dpr_ of a component that held nothing else (dpr, which stood at
// index at of steps) to the whole chain: to every component with w_ or h_ and no dpr_ of its
// own; when there is none, a component that scales the image by it takes its place.
func applyChainDPR(steps []Step, at int, dpr Step) []Step {
	if dpr.DPR == 0 && !dpr.DPRAuto { // dpr_1.0
		return steps
	}
	sized := false
	for i := range steps {
		s := &steps[i]
		if (s.Width.IsZero() && s.Height.IsZero()) || s.Named != "" {
			continue
		}
		sized = true
		if s.DPR == 0 && !s.DPRAuto {
			s.DPR, s.DPRAuto = dpr.DPR, dpr.DPRAuto
		}
	}
	if sized {
		return steps
	}
	scale := Step{Width: Dim{Frac: 1}, DPR: dpr.DPR, DPRAuto: dpr.DPRAuto}
	return append(steps[:at:at], append([]Step{scale}, steps[at:]...)...)
}

// What parseStep found in a component besides its Step.
const (
	stepNormal  = iota
	stepDPR     // only dpr_: it applies to the whole chain
	stepDropped // only no-ops: the component goes away
)

// parseStep parses one component.
func parseStep(comp string) (Step, int, error) {
	var s Step
	if comp == "" {
		return s, 0, badParam("", "empty transformation component (two slashes in a row?)")
	}
	var raw [numKeys]string
	noop := false
	n := 0
	for p := range strings.SplitSeq(comp, ",") {
		if p == "" {
			return s, 0, badParam(comp, "empty parameter (two commas in a row, or a comma at an end)")
		}
		key, val, ok := strings.Cut(p, "_")
		if !ok {
			return s, 0, badParam(p, "a parameter is key_value, e.g. w_100")
		}
		k := keyIndex(key)
		if k < 0 {
			return s, 0, badParam(p, "unknown parameter %q", key)
		}
		if raw[k] != "" {
			return s, 0, badParam(p, "parameter %s_ given twice in one component (also %s)", key, raw[k])
		}
		raw[k] = p
		n++
		if val == "" {
			return s, 0, badParam(p, "missing value")
		}
		isNoop, msg := s.setParam(k, val)
		if msg != "" {
			return s, 0, badParam(p, "%s", msg)
		}
		noop = noop || isNoop
	}
	param := func(k int) string { return raw[k] }
	if n == 1 && raw[keyDPR] != "" {
		// A component of its own: the device pixel ratio of the whole chain.
		if s.DPR == 1 {
			s.DPR = 0
		}
		return s, stepDPR, nil
	}
	if err := s.normalize(param); err != nil {
		return s, 0, err
	}
	if err := s.crossCheck(param); err != nil {
		return s, 0, err
	}
	s.dropDefaults()
	if s == (Step{}) {
		// A flag or an a_ value that ends up changing nothing is a no-op, as Cloudinary's SDKs
		// write them (fl_progressive, a_exif, a_auto_right with no box to turn to).
		if noop || raw[keyFL] != "" || raw[keyA] != "" {
			return s, stepDropped, nil
		}
		return s, 0, badParam(comp, "the component does nothing: every parameter in it has its default value")
	}
	return s, stepNormal, nil
}

// normalize rewrites what Cloudinary spells in several ways into one form, before the checks:
// c_auto is c_fill (with g_auto unless g_ is given); c_fill_pad takes g_auto by default; x_ and
// y_ beside e_shadow are its offset; the default arguments of the newer effects and co_ equal to
// the effect's default colour are dropped.
func (s *Step) normalize(param func(k int) string) *Error {
	if s.Crop == cropAuto {
		s.Crop = CropFill
		if s.Gravity == GravityDefault {
			s.Gravity = GravityAuto
		}
	}
	if s.Crop == CropFillPad && s.Gravity == GravityDefault {
		s.Gravity = GravityAuto
	}
	if s.Effect.Name == EffectShadow {
		if s.Crop == CropCrop && (s.HasX || s.HasY) {
			k := keyX
			if !s.HasX {
				k = keyY
			}
			return badParam(param(k), "with both c_crop and e_shadow, x_ and y_ could be either: put e_shadow in a component of its own")
		}
		s.Effect.DX, s.Effect.DY = defaultShadowOffset, defaultShadowOffset
		if s.HasX {
			s.Effect.DX = s.X
		}
		if s.HasY {
			s.Effect.DY = s.Y
		}
		s.X, s.Y, s.HasX, s.HasY = 0, 0, false, false
	}
	if s.AutoRotate != AutoRotateNone && s.Width.IsZero() && s.Height.IsZero() && s.AspectRatio.IsZero() {
		s.AutoRotate = AutoRotateNone // no box asked for: nothing to turn the image to
	}
	if (s.X < 0 && s.HasX) || (s.Y < 0 && s.HasY) {
		k := keyX
		if !(s.X < 0 && s.HasX) {
			k = keyY
		}
		return badParam(param(k), "must be a whole number of px from 0 to %d (negative offsets are for e_shadow)", maxPx)
	}
	s.Effect.normalize()
	if s.HasEffectColor {
		if def, ok := s.Effect.Name.defaultColor(); ok && sameColor(def, s.EffectColor) {
			s.HasEffectColor, s.EffectColor = false, Color{}
		}
	}
	return nil
}

// normalize drops the arguments of the newer effects that are spelled out with their default
// value, so that equal meanings print alike (the older effects keep what was written).
func (e *Effect) normalize() {
	spec := effectSpecs[e.Name]
	if !spec.dropDefault {
		return
	}
	switch e.Name {
	case EffectImprove:
		if e.Mode == "outdoor" {
			e.Mode = ""
		}
	case EffectOutline:
		if e.HasValue2 && e.Value2 == 0 {
			e.HasValue2 = false
		}
		if e.HasValue2 && !e.HasValue {
			e.Value, e.HasValue = spec.def, true
		}
		if !e.HasValue2 && e.HasValue && e.Value == spec.def {
			e.HasValue, e.Value = false, 0
		}
		if !e.HasValue2 {
			e.Value2 = 0
		}
		return
	case EffectTrim:
		if e.HasColor && !e.HasValue {
			e.Value, e.HasValue = spec.def, true
		}
		if !e.HasColor && e.HasValue && e.Value == spec.def {
			e.HasValue, e.Value = false, 0
		}
		return
	case EffectTint:
		if e.NStops == 1 && !e.Stops[0].HasPos && sameColor(e.Stops[0].Color, defaultTintColor) {
			e.NStops, e.Stops[0] = 0, TintStop{}
		}
		if e.NStops > 0 && !e.HasValue {
			e.Value, e.HasValue = spec.def, true
		}
		if e.NStops == 0 && e.HasValue && e.Value == spec.def {
			e.HasValue, e.Value = false, 0
		}
		return
	}
	if e.HasValue && e.Value == spec.def {
		e.HasValue, e.Value = false, 0
	}
}

// sameColor reports whether two colours are the same, whatever their names.
func sameColor(a, b Color) bool { return a.R == b.R && a.G == b.G && a.B == b.B && a.A == b.A }

// dropDefaults forgets the parameters a checked component gave with the value it would have had
// without them, so that "c_scale,w_100" and "w_100" are one canonical form, one cache entry.
// It runs after crossCheck, so what crossCheck refuses ("c_scale" alone, "dpr_1.0" beside other
// parameters without a size) stays refused. A component with t_ is left as written: Expand
// refuses t_ beside any other parameter, a default one included.
func (s *Step) dropDefaults() {
	if s.Named != "" {
		return
	}
	if s.Crop == CropScale {
		s.Crop = CropDefault
	}
	if s.Gravity == GravityCenter || (s.Gravity == GravityNorthWest && (s.HasX || s.HasY)) {
		s.Gravity = GravityDefault // with x_/y_, no g_ means the region's top-left corner
	}
	if s.DPR == 1 {
		s.DPR = 0
	}
	if s.Zoom == 1 {
		s.Zoom = 0
	}
	if oneSide := s.Width.IsZero() != s.Height.IsZero(); !oneSide || !s.AspectRatio.IsZero() {
		// With both sides, or neither, or ar_ for the other one, there is no aspect ratio to ignore.
		s.Flags &^= FlagIgnoreAspectRatio
	}
}

// setParam parses val as the value of key k into s. It returns whether the value is accepted
// as a no-op (it changes nothing: a flag that cannot change an avatar, a_exif), and "" or what
// is wrong.
func (s *Step) setParam(k int, val string) (noop bool, msg string) {
	switch k {
	case keyW:
		if strings.HasPrefix(val, "auto") {
			d, msg := parseAutoWidth(val)
			s.Width = d
			return false, msg
		}
		d, msg := parseDim(val, "width")
		s.Width = d
		return false, msg
	case keyH:
		d, msg := parseDim(val, "height")
		s.Height = d
		return false, msg
	case keyC:
		if val == "auto" {
			s.Crop = cropAuto
			return false, ""
		}
		for i := CropScale; int(i) < len(cropNames); i++ {
			if cropNames[i] == val {
				s.Crop = i
				return false, ""
			}
		}
		if aiCrops[val] {
			return false, "needs an AI service (smart cropping), which avatarkit does not run"
		}
		return false, "unknown crop mode; use one of " + strings.Join(cropNames[1:], ", ") + ", auto"
	case keyG:
		if g, ok := gravityAliases[val]; ok {
			s.Gravity = g
			return false, ""
		}
		for i := GravityCenter; int(i) < len(gravityNames); i++ {
			if gravityNames[i] == val {
				s.Gravity = i
				return false, ""
			}
		}
		return false, "unknown gravity; use one of " + strings.Join(gravityNames[1:], ", ")
	case keyX, keyY:
		n, msg := parseInt(val)
		if msg == "" && (n > maxPx || n < -maxPx) {
			msg = "out of range"
		}
		if msg != "" {
			return false, "must be a whole number of px from 0 to " + strconv.Itoa(maxPx) + " (" + msg + ")"
		}
		if k == keyX {
			s.X, s.HasX = n, true
		} else {
			s.Y, s.HasY = n, true
		}
		return false, ""
	case keyAR:
		a, msg := parseAspectRatio(val)
		s.AspectRatio = a
		return false, msg
	case keyZ:
		f, ok := parseDecimal(val)
		if !ok || f <= 0 || f > maxZoom {
			return false, "zoom must be a decimal in (0," + strconv.Itoa(maxZoom) + "], e.g. 0.5 or 1.2"
		}
		s.Zoom = f
		return false, ""
	case keyDPR:
		if val == "auto" {
			s.DPRAuto = true
			return false, ""
		}
		f, ok := parseDecimal(val)
		if !ok || f < minDPR || f > maxDPR {
			return false, "device pixel ratio must be a decimal from 1.0 to 4.0 (e.g. 2.0), or auto"
		}
		s.DPR = f
		return false, ""
	case keyQ:
		q, msg := parseQuality(val)
		s.Quality = q
		return false, msg
	case keyF:
		if val == "auto" {
			s.FormatAuto = true
			return false, ""
		}
		f, err := ParseFormat(val)
		if err != nil {
			return false, "unknown format; use jpg, png, gif, webp, avif or auto"
		}
		s.Format = f
		return false, ""
	case keyFL:
		f, name, noop, msg := parseFlags(val)
		s.Flags, s.AttachmentName = f, name
		return noop, msg
	case keyR:
		r, msg := parseRadius(val)
		s.Radius = r
		return false, msg
	case keyB:
		if strings.HasPrefix(val, "auto") {
			b, msg := parseBackgroundAuto(val)
			s.BackgroundAuto = b
			return false, msg
		}
		if strings.HasPrefix(val, "gen_fill") {
			return false, "needs an AI service (generative fill), which avatarkit does not run"
		}
		c, ok := parseColor(val)
		if !ok {
			return false, "colour must be a name (white, black, transparent, red, ...), rgb:RRGGBB / rgb:RRGGBBAA / rgb:RGB, or auto"
		}
		s.Background, s.HasBackground = c, true
		return false, ""
	case keyCO:
		c, ok := parseColor(val)
		if !ok {
			return false, "colour must be a name (white, black, red, ...) or rgb:RRGGBB / rgb:RRGGBBAA / rgb:RGB"
		}
		s.EffectColor, s.HasEffectColor = c, true
		return false, ""
	case keyBO:
		b, msg := parseBorder(val)
		s.Border = b
		return false, msg
	case keyA:
		return s.parseAngle(val)
	case keyE:
		e, msg := parseEffect(val)
		s.Effect = e
		return false, msg
	case keyD:
		name, ext, hasExt := strings.Cut(val, ".")
		if !validName(name) || (hasExt && !validExtension(ext)) {
			return false, "default image name must be letters, digits, _ and - (at most 128), optionally with an image extension (d_avatar.png)"
		}
		s.Default = name // the extension is the default picture's own format: it changes nothing
		return false, ""
	case keyT:
		if !validNamedList(val) {
			return false, "named transformation must be letters, digits, _ and - (at most 128), several joined by '.'"
		}
		s.Named = val
		return false, ""
	}
	return false, "unknown parameter"
}

// cropAuto is c_auto while a component is parsed: normalize makes it c_fill.
const cropAuto CropMode = 255

// aiCrops are Cloudinary's crop modes that need AI models.
var aiCrops = map[string]bool{"auto_pad": true, "imagga_crop": true, "imagga_scale": true}

// parseAutoWidth parses w_auto, w_auto:<step>, w_auto:<step>:<fallback>.
func parseAutoWidth(val string) (Dim, string) {
	const msg = "w_auto takes a step and a fallback width in px: auto, auto:<step>, auto:<step>:<fallback> (e.g. auto:100:400)"
	if strings.HasPrefix(val, "auto:breakpoints") {
		return Dim{}, "w_auto:breakpoints is not supported: use w_auto:<step>[:<fallback>]"
	}
	parts := strings.Split(val, ":")
	if parts[0] != "auto" || len(parts) > 3 {
		return Dim{}, msg
	}
	d := Dim{Auto: true, AutoStep: DefaultAutoStep}
	if len(parts) > 1 {
		n, m := parseUint(parts[1])
		if m != "" || n < 1 || n > maxPx {
			return Dim{}, msg
		}
		d.AutoStep = n
	}
	if len(parts) > 2 {
		n, m := parseUint(parts[2])
		if m != "" || n < 1 || n > maxPx {
			return Dim{}, msg
		}
		d.AutoFallback = n
	}
	return d, ""
}

// validExtension reports whether s is a file extension d_ may carry: 1 to 8 lower-case letters
// and digits.
func validExtension(s string) bool {
	if s == "" || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validNamedList reports whether s is a t_ value: names joined by '.'.
func validNamedList(s string) bool {
	if len(s) > 4*maxNameLen {
		return false
	}
	for name := range strings.SplitSeq(s, ".") {
		if !validName(name) {
			return false
		}
	}
	return true
}

// parseUint parses a plain non-negative decimal integer without sign or leading zeros.
// It returns "" or what is wrong.
func parseUint(s string) (int, string) {
	if s == "" {
		return 0, "empty number"
	}
	if len(s) > 9 {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, "not a whole number"
			}
		}
		return 0, "too large"
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, "not a whole number"
		}
		n = n*10 + int(c-'0')
	}
	if s[0] == '0' && len(s) > 1 {
		return 0, "no leading zeros"
	}
	return n, ""
}

// parseInt is parseUint with an optional leading '-' ("-0" is rejected).
func parseInt(s string) (int, string) {
	if rest, neg := strings.CutPrefix(s, "-"); neg {
		n, msg := parseUint(rest)
		if msg == "" && n == 0 {
			msg = "negative zero"
		}
		return -n, msg
	}
	return parseUint(s)
}

// parseDecimal parses digits with an optional fractional part: (0|[1-9][0-9]*)(\.[0-9]+)?
func parseDecimal(s string) (float64, bool) {
	if len(s) == 0 || len(s) > maxNumberLen {
		return 0, false
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" || (intPart[0] == '0' && len(intPart) > 1) || (hasPoint && frac == "") {
		return 0, false
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, false
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseDim parses a w_/h_ value.
func parseDim(val, what string) (Dim, string) {
	generic := what + " must be a positive integer or a fraction in (0,1]"
	if strings.Contains(val, ".") {
		f, ok := parseDecimal(val)
		if !ok {
			return Dim{}, generic
		}
		if f <= 0 || f > 1 {
			return Dim{}, what + " written with a decimal point is a fraction of the image and must be in (0,1] (1.0 is 100%); px sizes are whole numbers"
		}
		return Dim{Frac: f}, ""
	}
	n, msg := parseUint(val)
	switch {
	case msg == "no leading zeros":
		return Dim{}, what + " in px must be written without leading zeros"
	case msg == "too large" || (msg == "" && n > maxPx):
		return Dim{}, what + " must be at most " + strconv.Itoa(maxPx) + " px"
	case msg != "" || n == 0:
		return Dim{}, generic
	}
	return Dim{Px: n}, ""
}

func parseAspectRatio(val string) (AspectRatio, string) {
	const msg = "aspect ratio must be a:b with whole numbers from 1 to 10000 (e.g. 16:9), or a decimal from 0.0001 to 10000 (e.g. 1.5)"
	if a, b, ok := strings.Cut(val, ":"); ok {
		w, m1 := parseUint(a)
		h, m2 := parseUint(b)
		if m1 != "" || m2 != "" || w < 1 || h < 1 || w > maxRatio || h > maxRatio {
			return AspectRatio{}, msg
		}
		return AspectRatio{W: w, H: h}, ""
	}
	f, ok := parseDecimal(val)
	if !ok || f < 1.0/maxRatio || f > maxRatio {
		return AspectRatio{}, msg
	}
	return AspectRatio{Dec: f}, ""
}

func parseRadius(val string) (Radius, string) {
	const msg = "radius must be max, px, or 2 to 4 px values joined by ':' (each 0 to 100000)"
	if val == "max" {
		return Radius{Max: true}, ""
	}
	var r Radius
	for part := range strings.SplitSeq(val, ":") {
		if r.N == len(r.Px) {
			return Radius{}, msg
		}
		n, m := parseUint(part)
		if m != "" || n > maxPx {
			return Radius{}, msg
		}
		r.Px[r.N] = n
		r.N++
	}
	return r, ""
}

func parseBorder(val string) (Border, string) {
	const msg = "border must be <n>px_solid_<colour>, e.g. 4px_solid_black or 2px_solid_rgb:ff0000"
	width, col, ok := strings.Cut(val, "px_solid_")
	if !ok {
		return Border{}, msg
	}
	n, m := parseUint(width)
	if m != "" || n < 1 || n > maxPx {
		return Border{}, msg
	}
	c, ok := parseColor(col)
	if !ok {
		return Border{}, msg
	}
	return Border{Width: n, Color: c}, ""
}

func parseEffect(val string) (Effect, string) {
	name, arg, hasArg := strings.Cut(val, ":")
	for i := EffectGrayscale; int(i) < len(effectSpecs); i++ {
		spec := effectSpecs[i]
		if spec.name != name {
			continue
		}
		e := Effect{Name: i}
		switch {
		case spec.value == customValue:
			return parseCustomEffect(e, arg, hasArg)
		case spec.value == noValue && hasArg:
			return Effect{}, "effect " + name + " takes no value"
		case spec.value == requiredValue && !hasArg:
			return Effect{}, "effect " + name + " needs a value: " + name + ":n with n from " +
				strconv.Itoa(spec.min) + " to " + strconv.Itoa(spec.max)
		case hasArg:
			n, m := parseInt(arg)
			if m != "" || n < spec.min || n > spec.max {
				return Effect{}, "effect " + name + " value must be a whole number from " +
					strconv.Itoa(spec.min) + " to " + strconv.Itoa(spec.max)
			}
			e.Value, e.HasValue = n, true
		}
		return e, ""
	}
	if what, ok := aiEffects[name]; ok {
		return Effect{}, "needs an AI service (" + what + "), which avatarkit does not run"
	}
	return Effect{}, "unknown effect; use " + effectList()
}

// effectList names the effects, for error messages.
func effectList() string {
	var names []string
	for _, spec := range effectSpecs[1:] {
		n := spec.name
		switch {
		case spec.value == requiredValue:
			n += ":n"
		case spec.value != noValue:
			n += "[:…]"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// aiEffects are Cloudinary's effects that need AI models, with what they do.
var aiEffects = map[string]string{
	"background_removal":     "background removal",
	"bgremoval":              "background removal",
	"remove_background":      "background removal",
	"gen_background_replace": "generative background replacement",
	"gen_recolor":            "generative recolouring",
	"gen_remove":             "generative removal",
	"gen_replace":            "generative replacement",
	"gen_restore":            "generative restoration",
	"gen_fill":               "generative fill",
	"upscale":                "AI upscaling",
	"enhance":                "AI enhancement",
	"auto_enhance":           "AI enhancement",
	"cartoonify":             "cartoonification",
	"extract":                "object extraction",
	"dropshadow":             "subject detection for the shadow",
	"style_transfer":         "neural style transfer",
	"ocr_text":               "text recognition",
	"theme":                  "background recolouring",
}

// parseCustomEffect parses the arguments of the effects that take several (e's name is set).
func parseCustomEffect(e Effect, arg string, hasArg bool) (Effect, string) {
	spec := effectSpecs[e.Name]
	var args []string
	if hasArg {
		args = strings.Split(arg, ":")
	}
	number := func(s string, lo, hi int) (int, bool) {
		n, m := parseInt(s)
		return n, m == "" && n >= lo && n <= hi
	}
	switch e.Name {
	case EffectImprove: // improve[:indoor|outdoor][:blend]
		const msg = "e_improve takes a mode (indoor or outdoor) and a blend from 0 to 100: improve[:<mode>][:<blend>]"
		if len(args) > 0 && (args[0] == "indoor" || args[0] == "outdoor") {
			e.Mode, args = args[0], args[1:]
		}
		if len(args) > 0 {
			n, ok := number(args[0], 0, 100)
			if !ok {
				return Effect{}, msg
			}
			e.Value, e.HasValue, args = n, true, args[1:]
		}
		if len(args) > 0 {
			return Effect{}, msg
		}
	case EffectOutline: // outline[:mode][:width][:blur]
		const msg = "e_outline takes a mode (inner, inner_fill, outer, fill), a width from 1 to 100 and a blur from 0 to 2000: outline[:<mode>][:<width>][:<blur>]"
		if len(args) > 0 && outlineModes[args[0]] {
			e.Mode, args = args[0], args[1:]
		}
		if len(args) > 0 {
			n, ok := number(args[0], spec.min, spec.max)
			if !ok {
				return Effect{}, msg
			}
			e.Value, e.HasValue, args = n, true, args[1:]
		}
		if len(args) > 0 {
			n, ok := number(args[0], 0, 2000)
			if !ok {
				return Effect{}, msg
			}
			e.Value2, e.HasValue2, args = n, true, args[1:]
		}
		if len(args) > 0 {
			return Effect{}, msg
		}
	case EffectTrim: // trim[:tolerance][:colour]; empty arguments are the defaults (url-gen writes "e_trim::")
		const msg = "e_trim takes a tolerance from 0 to 100 and a colour: trim[:<tolerance>][:<colour>]"
		if len(args) > 0 {
			if args[0] != "" {
				n, ok := number(args[0], spec.min, spec.max)
				if !ok {
					return Effect{}, msg
				}
				e.Value, e.HasValue = n, true
			}
			args = args[1:]
		}
		if c := strings.Join(args, ":"); c != "" {
			col, ok := parseColor(c)
			if !ok {
				return Effect{}, msg
			}
			e.Color, e.HasColor = col, true
		}
	case EffectTint: // tint[:equalize][:amount][:colour[:<pos>p]]...
		const msg = "e_tint takes equalize, an amount from 0 to 100 and up to 10 colours each with an optional position: tint[:equalize][:<amount>][:<colour>[:<n>p]]..."
		if len(args) > 0 && args[0] == "equalize" {
			e.Equalize, args = true, args[1:]
		}
		if len(args) > 0 {
			if n, m := parseInt(args[0]); m == "" {
				if n < 0 || n > 100 {
					return Effect{}, msg
				}
				e.Value, e.HasValue, args = n, true, args[1:]
			}
		}
		for len(args) > 0 {
			c := args[0]
			args = args[1:]
			if c == "rgb" && len(args) > 0 { // "rgb:RRGGBB" was split at its ':'
				c += ":" + args[0]
				args = args[1:]
			}
			col, ok := parseColor(c)
			if !ok || e.NStops == maxTintStops {
				return Effect{}, msg
			}
			st := TintStop{Color: col}
			if len(args) > 0 && strings.HasSuffix(args[0], "p") {
				n, ok := number(strings.TrimSuffix(args[0], "p"), 0, 100)
				if !ok {
					return Effect{}, msg
				}
				st.Pos, st.HasPos = n, true
				args = args[1:]
			}
			e.Stops[e.NStops] = st
			e.NStops++
		}
	}
	return e, ""
}

// outlineModes are e_outline's modes.
var outlineModes = map[string]bool{"inner": true, "inner_fill": true, "outer": true, "fill": true}

// validName reports whether s is a d_/t_ name: [A-Za-z0-9_-]{1,128}.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
