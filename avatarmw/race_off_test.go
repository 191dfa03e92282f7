//go:build !race

package avatarmw

// raceEnabled reports whether the race detector is on: memory and CPU-heavy tests scale down.
const raceEnabled = false
