package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nodeWSModule is where the interoperability suite's npm ci puts Node's
// ws package, relative to this directory.
const nodeWSModule = "../../interop/node_modules/ws"

// startNodeEchoServer starts testdata/ws_echo_server.js, an echo server
// on Node's ws, and returns its ws:// URL. Without node or the ws package
// it skips the test, or fails it when WSCONN_INTEROP_REQUIRED=1 (as CI
// sets): a peer that CI installs must not be skipped silently there.
func startNodeEchoServer(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if os.Getenv("WSCONN_INTEROP_REQUIRED") == "1" {
			t.Fatalf("%s (WSCONN_INTEROP_REQUIRED=1)", why)
		}
		t.Skipf("%s; to run this test, install Node.js 20 or later and run npm ci in interop/", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	module, err := filepath.Abs(nodeWSModule)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(module, "package.json")); err != nil {
		missing("Node's ws package is not in interop/node_modules")
	}
	cmd := exec.Command(node, filepath.Join("testdata", "ws_echo_server.js"))
	cmd.Env = append(os.Environ(), "WS_MODULE="+module)
	p := startCmd(t, cmd)
	t.Cleanup(func() { p.stdin.Close() }) // the server exits at the end of its input
	line := p.stdout.waitContains(t, "listening ")
	return "ws://127.0.0.1:" + strings.TrimPrefix(line, "listening ") + "/"
}

// TestConnectNodeWS pipes lines through Node's ws echo server, with and
// without permessage-deflate, and exits with the status of the server's
// close.
func TestConnectNodeWS(t *testing.T) {
	t.Parallel()
	url := startNodeEchoServer(t)

	// All the input at once: the close follows the messages at once.
	status, stdout, stderr := runWsconn(t, "one\ntwo\nthree\n", "connect", url)
	wantStatus(t, status, exitOK, stderr)
	if stdout != "one\ntwo\nthree" {
		t.Errorf("standard output %q, want the three lines", stdout)
	}

	p := start(t, "connect", "-compress", "-v", "-protocol", "chat", url)
	long := strings.Repeat("deflate me ", 500)
	p.send(long)
	p.stdout.waitLine(t, long)
	p.stderr.waitLine(t, "< Sec-Websocket-Extensions: permessage-deflate")
	p.stderr.waitLine(t, "< Sec-Websocket-Protocol: chat")
	p.stdin.Close()
	wantStatus(t, p.wait(), exitOK, p.stderr.String())

	status, _, stderr = runWsconn(t, "hello\nclose 4002 node says no\n", "connect", url)
	wantStatus(t, status, exitFailure, stderr)
	if !strings.Contains(stderr, `4002 (private) "node says no"`) {
		t.Errorf("standard error %q, want the 4002 close", stderr)
	}

	for _, input := range []string{"close 1000", "close"} {
		p := start(t, "connect", url)
		p.send(input) // standard input stays open: the server closes
		wantStatus(t, p.wait(), exitOK, p.stderr.String())
	}
}
