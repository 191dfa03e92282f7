package imageops

import (
	"image"
	"math"
)

// How much c_thumb (and c_crop without w_/h_) keeps around a face at z_1.0: the face box as
// pigo finds it (roughly brows to chin, cheek to cheek) grown by these fractions of its side —
// on the left and right, above (the forehead and the hair), and below (the neck and a little of
// the shoulders) — so that the head and a little shoulder are in the picture, as in Cloudinary's
// face thumbnails: the region is 2.1 face sides wide and 2.3 tall, the face's centre 41 % of
// the way down.
const (
	faceMarginSide   = 0.55
	faceMarginTop    = 0.45
	faceMarginBottom = 0.85
)

// frect is a rectangle with float coordinates (x0 ≤ x1, y0 ≤ y1).
type frect struct{ x0, y0, x1, y1 float64 }

func rectOf(r image.Rectangle) frect {
	return frect{float64(r.Min.X), float64(r.Min.Y), float64(r.Max.X), float64(r.Max.Y)}
}

func (r frect) dx() float64 { return r.x1 - r.x0 }
func (r frect) dy() float64 { return r.y1 - r.y0 }

func (r frect) area() float64 { return math.Max(0, r.dx()) * math.Max(0, r.dy()) }

func (r frect) intersect(s frect) frect {
	return frect{math.Max(r.x0, s.x0), math.Max(r.y0, s.y0), math.Min(r.x1, s.x1), math.Min(r.y1, s.y1)}
}

func (r frect) union(s frect) frect {
	return frect{math.Min(r.x0, s.x0), math.Min(r.y0, s.y0), math.Max(r.x1, s.x1), math.Max(r.y1, s.y1)}
}

func (r frect) empty() bool { return !(r.x0 < r.x1 && r.y0 < r.y1) }

// affine maps a point (x, y) to (a·x + b·y + c, d·x + e·y + f): the crops, scales, offsets,
// quarter turns, mirrors and free rotations planning makes.
type affine struct{ a, b, c, d, e, f float64 }

var identityAffine = affine{a: 1, e: 1}

// then returns the map that applies t, then u.
func (t affine) then(u affine) affine {
	return affine{
		a: u.a*t.a + u.b*t.d, b: u.a*t.b + u.b*t.e, c: u.a*t.c + u.b*t.f + u.c,
		d: u.d*t.a + u.e*t.d, e: u.d*t.b + u.e*t.e, f: u.d*t.c + u.e*t.f + u.f,
	}
}

func (t affine) point(x, y float64) (float64, float64) {
	return t.a*x + t.b*y + t.c, t.d*x + t.e*y + t.f
}

// inverse returns the inverse map (t must be invertible: planning only makes such maps).
func (t affine) inverse() affine {
	det := t.a*t.e - t.b*t.d
	return affine{
		a: t.e / det, b: -t.b / det, c: (t.b*t.f - t.e*t.c) / det,
		d: -t.d / det, e: t.a / det, f: (t.d*t.c - t.a*t.f) / det,
	}
}

// rect maps r: the bounding box of its four mapped corners (a free rotation turns a rectangle).
func (t affine) rect(r frect) frect {
	x0, y0 := t.point(r.x0, r.y0)
	out := frect{x0, y0, x0, y0}
	for _, c := range [3][2]float64{{r.x1, r.y0}, {r.x0, r.y1}, {r.x1, r.y1}} {
		x, y := t.point(c[0], c[1])
		out = frect{math.Min(out.x0, x), math.Min(out.y0, y), math.Max(out.x1, x), math.Max(out.y1, y)}
	}
	return out
}

// view is what planning knows of the current image of a chain: its size and, when the chain
// needs it, the source's Analysis with the map from the source's coordinates to the current
// image's.
type view struct {
	w, h int
	a    *Analysis // nil: no analysis (no faces, no detail)
	t    affine

	integral []float64 // lazily: the energy grid's summed-area table, (Cols+1)×(Rows+1)
}

// faces returns the analysis' faces as they are in the current image: mapped, those of which at
// least half is inside the image, clipped to it.
func (v *view) faces() []frect {
	if v.a == nil {
		return nil
	}
	full := frect{0, 0, float64(v.w), float64(v.h)}
	var out []frect
	for _, f := range v.a.Faces {
		m := v.t.rect(rectOf(f))
		c := m.intersect(full)
		if !c.empty() && c.area() >= 0.5*m.area() {
			out = append(out, c)
		}
	}
	return out
}

