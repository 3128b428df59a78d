package examples_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/http3"
	"github.com/wsconn/wsconn/internal/echotest"
	"github.com/wsconn/wsconn/internal/selfsigned"
)

// summaryLine is echoclient's line for a run in which every echo matched.
var summaryLine = regexp.MustCompile(`^echoed ([0-9]+) messages of ([0-9]+) bytes: ([0-9]+) matched, 0 mismatched in [0-9.]+[µnm]?s( with permessage-deflate)?\n$`)

// runClient runs echoclient with args and returns its stdout, stderr and
// exit code.
func runClient(t *testing.T, client string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(client, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("echoclient: %v", err)
	}
	return out.String(), errOut.String(), 0
}

// echoCase is an echoclient run against an echoserver and the HTTP
// version the server must report it on.
type echoCase struct {
	name  string
	srv   *echoProcess
	path  string   // the URL's path, which the server's -v line shows
	args  []string // echoclient's, besides -url
	proto string   // the PROTO of the server's "accepted" line
}

// run runs c as a subtest: the client must print a summary in which
// every echo matched, and the server must have accepted the WebSocket
// over c.proto.
func (c echoCase) run(t *testing.T, client string) {
	t.Run(c.name, func(t *testing.T) {
		url := strings.TrimSuffix(c.srv.URL, "/") + c.path
		stdout, stderr, code := runClient(t, client, nil, append([]string{"-url", url}, c.args...)...)
		if code != 0 {
			t.Fatalf("echoclient -url %s %s: exit status %d; stderr: %s", url, strings.Join(c.args, " "), code, stderr)
		}
		if !summaryLine.MatchString(stdout) {
			t.Errorf("output %q is not a summary line", stdout)
		}
		c.srv.waitAccepted(t, c.proto, c.path)
	})
}

// TestEchoOverHTTPVersions runs echoclient against echoserver -v over
// every HTTP version they share, and checks the version the server
// reports: -http2 over TLS (h2) and without (h2c), -http3, HTTP/1.1 over
// TLS and without, and a server that serves HTTP/1.1 alone.
func TestEchoOverHTTPVersions(t *testing.T) {
	server, client := echotest.Build(t, raceEnabled)
	tlsSrv := startEcho(t, server, "-tls", "-v")
	h1Srv := startEcho(t, server, "-tls", "-v", "-http2=false")
	h3Srv := startEcho(t, server, "-tls", "-http3", "-v")
	plain := startEcho(t, server, "-v")
	if !strings.HasPrefix(tlsSrv.URL, "wss://") || !strings.HasPrefix(plain.URL, "ws://") {
		t.Fatalf("listening on %s with -tls and %s without, want wss:// and ws://", tlsSrv.URL, plain.URL)
	}
	mib := strconv.Itoa(1 << 20)
	for _, c := range []echoCase{
		{"wss over HTTP/2", tlsSrv, "/h2", []string{"-insecure", "-http2"}, "HTTP/2.0"},
		{"wss over HTTP/1.1", tlsSrv, "/h1", []string{"-insecure"}, "HTTP/1.1"},
		{"wss over HTTP/2, 1 MiB binary, deflate", tlsSrv, "/h2/big", []string{"-insecure", "-http2", "-deflate", "-binary", "-count", "4", "-size", mib}, "HTTP/2.0"},
		{"wss over HTTP/2, 1 MiB text", tlsSrv, "/h2/text", []string{"-insecure", "-http2", "-count", "4", "-size", mib}, "HTTP/2.0"},
		{"wss to a server of HTTP/1.1 alone", h1Srv, "/h1only", []string{"-insecure"}, "HTTP/1.1"},
		{"ws over h2c", plain, "/h2c", []string{"-http2"}, "HTTP/2.0"},
		{"ws over HTTP/1.1", plain, "/ws", nil, "HTTP/1.1"},
		{"wss over HTTP/3", h3Srv, "/h3", []string{"-insecure", "-http3"}, "HTTP/3.0"},
		{"wss over HTTP/3, 1 MiB binary, deflate", h3Srv, "/h3/big", []string{"-insecure", "-http3", "-deflate", "-binary", "-count", "4", "-size", mib}, "HTTP/3.0"},
		{"wss over HTTP/2 to an HTTP/3 server", h3Srv, "/h3/h2", []string{"-insecure", "-http2"}, "HTTP/2.0"},
		{"wss over HTTP/1.1 to an HTTP/3 server", h3Srv, "/h3/h1", []string{"-insecure"}, "HTTP/1.1"},
	} {
		c.run(t, client)
	}

	t.Run("-http2 to a server without HTTP/2 fails", func(t *testing.T) {
		_, stderr, code := runClient(t, client, nil, "-url", h1Srv.URL+"no-h2", "-insecure", "-http2")
		if code != 1 || !strings.Contains(stderr, "HTTP/2") {
			t.Errorf("exit status %d, stderr %q; want 1 and why", code, stderr)
		}
	})
	t.Run("-http2 and -http3 together are refused", func(t *testing.T) {
		_, stderr, code := runClient(t, client, nil, "-url", h3Srv.URL, "-insecure", "-http2", "-http3")
		if code != 2 || !strings.Contains(stderr, "-http2 or -http3") {
			t.Errorf("exit status %d, stderr %q; want 2 and why", code, stderr)
		}
	})
	t.Run("self-signed certificate without -insecure fails", func(t *testing.T) {
		_, stderr, code := runClient(t, client, nil, "-url", tlsSrv.URL+"verify")
		if code != 1 || !strings.Contains(stderr, "certificate") {
			t.Errorf("exit status %d, stderr %q; want 1 and why", code, stderr)
		}
	})
}

