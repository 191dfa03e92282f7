package imageops

import (
	"image/color"
	"strings"
)

// namedColor is the table of colour names accepted by b_ and bo_ (CSS values, lower case).
// "grey" is read as "gray" by parseColor (and printed so in the canonical form).
func namedColor(name string) (color.NRGBA, bool) {
	switch name {
	case "transparent":
		return color.NRGBA{0, 0, 0, 0}, true
	case "white":
		return color.NRGBA{0xff, 0xff, 0xff, 0xff}, true
	case "black":
		return color.NRGBA{0, 0, 0, 0xff}, true
	case "red":
		return color.NRGBA{0xff, 0, 0, 0xff}, true
	case "green":
		return color.NRGBA{0, 0x80, 0, 0xff}, true
	case "lime":
		return color.NRGBA{0, 0xff, 0, 0xff}, true
	case "blue":
		return color.NRGBA{0, 0, 0xff, 0xff}, true
	case "yellow":
		return color.NRGBA{0xff, 0xff, 0, 0xff}, true
	case "orange":
		return color.NRGBA{0xff, 0xa5, 0, 0xff}, true
	case "purple":
		return color.NRGBA{0x80, 0, 0x80, 0xff}, true
	case "pink":
		return color.NRGBA{0xff, 0xc0, 0xcb, 0xff}, true
	case "brown":
		return color.NRGBA{0xa5, 0x2a, 0x2a, 0xff}, true
	case "gray":
		return color.NRGBA{0x80, 0x80, 0x80, 0xff}, true
	case "silver":
		return color.NRGBA{0xc0, 0xc0, 0xc0, 0xff}, true
	case "cyan":
		return color.NRGBA{0, 0xff, 0xff, 0xff}, true
	case "magenta":
		return color.NRGBA{0xff, 0, 0xff, 0xff}, true
	case "navy":
		return color.NRGBA{0, 0, 0x80, 0xff}, true
	case "teal":
		return color.NRGBA{0, 0x80, 0x80, 0xff}, true
	case "maroon":
		return color.NRGBA{0x80, 0, 0, 0xff}, true
	case "olive":
		return color.NRGBA{0x80, 0x80, 0, 0xff}, true
	}
	return color.NRGBA{}, false
}

// parseColor parses a colour name from colorNames or rgb:RGB, rgb:RRGGBB, rgb:RRGGBBAA (hex,
// either case). ok is false when s is none of these.
func parseColor(s string) (c Color, ok bool) {
	if s == "grey" {
		s = "gray"
	}
	if v, found := namedColor(s); found {
		return Color{R: v.R, G: v.G, B: v.B, A: v.A, Name: s}, true
	}
	hex, found := strings.CutPrefix(s, "rgb:")
	if !found {
		return Color{}, false
	}
	var d [8]uint8
	for i := 0; i < len(hex); i++ {
		if i >= len(d) {
			return Color{}, false
		}
		v, ok := hexDigit(hex[i])
		if !ok {
			return Color{}, false
		}
		d[i] = v
	}
	switch len(hex) {
	case 3:
		return Color{R: d[0] * 17, G: d[1] * 17, B: d[2] * 17, A: 0xff}, true
	case 6:
		return Color{R: d[0]<<4 | d[1], G: d[2]<<4 | d[3], B: d[4]<<4 | d[5], A: 0xff}, true
	case 8:
		return Color{R: d[0]<<4 | d[1], G: d[2]<<4 | d[3], B: d[4]<<4 | d[5], A: d[6]<<4 | d[7]}, true
	}
	return Color{}, false
}

func hexDigit(b byte) (uint8, bool) {
	switch {
	case '0' <= b && b <= '9':
		return b - '0', true
	case 'a' <= b && b <= 'f':
		return b - 'a' + 10, true
	case 'A' <= b && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// premultiplied returns c as an alpha-premultiplied color.RGBA.
func (c Color) premultiplied() color.RGBA {
	a := uint32(c.A)
	return color.RGBA{
		R: uint8((uint32(c.R)*a + 127) / 255),
		G: uint8((uint32(c.G)*a + 127) / 255),
		B: uint8((uint32(c.B)*a + 127) / 255),
		A: c.A,
	}
}
