package imageops

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"math"
	"sort"
	"sync"

	"github.com/avatarkit/avatarkit/imageops/internal/faces"
)

// Analysis is what [Analyze] finds in a source picture: its faces and a coarse map of where its
// detail is. Everything is in the coordinates of the upright source (after EXIF orientation),
// whose size is Width×Height. It is what g_face, g_faces and g_auto need; a cache computes it
// once per original ([Analyze]) and hands it to every [TransformWith] of that original, so that
// twenty sizes of one avatar detect faces once.
//
// An Analysis is immutable once made: TransformWith only reads it and may be called with the
// same Analysis from many goroutines.
type Analysis struct {
	// Width and Height are the size of the upright source analysed, px. TransformWith refuses
	// an Analysis of a picture of another size.
	Width, Height int
	// Faces are the detected faces, largest first (at most MaxFaces), each inside
	// (0,0)-(Width,Height) and non-empty. Empty when no face was found.
	Faces []image.Rectangle
	// Energy says where the picture's detail is, for g_auto when there is no face.
	Energy Energy
}

// Energy is a coarse grid of the amount of detail (edge energy: the gradient magnitude of the
// luma) over the picture. The grid has Cols×Rows cells covering the picture evenly: cell (i, j)
// covers x from i·Width/Cols to (i+1)·Width/Cols and likewise for y. Cells holds them row by
// row, each scaled so that the largest is 255 (all 0 for a flat picture). The zero Energy (no
// grid) means "no detail anywhere".
type Energy struct {
	Cols, Rows int
	Cells      []uint8
}

// Limits of an Analysis, enforced by UnmarshalBinary and TransformWith.
const (
	// MaxFaces is the most faces an Analysis keeps (the largest ones).
	MaxFaces = 64
	// MaxEnergyCells is the largest Cols and Rows of an Energy grid.
	MaxEnergyCells = 64
	// maxAnalysisSide bounds Width and Height (a 50-megapixel source is at most this long).
	maxAnalysisSide = 1 << 26
)

// energyCells is the number of grid cells Analyze makes along the picture's long side.
const energyCells = 32

// How faces are found. pigo's cascade (imageops/internal/faces: 468 trees, each a few pixel
// comparisons; a window is rejected as soon as its running score falls below a tree's threshold)
// runs in three steps: coarse scans that propose candidates, a second look that moves each
// candidate to the best window next to it, and fine searches around the best candidates that
// decide. Everything is measured on the evaluation set (eval_test.go, internal/facephotos).
//
//   - The grid: the picture's luma averaged down (shrinkLuma) to a short side of gridShort px
//     (at most gridMaxPixels in all: a very wide or tall picture gets a smaller one; never
//     enlarged). The overview: the grid averaged down to at most overviewPixels (160² px: a
//     square picture's grid halved, a 1600×500 banner's 286×89 px).
//   - The coarse scans: windows every 20 % of their side, sides 20 % apart. The overview is
//     scanned everywhere for windows from 20 px up (on a square picture, faces from 1/8 of the
//     short side up). The grid is scanned for the smaller faces, down to 20 px (1/16 of the
//     short side), but only in its most detailed cells, as many as a window budget allows (see
//     smallFaceMask): on a square picture the most detailed 30 % of the picture, on a banner a
//     smaller share. A window that gets through proposeTrees trees proposes a candidate; a face
//     has a window at this step that gets through 147 trees or more whatever the grid's phase,
//     while most windows elsewhere are rejected by the first two trees (which is what makes a
//     scan cheap: its cost is about the number of windows).
//   - Candidates: the best maxProposals proposals, best first (the most trees, then the highest
//     score); one whose centre falls in a kept candidate's window (or the other way round) and
//     whose side is within a factor of 1.5 of its side joins it.
//   - The second look: each of the best maxRefine candidates moves to the first better window
//     next to it on the grid (a tenth of its side away in one of eight directions, or 10 %
//     larger or smaller), refineRounds times at most, until one passes the whole cascade; the
//     candidates are ordered again. A coarse grid can miss a face's best window by half a step:
//     this finds it, so that faces come before the detailed backgrounds that also get far.
//   - A candidate on which windows of the coarse scans passed the whole cascade with a merged
//     score of sureQ or more is a face (on the evaluation set, faces that clear score up to 50,
//     everything else 2.3 at most): a short search around the score-weighted mean of those
//     windows (every 15 % of its side, sides from 0.8 to 1.25 of it, centred within 15 % of its
//     side) gives its box. This spares close portraits, the commonest profile pictures, the
//     fine searches, whose windows all go through the whole cascade on a face.
//   - The fine searches, for the best maxVerify candidates and for up to maxVerifyFull that
//     passed the whole cascade: the candidate's box grown by verifyMargin of its side on every
//     side is averaged down from the finest luma at hand (the grid when the box is at least
//     verifySide px there, else the decoded picture) so that the box is verifySide px (never
//     enlarged). First, windows every 10 % of the box's side, sides 10 % apart from 0.7 to 1.6
//     times it, centred within 30 % of its side of its centre, merged as pigo merges its
//     detections: a best merged score of firstSureQ or more is a face (faces score 13 to 330 on
//     the evaluation set), below firstLeastQ it is not (everything else scores below 11). In
//     between, a second search every 5 %, sides 5 % apart, around the first's best box decides
//     (a face when it scores secondQ or more). The face's box is that of the deciding merge.
//   - Candidates beyond those (a group picture) are kept without a fine search when windows of
//     the coarse scans passed the whole cascade on them with a merged score of strongQ or more.
//
// The work depends on the grid, not on the picture, except averaging the picture down once
// (one read of each pixel) and the fine searches' patches of small faces (at most a fifth of
// the short side squared each): see analysisWorkBytes for the memory, and BENCHMARKS.md for the
// time (on a 1024² picture less than the analysis on a 160² copy cost before; on a 1600×500
// banner under twice).
const (
	gridShort        = 320
	gridMaxPixels    = 320 * 960
	overviewPixels   = 160 * 160
	minWindow        = 20
	proposeTrees     = 127
	maxProposals     = 256
	maskCell         = 16
	smallBudgetShare = 0.3
	maxRefine        = 16
	refineRounds     = 4
	maxVerify        = 4
	maxVerifyFull    = 16
	verifySide       = 40
	verifyMargin     = 0.7
	firstReach       = 0.3
	secondReach      = 0.25
	firstSureQ       = 20
	firstLeastQ      = 8
	secondQ          = 100
	strongQ          = 5
	sureQ            = 20
	sureReach        = 0.15
)

