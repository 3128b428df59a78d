// Command echoserver is a WebSocket echo server for tests and conformance
// suites such as the Autobahn test suite's client mode.
//
//	go run ./examples/echoserver [-addr 127.0.0.1:9001] [-deflate=true] [-max-message BYTES]
//
// It prints "listening on ws://ADDR/" once it accepts connections, with
// the address it is bound to. It sends every message back with its type,
// on any path, from any Origin (it is a test server). When the client
// offers subprotocols, it selects the first one offered. On SIGINT or
// SIGTERM it closes every connection with 1001 (going away), waits a
// bounded time for them to close, and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wsconn/wsconn"
)

// shutdownTimeout bounds the wait for connections to close on a signal.
const shutdownTimeout = 10 * time.Second

func main() {
	addr := flag.String("addr", "127.0.0.1:9001", "`address` to listen on; port 0 picks a free port")
	deflate := flag.Bool("deflate", true, "accept permessage-deflate offers")
	maxMessage := flag.Int64("max-message", 64<<20, "largest incoming frame and message in `bytes` (0: no limit)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "echoserver: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*addr, *deflate, *maxMessage); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

func run(addr string, deflate bool, maxMessage int64) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := newEchoServer(deflate, maxMessage)
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second, // cuts off slow handshakes
		MaxHeaderBytes:    64 << 10,
		// Closes keep-alive connections left idle between requests, such
		// as after a plain HTTP request: ReadHeaderTimeout only starts
		// once the next request's first bytes arrive.
		IdleTimeout: 30 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("listening on ws://%s/\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Shutdown stops accepting; it neither waits for nor closes the
	// WebSocket connections, which the HTTP server handed over.
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver: shutting down HTTP:", err)
	}
	if err := s.closeAll(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
	}
	return nil
}

// echoServer accepts WebSocket connections and echoes their messages.
type echoServer struct {
	opts wsconn.AcceptOptions

	mu      sync.Mutex
	conns   map[*wsconn.WebsocketConnection]struct{}
	active  int  // ServeHTTP calls running
	closing bool // closeAll was called
	idle    chan struct{}
	isIdle  bool // idle is closed: closing, no call running, no connection left
}

func newEchoServer(deflate bool, maxMessage int64) *echoServer {
	limit, queue := int64(-1), int64(-1) // no bound when messages have none
	if maxMessage > 0 {
		// Room for a whole echo of the largest message and more.
		limit, queue = maxMessage, max(2*maxMessage, 16<<20) // the connection's default
	}
	return &echoServer{
		opts: wsconn.AcceptOptions{
			InsecureSkipOriginCheck: true,
			Extensions:              supportedExtensions(deflate),
			ConnectionOptions:       &wsconn.Options{MaxIncomingPayloadSize: limit, MaxTotalMessageSize: limit, MaxQueuedBytes: queue},
		},
		conns: make(map[*wsconn.WebsocketConnection]struct{}),
		idle:  make(chan struct{}),
	}
}

func (s *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.active++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.checkIdleLocked()
		s.mu.Unlock()
	}()
	opts := s.opts
	opts.Protocols = offeredProtocols(r) // so that the first one offered is chosen
	wsconn.Handler(&opts, s.serve).ServeHTTP(w, r)
}

// offeredProtocols returns the subprotocols r offers, in order.
func offeredProtocols(r *http.Request) []string {
	var protocols []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				protocols = append(protocols, p)
			}
		}
	}
	return protocols
}

// serve sets a new connection up.
func (s *echoServer) serve(c *wsconn.WebsocketConnection, r *http.Request) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	closing := s.closing
	s.mu.Unlock()
	c.OnMessage(func(typ wsconn.DataType, data []byte) { echo(c, typ, data) })
	c.OnClosed(func() { s.forget(c) })
	if closing {
		c.Close(wsconn.CloseGoingAway, "server shutting down")
	}
}

// echo sends a message back. When the client reads slower than it sends,
// the queue fills: echo then waits for it to drain, which also pauses
// reading from the client.
func echo(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
	err := c.SendMessage(typ, data)
	if errors.Is(err, wsconn.ErrQueueFull) && c.Flush(context.Background()) == nil {
		c.SendMessage(typ, data)
	}
	// Other errors mean the connection is closing: nothing to echo to.
}

func (s *echoServer) forget(c *wsconn.WebsocketConnection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.checkIdleLocked()
}

// checkIdleLocked closes idle once the server is closing, no ServeHTTP
// call is running and no connection is left. s.mu is held.
func (s *echoServer) checkIdleLocked() {
	if s.closing && s.active == 0 && len(s.conns) == 0 && !s.isIdle {
		s.isIdle = true
		close(s.idle)
	}
}

// closeAll closes every connection with 1001, including those being
// accepted, and waits until they are closed or ctx is done.
func (s *echoServer) closeAll(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*wsconn.WebsocketConnection, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.checkIdleLocked()
	s.mu.Unlock()

	for _, c := range conns {
		c.Close(wsconn.CloseGoingAway, "server shutting down")
	}
	select {
	case <-s.idle:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		left := len(s.conns)
		s.mu.Unlock()
		return fmt.Errorf("%d connections did not close in %v", left, shutdownTimeout)
	}
}
