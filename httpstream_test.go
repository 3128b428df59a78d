package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/wsconn/wsconn/extensions"
	_ "github.com/wsconn/wsconn/xconnect" // extended CONNECT in net/http's HTTP/2 server
)

// h2Server is an HTTPS test server with HTTP/2 and HTTP/1.1 that serves
// h, and counts the TCP connections it accepted.
type h2Server struct {
	*httptest.Server
	conns atomic.Int32
}

func newH2Server(t *testing.T, h http.Handler) *h2Server {
	t.Helper()
	s := &h2Server{Server: httptest.NewUnstartedServer(h)}
	s.EnableHTTP2 = true
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// dialOptions returns options that trust s and ask for HTTP/2 as given.
func (s *h2Server) dialOptions(p ...func(*http.Protocols)) *DialOptions {
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	opts := &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}}
	for _, f := range p {
		f(&opts.HTTPProtocols)
	}
	return opts
}

func (s *h2Server) wsURL(path string) string {
	return "wss" + strings.TrimPrefix(s.URL, "https") + path
}

func h2Only(p *http.Protocols)         { p.SetHTTP2(true) }
func h1AndH2(p *http.Protocols)        { p.SetHTTP1(true); p.SetHTTP2(true) }
func h2cOnly(p *http.Protocols)        { p.SetUnencryptedHTTP2(true) }
func h1Only(p *http.Protocols)         { p.SetHTTP1(true) }
func protoName(r *http.Request) string { return fmt.Sprintf("HTTP/%d.%d", r.ProtoMajor, r.ProtoMinor) }

// echoHandler echoes every message and records the protocol of each
// request it accepted.
func echoHandler(opts *AcceptOptions, protos chan<- string) http.Handler {
	if opts == nil {
		opts = &AcceptOptions{}
	}
	return Handler(opts, func(c *WebsocketConnection, r *http.Request) {
		if protos != nil {
			protos <- protoName(r)
		}
		c.OnMessage(func(typ DataType, data []byte) {
			if typ == DataText && string(data) == "close 4001" {
				c.Close(4001, "asked")
				return
			}
			c.SendMessage(typ, data)
		})
	})
}

func TestHTTP2Echo(t *testing.T) {
	protos := make(chan string, 4)
	big := &Options{MaxIncomingPayloadSize: 4 << 20, MaxTotalMessageSize: 4 << 20}
	srv := newH2Server(t, echoHandler(&AcceptOptions{
		Extensions:        extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{})),
		Protocols:         []string{"chat"},
		ConnectionOptions: big,
	}, protos))

	opts := srv.dialOptions(h2Only)
	opts.ConnectionOptions = big
	opts.Protocols = []string{"chat"}
	opts.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, resp, err := Dial(ctx, srv.wsURL("/echo"), opts)
	require.NoError(t, err)
	assert.Equal(t, "HTTP/2.0", <-protos)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, resp.ProtoMajor)
	assert.Equal(t, "chat", c.Protocol())
	require.Len(t, c.Extensions(), 1)
	assert.Equal(t, "permessage-deflate", c.Extensions()[0].Name())
	assert.Equal(t, "wss", c.URI().Scheme)
	assert.NotNil(t, c.RemoteAddr())
	r := record(c)

	mib := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	msgs := []message{{DataText, []byte("hello")}, {DataBinary, []byte{0, 1, 2, 255}}, {DataBinary, mib}, {DataText, []byte("")}}
	for _, m := range msgs {
		require.NoError(t, c.SendMessage(m.typ, m.data))
	}
	for _, m := range msgs {
		select {
		case err := <-r.errs:
			t.Fatalf("error: %v (status %+v)", err, c.CloseStatus())
		default:
		}
		got := r.message(t)
		assert.Equal(t, m.typ, got.typ)
		assert.True(t, bytes.Equal(m.data, got.data), "message of %d bytes", len(m.data))
	}

	// The server closes with its code; the stream ends cleanly.
	require.NoError(t, c.SendText("close 4001"))
	r.waitClosed(t)
	st := c.CloseStatus()
	assert.Equal(t, CloseCode(4001), st.Code)
	assert.Equal(t, "asked", st.Reason)
	assert.True(t, st.Clean, "clean close over HTTP/2: %+v", st)
	assert.Equal(t, int32(1), srv.conns.Load())
}

