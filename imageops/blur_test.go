package imageops

import (
	"testing"

	"github.com/anthonynsimon/bild/blur"
	"github.com/anthonynsimon/bild/effect"
	"github.com/stretchr/testify/assert"
)

// meanAbs returns the mean absolute difference of two images' bytes.
func meanAbs(a, b []uint8) float64 {
	sum := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(len(a))
}

// TestBlurAndSharpenMatchBild: the fixed-point convolutions give what bild's float ones gave, to
// a fraction of a level on average, while costing a fraction of their time (BenchmarkEffects).
func TestBlurAndSharpenMatchBild(t *testing.T) {
	photo := photoImage(96)
	for r := 1; r <= 5; r++ {
		d := meanAbs(blurRGBA(photo, gaussianKernel(r)).Pix, blur.Gaussian(photo, float64(r)).Pix)
		// bild truncates the result of each of its two passes where these round: about one level.
		assert.Less(t, d, 1.3, "blur r=%d", r)
	}
	for _, amount := range []float64{0.005, 0.5, 1, 10} {
		want := effect.UnsharpMask(photo, 0.2, amount)
		keepAlpha(want, photo)
		d := meanAbs(sharpen(photo, amount).Pix, want.Pix)
		// bild rounds the blurred image to 8 bits, and truncates, before it amplifies the
		// difference: its error grows with the amount.
		assert.Less(t, d, 0.6+0.6*amount, "sharpen %v", amount)
	}
}

func BenchmarkBlurSharpen(b *testing.B) {
	photo := photoImage(1024)
	for _, e := range []struct {
		name string
		f    func()
	}{
		{"blur_r5/ours", func() { blurRGBA(photo, gaussianKernel(5)) }},
		{"blur_r5/bild", func() { blur.Gaussian(photo, 5) }},
		{"sharpen/ours", func() { sharpen(photo, 10) }},
		{"sharpen/bild", func() { effect.UnsharpMask(photo, 0.2, 10) }},
	} {
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				e.f()
			}
		})
	}
}
