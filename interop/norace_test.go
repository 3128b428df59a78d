//go:build !race

package interop

// raceEnabled reports whether the race detector is on; the suite then
// builds the echoserver program with it too.
const raceEnabled = false
