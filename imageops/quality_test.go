package imageops

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// qualityPhotos are the photographs the quality tests measure (testdata/README.md says where
// they come from), and "synthetic", photoImage.
var qualityPhotos = []string{"pigo-sample.jpg", "branches.jpg", "building.jpg", "synthetic"}

// testPhoto returns the named photograph filled to n×n, as Transform hands it to the encoders.
func testPhoto(t testing.TB, name string, n int) image.Image {
	t.Helper()
	var src []byte
	if name == "synthetic" {
		src = benchPhoto(t, 1024)
	} else {
		var err error
		src, err = os.ReadFile("testdata/" + name)
		require.NoError(t, err)
	}
	out := run(t, src, fmt.Sprintf("c_fill,w_%d,h_%d", n, n), PNG)
	img, err := png.Decode(bytes.NewReader(out.Bytes))
	require.NoError(t, err)
	return img
}

// encodeDecode encodes img as e says and decodes the result.
func encodeDecode(t testing.TB, img image.Image, e encoding) ([]byte, image.Image) {
	t.Helper()
	b, err := encode(img, e)
	require.NoError(t, err)
	b2 := img.Bounds()
	return b, decodeAny(t, &Output{Bytes: b, Format: e.format, Width: b2.Dx(), Height: b2.Dy()})
}

var autoQualities = []Quality{QualityAutoBest, QualityAuto, QualityAutoEco, QualityAutoLow}

// TestQualityLevels: for every lossy encoding, on every photograph, the q_auto levels give
// files in the order best > good > eco > low, each decodes to the picture (SSIM above 0.85),
// and q_auto is q_auto:good.
func TestQualityLevels(t *testing.T) {
	photos := qualityPhotos
	if testing.Short() || raceEnabled {
		photos = photos[:1]
	}
	for _, name := range photos {
		img := testPhoto(t, name, 160)
		for _, f := range []encoding{{format: JPEG}, {format: WebP}, {format: AVIF}} {
			t.Run(name+"/"+f.format.String(), func(t *testing.T) {
				prev := 1 << 30
				for _, q := range autoQualities {
					f.quality = q
					b, dec := encodeDecode(t, img, f)
					assert.Less(t, len(b), prev, "%v is smaller than the level before", q)
					prev = len(b)
					assert.Greater(t, ssim(img, dec), 0.85, "%v", q)
				}
				f.quality = QualityAutoGood
				good, _ := encode(img, f)
				f.quality = QualityAuto
				auto, _ := encode(img, f)
				assert.Equal(t, good, auto)
			})
		}
	}
}

// TestQualityEquivalence measures, on the photographs at 200×200, each lossy format's SSIM at
// the quality the levels, no q_ and q_85 map to, against a JPEG of that quality: the mapping
// keeps the mean within 0.01 of JPEG's (WebP from quality 90 cannot, and stays below); WebP is
// smaller than JPEG up to webpBeatsJPEGMaxQuality, AVIF smaller than both. With -v it prints
// the table docs/formats.md quotes.
func TestQualityEquivalence(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("encodes four photographs at 6 qualities in three formats: a measurement")
	}
	type row struct{ ssim, bytes float64 }
	imgs := map[string]image.Image{}
	for _, name := range qualityPhotos {
		imgs[name] = testPhoto(t, name, 200)
	}
	for _, q := range []Quality{QualityAutoBest, QualityAuto, QualityAutoEco, QualityAutoLow, 0, 85} {
		res := map[Format]row{}
		for _, f := range []Format{JPEG, WebP, AVIF} {
			var r row
			for _, name := range qualityPhotos {
				b, dec := encodeDecode(t, imgs[name], encoding{format: f, quality: q})
				r.ssim += ssim(imgs[name], dec) / float64(len(qualityPhotos))
				r.bytes += float64(len(b)) / float64(len(qualityPhotos))
			}
			res[f] = r
		}
		j := res[JPEG]
		t.Logf("q_%-9s JPEG q%d: SSIM %.4f, %5.0f bytes | WebP q%d: SSIM %.4f, %5.0f bytes (%.2f×) | AVIF q%d: SSIM %.4f, %5.0f bytes (%.2f×)",
			cmp.Or(q.String(), "(none)"), q.jpegEquivalent(), j.ssim, j.bytes,
			webpQuality(q.jpegEquivalent()), res[WebP].ssim, res[WebP].bytes, res[WebP].bytes/j.bytes,
			avifQuality(q.jpegEquivalent(), avifSpeed(200*200, false)), res[AVIF].ssim, res[AVIF].bytes, res[AVIF].bytes/j.bytes)
		assert.InDelta(t, j.ssim, res[AVIF].ssim, 0.01, "AVIF at %v", q)
		switch jq := q.jpegEquivalent(); {
		case jq <= webpBeatsJPEGMaxQuality:
			assert.InDelta(t, j.ssim, res[WebP].ssim, 0.01, "WebP at %v", q)
			assert.Less(t, res[WebP].bytes, j.bytes, "WebP is smaller than JPEG at %v", q)
		case jq < 90:
			assert.InDelta(t, j.ssim, res[WebP].ssim, 0.01, "WebP at %v", q)
			assert.Greater(t, res[WebP].bytes, j.bytes, "WebP is larger than JPEG at %v", q)
		default:
			assert.Less(t, res[WebP].ssim, j.ssim, "WebP cannot match JPEG at %v", q)
		}
		assert.Less(t, res[AVIF].bytes, res[WebP].bytes, "AVIF is smaller than WebP at %v", q)
	}
}

