//go:build !linux

package interop

import "testing"

// TestChat needs Linux, as TestInterop does: it runs the suite's Chromium.
func TestChat(t *testing.T) {
	t.Skip("the chat test runs on Linux")
}
