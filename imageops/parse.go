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
	keyD
	keyDPR
	keyE
	keyF
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

var keyNames = [numKeys]string{"a", "ar", "b", "bo", "c", "d", "dpr", "e", "f", "g", "h", "q", "r", "t", "w", "x", "y", "z"}

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
// t_ must be expanded ([Chain.Expand]) before it is transformed.
//
// Number syntax: integers are plain decimal digits without sign or leading zeros ("05" and "+5"
// are rejected; "0" is fine where 0 is in range). Decimals are digits, optionally "." and digits
// ("0.5", "2", "2.0"; not ".5", "5.", "1e3", "NaN"). w_ and h_ are px when written without a
// decimal point (w_1 is 1 px) and a fraction of the current image in (0,1] when written with one
// (w_0.5 is half, w_1.0 is 100%); w_1.5 is rejected.
func ParseChain(components []string) (Chain, error) {
	if len(components) == 0 {
		return Chain{}, nil
	}
	c := Chain{Steps: make([]Step, 0, len(components))}
	for _, comp := range components {
		s, err := parseStep(comp)
		if err != nil {
			return Chain{}, err
		}
		c.Steps = append(c.Steps, s)
	}
	return c, nil
}

// parseStep parses one component.
func parseStep(comp string) (Step, error) {
	var s Step
	if comp == "" {
		return s, badParam("", "empty transformation component (two slashes in a row?)")
	}
	var raw [numKeys]string
	for p := range strings.SplitSeq(comp, ",") {
		if p == "" {
			return s, badParam(comp, "empty parameter (two commas in a row, or a comma at an end)")
		}
		key, val, ok := strings.Cut(p, "_")
		if !ok {
			return s, badParam(p, "a parameter is key_value, e.g. w_100")
		}
		k := keyIndex(key)
		if k < 0 {
			return s, badParam(p, "unknown parameter %q", key)
		}
		if raw[k] != "" {
			return s, badParam(p, "parameter %s_ given twice in one component (also %s)", key, raw[k])
		}
		raw[k] = p
		if val == "" {
			return s, badParam(p, "missing value")
		}
		if msg := s.setParam(k, val); msg != "" {
			return s, badParam(p, "%s", msg)
		}
	}
	if err := s.crossCheck(func(k int) string { return raw[k] }); err != nil {
		return s, err
	}
	s.dropDefaults()
	if s == (Step{}) {
		return s, badParam(comp, "the component does nothing: every parameter in it has its default value")
	}
	return s, nil
}

// dropDefaults forgets the parameters a checked component gave with the value it would have had
// without them, so that "c_scale,w_100" and "w_100" are one canonical form, one cache entry.
// It runs after crossCheck, so what crossCheck refuses ("c_scale" alone, "dpr_1.0" without a
// size) stays refused. A component with t_ is left as written: Expand refuses t_ beside any
// other parameter, a default one included.
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
}

// setParam parses val as the value of key k into s. It returns "" or what is wrong.
func (s *Step) setParam(k int, val string) string {
	switch k {
	case keyW:
		d, msg := parseDim(val, "width")
		s.Width = d
		return msg
	case keyH:
		d, msg := parseDim(val, "height")
		s.Height = d
		return msg
	case keyC:
		for i := CropScale; int(i) < len(cropNames); i++ {
			if cropNames[i] == val {
				s.Crop = i
				return ""
			}
		}
		return "unknown crop mode; use one of " + strings.Join(cropNames[1:], ", ")
	case keyG:
		for i := GravityCenter; int(i) < len(gravityNames); i++ {
			if gravityNames[i] == val {
				s.Gravity = i
				return ""
			}
		}
		return "unknown gravity; use one of " + strings.Join(gravityNames[1:], ", ")
	case keyX, keyY:
		n, msg := parseUint(val)
		if msg == "" && n > maxPx {
			msg = "out of range"
		}
		if msg != "" {
			return "must be a whole number of px from 0 to " + strconv.Itoa(maxPx) + " (" + msg + ")"
		}
		if k == keyX {
			s.X, s.HasX = n, true
		} else {
			s.Y, s.HasY = n, true
		}
		return ""
	case keyAR:
		a, msg := parseAspectRatio(val)
		s.AspectRatio = a
		return msg
	case keyZ:
		f, ok := parseDecimal(val)
		if !ok || f <= 0 || f > maxZoom {
			return "zoom must be a decimal in (0," + strconv.Itoa(maxZoom) + "], e.g. 0.5 or 1.2"
		}
		s.Zoom = f
		return ""
	case keyDPR:
		f, ok := parseDecimal(val)
		if !ok || f < minDPR || f > maxDPR {
			return "device pixel ratio must be a decimal from 1.0 to 4.0, e.g. 2.0"
		}
		s.DPR = f
		return ""
	case keyQ:
		if val == "auto" {
			s.Quality = QualityAuto
			return ""
		}
		n, msg := parseUint(val)
		if msg != "" || n < 1 || n > 100 {
			return "quality must be a whole number from 1 to 100, or auto"
		}
		s.Quality = Quality(n)
		return ""
	case keyF:
		if val == "auto" {
			s.FormatAuto = true
			return ""
		}
		f, err := ParseFormat(val)
		if err != nil {
			return "unknown format; use jpg, png, gif, webp or auto"
		}
		s.Format = f
		return ""
	case keyR:
		r, msg := parseRadius(val)
		s.Radius = r
		return msg
	case keyB:
		c, ok := parseColor(val)
		if !ok {
			return "colour must be a name (white, black, transparent, red, ...) or rgb:RRGGBB / rgb:RRGGBBAA / rgb:RGB"
		}
		s.Background, s.HasBackground = c, true
		return ""
	case keyBO:
		b, msg := parseBorder(val)
		s.Border = b
		return msg
	case keyA:
		for i := Angle90; int(i) < len(angleNames); i++ {
			if angleNames[i] == val {
				s.Angle = i
				return ""
			}
		}
		return "angle must be one of 90, 180, 270, hflip, vflip"
	case keyE:
		e, msg := parseEffect(val)
		s.Effect = e
		return msg
	case keyD:
		if !validName(val) {
			return "default image name must be letters, digits, _ and - (at most 128)"
		}
		s.Default = val
		return ""
	case keyT:
		if !validName(val) {
			return "named transformation must be letters, digits, _ and - (at most 128)"
		}
		s.Named = val
		return ""
	}
	return "unknown parameter"
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
	return Effect{}, "unknown effect; use grayscale, sepia[:n], blur[:n], pixelate[:n], sharpen[:n], negate, brightness:n, contrast:n or saturation:n"
}

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
