//go:build linux

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// pagePeer returns node for test, which drives a page in the suite's
// Chromium with playwright-core, or skips it (fails it with
// WSCONN_INTEROP_REQUIRED=1) when node, playwright-core or Chromium is
// missing. dir is the interop directory.
func pagePeer(t *testing.T, dir, test string) string {
	t.Helper()
	var problem string
	node, err := exec.LookPath("node")
	switch {
	case err != nil:
		problem = "node (Node.js 20 or later) is not on PATH"
	case !fileExists(filepath.Join(dir, "node_modules", "playwright-core", "package.json")):
		problem = "the npm package playwright-core is not in interop/node_modules"
	case !fileExists(chromiumPath):
		problem = chromiumPath + " not found"
	default:
		return node
	}
	note := fmt.Sprintf("%s needs Chromium, node and playwright-core (%s): install them with `%s`", test, problem, chromiumInstall)
	if os.Getenv("WSCONN_INTEROP_REQUIRED") == "1" {
		t.Fatal(note + " (WSCONN_INTEROP_REQUIRED=1)")
	}
	t.Skip(note)
	return ""
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// killTree kills the process pid, its descendants and its group (started
// with Setpgid).
func killTree(pid int) {
	for _, p := range processTree(pid) {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	syscall.Kill(-pid, syscall.SIGKILL)
}