// The coarse scans: of the overview for faces of 20 px and more there (everywhere), and of the
// grid for the smaller ones (MaxSize set per picture; in the most detailed cells, see
// smallFaceMask).
var (
	largeScan = faces.ScanParams{MinSize: minWindow, ShiftFactor: 0.2, ScaleFactor: 1.2, MinTrees: proposeTrees}
	smallScan = faces.ScanParams{MinSize: minWindow, ShiftFactor: 0.2, ScaleFactor: 1.2, MinTrees: proposeTrees}
)

// smallWindowBudget is how many windows the scan for small faces may look at: smallBudgetShare
// of what it looks at in a whole square grid (gridShort px a side, whose overview is half its
// side).
var smallWindowBudget = sync.OnceValue(func() int {
	p := smallScan
	p.MaxSize = 2*minWindow - 1
	counts, _, _ := faces.CellWindows(gridShort, gridShort, p, gridShort)
	return int(smallBudgetShare * float64(counts[0]))
})

// smallFaceMask returns the cells of the grid (maskCell px a side) the scan p for small faces
// looks at: all of them (nil) when their windows are within smallWindowBudget, else the most
// detailed cells (the sum over each cell of the gradient magnitude, |dx| + |dy|, at every other
// pixel of every fourth row) whose windows are within it. Small faces are among the most detailed
// parts of a picture at that scale: on the evaluation set, the cell of every face smaller than
// 1/8 of the short side is in the most detailed 5 % of the cells.
func smallFaceMask(grid *grayPlane, p faces.ScanParams) *faces.Mask {
	windows, cols, rows := faces.CellWindows(grid.w, grid.h, p, maskCell)
	total := 0
	for _, n := range windows {
		total += n
	}
	if total <= smallWindowBudget() {
		return nil
	}
	m := &faces.Mask{Cell: maskCell, Cols: cols, Rows: rows, Allowed: make([]bool, cols*rows)}
	// The detail of each cell: |dx| + |dy| at every other pixel of every fourth row.
	detail := make([]int, cols*rows)
	for y := 1; y < grid.h-1; y += 4 {
		row := grid.pix[y*grid.w : (y+1)*grid.w]
		up, down := grid.pix[(y-1)*grid.w:y*grid.w], grid.pix[(y+1)*grid.w:(y+2)*grid.w]
		cells := detail[min(y/maskCell, rows-1)*cols:][:cols]
		for i := range cells {
			x0, x1 := max(1, i*maskCell+1), min(grid.w-1, (i+1)*maskCell)
			if i == cols-1 {
				x1 = grid.w - 1
			}
			d := 0
			for x := x0; x < x1; x += 2 {
				d += abs(int(row[x+1])-int(row[x-1])) + abs(int(down[x])-int(up[x]))
			}
			cells[i] += d
		}
	}
	order := make([]int, cols*rows)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		return detail[a] > detail[b] || detail[a] == detail[b] && a < b
	})
	spent := 0
	for _, c := range order {
		if spent+windows[c] > smallWindowBudget() {
			break
		}
		m.Allowed[c] = true
		spent += windows[c]
	}
	return m
}

