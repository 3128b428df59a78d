package servers

import (
	"net/http"

	"github.com/gorilla/websocket"
	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
)

// gorillaSubscriber is a subscriber of gorilla's fan-out server.
type gorillaSubscriber struct {
	c   *websocket.Conn
	out *outbox[*websocket.PreparedMessage]
}

// gorillaFanoutHandler is gorilla's fan-out server, the way its
// documentation shows: each message is made a PreparedMessage, which
// "caches on the wire representations of a message payload" (compressed
// once per set of compression options: once here), and written to every
// subscriber with WritePreparedMessage. Writes to a connection come from
// one goroutine, as gorilla requires: as in its chat example, each
// subscriber has a writer goroutine fed by a buffered channel, and its
// handler's goroutine reads (and drops) what it sends, which answers the
// control frames. EnableCompression negotiates permessage-deflate without
// context takeover, the only mode gorilla has.
func gorillaFanoutHandler(cfg Config) http.Handler {
	f := cfg.Fanout
	u := &websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: cfg.Deflate,
	}
	subs := newSubscriberSet[*gorillaSubscriber](f)
	publish := func(typ int, data []byte) {
		pm, err := websocket.NewPreparedMessage(typ, data)
		if err != nil {
			return
		}
		subs.publish(func(s *gorillaSubscriber) { s.out.put(pm) })
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isPub, n, err := fanout.ParseRequest(r.RequestURI)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered the request
		}
		defer c.Close()
		c.SetReadLimit(MaxMessage)
		if isPub {
			gorillaPublisher(c, f, n, publish)
			return
		}
		s := &gorillaSubscriber{c: c, out: newOutbox[*websocket.PreparedMessage]()}
		go s.out.drain(c.WritePreparedMessage)
		subs.add(s)
		defer subs.remove(s)
		defer s.out.leave()
		for {
			if _, _, err := c.NextReader(); err != nil {
				return // the close frame was answered, or the peer is gone
			}
		}
	})
}

// gorillaPublisher serves the publisher: ReadyMessage once n subscribers
// have joined, then every message it sends is published.
func gorillaPublisher(c *websocket.Conn, f *Fanout, n int, publish func(int, []byte)) {
	if err := f.waitFor(n); err != nil {
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "subscribers missing"))
		return
	}
	if err := c.WriteMessage(websocket.TextMessage, []byte(fanout.ReadyMessage)); err != nil {
		return
	}
	for {
		typ, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		publish(typ, data)
	}
}
