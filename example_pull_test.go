package wsconn_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/iostream"
)

// The pull API, wsocket- and MicroPie-style: a handler that receives and
// answers in a plain loop.
func ExampleWebsocketConnection_Receive() {
	a, b := iostream.Pipe()
	client := wsconn.NewWebsocketConnection(a, nil, wsconn.ConnectionClient, "", "", nil, nil)
	server := wsconn.NewWebsocketConnection(b, nil, wsconn.ConnectionServer, "", "", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	go func() { // the server's handler
		for {
			text, err := server.ReceiveText(ctx)
			if err != nil {
				return // closed: err is a *wsconn.CloseError
			}
			server.SendText("echo: " + text)
		}
	}()

	client.SendText("hi")
	answer, _ := client.ReceiveText(ctx)
	fmt.Println(answer)
	client.Close(wsconn.CloseNormal, "bye")
	_, _, err := client.Receive(ctx)
	fmt.Println(err)
	// Output:
	// echo: hi
	// wsconn: connection closed: 1000 (normal closure) "bye"
}

// Streaming: a message sent from an io.Reader and received as an io.Reader,
// never whole in memory on either side.
func ExampleWebsocketConnection_NextReader() {
	a, b := iostream.Pipe()
	opts := &wsconn.Options{MaxTotalMessageSize: -1, FragmentSize: 1 << 10}
	client := wsconn.NewWebsocketConnection(a, nil, wsconn.ConnectionClient, "", "", nil, opts)
	server := wsconn.NewWebsocketConnection(b, nil, wsconn.ConnectionServer, "", "", nil, opts)
	ctx := context.Background()

	go func() {
		w, err := client.NextWriter(ctx, wsconn.DataText)
		if err != nil {
			return
		}
		io.Copy(w, strings.NewReader(strings.Repeat("streamed ", 100000)))
		w.Close()
	}()

	typ, r, err := server.NextReader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, r)
	fmt.Println(typ, n, "bytes")
	client.Abort()
	// Output:
	// text 900000 bytes
}

// MicroPie's accept(subprotocol, session_id): choose the subprotocol and
// set a session cookie on the 101 response.
func ExampleAccept_sessionCookie() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session := &http.Cookie{Name: "session_id", Value: "s-1234", HttpOnly: true}
		c, err := wsconn.Accept(w, r, &wsconn.AcceptOptions{
			Protocols:      []string{"chat.v2"},
			ResponseHeader: http.Header{"Set-Cookie": {session.String()}},
		})
		if err != nil {
			return
		}
		c.SendText("welcome")
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := wsconn.Dial(ctx, srv.URL, &wsconn.DialOptions{Protocols: []string{"chat.v2"}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Abort()
	text, _ := c.ReceiveText(ctx)
	fmt.Println(c.Protocol(), resp.Header.Get("Set-Cookie"), text)
	// Output:
	// chat.v2 session_id=s-1234; HttpOnly welcome
}
