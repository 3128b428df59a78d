package servers

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
)

// coderMessage is a message published by coder's fan-out server.
type coderMessage struct {
	typ  websocket.MessageType
	data []byte
}

// coderFanoutHandler is coder's fan-out server, as its chat example
// (internal/examples/chat) is: coder has no prepared message, so each
// subscriber's handler goroutine writes every message with Write, from a
// buffered channel, and CloseRead reads (and answers the control frames)
// on a goroutine of its own. Each Write frames the message anew, and with
// permessage-deflate compresses it anew: once per message and
// connection. The writes' context is Background, not a deadline per
// message as in the example, which would cost a timer per message and
// connection; a closed connection fails them all the same.
func coderFanoutHandler(cfg Config) http.Handler {
	f := cfg.Fanout
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true}
	if cfg.Deflate {
		opts.CompressionMode = websocket.CompressionNoContextTakeover
	}
	subs := newSubscriberSet[*outbox[coderMessage]](f)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isPub, n, err := fanout.ParseRequest(r.RequestURI)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return // Accept has answered the request
		}
		defer c.CloseNow()
		c.SetReadLimit(MaxMessage)
		ctx := context.Background()
		if isPub {
			coderPublisher(ctx, c, f, n, subs)
			return
		}
		closed := c.CloseRead(ctx)
		out := newOutbox[coderMessage]()
		subs.add(out)
		defer subs.remove(out)
		go func() {
			<-closed.Done()
			out.leave()
		}()
		// Background rather than closed: a context that can be done costs
		// Write a watch (context.AfterFunc) per message.
		out.drain(func(m coderMessage) error { return c.Write(ctx, m.typ, m.data) })
	})
}

// coderPublisher serves the publisher: ReadyMessage once n subscribers
// have joined, then every message it sends is published.
func coderPublisher(ctx context.Context, c *websocket.Conn, f *Fanout, n int, subs *subscriberSet[*outbox[coderMessage]]) {
	if err := f.waitFor(n); err != nil {
		c.Close(websocket.StatusTryAgainLater, "subscribers missing")
		return
	}
	if err := c.Write(ctx, websocket.MessageText, []byte(fanout.ReadyMessage)); err != nil {
		return
	}
	for {
		typ, data, err := c.Read(ctx) // a new slice each time, which the subscribers share
		if err != nil {
			return
		}
		subs.publish(func(out *outbox[coderMessage]) { out.put(coderMessage{typ, data}) })
	}
}