// The fine searches' parameters (MinSize, MaxSize and Centres are set per candidate).
var (
	firstSearch  = faces.Params{ShiftFactor: 0.1, ScaleFactor: 1.1, IoU: 0.2, MinQ: 0.1}
	secondSearch = faces.Params{ShiftFactor: 0.05, ScaleFactor: 1.05, IoU: 0.2, MinQ: 0.1}
	sureSearch   = faces.Params{ShiftFactor: 0.15, ScaleFactor: 1.15, IoU: 0.2, MinQ: 0.1}
)

// levelSize returns the size of a copy of a w×h picture with a short side of short px and at
// most maxPixels pixels (never enlarged), and its scale.
func levelSize(w, h, short, maxPixels int) (dw, dh int, s float64) {
	s = math.Min(1, float64(short)/float64(min(w, h)))
	if a := float64(w) * float64(h) * s * s; a > float64(maxPixels) {
		s *= math.Sqrt(float64(maxPixels) / a)
	}
	return max(1, int(math.Round(float64(w)*s))), max(1, int(math.Round(float64(h)*s))), s
}

// Analyze decodes src (after the same checks as [Transform]: byte size, format, pixel count,
// KindSourceLimit / KindBadSource) and analyses the upright picture: faces (pigo's cascade on a
// grid of the picture's luma sized by its short side; see the package documentation) and the
// detail grid. It does not depend on any transformation, so its result serves every variant of
// src. ctx is checked before decoding and before detecting; its error is returned as it is.
func Analyze(ctx context.Context, src []byte, lim Limits) (*Analysis, error) {
	lim = lim.WithDefaults()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := inspect(src, lim)
	if err != nil {
		return nil, err
	}
	if _, err := EstimateAnalysis(src, lim); err != nil {
		return nil, err
	}
	img, err := decode(src, info, analysisScale(info))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w, h := info.uprightSize()
	return analyzeAt(img, w, h), nil
}

// candidate is a face proposed by the coarse scan, in the source's coordinates.
type candidate struct {
	r      image.Rectangle
	passed int     // the most trees a window of it passed
	q      float32 // that window's score
	fullQ  float32 // the sum of the scores of its windows that passed every tree
	// The sums of the centres and sides of those windows (source px), each weighted by its score.
	fx, fy, fs float64
}

// fullBox returns the score-weighted mean of c's windows that passed every tree.
func (c candidate) fullBox() image.Rectangle {
	q := float64(c.fullQ)
	x, y, half := c.fx/q, c.fy/q, c.fs/q/2
	return image.Rect(int(math.Round(x-half)), int(math.Round(y-half)), int(math.Round(x+half)), int(math.Round(y+half)))
}

// analyze analyses an upright picture decoded at full size.
func analyze(img image.Image) *Analysis {
	b := img.Bounds()
	return analyzeAt(img, b.Dx(), b.Dy())
}

