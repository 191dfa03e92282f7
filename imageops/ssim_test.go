package imageops

import (
	"image"
	"image/color"
	"image/draw"
	"math"
)

// ssim returns the mean structural similarity (Wang et al. 2004) of b to a, on luma
// (0.299 R + 0.587 G + 0.114 B of the 8-bit values, as composited over white), with the
// usual 11×11 Gaussian window of σ 1.5 and K1 0.01, K2 0.03. 1 is identical; a and b must be
// the same size.
func ssim(a, b image.Image) float64 {
	x, w, h := lumaPlane(a)
	y, _, _ := lumaPlane(b)
	mul := func(p, q []float64) []float64 {
		o := make([]float64, len(p))
		for i := range p {
			o[i] = p[i] * q[i]
		}
		return o
	}
	mx, my := gaussBlur(x, w, h), gaussBlur(y, w, h)
	sxx, syy, sxy := gaussBlur(mul(x, x), w, h), gaussBlur(mul(y, y), w, h), gaussBlur(mul(x, y), w, h)
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	sum := 0.0
	for i := range x {
		vx, vy, cxy := sxx[i]-mx[i]*mx[i], syy[i]-my[i]*my[i], sxy[i]-mx[i]*my[i]
		sum += (2*mx[i]*my[i] + c1) * (2*cxy + c2) / ((mx[i]*mx[i] + my[i]*my[i] + c1) * (vx + vy + c2))
	}
	return sum / float64(len(x))
}

// lumaPlane returns img's luma, composited over white, row by row.
func lumaPlane(img image.Image) ([]float64, int, int) {
	b := img.Bounds()
	m := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	fillRGBA(m, color.RGBA{0xff, 0xff, 0xff, 0xff})
	draw.Draw(m, m.Bounds(), img, b.Min, draw.Over)
	out := make([]float64, b.Dx()*b.Dy())
	for i := range out {
		p := m.Pix[4*i:]
		out[i] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
	}
	return out, b.Dx(), b.Dy()
}

// gaussBlur filters a w×h plane with the SSIM window (separable, edges clamped).
func gaussBlur(in []float64, w, h int) []float64 {
	const r = 5
	var g [2*r + 1]float64
	s := 0.0
	for i := -r; i <= r; i++ {
		g[i+r] = math.Exp(-float64(i*i) / (2 * 1.5 * 1.5))
		s += g[i+r]
	}
	for i := range g {
		g[i] /= s
	}
	tmp := make([]float64, w*h)
	for y := range h {
		row := in[y*w : (y+1)*w]
		for x := range w {
			v := 0.0
			for k := -r; k <= r; k++ {
				v += g[k+r] * row[min(max(x+k, 0), w-1)]
			}
			tmp[y*w+x] = v
		}
	}
	out := make([]float64, w*h)
	for y := range h {
		for x := range w {
			v := 0.0
			for k := -r; k <= r; k++ {
				v += g[k+r] * tmp[min(max(y+k, 0), h-1)*w+x]
			}
			out[y*w+x] = v
		}
	}
	return out
}
