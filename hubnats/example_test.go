package hubnats_test

import (
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hub"
	"github.com/wsconn/wsconn/hubnats"
)

// A chat server of which several run behind a load balancer: each
// WebSocket at /room/NAME joins room NAME on its server's hub, and the
// hubs share their rooms through NATS, so that a message reaches the
// members of the room on every server.
func Example() {
	host, _ := os.Hostname()
	nc, err := nats.Connect(nats.DefaultURL,
		nats.Name("chat-"+host),
		nats.MaxReconnects(-1),            // never close: a closed connection drops its reconnect buffer
		nats.ReconnectWait(time.Second),   // between tries
		nats.ReconnectBufSize(1<<20),      // what Publish may hold while the link is down; past it, it fails
		nats.PingInterval(10*time.Second), // notice a silent break sooner
		nats.RetryOnFailedConnect(true),   // start even if NATS is not up yet
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Printf("nats: disconnected: %v", err) }),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Printf("nats: reconnected to %s", nc.ConnectedUrl()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Printf("nats: %v", err) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	logError := func(err error) { log.Print(err) }
	h := hub.New(&hub.Options{
		Broker:  hubnats.New(nc, &hubnats.Options{Prefix: "chat.", OnError: logError}),
		OnError: logError,
	})
	defer h.Close()

	http.Handle("/room/", wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		room := strings.TrimPrefix(r.URL.Path, "/room/")
		if err := h.Join(room, c); err != nil {
			c.Close(wsconn.CloseInternalError, "")
			return
		}
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			// An error here (nats.ErrReconnectBufExceeded while NATS
			// has been away too long) means the message reached no one.
			if err := h.Publish(room, typ, data); err != nil {
				log.Printf("room %q: message lost: %v", room, err)
			}
		})
	}))
	// http.ListenAndServe(":8080", nil)
}
