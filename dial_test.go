package wsconn_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/internal/selfsigned"
	"github.com/wsconn/wsconn/iostream"
	"github.com/wsconn/wsconn/mainloop"
)

// testWait bounds every wait for an event in these tests.
const testWait = 10 * time.Second

type received struct {
	typ  wsconn.DataType
	data []byte
}

// peer is one end of a connection under test.
type peer struct {
	c      *wsconn.WebsocketConnection
	msgs   chan received
	closed chan struct{}
}

// withLoop returns opts with a new Loop as MainContext. Events of a
// connection made with them wait in the loop until it runs, so that
// nothing the other end sends right after the handshake is missed.
func withLoop(opts *wsconn.Options) (*wsconn.Options, *mainloop.Loop) {
	loop := mainloop.New()
	o := wsconn.Options{}
	if opts != nil {
		o = *opts
	}
	o.MainContext = loop
	return &o, loop
}

// startPeer connects handlers to c and then runs loop, if not nil, until
// c is closed. An echo peer sends every message back.
func startPeer(c *wsconn.WebsocketConnection, loop *mainloop.Loop, echo bool) *peer {
	p := &peer{c: c, msgs: make(chan received, 256), closed: make(chan struct{})}
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		if echo {
			c.SendMessage(typ, data)
		}
		p.msgs <- received{typ, bytes.Clone(data)}
	})
	c.OnClosed(func() {
		close(p.closed)
		if loop != nil {
			loop.Quit()
		}
	})
	if loop != nil {
		go loop.Run()
	}
	return p
}

func (p *peer) message(t *testing.T) received {
	t.Helper()
	select {
	case m := <-p.msgs:
		return m
	case <-p.closed:
		t.Fatalf("connection closed while waiting for a message: %+v", p.c.CloseStatus())
	case <-time.After(testWait):
		t.Fatal("no message")
	}
	return received{}
}

func (p *peer) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-p.closed:
	case <-time.After(testWait):
		t.Fatal("connection did not close")
	}
}

// exchange sends a text and a binary message from client to an echo
// server, checks the echoes, and closes the connection cleanly.
func exchange(t *testing.T, client *peer) {
	t.Helper()
	require.NoError(t, client.c.SendText("hello, wsconn ☃"))
	require.NoError(t, client.c.SendBinary([]byte{0, 1, 2, 0xff}))
	assert.Equal(t, received{wsconn.DataText, []byte("hello, wsconn ☃")}, client.message(t))
	assert.Equal(t, received{wsconn.DataBinary, []byte{0, 1, 2, 0xff}}, client.message(t))
	require.NoError(t, client.c.Close(wsconn.CloseNormal, "done"))
	client.waitClosed(t)
	st := client.c.CloseStatus()
	assert.True(t, st.Clean, "close status %+v", st)
	assert.Equal(t, wsconn.CloseNormal, st.Code)
}

// dialPeer dials url with opts plus a Loop, without the environment's
// proxy unless opts has a Proxy, and cleans up after the test.
func dialPeer(t *testing.T, url string, opts *wsconn.DialOptions) (*peer, *http.Response) {
	t.Helper()
	p, resp, err := dialPeerErr(t, url, opts)
	require.NoError(t, err)
	return p, resp
}

// testServer is an HTTP server whose handler accepts WebSocket
// connections and echoes every message.
type testServer struct {
	*httptest.Server
	peers chan *peer         // the accepted connections
	errs  chan error         // the errors of Accept
	reqs  chan *http.Request // the handshake requests
}

type serverConfig struct {
	opts   *wsconn.AcceptOptions
	tls    bool
	before func(w http.ResponseWriter, r *http.Request) // runs before Accept
}