func TestHTTP2ClientCloses(t *testing.T) {
	srv := newH2Server(t, echoHandler(nil, nil))
	c, _, err := Dial(context.Background(), srv.wsURL("/"), srv.dialOptions(h2Only))
	require.NoError(t, err)
	r := record(c)
	require.NoError(t, c.SendText("x"))
	assert.Equal(t, "x", string(r.message(t).data))
	require.NoError(t, c.Close(CloseNormal, "bye"))
	r.waitClosed(t)
	st := c.CloseStatus()
	assert.Equal(t, CloseNormal, st.Code)
	assert.True(t, st.Clean, "%+v", st)
}

// TestHTTP2SharesConnection opens 100 WebSockets at once over HTTP/2: they
// share one TCP connection, each carries its own messages, and the
// connection closes after the last one.
func TestHTTP2SharesConnection(t *testing.T) {
	srv := newH2Server(t, echoHandler(nil, nil))
	opts := srv.dialOptions(h2Only)
	// The first Dial opens the connection the others share.
	first, _, err := Dial(context.Background(), srv.wsURL("/"), opts)
	require.NoError(t, err)

	const n = 100
	conns := make([]*WebsocketConnection, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := Dial(context.Background(), srv.wsURL(fmt.Sprintf("/%d", i)), opts)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
			msg := fmt.Sprintf("message %d", i)
			got, _, err := roundTrip(c, msg)
			if err == nil && got != msg {
				err = fmt.Errorf("WebSocket %d got %q", i, got)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(1), srv.conns.Load(), "TCP connections for %d WebSockets", n+1)

	for _, c := range append(conns, first) {
		if c != nil {
			c.Close(CloseNormal, "")
			<-c.Done()
		}
	}
	waitFor(t, "the shared HTTP/2 connection to close", func() bool {
		h2Conns.mu.Lock()
		defer h2Conns.mu.Unlock()
		return len(h2Conns.conns) == 0
	})
}

// roundTrip sends msg and receives the answer with the pull API.
func roundTrip(c *WebsocketConnection, msg string) (string, DataType, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.SendText(msg); err != nil {
		return "", 0, err
	}
	typ, data, err := c.Receive(ctx)
	return string(data), typ, err
}

// waitFor polls cond, which should become true soon, with a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHTTP2StreamReset: a server that resets the stream ends the
// connection abnormally with ErrStreamReset.
func TestHTTP2StreamReset(t *testing.T) {
	srv := newH2Server(t, Handler(nil, func(c *WebsocketConnection, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		c.Receive(ctx)              // the client's first message
		panic(http.ErrAbortHandler) // resets the stream (RST_STREAM)
	}))
	c, _, err := Dial(context.Background(), srv.wsURL("/"), srv.dialOptions(h2Only))
	require.NoError(t, err)
	r := record(c)
	require.NoError(t, c.SendText("x"))
	r.waitClosed(t)
	assert.Equal(t, CloseAbnormal, c.CloseStatus().Code)
	err = r.err(t)
	assert.ErrorIs(t, err, ErrAbnormalClosure)
	assert.ErrorIs(t, err, ErrStreamReset)
	var se http2.StreamError
	assert.ErrorAs(t, err, &se, "the HTTP/2 library's own error is wrapped")
}

// TestHTTP2ClientResets: a client that aborts resets the stream, and the
// server's connection ends abnormally with ErrStreamReset.
func TestHTTP2ClientResets(t *testing.T) {
	serverConn := make(chan *WebsocketConnection, 1)
	srv := newH2Server(t, Handler(nil, func(c *WebsocketConnection, r *http.Request) {
		serverConn <- c
	}))
	c, _, err := Dial(context.Background(), srv.wsURL("/"), srv.dialOptions(h2Only))
	require.NoError(t, err)
	sc := <-serverConn
	sr := record(sc)
	c.Abort()
	sr.waitClosed(t)
	assert.Equal(t, CloseAbnormal, sc.CloseStatus().Code)
	assert.ErrorIs(t, sr.err(t), ErrStreamReset)
}

func TestHTTP2FallsBackToHTTP1(t *testing.T) {
	// A server of HTTP/1.1 only.
	protos := make(chan string, 1)
	srv := httptest.NewTLSServer(echoHandler(nil, protos))
	defer srv.Close()
	s := &h2Server{Server: srv}
	c, resp, err := Dial(context.Background(), s.wsURL("/"), s.dialOptions(h1AndH2))
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1", <-protos)
	assert.Equal(t, 101, resp.StatusCode)
	got, _, err := roundTrip(c, "over HTTP/1.1")
	require.NoError(t, err)
	assert.Equal(t, "over HTTP/1.1", got)
	c.Close(CloseNormal, "")

	// HTTP/2 required: a clear error.
	_, _, err = Dial(context.Background(), s.wsURL("/"), s.dialOptions(h2Only))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the server speaks no HTTP/2, which DialOptions.HTTPProtocols requires")
}

func TestHTTP1OnlyAgainstHTTP2Server(t *testing.T) {
	protos := make(chan string, 1)
	srv := newH2Server(t, echoHandler(nil, protos))
	for _, p := range []func(*http.Protocols){nil, h1Only} {
		opts := srv.dialOptions()
		if p != nil {
			p(&opts.HTTPProtocols)
		}
		c, _, err := Dial(context.Background(), srv.wsURL("/"), opts)
		require.NoError(t, err)
		assert.Equal(t, "HTTP/1.1", <-protos)
		c.Close(CloseNormal, "")
		<-c.Done()
	}
}

func TestHTTPProtocolsForScheme(t *testing.T) {
	var p http.Protocols
	p.SetHTTP2(true)
	_, _, err := Dial(context.Background(), "ws://127.0.0.1:1/", &DialOptions{HTTPProtocols: p})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "allows no HTTP version for a ws URL")
}

