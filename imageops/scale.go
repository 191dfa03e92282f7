package imageops

import (
	"image"
	"math"
)

// Reduced decoding. A JPEG decodes at 1/2, 1/4 or 1/8 of its size by reduced inverse DCTs, at a
// fraction of the memory and CPU of a full decode (imageops/internal/jpeg). A transform whose
// first component shrinks a region of the source by at least twice the scale is decoded at that
// scale: the resize that follows still reduces by two or more, so the result is as good as from
// the full picture (within a level on average). An analysis decodes at the scale that keeps the
// short side at least analysisShortSide px.

// decodeScale returns the scale to decode a source at for these plans (planned on the source's
// upright size): 1, or for a JPEG whose first component shrinks its region by at least 2·s
// along both axes, the largest such s of 2, 4 and 8.
func decodeScale(info source, plans []plan) int {
	if info.format != JPEG || len(plans) == 0 {
		return 1
	}
	for _, p := range plans {
		if p.trim || p.pre > 1 {
			// e_trim plans again from what it finds, and a_ignore turns the source first:
			// both take the pixels as they are.
			return 1
		}
	}
	p := plans[0]
	r := p.src.Size()
	if p.w == r.X && p.h == r.Y {
		return 1 // the first component crops or leaves the picture as it is: every pixel counts
	}
	for _, s := range [...]int{8, 4, 2} {
		if r.X >= 2*s*p.w && r.Y >= 2*s*p.h {
			return s
		}
	}
	return 1
}

// scalePlans adapts plans (made for the full upright source) to the source decoded at scale:
// the first component's region, the only thing in source coordinates, is divided by the scale
// and rounded to whole pixels, within the decoded picture (of size dw×dh). The error, at most half
// a decoded pixel, is at most a quarter of an output pixel, since decodeScale leaves at least a
// 2× reduction.
func scalePlans(plans []plan, scale, dw, dh int) []plan {
	if scale == 1 || len(plans) == 0 {
		return plans
	}
	out := append([]plan(nil), plans...)
	r := out[0].src
	f := float64(scale)
	div := func(v int) int { return int(math.Round(float64(v) / f)) }
	r = image.Rect(div(r.Min.X), div(r.Min.Y), div(r.Max.X), div(r.Max.Y)).Intersect(image.Rect(0, 0, dw, dh))
	if r.Dx() < 1 || r.Dy() < 1 { // a sliver of a region: keep one pixel of it
		r = image.Rect(min(div(out[0].src.Min.X), dw-1), min(div(out[0].src.Min.Y), dh-1), 0, 0)
		r.Max = r.Min.Add(image.Pt(1, 1))
	}
	out[0].src = r
	return out
}

// analysisShortSide is the short side, in px, that an analysis needs of the picture it analyses:
// the source is decoded at the largest scale that keeps at least this much (or all of it). The
// analysis' grid has a short side of 320 px (gridShort), and the fine search of the smallest faces
// it proposes (20 px in the grid, 1/16 of the short side) runs on the decoded picture, where
// they are then at least 32 px, the size pigo's cascade is sure of (it is trained for faces of
// 24 px and more). 512 rather than more lets a 1024² JPEG be analysed from a decode at 1/2, the
// scale a thumbnail of it is decoded at anyway, so a cold face thumbnail decodes once, at 1/2; on
// the evaluation set's photographs enlarged to a 1024 px short side, decodes of 512 and 640 px
// find as many faces (15 and 17 of 18, as a decode of the whole 1024 px finds 15: the
// difference is where the scans' grid falls, not the decode).
const analysisShortSide = 512

// analysisScale returns the scale to decode a source at for its analysis.
func analysisScale(info source) int {
	if info.format != JPEG {
		return 1
	}
	need := min(info.width, info.height, analysisShortSide)
	for _, s := range [...]int{8, 4, 2} {
		if w, h := info.jpeg.ScaledSize(s); min(w, h) >= need {
			return s
		}
	}
	return 1
}
