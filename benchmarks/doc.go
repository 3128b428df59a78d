// Package benchmarks measures wsconn side by side with other Go WebSocket
// libraries (gorilla/websocket, coder/websocket, lxzan/gws and gobwas/ws)
// over loopback TCP. The package itself is empty: run the benchmark with
//
//	go run ./cmd/bench
//
// and see README.md for what it measures and how; go run ./cmd/bench
// -transports tcp,tls,h2,h3 measures wsconn alone over HTTP/1.1 in TLS,
// HTTP/2 and HTTP/3 as well. Its fan-out workloads publish 100 messages
// to 10,000 connections with each library's way of sending one message
// to many (wsconn's package hub, gorilla's PreparedMessage, gws's
// Broadcaster); wsconn's also spans three processes whose hubs share the
// topic through a nats-server (module hubnats), with the latency of every
// delivery. Its test is a smoke test of every echo server against the
// load generator, of wsconn's over every transport, of every fan-out
// server, and of wsconn's across servers through NATS.
package benchmarks
