//go:build race

package wsconn

// raceEnabled shrinks the load tests under the race detector.
const raceEnabled = true
