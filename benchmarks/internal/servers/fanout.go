package servers

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn/hub"
)

// readyTimeout bounds the wait for the subscribers a publisher asks for.
const readyTimeout = time.Minute

// subscriberQueue is the capacity of the channel of messages each
// subscriber's writer goroutine sends, in the servers that have one
// (gorilla, coder, gobwas); gorilla's chat example has 256. The publisher
// waits when it is full rather than drop a message: the benchmark wants
// every message delivered.
const subscriberQueue = 256

// Fanout makes a server a fan-out server (Config.Fanout), which speaks
// the protocol of package fanout, and counts what it does. Its methods
// may be called from any goroutine.
type Fanout struct {
	// Direct makes wsconn's fan-out server send each message to every
	// subscriber with SendPrepared itself instead of through package
	// hub, so that the hub's own cost is known. The other libraries have
	// no hub: their servers refuse it.
	Direct bool

	// Broker, if not nil, is the broker of the hub of wsconn's fan-out
	// server (hub.Options.Broker), such as hubnats's over NATS: the
	// servers sharing it share the topic, and a message published on one
	// reaches the subscribers of all. The other libraries have no hub:
	// their servers refuse it, as does the direct mode.
	Broker hub.Broker

	subscribers  atomic.Int64
	published    atomic.Uint64
	compressions atomic.Uint64
	counted      atomic.Bool // the server counts compressions
}

// FanoutStats are a fan-out server's figures, in its /stats.
type FanoutStats struct {
	Subscribers int64  `json:"subscribers"` // joined now
	Published   uint64 `json:"published"`   // messages published to them
	// Compressions are the permessage-deflate compressions of published
	// messages, when the server can count them (Counted): wsconn's, from
	// its extension, and gobwas's, which the server does itself. gorilla,
	// coder and gws compress inside the library, out of sight.
	Compressions uint64 `json:"compressions"`
	Counted      bool   `json:"compressions_counted"`
}

// Stats returns f's figures now.
func (f *Fanout) Stats() FanoutStats {
	return FanoutStats{
		Subscribers:  f.subscribers.Load(),
		Published:    f.published.Load(),
		Compressions: f.compressions.Load(),
		Counted:      f.counted.Load(),
	}
}

// waitFor waits until n subscribers have joined, for at most
// readyTimeout.
func (f *Fanout) waitFor(n int) error {
	deadline := time.Now().Add(readyTimeout)
	for f.subscribers.Load() < int64(n) {
		if time.Now().After(deadline) {
			return fmt.Errorf("servers: %d of the %d subscribers asked for joined within %v", f.subscribers.Load(), n, readyTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// subscriberSet is the subscribers of a fan-out server of a library
// without a hub, counted in a Fanout.
type subscriberSet[C comparable] struct {
	f  *Fanout
	mu sync.RWMutex
	m  map[C]struct{}
}

func newSubscriberSet[C comparable](f *Fanout) *subscriberSet[C] {
	return &subscriberSet[C]{f: f, m: make(map[C]struct{})}
}

func (s *subscriberSet[C]) add(c C) {
	s.mu.Lock()
	s.m[c] = struct{}{}
	s.mu.Unlock()
	s.f.subscribers.Add(1)
}

func (s *subscriberSet[C]) remove(c C) {
	s.mu.Lock()
	_, ok := s.m[c]
	delete(s.m, c)
	s.mu.Unlock()
	if ok {
		s.f.subscribers.Add(-1)
	}
}

// publish calls send for every subscriber, holding the set's read lock
// (so that a subscriber that leaves meanwhile waits for the end), and
// counts one message published.
func (s *subscriberSet[C]) publish(send func(C)) {
	s.mu.RLock()
	for c := range s.m {
		send(c)
	}
	s.mu.RUnlock()
	s.f.published.Add(1)
}

// outbox is a subscriber's queue of messages, which a writer goroutine of
// its own sends, in the servers whose libraries want one writer at a time
// per connection (gorilla, coder, gobwas).
type outbox[M any] struct {
	ch       chan M
	gone     chan struct{} // closed once the subscriber has gone
	goneOnce sync.Once
}

func newOutbox[M any]() *outbox[M] {
	return &outbox[M]{ch: make(chan M, subscriberQueue), gone: make(chan struct{})}
}

// put queues m, waiting while the queue is full unless the subscriber
// has gone.
func (o *outbox[M]) put(m M) {
	select {
	case o.ch <- m:
	case <-o.gone:
	}
}

// drain sends the queued messages with write until the subscriber has
// gone or write fails.
func (o *outbox[M]) drain(write func(M) error) {
	defer o.leave()
	for {
		select {
		case m := <-o.ch:
			if write(m) != nil {
				return // the connection is gone, or going
			}
		case <-o.gone:
			return
		}
	}
}

// leave marks the subscriber gone: put no longer waits for it.
func (o *outbox[M]) leave() { o.goneOnce.Do(func() { close(o.gone) }) }

// newFanoutServer returns the fan-out server of lib.
func newFanoutServer(lib string, cfg Config) (Server, error) {
	if cfg.Fanout.Direct && lib != "wsconn" {
		return nil, fmt.Errorf("servers: only wsconn's fan-out server has a direct mode, without a hub; %s has no hub", lib)
	}
	if cfg.Fanout.Broker != nil && (lib != "wsconn" || cfg.Fanout.Direct) {
		return nil, fmt.Errorf("servers: only wsconn's fan-out server with its hub takes a broker; %s has none", lib)
	}
	switch lib {
	case "wsconn":
		return newHTTPServer(wsconnFanoutHandler(cfg)), nil
	case "gorilla":
		return newHTTPServer(gorillaFanoutHandler(cfg)), nil
	case "coder":
		return newHTTPServer(coderFanoutHandler(cfg)), nil
	case "gws":
		return newHTTPServer(gwsFanoutHandler(cfg)), nil
	case "gobwas":
		return newConnServer(gobwasFanoutServe(cfg)), nil
	}
	return nil, fmt.Errorf("servers: %q has no fan-out server", lib)
}
