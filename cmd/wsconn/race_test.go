//go:build race

package main

// raceEnabled reports whether the tests run under the race detector; the
// command is then built with it too.
const raceEnabled = true