// focus returns the box focal gravity g keeps in view: for g_face, g_face:auto and g_auto:face the
// largest face, for g_faces, g_faces:auto and g_auto the box around all faces. With grow, each
// face is first grown by its margins (faceMarginSide, faceMarginTop, faceMarginBottom). ok is
// false when no face is visible in the current image.
func (v *view) focus(g Gravity, grow bool) (box frect, ok bool) {
	fs := v.faces()
	if len(fs) == 0 {
		return frect{}, false
	}
	if g.largestFace() {
		largest := fs[0]
		for _, f := range fs[1:] {
			if f.area() > largest.area() {
				largest = f
			}
		}
		fs = fs[:1]
		fs[0] = largest
	}
	for i, f := range fs {
		if grow {
			f = frect{f.x0 - faceMarginSide*f.dx(), f.y0 - faceMarginTop*f.dy(), f.x1 + faceMarginSide*f.dx(), f.y1 + faceMarginBottom*f.dy()}
		}
		if i == 0 {
			box = f
		} else {
			box = box.union(f)
		}
	}
	return box, true
}

// centreOn returns the top-left corner of a rw×rh region centred on box, moved inside the
// current image.
func (v *view) centreOn(box frect, rw, rh int) image.Point {
	x := int(math.Round((box.x0+box.x1)/2 - float64(rw)/2))
	y := int(math.Round((box.y0+box.y1)/2 - float64(rh)/2))
	return image.Pt(min(max(x, 0), v.w-rw), min(max(y, 0), v.h-rh))
}

// focalPlace returns the top-left corner of a rw×rh region (no larger than the image) placed by
// focal gravity g: centred on the focus when there is a face; for g_auto without faces where
// the region holds the most detail; otherwise centred.
func (v *view) focalPlace(g Gravity, rw, rh int) image.Point {
	if box, ok := v.focus(g, false); ok {
		return v.centreOn(box, rw, rh)
	}
	if g.detailFallback() {
		return v.mostDetail(rw, rh)
	}
	return place(v.w, v.h, rw, rh, GravityCenter)
}

// focalRegion returns the region c_thumb (and c_crop without w_ and h_) keeps with focal gravity
// g: the focus (faces grown by their margins), grown to the aspect ratio ar (0: the focus' own),
// fitted into the image (keeping ar when it is given, else clipping each side) — the region at
// z_1.0 —, then divided by zoom (z_; 0 means 1) and fitted again, and placed centred on the
// focus. Without a visible face the focus is the whole image, so at z_1.0 the region is what
// compass gravity would keep (the largest region of that ratio), centred (g_face, g_faces) or
// where the detail is (g_auto), and z_ above 1 zooms into it.
func (v *view) focalRegion(g Gravity, ar, zoom float64) image.Rectangle {
	fw, fh := float64(v.w), float64(v.h)
	box, ok := v.focus(g, true)
	if !ok {
		box = frect{0, 0, fw, fh}
	}
	bw, bh := box.dx(), box.dy()
	if ar > 0 {
		if bw/bh > ar {
			bh = bw / ar
		} else {
			bw = bh * ar
		}
	}
	// fit moves (bw, bh) inside the image: keeping the ratio ar, or clipping each side.
	fit := func() {
		if ar == 0 {
			bw, bh = math.Min(bw, fw), math.Min(bh, fh)
		} else if s := math.Min(fw/bw, fh/bh); s < 1 {
			bw, bh = bw*s, bh*s
		}
	}
	fit() // the region at z_1.0
	if zoom > 0 && zoom != 1 {
		bw, bh = bw/zoom, bh/zoom
		fit()
	}
	rw, rh := min(px(bw), v.w), min(px(bh), v.h)
	var at image.Point
	switch {
	case ok:
		at = v.centreOn(box, rw, rh)
	case g.detailFallback():
		at = v.mostDetail(rw, rh)
	default:
		at = place(v.w, v.h, rw, rh, GravityCenter)
	}
	return image.Rectangle{Min: at, Max: at.Add(image.Pt(rw, rh))}
}

// placeSteps is how many evenly spaced positions mostDetail tries along each free axis (plus
// the centre).
const placeSteps = 32

