//go:build !race

package resize

// raceEnabled says whether the race detector is on: it slows the code down several times, so
// the processor time model is not checked then.
const raceEnabled = false
