//go:build !race

package jpeg

// raceEnabled is whether the tests run with the race detector (see race_test.go).
const raceEnabled = false
