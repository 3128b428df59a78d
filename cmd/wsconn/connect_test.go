package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// TestConnectPipesLines sends lines of standard input and prints the
// echoes, ends on the end of input with a clean close and status 0, and
// says nothing on standard error.
func TestConnectPipesLines(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, echoBack)
	p := start(t, "connect", srv.url)
	p.send("hello")
	p.stdout.waitLine(t, "hello")
	p.send("wörld ✓")
	p.stdout.waitLine(t, "wörld ✓")
	io.WriteString(p.stdin, "a line ended by CRLF\r\n")
	p.stdout.waitLine(t, "a line ended by CRLF")
	io.WriteString(p.stdin, "the last line, without a newline")
	p.stdin.Close()
	status := p.wait()
	wantStatus(t, status, exitOK, p.stderr.String())
	want := []string{"hello", "wörld ✓", "a line ended by CRLF", "the last line, without a newline"}
	if got := p.stdout.all(); !slices.Equal(got, want) {
		t.Errorf("standard output %q, want %q", got, want)
	}
	if got := p.stderr.String(); got != "" {
		t.Errorf("standard error %q, want nothing", got)
	}
}

// TestConnectEmptyInput closes at once when there is no input at all.
func TestConnectEmptyInput(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, echoBack)
	status, stdout, stderr := runWsconn(t, "", "connect", srv.url)
	wantStatus(t, status, exitOK, stderr)
	if stdout != "" {
		t.Errorf("standard output %q, want nothing", stdout)
	}
	a := srv.next(t)
	<-a.c.Done()
	if st := a.c.CloseStatus(); st.Code != wsconn.CloseNormal || !st.Clean {
		t.Errorf("the server saw %v, want a clean close with 1000", st)
	}
}

// TestConnectBinaryOutput prints binary messages in hex by default and in
// base64 with -binary base64, with the flag before or after the URL.
func TestConnectBinaryOutput(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.SendBinary([]byte{0x00, 0xff, 0x10, 'a', '\n'})
		c.SendText("text\tas it is")
		echoBack(c, r)
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"default", []string{"connect", srv.url}, "00ff10610a"},
		{"hex", []string{"connect", "-binary", "hex", srv.url}, "00ff10610a"},
		{"base64", []string{"connect", "-binary", "base64", srv.url}, "AP8QYQo="},
		{"base64 after the URL", []string{"connect", srv.url, "-binary=base64"}, "AP8QYQo="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := start(t, tc.args...)
			p.stdout.waitLine(t, "text\tas it is")
			p.stdin.Close()
			wantStatus(t, p.wait(), exitOK, p.stderr.String())
			if got, want := p.stdout.all(), []string{tc.want, "text\tas it is"}; !slices.Equal(got, want) {
				t.Errorf("standard output %q, want %q", got, want)
			}
		})
	}
}

// TestConnectServerCloses exits when the server closes, without waiting
// for the end of input: 0 for 1000 and 1001, 1 otherwise, with the code
// and reason on standard error.
func TestConnectServerCloses(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, echoOrClose)
	for _, tc := range []struct {
		send   string
		status int
		stderr string
	}{
		{"close 1000 bye", exitOK, `the server closed the connection: 1000 (normal closure) "bye"`},
		{"close 1001 restarting", exitOK, `1001 (going away) "restarting"`},
		{"close 4001 session expired", exitFailure, `the server closed the connection: 4001 (private) "session expired"`},
		{"close 1011 oops", exitFailure, `1011 (internal error) "oops"`},
		{"abort", exitFailure, "connection lost without a closing handshake (1006)"},
	} {
		t.Run(tc.send, func(t *testing.T) {
			p := start(t, "connect", srv.url)
			p.send("first")
			p.stdout.waitLine(t, "first")
			p.send(tc.send) // standard input stays open
			status := p.wait()
			wantStatus(t, status, tc.status, p.stderr.String())
			if !strings.Contains(p.stderr.String(), tc.stderr) {
				t.Errorf("standard error %q, want it to contain %q", p.stderr, tc.stderr)
			}
		})
	}
}

// TestConnectHeadersAndProtocols sends the headers of -H, the Origin of
// -origin and the subprotocols of -protocol, in order; -v shows the
// handshake.
func TestConnectHeadersAndProtocols(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, &wsconn.AcceptOptions{
		Protocols:      []string{"chat.v1"},
		OriginPatterns: []string{"example.test"},
	}, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.SendText("protocol=" + c.Protocol())
		echoBack(c, r)
	})
	p := start(t, "connect", "-v",
		"-H", "X-Token: abc",
		"-H", "X-Multi:one", "-H", "x-multi:  two ",
		"-protocol", "chat.v2", "-protocol", "chat.v1",
		"-origin", "http://example.test",
		srv.url)
	p.stdout.waitLine(t, "protocol=chat.v1")
	r := srv.next(t).r
	if got := r.Header.Get("X-Token"); got != "abc" {
		t.Errorf("X-Token %q, want abc", got)
	}
	if got := r.Header.Values("X-Multi"); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("X-Multi %q, want [one two]", got)
	}
	if got := r.Header.Get("Origin"); got != "http://example.test" {
		t.Errorf("Origin %q, want http://example.test", got)
	}
	if got := strings.Join(r.Header.Values("Sec-WebSocket-Protocol"), ", "); got != "chat.v2, chat.v1" {
		t.Errorf("Sec-WebSocket-Protocol %q, want chat.v2, chat.v1", got)
	}
	p.stderr.waitLine(t, "> X-Token: abc")
	p.stderr.waitLine(t, "< HTTP/1.1 101 Switching Protocols")
	p.stderr.waitLine(t, "< Sec-Websocket-Protocol: chat.v1")
	p.stderr.waitContains(t, `connected (HTTP/1.1, subprotocol "chat.v1")`)
	p.stdin.Close()
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
	p.stderr.waitLine(t, "> close frame (2 bytes)")
	p.stderr.waitLine(t, "< close frame (2 bytes)")
}

