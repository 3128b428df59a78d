// Package hub delivers messages to groups of WebSocket connections: topics,
// such as chat rooms or live feeds, that connections join and leave, and
// messages published to a topic reach every connection in it.
//
// A message is prepared once (wsconn.PreparedMessage) and sent to every
// member without a copy, and compressed once per permessage-deflate
// setting when the connections compress without context takeover.
//
// Each connection has a bounded queue. What waits for a connection, in
// the hub and in the connection's own send queue, is bounded by
// Options.MaxQueuedBytes; when a message does not fit, the oldest messages
// waiting in the hub make room (DropOldest), and with CloseSlow a
// connection that stays full for Options.SlowTimeout is closed with 1008.
// Drops and closes are counted in Stats, for expvar or a metrics library.
//
// With Options.Broker, topics span processes: a message published on one
// server reaches the members of its topic on every server connected to
// the broker, in the order each publisher published them. Package hub has
// no broker of its own besides the process itself; module
// github.com/wsconn/wsconn/hubnats connects hubs through NATS.
package hub

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wsconn/wsconn"
)

// Policy is what the hub does with a connection whose queue is full.
type Policy int

const (
	// DropOldest drops the oldest messages waiting in the hub for the
	// connection to make room for the newest: a slow reader misses
	// messages, counted in Stats.Dropped, and gets the latest ones.
	DropOldest Policy = iota
	// CloseSlow drops as DropOldest does, and closes a connection whose
	// queue has stayed full for Options.SlowTimeout, with close code 1008
	// and reason "slow consumer": a reader that misses nothing, or
	// nothing at all.
	CloseSlow
)

// Options configures a Hub. The zero value is ready to use.
type Options struct {
	// MaxQueuedBytes bounds what waits for one connection: the
	// messages the hub holds for it plus its own send queue
	// (WebsocketConnection.BufferedAmount). 0 means 1 MiB. A message
	// larger than the bound still goes to a connection with nothing
	// queued.
	MaxQueuedBytes int64

	// Policy decides what happens to a connection whose queue is full.
	Policy Policy

	// SlowTimeout is how long a connection's queue may stay full under
	// CloseSlow. 0 means 5 seconds.
	SlowTimeout time.Duration

	// Broker, if not nil, carries published messages to every hub
	// connected to it, this one included, which delivers them to its
	// members.
	Broker Broker

	// OnError, if not nil, is called with the errors that no call
	// returns: a broker that fails to subscribe a topic that a connection
	// joined, or to unsubscribe one left empty.
	OnError func(error)
}

// Broker carries messages between the hubs of several processes.
// Implementations must deliver the messages of one publisher to each
// subscriber in the order they were published, and call deliver for one
// subscription from one goroutine at a time. Delivery is at most once: a
// hub whose link to the broker is down misses what is published
// meanwhile, and a publish the broker cannot take returns an error.
type Broker interface {
	// Publish sends a message on topic to the subscribers of every hub.
	// It returns an error when the message cannot be handed to the
	// broker; it is then lost, and the caller knows it.
	Publish(topic string, typ wsconn.DataType, data []byte) error

	// Subscribe starts delivering the messages of topic. The data
	// passed to deliver is deliver's until it returns.
	Subscribe(topic string, deliver func(typ wsconn.DataType, data []byte)) (unsubscribe func() error, err error)
}

// Stats are a hub's figures.
type Stats struct {
	Connections int    // connections in at least one topic
	Topics      int    // topics with at least one connection
	Published   uint64 // messages published, or received from the broker
	Delivered   uint64 // messages handed to a connection
	Dropped     uint64 // messages dropped for full queues
	SlowClosed  uint64 // connections closed by CloseSlow
	QueuedBytes int64  // bytes waiting in the hub and in its connections' send queues
}

// ErrClosed is returned by the methods of a closed Hub.
var ErrClosed = errors.New("hub: closed")

// Hub delivers messages to the connections of topics. Its methods may be
// called from any goroutine.
type Hub struct {
	maxQueued   int64
	policy      Policy
	slowTimeout time.Duration
	broker      Broker
	onError     func(error)

	mu      sync.RWMutex
	topics  map[string]*topic
	members map[*wsconn.WebsocketConnection]*member
	closed  bool

	waiting waitList // members with messages waiting in the hub

	published, delivered, dropped, slowClosed atomic.Uint64
}

// topic is a topic and its members.
type topic struct {
	members     map[*member]struct{}
	unsubscribe func() error  // of the broker, if any
	ready       chan struct{} // closed once the broker's subscription is made, or failed
	err         error         // why it failed; set before ready is closed
}

// New returns a hub configured by opts; nil means the zero Options.
func New(opts *Options) *Hub {
	if opts == nil {
		opts = &Options{}
	}
	h := &Hub{
		maxQueued:   opts.MaxQueuedBytes,
		policy:      opts.Policy,
		slowTimeout: opts.SlowTimeout,
		broker:      opts.Broker,
		onError:     opts.OnError,
		topics:      make(map[string]*topic),
		members:     make(map[*wsconn.WebsocketConnection]*member),
	}
	if h.maxQueued <= 0 {
		h.maxQueued = 1 << 20
	}
	if h.slowTimeout <= 0 {
		h.slowTimeout = 5 * time.Second
	}
	h.waiting.init(h)
	return h
}

