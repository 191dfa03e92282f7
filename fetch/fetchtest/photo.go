package fetchtest

import (
	"bytes"
	_ "embed"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"sync"

	xdraw "golang.org/x/image/draw"
)

// samplePhotoJPEG is a 320×400 photograph of a face: pigo's testdata/sample.jpg (MIT licence; see
// testdata/README.md).
//
//go:embed testdata/pigo-sample.jpg
var samplePhotoJPEG []byte

// The face in samplePhotoJPEG as the pigo face detector finds it: a square of side samplePhotoFace
// centred at (samplePhotoFaceX, samplePhotoFaceY), in the photograph's pixels.
const (
	samplePhotoW, samplePhotoH = 320, 400
	samplePhotoFaceX           = 156
	samplePhotoFaceY           = 203
	samplePhotoFace            = 245
)

var samplePhoto = sync.OnceValue(func() *image.NRGBA {
	m, err := jpeg.Decode(bytes.NewReader(samplePhotoJPEG))
	if err != nil {
		panic("fetchtest: the embedded photograph does not decode: " + err.Error())
	}
	out := image.NewNRGBA(image.Rect(0, 0, m.Bounds().Dx(), m.Bounds().Dy()))
	draw.Draw(out, out.Rect, m, m.Bounds().Min, draw.Src)
	return out
})

// photoLayout returns where the photograph goes in a w×h picture: the rectangle the scaled
// photograph covers, its aspect ratio kept. It is as tall as the picture (as wide, in a picture
// taller than the photograph). In a wide picture (aspect ratio above 4:3) it stands far to the left
// (far to the right when mirrored), so that a centred crop misses the face; otherwise it is centred.
// The rest of the picture is a plain backdrop continuing the photograph's own.
func photoLayout(w, h int, mirrored bool) image.Rectangle {
	ph := h
	pw := int(math.Round(float64(h) * samplePhotoW / samplePhotoH))
	if pw > w {
		pw = w
		ph = min(h, int(math.Round(float64(w)*samplePhotoH/samplePhotoW)))
	}
	pw, ph = max(pw, 1), max(ph, 1)
	x0, y0 := (w-pw)/2, (h-ph)/2
	if w*3 > h*4 {
		x0 = int(math.Round(0.04 * float64(w)))
		if mirrored {
			x0 = w - pw - x0
		}
	}
	return image.Rect(x0, y0, x0+pw, y0+ph)
}

// FaceRect returns the box of the face in a w×h rendering of a Photo user's picture — the original
// is u.Width×u.Height, Facebook serves squares of the size asked for, X's size variants are squares
// — as a face detector finds it, for tests of face-aware crops. It describes the picture before any
// ChangePicture (odd generations are mirrored). It is empty for users that are not Photo users.
func (u User) FaceRect(w, h int) image.Rectangle {
	if !u.Photo || w < 1 || h < 1 {
		return image.Rectangle{}
	}
	r := photoLayout(w, h, false)
	s := float64(r.Dx()) / samplePhotoW
	half := samplePhotoFace / 2.0
	return image.Rect(
		r.Min.X+int(math.Round((samplePhotoFaceX-half)*s)), r.Min.Y+int(math.Round((samplePhotoFaceY-half)*s)),
		r.Min.X+int(math.Round((samplePhotoFaceX+half)*s)), r.Min.Y+int(math.Round((samplePhotoFaceY+half)*s)),
	).Intersect(image.Rect(0, 0, w, h))
}

