//go:build !linux

package interop

import "testing"

// TestWasm needs Linux, as TestInterop does: it runs the suite's Chromium.
func TestWasm(t *testing.T) {
	t.Skip("the wasm test runs on Linux")
}
