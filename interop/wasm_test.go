//go:build linux

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// What the wasm program (wasm/main.go) and TestWasm agree on.
const (
	wasmProtocol     = "echo.v1"
	wasmClientCode   = 4000
	wasmClientReason = "bye"
	wasmServerCode   = 4001
	wasmServerReason = "server says bye"
	wasmServerHello  = "hello from the server"
)

// Timing of TestWasm.
const (
	wasmBuildTimeout = 3 * time.Minute  // go build of the program, cold cache included
	wasmPageTimeout  = 45 * time.Second // the page's wait for the result (wasm_page.js)
	wasmRunTimeout   = 75 * time.Second // the whole run of wasm_page.js, the browser's start included
	wasmCloseTimeout = 10 * time.Second // the server's wait for a connection's end, once the page is done
)

// wasmChecks are the checks the program must report, all passed.
var wasmChecks = []string{
	"dial_header_unsupported", "dial_origin_unsupported", "dial_keepalive_unsupported",
	"dial", "protocol", "response_status", "ping_unsupported", "buffered_amount_idle",
	"text_echo_pull", "binary_echo_signal", "binary_echo_pull",
	"buffered_amount_after_send", "big_echo_pull", "big_echo_signal", "buffered_amount_drained",
	"client_close", "receive_after_close", "send_after_close",
	"dial_server_close", "server_message", "server_close", "server_close_clean",
}

