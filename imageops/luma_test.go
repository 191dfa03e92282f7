package imageops

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShrinkLuma: every output pixel is the mean (±1) of the input pixels it stands for, for
// JPEG-like, gray and RGBA pictures, regions, and sizes that divide evenly or not.
func TestShrinkLuma(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gray := image.NewGray(image.Rect(5, 7, 5+173, 7+91))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(rng.IntN(256))
	}
	rgba := image.NewRGBA(gray.Rect)
	rgba64 := image.NewRGBA64(gray.Rect)
	nrgba64 := image.NewNRGBA64(gray.Rect)
	gray16 := image.NewGray16(gray.Rect)
	var pal color.Palette
	for v := range 256 {
		pal = append(pal, color.RGBA{uint8(v), uint8(v), uint8(v), 255})
	}
	paletted := image.NewPaletted(gray.Rect, pal)
	for i, v := range gray.Pix {
		rgba.Pix[4*i], rgba.Pix[4*i+1], rgba.Pix[4*i+2], rgba.Pix[4*i+3] = v, v, v, 255
		x, y := gray.Rect.Min.X+i%gray.Rect.Dx(), gray.Rect.Min.Y+i/gray.Rect.Dx()
		c := color.RGBA64{uint16(v) * 257, uint16(v) * 257, uint16(v) * 257, 0xffff}
		rgba64.SetRGBA64(x, y, c)
		nrgba64.SetNRGBA64(x, y, color.NRGBA64(c))
		gray16.SetGray16(x, y, color.Gray16{uint16(v) * 257})
		paletted.SetColorIndex(x, y, v)
	}
	cmyk := image.NewCMYK(gray.Rect)
	draw.Draw(cmyk, cmyk.Rect, gray, gray.Rect.Min, draw.Src)
	for _, img := range []image.Image{gray, rgba, rgba64, nrgba64, gray16, paletted, cmyk} {
		for _, c := range []struct {
			r      image.Rectangle
			dw, dh int
		}{
			{gray.Rect, 173, 91}, {gray.Rect, 60, 30}, {image.Rect(5, 7, 5+172, 7+90), 86, 45}, {gray.Rect, 17, 90}, {gray.Rect, 1, 1},
			{image.Rect(20, 10, 120, 80), 33, 21}, {gray.Rect, 400, 400},
		} {
			got := shrinkLuma(img, c.r, c.dw, c.dh)
			sw, sh := c.r.Dx(), c.r.Dy()
			require.Equal(t, [2]int{min(c.dw, sw), min(c.dh, sh)}, [2]int{got.w, got.h})
			for j := range got.h {
				for i := range got.w {
					// The input pixels (x, y) with ⌊x·w/sw⌋ = i and ⌊y·h/sh⌋ = j.
					sum, n := 0, 0
					for y := ceilDiv(j*sh, got.h); y < ceilDiv((j+1)*sh, got.h); y++ {
						for x := ceilDiv(i*sw, got.w); x < ceilDiv((i+1)*sw, got.w); x++ {
							require.Equal(t, [2]int{i, j}, [2]int{x * got.w / sw, y * got.h / sh})
							sum += int(gray.GrayAt(c.r.Min.X+x, c.r.Min.Y+y).Y)
							n++
						}
					}
					assert.InDelta(t, float64(sum)/float64(n), float64(got.pix[j*got.w+i]), 1, "%T %v→%d×%d at %d,%d", img, c.r, c.dw, c.dh, i, j)
				}
			}
		}
	}
}