// Join adds c to topic; joining a topic twice is joining it once. A
// connection leaves all its topics when it closes. With a broker, the
// first member of a topic subscribes the hub to it, and Join returns the
// broker's error if that fails; joins of the same topic meanwhile wait for
// the subscription, nothing else of the hub does.
func (h *Hub) Join(name string, c *wsconn.WebsocketConnection) error {
	if c == nil {
		return errors.New("hub: Join: nil connection")
	}
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return ErrClosed
		}
		t := h.topics[name]
		if t == nil {
			t = &topic{members: make(map[*member]struct{}), ready: make(chan struct{})}
			h.topics[name] = t
			if h.broker == nil {
				close(t.ready)
			} else {
				h.mu.Unlock()
				h.subscribe(name, t) // a round trip to the broker, without the lock
				h.mu.Lock()
			}
		}
		select {
		case <-t.ready:
		default:
			h.mu.Unlock()
			<-t.ready // another Join subscribes
			continue
		}
		if t.err != nil {
			h.mu.Unlock()
			return t.err
		}
		if h.topics[name] != t {
			// The topic went (the hub closed, or its subscription failed)
			// between the subscription and now: start again.
			h.mu.Unlock()
			continue
		}
		m := h.members[c]
		if m == nil {
			m = &member{c: c, topics: make(map[string]struct{})}
			h.members[c] = m
			c.OnClosed(func() { h.remove(m) })
		}
		m.topics[name] = struct{}{}
		t.members[m] = struct{}{}
		h.mu.Unlock()
		return nil
	}
}

// subscribe subscribes the hub to topic name through the broker, for t,
// which Join has just made, and marks t ready. On failure the topic goes,
// and t holds the error for the Joins that wait for it.
func (h *Hub) subscribe(name string, t *topic) {
	unsub, err := h.broker.Subscribe(name, func(typ wsconn.DataType, data []byte) {
		h.published.Add(1)
		if err := h.deliver(name, typ, data); err != nil {
			h.reportError(err)
		}
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	defer close(t.ready)
	if err != nil {
		t.err = fmt.Errorf("hub: subscribing to topic %q: %w", name, err)
		if h.topics[name] == t {
			delete(h.topics, name)
		}
		return
	}
	t.unsubscribe = unsub
	if h.topics[name] != t {
		// The hub closed meanwhile, and dropped the topic without its
		// subscription.
		h.unsubscribe(name, t)
	}
}

// Leave removes c from topic.
func (h *Hub) Leave(name string, c *wsconn.WebsocketConnection) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.members[c]; m != nil {
		h.leaveLocked(name, m)
	}
}

// leaveLocked removes m from topic name, and drops the topic when it is
// left empty and m when it is in no topic. h.mu is held.
func (h *Hub) leaveLocked(name string, m *member) {
	t := h.topics[name]
	if t == nil {
		return
	}
	delete(t.members, m)
	delete(m.topics, name)
	if len(m.topics) == 0 {
		delete(h.members, m.c)
		h.waiting.remove(m)
	}
	if len(t.members) == 0 {
		delete(h.topics, name)
		h.unsubscribe(name, t)
	}
}

// remove takes m out of all its topics: its connection closed.
func (h *Hub) remove(m *member) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name := range m.topics {
		h.leaveLocked(name, m)
	}
}

func (h *Hub) unsubscribe(name string, t *topic) {
	if t.unsubscribe == nil {
		return
	}
	if err := t.unsubscribe(); err != nil {
		h.reportError(fmt.Errorf("hub: unsubscribing from topic %q: %w", name, err))
	}
}

func (h *Hub) reportError(err error) {
	if h.onError != nil {
		h.onError(err)
	}
}

// Publish sends a message to the connections of topic: on this process,
// or with a broker, through it to every hub's. It returns the broker's
// error, or an error for invalid UTF-8 in a text message; a connection
// that cannot take the message does not make it fail (see Policy).
func (h *Hub) Publish(name string, typ wsconn.DataType, data []byte) error {
	h.mu.RLock()
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if h.broker != nil {
		if typ == wsconn.DataText && !utf8.Valid(data) {
			return fmt.Errorf("hub: publishing on topic %q: %w", name, wsconn.ErrInvalidUTF8)
		}
		if err := h.broker.Publish(name, typ, data); err != nil {
			return fmt.Errorf("hub: publishing on topic %q: %w", name, err)
		}
		return nil
	}
	h.published.Add(1)
	return h.deliver(name, typ, data)
}

// deliver sends a message to the members of topic name on this process.
func (h *Hub) deliver(name string, typ wsconn.DataType, data []byte) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	t := h.topics[name]
	if t == nil || len(t.members) == 0 {
		return nil
	}
	pm, err := wsconn.NewPreparedMessage(typ, data)
	if err != nil {
		return fmt.Errorf("hub: publishing on topic %q: %w", name, err)
	}
	msg := queued{pm: pm, size: int64(len(data))}
	for m := range t.members {
		h.send(m, msg)
	}
	return nil
}

// Stats returns the hub's figures now.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	s := Stats{Connections: len(h.members), Topics: len(h.topics)}
	for _, m := range h.members {
		s.QueuedBytes += m.queuedBytes()
	}
	h.mu.RUnlock()
	s.Published = h.published.Load()
	s.Delivered = h.delivered.Load()
	s.Dropped = h.dropped.Load()
	s.SlowClosed = h.slowClosed.Load()
	return s
}

// Close stops the hub: its topics are dropped, with their broker
// subscriptions, and what waits in the hub for its connections is dropped
// too. The connections stay open; Publish and Join return ErrClosed.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	for name, t := range h.topics {
		h.unsubscribe(name, t)
	}
	for _, m := range h.members {
		h.waiting.remove(m)
		m.drop()
	}
	clear(h.topics)
	clear(h.members)
	h.waiting.stop()
	return nil
}
