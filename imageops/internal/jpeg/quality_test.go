package jpeg

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"io"
	"math"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avatarkit/avatarkit/imageops/internal/resize"
)

// qualityFiles are the files of the quality tests: the photo-like picture at 320×240 in the main
// kinds, and the real corpus (in short mode, the picture at 160×120 and Go's and our test data).
func qualityFiles(t *testing.T) []corpusFile {
	var files []corpusFile
	w, h := 320, 240
	if light() {
		w, h = 160, 120
	}
	for _, name := range []string{"420", "444", "gray", "progressive-420", "rgb-420", "cmyk", "ycck-2211"} {
		files = append(files, corpusFile{"generated:" + name, generate(kindNamed(t, name), w, h, 85)})
	}
	return append(files, shortCorpus()...)
}

// TestReductionQuality compares each scaled decode with image/jpeg's full decode averaged over
// scale×scale boxes, channel by channel: the mean absolute difference is below half a level on
// average and below 2 levels for every channel of every file. (The reduced inverse DCTs give
// the exact box means of the block's samples before rounding and clipping; what is left is the
// rounding, clipping, and the right and bottom edges, where a box of the full decode has fewer
// samples than the block it comes from. Clipping matters most in black-and-white pictures, where
// the full decode clips the ringing around every edge: bild's threshold.jpg is the worst file,
// at 1.7.)
func TestReductionQuality(t *testing.T) {
	sum := map[int]float64{}
	n := 0
	for _, f := range qualityFiles(t) {
		full, err := stdjpeg.Decode(bytes.NewReader(f.data))
		if err != nil {
			continue
		}
		n++
		for _, s := range []int{2, 4, 8} {
			m, err := Decode(bytes.NewReader(f.data), s)
			require.NoError(t, err)
			mads, _ := reductionError(full, m, s)
			var mean float64
			for i, mad := range mads {
				assert.LessOrEqual(t, mad, 2.0, "%s at scale %d, channel %d", f.name, s, i)
				mean += mad
			}
			sum[s] += mean / float64(len(mads))
		}
	}
	for _, s := range []int{2, 4, 8} {
		t.Logf("scale 1/%d: mean absolute difference from the box-averaged full decode %.3f (over %d files)", s, sum[s]/float64(n), n)
		assert.Less(t, sum[s]/float64(n), 0.5)
	}
}

var compareLibjpeg = flag.Bool("compare-libjpeg", false, "run TestQualityAgainstLibjpeg (needs djpeg)")

// TestQualityAgainstLibjpeg measures the same error for libjpeg-turbo's scaled decoding (djpeg
// -scale 1/s, against djpeg's full decode), on the luma of the YCbCr files, to compare:
//
//	go test ./imageops/internal/jpeg -run TestQualityAgainstLibjpeg -v -compare-libjpeg
//
// It needs djpeg (Debian's libjpeg-turbo-progs).
func TestQualityAgainstLibjpeg(t *testing.T) {
	if !*compareLibjpeg {
		t.Skip("a comparison, not a check: run with -compare-libjpeg")
	}
	if _, err := exec.LookPath("djpeg"); err != nil {
		t.Skip("djpeg not installed")
	}
	djpeg := func(data []byte, s int) *image.Gray {
		cmd := exec.Command("djpeg", "-grayscale", "-pnm", "-scale", fmt.Sprintf("1/%d", s))
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			return nil
		}
		r := bufio.NewReader(bytes.NewReader(out))
		var w, h, maxv int
		if _, err := fmt.Fscanf(r, "P5\n%d %d\n%d\n", &w, &h, &maxv); err != nil || maxv != 255 {
			return nil
		}
		m := image.NewGray(image.Rect(0, 0, w, h))
		if _, err := io.ReadFull(r, m.Pix); err != nil {
			return nil
		}
		return m
	}
	ours, theirs := map[int]float64{}, map[int]float64{}
	n := 0
	for _, f := range qualityFiles(t) {
		full, err := stdjpeg.Decode(bytes.NewReader(f.data))
		if err != nil {
			continue
		}
		y, ok := full.(*image.YCbCr)
		if !ok {
			continue
		}
		lfull := djpeg(f.data, 1)
		if lfull == nil {
			continue
		}
		n++
		for _, s := range []int{2, 4, 8} {
			m, err := Decode(bytes.NewReader(f.data), s)
			require.NoError(t, err)
			mad, _ := reductionError(y, m, s)
			ours[s] += mad[0]
			lm := djpeg(f.data, s)
			require.NotNil(t, lm)
			lmad, _ := reductionError(lfull, lm, s)
			theirs[s] += lmad[0]
		}
	}
	for _, s := range []int{2, 4, 8} {
		t.Logf("scale 1/%d, luma: mean absolute difference from the box-averaged full decode: this package %.3f, libjpeg-turbo %.3f (%d files)",
			s, ours[s]/float64(n), theirs[s]/float64(n), n)
	}
}

