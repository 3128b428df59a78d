package wsconn_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/wsconn/wsconn"
)

// echo is a Handler function that sends every message back.
func echo(c *wsconn.WebsocketConnection, r *http.Request) {
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		c.SendMessage(typ, data)
	})
}

func ExampleDial() {
	srv := httptest.NewServer(wsconn.Handler(nil, echo))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := wsconn.Dial(ctx, srv.URL+"/echo", &wsconn.DialOptions{
		Header: http.Header{"User-Agent": {"wsconn-example"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)

	echoed := make(chan string, 1)
	closed := make(chan struct{})
	c.OnMessage(func(typ wsconn.DataType, data []byte) { echoed <- string(data) })
	c.OnClosed(func() { close(closed) })

	c.SendText("hello")
	fmt.Println(<-echoed)
	c.Close(wsconn.CloseNormal, "bye")
	<-closed
	fmt.Println("clean close:", c.CloseStatus().Clean)
	// Output:
	// 101 Switching Protocols
	// hello
	// clean close: true
}

func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/chat", wsconn.Handler(&wsconn.AcceptOptions{Protocols: []string{"chat.v1"}},
		func(c *wsconn.WebsocketConnection, r *http.Request) {
			// Connect the handlers and return: the connection lives
			// on.
			c.OnMessage(func(typ wsconn.DataType, data []byte) {
				c.SendText("you said: " + string(data))
			})
		}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := wsconn.Dial(ctx, srv.URL+"/chat", &wsconn.DialOptions{Protocols: []string{"chat.v1"}})
	if err != nil {
		log.Fatal(err)
	}
	answers := make(chan string, 1)
	closed := make(chan struct{})
	c.OnMessage(func(typ wsconn.DataType, data []byte) { answers <- string(data) })
	c.OnClosed(func() { close(closed) })
	fmt.Println("protocol:", c.Protocol())
	c.SendText("hi")
	fmt.Println(<-answers)
	c.Close(wsconn.CloseNormal, "")
	<-closed
	// Output:
	// protocol: chat.v1
	// you said: hi
}

func ExampleAccept() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := wsconn.Accept(w, r, &wsconn.AcceptOptions{
			ResponseHeader: http.Header{"Set-Cookie": {"session=42; HttpOnly"}},
		})
		if err != nil {
			return // Accept has answered the request
		}
		// Events wait until handlers are connected: nothing the client
		// sends at once is missed.
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := wsconn.Dial(ctx, srv.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	echoed := make(chan []byte, 1)
	closed := make(chan struct{})
	c.OnMessage(func(typ wsconn.DataType, data []byte) { echoed <- data })
	c.OnClosed(func() { close(closed) })
	c.SendBinary([]byte{1, 2, 3})
	fmt.Println(<-echoed)
	c.Close(wsconn.CloseNormal, "")
	<-closed
	// Output:
	// [1 2 3]
}

func ExampleDialStream() {
	// A server on a unix socket; any stream will do.
	dir, err := os.MkdirTemp("", "wsconn")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ws.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: wsconn.Handler(nil, echo), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := net.Dial("unix", path)
	if err != nil {
		log.Fatal(err)
	}
	// The URL gives the request's Host and path; the stream is already
	// connected.
	c, _, err := wsconn.DialStream(ctx, stream, "ws://localhost/echo", nil)
	if err != nil {
		log.Fatal(err)
	}
	echoed := make(chan string, 1)
	closed := make(chan struct{})
	c.OnMessage(func(typ wsconn.DataType, data []byte) { echoed <- string(data) })
	c.OnClosed(func() { close(closed) })
	c.SendText("over a unix socket")
	fmt.Println(<-echoed)
	c.Close(wsconn.CloseNormal, "")
	<-closed
	// Output:
	// over a unix socket
}