// analyzeAt analyses the upright w×h picture from img, a decode of it at any scale whose short
// side is at least min(min(w, h), analysisShortSide) px (a JPEG decoded at 1/2, 1/4 or 1/8 of its
// size, as Analyze and TransformWith decode it): the faces, in the w×h picture's coordinates, are
// those a full decode gives, give or take the rounding (TestAnalyzeScaledDecode). A smaller
// decode works too, but small faces are then checked at a lower resolution and may be missed.
func analyzeAt(img image.Image, w, h int) *Analysis {
	ib := img.Bounds()
	a := &Analysis{Width: w, Height: h}
	full := image.Rect(0, 0, w, h)
	// toSource maps img's pixels to the picture's.
	kx, ky := float64(w)/float64(ib.Dx()), float64(h)/float64(ib.Dy())

	gw, gh, _ := levelSize(ib.Dx(), ib.Dy(), gridShort, gridMaxPixels)
	grid := shrinkLuma(img, ib, gw, gh)
	gsx, gsy := float64(w)/float64(gw), float64(h)/float64(gh) // grid px → source px
	// The overview: the grid averaged down to at most overviewPixels.
	over := grid
	if gw*gh > overviewPixels {
		s := math.Sqrt(float64(overviewPixels) / float64(gw*gh))
		over = shrinkLuma(grid, grid.Bounds(), max(1, int(float64(gw)*s)), max(1, int(float64(gh)*s)))
	}
	a.Energy = energyGrid(over.pix, over.w, over.h)
	type level struct {
		l *grayPlane
		k float64 // level px → grid px
		p faces.ScanParams
	}
	ko := float64(gw) / float64(over.w)
	levels := []level{{over, ko, largeScan}}
	if small := int(math.Ceil(minWindow*ko)) - 1; small >= minWindow {
		gp := smallScan
		gp.MaxSize = small
		gp.Mask = smallFaceMask(grid, gp)
		levels = append(levels, level{grid, 1, gp})
	}

	var sc faces.Scanner
	var props []candidate
	best := func() { // orders props best first and keeps the best maxProposals
		sort.SliceStable(props, func(i, j int) bool {
			if props[i].passed != props[j].passed {
				return props[i].passed > props[j].passed
			}
			return props[i].q > props[j].q
		})
		props = props[:min(len(props), maxProposals)]
	}
	for _, lv := range levels {
		sc.Scan(lv.l.pix, lv.l.w, lv.l.h, lv.l.w, lv.p, func(win faces.Window) {
			r := win.Rect
			c := candidate{r: image.Rect(
				int(math.Round(float64(r.Min.X)*lv.k*gsx)), int(math.Round(float64(r.Min.Y)*lv.k*gsy)),
				int(math.Round(float64(r.Max.X)*lv.k*gsx)), int(math.Round(float64(r.Max.Y)*lv.k*gsy))),
				passed: win.Passed, q: win.Q}
			if win.Passed == faces.Trees() {
				q := float64(win.Q)
				c.fullQ = win.Q
				c.fx, c.fy = q*float64(c.r.Min.X+c.r.Max.X)/2, q*float64(c.r.Min.Y+c.r.Max.Y)/2
				c.fs = q * float64(c.r.Dx())
			}
			if props = append(props, c); len(props) == 2*maxProposals {
				best()
			}
		})
	}
	best()
	var cands []candidate
	for _, p := range props {
		joined := false
		for i := range cands {
			if sameFace(p.r, cands[i].r) {
				cands[i].fullQ += p.fullQ
				cands[i].fx, cands[i].fy, cands[i].fs = cands[i].fx+p.fx, cands[i].fy+p.fy, cands[i].fs+p.fs
				joined = true
				break
			}
		}
		if !joined {
			cands = append(cands, p)
		}
	}

	// A second look at the best maxRefine candidates: the coarse step may have put their windows
	// a little off the face, so each moves to the first better window next to it on the grid (a
	// tenth of its side away in one of eight directions, or 10 % larger or smaller; refineRounds
	// times at most, until one passes the whole cascade), and the candidates are ordered again.
	for i := range cands[:min(len(cands), maxRefine)] {
		c := &cands[i]
		side := float64(c.r.Dx()) / gsx
		cx, cy := float64(c.r.Min.X+c.r.Max.X)/2/gsx, float64(c.r.Min.Y+c.r.Max.Y)/2/gsy
		for range refineRounds {
			if c.passed == faces.Trees() {
				break // through the whole cascade already
			}
			bs, bx, by, moved := side, cx, cy, false
			for _, n := range [...][3]float64{{1, 0.1, 0}, {1, -0.1, 0}, {1, 0, 0.1}, {1, 0, -0.1}, {1, 0.1, 0.1}, {1, -0.1, 0.1}, {1, 0.1, -0.1}, {1, -0.1, -0.1}, {1.1, 0, 0}, {1 / 1.1, 0, 0}} {
				sd := int(math.Round(side * n[0]))
				x, y := cx+n[1]*side, cy+n[2]*side
				at := image.Pt(int(math.Round(x)), int(math.Round(y)))
				if sd < minWindow {
					continue
				}
				passed, q := sc.Classify(grid.pix, grid.w, grid.h, grid.w, at, sd)
				if passed > c.passed || passed == c.passed && q > c.q {
					half := float64(sd) / 2
					c.passed, c.q = passed, q
					c.r = image.Rect(
						int(math.Round((float64(at.X)-half)*gsx)), int(math.Round((float64(at.Y)-half)*gsy)),
						int(math.Round((float64(at.X)+half)*gsx)), int(math.Round((float64(at.Y)+half)*gsy)))
					bs, bx, by, moved = float64(sd), x, y, true
					break // the first better one
				}
			}
			if !moved {
				break
			}
			side, cx, cy = bs, bx, by
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].passed != cands[j].passed {
			return cands[i].passed > cands[j].passed
		}
		return cands[i].q > cands[j].q
	})

	var kept []image.Rectangle
	verified := 0
	for i, c := range cands {
		if overlapsAny(c.r, kept) {
			continue
		}
		if c.fullQ >= sureQ {
			// Windows of the coarse scans passed the whole cascade on it, far more of them than
			// ever on anything but a face: only a short search for its box, around their mean.
			if r, _ := verify(&sc, img, grid, c.fullBox(), kx, ky, gsx, gsy, true); !overlapsAny(r, kept) {
				kept = append(kept, r)
			}
			continue
		}
		if i < maxVerify || c.passed == faces.Trees() && verified < maxVerifyFull {
			verified++
			if r, ok := verify(&sc, img, grid, c.r, kx, ky, gsx, gsy, false); ok && !overlapsAny(r, kept) {
				kept = append(kept, r)
			}
		} else if c.fullQ >= strongQ {
			kept = append(kept, c.r)
		}
	}
	for _, r := range kept {
		if r = r.Intersect(full); !r.Empty() && len(a.Faces) < MaxFaces {
			a.Faces = append(a.Faces, r)
		}
	}
	sortFaces(a.Faces)
	return a
}