// TestThumbnailFromScaledDecode compares the 200×200 thumbnails that imageops' resizer makes from
// image/jpeg's full decode and from the scaled decode with an exact Lanczos3 reduction of the
// full decode (float64, separable): the scaled path must be about as close.
func TestThumbnailFromScaledDecode(t *testing.T) {
	n := 1024
	if light() {
		n = 512
	}
	p := photoPlanes(n, n, 1)
	for _, name := range []string{"420", "progressive-420"} {
		data := generateFrom(kindNamed(t, name), n, n, 90, p)
		full, err := stdjpeg.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		cfg, err := DecodeConfig(bytes.NewReader(data))
		require.NoError(t, err)
		exact := lanczos3(full, 200, 200)
		mad := func(m *image.RGBA) float64 {
			var sum float64
			for i := range m.Pix {
				if i%4 != 3 {
					sum += math.Abs(float64(m.Pix[i]) - exact[i/4*3+i%4])
				}
			}
			return sum / float64(len(exact))
		}
		viaFull := mad(resize.Resize(full, 200, 200))
		t.Logf("%s %d² → 200², mean absolute difference from an exact Lanczos3: %.3f from the full decode", name, n, viaFull)
		for s := 2; s <= ScaleFor(cfg, 200, 200); s *= 2 {
			scaled, err := Decode(bytes.NewReader(data), s)
			require.NoError(t, err)
			viaScaled := mad(resize.Resize(scaled, 200, 200))
			t.Logf("%s %d² → 200², mean absolute difference from an exact Lanczos3: %.3f from the 1/%d decode", name, n, viaScaled, s)
			assert.Less(t, viaScaled, viaFull+1)
		}
	}
}

// lanczos3 resizes img to w×h with an exact, separable, float64 Lanczos3 filter (widened by the
// reduction factor) and returns the R, G, B samples.
func lanczos3(img image.Image, w, h int) []float64 {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	src := make([]float64, sw*sh*3)
	for y := range sh {
		for x := range sw {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := (y*sw + x) * 3
			src[i], src[i+1], src[i+2] = float64(r>>8), float64(g>>8), float64(bb>>8)
		}
	}
	kernel := func(x float64) float64 {
		if x == 0 {
			return 1
		}
		if x <= -3 || x >= 3 {
			return 0
		}
		px := math.Pi * x
		return 3 * math.Sin(px) * math.Sin(px/3) / (px * px)
	}
	// pass resizes n samples of stride step along one axis from in to out samples.
	pass := func(in []float64, inLen, outLen, lines int, at func(line, i int) int, outAt func(line, i int) int, dst []float64) {
		scale := float64(inLen) / float64(outLen)
		support := 3 * max(scale, 1)
		for o := range outLen {
			c := (float64(o)+0.5)*scale - 0.5
			lo, hi := int(math.Ceil(c-support)), int(math.Floor(c+support))
			var ws []float64
			var sum float64
			for i := lo; i <= hi; i++ {
				wgt := kernel((float64(i) - c) / max(scale, 1))
				ws = append(ws, wgt)
				sum += wgt
			}
			for line := range lines {
				var acc [3]float64
				for k, i := lo, 0; k <= hi; k, i = k+1, i+1 {
					j := at(line, min(max(k, 0), inLen-1))
					for ch := range 3 {
						acc[ch] += ws[i] * in[j+ch]
					}
				}
				d := outAt(line, o)
				for ch := range 3 {
					dst[d+ch] = acc[ch] / sum
				}
			}
		}
	}
	tmp := make([]float64, w*sh*3)
	pass(src, sw, w, sh, func(line, i int) int { return (line*sw + i) * 3 }, func(line, o int) int { return (line*w + o) * 3 }, tmp)
	out := make([]float64, w*h*3)
	pass(tmp, sh, h, w, func(line, i int) int { return (i*w + line) * 3 }, func(line, o int) int { return (o*w + line) * 3 }, out)
	for i, v := range out {
		out[i] = math.Max(0, math.Min(255, v))
	}
	return out
}