// TestH2C runs a WebSocket over HTTP/2 without TLS (prior knowledge).
func TestH2C(t *testing.T) {
	protos := make(chan string, 2)
	srv := httptest.NewUnstartedServer(echoHandler(nil, protos))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/"

	var p http.Protocols
	h2cOnly(&p)
	c, resp, err := Dial(context.Background(), url, &DialOptions{HTTPProtocols: p})
	require.NoError(t, err)
	assert.Equal(t, "HTTP/2.0", <-protos)
	assert.Equal(t, 2, resp.ProtoMajor)
	got, _, err := roundTrip(c, "h2c")
	require.NoError(t, err)
	assert.Equal(t, "h2c", got)
	c.Close(CloseNormal, "")
	<-c.Done()
}

// TestHTTP2BadRequests sends extended CONNECT requests that a server must
// refuse, and a GET with Upgrade, which HTTP/2 forbids (RFC 8441 section
// 8): each gets a 4xx, none reaches the handler, and the HTTP/2
// connection still serves a good request after them.
func TestHTTP2BadRequests(t *testing.T) {
	accepted := make(chan string, 8)
	srv := newH2Server(t, echoHandler(nil, accepted))
	cc := srv.h2Client(t)

	good := func() *http.Request {
		req, _ := http.NewRequest(http.MethodConnect, srv.URL+"/x", nil)
		req.Header.Set(":protocol", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		return req
	}
	tests := []struct {
		name   string
		mutate func(*http.Request)
		status int
		want   string
	}{
		{"CONNECT without :protocol", func(r *http.Request) { r.Header.Del(":protocol") }, 400, "Upgrade lacks websocket: :protocol missing"},
		{"wrong :protocol", func(r *http.Request) { r.Header.Set(":protocol", "webtransport") }, 400, `"webtransport": :protocol is not "websocket"`},
		{"no version", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") }, 400, "unsupported Sec-WebSocket-Version: missing"},
		{"version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") }, 400, `unsupported Sec-WebSocket-Version "8"`},
		{"GET", func(r *http.Request) {
			r.Method = http.MethodGet
			r.Header.Del(":protocol")
			r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		}, 400, `wrong method "GET": over HTTP/2 a WebSocket opens with CONNECT`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good()
			tt.mutate(req)
			resp, err := cc.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, string(body), tt.want)
			assert.Empty(t, resp.Header.Values("Connection"))
			if tt.name == "version 8" {
				assert.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
			}
		})
	}
	assert.Empty(t, accepted, "a refused request reached the handler")

	// The connection still works: a good request is accepted on it.
	req := good()
	pr, pw := io.Pipe()
	req.Body = pr
	resp, err := cc.RoundTrip(req)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "HTTP/2.0", <-accepted)
	pw.Close()
	resp.Body.Close()
	assert.Equal(t, int32(1), srv.conns.Load())
}

