// Package faces finds frontal faces in small grayscale pictures with pigo
// (github.com/esimov/pigo, pure Go, MIT), whose trained cascade, cascade/facefinder of pigo
// v1.4.6, is embedded here (facefinder, with pigo's licence in LICENSE-pigo).
//
// The classifier is unpacked once, on first use, and only read afterwards: pigo's RunCascade
// reads the unpacked trees and writes only to its own locals and a sync.Pool, so Detect is safe
// for concurrent use.
package faces

import (
	_ "embed"
	"image"
	"sort"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

//go:embed facefinder
var cascade []byte

// classifier returns the unpacked cascade, unpacked on first use.
var classifier = sync.OnceValue(func() *pigo.Pigo {
	p, err := pigo.NewPigo().Unpack(cascade)
	if err != nil { // the embedded file is fixed: this cannot happen
		panic("faces: cannot unpack the embedded pigo cascade: " + err.Error())
	}
	return p
})

// Params tune the detector. The zero value of a field means its default (see Defaults).
type Params struct {
	MinSize     int     // smallest face side searched, px of the picture given to Detect
	MaxSize     int     // largest face side searched (0: the picture's short side)
	ShiftFactor float64 // window step, as a fraction of the window side
	ScaleFactor float64 // growth of the window side from one scale to the next
	IoU         float64 // overlap above which raw detections are merged into one face
	MinQ        float32 // least summed score of a merged face
}

// Defaults are the parameters Detect uses, tuned for pictures of about 100–200 px a side where
// a face covers a fair part of the picture (profile pictures). pigo's own example values
// (ShiftFactor 0.1, ScaleFactor 1.1, MinQ 5 on the merged score) find the same faces on such
// pictures, a pixel or two apart, but take about three times as long: ~3 ms against ~1 ms on a
// 128×160 picture. MinQ is higher than pigo's 5 because the merged score sums the scores of the
// raw detections and fewer windows now overlap a face; real faces score ≥ 40 here.
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

// DetectWith is Detect with explicit parameters (zero fields: Defaults).
func DetectWith(pix []uint8, w, h, stride int, p Params) []Face {
	p = p.withDefaults()
	if w <= 0 || h <= 0 || stride < w || len(pix) < (h-1)*stride+w || min(w, h) < p.MinSize+2 {
		return nil
	}
	pg := classifier()
	maxSize := min(w, h)
	if p.MaxSize > 0 {
		maxSize = min(maxSize, p.MaxSize)
	}
	cp := pigo.CascadeParams{
		MinSize:     p.MinSize,
		MaxSize:     maxSize,
		ShiftFactor: p.ShiftFactor,
		ScaleFactor: p.ScaleFactor,
		ImageParams: pigo.ImageParams{Pixels: pix, Rows: h, Cols: w, Dim: stride},
	}
	dets := pg.RunCascade(cp, 0)
	dets = pg.ClusterDetections(dets, p.IoU)
	full := image.Rect(0, 0, w, h)
	var out []Face
	for _, d := range dets {
		if d.Q < p.MinQ {
			continue
		}
		half := d.Scale / 2
		r := image.Rect(d.Col-half, d.Row-half, d.Col-half+d.Scale, d.Row-half+d.Scale).Intersect(full)
		if r.Empty() {
			continue
		}
		out = append(out, Face{Rect: r, Q: d.Q})
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

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }
