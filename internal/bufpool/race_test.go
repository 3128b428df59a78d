//go:build race

package bufpool

// sync.Pool drops items at random under the race detector.
const raceEnabled = true