func newTestServer(t *testing.T, cfg serverConfig) *testServer {
	t.Helper()
	s := &testServer{
		peers: make(chan *peer, 16),
		errs:  make(chan error, 16),
		reqs:  make(chan *http.Request, 16),
	}
	var mu sync.Mutex
	var all []*peer
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.reqs <- r
		if cfg.before != nil {
			cfg.before(w, r)
		}
		o := wsconn.AcceptOptions{}
		if cfg.opts != nil {
			o = *cfg.opts
		}
		var loop *mainloop.Loop
		o.ConnectionOptions, loop = withLoop(o.ConnectionOptions)
		c, err := wsconn.Accept(w, r, &o)
		if err != nil {
			s.errs <- err
			return
		}
		p := startPeer(c, loop, true)
		mu.Lock()
		all = append(all, p)
		mu.Unlock()
		s.peers <- p
	}))
	if cfg.tls {
		cert, _ := testCertificate(t)
		s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // failed TLS handshakes are expected
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(func() {
		s.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, p := range all {
			p.c.Abort()
			p.waitClosed(t)
		}
	})
	return s
}

// wsURL returns the ws or wss URL of path on s.
func (s *testServer) wsURL(path string) string {
	scheme := "ws://"
	if s.TLS != nil {
		scheme = "wss://"
	}
	return scheme + s.Listener.Addr().String() + path
}

func (s *testServer) peer(t *testing.T) *peer {
	t.Helper()
	select {
	case p := <-s.peers:
		return p
	case err := <-s.errs:
		t.Fatalf("Accept failed: %v", err)
	case <-time.After(testWait):
		t.Fatal("no connection accepted")
	}
	return nil
}

func (s *testServer) acceptErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-s.peers:
		t.Fatal("Accept succeeded, want an error")
	case <-time.After(testWait):
		t.Fatal("Accept did not return")
	}
	return nil
}

var (
	certOnce sync.Once
	certErr  error
	certTLS  tls.Certificate
	certPool *x509.CertPool
)

// testCertificate returns a self-signed certificate for 127.0.0.1, ::1
// and localhost, and a pool that trusts it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	certOnce.Do(func() {
		certTLS, certErr = selfsigned.New("wsconn test")
		if certErr == nil {
			certPool = selfsigned.Pool(certTLS)
		}
	})
	require.NoError(t, certErr)
	return certTLS, certPool
}

// trustingTLS returns a client TLS configuration that trusts the test
// certificate.
func trustingTLS(t *testing.T) *tls.Config {
	_, pool := testCertificate(t)
	return &tls.Config{RootCAs: pool}
}

// noProxy disables the environment's proxy.
func noProxy(*http.Request) (*url.URL, error) { return nil, nil }

func TestDialAndAccept(t *testing.T) {
	tests := []struct {
		name string
		tls  bool
		url  func(s *testServer) string
		opts func(t *testing.T, s *testServer) *wsconn.DialOptions
	}{
		{
			name: "ws",
			url:  func(s *testServer) string { return s.wsURL("/echo?room=1") },
		},
		{
			name: "http alias",
			url:  func(s *testServer) string { return "http://" + s.Listener.Addr().String() + "/echo?room=1" },
		},
		{
			name: "wss",
			tls:  true,
			url:  func(s *testServer) string { return s.wsURL("/echo?room=1") },
			opts: func(t *testing.T, s *testServer) *wsconn.DialOptions {
				return &wsconn.DialOptions{TLSConfig: trustingTLS(t)}
			},
		},
		{
			name: "https alias with a host name",
			tls:  true,
			url: func(s *testServer) string {
				_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
				return "https://localhost:" + port + "/echo?room=1"
			},
			opts: func(t *testing.T, s *testServer) *wsconn.DialOptions {
				addr := s.Listener.Addr().String()
				var d net.Dialer
				return &wsconn.DialOptions{
					TLSConfig: trustingTLS(t),
					NetDial: func(ctx context.Context, network, _ string) (net.Conn, error) {
						return d.DialContext(ctx, network, addr)
					},
				}
			},
		},
		{
			name: "custom NetDial",
			url:  func(s *testServer) string { return "ws://echo.test/echo?room=1" },
			opts: func(t *testing.T, s *testServer) *wsconn.DialOptions {
				addr := s.Listener.Addr().String()
				var d net.Dialer
				return &wsconn.DialOptions{NetDial: func(ctx context.Context, network, a string) (net.Conn, error) {
					if network != "tcp" || a != "echo.test:80" {
						return nil, errors.New("unexpected dial of " + network + " " + a)
					}
					return d.DialContext(ctx, network, addr)
				}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, serverConfig{tls: tt.tls})
			var opts *wsconn.DialOptions
			if tt.opts != nil {
				opts = tt.opts(t, s)
			}
			client, resp, err := dialPeerErr(t, tt.url(s), opts)
			require.NoError(t, err)
			assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			server := s.peer(t)
			assert.Equal(t, wsconn.ConnectionClient, client.c.ConnectionType())
			assert.Equal(t, wsconn.ConnectionServer, server.c.ConnectionType())
			scheme := "ws"
			if tt.tls {
				scheme = "wss"
			}
			assert.Equal(t, scheme, client.c.URI().Scheme)
			assert.Equal(t, scheme, server.c.URI().Scheme)
			assert.Equal(t, "/echo", server.c.URI().Path)
			assert.Equal(t, "room=1", server.c.URI().RawQuery)
			assert.Equal(t, "", server.c.Origin())
			exchange(t, client)
			server.waitClosed(t)
			assert.True(t, server.c.CloseStatus().Clean)
		})
	}
}

