package imageops

// Each lossy format's own quality for a JPEG quality: the lowest setting whose mean SSIM over
// the test photographs filled to 200×200 reaches the JPEG's (TestCalibrateQuality measures the
// points, TestQualityEquivalence checks the result; docs/formats.md has the figures). Between
// the points the mapping is linear.
//
// libwebp cannot reach the SSIM of a JPEG above quality 88 or so at any setting (its 4:2:0
// chroma, loop filter and limited-range YUV cap it), so q_auto:best and q_ from 90 give WebP its
// quality 100, and f_auto prefers JPEG to WebP above webpBeatsJPEGMaxQuality (see chooseAuto). AVIF's equivalent
// depends on libaom's speed: speed 10 needs a higher quality than speed 8 for the same SSIM.
var (
	webpQualityPoints   = []qualityPoint{{1, 1}, {50, 30}, {60, 41}, {70, 62}, {80, 82}, {85, 91}, {90, 100}, {100, 100}}
	avifQualityPoints   = []qualityPoint{{1, 1}, {50, 36}, {60, 41}, {70, 46}, {80, 54}, {85, 60}, {90, 73}, {95, 89}, {100, 99}}
	avifQualityPoints10 = []qualityPoint{{1, 1}, {50, 41}, {60, 46}, {70, 51}, {80, 58}, {85, 63}, {90, 76}, {95, 89}, {100, 99}}
)

// webpBeatsJPEGMaxQuality is the highest JPEG quality at which lossy WebP of the same SSIM is
// smaller than the JPEG (on the test photographs at 200²: 0.70× at 60, 0.85× at 80, 0.92× at
// 82, 1.02× at 85, 1.4× at 90).
const webpBeatsJPEGMaxQuality = 83

// qualityPoint maps a JPEG quality to another format's.
type qualityPoint struct{ jpeg, q int }

// webpQuality returns libwebp's lossy quality (1–100) for a JPEG quality.
func webpQuality(jpegQ int) int { return mapQuality(webpQualityPoints, jpegQ) }

// avifQuality returns libavif's quality (1–99; 100 would be lossless) for a JPEG quality at
// libaom speed.
func avifQuality(jpegQ, speed int) int {
	points := avifQualityPoints
	if speed >= 10 {
		points = avifQualityPoints10
	}
	return min(mapQuality(points, jpegQ), 99)
}

func mapQuality(points []qualityPoint, q int) int {
	q = min(max(q, 1), 100)
	for i := 1; i < len(points); i++ {
		a, b := points[i-1], points[i]
		if q <= b.jpeg {
			return a.q + ((q-a.jpeg)*(b.q-a.q)+(b.jpeg-a.jpeg)/2)/(b.jpeg-a.jpeg)
		}
	}
	return points[len(points)-1].q
}