// TestAutoFormatPrediction: what f_auto predicts is what encoding shows on the photographs at
// avatar sizes, at q_auto: in total over the photographs, AVIF is smaller than lossy WebP,
// which is smaller than JPEG, from avifAutoMinPixels up, and WebP is smaller than AVIF below
// it; for each photograph, the format f_auto serves is within 15 % of the smallest. A flat
// picture is smaller in PNG than in lossless WebP.
func TestAutoFormatPrediction(t *testing.T) {
	photos, sides := qualityPhotos, []int{32, 64, 96, 128, 200, 400}
	if testing.Short() || raceEnabled {
		photos, sides = photos[:2], []int{96, 200}
	}
	all := []Format{AVIF, WebP, PNG, JPEG}
	for _, n := range sides {
		total := map[Format]int{}
		for _, name := range photos {
			img := testPhoto(t, name, n)
			size := map[Format]int{}
			for _, f := range []Format{JPEG, WebP, AVIF} {
				b, err := encode(img, encoding{format: f, quality: QualityAuto})
				require.NoError(t, err)
				size[f] = len(b)
				total[f] += len(b)
			}
			t.Logf("%s %d²: JPEG %d, WebP %d, AVIF %d bytes", name, n, size[JPEG], size[WebP], size[AVIF])
			chosen := chooseAuto(all, true, QualityAuto.jpegEquivalent(), true, n, n)
			smallest := min(size[JPEG], size[WebP], size[AVIF])
			assert.LessOrEqual(t, float64(size[chosen]), 1.15*float64(smallest), "%s %d²: %v", name, n, chosen)
		}
		assert.Less(t, total[WebP], total[JPEG], "%d²: WebP < JPEG", n)
		if n*n >= avifAutoMinPixels {
			assert.Less(t, total[AVIF], total[WebP], "%d²: AVIF < WebP", n)
		} else {
			assert.Less(t, total[WebP], total[AVIF], "%d²: WebP < AVIF", n)
		}
	}
	// With transparency (a circle) too, AVIF (its alpha nearly lossless) is smaller than lossy
	// WebP (its alpha lossless).
	for _, name := range photos {
		out := run(t, jpegBytes(t, testPhoto(t, name, 200), 95), "r_max", PNG)
		img, err := png.Decode(bytes.NewReader(out.Bytes))
		require.NoError(t, err)
		w, err := encode(img, encoding{format: WebP, quality: QualityAuto})
		require.NoError(t, err)
		a, err := encode(img, encoding{format: AVIF, quality: QualityAuto})
		require.NoError(t, err)
		t.Logf("%s 200², round: WebP %d, AVIF %d bytes", name, len(w), len(a))
		assert.Less(t, len(a), len(w), "%s round: AVIF < WebP", name)
		assert.Equal(t, AVIF, chooseAuto([]Format{AVIF, WebP, PNG, JPEG}, true, 80, false, 200, 200))
	}
	icon, err := png.Decode(bytes.NewReader(Identicon("someone")))
	require.NoError(t, err)
	ll, err := encode(icon, encoding{format: WebP, lossless: true})
	require.NoError(t, err)
	p, err := encode(icon, encoding{format: PNG})
	require.NoError(t, err)
	assert.Less(t, len(p), len(ll), "a flat picture: PNG < lossless WebP")
}

