package imageops

import (
	"strconv"
	"strings"
)

// Quality is a q_ value: 0 (not given), 1–100, or one of the automatic levels q_auto:best,
// q_auto (the same as q_auto:good), q_auto:eco and q_auto:low.
//
// Numbers are on JPEG's scale in every format: q_80 asks WebP and AVIF for the quality that
// looks like a quality-80 JPEG (equal SSIM on photographs), not for their own encoder's 80, so
// one q_ gives one visual quality whatever f_auto picks. The levels are JPEG qualities too:
// best 90, good 80, eco 70, low 60, each mapped to every format the same way. Without q_ a
// JPEG is written at DefaultQuality, and the other lossy formats at its equivalent. PNG, GIF
// and lossless WebP ignore q_.
type Quality int

// The automatic levels, Cloudinary's q_auto:<level>. Their order, from the largest and best
// to the smallest, is best, good, eco, low.
const (
	// QualityAuto is q_auto and q_auto:good: good visual quality in a small file.
	QualityAuto Quality = -1
	// QualityAutoBest is q_auto:best: the least compression of the levels.
	QualityAutoBest Quality = -2
	// QualityAutoEco is q_auto:eco: smaller files of slightly lower quality.
	QualityAutoEco Quality = -3
	// QualityAutoLow is q_auto:low: the smallest files, for thumbnails.
	QualityAutoLow Quality = -4

	// QualityAutoGood is q_auto:good, which is q_auto.
	QualityAutoGood = QualityAuto

	// lowestQuality is the smallest valid Quality.
	lowestQuality = QualityAutoLow
)

// DefaultQuality is the JPEG quality used without q_.
const DefaultQuality = 82

// autoLevels are the q_auto levels as URLs write them after "auto:", with the JPEG quality
// each stands for.
var autoLevels = [...]struct {
	q    Quality
	name string
	jpeg int
}{
	{QualityAutoBest, "best", 90},
	{QualityAuto, "good", 80},
	{QualityAutoEco, "eco", 70},
	{QualityAutoLow, "low", 60},
}

// IsAuto reports whether q is q_auto or one of its levels.
func (q Quality) IsAuto() bool { return q < 0 && q >= lowestQuality }

// String returns the canonical q_ value: "auto" (for q_auto and q_auto:good), "auto:best",
// "auto:eco", "auto:low" or the number; "" when not given.
func (q Quality) String() string {
	switch {
	case q == QualityAuto:
		return "auto"
	case q.IsAuto():
		for _, l := range autoLevels {
			if l.q == q {
				return "auto:" + l.name
			}
		}
	case q > 0:
		return strconv.Itoa(int(q))
	}
	return ""
}

// parseQuality parses a q_ value: a whole number from 1 to 100, "auto" or "auto:<level>".
// q_auto:good reads as q_auto, its canonical form.
func parseQuality(val string) (Quality, string) {
	const msg = "quality must be a whole number from 1 to 100, auto, or auto:best, auto:good, auto:eco or auto:low"
	if val == "auto" {
		return QualityAuto, ""
	}
	if level, ok := strings.CutPrefix(val, "auto:"); ok {
		for _, l := range autoLevels {
			if l.name == level {
				return l.q, ""
			}
		}
		return 0, msg
	}
	n, m := parseUint(val)
	if m != "" || n < 1 || n > 100 {
		return 0, msg
	}
	return Quality(n), ""
}

// jpegEquivalent returns the JPEG quality q stands for: the number itself, a level's JPEG
// quality, or DefaultQuality when q_ was not given.
func (q Quality) jpegEquivalent() int {
	if q > 0 {
		return min(int(q), 100)
	}
	for _, l := range autoLevels {
		if l.q == q {
			return l.jpeg
		}
	}
	return DefaultQuality
}
