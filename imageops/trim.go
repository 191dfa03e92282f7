package imageops

import "image"

// trimRect returns the part of m that e_trim keeps: the rows and columns at the edges whose
// every pixel is within the tolerance (e's value, % of the largest colour distance) of the
// reference colour — e's colour override, else the top-left corner pixel — are cut; when the
// reference is transparent, the transparent edges are. A picture that is all edge is kept as it
// is.
func trimRect(m *image.RGBA, e Effect) image.Rectangle {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	full := image.Rect(0, 0, w, h)
	if w == 0 || h == 0 {
		return full
	}
	var ref [4]float64
	if e.HasColor {
		c := e.Color.premultiplied()
		ref = [4]float64{float64(c.R), float64(c.G), float64(c.B), float64(c.A)}
	} else {
		for c := range 4 {
			ref[c] = float64(m.Pix[c])
		}
	}
	tol := float64(e.value()) / 100
	// The largest distance between two colours (with alpha), squared.
	limit := tol * tol * 4 * 255 * 255
	transparent := ref[3] == 0
	like := func(x, y int) bool {
		p := m.Pix[y*m.Stride+4*x : y*m.Stride+4*x+4]
		if transparent {
			return float64(p[3]) <= tol*255
		}
		d := 0.0
		for c := range 4 {
			v := float64(p[c]) - ref[c]
			d += v * v
		}
		return d <= limit
	}
	rowLike := func(y, x0, x1 int) bool {
		for x := x0; x < x1; x++ {
			if !like(x, y) {
				return false
			}
		}
		return true
	}
	colLike := func(x, y0, y1 int) bool {
		for y := y0; y < y1; y++ {
			if !like(x, y) {
				return false
			}
		}
		return true
	}
	r := full
	for r.Min.Y < r.Max.Y && rowLike(r.Min.Y, 0, w) {
		r.Min.Y++
	}
	if r.Min.Y == r.Max.Y {
		return full
	}
	for rowLike(r.Max.Y-1, 0, w) {
		r.Max.Y--
	}
	for colLike(r.Min.X, r.Min.Y, r.Max.Y) {
		r.Min.X++
	}
	for colLike(r.Max.X-1, r.Min.Y, r.Max.Y) {
		r.Max.X--
	}
	return r
}
