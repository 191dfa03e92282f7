// Package faces finds frontal faces in grayscale pictures with the trained cascade of pigo
// (github.com/esimov/pigo, MIT): cascade/facefinder of pigo v1.4.6 is embedded here (facefinder,
// with pigo's licence in LICENSE-pigo). The cascade is run by this package's own loop
// (cascade.go), which gives pigo's scores bit for bit but precomputes each window size's pixel
// offsets, restricts the window centres to a region when asked ([Params].Centres), reports how
// far each window got through the cascade ([Scan]: a coarse scan that proposes candidates), and
// merges detections as pigo does without comparing every pair.
//
// The cascade is unpacked once, on first use, and only read afterwards, so every function is
// safe for concurrent use.
package faces

import (
	_ "embed"
	"image"
	"sort"
	"sync"
)

//go:embed facefinder
var facefinder []byte

// classifier returns the unpacked cascade, unpacked on first use.
var classifier = sync.OnceValue(func() *cascade {
	c, err := unpackCascade(facefinder)
	if err != nil { // the embedded file is fixed: this cannot happen
		panic("faces: cannot unpack the embedded pigo cascade: " + err.Error())
	}
	return c
})

// Params tune the detector. The zero value of a field means its default (see Defaults).
type Params struct {
	MinSize     int     // smallest face side searched, px of the picture given to Detect
	MaxSize     int     // largest face side searched (0: the picture's short side)
	ShiftFactor float64 // window step, as a fraction of the window side
	ScaleFactor float64 // growth of the window side from one scale to the next
	IoU         float64 // overlap above which raw detections are merged into one face
	MinQ        float32 // least summed score of a merged face
	// Centres, when not empty, restricts the windows to those whose centre is inside it (the
	// windows still lie inside the picture); the steps are counted from its top-left corner.
	Centres image.Rectangle
}

// Defaults are the parameters Detect uses, tuned for pictures of about 100–200 px a side where
// a face covers a fair part of the picture (profile pictures). pigo's own example values
// (ShiftFactor 0.1, ScaleFactor 1.1, MinQ 5 on the merged score) find the same faces on such
// pictures, a pixel or two apart, but take about three times as long. MinQ is higher than pigo's
// 5 because the merged score sums the scores of the raw detections and fewer windows overlap a
// face at this step; real faces score ≥ 40 here.
var Defaults = Params{MinSize: 20, ShiftFactor: 0.15, ScaleFactor: 1.15, IoU: 0.2, MinQ: 8}

func (p Params) withDefaults() Params {
	if p.MinSize <= 0 {
		p.MinSize = Defaults.MinSize
	}
	if p.ShiftFactor <= 0 {
		p.ShiftFactor = Defaults.ShiftFactor
	}
	if p.ScaleFactor <= 1 {
		p.ScaleFactor = Defaults.ScaleFactor
	}
	if p.IoU <= 0 {
		p.IoU = Defaults.IoU
	}
	if p.MinQ <= 0 {
		p.MinQ = Defaults.MinQ
	}
	return p
}

// Face is one detected face: a square in the coordinates of the picture given to Detect, and
// its score (the sum of the scores of the raw detections merged into it).
type Face struct {
	Rect image.Rectangle
	Q    float32
}

// Detect returns the faces in the w×h grayscale picture pix (row y starts at pix[y*stride]),
// largest first (ties: higher score first), using Defaults.
func Detect(pix []uint8, w, h, stride int) []Face {
	return DetectWith(pix, w, h, stride, Defaults)
}

// DetectWith is Detect with explicit parameters (zero fields: Defaults). Without Centres its
// result is pigo's (RunCascade, then ClusterDetections, then the MinQ filter).
func DetectWith(pix []uint8, w, h, stride int, p Params) []Face {
	var sc Scanner
	return sc.DetectWith(pix, w, h, stride, p)
}

// Scanner runs the detector with working buffers of its own (the pixel offsets of the cascade's
// first nodes for one window side, about 8 KB, and DetectWith's detections), reused from one
// call to the next: a sequence of calls allocates what its largest call needs, not the sum. The
// zero Scanner is ready; it must not be used by two goroutines at once.
type Scanner struct {
	s    scan
	dets []detection // DetectWith's raw detections
	cb   clusterBuf
}

