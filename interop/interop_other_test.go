//go:build !linux

package interop

import "testing"

// TestInterop needs Linux: the agents are stopped and killed through /proc
// and process groups, and the peers' paths are Debian's.
func TestInterop(t *testing.T) {
	t.Skip("the interoperability suite runs on Linux")
}