// scaleRect multiplies r's coordinates by k, rounding.
func scaleRect(r image.Rectangle, k float64) image.Rectangle {
	return image.Rect(
		int(math.Round(float64(r.Min.X)*k)), int(math.Round(float64(r.Min.Y)*k)),
		int(math.Round(float64(r.Max.X)*k)), int(math.Round(float64(r.Max.Y)*k)),
	)
}

// scaleRectXY multiplies r's x coordinates by kx and its y coordinates by ky, rounding.
func scaleRectXY(r image.Rectangle, kx, ky float64) image.Rectangle {
	return image.Rect(
		int(math.Round(float64(r.Min.X)*kx)), int(math.Round(float64(r.Min.Y)*ky)),
		int(math.Round(float64(r.Max.X)*kx)), int(math.Round(float64(r.Max.Y)*ky)),
	)
}

// sameFace reports whether two windows are taken for one face: the centre of one is inside the
// other, and their sides differ by less than a factor of 1.5.
func sameFace(a, b image.Rectangle) bool {
	sa, sb := max(a.Dx(), a.Dy()), max(b.Dx(), b.Dy())
	return 2*sa < 3*sb && 2*sb < 3*sa && overlapsAny(a, []image.Rectangle{b})
}

// overlapsAny reports whether r's centre is inside one of rs, or one of theirs inside r: the
// same face found twice.
func overlapsAny(r image.Rectangle, rs []image.Rectangle) bool {
	c := r.Min.Add(r.Max).Div(2)
	for _, o := range rs {
		if c.In(o) || o.Min.Add(o.Max).Div(2).In(r) {
			return true
		}
	}
	return false
}