// TestEchoserverCertFiles serves a certificate of the test's with -cert
// and -key, and checks that clients that trust it alone verify it.
func TestEchoserverCertFiles(t *testing.T) {
	server, client := echotest.Build(t, raceEnabled)
	dir := t.TempDir()
	certPEM, keyPEM, cert := testCertificate(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startEcho(t, server, "-tls", "-cert", certFile, "-key", keyFile, "-v")

	roots := x509.NewCertPool()
	roots.AddCert(cert)
	t.Run("TLS handshake verifies", func(t *testing.T) {
		conn, err := tls.Dial("tcp", srv.Addr, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		st := conn.ConnectionState()
		if !st.PeerCertificates[0].Equal(cert) {
			t.Errorf("served certificate %v, want the test's", st.PeerCertificates[0].Subject)
		}
		if st.NegotiatedProtocol != "h2" {
			t.Errorf("ALPN chose %q, want h2", st.NegotiatedProtocol)
		}
	})
	t.Run("wsconn.Dial verifies", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), echotest.Wait)
		defer cancel()
		opts := &wsconn.DialOptions{TLSConfig: &tls.Config{RootCAs: roots}}
		opts.HTTPProtocols.SetHTTP2(true)
		c, _, err := wsconn.Dial(ctx, srv.URL+"verified", opts)
		if err != nil {
			t.Fatal(err)
		}
		c.Close(wsconn.CloseNormal, "")
		srv.waitAccepted(t, "HTTP/2.0", "/verified")
	})
	if runtime.GOOS == "linux" {
		// Go on Linux reads its roots from SSL_CERT_FILE when it is set.
		t.Run("echoclient verifies", func(t *testing.T) {
			stdout, stderr, code := runClient(t, client, []string{"SSL_CERT_FILE=" + certFile}, "-url", srv.URL+"client", "-http2", "-count", "3")
			if code != 0 || !summaryLine.MatchString(stdout) {
				t.Fatalf("exit status %d, output %q; stderr: %s", code, stdout, stderr)
			}
			srv.waitAccepted(t, "HTTP/2.0", "/client")
		})
	}
}

