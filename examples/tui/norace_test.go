//go:build !race

package main

// raceEnabled reports whether the race detector is on: the test then
// builds the program with it too.
const raceEnabled = false
