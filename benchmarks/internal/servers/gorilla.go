package servers

import (
	"io"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// gorillaHandler echoes with gorilla/websocket's streaming API, as its
// Autobahn server does: NextReader, NextWriter and io.Copy (which uses the
// writer's ReadFrom, so nothing is allocated per message), with a pool of
// write buffers, which its documentation recommends for many connections,
// of 64 KiB, so that large messages go out in 64 KiB frames as wsconn's do
// (the pool holds them only while a message is written).
// EnableCompression negotiates permessage-deflate without context
// takeover, the only mode gorilla has.
func gorillaHandler(cfg Config) http.Handler {
	u := &websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: cfg.Deflate,
		WriteBufferPool:   &sync.Pool{},
		WriteBufferSize:   64 << 10,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered the request
		}
		defer c.Close()
		c.SetReadLimit(MaxMessage)
		for {
			typ, rd, err := c.NextReader()
			if err != nil {
				return // the close frame was answered, or the peer is gone
			}
			wr, err := c.NextWriter(typ)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	})
}
