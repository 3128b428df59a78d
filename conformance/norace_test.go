//go:build !race

package conformance_test

// raceEnabled reports whether the race detector is on; the suite then
// skips its heaviest cases and builds the example programs with it too.
const raceEnabled = false
