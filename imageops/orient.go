package imageops

import (
	"image"
	"image/draw"
)

// orient returns img turned upright for EXIF orientation o (1–8; anything else leaves img as
// it is). Orientations 5–8 swap width and height. *image.YCbCr (4:4:4, 4:2:0, 4:2:2, 4:4:0),
// *image.Gray, *image.RGBA and *image.NRGBA are transformed plane by plane without conversion;
// other images are converted to *image.RGBA first.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	if b.Min == (image.Point{}) {
		switch m := img.(type) {
		case *image.YCbCr:
			if ratio, ok := orientedRatio(m.SubsampleRatio, o); ok {
				dst := image.NewYCbCr(image.Rect(0, 0, dw, dh), ratio)
				orientPlane(dst.Y, dst.YStride, m.Y, m.YStride, w, h, 1, o)
				cw, ch := chromaSize(w, h, m.SubsampleRatio)
				orientPlane(dst.Cb, dst.CStride, m.Cb, m.CStride, cw, ch, 1, o)
				orientPlane(dst.Cr, dst.CStride, m.Cr, m.CStride, cw, ch, 1, o)
				return dst
			}
		case *image.Gray:
			dst := image.NewGray(image.Rect(0, 0, dw, dh))
			orientPlane(dst.Pix, dst.Stride, m.Pix, m.Stride, w, h, 1, o)
			return dst
		case *image.RGBA:
			dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
			orientPlane(dst.Pix, dst.Stride, m.Pix, m.Stride, w, h, 4, o)
			return dst
		case *image.NRGBA:
			dst := image.NewNRGBA(image.Rect(0, 0, dw, dh))
			orientPlane(dst.Pix, dst.Stride, m.Pix, m.Stride, w, h, 4, o)
			return dst
		}
	}
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	orientPlane(dst.Pix, dst.Stride, src.Pix, src.Stride, w, h, 4, o)
	return dst
}

// orientedRatio returns the subsample ratio of a YCbCr image after orientation o.
func orientedRatio(r image.YCbCrSubsampleRatio, o int) (image.YCbCrSubsampleRatio, bool) {
	switch r {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio420:
		return r, true
	case image.YCbCrSubsampleRatio422:
		if o >= 5 {
			return image.YCbCrSubsampleRatio440, true
		}
		return r, true
	case image.YCbCrSubsampleRatio440:
		if o >= 5 {
			return image.YCbCrSubsampleRatio422, true
		}
		return r, true
	}
	return r, false // 4:1:1 and 4:1:0 have no transposed counterpart
}

// chromaSize returns the size of the chroma planes of a zero-origin w×h YCbCr image.
func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	}
	return w, h
}

// orientPlane writes into dst the w×h plane src (bpp bytes per pixel) transformed for EXIF
// orientation o (2–8). dst must be w×h (o 2–4) or h×w (o 5–8) with stride dstStride.
func orientPlane(dst []byte, dstStride int, src []byte, srcStride int, w, h, bpp, o int) {
	// dst(x, y) = src(sx, sy) with sx = ax*x + bx*y + cx and sy = ay*x + by*y + cy.
	var ax, bx, cx, ay, by, cy int
	switch o {
	case 2: // mirror horizontally
		ax, cx, by = -1, w-1, 1
	case 3: // rotate 180
		ax, cx, by, cy = -1, w-1, -1, h-1
	case 4: // mirror vertically
		ax, by, cy = 1, -1, h-1
	case 5: // transpose
		bx, ay = 1, 1
	case 6: // rotate 90 clockwise
		bx, ay, cy = 1, -1, h-1
	case 7: // transverse
		bx, cx, ay, cy = -1, w-1, -1, h-1
	case 8: // rotate 90 counter-clockwise
		bx, cx, ay = -1, w-1, 1
	default:
		return
	}
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	stepX := ay*srcStride + ax*bpp // source bytes per destination x
	stepY := by*srcStride + bx*bpp // source bytes per destination y
	base := cy*srcStride + cx*bpp
	for y := range dh {
		row := dst[y*dstStride : y*dstStride+dw*bpp]
		si := base + y*stepY
		if bpp == 1 {
			for x := range row {
				row[x] = src[si]
				si += stepX
			}
			continue
		}
		for x := 0; x < len(row); x += 4 {
			copy(row[x:x+4], src[si:si+4])
			si += stepX
		}
	}
}
