//go:build race

package imageops

// raceEnabled reports whether the race detector is on: the slow measurements of the encoders
// (SSIM over photographs at many qualities) scale down, as they measure, not race, and the
// careful face reference of the evaluation is left out.
const raceEnabled = true
