package handshake_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wsconn/wsconn/handshake"
)

func ExampleServer_Process() {
	// A browser's handshake request, as a server's handler receives it.
	r := httptest.NewRequest(http.MethodGet, "http://example.com/chat", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	r.Header.Set("Origin", "http://example.com")
	r.Header.Set("Sec-WebSocket-Protocol", "v2.chat, chat")

	server := &handshake.Server{Protocols: []string{"chat", "v2.chat"}}
	w := httptest.NewRecorder()
	protocol, _, err := server.Process(r, w.Header())
	if err != nil {
		handshake.WriteError(w, r, err)
		return
	}
	// A real handler now hijacks the connection, writes
	// "HTTP/1.1 101 Switching Protocols" with w.Header(), and starts a
	// connection on it.
	fmt.Println("protocol:", protocol)
	for _, name := range []string{"Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol"} {
		fmt.Printf("%s: %s\n", name, w.Header().Get(name))
	}

	// An unsupported version is refused with 426 and the version to use.
	r.Header.Set("Sec-WebSocket-Version", "8")
	w = httptest.NewRecorder()
	if _, _, err := server.Process(r, w.Header()); err != nil {
		handshake.WriteError(w, r, err)
	}
	fmt.Println(w.Code, w.Header().Get("Sec-WebSocket-Version"), w.Body.String())
	// Output:
	// protocol: v2.chat
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
	// Sec-WebSocket-Protocol: v2.chat
	// 426 13 handshake: unsupported Sec-WebSocket-Version "8": want 13
}

func ExampleClientPrepare() {
	req, err := http.NewRequest(http.MethodGet, "http://example.com/chat", nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer token") // kept
	if err := handshake.ClientPrepare(req, "http://example.com", []string{"chat"}, nil); err != nil {
		panic(err)
	}
	for _, name := range []string{"Upgrade", "Connection", "Sec-WebSocket-Version", "Origin", "Sec-WebSocket-Protocol", "Authorization"} {
		fmt.Printf("%s: %s\n", name, req.Header.Get(name))
	}
	fmt.Println("key length:", len(req.Header.Get("Sec-WebSocket-Key")))

	// After sending req and reading the response head into resp:
	resp := &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}}
	_, _, err = handshake.ClientVerify(req, resp, nil)
	fmt.Println(err)
	// Output:
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Version: 13
	// Origin: http://example.com
	// Sec-WebSocket-Protocol: chat
	// Authorization: Bearer token
	// key length: 24
	// handshake: server answered 401 Unauthorized, want 101 Switching Protocols
}

func ExampleAcceptKey() {
	fmt.Println(handshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
	// Output: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}
