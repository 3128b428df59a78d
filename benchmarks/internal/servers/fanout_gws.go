package servers

import (
	"bytes"
	"net/http"

	"github.com/lxzan/gws"
	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
)

// gwsPublisherKey marks the publisher in its gws session storage.
const gwsPublisherKey = "publisher"

// gwsFanout is the event handler of gws's fan-out server.
type gwsFanout struct {
	gws.BuiltinEventHandler
	subs *subscriberSet[*gws.Conn]
}

// OnClose lets a subscriber go.
func (h *gwsFanout) OnClose(c *gws.Conn, _ error) { h.subs.remove(c) }

// OnMessage publishes the publisher's messages with a Broadcaster, which
// gws's documentation recommends over a WriteAsync per connection as it
// compresses the message only once. Broadcast queues the frame on each
// connection's write queue, written on a goroutine of gws's; Close
// releases the frame once the last is written. What subscribers send is
// dropped.
func (h *gwsFanout) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close() // gives the buffer back to gws's pool
	if _, ok := c.Session().Load(gwsPublisherKey); !ok {
		return
	}
	// The subscribers' writes outlive m's buffer.
	b := gws.NewBroadcaster(m.Opcode, bytes.Clone(m.Bytes()))
	h.subs.publish(func(s *gws.Conn) { b.Broadcast(s) }) // an error means s is closed
	b.Close()
}

// gwsFanoutHandler is gws's fan-out server: gws's Upgrader, each
// connection's read loop on a goroutine of its own, messages handled in
// order on it (ParallelEnabled false), permessage-deflate at gws's
// defaults (no context takeover), and OnMessage publishing the
// publisher's messages.
func gwsFanoutHandler(cfg Config) http.Handler {
	f := cfg.Fanout
	h := &gwsFanout{subs: newSubscriberSet[*gws.Conn](f)}
	up := gws.NewUpgrader(h, &gws.ServerOption{
		ParallelEnabled:    false,
		ReadMaxPayloadSize: MaxMessage,
		PermessageDeflate:  gws.PermessageDeflate{Enabled: cfg.Deflate},
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		isPub, n, err := fanout.ParseRequest(r.RequestURI)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c, err := up.Upgrade(w, r)
		if err != nil {
			return // Upgrade has answered the request
		}
		if !isPub {
			h.subs.add(c)
			go c.ReadLoop()
			return
		}
		c.Session().Store(gwsPublisherKey, true)
		go c.ReadLoop()
		go func() {
			if err := f.waitFor(n); err != nil {
				c.WriteClose(1013, []byte("subscribers missing"))
				return
			}
			c.WriteMessage(gws.OpcodeText, []byte(fanout.ReadyMessage))
		}()
	})
}
