//go:build race

package main

// raceEnabled reports whether the race detector is on; the tests then
// build the programs with it too.
const raceEnabled = true
