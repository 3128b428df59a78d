package wsapp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/wsapp"
)

func ExampleApp() {
	// A server that drops the first connection and echoes on the next.
	var accepted atomic.Int32
	srv := httptest.NewServer(wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		if accepted.Add(1) == 1 {
			c.Abort()
			return
		}
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
	}))
	defer srv.Close()

	app := &wsapp.App{
		URL: srv.URL,
		Dial: wsconn.DialOptions{
			Header: http.Header{"User-Agent": {"wsconn-example"}},
		},
	}
	app.OnOpen = func(c *wsconn.WebsocketConnection) {
		fmt.Println("open")
	}
	app.OnReconnect = func(c *wsconn.WebsocketConnection) {
		fmt.Println("reconnected")
		c.SendText("hello")
	}
	app.OnMessage = func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
		fmt.Printf("%s message: %s\n", typ, data)
		app.Close(wsconn.CloseNormal, "done") // RunForever returns nil once closed
	}
	app.OnError = func(c *wsconn.WebsocketConnection, err error) {
		if errors.Is(err, wsconn.ErrAbnormalClosure) {
			fmt.Println("error: connection lost")
		}
	}
	app.OnClose = func(c *wsconn.WebsocketConnection, code wsconn.CloseCode, reason string) {
		fmt.Println("closed:", code)
	}

	// Cancelling ctx would stop it too, closing with 1001.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := app.RunForever(ctx, wsapp.RunOptions{
		PingInterval:      20 * time.Second,
		PingTimeout:       10 * time.Second,
		ReconnectDelay:    10 * time.Millisecond,
		MaxReconnectDelay: 5 * time.Second,
	})
	fmt.Println("stopped, error:", err)
	// Output:
	// open
	// error: connection lost
	// closed: 1006 (abnormal closure)
	// reconnected
	// text message: hello
	// closed: 1000 (normal closure)
	// stopped, error: <nil>
}
