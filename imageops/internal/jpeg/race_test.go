//go:build race

package jpeg

// raceEnabled is whether the tests run with the race detector, which makes decoding about ten
// times slower: the long tests then do what they do in short mode.
const raceEnabled = true