// DetectWith is [DetectWith], with sc's buffer.
func (sc *Scanner) DetectWith(pix []uint8, w, h, stride int, p Params) []Face {
	p = p.withDefaults()
	if !validPicture(pix, w, h, stride, p.MinSize) {
		return nil
	}
	maxSize := min(w, h)
	if p.MaxSize > 0 {
		maxSize = min(maxSize, p.MaxSize)
	}
	c := classifier()
	dets := sc.dets[:0]
	l := layout{minSize: p.MinSize, maxSize: maxSize, shiftFactor: p.ShiftFactor, scaleFactor: p.ScaleFactor, centres: p.Centres}
	c.run(&sc.s, pix, w, h, stride, l, c.trees, func(row, col, scale, passed int, q float32) {
		if passed == c.trees {
			dets = append(dets, detection{row, col, scale, q})
		}
	})
	sc.dets = dets
	full := image.Rect(0, 0, w, h)
	var out []Face
	for _, d := range cluster(dets, p.IoU, &sc.cb) {
		if d.q < p.MinQ {
			continue
		}
		if r := d.rect().Intersect(full); !r.Empty() {
			out = append(out, Face{Rect: r, Q: d.q})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ai, aj := area(out[i].Rect), area(out[j].Rect)
		if ai != aj {
			return ai > aj
		}
		return out[i].Q > out[j].Q
	})
	return out
}

// Windows returns how many windows DetectWith looks at in a w×h picture with p: the most raw
// detections it can have (what its memory is bounded by).
func Windows(w, h int, p Params) int {
	p = p.withDefaults()
	if w <= 0 || h <= 0 || min(w, h) < p.MinSize+2 {
		return 0
	}
	maxSize := min(w, h)
	if p.MaxSize > 0 {
		maxSize = min(maxSize, p.MaxSize)
	}
	l := layout{minSize: p.MinSize, maxSize: maxSize, shiftFactor: p.ShiftFactor, scaleFactor: p.ScaleFactor, centres: p.Centres}
	n := 0
	l.each(w, h, func(int, int, int) { n++ })
	return n
}

// validPicture reports whether pix holds a w×h picture of row stride stride large enough for a
// window of minSize px.
func validPicture(pix []uint8, w, h, stride, minSize int) bool {
	return w > 0 && h > 0 && stride >= w && len(pix) >= (h-1)*stride+w && min(w, h) >= minSize+2
}

// ScanParams are the parameters of [Scanner.Scan].
type ScanParams struct {
	MinSize, MaxSize         int     // window sides searched, px (MaxSize 0: the short side)
	ShiftFactor, ScaleFactor float64 // as in Params (required: > 0 and > 1)
	// Centred moves each side's grid of window centres by half of what is left over at its far
	// edges (pigo starts the grid at the near edges), so that large windows, of which few fit,
	// are as near the middle as the picture's edges.
	Centred bool
	// Mask, when not nil, restricts the windows to those whose centre lies in an allowed cell.
	Mask *Mask
	// MinTrees is how many of the cascade's trees (Trees) a window must pass to be reported.
	MinTrees int
}

// Mask is a grid of cells over a picture: cell (i, j) covers x from i·Cell to (i+1)·Cell and
// likewise for y (the last column and row also cover what lies beyond them); Allowed holds the
// Cols×Rows cells row by row.
type Mask struct {
	Cell, Cols, Rows int
	Allowed          []bool
}

// layout returns the windows p looks at in a w×h picture (ok false: none, or p is invalid).
func (p ScanParams) layout(w, h int) (layout, bool) {
	if p.MinSize <= 0 || p.ShiftFactor <= 0 || p.ScaleFactor <= 1 || w <= 0 || h <= 0 || min(w, h) < p.MinSize+2 {
		return layout{}, false
	}
	if m := p.Mask; m != nil && (m.Cell <= 0 || m.Cols <= 0 || m.Rows <= 0 || len(m.Allowed) != m.Cols*m.Rows) {
		return layout{}, false
	}
	maxSize := min(w, h)
	if p.MaxSize > 0 {
		maxSize = min(maxSize, p.MaxSize)
	}
	return layout{minSize: p.MinSize, maxSize: maxSize, shiftFactor: p.ShiftFactor, scaleFactor: p.ScaleFactor, centred: p.Centred, mask: p.Mask}, true
}

