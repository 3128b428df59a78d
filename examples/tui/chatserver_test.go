package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hub"
)

// chatServer is an in-process server of the chat protocol: a WebSocket at
// /room/NAME joins room NAME, and every text message sent there goes,
// unchanged, to every member of the room, the sender included. It can
// stop and serve again on the same port, as a restarted server does.
type chatServer struct {
	t    testing.TB
	hub  *hub.Hub
	addr string // 127.0.0.1:PORT, kept across restarts

	joined chan string             // the path of each WebSocket that joined its room
	closed chan wsconn.CloseStatus // how each connection ended, as the server saw it

	mu    sync.Mutex
	srv   *http.Server
	conns map[*wsconn.WebsocketConnection]struct{}
}

// startChat serves the chat protocol on a free loopback port until the
// test ends.
func startChat(t testing.TB) *chatServer {
	t.Helper()
	s := &chatServer{
		t:      t,
		hub:    hub.New(nil),
		joined: make(chan string, 64),
		closed: make(chan wsconn.CloseStatus, 64),
		conns:  make(map[*wsconn.WebsocketConnection]struct{}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() {
		s.down(func(c *wsconn.WebsocketConnection) { c.Abort() })
		s.hub.Close()
	})
	return s
}

// url returns the WebSocket URL of room.
func (s *chatServer) url(room string) string {
	return "ws://" + s.addr + "/room/" + room
}

func (s *chatServer) serve(ln net.Listener) {
	mux := http.NewServeMux()
	mux.Handle("/room/", wsconn.Handler(nil, s.accept))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// accept joins c to the room of its path.
func (s *chatServer) accept(c *wsconn.WebsocketConnection, r *http.Request) {
	room := strings.TrimPrefix(r.URL.Path, "/room/")
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.OnClosed(func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.closed <- c.CloseStatus()
	})
	if err := s.hub.Join(room, c); err != nil {
		c.Close(wsconn.CloseInternalError, "")
		return
	}
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		s.hub.Publish(room, typ, data)
	})
	s.joined <- r.URL.Path
}

// down stops the server: it no longer listens, and end ends each open
// connection.
func (s *chatServer) down(end func(c *wsconn.WebsocketConnection)) {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	conns := make([]*wsconn.WebsocketConnection, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if srv != nil {
		srv.Close() // the listener; accepted WebSockets are no longer the server's
	}
	for _, c := range conns {
		end(c)
	}
}

// up serves again on the same address. The port may take a moment to be
// free again; the wait is bounded.
func (s *chatServer) up() {
	s.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		ln, err := net.Listen("tcp", s.addr)
		if err == nil {
			s.serve(ln)
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			s.t.Fatalf("listening again on %s: %v", s.addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitJoined waits until n more WebSockets have joined a room: the server
// then delivers the room's messages to them.
func (s *chatServer) waitJoined(n int) {
	s.t.Helper()
	timeout := time.After(waitLimit)
	for range n {
		select {
		case <-s.joined:
		case <-timeout:
			s.t.Fatalf("waited %v for a WebSocket to join", waitLimit)
		}
	}
}

// waitClosed returns how the next connection to end ended.
func (s *chatServer) waitClosed() wsconn.CloseStatus {
	s.t.Helper()
	select {
	case st := <-s.closed:
		return st
	case <-time.After(waitLimit):
		s.t.Fatalf("waited %v for a connection to close", waitLimit)
		return wsconn.CloseStatus{}
	}
}

// member is another client of a room, a plain wsconn client, whose
// messages the test reads.
type member struct {
	t    testing.TB
	c    *wsconn.WebsocketConnection
	msgs chan string
}

// join connects a member to room.
func (s *chatServer) join(t testing.TB, room string) *member {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, _, err := wsconn.Dial(ctx, s.url(room), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &member{t: t, c: c, msgs: make(chan string, 64)}
	c.OnMessage(func(typ wsconn.DataType, data []byte) { m.msgs <- string(data) })
	t.Cleanup(c.Abort)
	return m
}

// waitMessage waits for the message text to reach m, skipping others.
func (m *member) waitMessage(text string) {
	m.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case got := <-m.msgs:
			if got == text {
				return
			}
		case <-timeout:
			m.t.Fatalf("waited %v for the message %q", waitLimit, text)
		}
	}
}
