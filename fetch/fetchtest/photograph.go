package fetchtest

import (
	"image"
	"image/draw"
	"math"
	"sync"

	xdraw "golang.org/x/image/draw"

	"github.com/avatarkit/avatarkit/internal/facephotos"
)

// photographs are the decoded photographs of Photograph users, by name, decoded once.
var photographs sync.Map // string → func() *image.NRGBA

// photograph returns the photograph named name (facephotos), decoded, and its largest listed face.
func photograph(name string) (*image.NRGBA, image.Rectangle) {
	p, ok := facephotos.Lookup(name)
	if !ok || !p.People {
		panic("fetchtest: no photograph of people named " + name)
	}
	f, _ := photographs.LoadOrStore(name, sync.OnceValue(func() *image.NRGBA {
		img := p.Image()
		m := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
		draw.Draw(m, m.Rect, img, img.Bounds().Min, draw.Src)
		return m
	}))
	var face image.Rectangle
	for _, r := range p.Faces {
		if r.Dx()*r.Dy() > face.Dx()*face.Dy() {
			face = r
		}
	}
	return f.(func() *image.NRGBA)(), face
}

// renderPhotograph draws the picture of generation gen of a Photograph user into m: the
// photograph itself at its own size; at another size (a square variant), the largest part of it
// of that shape, centred on its largest face as far as its edges allow, scaled. A changed picture
// (gen > 0) is toned in a colour of its own, and mirrored when gen is odd, as renderPhoto does.
func renderPhotograph(m *image.NRGBA, u User, gen int) {
	src, face := photograph(u.Photograph)
	w, h := m.Rect.Dx(), m.Rect.Dy()
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	// The part of the photograph: the largest w:h rectangle, centred on the face.
	k := math.Min(float64(sw)/float64(w), float64(sh)/float64(h))
	pw, ph := min(sw, int(math.Round(float64(w)*k))), min(sh, int(math.Round(float64(h)*k)))
	cx, cy := sw/2, sh/2
	if !face.Empty() {
		cx, cy = (face.Min.X+face.Max.X)/2, (face.Min.Y+face.Max.Y)/2
	}
	x0, y0 := min(max(cx-pw/2, 0), sw-pw), min(max(cy-ph/2, 0), sh-ph)
	part := image.Rect(x0, y0, x0+pw, y0+ph)
	if part == src.Rect && w == sw && h == sh {
		draw.Draw(m, m.Rect, src, image.Point{}, draw.Src)
	} else {
		xdraw.CatmullRom.Scale(m, m.Rect, src, part, xdraw.Src, nil)
	}
	if gen == 0 {
		return
	}
	tint := hsv(0.07+0.31*float64(gen), 0.35, 1)
	for y := range h {
		row := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := 0; x < w; x++ {
			px := row[4*x : 4*x+3 : 4*x+3]
			px[0] = to8(float64(px[0]) / 255 * tint.r)
			px[1] = to8(float64(px[1]) / 255 * tint.g)
			px[2] = to8(float64(px[2]) / 255 * tint.b)
		}
		if gen%2 == 1 {
			for i, j := 0, w-1; i < j; i, j = i+1, j-1 {
				a, b := row[4*i:4*i+4:4*i+4], row[4*j:4*j+4:4*j+4]
				for c := range 4 {
					a[c], b[c] = b[c], a[c]
				}
			}
		}
	}
}
