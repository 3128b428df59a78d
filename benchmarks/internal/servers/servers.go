// Package servers holds the echo servers of the benchmark, one per
// library, each written the fast way the library's documentation
// recommends. Every server sends each message back with its type, reads
// messages of up to MaxMessage bytes and accepts any Origin.
package servers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// MaxMessage is every server's read limit: twice the largest message of
// the workloads.
const MaxMessage = 2 << 20

// Config configures a server.
type Config struct {
	// Deflate accepts permessage-deflate offers.
	Deflate bool
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

// New returns the echo server of lib, one of Libraries or RawTCP.
func New(lib string, cfg Config) (Server, error) {
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

// Scheme returns the URL scheme of lib's server: tcp for RawTCP, ws for
// the others.
func Scheme(lib string) string {
	if lib == RawTCP {
		return "tcp"
	}
	return "ws"
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

func (s *httpServer) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
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
