// Package conformance is a WebSocket conformance suite (RFC 6455 and
// RFC 7692 permessage-deflate) in the manner of the Autobahn|Testsuite.
//
// The suite plays both sides of the protocol over raw TCP (or over the
// stream of an HTTP/2 request, RFC 8441), with frames it builds by hand,
// so that it can send what a well-behaved endpoint never would: reserved
// bits and opcodes, broken fragmentation, oversized or fragmented control
// frames, wrongly masked frames, invalid UTF-8 split across fragments,
// every range of close codes, messages of up to 16 MiB, and
// permessage-deflate with every combination of window bits and context
// takeover.
//
//   - As a fuzzing client (FuzzingClient) it connects to an echo server
//     and checks the server role of an implementation.
//   - As a fuzzing server (FuzzingServer) it speaks the client protocol of
//     Autobahn's fuzzing server (/getCaseCount, /runCase?case=N&agent=A,
//     /updateReports?agent=A) to any client that echoes every message,
//     and checks the client role.
//
// The cases (Cases) follow the categories of the Autobahn|Testsuite: 1
// framing, 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6
// UTF-8 handling, 7 close handling, 9 limits and performance, 10
// auto-fragmentation, 12 and 13 permessage-deflate. Each case is graded
// with Autobahn's vocabulary (see Grade): OK when the peer behaved exactly
// as expected, NON-STRICT when its behaviour is acceptable but not the
// strict expectation (for example when it failed the connection on
// invalid UTF-8 only at the end of the message, not as soon as the bad
// byte arrived), INFORMATIONAL for cases that only record what happened,
// UNIMPLEMENTED when the peer does not offer what the case needs (for
// example permessage-deflate), and FAILED otherwise. WriteTable prints the
// results by category.
//
// The peer's compressed messages are inflated by wsconn's reference
// DEFLATE decoder (internal/deflateref), which also checks that they
// respect the negotiated window size and context takeover.
//
// # Running the suite
//
// The suite is a module of its own, github.com/wsconn/wsconn/conformance,
// which requires wsconn and, in this repository, replaces it with ../: a
// go test ./... in wsconn's root does not run it. In conformance/, go
// test ./... builds wsconn's examples/echoserver and
// examples/echoclient, runs every case in both roles (the cases about
// limits against a second echoserver started with -max-message 65536),
// logs the table and the timings of category 9, and fails unless every
// case is OK or INFORMATIONAL. -short skips the heaviest cases (Heavy:
// messages of 8 MiB or more, or of the peer's whole limit); with -race the
// programs are built with the race detector too. The flag -cases REGEXP
// selects cases by ID:
//
//	cd conformance && go test . -run TestConformance -v -args -cases '^6\.4\.'
//
// TestConformanceHTTP2 runs every case again over HTTP/2 (see below), in
// both roles, against wsconn in the test's own process: wsconn.Handler
// with the options of examples/echoserver on an httptest server with
// HTTP/2 over TLS (a second handler with a message limit of 64 KiB for
// the cases about limits), and a wsconn client that plays the Autobahn
// protocol as examples/echoclient -autobahn -deflate does, dialing with
// DialOptions.HTTPProtocols set to HTTP/2 only, over TLS with a
// certificate made by the test. TestConformanceH2C runs the cases of
// categories 1 to 7 over cleartext HTTP/2 with prior knowledge (h2c), in
// both roles. The flag -cases applies to them too.
//
// The command conformance/cmd/wsconform runs the suite against other
// implementations (from conformance/):
//
//	go run ./cmd/wsconform -server ws://127.0.0.1:9001/
//	go run ./cmd/wsconform -listen 127.0.0.1:9001
//	go run ./cmd/wsconform -http2 -server wss://127.0.0.1:9443/ -insecure
//	go run ./cmd/wsconform -http2 -listen 127.0.0.1:9001
//
// # Over HTTP/2
//
// With FuzzingClient.HTTP2 and FuzzingServer.HTTP2 each WebSocket is the
// stream of an extended CONNECT request over HTTP/2 (RFC 8441): the
// request has :protocol websocket, Sec-WebSocket-Version 13 and the offer
// of permessage-deflate, the response is 200 (the suite as a client takes
// any 2xx, as CONNECT does), and neither carries Sec-WebSocket-Key or
// -Accept. The cases run unchanged in the request's and the response's
// bodies. As a client the suite opens an HTTP/2 connection for each case,
// over TLS with h2 in ALPN for a wss:// URL, or h2c for ws://; as a
// server it serves h2c, or HTTP/2 over TLS with FuzzingServer.TLSConfig,
// and runs the WebSockets one at a time.
//
// The ends of the TCP connection become ends of the stream, as RFC 8441
// section 5 maps them: the peer's END_STREAM is its FIN, and a reset
// stream (RST_STREAM), or a broken HTTP/2 connection, is an abrupt end,
// graded as a TCP connection that ends is (a failure without a close
// frame, for example). As a server, the peer must end its stream after
// the closing handshake where over TCP it must close the connection; over
// HTTP/2 it must do so with END_STREAM, the orderly close: a reset there
// is NON-STRICT (a check that exists over HTTP/2 only, as the suite does
// not tell a TCP FIN from a RST). The suite ends its own side when it
// closes: as a client it ends the request's body and resets what remains
// of the stream, as a server its handler returns, which ends the
// response (Go's server then resets the stream with NO_ERROR if the
// client has not ended its side, as RFC 9113 section 8.1 allows). Go's
// HTTP/2 server takes extended CONNECT only with GODEBUG=http2xconnect=1
// as the program starts: the package imports
// github.com/wsconn/wsconn/xconnect, which sets it.
//
// # What the suite expects
//
// Every case ends with a closing handshake. A case that expects the peer
// to fail the connection wants its close frame with the given code (1002
// for protocol errors, 1007 for invalid UTF-8, 1009 past the size limit)
// within FailWait; a connection dropped without a close frame is
// NON-STRICT, as are echoes the peer drops when it fails the connection
// (as in the Autobahn|Testsuite). Otherwise the peer must echo every
// message exactly, with its type, answer every ping with its payload,
// and answer the suite's close frame with the same code. As a server,
// the peer must then close the TCP connection (RFC 6455 section 7.1.1),
// or end its stream over HTTP/2; as a client, the suite closes it.
package conformance
