package servers

import (
	"net/http"
	"sync/atomic"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/hub"
)

// fanoutTopic is the topic of wsconn's fan-out server.
const fanoutTopic = "fanout"

// wsconnFanoutHandler is wsconn's fan-out server, as package hub's example
// is: each subscriber joins a topic of a hub with its default options (1
// MiB queued at most per connection, DropOldest), and each message of the
// publisher is published to the topic, which sends one prepared message
// to every member. With Fanout.Direct the server keeps the subscribers
// itself and sends them each message with SendPrepared, without the hub.
// With Fanout.Broker the hub publishes through the broker, which brings
// the message back to the hub of every server sharing it, this one's
// included, to deliver to its subscribers.
//
// With permessage-deflate, the extension of each connection is wrapped so
// as to count the messages it compresses (ProcessOutgoing calls) into the
// Fanout: a prepared message is compressed once for all the connections
// that compress without context takeover, which the client asks for.
func wsconnFanoutHandler(cfg Config) http.Handler {
	f := cfg.Fanout
	f.counted.Store(true)
	opts := wsconnAcceptOptions(cfg, func(e extensions.Extension) extensions.Extension {
		return &countedExtension{Extension: e, n: &f.compressions}
	})
	var publish func(typ wsconn.DataType, data []byte)
	var join func(c *wsconn.WebsocketConnection) error
	if f.Direct {
		subs := newSubscriberSet[*wsconn.WebsocketConnection](f)
		join = func(c *wsconn.WebsocketConnection) error {
			subs.add(c)
			c.OnClosed(func() { subs.remove(c) })
			return nil
		}
		publish = func(typ wsconn.DataType, data []byte) {
			pm, err := wsconn.NewPreparedMessage(typ, data)
			if err != nil {
				return // invalid UTF-8 in a text message: wsconn read none
			}
			subs.publish(func(c *wsconn.WebsocketConnection) {
				c.SendPrepared(pm) // fails only when the connection is closing
			})
		}
	} else {
		h := hub.New(&hub.Options{Broker: f.Broker})
		join = func(c *wsconn.WebsocketConnection) error {
			if err := h.Join(fanoutTopic, c); err != nil {
				return err
			}
			f.subscribers.Add(1)
			c.OnClosed(func() { f.subscribers.Add(-1) })
			return nil
		}
		publish = func(typ wsconn.DataType, data []byte) {
			// Without a broker it fails only for invalid UTF-8, which
			// wsconn does not read; a broker that refuses the message
			// loses it, which the load generator notices.
			if err := h.Publish(fanoutTopic, typ, data); err == nil {
				f.published.Add(1)
			}
		}
	}
	return wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
		isPub, n, err := fanout.ParseRequest(r.RequestURI)
		switch {
		case err != nil:
			c.Close(wsconn.ClosePolicyViolation, err.Error())
		case isPub:
			c.OnMessage(publish)
			go func() {
				if err := f.waitFor(n); err != nil {
					c.Close(wsconn.CloseTryAgainLater, "subscribers missing")
					return
				}
				c.SendMessage(wsconn.DataText, []byte(fanout.ReadyMessage))
			}()
		default:
			c.OnMessage(func(wsconn.DataType, []byte) {}) // subscribers have nothing to say
			if err := join(c); err != nil {
				c.Close(wsconn.CloseInternalError, "")
			}
		}
	})
}

// countedExtension counts the outgoing messages an extension processes.
// It passes on the extension's OutgoingKey, so that wsconn still shares
// one compression of a prepared message between connections.
type countedExtension struct {
	extensions.Extension
	n *atomic.Uint64
}

func (e *countedExtension) ProcessOutgoing(m *extensions.Message) error {
	e.n.Add(1)
	return e.Extension.ProcessOutgoing(m)
}

func (e *countedExtension) OutgoingKey() (string, bool) {
	if s, ok := e.Extension.(extensions.SharedOutgoing); ok {
		return s.OutgoingKey()
	}
	return "", false
}
