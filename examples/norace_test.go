//go:build !race

package examples_test

// raceEnabled reports whether the race detector is on; the tests of the
// HTTP versions then build the programs with it too.
const raceEnabled = false
