package servers

import (
	"context"
	"errors"
	"net/http"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// wsconnAcceptOptions are the options of wsconn's servers: the read limit
// of the benchmark, any Origin, and permessage-deflate with its default
// options if cfg.Deflate (the client's offer turns context takeover off).
// ext, if not nil, wraps the deflate extension of each connection.
func wsconnAcceptOptions(cfg Config, ext func(extensions.Extension) extensions.Extension) *wsconn.AcceptOptions {
	opts := &wsconn.AcceptOptions{
		InsecureSkipOriginCheck: true,
		ConnectionOptions: &wsconn.Options{
			MaxIncomingPayloadSize: MaxMessage,
			MaxTotalMessageSize:    MaxMessage,
		},
	}
	if cfg.Deflate {
		f := extensions.NewDeflate(extensions.DeflateOptions{})
		if ext != nil {
			inner := f
			f = func() extensions.Extension { return ext(inner()) }
		}
		opts.Extensions = extensions.NewRegistry(f)
	}
	return opts
}

// wsconnHandler echoes as wsconn's examples/echoserver does: a message
// handler sends each message back, and waits for the outgoing queue to
// drain when it is full.
func wsconnHandler(cfg Config) http.Handler {
	return wsconn.Handler(wsconnAcceptOptions(cfg, nil), func(c *wsconn.WebsocketConnection, _ *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			err := c.SendMessage(typ, data)
			if errors.Is(err, wsconn.ErrQueueFull) && c.Flush(context.Background()) == nil {
				c.SendMessage(typ, data)
			}
			// Other errors mean the connection is closing.
		})
	})
}
