package imageops

import (
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"
)

// AutoRotate is a_auto_right or a_auto_left.
type AutoRotate uint8

// Automatic rotations: a quarter turn (clockwise for right, counter-clockwise for left) made
// before the component's crop when the box asked for is landscape and the image portrait, or
// the other way round.
const (
	AutoRotateNone AutoRotate = iota
	AutoRotateRight
	AutoRotateLeft
)

// String returns "auto_right", "auto_left", or "".
func (r AutoRotate) String() string {
	switch r {
	case AutoRotateRight:
		return "auto_right"
	case AutoRotateLeft:
		return "auto_left"
	}
	return ""
}

// maxAngle bounds the magnitude of one a_ angle, in degrees.
const maxAngle = 3600

// dihedral is a mirror-and-quarter-turns: the image is first mirrored left-right (flip), then
// turned q quarter turns clockwise.
type dihedral struct {
	flip bool
	q    int
}

// angleTable maps the Angle values to their dihedral.
var angleTable = [...]dihedral{
	AngleNone:     {},
	Angle90:       {q: 1},
	Angle180:      {q: 2},
	Angle270:      {q: 3},
	AngleHFlip:    {flip: true},
	AngleVFlip:    {flip: true, q: 2},
	AngleHFlip90:  {flip: true, q: 1},
	AngleHFlip270: {flip: true, q: 3},
}

// orientation returns the EXIF orientation code that does what a does to an image.
func (a Angle) orientation() int {
	switch a {
	case Angle90:
		return 6
	case Angle180:
		return 3
	case Angle270:
		return 8
	case AngleHFlip:
		return 2
	case AngleVFlip:
		return 4
	case AngleHFlip90:
		return 7
	case AngleHFlip270:
		return 5
	}
	return 1
}

// inverseOrientation returns the EXIF orientation that undoes o.
func inverseOrientation(o int) int {
	switch o {
	case 6:
		return 8
	case 8:
		return 6
	}
	return o
}

// parseAngle parses an a_ value into s: items joined by '.', each a whole number of degrees
// (negative: counter-clockwise), hflip, vflip, auto_right, auto_left, exif (the default: the
// source is turned upright by its EXIF orientation) or ignore. Mirrors and turns compose in the
// order written; auto_right and auto_left are decided before the crop, wherever they are
// written. It returns whether some item was a no-op (exif, or turns adding up to nothing), and
// "" or what is wrong.
func (s *Step) parseAngle(val string) (noop bool, msg string) {
	flip, deg := false, 0
	for item := range strings.SplitSeq(val, ".") {
		switch item {
		case "hflip":
			flip, deg = !flip, -deg
		case "vflip":
			flip, deg = !flip, 180-deg
		case "auto_right", "auto_left":
			if s.AutoRotate != AutoRotateNone {
				return false, "auto_right and auto_left may be given once"
			}
			s.AutoRotate = AutoRotateRight
			if item == "auto_left" {
				s.AutoRotate = AutoRotateLeft
			}
		case "ignore":
			s.IgnoreEXIF = true
		case "exif":
			noop = true
		default:
			n, m := parseInt(item)
			if m != "" || n < -maxAngle || n > maxAngle {
				return false, "angle must be whole degrees from -3600 to 3600 (e.g. 90, -20), hflip, vflip, auto_right, auto_left, exif or ignore, joined by '.'"
			}
			deg += n
		}
	}
	deg %= 360
	if deg < 0 {
		deg += 360
	}
	if deg%90 == 0 {
		d := dihedral{flip: flip, q: deg / 90}
		for a, t := range angleTable {
			if t == d {
				s.Angle = Angle(a)
			}
		}
	} else {
		s.Angle, s.Rotate = AngleNone, deg
		if flip {
			s.Angle = AngleHFlip
		}
	}
	if s.Angle == AngleNone && s.Rotate == 0 && s.AutoRotate == AutoRotateNone && !s.IgnoreEXIF {
		noop = true
	}
	return noop, ""
}

// angleString returns the canonical a_ value of s: auto_right or auto_left, then ignore, then
// the mirror and turns; "" when there is no a_.
func (s Step) angleString() string {
	var parts []string
	if s.AutoRotate != AutoRotateNone {
		parts = append(parts, s.AutoRotate.String())
	}
	if s.IgnoreEXIF {
		parts = append(parts, "ignore")
	}
	if s.Angle != AngleNone {
		parts = append(parts, s.Angle.String())
	}
	if s.Rotate != 0 {
		parts = append(parts, strconv.Itoa(s.Rotate))
	}
	return strings.Join(parts, ".")
}

