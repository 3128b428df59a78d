// Package conformance is a WebSocket conformance suite (RFC 6455 and
// RFC 7692 permessage-deflate) in the manner of the Autobahn|Testsuite.
//
// The suite plays both sides of the protocol over raw TCP, with frames it
// builds by hand, so that it can send what a well-behaved endpoint never
// would: reserved bits and opcodes, broken fragmentation, oversized or
// fragmented control frames, wrongly masked frames, invalid UTF-8 split
// across fragments, every range of close codes, messages of up to 16 MiB,
// and permessage-deflate with every combination of window bits and
// context takeover.
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
// The command conformance/cmd/wsconform runs the suite against other
// implementations (from conformance/):
//
//	go run ./cmd/wsconform -server ws://127.0.0.1:9001/
//	go run ./cmd/wsconform -listen 127.0.0.1:9001
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
// the peer must then close the TCP connection (RFC 6455 section 7.1.1);
// as a client, the suite closes it.
package conformance
