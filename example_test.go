package wsconn_test

import (
	"fmt"
	"strings"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/iostream"
	"github.com/wsconn/wsconn/mainloop"
)

// A client and a server over an in-memory pipe: the server answers each
// message in upper case; the client closes after the first answer.
func ExampleNewWebsocketConnection() {
	a, b := iostream.Pipe()
	client := wsconn.NewWebsocketConnection(a, nil, wsconn.ConnectionClient, "", "", nil, nil)
	server := wsconn.NewWebsocketConnection(b, nil, wsconn.ConnectionServer, "", "", nil, nil)

	server.OnMessage(func(typ wsconn.DataType, data []byte) {
		server.SendText(strings.ToUpper(string(data)))
	})
	done := make(chan struct{})
	client.OnMessage(func(typ wsconn.DataType, data []byte) {
		fmt.Printf("%s: %s\n", typ, data)
		client.Close(wsconn.CloseNormal, "thanks")
	})
	client.OnClosed(func() { close(done) })

	client.SendText("hello")
	<-done
	st := client.CloseStatus()
	fmt.Println("closed with", st.Code, "clean:", st.Clean)
	// Output:
	// text: HELLO
	// closed with 1000 (normal closure) clean: true
}

// Subscribe delivers the signals on a channel, for code that prefers a
// select loop to callbacks. The channel is closed after the closed signal.
func ExampleWebsocketConnection_Subscribe() {
	a, b := iostream.Pipe()
	client := wsconn.NewWebsocketConnection(a, nil, wsconn.ConnectionClient, "", "", nil, nil)
	server := wsconn.NewWebsocketConnection(b, nil, wsconn.ConnectionServer, "", "", nil, nil)
	events := server.Subscribe("message", "closed")

	client.SendText("one")
	client.SendBinary([]byte{2})
	client.Close(wsconn.CloseGoingAway, "")

	for ev := range events {
		switch ev.Signal {
		case "message":
			fmt.Printf("message %s %q\n", ev.Type, ev.Data)
		case "closed":
			fmt.Println("closed:", server.CloseCode())
		}
	}
	// Output:
	// message text "one"
	// message binary "\x02"
	// closed: 1001 (going away)
}

// With Options.MainContext every handler runs on the user's own loop; Loop is a
// ready one for programs that have none.
func ExampleLoop() {
	loop := mainloop.New()
	a, b := iostream.Pipe()
	client := wsconn.NewWebsocketConnection(a, nil, wsconn.ConnectionClient, "", "", nil, nil)
	server := wsconn.NewWebsocketConnection(b, nil, wsconn.ConnectionServer, "", "", nil,
		&wsconn.Options{MainContext: loop})

	server.OnMessage(func(_ wsconn.DataType, data []byte) {
		fmt.Println("on the loop:", string(data))
	})
	server.OnClosed(loop.Quit)

	client.SendText("ping from the client")
	client.Close(wsconn.CloseNormal, "")
	loop.Run() // runs the handlers here, returns after closed
	// Output:
	// on the loop: ping from the client
}
