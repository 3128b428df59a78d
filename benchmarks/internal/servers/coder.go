package servers

import (
	"context"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// coderHandler echoes with coder/websocket's streaming API, as its echo
// example does: Reader, Writer and a copy, here through a pooled buffer
// since its writer has no ReadFrom. The context is Background, not a
// deadline per message as in the example, which would cost a timer and
// the watch of a context for each message.
func coderHandler(cfg Config) http.Handler {
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true}
	if cfg.Deflate {
		opts.CompressionMode = websocket.CompressionNoContextTakeover
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return // Accept has answered the request
		}
		defer c.CloseNow()
		c.SetReadLimit(MaxMessage)
		ctx := context.Background()
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return // the close frame was answered, or the peer is gone
			}
			wr, err := c.Writer(ctx, typ)
			if err != nil {
				return
			}
			buf := copyBuffers.Get().(*[]byte)
			_, err = io.CopyBuffer(wr, rd, *buf)
			copyBuffers.Put(buf)
			if err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	})
}
