package resize

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// photo returns a deterministic n×n "photo-like" image: smooth gradients, hard-edged shapes, a
// patch of fine stripes near the Nyquist frequency (hair, fabric) and per-pixel sensor noise.
func photo(n int) *image.RGBA {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	fn := float64(n)
	type disc struct {
		cx, cy, r float64
		c         [3]float64
	}
	discs := []disc{
		{0.30, 0.35, 0.18, [3]float64{220, 180, 140}}, // a face-ish blob
		{0.70, 0.25, 0.10, [3]float64{30, 60, 160}},
		{0.65, 0.75, 0.15, [3]float64{200, 40, 40}},
		{0.20, 0.80, 0.07, [3]float64{250, 250, 240}},
	}
	for y := range n {
		fy := float64(y) / fn
		for x := range n {
			fx := float64(x) / fn
			// Background: sky-like vertical gradient with a soft horizontal variation.
			c := [3]float64{
				80 + 120*fy + 20*math.Sin(6*fx),
				120 + 80*fy,
				200 - 100*fy + 30*math.Cos(5*fx+3*fy),
			}
			for _, d := range discs {
				dx, dy := fx-d.cx, fy-d.cy
				if dx*dx+dy*dy < d.r*d.r {
					shade := 1 - 0.5*(dx+dy)/d.r*0.5
					c = [3]float64{d.c[0] * shade, d.c[1] * shade, d.c[2] * shade}
				}
			}
			// A rectangle with hard edges (a shirt collar, a window frame).
			if fx > 0.45 && fx < 0.9 && fy > 0.5 && fy < 0.58 {
				c = [3]float64{20, 20, 25}
			}
			// Fine stripes: detail that must be filtered away, not aliased, when shrinking.
			if fx > 0.05 && fx < 0.4 && fy > 0.05 && fy < 0.2 {
				v := 127 + 120*math.Sin(float64(x)*2.7+float64(y)*0.9)
				c = [3]float64{v, v * 0.8, v * 0.6}
			}
			i := img.PixOffset(x, y)
			for ch := range 3 {
				v := c[ch] + rng.NormFloat64()*12
				img.Pix[i+ch] = uint8(max(0, min(255, math.Round(v))))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// viaJPEG encodes img as a quality-90 JPEG and decodes it: an *image.YCbCr with 4:2:0 subsampling,
// exactly what a server gets from image/jpeg.
func viaJPEG(t testing.TB, img image.Image) *image.YCbCr {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}))
	dec, err := jpeg.Decode(&buf)
	require.NoError(t, err)
	y, ok := dec.(*image.YCbCr)
	require.True(t, ok)
	require.Equal(t, image.YCbCrSubsampleRatio420, y.SubsampleRatio)
	return y
}

var photoCache sync.Map // size → *image.YCbCr

// photoJPEG returns the n×n photo decoded from JPEG, cached across tests and benchmarks.
func photoJPEG(t testing.TB, n int) *image.YCbCr {
	if v, ok := photoCache.Load(n); ok {
		return v.(*image.YCbCr)
	}
	y := viaJPEG(t, photo(n))
	photoCache.Store(n, y)
	return y
}

// toRGBA converts any image to an *image.RGBA with a zero origin, the way image/draw does.
func toRGBA(src image.Image) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
	return dst
}

// referenceLanczos3 is an exact, slow float64 Lanczos3 resize (separable, no prefilter; taps
// outside the image dropped and the rest renormalised; premultiplied; clamped and rounded only at
// the end). It is the quality yardstick.
func referenceLanczos3(src image.Image, w, h int) *image.RGBA {
	s := toRGBA(src)
	sw, sh := s.Rect.Dx(), s.Rect.Dy()
	type tap struct {
		i int
		w float64
	}
	weightsFor := func(n, out int) [][]tap {
		scale := float64(n) / float64(out)
		filterScale := max(scale, 1)
		support := 3 * filterScale
		res := make([][]tap, out)
		for x := range out {
			u := (float64(x) + 0.5) * scale
			var taps []tap
			var sum float64
			for i := int(math.Floor(u - 0.5 - support)); i <= int(math.Ceil(u-0.5+support)); i++ {
				if i < 0 || i >= n {
					continue
				}
				d := math.Abs(float64(i)+0.5-u) / filterScale
				if d >= 3 {
					continue
				}
				k := 1.0
				if d > 0 {
					k = 3 * math.Sin(math.Pi*d) * math.Sin(math.Pi*d/3) / (math.Pi * math.Pi * d * d)
				}
				taps = append(taps, tap{i, k})
				sum += k
			}
			for j := range taps {
				taps[j].w /= sum
			}
			res[x] = taps
		}
		return res
	}
	wx, wy := weightsFor(sw, w), weightsFor(sh, h)
	tmp := make([]float64, sh*w*4)
	for y := range sh {
		row := s.Pix[y*s.Stride:]
		for x, taps := range wx {
			for ch := range 4 {
				var v float64
				for _, t := range taps {
					v += float64(row[t.i*4+ch]) * t.w
				}
				tmp[(y*w+x)*4+ch] = v
			}
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y, taps := range wy {
		for x := range w {
			for ch := range 4 {
				var v float64
				for _, t := range taps {
					v += tmp[(t.i*w+x)*4+ch] * t.w
				}
				dst.Pix[y*dst.Stride+x*4+ch] = uint8(max(0, min(255, math.Round(v))))
			}
		}
	}
	return dst
}

// diffStats returns the mean absolute difference per channel (over R, G, B and A) and the largest
// absolute difference between two same-sized images.
func diffStats(t testing.TB, a, b image.Image) (mean float64, maxd int) {
	ra, rb := toRGBA(a), toRGBA(b)
	require.Equal(t, ra.Rect, rb.Rect)
	var sum int
	for i := range ra.Pix {
		d := int(ra.Pix[i]) - int(rb.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		maxd = max(maxd, d)
	}
	return float64(sum) / float64(len(ra.Pix)), maxd
}

// randomImage fills an n×m RGBA with smooth content plus noise, deterministically from seed.
func randomImage(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i] = uint8(x * 255 / max(w-1, 1))
			img.Pix[i+1] = uint8(y * 255 / max(h-1, 1))
			img.Pix[i+2] = uint8(128 + rng.IntN(64) - 32)
			img.Pix[i+3] = 255
		}
	}
	return img
}

// ycbcrFrom converts img to a YCbCr image with the given subsampling ratio (chroma averaged per
// block), laid out exactly like image.NewYCbCr.
func ycbcrFrom(img *image.RGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	b := img.Bounds()
	out := image.NewYCbCr(b, ratio)
	fx, fy := subsampling(ratio)
	cw, ch := (b.Dx()+fx-1)/fx, (b.Dy()+fy-1)/fy
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := img.RGBAAt(x, y)
			yy, _, _ := color.RGBToYCbCr(c.R, c.G, c.B)
			out.Y[y*out.YStride+x] = yy
		}
	}
	for cy := range ch {
		for cx := range cw {
			var sb, sr, n int
			for y := cy * fy; y < min(cy*fy+fy, b.Dy()); y++ {
				for x := cx * fx; x < min(cx*fx+fx, b.Dx()); x++ {
					c := img.RGBAAt(x, y)
					_, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
					sb += int(cb)
					sr += int(cr)
					n++
				}
			}
			out.Cb[cy*out.CStride+cx] = uint8((sb + n/2) / n)
			out.Cr[cy*out.CStride+cx] = uint8((sr + n/2) / n)
		}
	}
	return out
}