// IgnoresEXIF reports whether a component of the chain has a_ignore: the source is then taken
// as stored, not turned upright by its EXIF orientation.
func (c Chain) IgnoresEXIF() bool {
	for _, s := range c.Steps {
		if s.IgnoreEXIF {
			return true
		}
	}
	return false
}

// rotatedSize returns the size of the canvas that holds a w×h image turned by deg degrees: the
// bounding box of the turned rectangle.
func rotatedSize(w, h, deg int) image.Point {
	r := float64(deg) * math.Pi / 180
	c, s := math.Abs(math.Cos(r)), math.Abs(math.Sin(r))
	fw, fh := float64(w), float64(h)
	// A hair under the exact size rounds up: the corners of the turned picture stay in.
	return image.Pt(px(math.Ceil(fw*c+fh*s-1e-6)), px(math.Ceil(fw*s+fh*c-1e-6)))
}

// rotationAffine returns the map from a w×h image's coordinates to those of its turn by deg
// degrees clockwise about its centre, on the canvas of rotatedSize.
func rotationAffine(w, h, deg int) affine {
	r := float64(deg) * math.Pi / 180
	c, s := math.Cos(r), math.Sin(r)
	out := rotatedSize(w, h, deg)
	cx, cy := float64(w)/2, float64(h)/2
	ox, oy := float64(out.X)/2, float64(out.Y)/2
	// (x, y) -> (c(x-cx) - s(y-cy) + ox, s(x-cx) + c(y-cy) + oy): clockwise with y down.
	return affine{a: c, b: -s, c: ox - c*cx + s*cy, d: s, e: c, f: oy - s*cx - c*cy}
}

// rotateFree turns img by deg degrees clockwise (not a multiple of 90) onto a canvas of
// rotatedSize filled with bg (premultiplied; transparent when zero), sampling bilinearly, so the
// picture's edges are anti-aliased against bg. It costs the same per output pixel whatever the
// angle.
func rotateFree(img image.Image, deg int, bg color.RGBA) *image.RGBA {
	src := ownRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	size := rotatedSize(w, h, deg)
	dst := image.NewRGBA(image.Rectangle{Max: size})
	inv := rotationAffine(w, h, deg).inverse()
	bgv := [4]float64{float64(bg.R), float64(bg.G), float64(bg.B), float64(bg.A)}
	at := func(x, y int, c int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return bgv[c]
		}
		return float64(src.Pix[y*src.Stride+4*x+c])
	}
	for y := range size.Y {
		row := dst.Pix[y*dst.Stride : y*dst.Stride+4*size.X]
		// The source position of this row's first pixel centre, and its step along the row.
		sx, sy := inv.point(0.5, float64(y)+0.5)
		sx, sy = sx-0.5, sy-0.5
		for x := range size.X {
			fx, fy := sx+float64(x)*inv.a, sy+float64(x)*inv.d
			x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
			tx, ty := fx-float64(x0), fy-float64(y0)
			p := row[4*x : 4*x+4]
			if x0 >= 0 && y0 >= 0 && x0+1 < w && y0+1 < h { // inside: no bounds checks per tap
				i := y0*src.Stride + 4*x0
				for c := range 4 {
					top := float64(src.Pix[i+c])*(1-tx) + float64(src.Pix[i+4+c])*tx
					bot := float64(src.Pix[i+src.Stride+c])*(1-tx) + float64(src.Pix[i+src.Stride+4+c])*tx
					p[c] = uint8(top*(1-ty) + bot*ty + 0.5)
				}
				continue
			}
			if x0 < -1 || y0 < -1 || x0 >= w || y0 >= h {
				p[0], p[1], p[2], p[3] = bg.R, bg.G, bg.B, bg.A
				continue
			}
			for c := range 4 {
				top := at(x0, y0, c)*(1-tx) + at(x0+1, y0, c)*tx
				bot := at(x0, y0+1, c)*(1-tx) + at(x0+1, y0+1, c)*tx
				p[c] = uint8(top*(1-ty) + bot*ty + 0.5)
			}
		}
	}
	return dst
}
