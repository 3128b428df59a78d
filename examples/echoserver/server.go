package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/wsconn/wsconn"
)

// echoServer accepts WebSocket connections and echoes their messages, and
// serves the page to plain GETs.
type echoServer struct {
	opts wsconn.AcceptOptions

	// altSvc, when set, goes out as the Alt-Svc header of the responses
	// over HTTP/1.1 and HTTP/2: it advertises the HTTP/3 server.
	altSvc string

	// accepted, when not nil, gets the "accepted PROTO PATH" line of
	// each WebSocket (-v).
	accepted io.Writer
	outMu    sync.Mutex // serializes the lines

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
	if s.altSvc != "" && r.ProtoMajor < 3 {
		w.Header().Set("Alt-Svc", s.altSvc)
	}
	if isPageRequest(r) {
		servePage(w, r)
		return
	}
	closeCode, err := closeParam(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

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
	// Over HTTP/2 and HTTP/3 the handler returns when the connection is
	// closed: the connection is the request's stream.
	wsconn.Handler(&opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
		s.serve(c, r, closeCode)
	}).ServeHTTP(w, r)
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

// serve sets a new connection up. With closeCode (from ?close=CODE), it
// closes the connection with that code once it has echoed the first
// message.
func (s *echoServer) serve(c *wsconn.WebsocketConnection, r *http.Request, closeCode wsconn.CloseCode) {
	s.mu.Lock()
	s.conns[c] = struct{}{}
	closing := s.closing
	s.mu.Unlock()
	s.printAccepted(r)
	var first sync.Once
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		echo(c, typ, data)
		if closeCode != 0 {
			first.Do(func() { c.Close(closeCode, closeReason(closeCode)) })
		}
	})
	c.OnClosed(func() { s.forget(c) })
	if closing {
		c.Close(wsconn.CloseGoingAway, "server shutting down")
	}
}

// printAccepted prints "accepted PROTO PATH" when -v asks for it. PROTO
// comes from the version numbers: quic-go sets r.Proto of an extended
// CONNECT to its :protocol ("websocket").
func (s *echoServer) printAccepted(r *http.Request) {
	if s.accepted == nil {
		return
	}
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	fmt.Fprintf(s.accepted, "accepted HTTP/%d.%d %s\n", r.ProtoMajor, r.ProtoMinor, path)
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