// renderPhoto draws the photograph of a Photo user's picture of generation gen into m: the
// photograph scaled into its photoLayout on a backdrop that continues its light background, with a
// soft vignette. A changed picture (gen > 0) is toned in a colour of its own, and mirrored when gen
// is odd.
func renderPhoto(m *image.NRGBA, _ User, gen int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	mirrored := gen%2 == 1
	r := photoLayout(w, h, false) // mirrored at the end, with everything else
	src := samplePhoto()
	scaled := image.NewNRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	xdraw.CatmullRom.Scale(scaled, scaled.Rect, src, src.Rect, xdraw.Src, nil)
	// The photograph's edges, blurred along themselves: the colours the backdrop continues from.
	pw, ph := r.Dx(), r.Dy()
	left := blurLine(ph, func(i int) rgb { return pixelRGB(scaled, 0, i) })
	right := blurLine(ph, func(i int) rgb { return pixelRGB(scaled, pw-1, i) })
	topEdge := blurLine(pw, func(i int) rgb { return pixelRGB(scaled, i, 0) })
	bottomEdge := blurLine(pw, func(i int) rgb { return pixelRGB(scaled, i, ph-1) })

	// The backdrop: the photograph's background colour (its top corners), a little darker
	// downwards, like a studio sweep.
	top := meanCorners(scaled)
	bottom := top.scale(0.88)
	fadeEdge := math.Max(2, 0.03*float64(h)) // from the edge pixels to the blurred edge colours
	fadeBack := math.Max(4, 0.18*float64(h)) // from those to the plain backdrop
	tint := rgb{1, 1, 1}
	if gen > 0 {
		tint = hsv(0.07+0.31*float64(gen), 0.35, 1)
	}

	parallelRows(h, func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			dv := (float64(y)+0.5)/float64(h) - 0.5
			back := lerp(top, bottom, (float64(y)+0.5)/float64(h))
			row := m.Pix[y*m.Stride : y*m.Stride+w*4]
			for x := 0; x < w; x++ {
				var c rgb
				if image.Pt(x, y).In(r) {
					c = pixelRGB(scaled, x-r.Min.X, y-r.Min.Y)
				} else {
					// the nearest point of the photograph, and how far it is
					cx := min(max(x, r.Min.X), r.Max.X-1)
					cy := min(max(y, r.Min.Y), r.Max.Y-1)
					d := math.Hypot(float64(x-cx), float64(y-cy))
					edge := pixelRGB(scaled, cx-r.Min.X, cy-r.Min.Y)
					var soft rgb
					var n float64
					if x != cx {
						side := left
						if x > cx {
							side = right
						}
						soft, n = side[cy-r.Min.Y], 1
					}
					if y != cy {
						side := topEdge
						if y > cy {
							side = bottomEdge
						}
						s := side[cx-r.Min.X]
						soft, n = rgb{soft.r + s.r, soft.g + s.g, soft.b + s.b}, n+1
					}
					c = lerp(edge, soft.scale(1/n), smooth(d/fadeEdge))
					c = lerp(c, back, smooth(d/fadeBack))
				}
				du := (float64(x)+0.5)/float64(w) - 0.5
				c = c.scale(1 - 0.2*(du*du+dv*dv))
				c = rgb{c.r * tint.r, c.g * tint.g, c.b * tint.b}
				px := row[x*4 : x*4+4 : x*4+4]
				px[0], px[1], px[2], px[3] = to8(c.r), to8(c.g), to8(c.b), 0xff
			}
			if mirrored {
				for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
					a, b := row[i*4:i*4+4:i*4+4], row[j*4:j*4+4:j*4+4]
					for k := range 4 {
						a[k], b[k] = b[k], a[k]
					}
				}
			}
		}
	})
}

// pixelRGB returns the colour of m at (x, y), 0..1.
func pixelRGB(m *image.NRGBA, x, y int) rgb {
	o := y*m.Stride + x*4
	return rgb{float64(m.Pix[o]) / 255, float64(m.Pix[o+1]) / 255, float64(m.Pix[o+2]) / 255}
}

// blurLine returns the n colours at(0..n-1) box-blurred with a radius of an eighth of n (edges
// clamped).
func blurLine(n int, at func(i int) rgb) []rgb {
	line := make([]rgb, n)
	for i := range line {
		line[i] = at(i)
	}
	rad := max(1, n/8)
	out := make([]rgb, n)
	for i := range out {
		var sum rgb
		for j := i - rad; j <= i+rad; j++ {
			c := line[min(max(j, 0), n-1)]
			sum = rgb{sum.r + c.r, sum.g + c.g, sum.b + c.b}
		}
		out[i] = sum.scale(1 / float64(2*rad+1))
	}
	return out
}

// meanCorners returns the mean colour of the top corners of m (an eighth of its width and a tenth
// of its height each): the background of the photograph.
func meanCorners(m *image.NRGBA) rgb {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch := max(1, w/8), max(1, h/10)
	var sum rgb
	n := 0
	for y := range ch {
		for _, x0 := range []int{0, w - cw} {
			for x := x0; x < x0+cw; x++ {
				c := pixelRGB(m, x, y)
				sum = rgb{sum.r + c.r, sum.g + c.g, sum.b + c.b}
				n++
			}
		}
	}
	return sum.scale(1 / float64(n))
}
