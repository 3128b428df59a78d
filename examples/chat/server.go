package main

import (
	"context"
	"expvar"
	"fmt"
	"log"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/hub"
)

// The WebSockets' limits.
const (
	// maxMessage bounds an incoming message: a chat line, with room to
	// spare, and well within NATS's default payload limit (1 MiB).
	maxMessage = 64 << 10

	// maxRoomBytes bounds a room's name, so that its NATS subject stays
	// within hubnats.MaxSubjectLen however it is escaped.
	maxRoomBytes = 200

	// Keepalive pings find browsers that went away without closing
	// (a laptop lid, a lost network), whose rooms would otherwise keep
	// sending to them.
	keepaliveInterval = 30 * time.Second
	pongTimeout       = 20 * time.Second
)

// chatServer serves the page and the rooms' WebSockets, and keeps the
// open connections, to close them on shutdown.
type chatServer struct {
	hub     *hub.Hub
	accept  wsconn.AcceptOptions
	verbose bool

	lost, binaryRefused atomic.Uint64

	mu      sync.Mutex
	conns   map[*wsconn.WebsocketConnection]struct{}
	closing bool          // closeAll was called
	idle    chan struct{} // closed once closing and no connection is left
}

func newChatServer(h *hub.Hub, verbose bool) *chatServer {
	return &chatServer{
		hub:     h,
		verbose: verbose,
		accept: wsconn.AcceptOptions{
			// The origin check stays on (the default): browsers connect
			// from this server's own page only.
			//
			// Compressing without context takeover lets the hub compress
			// a message once for every member (wsconn.PreparedMessage).
			Extensions: extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{ServerNoContextTakeover: true})),
			ConnectionOptions: &wsconn.Options{
				MaxIncomingPayloadSize: maxMessage,
				MaxTotalMessageSize:    maxMessage,
				KeepaliveInterval:      keepaliveInterval,
				KeepalivePongTimeout:   pongTimeout,
			},
		},
		conns: make(map[*wsconn.WebsocketConnection]struct{}),
		idle:  make(chan struct{}),
	}
}

// routes returns the server's handler.
func (s *chatServer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", servePage)
	mux.HandleFunc("GET /room/{room...}", s.serveRoom)
	mux.Handle("GET /debug/vars", expvar.Handler())
	return mux
}

// serveRoom accepts a WebSocket into the room named by the rest of the
// path.
func (s *chatServer) serveRoom(w http.ResponseWriter, r *http.Request) {
	room := r.PathValue("room")
	switch {
	case room == "":
		http.Error(w, "a room needs a name: /room/NAME", http.StatusNotFound)
		return
	case len(room) > maxRoomBytes:
		http.Error(w, fmt.Sprintf("a room's name has at most %d bytes", maxRoomBytes), http.StatusBadRequest)
		return
	}
	wsconn.Handler(&s.accept, func(c *wsconn.WebsocketConnection, r *http.Request) {
		s.join(c, r, room)
	}).ServeHTTP(w, r)
}

// join puts c in room and relays its text messages to the room.
func (s *chatServer) join(c *wsconn.WebsocketConnection, r *http.Request, room string) {
	if !s.track(c) {
		c.Close(wsconn.CloseGoingAway, "server shutting down")
		return
	}
	if err := s.hub.Join(room, c); err != nil {
		log.Printf("room %q: %v", room, err)
		c.Close(wsconn.CloseInternalError, "cannot join the room")
		return
	}
	if s.verbose {
		log.Printf("%s joined room %q", r.RemoteAddr, room)
		c.OnClosed(func() { log.Printf("%s left room %q: %s", r.RemoteAddr, room, c.CloseStatus()) })
	}
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		if typ != wsconn.DataText {
			s.binaryRefused.Add(1)
			c.Close(wsconn.CloseUnsupportedData, "text messages only")
			return
		}
		// To every member of the room on every server, the sender
		// included. The hub prepares its own copy of data.
		if err := s.hub.Publish(room, typ, data); err != nil {
			// NATS has been away too long for its reconnect buffer:
			// the message reached nobody. Tell the sender rather than
			// leave it thinking the room heard it.
			s.lost.Add(1)
			log.Printf("room %q: a message from %s is lost: %v", room, r.RemoteAddr, err)
			c.Close(wsconn.CloseTryAgainLater, "message not delivered, try again later")
		}
	})
}

// track adds c to the open connections, unless the server is closing.
func (s *chatServer) track(c *wsconn.WebsocketConnection) bool {
	s.mu.Lock()
	closing := s.closing
	if !closing {
		s.conns[c] = struct{}{}
	}
	s.mu.Unlock()
	if closing {
		return false
	}
	// Outside s.mu: connected after the close, the handler may run at once.
	c.OnClosed(func() { s.forget(c) })
	return true
}

func (s *chatServer) forget(c *wsconn.WebsocketConnection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.checkIdleLocked()
}

// checkIdleLocked closes idle once the server is closing and no
// connection is left. s.mu is held.
func (s *chatServer) checkIdleLocked() {
	if s.closing && len(s.conns) == 0 {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// closeAll closes every connection with 1001 (going away), and those
// that come later as soon as they are accepted, and waits until they are
// closed or ctx is done.
func (s *chatServer) closeAll(ctx context.Context) error {
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

// vars returns the server's figures.
func (s *chatServer) vars() chatVars {
	s.mu.Lock()
	open := len(s.conns)
	s.mu.Unlock()
	return chatVars{Lost: s.lost.Load(), BinaryRefused: s.binaryRefused.Load(), Open: open}
}
