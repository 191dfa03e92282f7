package imageops

import (
	"image"
	"math"
)

// Defaults of the face effects (Cloudinary's server defaults).
const (
	defaultPixelateFaces = 5
	defaultBlurFaces     = 100
	// faceEffectMargin grows each face box (brows to chin, as the detector finds it) by this
	// fraction of its side on every side before a face effect, so that the forehead, the ears
	// and the chin are covered too.
	faceEffectMargin = 0.2
)

// applyFaceEffect applies e_pixelate_faces or e_blur_faces to the faces of img (in img's
// coordinates, as planning mapped them). Without faces the picture is left as it is.
//
//   - pixelate_faces[:n], 1–200, default 5: each face's region is cut into n×n px blocks from its
//     top-left corner, each the average of its pixels (premultiplied).
//   - blur_faces[:n], 1–2000, default 100: each face's region is blurred with a Gaussian whose
//     standard deviation is n/1000 of the face's side (a tenth by default, so the face is
//     unrecognisable at any size of the picture; 2000 leaves a flat colour).
//
// Both cost the same whatever n: pixelating reads and writes each pixel twice, and a large blur
// is done on a reduced copy (see gaussian).
func applyFaceEffect(img image.Image, e Effect, faces []image.Rectangle) image.Image {
	if len(faces) == 0 {
		return img
	}
	m := ownRGBA(img)
	n := e.Value
	for _, f := range faces {
		side := float64(max(f.Dx(), f.Dy()))
		r := f.Inset(-int(math.Round(faceEffectMargin * side))).Intersect(m.Rect)
		if r.Empty() {
			continue
		}
		sub := m.SubImage(r).(*image.RGBA)
		switch e.Name {
		case EffectPixelateFaces:
			if !e.HasValue {
				n = defaultPixelateFaces
			}
			pixelate(sub, n)
		case EffectBlurFaces:
			if !e.HasValue {
				n = defaultBlurFaces
			}
			sigma := side * float64(n) / 1000
			// Blur a copy (gaussian makes a new image) and write it back.
			own := ownRGBA(sub)
			blurred := gaussian(own, math.Max(sigma, 0.5))
			for y := range r.Dy() {
				copy(m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):m.PixOffset(r.Max.X, r.Min.Y+y)], blurred.Pix[y*blurred.Stride:y*blurred.Stride+4*r.Dx()])
			}
		}
	}
	return m
}
