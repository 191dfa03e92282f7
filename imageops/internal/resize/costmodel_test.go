package resize

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var fitModel = flag.Bool("fit", false, "TestCostModel: fit cpuModel to the measurements and print it")

// cpuSource returns a sw×sh source of the named type filled with noise (opaque but for one pixel
// in eight where the type has alpha).
func cpuSource(name string, sw, sh int) (image.Image, Kind) {
	r := image.Rect(0, 0, sw, sh)
	rng := rand.New(rand.NewPCG(uint64(sw), uint64(sh)))
	fill := func(p []uint8) {
		for i := range p {
			p[i] = uint8(rng.Uint32())
		}
	}
	opaque := func(p []uint8, stride int) { // alpha every stride bytes, from stride-1
		for i := stride - 1; i < len(p); i += stride {
			if rng.IntN(8) != 0 {
				p[i] = 0xff
			}
		}
	}
	switch name {
	case "RGBA":
		img := image.NewRGBA(r)
		fill(img.Pix)
		for i := 3; i < len(img.Pix); i += 4 {
			img.Pix[i] = 0xff
		}
		return img, KindRGBA
	case "Gray":
		img := image.NewGray(r)
		fill(img.Pix)
		return img, KindGray
	case "NRGBA":
		img := image.NewNRGBA(r)
		fill(img.Pix)
		opaque(img.Pix, 4)
		return img, KindConverted
	case "NRGBA64":
		img := image.NewNRGBA64(r)
		fill(img.Pix)
		return img, KindConverted
	case "Paletted":
		img := image.NewPaletted(r, color.Palette{color.Black, color.White, color.RGBA{200, 0, 0, 255}, color.Transparent})
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(4))
		}
		return img, KindConverted
	case "CMYK":
		img := image.NewCMYK(r)
		fill(img.Pix)
		return img, KindConverted
	case "NYCbCrA":
		img := image.NewNYCbCrA(r, image.YCbCrSubsampleRatio420)
		fill(img.Y)
		fill(img.Cb)
		fill(img.Cr)
		opaque(img.A, 1)
		return img, KindConverted
	}
	for i, ratio := range ycbcrKinds {
		if name == "YCbCr"+strings.TrimPrefix(ratio.String(), "YCbCrSubsampleRatio") {
			img := image.NewYCbCr(r, ratio)
			fill(img.Y)
			fill(img.Cb)
			fill(img.Cr)
			return img, KindYCbCr444 + Kind(i)
		}
	}
	panic(name)
}

// cpuCases are the measurements the processor time model is fitted to (fit) and checked against
// (all). Converted sources are fitted as 16-bit images (NRGBA64, what a 16-bit PNG decodes to),
// the others of KindConverted only checked.
var cpuCases = func() (cs []cpuCase) {
	add := func(src string, sw, sh, w, h int, fit bool) {
		cs = append(cs, cpuCase{src, sw, sh, w, h, fit})
	}
	geoms := [][4]int{
		{1024, 1024, 200, 200}, {2048, 2048, 200, 200}, {2048, 2048, 1024, 1024}, {100, 100, 400, 400},
		{512, 512, 1024, 1024}, {640, 480, 320, 240}, {1000, 1000, 999, 999}, {300, 300, 300, 150},
		{2048, 64, 100, 1000}, {64, 64, 32, 32}, {512, 512, 512, 512}, {8, 8, 4, 4}, {1500, 1000, 48, 48},
		{400, 400, 1200, 300},
	}
	for _, g := range geoms {
		for _, src := range []string{"RGBA", "Gray", "YCbCr420", "YCbCr444", "NRGBA64"} {
			add(src, g[0], g[1], g[2], g[3], true)
		}
	}
	for _, src := range []string{"YCbCr422", "YCbCr440", "YCbCr411", "YCbCr410"} {
		add(src, 1024, 1024, 200, 200, true)
		add(src, 200, 200, 640, 640, true)
	}
	for _, src := range []string{"NRGBA", "Paletted", "CMYK", "NYCbCrA"} {
		add(src, 1024, 1024, 200, 200, false)
		add(src, 200, 200, 640, 640, false)
		add(src, 512, 512, 512, 512, false)
	}
	return cs
}()

type cpuCase struct {
	src    string
	sw, sh int
	w, h   int
	fit    bool
}