// mostDetail returns the top-left corner of the rw×rh region of the current image with the most
// detail (the analysis' energy grid), trying placeSteps+1 positions along each axis where the
// region can move, and the centre. Ties go to the position closest to the centre, so a picture
// without detail is cut in the middle.
func (v *view) mostDetail(rw, rh int) image.Point {
	centre := place(v.w, v.h, rw, rh, GravityCenter)
	xs := positions(v.w-rw, centre.X)
	ys := positions(v.h-rh, centre.Y)
	best, bestScore, bestDist := centre, -1.0, math.MaxInt
	for _, y := range ys {
		for _, x := range xs {
			score := v.energy(frect{float64(x), float64(y), float64(x + rw), float64(y + rh)})
			dist := abs(x-centre.X) + abs(y-centre.Y)
			tol := 1e-9 * math.Max(1, bestScore)
			if score > bestScore+tol || (score >= bestScore-tol && dist < bestDist) {
				best, bestScore, bestDist = image.Pt(x, y), score, dist
			}
		}
	}
	return best
}

// positions returns 0..n in placeSteps steps, and mid.
func positions(n, mid int) []int {
	if n <= 0 {
		return []int{0}
	}
	out := []int{mid}
	for k := 0; k <= placeSteps; k++ {
		out = append(out, int(math.Round(float64(k)*float64(n)/placeSteps)))
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// energy returns the detail inside r (current image coordinates): the energy grid integrated
// over r mapped back to the source, each cell's energy spread evenly over the cell.
func (v *view) energy(r frect) float64 {
	if v.a == nil || v.a.Energy.Cols == 0 {
		return 0
	}
	e := v.a.Energy
	if v.integral == nil {
		v.integral = make([]float64, (e.Cols+1)*(e.Rows+1))
		for j := range e.Rows {
			for i := range e.Cols {
				k := (j+1)*(e.Cols+1) + i + 1
				v.integral[k] = float64(e.Cells[j*e.Cols+i]) + v.integral[k-1] + v.integral[k-e.Cols-1] - v.integral[k-e.Cols-2]
			}
		}
	}
	s := v.t.inverse().rect(r)
	// In grid units.
	gx, gy := float64(e.Cols)/float64(v.a.Width), float64(e.Rows)/float64(v.a.Height)
	x0, x1 := s.x0*gx, s.x1*gx
	y0, y1 := s.y0*gy, s.y1*gy
	return v.cumulative(x1, y1) - v.cumulative(x0, y1) - v.cumulative(x1, y0) + v.cumulative(x0, y0)
}

// cumulative returns the energy of the grid's part [0,x]×[0,y] (grid units, clamped to the
// grid): the summed-area table interpolated bilinearly, which is exact for energy spread evenly
// over each cell.
func (v *view) cumulative(x, y float64) float64 {
	e := v.a.Energy
	x = math.Min(math.Max(x, 0), float64(e.Cols))
	y = math.Min(math.Max(y, 0), float64(e.Rows))
	i, j := min(int(x), e.Cols-1), min(int(y), e.Rows-1)
	fx, fy := x-float64(i), y-float64(j)
	n := e.Cols + 1
	at := func(i, j int) float64 { return v.integral[j*n+i] }
	top := at(i, j)*(1-fx) + at(i+1, j)*fx
	bottom := at(i, j+1)*(1-fx) + at(i+1, j+1)*fx
	return top*(1-fy) + bottom*fy
}

// facesAfter returns the faces visible in the current image where they are in the result of p's
// crop, resize and pad (what the effect of p's component works on), clipped to it: a face cut by
// the crop keeps its visible part.
func (v *view) facesAfter(p plan) []image.Rectangle {
	kx, ky := float64(p.w)/float64(p.src.Dx()), float64(p.h)/float64(p.src.Dy())
	var off image.Point
	if p.canvas != (image.Point{}) {
		off = p.at
	}
	size := image.Rectangle{Max: p.resized()}
	var out []image.Rectangle
	for _, f := range v.faces() {
		r := image.Rect(
			int(math.Floor((f.x0-float64(p.src.Min.X))*kx))+off.X, int(math.Floor((f.y0-float64(p.src.Min.Y))*ky))+off.Y,
			int(math.Ceil((f.x1-float64(p.src.Min.X))*kx))+off.X, int(math.Ceil((f.y1-float64(p.src.Min.Y))*ky))+off.Y,
		).Intersect(size)
		if !r.Empty() {
			out = append(out, r)
		}
	}
	return out
}
