// Package servers holds the echo servers of the benchmark, one per
// library, each written the fast way the library's documentation
// recommends. Every server sends each message back with its type, reads
// messages of up to MaxMessage bytes and accepts any Origin.
//
// Every WebSocket server runs over HTTP/1.1, on plain TCP or in TLS;
// wsconn's also runs over HTTP/2 and HTTP/3, the WebSocket being the
// stream of an extended CONNECT request. Start serves any of them.
package servers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/transport"
	"github.com/wsconn/wsconn/internal/selfsigned"
)

// MaxMessage is every server's read limit: twice the largest message of
// the workloads.
const MaxMessage = 2 << 20

// Config configures a server.
type Config struct {
	// Deflate accepts permessage-deflate offers.
	Deflate bool

	// Transport is how clients reach the server; empty means TCP. TLS
	// serves any library but RawTCP; H2 and H3 serve wsconn only, the
	// other libraries speaking WebSocket over HTTP/1.1 only.
	Transport transport.Transport

	// TLS holds the server's certificate, for the transports over TLS
	// or QUIC; nil means one made at start (see selfSigned).
	TLS *tls.Config

	// Fanout, if not nil, makes the server a fan-out server instead of an
	// echo server (see fanout.go), counting what it does into *Fanout.
	// The fan-out servers run over plain TCP only.
	Fanout *Fanout
}

// Server is the echo server of one library.
type Server interface {
	// Serve accepts connections on ln until Close is called, and then
	// returns nil.
	Serve(ln net.Listener) error
	// Close stops accepting connections and closes the listener; the
	// connections already accepted are left to their peers.
	Close() error
}

// Libraries lists the WebSocket libraries measured, wsconn first.
var Libraries = []string{"wsconn", "gorilla", "coder", "gws", "gobwas"}

// RawTCP names the plain TCP echo server, the floor of the idle workload.
const RawTCP = "rawtcp"

// New returns the echo server of lib, one of Libraries or RawTCP, over
// cfg.Transport, which must be one served on a TCP listener: TCP, TLS or
// H2. Start serves H3 too.
func New(lib string, cfg Config) (Server, error) {
	if err := check(lib, cfg.Transport, cfg.Fanout != nil); err != nil {
		return nil, err
	}
	t := cfg.Transport.OrTCP()
	if t == transport.H3 {
		return nil, errors.New("servers: an HTTP/3 server listens on UDP: use Start")
	}
	if t != transport.TCP && cfg.TLS == nil {
		var err error
		if cfg.TLS, err = selfsigned.ServerConfig("wsconn benchmark echo server"); err != nil {
			return nil, err
		}
	}
	switch t {
	case transport.TLS:
		srv, err := newOverTCP(lib, cfg)
		if err != nil {
			return nil, err
		}
		return newTLSServer(srv, cfg.TLS), nil
	case transport.H2:
		return newH2Server(wsconnHandler(cfg), cfg.TLS), nil
	}
	return newOverTCP(lib, cfg)
}

// check reports whether lib's server can run over t, as a fan-out
// server if fanout.
func check(lib string, t transport.Transport, fanout bool) error {
	if _, err := transport.Parse(string(t.OrTCP())); err != nil {
		return fmt.Errorf("servers: %w", err)
	}
	if fanout {
		switch {
		case !slices.Contains(Libraries, lib):
			return fmt.Errorf("servers: %q has no fan-out server", lib)
		case t.OrTCP() != transport.TCP:
			return fmt.Errorf("servers: the fan-out servers run over plain TCP only, not over %s", t)
		}
		return nil
	}
	switch t.OrTCP() {
	case transport.TCP:
		return nil
	case transport.TLS:
		if lib == RawTCP {
			return errors.New("servers: rawtcp runs over plain TCP only")
		}
		return nil
	}
	switch {
	case lib == "wsconn":
		return nil
	case lib == RawTCP || slices.Contains(Libraries, lib):
		return fmt.Errorf("servers: %s serves WebSocket over HTTP/1.1 only, not over %s", lib, t)
	}
	return fmt.Errorf("servers: unknown library %q", lib)
}

// newOverTCP returns the echo server of lib over HTTP/1.1, or its
// fan-out server.
func newOverTCP(lib string, cfg Config) (Server, error) {
	if cfg.Fanout != nil {
		return newFanoutServer(lib, cfg)
	}
	switch lib {
	case "wsconn":
		return newHTTPServer(wsconnHandler(cfg)), nil
	case "gorilla":
		return newHTTPServer(gorillaHandler(cfg)), nil
	case "coder":
		return newHTTPServer(coderHandler(cfg)), nil
	case "gws":
		return newHTTPServer(gwsHandler(cfg)), nil
	case "gobwas":
		return newConnServer(gobwasServe(cfg)), nil
	case RawTCP:
		if cfg.Deflate {
			return nil, errors.New("servers: rawtcp has no permessage-deflate")
		}
		return newConnServer(rawEcho), nil
	}
	return nil, fmt.Errorf("servers: unknown library %q", lib)
}

// Scheme returns the URL scheme of lib's server over t: tcp for RawTCP,
// ws over plain TCP, wss over the others.
func Scheme(lib string, t transport.Transport) string {
	if lib == RawTCP {
		return "tcp"
	}
	return t.Scheme()
}

// copyBuffers holds the buffers of the servers that copy a message through
// a buffer of their own, so that an idle connection holds none.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// httpServer serves a handler with net/http, as the libraries built on it
// expect.
type httpServer struct{ srv *http.Server }

func newHTTPServer(h http.Handler) *httpServer {
	return &httpServer{srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}}
}

// Serve serves HTTP on ln, in TLS if the server has a TLS configuration.
func (s *httpServer) Serve(ln net.Listener) error {
	var err error
	if s.srv.TLSConfig != nil {
		err = s.srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
	} else {
		err = s.srv.Serve(ln)
	}
	if !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *httpServer) Close() error { return s.srv.Close() }

// connServer serves each raw connection with a function on a goroutine of
// its own, for the servers that do the WebSocket handshake themselves.
type connServer struct {
	serve func(net.Conn)

	mu     sync.Mutex
	ln     net.Listener
	closed bool
}

func newConnServer(serve func(net.Conn)) *connServer { return &connServer{serve: serve} }

func (s *connServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	closed := s.closed
	s.ln = ln
	s.mu.Unlock()
	if closed {
		return ln.Close()
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			return err
		}
		go s.serve(c)
	}
}

func (s *connServer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.ln == nil {
		return nil
	}
	return s.ln.Close()
}