// wasmResult is the program's report, window.wasmResult.
type wasmResult struct {
	Done   bool `json:"done"`
	Checks []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"checks"`
	Protocol   string            `json:"protocol"`
	Extensions string            `json:"extensions"`
	Buffered   map[string]int64  `json:"buffered"`
	Status     map[string]string `json:"status"`
	Panic      string            `json:"panic"`
}

// TestWasm builds the program of wasm/ for GOOS=js GOARCH=wasm, serves it
// with Go's wasm_exec.js to the suite's Chromium, and checks what the
// program reports (echoes, the subprotocol, BufferedAmount, what the
// browser refuses, a close by each side) and what wsconn's server saw: the
// browser's close with 4000 "bye", and its answer to the server's 4001.
// Chromium, node and playwright-core are found and skipped as in
// TestInterop.
func TestWasm(t *testing.T) {
	if os.Getenv("WSCONN_INTEROP") == "skip" {
		t.Skip("WSCONN_INTEROP=skip")
	}
	if testing.Short() {
		t.Skip("TestWasm builds a wasm program and starts a browser; skipped in -short mode")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	node := pagePeer(t, dir, "TestWasm")
	start := time.Now()

	out := t.TempDir()
	wasmBuild(t, dir, out)
	t.Logf("built wasm/ and copied wasm_exec.js in %v", time.Since(start).Round(time.Millisecond))

	srv := newWasmServer(t, out)
	defer srv.close()

	runStart := time.Now()
	res, raw := wasmRun(t, dir, node, srv.URL+"/")
	t.Logf("the page ran in %v; window.wasmResult:\n%s", time.Since(runStart).Round(time.Millisecond), raw)

	// What the program saw.
	if res.Panic != "" {
		t.Errorf("the program panicked:\n%s", res.Panic)
	}
	if !res.Done {
		t.Errorf("the program did not get to its end")
	}
	seen := make(map[string]bool)
	for _, c := range res.Checks {
		seen[c.Name] = true
		if !c.OK {
			t.Errorf("wasm check %s failed: %s", c.Name, c.Detail)
		}
	}
	for _, name := range wasmChecks {
		if !seen[name] {
			t.Errorf("wasm check %s was not reported", name)
		}
	}
	if res.Protocol != wasmProtocol {
		t.Errorf("the program's Protocol() = %q, want %q", res.Protocol, wasmProtocol)
	}
	if !strings.HasPrefix(res.Extensions, "permessage-deflate") {
		t.Errorf("the program's response has Sec-WebSocket-Extensions %q, want permessage-deflate (the browser's own)", res.Extensions)
	}

	// What wsconn's server saw, of the connections that the program opened.
	ctx, cancel := context.WithTimeout(context.Background(), wasmCloseTimeout)
	defer cancel()
	var ends []string
	if seen["dial"] {
		echo, err := srv.closed(ctx, "/ws/echo")
		if err != nil {
			t.Fatal(err)
		}
		srv.checkConn(t, echo)
		if st := echo.status; st.Code != wasmClientCode || st.Reason != wasmClientReason || !st.Remote || !st.Clean {
			t.Errorf("server, echo connection: %s; want received %d %q from the browser, clean", st, wasmClientCode, wasmClientReason)
		}
		ends = append(ends, "echo connection "+echo.status.String())
	}
	if seen["dial_server_close"] {
		sc, err := srv.closed(ctx, "/ws/server-close")
		if err != nil {
			t.Fatal(err)
		}
		srv.checkConn(t, sc)
		if st := sc.status; st.SentCode != wasmServerCode || st.SentReason != wasmServerReason || st.Remote || !st.Clean {
			t.Errorf("server, closing connection: %s; want sent %d %q, answered, clean", st, wasmServerCode, wasmServerReason)
		}
		ends = append(ends, "closing connection "+sc.status.String())
	}
	if extra := srv.extra(); len(extra) > 0 {
		t.Errorf("the server accepted connections the program does not open: %v", extra)
	}
	t.Logf("server: %s", strings.Join(ends, "; "))
	t.Logf("TestWasm took %v", time.Since(start).Round(time.Millisecond))
}

// wasmBuild builds wasm/ into out/main.wasm and copies Go's wasm_exec.js
// beside it.
func wasmBuild(t *testing.T, dir, out string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is not on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wasmBuildTimeout)
	defer cancel()
	args := []string{"build", "-o", filepath.Join(out, "main.wasm"), "./wasm"}
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go %s: %v\n%s", strings.Join(args, " "), err, b)
	}

	cmd = exec.CommandContext(ctx, goTool, "env", "GOROOT")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	goroot := strings.TrimSpace(string(b))
	var js []byte
	for _, rel := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} { // Go 1.24 on, then before
		if js, err = os.ReadFile(filepath.Join(goroot, rel)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("wasm_exec.js not found in %s/lib/wasm nor %s/misc/wasm: %v", goroot, goroot, err)
	}
	if err := os.WriteFile(filepath.Join(out, "wasm_exec.js"), js, 0o644); err != nil {
		t.Fatal(err)
	}
}

// wasmRun runs peers/wasm_page.js on url and returns the program's result,
// parsed and as printed.
func wasmRun(t *testing.T, dir, node, url string) (*wasmResult, string) {
	t.Helper()
	cmd := exec.Command(node, "peers/wasm_page.js",
		"--user-data-dir", t.TempDir(),
		"--executable", chromiumPath,
		"--timeout-ms", fmt.Sprint(wasmPageTimeout.Milliseconds()),
		url)
	cmd.Dir = dir
	cmd.Env = agentEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // see killTree
	cmd.WaitDelay = agentStopTimeout
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting peers/wasm_page.js: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	select {
	case err = <-exited:
	case <-time.After(wasmRunTimeout):
		killTree(cmd.Process.Pid)
		err = fmt.Errorf("no result in %v: killed", wasmRunTimeout)
		<-exited // bounded by WaitDelay
	}
	killTree(cmd.Process.Pid) // whatever the browser left behind
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("peers/wasm_page.js stderr (the page's console):\n%s", s)
	}
	if err != nil {
		t.Fatalf("peers/wasm_page.js %s: %v", url, err)
	}
	raw := strings.TrimSpace(stdout.String())
	res := new(wasmResult)
	if err := json.Unmarshal([]byte(raw), res); err != nil {
		t.Fatalf("peers/wasm_page.js printed %q, not the program's JSON result: %v", raw, err)
	}
	var indented bytes.Buffer
	if json.Indent(&indented, []byte(raw), "", "  ") == nil {
		raw = indented.String()
	}
	return res, raw
}

// A wasmServer serves the page, the program and wasm_exec.js, and wsconn's
// WebSocket endpoints: /ws/echo echoes every message and /ws/server-close
// sends wasmServerHello and closes with 4001. It records how each
// connection ended.
type wasmServer struct {
	*httptest.Server
	ends chan wasmConn

	mu       sync.Mutex
	conns    []*wsconn.WebsocketConnection
	early    []wasmConn // ends that came before closed asked for them
	echoErrs []error
}

// wasmConn is what the server saw of one connection.
type wasmConn struct {
	path     string
	origin   string
	protocol string
	status   wsconn.CloseStatus
	errs     []error
}

// wasmPage is the page: it runs the program with wasm_exec.js, and reports
// a failure to start it, or an exit without a result, as the result.
const wasmPage = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>wsconn wasm test</title></head>
<body>
<script src="/wasm_exec.js"></script>
<script>
'use strict';
const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
window.wasmEchoURL = scheme + '//' + location.host + '/ws/echo';
window.wasmCloseURL = scheme + '//' + location.host + '/ws/server-close';
(async () => {
  const fail = (msg) => {
    if (typeof window.wasmResult === 'string') return; // the program reported
    console.error(msg);
    window.wasmResult = JSON.stringify({done: false, checks: [{name: 'page', ok: false, detail: msg}]});
  };
  try {
    const go = new Go();
    const { instance } = await WebAssembly.instantiateStreaming(fetch('/main.wasm'), go.importObject);
    await go.run(instance);
    fail('the program exited without a result');
  } catch (err) {
    fail('running the program: ' + (err && err.stack || err));
  }
})();
</script>
</body>
</html>
`

func newWasmServer(t *testing.T, dir string) *wasmServer {
	s := &wasmServer{ends: make(chan wasmConn, 16)}
	opts := func() *wsconn.AcceptOptions {
		// The origin check stays on: the page is of the same origin.
		return &wsconn.AcceptOptions{
			Protocols:  []string{wasmProtocol},
			Extensions: extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{})),
			ConnectionOptions: &wsconn.Options{
				MaxIncomingPayloadSize: maxMessage,
				MaxTotalMessageSize:    maxMessage,
			},
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(wasmPage))
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent) // none, and no 404 on the console
	})
	mux.HandleFunc("GET /wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, filepath.Join(dir, "wasm_exec.js"))
	})
	mux.HandleFunc("GET /main.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm") // instantiateStreaming needs it
		http.ServeFile(w, r, filepath.Join(dir, "main.wasm"))
	})
	mux.Handle("/ws/echo", wsconn.Handler(opts(), func(c *wsconn.WebsocketConnection, r *http.Request) {
		s.track(c, r)
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			if err := c.SendMessage(typ, data); err != nil {
				s.mu.Lock()
				s.echoErrs = append(s.echoErrs, fmt.Errorf("echo of a %s message of %d bytes: %w", typ, len(data), err))
				s.mu.Unlock()
			}
		})
	}))
	mux.Handle("/ws/server-close", wsconn.Handler(opts(), func(c *wsconn.WebsocketConnection, r *http.Request) {
		s.track(c, r)
		if err := c.SendText(wasmServerHello); err != nil {
			t.Errorf("server: SendText: %v", err)
		}
		if err := c.Close(wasmServerCode, wasmServerReason); err != nil {
			t.Errorf("server: Close: %v", err)
		}
	}))
	s.Server = httptest.NewServer(mux)
	return s
}