// dialPeerErr is dialPeer returning Dial's error.
func dialPeerErr(t *testing.T, url string, opts *wsconn.DialOptions) (*peer, *http.Response, error) {
	t.Helper()
	o := wsconn.DialOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Proxy == nil {
		o.Proxy = noProxy
	}
	var loop *mainloop.Loop
	o.ConnectionOptions, loop = withLoop(o.ConnectionOptions)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	c, resp, err := wsconn.Dial(ctx, url, &o)
	if err != nil {
		return nil, resp, err
	}
	p := startPeer(c, loop, false)
	t.Cleanup(func() {
		c.Abort()
		p.waitClosed(t)
	})
	return p, resp, nil
}

func TestDialSubprotocols(t *testing.T) {
	tests := []struct {
		name      string
		supported []string
		offered   []string
		want      string
	}{
		{"client's first choice wins", []string{"chat.v1", "chat.v2"}, []string{"chat.v2", "chat.v1"}, "chat.v2"},
		{"only one overlaps", []string{"mqtt", "chat.v1"}, []string{"chat.v2", "chat.v1"}, "chat.v1"},
		{"none overlap", []string{"mqtt"}, []string{"chat.v1", "chat.v2"}, ""},
		{"none offered", []string{"mqtt"}, nil, ""},
		{"none supported", nil, []string{"chat.v1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, serverConfig{opts: &wsconn.AcceptOptions{Protocols: tt.supported}})
			client, resp := dialPeer(t, s.wsURL("/"), &wsconn.DialOptions{Protocols: tt.offered})
			server := s.peer(t)
			assert.Equal(t, tt.want, client.c.Protocol())
			assert.Equal(t, tt.want, server.c.Protocol())
			assert.Equal(t, tt.want, resp.Header.Get("Sec-WebSocket-Protocol"))
			r := <-s.reqs
			assert.Equal(t, strings.Join(tt.offered, ", "), r.Header.Get("Sec-WebSocket-Protocol"))
			exchange(t, client)
		})
	}
}

func TestDialCookies(t *testing.T) {
	s := newTestServer(t, serverConfig{
		opts: &wsconn.AcceptOptions{ResponseHeader: http.Header{"Set-Cookie": {"session=s3cr3t; Path=/; HttpOnly"}}},
		before: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "42") // set on w: goes out with the 101
		},
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	opts := &wsconn.DialOptions{Jar: jar, Header: http.Header{"Authorization": {"Bearer t0ken"}}}

	first, resp := dialPeer(t, s.wsURL("/login"), opts)
	assert.Equal(t, "42", resp.Header.Get("X-Request-Id"))
	r := <-s.reqs
	assert.Empty(t, r.Cookies(), "first request")
	assert.Equal(t, "Bearer t0ken", r.Header.Get("Authorization"))
	exchange(t, first)

	second, _ := dialPeer(t, s.wsURL("/chat"), opts)
	r = <-s.reqs
	c, err := r.Cookie("session")
	require.NoError(t, err, "second request carries the cookie")
	assert.Equal(t, "s3cr3t", c.Value)
	exchange(t, second)
}

