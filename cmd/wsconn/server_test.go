package main

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	quichttp3 "github.com/quic-go/quic-go/http3"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/internal/selfsigned"
)

// The test binary imports package xconnect through main.go, so that the
// HTTP/2 test servers below take extended CONNECT requests.

// serverKind is how a test server is reached.
type serverKind int

const (
	plainServer serverKind = iota // ws:// over HTTP/1.1
	tlsServer                     // wss:// over HTTP/1.1, with httptest's certificate
	h2Server                      // wss:// over HTTP/2 or HTTP/1.1, by ALPN
)

// testServer is an in-process WebSocket server on 127.0.0.1, whose
// connections are kept so that the test can act on them and drop them at
// its end.
type testServer struct {
	url   string
	conns chan accepted // each connection as it is accepted

	mu  sync.Mutex
	all []*wsconn.WebsocketConnection
}

// accepted is a connection a test server accepted, with its request.
type accepted struct {
	c *wsconn.WebsocketConnection
	r *http.Request
}

// newServer starts a server of kind that accepts WebSockets with opts
// (from any Origin when opts is nil) and sets each up with fn, which may be
// nil.
func newServer(t *testing.T, kind serverKind, opts *wsconn.AcceptOptions, fn func(c *wsconn.WebsocketConnection, r *http.Request)) *testServer {
	t.Helper()
	if opts == nil {
		opts = &wsconn.AcceptOptions{InsecureSkipOriginCheck: true}
	}
	s := &testServer{conns: make(chan accepted, 16)}
	h := wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
		s.mu.Lock()
		s.all = append(s.all, c)
		s.mu.Unlock()
		if fn != nil {
			fn(c, r)
		}
		select {
		case s.conns <- accepted{c, r}:
		default:
		}
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS failures the tests cause on purpose
	switch kind {
	case plainServer:
		srv.Start()
		s.url = "ws://" + srv.Listener.Addr().String() + "/"
	case tlsServer, h2Server:
		srv.EnableHTTP2 = kind == h2Server
		srv.StartTLS()
		s.url = "wss://" + srv.Listener.Addr().String() + "/"
	}
	t.Cleanup(func() {
		s.dropAll()
		srv.Close()
	})
	return s
}

// dropAll ends every connection the server accepted.
func (s *testServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.all {
		c.Abort()
	}
}

// next returns the next connection accepted.
func (s *testServer) next(t *testing.T) accepted {
	t.Helper()
	select {
	case a := <-s.conns:
		return a
	case <-time.After(waitTimeout):
		t.Fatalf("no connection within %v", waitTimeout)
		return accepted{}
	}
}

// echo sets a connection up to send every message back.
func echoBack(c *wsconn.WebsocketConnection, _ *http.Request) {
	c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
}

// echoOrClose echoes every message, except "close CODE REASON", which
// makes the server close the connection with CODE and REASON, and
// "abort", which makes it drop the connection.
func echoOrClose(c *wsconn.WebsocketConnection, _ *http.Request) {
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		text := string(data)
		if rest, ok := strings.CutPrefix(text, "close "); ok {
			codeText, reason, _ := strings.Cut(rest, " ")
			code, _ := strconv.Atoi(codeText)
			c.Close(wsconn.CloseCode(code), reason)
			return
		}
		if text == "abort" {
			c.Abort()
			return
		}
		c.SendMessage(typ, data)
	})
}

// startHTTP3Server starts an HTTP/3 server on 127.0.0.1 that accepts
// WebSockets (RFC 9220) and sets them up with fn, and returns its wss://
// URL.
func startHTTP3Server(t *testing.T, fn func(c *wsconn.WebsocketConnection, r *http.Request)) (string, chan accepted) {
	t.Helper()
	cert, err := selfsigned.New("wsconn test")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan accepted, 4)
	var mu sync.Mutex
	var all []*wsconn.WebsocketConnection
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &quichttp3.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Handler: wsconn.Handler(&wsconn.AcceptOptions{InsecureSkipOriginCheck: true}, func(c *wsconn.WebsocketConnection, r *http.Request) {
			mu.Lock()
			all = append(all, c)
			mu.Unlock()
			fn(c, r)
			conns <- accepted{c, r}
		}),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(udp)
	}()
	t.Cleanup(func() {
		mu.Lock()
		for _, c := range all {
			c.Abort()
		}
		mu.Unlock()
		srv.Close()
		udp.Close()
		<-served
	})
	return "wss://" + udp.LocalAddr().String() + "/", conns
}

// startConnectProxy starts an HTTP proxy on 127.0.0.1 that serves CONNECT
// requests only, and returns its URL and a channel of their targets.
func startConnectProxy(t *testing.T) (string, chan string) {
	t.Helper()
	targets := make(chan string, 4)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		targets <- r.Host
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer upstream.Close()
		w.WriteHeader(http.StatusOK)
		down, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer down.Close()
		done := make(chan struct{}, 2)
		go func() { io.Copy(upstream, rw); done <- struct{}{} }()
		go func() { io.Copy(down, upstream); done <- struct{}{} }()
		<-done // either side ended: close both
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL, targets
}