// track records c's errors and end.
func (s *wasmServer) track(c *wsconn.WebsocketConnection, r *http.Request) {
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	var mu sync.Mutex
	var errs []error
	c.OnError(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	})
	path, origin := r.URL.Path, r.Header.Get("Origin")
	c.OnClosed(func() {
		mu.Lock()
		defer mu.Unlock()
		s.ends <- wasmConn{path: path, origin: origin, protocol: c.Protocol(), status: c.CloseStatus(), errs: errs}
	})
}

// closed returns the end of the connection to path.
func (s *wasmServer) closed(ctx context.Context, path string) (wasmConn, error) {
	s.mu.Lock()
	for i, e := range s.early {
		if e.path == path {
			s.early = append(s.early[:i], s.early[i+1:]...)
			s.mu.Unlock()
			return e, nil
		}
	}
	s.mu.Unlock()
	for {
		select {
		case e := <-s.ends:
			if e.path == path {
				return e, nil
			}
			s.mu.Lock()
			s.early = append(s.early, e)
			s.mu.Unlock()
		case <-ctx.Done():
			return wasmConn{}, fmt.Errorf("server: the connection to %s did not end: %w", path, context.Cause(ctx))
		}
	}
}

// extra returns the ends of connections nobody asked for.
func (s *wasmServer) extra() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.early {
		out = append(out, fmt.Sprintf("%s %s %v", e.path, e.status, e.errs))
	}
	for {
		select {
		case e := <-s.ends:
			out = append(out, fmt.Sprintf("%s %s %v", e.path, e.status, e.errs))
		default:
			return out
		}
	}
}

// checkConn checks what the server saw of the handshake and the errors of
// a connection.
func (s *wasmServer) checkConn(t *testing.T, c wasmConn) {
	t.Helper()
	if c.origin != s.URL {
		t.Errorf("server, %s: Origin %q, want the page's, %q", c.path, c.origin, s.URL)
	}
	if c.protocol != wasmProtocol {
		t.Errorf("server, %s: protocol %q, want %q", c.path, c.protocol, wasmProtocol)
	}
	errs := c.errs
	if c.path == "/ws/echo" {
		s.mu.Lock()
		errs = append(errs, s.echoErrs...)
		s.mu.Unlock()
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("server, %s: errors: %v", c.path, err)
	}
}

// close aborts the connections that are left and stops the server.
func (s *wasmServer) close() {
	s.mu.Lock()
	conns := s.conns
	s.mu.Unlock()
	for _, c := range conns {
		c.Abort()
	}
	s.Server.Close()
}
