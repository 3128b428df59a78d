package servers

import (
	"context"
	"errors"
	"net/http"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// wsconnHandler echoes as wsconn's examples/echoserver does: a message
// handler sends each message back, and waits for the outgoing queue to
// drain when it is full. permessage-deflate has its default options; the
// client's offer turns context takeover off.
func wsconnHandler(cfg Config) http.Handler {
	opts := &wsconn.AcceptOptions{
		InsecureSkipOriginCheck: true,
		ConnectionOptions: &wsconn.Options{
			MaxIncomingPayloadSize: MaxMessage,
			MaxTotalMessageSize:    MaxMessage,
		},
	}
	if cfg.Deflate {
		opts.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	}
	return wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, _ *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			err := c.SendMessage(typ, data)
			if errors.Is(err, wsconn.ErrQueueFull) && c.Flush(context.Background()) == nil {
				c.SendMessage(typ, data)
			}
			// Other errors mean the connection is closing.
		})
	})
}