// TestWasmEncodersConcurrent encodes WebP and AVIF from many goroutines at once (run with
// -race): each encode has its own module instance, and the outputs are those of one at a time.
func TestWasmEncodersConcurrent(t *testing.T) {
	img := testPhoto(t, "pigo-sample.jpg", 96)
	cases := []encoding{{format: WebP}, {format: WebP, lossless: true}, {format: AVIF}, {format: JPEG}}
	want := make([][]byte, len(cases))
	for i, e := range cases {
		var err error
		want[i], err = encode(img, e)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(cases))
	for range 4 {
		for i, e := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := encode(img, e)
				if err == nil && !bytes.Equal(b, want[i]) {
					err = fmt.Errorf("%v: a different encoding when concurrent", e.format)
				}
				errs <- err
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// TestLossyResult: which results WebP writes lossy.
func TestLossyResult(t *testing.T) {
	photo := testPhoto(t, "building.jpg", 64)
	icon, err := png.Decode(bytes.NewReader(Identicon("x")))
	require.NoError(t, err)
	var ll, lossy bytes.Buffer
	require.NoError(t, webpEncode(&ll, icon, 0, 0, true))
	require.NoError(t, webpEncode(&lossy, icon, 80, 4, false))
	assert.True(t, webpLossless(ll.Bytes()))
	assert.False(t, webpLossless(lossy.Bytes()))
	assert.False(t, webpLossless([]byte("RIFF\\x00\\x00\\x00\\x00WEBP")))
	for _, f := range []string{"blue-purple-pink.lossy.webp", "yellow_rose.lossy-with-alpha.webp"} {
		b, err := os.ReadFile("testdata/" + f)
		require.NoError(t, err)
		assert.False(t, webpLossless(b), f)
	}

	assert.True(t, photographic(photo))
	assert.False(t, photographic(icon))
	for _, tt := range []struct {
		src       Format
		srcBytes  []byte
		flagLossy bool
		q         Quality
		img       image.Image
		want      bool
	}{
		{JPEG, nil, false, 0, icon, true},
		{WebP, lossy.Bytes(), false, 0, icon, true},
		{WebP, ll.Bytes(), false, 0, photo, false},
		{PNG, nil, false, 0, photo, false},
		{PNG, nil, false, 80, photo, false},
		{PNG, nil, true, 0, icon, true},
		{PNG, nil, false, QualityAuto, photo, true},
		{PNG, nil, false, QualityAutoLow, icon, false},
		{GIF, nil, false, QualityAuto, icon, false},
	} {
		assert.Equal(t, tt.want, lossyResult(source{format: tt.src}, tt.srcBytes, tt.flagLossy, tt.q, tt.img), "%+v", tt)
	}
}

// TestQualityMapping: the mappings are monotonic and within their encoders' ranges.
func TestQualityMapping(t *testing.T) {
	prevW, prevA, prevA10 := 0, 0, 0
	for q := 1; q <= 100; q++ {
		w, a, a10 := webpQuality(q), avifQuality(q, 8), avifQuality(q, 10)
		assert.GreaterOrEqual(t, w, prevW)
		assert.GreaterOrEqual(t, a, prevA)
		assert.GreaterOrEqual(t, a10, prevA10)
		assert.True(t, w >= 1 && w <= 100 && a >= 1 && a <= 99 && a10 >= 1 && a10 <= 99, "q%d: %d %d %d", q, w, a, a10)
		prevW, prevA, prevA10 = w, a, a10
	}
	levels := make([]int, len(autoQualities))
	for i, q := range autoQualities {
		levels[i] = q.jpegEquivalent()
		assert.True(t, q.IsAuto())
	}
	assert.True(t, sort.IsSorted(sort.Reverse(sort.IntSlice(levels))), "best, good, eco, low: %v", levels)
	assert.Equal(t, DefaultQuality, Quality(0).jpegEquivalent())
	assert.Equal(t, 37, Quality(37).jpegEquivalent())
	_ = context.Background
}

// TestEncodeCost: memory grows with the size; so does CPU, except where encode steps down to a
// cheaper setting (lossy WebP above 512² and 1024², AVIF above 512²); the cheap setting is
// never dearer; the start-up cost disappears once the encoder is compiled.
func TestEncodeCost(t *testing.T) {
	for _, f := range []Format{JPEG, PNG, GIF, WebP, AVIF} {
		for _, lossy := range []bool{true, false} {
			prevCPU, prevMem := time.Duration(0), int64(0)
			for _, n := range []int{1, 64, 200, 256, 300, 512, 600, 1024, 1100, 2048} {
				cpu, mem := encoderCost(f, n, n, lossy, true, 100)
				if steps := lossy && (f == WebP || f == AVIF) || f == AVIF; !steps || (n != 600 && n != 1100) {
					assert.Greater(t, cpu, prevCPU, "%v lossy=%v %d²", f, lossy, n)
				}
				assert.Greater(t, mem, prevMem, "%v lossy=%v %d²", f, lossy, n)
				prevCPU, prevMem = cpu, mem
				fastCPU, _ := encoderCostOf(encoding{format: f, lossless: !lossy, fast: true, quality: 100}, n, n)
				assert.LessOrEqual(t, fastCPU, cpu)
			}
		}
	}
	cpu, _ := encoderCost(AVIF, 2048, 2048, true, true, 0)
	assert.Greater(t, cpu, 1500*time.Millisecond, "a 2048² AVIF is over the budget")
	// The quality: q_100 is the dearest; lower qualities cost no more.
	for _, f := range []Format{JPEG, WebP, AVIF} {
		top, topMem := encoderCost(f, 512, 512, true, true, 100)
		prev := time.Duration(0)
		for _, q := range []Quality{QualityAutoLow, QualityAuto, 0, 90, 100} {
			cpu, mem := encoderCost(f, 512, 512, true, true, q)
			assert.GreaterOrEqual(t, cpu, prev, "%v %v", f, q)
			assert.LessOrEqual(t, cpu, top)
			assert.LessOrEqual(t, mem, topMem)
			prev = cpu
		}
		assert.Equal(t, top, prev)
	}
	cpu, mem := encoderCost(JPEG, 200, 200, true, true, 0)
	assert.Less(t, cpu, 5*time.Millisecond)
	assert.Less(t, mem, int64(4<<20))
	WarmUp(WebP, AVIF)
	for _, f := range []Format{JPEG, WebP, AVIF} {
		cpu, mem := encoderStartCost(f)
		assert.Zero(t, cpu)
		assert.Zero(t, mem)
	}
}

var calibrateQuality = flag.Bool("calibrate-quality", false, "TestCalibrateQuality: print the quality mappings measured on the photographs")

// TestCalibrateQuality measures the mappings of qualitymap.go: for each JPEG quality, the
// quality of WebP and of AVIF (at libaom speeds 8 and 10) whose mean SSIM over the photographs
// at 200×200 is the JPEG's (the lowest that reaches it, by bisection). Run it with
//
//	go test ./imageops -run TestCalibrateQuality -calibrate-quality -v
func TestCalibrateQuality(t *testing.T) {
	if !*calibrateQuality {
		t.Skip("run with -calibrate-quality")
	}
	var imgs []image.Image
	for _, name := range qualityPhotos {
		imgs = append(imgs, testPhoto(t, name, 200))
	}
	meanSSIM := func(enc func(image.Image) []byte, f Format) float64 {
		sum := 0.0
		for _, img := range imgs {
			b := img.Bounds()
			sum += ssim(img, decodeAny(t, &Output{Bytes: enc(img), Format: f, Width: b.Dx(), Height: b.Dy()}))
		}
		return sum / float64(len(imgs))
	}
	must := func(b []byte, err error) []byte { require.NoError(t, err); return b }
	for _, jq := range []int{50, 60, 70, 80, 85, 90, 95} {
		target := meanSSIM(func(img image.Image) []byte {
			return must(encode(img, encoding{format: JPEG, quality: Quality(jq)}))
		}, JPEG)
		line := fmt.Sprintf("JPEG q%d: SSIM %.4f", jq, target)
		for _, c := range []struct {
			name  string
			f     Format
			speed int
		}{{"WebP", WebP, 4}, {"AVIF speed 8", AVIF, 8}, {"AVIF speed 10", AVIF, 10}} {
			enc := func(q int) func(image.Image) []byte {
				return func(img image.Image) []byte {
					var buf bytes.Buffer
					if c.f == WebP {
						require.NoError(t, webpEncode(&buf, img, q, c.speed, false))
					} else {
						require.NoError(t, avifEncode(&buf, img, q, c.speed))
					}
					return buf.Bytes()
				}
			}
			lo, hi := 1, 100
			if c.f == AVIF {
				hi = 99
			}
			if meanSSIM(enc(hi), c.f) < target {
				line += fmt.Sprintf(" | %s: not reached (q%d: %.4f)", c.name, hi, meanSSIM(enc(hi), c.f))
				continue
			}
			for lo < hi {
				mid := (lo + hi) / 2
				if meanSSIM(enc(mid), c.f) >= target {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			line += fmt.Sprintf(" | %s q%d", c.name, lo)
		}
		t.Log(line)
	}
}

// TestFlagLossy: fl_lossy makes WebP from a PNG lossy; without it the WebP is lossless.
func TestFlagLossy(t *testing.T) {
	src := pngBytes(t, photoImage(64))
	ll := run(t, src, "w_48", WebP)
	assert.True(t, webpLossless(ll.Bytes))
	lossy := run(t, src, "w_48,fl_lossy", WebP)
	assert.False(t, webpLossless(lossy.Bytes))
	assert.Less(t, len(lossy.Bytes), len(ll.Bytes))
}
