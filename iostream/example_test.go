package iostream_test

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/wsconn/wsconn/iostream"
)

func ExamplePipe() {
	client, server := iostream.Pipe()
	defer client.Close()
	defer server.Close()

	// Unlike with net.Pipe, a write that fits in the buffer returns
	// without a reader, so one goroutine can play both sides.
	if _, err := client.Write([]byte("hello, server")); err != nil {
		log.Fatal(err)
	}
	// After CloseWrite the server reads the rest and then io.EOF, and
	// can still answer.
	client.CloseWrite()
	msg, _ := io.ReadAll(server)
	fmt.Printf("server got %q\n", msg)

	server.Write([]byte("hello, client"))
	server.Close()
	msg, _ = io.ReadAll(client)
	fmt.Printf("client got %q\n", msg)
	// Output:
	// server got "hello, server"
	// client got "hello, client"
}

// A program started by another one can speak WebSocket over its standard
// input and output.
func ExampleJoin_stdio() {
	s := iostream.Join(os.Stdin, os.Stdout)
	defer s.Close()
	// Hand s to the WebSocket connection.
}

func ExampleWriteBuffers() {
	a, b := iostream.Pipe()
	defer a.Close()
	defer b.Close()

	// A frame header and its payload, written together: with one system
	// call on a socket, as one write on a pipe.
	bufs := net.Buffers{[]byte{0x81, 0x02}, []byte("hi")}
	n, err := iostream.WriteBuffers(a, &bufs)
	if err != nil {
		log.Fatal(err)
	}
	frame := make([]byte, n)
	io.ReadFull(b, frame)
	fmt.Printf("% x, %d buffers left\n", frame, len(bufs))
	// Output: 81 02 68 69, 0 buffers left
}

func ExampleNewPrefixed() {
	a, b := iostream.Pipe()
	defer a.Close()
	defer b.Close()

	// The handshake read "first " past the end of the HTTP head.
	s := iostream.NewPrefixed([]byte("first "), a)
	b.Write([]byte("then the stream"))
	b.CloseWrite()
	rest, _ := io.ReadAll(s)
	fmt.Printf("%s\n", rest)
	// Output: first then the stream
}

func ExampleFromHijack() {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		// After checking the upgrade request:
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n" +
			"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Accept: ...\r\n\r\n")
		// FromHijack sends the response head and keeps the frames the
		// client may have sent behind its request, which the server
		// has already read into brw.
		conn, err := iostream.FromHijack(c, brw)
		if err != nil {
			c.Close()
			return
		}
		defer conn.Close()
		// Hand conn to the WebSocket connection; brw is no longer used.
	})
}
