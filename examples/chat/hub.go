package main

import (
	"expvar"
	"time"

	"github.com/wsconn/wsconn/hub"
)

// The hub's bounds.
const (
	// maxQueuedBytes bounds what waits for one client, in the hub and in
	// its connection's send queue: sixteen of the largest messages, or
	// thousands of the usual short ones.
	maxQueuedBytes = 16 * maxMessage

	// slowTimeout is how long a client's queue may stay full before the
	// hub closes its connection.
	slowTimeout = 10 * time.Second
)

// hubOptions returns the rooms' options, without a broker.
//
// The policy is CloseSlow rather than DropOldest. A chat is read as a
// conversation: a client that cannot keep up (a stalled browser tab, a
// link slower than the room) would under DropOldest stay in the room and
// silently miss a growing share of it. Under CloseSlow, a client whose
// queue is full loses the oldest messages waiting for it, counted in the
// hub's Dropped figure, as under DropOldest; if its queue is still full
// slowTimeout later, it is closed with 1008 "slow consumer", which the
// page shows: its user knows, and can join again. maxQueuedBytes is
// large enough that a burst of a busy room costs a reader nothing.
func hubOptions() *hub.Options {
	return &hub.Options{
		MaxQueuedBytes: maxQueuedBytes,
		Policy:         hub.CloseSlow,
		SlowTimeout:    slowTimeout,
		OnError:        logError,
	}
}

// chatVars are the server's own figures, published as expvar "chat".
type chatVars struct {
	Lost          uint64 `json:"lost"`           // messages the hub or NATS refused (the sender was closed with 1013)
	BinaryRefused uint64 `json:"binary_refused"` // binary messages refused (the sender was closed with 1003)
	Open          int    `json:"open"`           // WebSocket connections open
}

// publishVars publishes the hub's figures as expvar "hub" and the
// server's as "chat", for GET /debug/vars. It may be called once.
func publishVars(h *hub.Hub, s *chatServer) {
	expvar.Publish("hub", expvar.Func(func() any { return h.Stats() }))
	expvar.Publish("chat", expvar.Func(func() any { return s.vars() }))
}