// verify decides whether a candidate box (source coordinates) is a face, and where exactly,
// with the two fine searches described above, and returns the face's box. img is the decoded
// picture (img px × kx, ky = source px), grid the luma grid (grid px × gsx, gsy = source px).
func verify(sc *faces.Scanner, img image.Image, grid *grayPlane, box image.Rectangle, kx, ky, gsx, gsy float64, sure bool) (image.Rectangle, bool) {
	side := max(box.Dx(), box.Dy())
	if side < 1 {
		return image.Rectangle{}, false
	}
	// The finest luma at hand in which the box is at least verifySide px: the grid if it is
	// big enough there, else the decoded picture.
	var from image.Image = grid
	fx, fy := gsx, gsy
	if float64(side)/math.Max(gsx, gsy) < verifySide {
		from, fx, fy = img, kx, ky
	}
	fb := from.Bounds()
	region := scaleRectXY(box.Inset(-int(math.Ceil(verifyMargin*float64(side)))), 1/fx, 1/fy).Add(fb.Min).Intersect(fb)
	k := math.Min(1, verifySide*math.Max(fx, fy)/float64(side))
	pw, ph := max(1, int(math.Round(float64(region.Dx())*k))), max(1, int(math.Round(float64(region.Dy())*k)))
	patch := shrinkLuma(from, region, pw, ph)
	// Patch px → source px: x·px + ox.
	px, py := float64(region.Dx())/float64(patch.w)*fx, float64(region.Dy())/float64(patch.h)*fy
	ox, oy := float64(region.Min.X-fb.Min.X)*fx, float64(region.Min.Y-fb.Min.Y)*fy
	toSource := func(r image.Rectangle) image.Rectangle {
		return image.Rect(
			int(math.Round(float64(r.Min.X)*px+ox)), int(math.Round(float64(r.Min.Y)*py+oy)),
			int(math.Round(float64(r.Max.X)*px+ox)), int(math.Round(float64(r.Max.Y)*py+oy)))
	}
	// search runs one fine search around a box of the patch (centre c, side ks, patch px).
	search := func(p faces.Params, c image.Point, ks, reach, lo, hi float64) faces.Face {
		p.MinSize, p.MaxSize = max(8, int(math.Round(lo*ks))), int(math.Round(hi*ks))
		r := int(math.Ceil(reach * ks))
		p.Centres = image.Rectangle{Min: c.Sub(image.Pt(r, r)), Max: c.Add(image.Pt(r+1, r+1))}
		var best faces.Face
		for _, f := range sc.DetectWith(patch.pix, patch.w, patch.h, patch.w, p) {
			if f.Q > best.Q {
				best = f
			}
		}
		return best
	}
	centre := image.Pt(
		int(math.Round((float64(box.Min.X+box.Max.X)/2-ox)/px)),
		int(math.Round((float64(box.Min.Y+box.Max.Y)/2-oy)/py)))
	ks := float64(side) / math.Max(px, py)

	if sure {
		// A face already: only its box, from windows close to the candidate's.
		if f := search(sureSearch, centre, ks, sureReach, 0.8, 1.25); f.Q > 0 {
			return toSource(f.Rect), true
		}
		return box, true
	}
	first := search(firstSearch, centre, ks, firstReach, 0.7, 1.6)
	switch {
	case first.Q >= firstSureQ:
		return toSource(first.Rect), true
	case first.Q < firstLeastQ:
		return image.Rectangle{}, false
	}
	if !first.Rect.Empty() {
		centre, ks = first.Rect.Min.Add(first.Rect.Max).Div(2), float64(first.Rect.Dx())
	}
	if second := search(secondSearch, centre, ks, secondReach, 0.7, 1.6); second.Q >= secondQ {
		return toSource(second.Rect), true
	}
	return image.Rectangle{}, false
}

// sortFaces orders faces largest first, then top to bottom, left to right (a total order, so the
// result does not depend on the detector's order).
func sortFaces(fs []image.Rectangle) {
	sort.SliceStable(fs, func(i, j int) bool {
		ai, aj := fs[i].Dx()*fs[i].Dy(), fs[j].Dx()*fs[j].Dy()
		if ai != aj {
			return ai > aj
		}
		if fs[i].Min.Y != fs[j].Min.Y {
			return fs[i].Min.Y < fs[j].Min.Y
		}
		return fs[i].Min.X < fs[j].Min.X
	})
}

// energyGrid sums the gradient magnitude of the w×h luma g into a grid of at most energyCells
// cells along the long side, scaled so that the largest cell is 255.
func energyGrid(g []uint8, w, h int) Energy {
	long := max(w, h)
	cols := max(1, min(w, int(math.Round(float64(energyCells*w)/float64(long)))))
	rows := max(1, min(h, int(math.Round(float64(energyCells*h)/float64(long)))))
	sums := make([]float64, cols*rows)
	col := make([]int32, w) // the cell column of each pixel column
	for x := range col {
		col[x] = int32(x * cols / w)
	}
	for y := 1; y < h-1; y++ {
		cells := sums[(y*rows/h)*cols:][:cols]
		row, up, down := g[y*w:(y+1)*w], g[(y-1)*w:y*w], g[(y+1)*w:(y+2)*w]
		for x := 1; x < w-1; x++ {
			dx := int(row[x+1]) - int(row[x-1])
			dy := int(down[x]) - int(up[x])
			cells[col[x]] += math.Sqrt(float64(dx*dx + dy*dy))
		}
	}
	// Cells may differ in size by a pixel: compare densities.
	top := 0.0
	for j := range rows {
		for i := range cols {
			cw := (i+1)*w/cols - i*w/cols
			ch := (j+1)*h/rows - j*h/rows
			sums[j*cols+i] /= float64(max(1, cw*ch))
			top = math.Max(top, sums[j*cols+i])
		}
	}
	e := Energy{Cols: cols, Rows: rows, Cells: make([]uint8, cols*rows)}
	if top > 0 {
		for k, v := range sums {
			e.Cells[k] = uint8(math.Round(v / top * 255))
		}
	}
	return e
}

