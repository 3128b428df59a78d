// Package hubnats connects the hubs of several processes (package
// github.com/wsconn/wsconn/hub) through NATS (github.com/nats-io/nats.go):
// a message published to a topic on one server reaches the members of
// that topic on every server, the publishing one included.
//
// It is a module of its own so that the wsconn module does not depend on
// NATS.
//
// # Connecting
//
// The hubs of every server connect to the same NATS server or cluster,
// each through a nats.Conn, and use a Broker made from it:
//
//	nc, err := nats.Connect(url,
//		nats.Name("chat-"+host),
//		nats.MaxReconnects(-1),            // never close: a closed connection drops its reconnect buffer
//		nats.ReconnectWait(time.Second),   // between tries
//		nats.ReconnectBufSize(1<<20),      // what Publish may hold while the link is down; past it, it fails
//		nats.PingInterval(10*time.Second), // notice a silent break sooner than the 2 minutes default
//		nats.RetryOnFailedConnect(true),   // start even if NATS is not up yet
//		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Printf("nats: disconnected: %v", err) }),
//		nats.ReconnectHandler(func(nc *nats.Conn) { log.Printf("nats: reconnected to %s", nc.ConnectedUrl()) }),
//		nats.ClosedHandler(func(*nats.Conn) { log.Print("nats: connection closed") }),
//		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Printf("nats: %v", err) }),
//	)
//	...
//	h := hub.New(&hub.Options{Broker: hubnats.New(nc, nil), OnError: logError})
//
// Do not use nats.NoEcho: a hub receives its own messages through NATS
// (New panics). Errors the server reports about a subscription, such as a
// permissions violation, go to the connection's nats.ErrorHandler.
//
// # Topics, subjects and messages
//
// Topic t is the NATS subject Options.Prefix+Token(t), "wsconn.hub.t" by
// default. Token escapes every byte but ASCII letters, digits, '-' and
// '_' as %XX, so that any topic, with dots, spaces, wildcards or empty, is
// one literal token: topics never see each other's messages. A text
// message is a plain NATS message whose payload is the WebSocket message;
// a binary message carries the header Wsconn-Type: binary (TypeHeader).
//
// # Order and delivery
//
// NATS keeps the order of the messages of one connection on the way to
// each subscription, and each topic of a hub has a NATS subscription of
// its own, whose messages nats.go hands to the hub one at a time, on one
// goroutine: the messages of one publisher reach every member in the
// order they were published.
//
// Core NATS delivers a message to the subscriptions the server knows when
// the message reaches it, at most once; there is no store. Subscribe
// waits for the server to confirm a new subscription (one round trip,
// Options.SubscribeTimeout), so that hub.Join returns once the member can
// receive what any server publishes next.
//
// What waits in this process for a hub to take it is bounded by
// Options.PendingMsgsLimit and PendingBytesLimit; past them nats.go drops
// messages, and the Broker reports how many to Options.OnError, as a
// SlowConsumerError (which matches nats.ErrSlowConsumer). A connection that reads too slowly for the server
// is closed by the server (its own slow-consumer limit) and reconnects.
//
// # When the link is down
//
// When nats.go notices that its connection is gone, it reconnects, and
// until it has, Publish does not fail at once: nats.go appends the
// message to its reconnect buffer, bounded by nats.ReconnectBufSize (8
// MiB by default), and Publish returns nil. After reconnecting, nats.go
// subscribes again, then sends the buffer, in order. A message the buffer
// has no room for is refused: Publish returns nats.ErrReconnectBufExceeded
// (hub.Publish wraps it), and the caller knows it is lost.
// nats.ReconnectBufSize(-1) makes every Publish fail while the link is
// down.
//
// So a message Publish accepted while the link was down is published
// after the reconnect, and it reaches the hubs connected then; a hub
// whose own link is still down misses it, as it misses anything published
// while it is away. Messages published just before the link broke,
// before nats.go noticed (written to the dead socket, or waiting in its
// write buffer), may be lost without an error: core NATS acknowledges
// nothing. nats.PingInterval and nats.MaxPingsOutstanding bound how long
// a silent break goes unnoticed. If the connection closes for good
// (nats.MaxReconnects reached, or Close), what its reconnect buffer held
// is lost: hence MaxReconnects(-1) and a ClosedHandler that tells.
package hubnats
