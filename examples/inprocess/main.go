// Command inprocess runs a WebSocket client and server in one process over
// an in-memory pipe: no network and no HTTP handshake, just the connection.
// It shows the signals, the closing handshake and the close status.
//
//	go run ./examples/inprocess
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/iostream"
)

func main() {
	a, b := iostream.Pipe()
	client := wsconn.NewWebsocketConnection(a, nil, wsconn.ConnectionClient, "", "", nil, nil)
	server := wsconn.NewWebsocketConnection(b, nil, wsconn.ConnectionServer, "", "", nil, nil)

	// The server echoes every message in upper case.
	server.OnMessage(func(typ wsconn.DataType, data []byte) {
		if typ == wsconn.DataText {
			server.SendText(strings.ToUpper(string(data)))
		}
	})

	done := make(chan struct{})
	want := []string{"hello", "wsconn", "bye"}
	got := 0
	client.OnMessage(func(typ wsconn.DataType, data []byte) {
		fmt.Printf("client got %s message %q\n", typ, data)
		if got++; got == len(want) {
			client.Close(wsconn.CloseNormal, "all done")
		}
	})
	client.OnNotify(func(property string) {
		if property == "state" {
			fmt.Println("client state:", client.State())
		}
	})
	client.OnClosed(func() { close(done) })

	for _, m := range want {
		if err := client.SendText(m); err != nil {
			fmt.Fprintln(os.Stderr, "send:", err)
			os.Exit(1)
		}
	}
	<-done
	st := server.CloseStatus()
	fmt.Printf("server saw close %s %q (clean: %v)\n", st.Code, st.Reason, st.Clean)
}
