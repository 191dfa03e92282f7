package imageops

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
	"math"
)

// Identicon geometry: a 5×5 grid of 70 px cells with a 35 px margin, 420×420 px in all — a good
// source size for any avatar the URL asks for.
const (
	identiconCells  = 5
	identiconCell   = 70
	identiconMargin = 35
	// IdenticonSize is the width and height of an Identicon, px.
	IdenticonSize = identiconCells*identiconCell + 2*identiconMargin
)

// identiconBackground is the light background of every identicon.
var identiconBackground = color.RGBA{0xf0, 0xf0, 0xf0, 0xff}

// Identicon returns a picture generated from seed, as Gravatar's identicon does: a 5×5 grid of
// blocks, symmetric left to right, in one colour on a light grey background, all decided by the
// SHA-256 of seed (the block pattern by 15 bits, the hue by 16 bits, saturation and lightness
// within a range that stays legible on the background). The same seed always gives the same
// bytes; different seeds give different pictures (but for hash collisions of the 15 pattern bits
// and the hue). It is an IdenticonSize×IdenticonSize two-colour PNG of about a kilobyte, meant
// as a default picture: transformations then apply to it like to any original.
func Identicon(seed string) []byte {
	sum := sha256.Sum256([]byte(seed))
	bits := uint16(sum[0]) | uint16(sum[1]&0x7f)<<8 // 15 bits: columns 0–2 of the 5 rows
	if bits == 0 {
		bits = 0x7fff // never an empty picture
	}
	hue := float64(uint16(sum[2])<<8|uint16(sum[3])) / 65536 * 360
	sat := 0.45 + float64(sum[4])/255*0.25   // 0.45–0.70
	light := 0.40 + float64(sum[5])/255*0.20 // 0.40–0.60
	fg := hslToRGB(hue, sat, light)

	img := image.NewPaletted(image.Rect(0, 0, IdenticonSize, IdenticonSize), color.Palette{identiconBackground, fg})
	for row := range identiconCells {
		for col := range 3 {
			if bits>>(row*3+col)&1 == 0 {
				continue
			}
			for _, c := range []int{col, identiconCells - 1 - col} {
				x0, y0 := identiconMargin+c*identiconCell, identiconMargin+row*identiconCell
				for y := y0; y < y0+identiconCell; y++ {
					pix := img.Pix[y*img.Stride+x0 : y*img.Stride+x0+identiconCell]
					for i := range pix {
						pix[i] = 1
					}
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic("imageops: encoding an identicon: " + err.Error()) // cannot happen: in memory
	}
	return buf.Bytes()
}

// hslToRGB converts a hue (degrees), saturation and lightness (0–1) to an opaque colour.
func hslToRGB(h, s, l float64) color.RGBA {
	c := (1 - math.Abs(2*l-1)) * s
	hp := math.Mod(h/60, 6)
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to8 := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return color.RGBA{to8(r), to8(g), to8(b), 0xff}
}