// h2Client opens an HTTP/2 client connection to s.
func (s *h2Server) h2Client(t *testing.T) *http2.ClientConn {
	t.Helper()
	opts := s.dialOptions()
	cfg := opts.TLSConfig.Clone()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", s.Listener.Addr().String(), cfg)
	require.NoError(t, err)
	cc, err := (&http2.Transport{}).NewClientConn(conn)
	require.NoError(t, err)
	t.Cleanup(func() { cc.Close() })
	return cc
}

// TestHTTP2HandlerReturnsEarly: a handler that calls Accept and returns
// without waiting ends the stream; the connection ends abnormally, and
// nothing panics.
func TestHTTP2HandlerReturnsEarly(t *testing.T) {
	serverConn := make(chan *WebsocketConnection, 1)
	srv := newH2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, nil)
		if err == nil {
			serverConn <- c
		}
	}))
	c, _, err := Dial(context.Background(), srv.wsURL("/"), srv.dialOptions(h2Only))
	require.NoError(t, err)
	cr := record(c)
	sc := <-serverConn
	sr := record(sc)
	cr.waitClosed(t)
	sr.waitClosed(t)
	assert.Equal(t, CloseAbnormal, c.CloseStatus().Code)
	assert.Equal(t, CloseAbnormal, sc.CloseStatus().Code)
	assert.ErrorIs(t, sc.SendText("after the handler returned"), ErrNotOpen)
}

// TestHTTP2ServerWithoutExtendedConnect dials a Go server that does not
// offer extended CONNECT (GODEBUG=http2xconnect=0, in a process of its
// own, as net/http reads the setting once at start): with HTTP/1.1
// allowed the client falls back to it; with HTTP/2 required it fails with
// an error that says what the server lacks.
func TestHTTP2ServerWithoutExtendedConnect(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	addr, certPEM := startHelperServer(t, "GODEBUG=http2xconnect=0")
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	url := "wss://" + addr + "/"

	opts := &DialOptions{TLSConfig: &tls.Config{RootCAs: pool}}
	h1AndH2(&opts.HTTPProtocols)
	c, resp, err := Dial(context.Background(), url, opts)
	require.NoError(t, err)
	assert.Equal(t, 101, resp.StatusCode, "fell back to HTTP/1.1")
	got, _, err := roundTrip(c, "fallback")
	require.NoError(t, err)
	assert.Equal(t, "fallback", got)
	c.Close(CloseNormal, "")
	<-c.Done()

	opts.HTTPProtocols = http.Protocols{}
	h2Only(&opts.HTTPProtocols)
	_, _, err = Dial(context.Background(), url, opts)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "extended connect not supported by peer")
	assert.Contains(t, err.Error(), "GODEBUG=http2xconnect=1")
}

// helperServerEnv marks the test binary run as a helper server process.
const helperServerEnv = "WSCONN_TEST_HELPER_SERVER"