// analysisMagic starts every marshalled Analysis: a name and a format version.
const analysisMagic = "akA1"

// MarshalBinary encodes a compactly (a few hundred bytes to about a kilobyte): the magic
// "akA1", then unsigned varints: Width, Height, the number of faces and for each its Min.X,
// Min.Y, Dx, Dy; then Cols, Rows and the Cols×Rows energy bytes. It fails on an invalid Analysis
// (see the field documentation).
func (a *Analysis) MarshalBinary() ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(analysisMagic)+8+len(a.Faces)*8+4+len(a.Energy.Cells))
	b = append(b, analysisMagic...)
	b = binary.AppendUvarint(b, uint64(a.Width))
	b = binary.AppendUvarint(b, uint64(a.Height))
	b = binary.AppendUvarint(b, uint64(len(a.Faces)))
	for _, f := range a.Faces {
		b = binary.AppendUvarint(b, uint64(f.Min.X))
		b = binary.AppendUvarint(b, uint64(f.Min.Y))
		b = binary.AppendUvarint(b, uint64(f.Dx()))
		b = binary.AppendUvarint(b, uint64(f.Dy()))
	}
	b = binary.AppendUvarint(b, uint64(a.Energy.Cols))
	b = binary.AppendUvarint(b, uint64(a.Energy.Rows))
	b = append(b, a.Energy.Cells...)
	return b, nil
}

// errBadAnalysis is what UnmarshalBinary returns for bytes that are not a marshalled Analysis.
var errBadAnalysis = errors.New("imageops: not a valid marshalled Analysis")

// UnmarshalBinary decodes what MarshalBinary wrote. Anything else — another magic, a truncated
// or over-long input, a non-minimal varint, a value out of range, a face outside the picture —
// is an error, and a is left unchanged.
func (a *Analysis) UnmarshalBinary(data []byte) error {
	rest, ok := bytes.CutPrefix(data, []byte(analysisMagic))
	if !ok {
		return errBadAnalysis
	}
	next := func(limit uint64) (int, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > limit {
			return 0, false
		}
		rest = rest[n:]
		return int(v), true
	}
	var out Analysis
	var okW, okH bool
	out.Width, okW = next(maxAnalysisSide)
	out.Height, okH = next(maxAnalysisSide)
	n, okN := next(MaxFaces)
	if !okW || !okH || !okN {
		return errBadAnalysis
	}
	if n > 0 {
		out.Faces = make([]image.Rectangle, n)
	}
	for i := range out.Faces {
		x, ok1 := next(maxAnalysisSide)
		y, ok2 := next(maxAnalysisSide)
		dx, ok3 := next(maxAnalysisSide)
		dy, ok4 := next(maxAnalysisSide)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return errBadAnalysis
		}
		out.Faces[i] = image.Rect(x, y, x+dx, y+dy)
	}
	cols, ok1 := next(MaxEnergyCells)
	rows, ok2 := next(MaxEnergyCells)
	if !ok1 || !ok2 || len(rest) != cols*rows {
		return errBadAnalysis
	}
	out.Energy = Energy{Cols: cols, Rows: rows}
	if cols*rows > 0 {
		out.Energy.Cells = bytes.Clone(rest)
	}
	if out.validate() != nil {
		return errBadAnalysis
	}
	// Only the canonical encoding is accepted (minimal varints), so that equal analyses have
	// equal bytes.
	if again, err := out.MarshalBinary(); err != nil || !bytes.Equal(again, data) {
		return errBadAnalysis
	}
	*a = out
	return nil
}