func TestDialOrigin(t *testing.T) {
	tests := []struct {
		name     string
		origin   string
		header   http.Header
		patterns []string
		want     string // the Origin the server sees
		refused  bool
	}{
		{name: "none by default"},
		{name: "same origin", origin: "http://127.0.0.1:PORT", want: "http://127.0.0.1:PORT"},
		{name: "from Header", header: http.Header{"Origin": {"http://127.0.0.1:PORT"}}, want: "http://127.0.0.1:PORT"},
		{name: "allowed by pattern", origin: "https://app.example.com", patterns: []string{"*.example.com"}, want: "https://app.example.com"},
		{name: "cross origin", origin: "https://evil.example", refused: true},
		{name: "opaque origin", origin: "null", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, serverConfig{opts: &wsconn.AcceptOptions{OriginPatterns: tt.patterns}})
			_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
			fill := func(v string) string { return strings.ReplaceAll(v, "PORT", port) }
			opts := &wsconn.DialOptions{Origin: fill(tt.origin), Header: tt.header.Clone()}
			if o := opts.Header.Get("Origin"); o != "" {
				opts.Header.Set("Origin", fill(o))
			}
			client, resp, err := dialPeerErr(t, s.wsURL("/"), opts)
			if tt.refused {
				var se *handshake.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, http.StatusForbidden, se.StatusCode)
				assert.Same(t, resp, se.Response)
				body, _ := io.ReadAll(se.Response.Body)
				assert.Contains(t, string(body), "Origin not allowed")
				serr := s.acceptErr(t)
				var he *handshake.Error
				require.ErrorAs(t, serr, &he)
				assert.ErrorIs(t, serr, handshake.ErrOrigin)
				assert.Equal(t, http.StatusForbidden, he.Status)
				return
			}
			require.NoError(t, err)
			server := s.peer(t)
			assert.Equal(t, fill(tt.want), client.c.Origin())
			assert.Equal(t, fill(tt.want), server.c.Origin())
			exchange(t, client)
		})
	}
}

func TestDialRefusalBodyIsReadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chat"`)
		http.Error(w, "token expired", http.StatusUnauthorized)
	}))
	defer srv.Close()

	_, resp, err := dialPeerErr(t, "ws://"+srv.Listener.Addr().String()+"/chat", nil)
	var se *handshake.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnauthorized, se.StatusCode)
	assert.Contains(t, err.Error(), "401")
	require.NotNil(t, resp)
	assert.Same(t, resp, se.Response)
	assert.Equal(t, `Bearer realm="chat"`, resp.Header.Get("WWW-Authenticate"))
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "token expired\n", string(body))
	require.NoError(t, resp.Body.Close())
}

// rawServer accepts one connection at a time on 127.0.0.1 and runs serve
// on each, on its own goroutine. It stops with the test.
func rawServer(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// silentServer returns the address of a server that reads what it gets
// and never answers, and a channel that receives once bytes have arrived.
func silentServer(t *testing.T) (string, <-chan struct{}) {
	got := make(chan struct{}, 16)
	addr := rawServer(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			select {
			case got <- struct{}{}:
			default:
			}
		}
	})
	return addr, got
}