// measureCPU returns the least processor time of the calling thread over n calls of f.
func measureCPU(f func(), n int) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	least := time.Duration(math.MaxInt64)
	for range n {
		t0 := threadCPU()
		f()
		least = min(least, threadCPU()-t0)
	}
	return least
}

// TestCostModel measures Resize's processor time over cpuCases and reports it next to Cost's
// estimate. With -fit it fits cpuModel to the measurements and prints the new coefficients
// instead of checking. The check is loose (0.3× to 3×): the machine is shared and timings are
// noisy.
func TestCostModel(t *testing.T) {
	if testing.Short() || raceEnabled || !haveThreadCPU {
		t.Skip("timing check: not with -short, the race detector or without a thread clock")
	}
	Resize(image.NewRGBA(image.Rect(0, 0, 9, 9)), 3, 3) // the kernel's table
	type row struct {
		f    features
		meas float64
		c    cpuCase
	}
	var rows []row
	var logSum float64
	for _, c := range cpuCases {
		src, k := cpuSource(c.src, c.sw, c.sh)
		n := 5 // calls measured, the least time taken
		if c.sw*c.sh+c.w*c.h > 2<<20 {
			n = 2
		}
		if *fitModel {
			n *= 3
		}
		meas := measureCPU(func() { Resize(src, c.w, c.h) }, n)
		var f features
		costOf(k, c.sw, c.sh, c.w, c.h, &f)
		_, est := Cost(k, c.sw, c.sh, c.w, c.h)
		ratio := float64(meas) / float64(est)
		logSum += math.Log(ratio)
		if c.fit {
			rows = append(rows, row{f, float64(meas), c})
		}
		t.Logf("%-9s %4d×%-4d → %4d×%-4d  measured %9.3f ms  Cost %9.3f ms  measured/Cost %.2f",
			c.src, c.sw, c.sh, c.w, c.h, float64(meas)/1e6, float64(est)/1e6, ratio)
		// A same-size copy of a converted source is all conversion, which costs from 1 ns per
		// pixel (Paletted) to 10 (NYCbCrA): one figure for KindConverted cannot be within 3× of
		// all of them, and is not meant to.
		loose := !c.fit && c.sw == c.w && c.sh == c.h
		if !*fitModel && !loose {
			assert.True(t, ratio >= 0.3 && ratio <= 3, "%s %dx%d → %dx%d: measured/Cost %.2f", c.src, c.sw, c.sh, c.w, c.h, ratio)
		}
	}
	t.Logf("geometric mean of measured/Cost: %.2f", math.Exp(logSum/float64(len(cpuCases))))
	if !*fitModel {
		return
	}
	// Non-negative least squares of the relative error, by coordinate descent: minimise
	// Σ_i (f_i·β/m_i − 1)² over β ≥ 0.
	a := make([][numFeatures]float64, len(rows))
	for i, r := range rows {
		for j := range numFeatures {
			a[i][j] = r.f[j] / r.meas
		}
	}
	beta := cpuModel
	for range 20000 {
		for j := range numFeatures {
			var num, den float64
			for i := range a {
				var pred float64
				for l := range numFeatures {
					pred += a[i][l] * beta[l]
				}
				num += a[i][j] * (pred - 1)
				den += a[i][j] * a[i][j]
			}
			if den > 0 {
				beta[j] = max(0, beta[j]-num/den)
			}
		}
	}
	names := []string{"featCall", "featSrc", "featConv", "featV", "featH", "featTaps", "featOut", "featCopy", "featCopyGray", "featCopyYCbCr"}
	var sb strings.Builder
	for j, v := range beta {
		fmt.Fprintf(&sb, "%s: %.3g, ", names[j], v)
	}
	t.Logf("fitted: %s", sb.String())
	var worst float64
	for _, r := range rows {
		var pred float64
		for j := range numFeatures {
			pred += r.f[j] * beta[j]
		}
		worst = max(worst, math.Abs(math.Log(r.meas/pred)))
		c := r.c
		t.Logf("%-9s %4d×%-4d → %4d×%-4d  measured/fitted %.2f", c.src, c.sw, c.sh, c.w, c.h, r.meas/pred)
	}
	t.Logf("worst measured/fitted: ×%.2f", math.Exp(worst))
}
