// Package wsconn is a WebSocket (RFC 6455, RFC 7692) connection shaped after
// libsoup's SoupWebsocketConnection.
//
// One type, WebsocketConnection, serves both ends. It runs over any
// io.ReadWriteCloser on which the opening handshake is done (see the
// handshake package, or Dial and Accept, which do it over net/http), so it
// works over TCP, TLS, pipes, unix sockets, SSH channels or in-process
// streams alike. Sends are queued and return at once; what happens on the
// connection is reported through signals: message, closing, closed, error,
// ping, pong and notify (property changes), as typed handlers (OnMessage,
// ...) or as channels (Subscribe), and through a blocking pull API
// (Receive) for code that prefers it.
//
// # Transports
//
// Dial and Accept speak HTTP/1.1 Upgrade, and WebSocket over HTTP/2
// (RFC 8441) when DialOptions.HTTPProtocols asks for it or a request comes
// over HTTP/2; HTTP/3 (RFC 9220) is in module github.com/wsconn/wsconn/http3.
// A server on net/http's HTTP/2 needs package xconnect imported (or
// GODEBUG=http2xconnect=1). Built for GOOS=js GOARCH=wasm, Dial uses the
// browser's WebSocket.
//
// # Beyond one connection
//
// NewPreparedMessage prepares a message for many connections (package hub
// builds rooms on it); NetConn makes a net.Conn of a connection's binary
// messages; package wsjson sends and receives JSON values.
//
// # Goroutines and memory
//
// An idle connection has one goroutine, its reader. A writer goroutine runs
// only while the outgoing queue holds something. Handlers run one at a
// time: on the reader, which hands reading over to a new goroutine when
// they run long, or on the user's own loop with Options.MainContext. Timers
// (keepalive, close timeout) are runtime timers. When the stream can wait
// for readable data without a buffer (iostream.ReadWaiter, which
// iostream.NewConn gives a net.Conn), the read buffer goes back to a pool
// while the connection is idle.
//
// # Delivery and slow consumers
//
// The connection reads on whatever its consumers do: pings are answered,
// pongs counted, and the peer's close frame and the end of the stream seen,
// so a connection always reaches Closed and emits closed exactly once.
// Messages wait for slow receivers (handlers still busy, subscriptions
// not read, a pull API not called) up to the receive buffer
// (Options.ReceiveBufferSize, 1 MiB by default); past it the connection stops
// reading until they catch up, the stream's buffers fill and the peer is
// slowed down by the transport (TCP back-pressure). The keepalive pong
// deadline does not run meanwhile. After a local Close, data past the
// buffer is dropped so that the peer's close frame is reached.
//
// # Receiving
//
// Every incoming message goes to every receiver: each message handler
// (OnMessage) and subscription (Subscribe), each fragment handler
// (OnFragment), and the pull API (Receive, ReceiveText, ReceiveBinary,
// NextReader) once it has been used. Events wait for the first
// handler, subscription or receive; messages wait for the first message
// receiver, and after that a message goes to the receivers connected when
// it arrives, or is dropped (traced at debug level with Options.Logger). A
// closed handler connected after the close still runs once. Connect
// several handlers inside Hold for all of them to see every event from the
// first.
package wsconn