func TestDialContext(t *testing.T) {
	// ADDR is the address of a server that never answers.
	proxyAt := func(scheme string) func(*http.Request) (*url.URL, error) {
		return func(*http.Request) (*url.URL, error) { return &url.URL{Scheme: scheme, Host: "ADDR"}, nil }
	}
	tests := []struct {
		name    string
		url     string
		opts    wsconn.DialOptions
		timeout time.Duration // of the context
		cancel  bool          // cancel once the server got bytes
		want    error
		stage   string
	}{
		{name: "context deadline", url: "ws://ADDR/", timeout: 100 * time.Millisecond, want: context.DeadlineExceeded,
			stage: "reading the handshake response"},
		{name: "cancelled", url: "ws://ADDR/", cancel: true, want: context.Canceled, stage: "reading the handshake response"},
		{name: "HandshakeTimeout", url: "ws://ADDR/", opts: wsconn.DialOptions{HandshakeTimeout: 100 * time.Millisecond},
			want: context.DeadlineExceeded, stage: "reading the handshake response"},
		{name: "TLS handshake", url: "wss://ADDR/", opts: wsconn.DialOptions{HandshakeTimeout: 100 * time.Millisecond},
			want: context.DeadlineExceeded, stage: "TLS handshake"},
		{name: "CONNECT proxy", url: "ws://192.0.2.1/", cancel: true, opts: wsconn.DialOptions{Proxy: proxyAt("http")},
			want: context.Canceled, stage: "reading the answer to CONNECT 192.0.2.1:80"},
		{name: "SOCKS5 proxy", url: "ws://192.0.2.1/", opts: wsconn.DialOptions{HandshakeTimeout: 100 * time.Millisecond, Proxy: proxyAt("socks5")},
			want: context.DeadlineExceeded, stage: "reading the answer to the greeting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, got := silentServer(t)
			tt.url = strings.Replace(tt.url, "ADDR", addr, 1)
			if proxy := tt.opts.Proxy; proxy != nil {
				tt.opts.Proxy = func(r *http.Request) (*url.URL, error) {
					u, err := proxy(r)
					u.Host = addr
					return u, err
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			if tt.opts.Proxy == nil {
				tt.opts.Proxy = noProxy
			}
			done := make(chan error, 1)
			go func() {
				c, _, err := wsconn.Dial(ctx, tt.url, &tt.opts)
				if c != nil {
					c.Abort()
				}
				done <- err
			}()
			if tt.cancel {
				select {
				case <-got:
				case <-time.After(testWait):
					t.Fatal("the server got nothing")
				}
				cancel()
			}
			select {
			case err := <-done:
				require.ErrorIs(t, err, tt.want)
				assert.Contains(t, err.Error(), tt.stage)
				if tt.opts.HandshakeTimeout > 0 {
					assert.Contains(t, err.Error(), "HandshakeTimeout (100ms) expired")
				}
			case <-time.After(testWait):
				t.Fatal("Dial did not return")
			}
		})
	}
}

func TestDialServerSpeaksFirst(t *testing.T) {
	// The server writes its 101 response and a first frame in one write:
	// the client reads both at once and must not lose the frame.
	accepted := make(chan *peer, 1)
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		r, err := http.ReadRequest(br)
		if err != nil {
			c.Close()
			return
		}
		h := make(http.Header)
		if _, _, err := (&handshake.Server{}).Process(r, h); err != nil {
			c.Close()
			return
		}
		var head bytes.Buffer
		head.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
		h.Write(&head)
		head.WriteString("\r\n")
		head.Write([]byte{0x81, 5, 'f', 'i', 'r', 's', 't'}) // text "first", unmasked
		opts, loop := withLoop(nil)
		rest, _ := br.Peek(br.Buffered())
		sc := wsconn.NewWebsocketConnection(iostream.NewPrefixed(bytes.Clone(rest), c), nil, wsconn.ConnectionServer, "", "", nil, opts)
		p := startPeer(sc, loop, true)
		accepted <- p
		if _, err := c.Write(head.Bytes()); err != nil {
			sc.Abort()
		}
		p.waitClosed(t)
	})

	client, _ := dialPeer(t, "ws://"+addr+"/", nil)
	assert.Equal(t, received{wsconn.DataText, []byte("first")}, client.message(t))
	_, isWaiter := client.c.Stream().(iostream.ReadWaiter)
	assert.True(t, isWaiter, "the client's stream %T can wait for reads", client.c.Stream())
	exchange(t, client)
	(<-accepted).waitClosed(t)
}

