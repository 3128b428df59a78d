// Package benchmarks measures wsconn side by side with other Go WebSocket
// libraries (gorilla/websocket, coder/websocket, lxzan/gws and gobwas/ws)
// over loopback TCP. The package itself is empty: run the benchmark with
//
//	go run ./cmd/bench
//
// and see README.md for what it measures and how. Its test is a smoke
// test of every echo server against the load generator.
package benchmarks