// CellWindows returns how many windows a Scan of a w×h picture with p (its Mask left aside) would
// look at whose centre lies in each cell of a grid of cell×cell px cells, cols×rows of them, row
// by row (the last column and row also count what lies beyond them, as a Mask does): what a
// caller needs to know what scanning a part of the picture costs, which is about proportional to
// the number of windows.
func CellWindows(w, h int, p ScanParams, cell int) (counts []int, cols, rows int) {
	if cell <= 0 || w <= 0 || h <= 0 {
		return nil, 0, 0
	}
	cols, rows = (w+cell-1)/cell, (h+cell-1)/cell
	counts = make([]int, cols*rows)
	p.Mask = nil
	l, ok := p.layout(w, h)
	if !ok {
		return counts, cols, rows
	}
	perRow, perCol := make([]int, rows), make([]int, cols)
	for scale := l.minSize; scale <= l.maxSize; scale = l.nextScale(scale) {
		step, r0, r1, c0, c1, ok := l.span(scale, w, h)
		if !ok {
			continue
		}
		clear(perRow)
		clear(perCol)
		for row := r0; row <= r1; row += step {
			perRow[min(row/cell, rows-1)]++
		}
		for col := c0; col <= c1; col += step {
			perCol[min(col/cell, cols-1)]++
		}
		for j, nr := range perRow {
			for i, nc := range perCol {
				counts[j*cols+i] += nr * nc
			}
		}
	}
	return counts, cols, rows
}

// Window is a window of a [Scan] that passed at least ScanParams.MinTrees trees of the cascade.
type Window struct {
	Rect image.Rectangle // the window, in the scanned picture's coordinates (inside it)
	// Passed is how many trees it passed: Trees() when it passed them all (a raw detection).
	Passed int
	// Q is its score when it passed every tree (> 0), else its running score where it stopped.
	Q float32
}

// Trees returns the number of trees of the cascade (468).
func Trees() int { return classifier().trees }

// Scan runs the cascade over the w×h grayscale picture pix (row y at pix[y*stride]) and calls
// seen with every window that passed at least p.MinTrees trees, in scan order (by side, then
// row, then column). It is the coarse first look of a search: a face makes some window at a
// coarse step get far into the cascade even where no window at that step passes it entirely,
// while almost every window elsewhere is rejected by the first few trees.
func (sc *Scanner) Scan(pix []uint8, w, h, stride int, p ScanParams, seen func(Window)) {
	l, ok := p.layout(w, h)
	if !ok || !validPicture(pix, w, h, stride, p.MinSize) {
		return
	}
	c := classifier()
	c.run(&sc.s, pix, w, h, stride, l, max(0, p.MinTrees), func(row, col, scale, passed int, q float32) {
		seen(Window{Rect: detection{row, col, scale, q}.rect(), Passed: passed, Q: q})
	})
}

// Classify runs the cascade on the one window of side side centred at centre (as a Scan centres
// its windows) in the w×h grayscale picture pix, and returns how many trees it passed and its
// score (see Window). A window that does not lie inside the picture passes nothing.
func (sc *Scanner) Classify(pix []uint8, w, h, stride int, centre image.Point, side int) (passed int, q float32) {
	offset := side/2 + 1
	if side < 1 || !validPicture(pix, w, h, stride, 1) || centre.X < offset || centre.Y < offset || centre.X > w-offset || centre.Y > h-offset {
		return 0, 0
	}
	sc.s.reset(classifier(), side, stride)
	return sc.s.classify(pix, centre.Y*stride+centre.X)
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

// Cascade returns the embedded cascade file (pigo's facefinder), for comparisons with pigo.
func Cascade() []byte { return facefinder }