// startHelperServer runs this test binary as an HTTPS echo server with
// HTTP/2, with env added to its environment, and returns its address and
// certificate. The process ends with the test.
func startHelperServer(t *testing.T, env ...string) (addr string, certPEM []byte) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperServerEnv+"=1"), env...)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close() // the helper exits when its stdin ends
		cmd.Wait()
	})
	br := bufio.NewReader(stdout)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	addr = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	pem, err := io.ReadAll(br) // the certificate, then EOF
	require.NoError(t, err)
	return addr, pem
}

// runHelperServer serves an echo over HTTPS with HTTP/2 and HTTP/1.1
// until standard input ends. It prints "listening on ADDR", then the
// certificate in PEM, and closes standard output.
func runHelperServer() {
	srv := httptest.NewUnstartedServer(echoHandler(nil, nil))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	fmt.Printf("listening on %s\n", srv.Listener.Addr())
	os.Stdout.Write(certPEM(srv.Certificate()))
	os.Stdout.Close()
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// certPEM encodes c in PEM.
func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// TestHTTP2GETWithUpgrade sends a GET with Upgrade: websocket over
// HTTP/2, which HTTP/2 forbids (RFC 9113 section 8.2.2, RFC 8441 section
// 8): it is refused with 400 (or the stream reset), and nothing is
// accepted. x/net's client refuses to send such a request, so this test
// writes the frames itself.
func TestHTTP2GETWithUpgrade(t *testing.T) {
	accepted := make(chan string, 1)
	srv := newH2Server(t, echoHandler(nil, accepted))
	cfg := srv.dialOptions().TLSConfig.Clone()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), cfg)
	require.NoError(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitTimeout))

	_, err = io.WriteString(conn, http2.ClientPreface)
	require.NoError(t, err)
	fr := http2.NewFramer(conn, conn)
	require.NoError(t, fr.WriteSettings())
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{
		{":method", "GET"}, {":scheme", "https"}, {":authority", srv.Listener.Addr().String()}, {":path", "/"},
		{"upgrade", "websocket"}, {"sec-websocket-version", "13"}, {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="},
	} {
		require.NoError(t, enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	require.NoError(t, fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true}))

	for i := 0; i < 20; i++ {
		f, err := fr.ReadFrame()
		require.NoError(t, err)
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				require.NoError(t, fr.WriteSettingsAck())
			}
		case *http2.RSTStreamFrame:
			assert.Equal(t, uint32(1), f.StreamID)
			assert.Equal(t, http2.ErrCodeProtocol, f.ErrCode)
			assert.Empty(t, accepted)
			return
		case *http2.HeadersFrame:
			var status string
			dec := hpack.NewDecoder(4096, func(hf hpack.HeaderField) {
				if hf.Name == ":status" {
					status = hf.Value
				}
			})
			_, err := dec.Write(f.HeaderBlockFragment())
			require.NoError(t, err)
			assert.Equal(t, uint32(1), f.StreamID)
			assert.Equal(t, "400", status)
			assert.Empty(t, accepted)
			return
		}
	}
	t.Fatal("no RST_STREAM within 20 frames")
}

// TestHTTP2ServerEndsStreamInOrder: after the closing handshake the server
// ends the stream with END_STREAM, which a client reads as the end of the
// body, not with a reset (browsers report a reset as an unclean close).
func TestHTTP2ServerEndsStreamInOrder(t *testing.T) {
	srv := newH2Server(t, echoHandler(nil, nil))
	cc := srv.h2Client(t)
	req, err := http.NewRequest(http.MethodConnect, srv.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set(":protocol", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	pr, pw := io.Pipe()
	req.Body = pr
	resp, err := cc.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	// A masked close frame, 1000.
	closeFrame := []byte{0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2}
	_, err = pw.Write(closeFrame)
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "the stream must end with END_STREAM, not a reset")
	assert.Equal(t, []byte{0x88, 0x02, 0x03, 0xe8}, got, "the server's close frame, then the end")
	pw.Close()
}