// TestConnectCompress offers permessage-deflate with -compress only.
func TestConnectCompress(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, &wsconn.AcceptOptions{
		Extensions: extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{})),
	}, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.SendText("extensions=" + extensionNames(c.Extensions()))
		echoBack(c, r)
	})
	long := strings.Repeat("compressible ", 1000)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"connect", "-compress", srv.url}, "extensions=permessage-deflate"},
		{[]string{"connect", srv.url}, "extensions="},
	} {
		p := start(t, tc.args...)
		p.stdout.waitLine(t, tc.want)
		p.send(long)
		p.stdout.waitLine(t, long)
		p.stdin.Close()
		wantStatus(t, p.wait(), exitOK, p.stderr.String())
	}
}

// TestConnectRefusedHandshake prints the status of a refused handshake
// and the first lines of the body, and exits with exitRefused.
func TestConnectRefusedHandshake(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no token given\nget one at /login", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	status, stdout, stderr := runWsconn(t, "hello\n", "connect", "ws://"+srv.Listener.Addr().String()+"/")
	wantStatus(t, status, exitRefused, stderr)
	for _, want := range []string{
		"wsconn: the server refused the WebSocket handshake: HTTP/1.1 403 Forbidden\n",
		"\n  no token given\n",
		"\n  get one at /login",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("standard error %q, want it to contain %q", stderr, want)
		}
	}
	if stdout != "" {
		t.Errorf("standard output %q, want nothing", stdout)
	}
}

// TestConnectBadURL exits with exitBadURL and one line about the URL.
func TestConnectBadURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, stderr string }{
		{"example.com/chat", "no scheme; did you mean ws://example.com/chat?"},
		{"localhost:8080", "no scheme; did you mean ws://localhost:8080?"},
		{"ftp://example.com/", "the scheme must be ws, wss, http or https"},
		{"ws://", "no host"},
		{"ws://[::1/", "missing ']' in host"},
		{"ws://127.0.0.1:99999999/", "invalid port"},
	} {
		status, _, stderr := runWsconn(t, "", "connect", tc.url)
		wantStatus(t, status, exitBadURL, stderr)
		if !strings.HasPrefix(stderr, "wsconn: bad URL") || !strings.Contains(stderr, tc.stderr) || strings.Contains(stderr, "\n") {
			t.Errorf("%s: standard error %q, want one line about a bad URL with %q", tc.url, stderr, tc.stderr)
		}
	}
	// -http3 needs TLS.
	status, _, stderr := runWsconn(t, "", "connect", "-http3", "ws://127.0.0.1:1/")
	wantStatus(t, status, exitBadURL, stderr)
}

// TestConnectRefusedConnection exits with exitUnreachable when nothing
// listens on the port.
func TestConnectRefusedConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	status, _, stderr := runWsconn(t, "hello\n", "connect", "ws://"+addr+"/")
	wantStatus(t, status, exitUnreachable, stderr)
	if !strings.HasPrefix(stderr, "wsconn: connection refused: ") || strings.Contains(stderr, "\n") {
		t.Errorf("standard error %q, want one line about a refused connection", stderr)
	}
}

// TestConnectTLS fails with exitTLS against a certificate it does not
// trust, and against a server that does not speak TLS; -insecure
// connects.
func TestConnectTLS(t *testing.T) {
	t.Parallel()
	srv := newServer(t, tlsServer, nil, echoBack)
	status, _, stderr := runWsconn(t, "hello\n", "connect", srv.url)
	wantStatus(t, status, exitTLS, stderr)
	if !strings.HasPrefix(stderr, "wsconn: TLS failure: ") || !strings.Contains(stderr, "-insecure") || strings.Contains(stderr, "\n") {
		t.Errorf("standard error %q, want one line about the certificate", stderr)
	}

	status, stdout, stderr := runWsconn(t, "hello\n", "connect", "-insecure", srv.url)
	wantStatus(t, status, exitOK, stderr)
	if stdout != "hello" {
		t.Errorf("standard output %q, want hello", stdout)
	}

	plain := newServer(t, plainServer, nil, echoBack)
	status, _, stderr = runWsconn(t, "hello\n", "connect", "-insecure", strings.Replace(plain.url, "ws://", "wss://", 1))
	wantStatus(t, status, exitTLS, stderr)
	if !strings.Contains(stderr, "is it a TLS server?") {
		t.Errorf("standard error %q, want a question about TLS", stderr)
	}
}