// pipeListener is a net.Listener whose connections are in-memory pipes.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// dial returns the client end of a new pipe whose server end the listener
// accepts.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	a, b := iostream.Pipe()
	select {
	case l.conns <- b:
		return a, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// servePipes runs an echo server of Accept over in-memory pipes.
func servePipes(t *testing.T) (*pipeListener, chan *peer) {
	ln := newPipeListener()
	peers := make(chan *peer, 4)
	srv := &http.Server{
		ReadHeaderTimeout: testWait,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			opts, loop := withLoop(nil)
			c, err := wsconn.Accept(w, r, &wsconn.AcceptOptions{ConnectionOptions: opts})
			if err != nil {
				return
			}
			peers <- startPeer(c, loop, true)
		}),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return ln, peers
}

func TestDialStream(t *testing.T) {
	ln, peers := servePipes(t)
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	stream, err := ln.dial(ctx)
	require.NoError(t, err)

	opts, loop := withLoop(nil)
	c, resp, err := wsconn.DialStream(ctx, stream, "ws://in-process.test/pipe", &wsconn.DialOptions{ConnectionOptions: opts})
	require.NoError(t, err)
	assert.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "ws://in-process.test/pipe", c.URI().String())
	client := startPeer(c, loop, false)
	server := <-peers
	assert.Equal(t, "in-process.test", server.c.URI().Host)
	exchange(t, client)
	server.waitClosed(t)
}

func TestDialNetDialPipe(t *testing.T) {
	ln, peers := servePipes(t)
	client, _ := dialPeer(t, "ws://in-process.test/", &wsconn.DialOptions{
		NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) { return ln.dial(ctx) },
	})
	exchange(t, client)
	(<-peers).waitClosed(t)
}

func TestDialUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "wsconn")
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ws.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(nil)
	srv.Listener.Close()
	srv.Listener = ln
	peers := make(chan *peer, 1)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opts, loop := withLoop(nil)
		c, err := wsconn.Accept(w, r, &wsconn.AcceptOptions{ConnectionOptions: opts})
		if err == nil {
			peers <- startPeer(c, loop, true)
		}
	})
	srv.Start()
	defer srv.Close()

	var d net.Dialer
	client, _ := dialPeer(t, "ws://unix.test/", &wsconn.DialOptions{
		NetDial: func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "unix", path) },
	})
	exchange(t, client)
	(<-peers).waitClosed(t)
}

// hideDeadlines hides the SetDeadline method of a stream.
type hideDeadlines struct{ io.ReadWriteCloser }

func TestDialStreamContext(t *testing.T) {
	for _, deadlines := range []bool{true, false} {
		name := "with deadlines"
		if !deadlines {
			name = "without deadlines"
		}
		t.Run(name, func(t *testing.T) {
			a, b := iostream.Pipe()
			defer b.Close()
			var stream io.ReadWriteCloser = a
			if !deadlines {
				stream = hideDeadlines{a}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, _, err := wsconn.DialStream(ctx, stream, "ws://silent.test/", nil)
				done <- err
			}()
			// Wait for the request, then give up on the answer.
			b.SetReadDeadline(time.Now().Add(testWait))
			r, err := http.ReadRequest(bufio.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, "silent.test", r.Host)
			cancel()
			select {
			case err := <-done:
				require.ErrorIs(t, err, context.Canceled)
			case <-time.After(testWait):
				t.Fatal("DialStream did not return")
			}
			// DialStream closed the stream on failure.
			b.SetReadDeadline(time.Now().Add(testWait))
			_, err = b.Read(make([]byte, 1))
			assert.ErrorIs(t, err, io.EOF)
		})
	}
}