// validate checks the documented invariants of a.
func (a *Analysis) validate() *Error {
	bad := func(format string, args ...any) *Error {
		return errorf(KindBadParam, "", "invalid Analysis: "+format, args...)
	}
	if a == nil {
		return bad("nil")
	}
	if a.Width < 1 || a.Height < 1 || a.Width > maxAnalysisSide || a.Height > maxAnalysisSide {
		return bad("size %d×%d", a.Width, a.Height)
	}
	if len(a.Faces) > MaxFaces {
		return bad("%d faces, more than %d", len(a.Faces), MaxFaces)
	}
	full := image.Rect(0, 0, a.Width, a.Height)
	for _, f := range a.Faces {
		if f.Empty() || !f.In(full) {
			return bad("face %v is empty or outside the %d×%d picture", f, a.Width, a.Height)
		}
	}
	e := a.Energy
	if e.Cols < 0 || e.Rows < 0 || e.Cols > MaxEnergyCells || e.Rows > MaxEnergyCells ||
		(e.Cols == 0) != (e.Rows == 0) || len(e.Cells) != e.Cols*e.Rows {
		return bad("energy grid %d×%d with %d cells", e.Cols, e.Rows, len(e.Cells))
	}
	return nil
}

// analysisWorkBytes returns an upper bound of the bytes analysing a w×h decoded picture
// (ycbcr: a JPEG's YCbCr or a gray picture, whose luma is read in place; else a picture whose
// rows are converted to luma one at a time) allocates beyond the decoded picture itself. It
// depends only on the size, so a caller can budget memory before decoding; it is checked against
// measured allocations in TestAnalysisWorkBytes. Nothing in it grows with the picture's area:
// the grid (at most gridMaxPixels bytes) and the overview, the detail grid and the cells of the
// small-face scan, the scanner's offsets, the proposals and candidates, and for each fine search
// its patch and its detections (bounded by the number of windows it looks at, faces.Windows);
// the terms in w are the column tables and row buffers of averaging the picture, or a region of
// it, down.
func analysisWorkBytes(w, h int, ycbcr bool) int64 {
	if w < 1 || h < 1 {
		return 0
	}
	gw, gh, _ := levelSize(w, h, gridShort, gridMaxPixels)
	row := int64(0)
	if !ycbcr {
		row = int64(w)
	}
	// shrinkLuma: its output, a column table (int32 per input column), a reciprocal (uint64) and
	// a sum (uint32) per output column, a row buffer.
	shrink := func(out, outW, inW int64) int64 { return out + 4*inW + 12*outW + row + 1<<10 }
	grid := shrink(int64(gw)*int64(gh), int64(gw), int64(w)) + shrink(overviewPixels, int64(gw), int64(gw))
	cells := int64((gw+maskCell-1)/maskCell) * int64((gh+maskCell-1)/maskCell)
	fixed := int64(16<<10) + // the detail grid
		cells*(8+8+8+1) + int64(gw+gh)*8 + // the small-face scan's cells: windows, detail, order, mask
		16<<10 + // the scanner
		int64(2*maxProposals)*48*3 // the proposals, the candidates, their growth
	// A fine search's patch: the box of verifySide px and verifyMargin of it around, averaged
	// from the decoded picture (a column table of its width at most).
	ps := 2*int(math.Ceil((0.5+verifyMargin)*verifySide)) + 2
	patch := shrink(int64(ps)*int64(ps), int64(ps), int64(w))
	// Its detections: at most one per window looked at, in buffers the scanner keeps from one
	// search to the next: 32 bytes each, twice for the slice's growth, and as much again for
	// merging them.
	ks := float64(verifySide + 1)
	p1 := firstSearch
	p1.MinSize, p1.MaxSize = int(math.Round(0.7*ks)), int(math.Round(1.6*ks))
	r1 := int(math.Ceil(ks*firstReach)) + 1
	p1.Centres = image.Rect(ps/2-r1, ps/2-r1, ps/2+r1+1, ps/2+r1+1)
	ks2 := 1.6*ks + 1
	p2 := secondSearch
	p2.MinSize, p2.MaxSize = int(math.Round(0.7*ks2)), int(math.Round(1.6*ks2))
	r2 := int(math.Ceil(ks2*secondReach)) + 1
	p2.Centres = image.Rect(ps/2-r2, ps/2-r2, ps/2+r2+1, ps/2+r2+1)
	dets := int64(max(faces.Windows(ps, ps, p1), faces.Windows(ps, ps, p2))) * (2*32 + 2*32)
	// A search's merged faces are new each time: at most one per detection, but a search keeps
	// one face; 8 KB each is far more than they take.
	fine := patch + 8<<10
	return grid + fixed + dets + (maxVerify+maxVerifyFull)*fine + 64<<10
}