// TestConnectHTTP2 runs the WebSocket over HTTP/2 with -http2.
func TestConnectHTTP2(t *testing.T) {
	t.Parallel()
	srv := newServer(t, h2Server, nil, echoBack)
	p := start(t, "connect", "-http2", "-insecure", "-v", srv.url)
	p.send("over h2")
	p.stdout.waitLine(t, "over h2")
	if r := srv.next(t).r; r.ProtoMajor != 2 {
		t.Errorf("the server got %s, want HTTP/2", r.Proto)
	}
	p.stderr.waitLine(t, "> CONNECT / HTTP/2.0")
	p.stdin.Close()
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
}

// TestConnectHTTP3 runs the WebSocket over HTTP/3 with -http3.
func TestConnectHTTP3(t *testing.T) {
	t.Parallel()
	url, conns := startHTTP3Server(t, echoBack)
	p := start(t, "connect", "-http3", "-insecure", url)
	p.send("over h3")
	p.stdout.waitLine(t, "over h3")
	if a := <-conns; a.r.ProtoMajor != 3 {
		t.Errorf("the server got %s, want HTTP/3", a.r.Proto)
	}
	p.stdin.Close()
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
}

// TestConnectPings shows keepalive pings and their pongs with -v.
func TestConnectPings(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, echoBack)
	p := start(t, "connect", "-v", "-ping-interval", "20ms", "-ping-timeout", "10s", srv.url)
	p.stderr.waitLine(t, "> ping frame (0 bytes)")
	p.stderr.waitLine(t, "< pong frame (0 bytes)")
	p.stdin.Close()
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
}

// TestConnectMaxMessage closes with 1009 on a message over -max-message.
func TestConnectMaxMessage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.SendText("small")
		c.SendText(strings.Repeat("x", 100))
		echoBack(c, r)
	})
	p := start(t, "connect", "-max-message", "10", srv.url)
	p.stdout.waitLine(t, "small")
	wantStatus(t, p.wait(), exitFailure, p.stderr.String())
	if !strings.Contains(p.stderr.String(), "closed with 1009 (message too big)") {
		t.Errorf("standard error %q, want the 1009 close", p.stderr)
	}
}

// TestConnectInterrupt closes with 1000 on SIGINT.
func TestConnectInterrupt(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, echoBack)
	p := start(t, "connect", srv.url)
	p.send("hi")
	p.stdout.waitLine(t, "hi")
	a := srv.next(t)
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
	<-a.c.Done()
	if st := a.c.CloseStatus(); st.Code != wsconn.CloseNormal {
		t.Errorf("the server saw %v, want 1000", st)
	}
}

// TestUsage exits with exitUsage and a hint on a bad command line, and
// prints the help with -h.
func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"connect"},
		{"connect", "ws://a/", "ws://b/"},
		{"connect", "-binary", "octal", "ws://a/"},
		{"connect", "-H", "no colon", "ws://a/"},
		{"connect", "-H", "bad name: x", "ws://a/"},
		{"connect", "-http2", "-http3", "wss://a/"},
		{"connect", "-ping-timeout", "1s", "ws://a/"},
		{"connect", "-proxy", "ftp://proxy/", "ws://a/"},
		{"connect", "-nosuchflag", "ws://a/"},
		{"listen"},
		{"listen", "-cert", "c.pem", "127.0.0.1:0"},
		{"listen", "-tls", "-cert", "c.pem", "127.0.0.1:0"},
	} {
		status, stdout, stderr := runWsconn(t, "", args...)
		if status != exitUsage || stdout != "" || stderr == "" {
			t.Errorf("wsconn %q: status %d, stdout %q, stderr %q; want %d and a message on stderr", args, status, stdout, stderr, exitUsage)
		}
	}
	for _, args := range [][]string{{"-h"}, {"help"}, {"help", "connect"}, {"connect", "-h"}, {"listen", "-help"}} {
		status, stdout, stderr := runWsconn(t, "", args...)
		if status != exitOK || !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "Exit status:") || stderr != "" {
			t.Errorf("wsconn %q: status %d, stdout %q, stderr %q; want the help on stdout", args, status, stdout, stderr)
		}
	}
}

// TestConnectProxy goes through the proxy of -proxy.
func TestConnectProxy(t *testing.T) {
	t.Parallel()
	srv := newServer(t, plainServer, nil, echoBack)
	proxyURL, targets := startConnectProxy(t)
	status, stdout, stderr := runWsconn(t, "through the proxy\n", "connect", "-proxy", proxyURL, srv.url)
	wantStatus(t, status, exitOK, stderr)
	if stdout != "through the proxy" {
		t.Errorf("standard output %q", stdout)
	}
	select {
	case target := <-targets:
		if want := strings.TrimSuffix(strings.TrimPrefix(srv.url, "ws://"), "/"); target != want {
			t.Errorf("the proxy was asked for %s, want %s", target, want)
		}
	default:
		t.Error("the proxy was not used")
	}
}
