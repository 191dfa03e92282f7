package jpeg

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"image"
	stdjpeg "image/jpeg"
	"io"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