func TestDialFailures(t *testing.T) {
	// answer returns a server that writes resp after reading a request.
	answer := func(t *testing.T, resp func(r *http.Request) string) string {
		return rawServer(t, func(c net.Conn) {
			defer c.Close()
			r, err := http.ReadRequest(bufio.NewReader(c))
			if err != nil {
				return
			}
			io.WriteString(c, resp(r))
			io.Copy(io.Discard, c)
		})
	}
	switching := func(h http.Header) string {
		var b bytes.Buffer
		b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
		h.Write(&b)
		b.WriteString("\r\n")
		return b.String()
	}
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		opts   *wsconn.DialOptions
		wantIs error
		want   string
		status int // of a *handshake.StatusError
	}{
		{name: "bad scheme", url: func(*testing.T) string { return "ftp://example.com/" }, want: `unsupported scheme "ftp"`},
		{name: "no host", url: func(*testing.T) string { return "ws:///path" }, want: "no host"},
		{name: "bad URL", url: func(*testing.T) string { return "ws://[::1/" }, want: "missing ']'"},
		{name: "invalid protocol", url: func(*testing.T) string { return "ws://127.0.0.1:1/" }, opts: &wsconn.DialOptions{Protocols: []string{"a b"}}, wantIs: handshake.ErrProtocol},
		{name: "connection refused", url: func(t *testing.T) string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			ln.Close()
			return "ws://" + ln.Addr().String() + "/"
		}, want: "connection refused"},
		{name: "not a WebSocket server", url: func(t *testing.T) string {
			return "ws://" + answer(t, func(*http.Request) string {
				return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
			}) + "/"
		}, status: http.StatusOK},
		{name: "wrong accept", url: func(t *testing.T) string {
			return "ws://" + answer(t, func(*http.Request) string {
				return switching(http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}})
			}) + "/"
		}, wantIs: handshake.ErrAccept},
		{name: "protocol not offered", url: func(t *testing.T) string {
			return "ws://" + answer(t, func(r *http.Request) string {
				return switching(http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"},
					"Sec-Websocket-Accept": {handshake.AcceptKey(r.Header.Get("Sec-WebSocket-Key"))}, "Sec-Websocket-Protocol": {"other"}})
			}) + "/"
		}, opts: &wsconn.DialOptions{Protocols: []string{"chat"}}, wantIs: handshake.ErrProtocol},
		{name: "response head too large", url: func(t *testing.T) string {
			return "ws://" + answer(t, func(*http.Request) string {
				return "HTTP/1.1 101 Switching Protocols\r\nX-Padding: " + strings.Repeat("a", 80<<10) + "\r\n\r\n"
			}) + "/"
		}, want: "response head larger than 64 KiB"},
		{name: "too many 1xx", url: func(t *testing.T) string {
			return "ws://" + answer(t, func(*http.Request) string {
				return strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 10)
			}) + "/"
		}, want: "informational"},
		{name: "unsupported proxy", url: func(*testing.T) string { return "ws://192.0.2.1/" }, opts: &wsconn.DialOptions{
			Proxy: http.ProxyURL(&url.URL{Scheme: "ftp", Host: "127.0.0.1:1"}),
		}, want: `unsupported scheme "ftp"`},
		{name: "Proxy fails", url: func(*testing.T) string { return "ws://192.0.2.1/" }, opts: &wsconn.DialOptions{
			Proxy: func(*http.Request) (*url.URL, error) { return nil, errors.New("no proxy for you") },
		}, want: "choosing a proxy: no proxy for you"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _, err := dialPeerErr(t, tt.url(t), tt.opts)
			require.Error(t, err)
			assert.Nil(t, client)
			assert.True(t, strings.HasPrefix(err.Error(), "wsconn: dial"), "error %q", err)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			if tt.want != "" {
				assert.Contains(t, err.Error(), tt.want)
			}
			if tt.status != 0 {
				var se *handshake.StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.status, se.StatusCode)
			}
		})
	}
}

func TestDialRequestHeaders(t *testing.T) {
	s := newTestServer(t, serverConfig{})
	addr := s.Listener.Addr().String()
	client, _ := dialPeer(t, "ws://alice:s3cr3t@"+addr+"/private#fragment", &wsconn.DialOptions{
		Header: http.Header{"Host": {"virtual.test"}, "User-Agent": {"wsconn-test/1"}},
	})
	r := <-s.reqs
	user, pass, ok := r.BasicAuth()
	assert.True(t, ok, "Authorization from the URL's user info")
	assert.Equal(t, "alice", user)
	assert.Equal(t, "s3cr3t", pass)
	assert.Equal(t, "virtual.test", r.Host)
	assert.Equal(t, "wsconn-test/1", r.UserAgent())
	assert.Equal(t, "/private", r.RequestURI)
	assert.Equal(t, "ws://"+addr+"/private", client.c.URI().String(), "no user info nor fragment")
	exchange(t, client)
}