// testCertificate makes a self-signed certificate for 127.0.0.1 and
// localhost, and returns it and its key in PEM, and parsed.
func testCertificate(t *testing.T) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	c, err := selfsigned.New("wsconn examples test")
	if err != nil {
		t.Fatal(err)
	}
	if certPEM, keyPEM, err = selfsigned.PEM(c); err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM, c.Leaf
}

// TestEchoserverUsage checks that the flags that go together are refused
// apart, with exit status 2, and that a certificate that cannot be read
// is an error, exit status 1.
func TestEchoserverUsage(t *testing.T) {
	server, _ := echotest.Build(t, raceEnabled)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"-http3"}, 2, "-http3 needs -tls"},
		{[]string{"-tls", "-cert", missing}, 2, "give -cert and -key together"},
		{[]string{"-cert", missing, "-key", missing}, 2, "-cert and -key need -tls"},
		{[]string{"-tls", "-cert", missing, "-key", missing}, 1, "missing.pem"},
		{[]string{"extra"}, 2, "unexpected arguments"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(server, append([]string{"-addr", "127.0.0.1:0"}, tt.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(echotest.Wait):
				cmd.Process.Kill()
				<-done
				t.Fatalf("echoserver %s did not exit; stdout: %s", strings.Join(tt.args, " "), stdout.String())
			}
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != tt.code {
				t.Errorf("echoserver %s: %v, want exit status %d", strings.Join(tt.args, " "), err, tt.code)
			}
			if !strings.Contains(stderr.String(), tt.says) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.says)
			}
		})
	}
}

// TestShutdownOverHTTP2AndHTTP3 checks that SIGTERM closes WebSockets
// over HTTP/2 and HTTP/3 as those over HTTP/1.1, with 1001, and that the
// server does not wait for its shutdown deadline: WebSockets over HTTP/2
// and HTTP/3 are requests, which the servers' Shutdown waits for.
func TestShutdownOverHTTP2AndHTTP3(t *testing.T) {
	server, _ := echotest.Build(t, raceEnabled)
	srv := startEcho(t, server, "-tls", "-http3", "-v")
	ctx, cancel := context.WithTimeout(context.Background(), echotest.Wait)
	defer cancel()
	var conns []*wsconn.WebsocketConnection
	var closed []chan struct{}
	h2 := func(p *http.Protocols) { p.SetHTTP2(true) }
	for _, p := range []struct {
		path   string
		proto  string
		protos func(*http.Protocols) // nil: HTTP/3
	}{
		{"/h2/a", "HTTP/2.0", h2},
		{"/h2/b", "HTTP/2.0", h2},
		{"/h1", "HTTP/1.1", func(p *http.Protocols) { p.SetHTTP1(true) }},
		{"/h3/a", "HTTP/3.0", nil},
		{"/h3/b", "HTTP/3.0", nil},
	} {
		opts := &wsconn.DialOptions{TLSConfig: &tls.Config{InsecureSkipVerify: true}}
		dial := http3.Dial
		if p.protos != nil {
			p.protos(&opts.HTTPProtocols)
			dial = wsconn.Dial
		}
		c, _, err := dial(ctx, strings.TrimSuffix(srv.URL, "/")+p.path, opts)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan struct{})
		c.OnClosed(func() { close(ch) })
		conns, closed = append(conns, c), append(closed, ch)
		srv.waitAccepted(t, p.proto, p.path)
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("echoserver after SIGTERM: %v", err)
	}
	for i, c := range conns {
		select {
		case <-closed[i]:
		case <-time.After(echotest.Wait):
			t.Fatalf("connection %d did not close", i)
		}
		if st := c.CloseStatus(); st.Code != wsconn.CloseGoingAway || !st.Clean {
			t.Errorf("connection %d: close status %+v, want a clean close with 1001", i, st)
		}
	}
	if s := srv.stderr.String(); strings.Contains(s, "deadline") || strings.Contains(s, "did not close") {
		t.Errorf("the server waited for its shutdown deadline: %s", s)
	}
}
