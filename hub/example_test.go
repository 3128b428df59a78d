package hub_test

import (
	"expvar"
	"net/http"
	"strings"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hub"
)

// A chat server: each WebSocket at /room/NAME joins room NAME, and every
// message it sends goes to every member of the room. The hub's figures
// are published with expvar, at /debug/vars.
func Example() {
	h := hub.New(&hub.Options{MaxQueuedBytes: 256 << 10, Policy: hub.DropOldest})
	expvar.Publish("chat", expvar.Func(func() any { return h.Stats() }))

	http.Handle("/room/", wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		room := strings.TrimPrefix(r.URL.Path, "/room/")
		if err := h.Join(room, c); err != nil {
			c.Close(wsconn.CloseInternalError, "")
			return
		}
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			h.Publish(room, typ, data) // to every member, the sender included
		})
	}))
	// http.ListenAndServe(":8080", nil)
}
