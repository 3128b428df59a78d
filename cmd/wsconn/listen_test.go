package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
)

// startListen starts "wsconn listen" with args and 127.0.0.1:0, and
// returns it with the URL it listens on.
func startListen(t *testing.T, args ...string) (*proc, string) {
	t.Helper()
	p := start(t, append([]string{"listen", "127.0.0.1:0"}, args...)...)
	line := p.stderr.waitContains(t, "listening on ")
	url, ok := strings.CutPrefix(line, "listening on ")
	if !ok || !strings.HasSuffix(url, "/") {
		t.Fatalf("listen printed %q", line)
	}
	return p, url
}

// dial connects a client to url, over HTTP/2 with h2.
func dial(t *testing.T, url string, h2 bool, protocols ...string) *wsconn.WebsocketConnection {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	opts := &wsconn.DialOptions{
		Protocols: protocols,
		TLSConfig: &tls.Config{InsecureSkipVerify: true}, // listen -tls's own certificate
		Proxy:     func(*http.Request) (*neturl.URL, error) { return nil, nil },
	}
	if h2 {
		opts.HTTPProtocols.SetHTTP2(true)
		opts.HTTPProtocols.SetUnencryptedHTTP2(true)
	}
	c, _, err := wsconn.Dial(ctx, url, opts)
	if err != nil {
		t.Fatalf("dialing %s: %v", url, err)
	}
	t.Cleanup(c.Abort)
	return c
}

// receive returns the next text message of c.
func receive(t *testing.T, c *wsconn.WebsocketConnection) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	typ, data, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("receiving: %v", err)
	}
	if typ != wsconn.DataText {
		t.Fatalf("received a %v message, want text", typ)
	}
	return string(data)
}

// waitClosed waits until c has closed and returns its close status.
func waitClosed(t *testing.T, c *wsconn.WebsocketConnection) wsconn.CloseStatus {
	t.Helper()
	select {
	case <-c.Done():
		return c.CloseStatus()
	case <-time.After(waitTimeout):
		t.Fatalf("the connection did not close within %v", waitTimeout)
		return wsconn.CloseStatus{}
	}
}

// TestListenBroadcast prints what each client sends after its number,
// sends each line of standard input to every client, reports clients
// coming and going on standard error, and on SIGINT closes the clients
// with 1001 and exits 0.
func TestListenBroadcast(t *testing.T) {
	t.Parallel()
	p, url := startListen(t)

	a := dial(t, url+"a", false)
	p.stderr.waitContains(t, "[1] connected from ")
	b := dial(t, url+"b", false, "chat")
	p.stderr.waitContains(t, `[2] connected from `)
	p.stderr.waitContains(t, `to /b (HTTP/1.1, subprotocol "chat")`)

	a.SendText("hello from a")
	p.stdout.waitLine(t, "[1] hello from a")
	b.SendText("hello from b")
	p.stdout.waitLine(t, "[2] hello from b")
	b.SendBinary([]byte{1, 2, 0xfe})
	p.stdout.waitLine(t, "[2] 0102fe")

	p.send("to everyone")
	if got := receive(t, a); got != "to everyone" {
		t.Errorf("a received %q", got)
	}
	if got := receive(t, b); got != "to everyone" {
		t.Errorf("b received %q", got)
	}

	a.Close(wsconn.CloseNormal, "done")
	waitClosed(t, a)
	p.stderr.waitLine(t, `[1] disconnected: the client closed the connection: 1000 (normal closure) "done"`)
	p.send("to b alone")
	if got := receive(t, b); got != "to b alone" {
		t.Errorf("b received %q", got)
	}

	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	st := waitClosed(t, b)
	if st.Code != wsconn.CloseGoingAway || !st.Remote {
		t.Errorf("b saw %v, want the server's 1001", st)
	}
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
	p.stderr.waitLine(t, `[2] disconnected: closed by this server with 1001 (going away) "server shutting down"`)
}

// TestListenEcho sends every message back to its sender with -echo, and
// still prints it.
func TestListenEcho(t *testing.T) {
	t.Parallel()
	p, url := startListen(t, "-echo", "-binary", "base64")
	a := dial(t, url, false)
	b := dial(t, url, false)
	a.SendText("ping from a")
	b.SendText("ping from b")
	if got := receive(t, a); got != "ping from a" {
		t.Errorf("a received %q", got)
	}
	if got := receive(t, b); got != "ping from b" {
		t.Errorf("b received %q", got)
	}
	a.SendBinary([]byte{0, 1, 2})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if data, err := a.ReceiveBinary(ctx); err != nil || string(data) != "\x00\x01\x02" {
		t.Errorf("a received %q, %v", data, err)
	}
	p.stdout.waitContains(t, "] ping from a")
	p.stdout.waitContains(t, "] ping from b")
	p.stdout.waitContains(t, "] AAEC")

	// A client that closes right after its last message still gets the
	// echo before the server's close frame.
	c := dial(t, url, false)
	c.SendText("last words")
	c.Close(wsconn.CloseNormal, "")
	if got := receive(t, c); got != "last words" {
		t.Errorf("c received %q", got)
	}
	if st := waitClosed(t, c); st.Code != wsconn.CloseNormal || !st.Clean {
		t.Errorf("c closed with %v", st)
	}

	p.cmd.Process.Signal(os.Interrupt)
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
}

// TestListenTLS serves wss:// with a certificate of its own, over HTTP/2
// as well as HTTP/1.1.
func TestListenTLS(t *testing.T) {
	t.Parallel()
	p, url := startListen(t, "-tls", "-echo")
	if !strings.HasPrefix(url, "wss://127.0.0.1:") {
		t.Fatalf("listening on %s, want wss://127.0.0.1:PORT/", url)
	}
	p.stderr.waitContains(t, "self-signed certificate for 127.0.0.1, ::1 and localhost")
	for i, h2 := range []bool{false, true} {
		c := dial(t, url, h2)
		c.SendText("secure")
		if got := receive(t, c); got != "secure" {
			t.Errorf("received %q", got)
		}
		proto := []string{"(HTTP/1.1)", "(HTTP/2.0)"}[i]
		p.stderr.waitContains(t, proto)
	}
	// The connect command, against it.
	status, stdout, stderr := runWsconn(t, "hi\n", "connect", "-insecure", "-http2", url)
	wantStatus(t, status, exitOK, stderr)
	if stdout != "hi" {
		t.Errorf("connect printed %q", stdout)
	}
	p.cmd.Process.Signal(os.Interrupt)
	wantStatus(t, p.wait(), exitOK, p.stderr.String())
}

// TestListenAddressInUse fails with one line when the address is taken.
func TestListenAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	status, _, stderr := runWsconn(t, "", "listen", ln.Addr().String())
	wantStatus(t, status, exitFailure, stderr)
	if !strings.Contains(stderr, "address already in use") || strings.Contains(stderr, "\n") {
		t.Errorf("standard error %q, want one line about the address", stderr)
	}
}
