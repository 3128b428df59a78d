package wsconn

import (
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cskr/pubsub/v2"
)

// Signal names what happened on a connection, as libsoup's signal names
// do; the names are the topics of Subscribe:
//
//	"message"  a whole data message arrived (OnMessage)
//	"closing"  the closing handshake started, state Closing (OnClosing)
//	"closed"   the connection is closed; the last signal (OnClosed)
//	"error"    something went wrong; the connection is failing or has
//	           failed, and closed follows (OnError)
//	"pong"     a pong frame arrived (OnPong)
//	"ping"     a ping frame arrived, already answered (OnPing)
//	"notify"   a property changed (OnNotify)
type Signal string

// allSignals names the signals, indexed by their signalKind.
var allSignals = []Signal{"message", "closing", "closed", "error", "pong", "notify", "ping"}

// Event is what a subscription channel receives.
type Event struct {
	Signal Signal
	// Type and Data are set for "message"; Data also for "pong" and
	// "ping".
	// Several receivers share Data: treat it as read-only.
	Type DataType
	Data []byte
	// Err is set for "error".
	Err error
	// Property is set for "notify": the name of the property, as
	// OnNotify gets it.
	Property string
	// State is set for "notify" of "state": the state the
	// connection entered. (State() may already be newer.)
	State State
}

// HandlerID identifies a connected handler, for Disconnect.
type HandlerID uint64

// MainContext runs functions on the user's thread or event loop, such as a
// GUI toolkit's main loop. Invoke must queue f to run later, after the
// functions queued before it, and return without running it. mainloop.Loop is a
// ready implementation.
type MainContext interface {
	Invoke(f func())
}

// subscriptionBuffer is the capacity of a subscription channel.
const subscriptionBuffer = 64

type signalKind uint8

const (
	sigMessage signalKind = iota
	sigClosing
	sigClosed
	sigError
	sigPong
	sigNotify
	sigPing
	sigFragment // one frame of a message, for fragment handlers and NextReader
)

type event struct {
	kind signalKind
	typ  DataType
	data []byte
	err  error
	prop string
	st   State
	// For sigFragment: the frame starts or ends its message. For
	// sigMessage: the message's frames went out as sigFragment events
	// already.
	first, fin, partsSent bool
	// pullFrames: the pull API takes the message frame by frame (it is
	// decided when the message starts).
	pullFrames bool
	// late is a closed handler connected after the closed event.
	late func()
	// size is what a message or fragment counts in the receive buffer.
	size int64
	// rtt is the round trip a pong answers, if it answers a keepalive ping.
	rtt time.Duration
	// queueClose: closing, after whose delivery the close frame that
	// answers the peer is queued.
	queueClose bool
}

type handler[F any] struct {
	id HandlerID
	fn F
}

// handlerList is a copy-on-write list: emitting reads it without a lock.
type handlerList[F any] struct {
	p atomic.Pointer[[]handler[F]]
}

func (l *handlerList[F]) load() []handler[F] {
	if p := l.p.Load(); p != nil {
		return *p
	}
	return nil
}

// add and remove are called with signals.hmu held.
func (l *handlerList[F]) add(id HandlerID, fn F) {
	old := l.load()
	list := make([]handler[F], len(old), len(old)+1)
	copy(list, old)
	list = append(list, handler[F]{id, fn})
	l.p.Store(&list)
}

func (l *handlerList[F]) remove(id HandlerID) bool {
	old := l.load()
	for i, h := range old {
		if h.id == id {
			list := make([]handler[F], 0, len(old)-1)
			list = append(list, old[:i]...)
			list = append(list, old[i+1:]...)
			l.p.Store(&list)
			return true
		}
	}
	return false
}

// signals runs a connection's handlers and subscriptions, one event at a
// time, in order (see deliver.go for who runs them, and when).
type signals struct {
	c       *WebsocketConnection
	drainFn func()

	hmu      sync.Mutex // guards nextID, the lists' writers, subs and psClosed
	nextID   HandlerID
	message  handlerList[func(DataType, []byte)]
	closing  handlerList[func()]
	closed   handlerList[func()]
	errs     handlerList[func(error)]
	pong     handlerList[func([]byte)]
	ping     handlerList[func([]byte)]
	notify   handlerList[func(string)]
	fragment handlerList[func(DataType, []byte, bool)]
	subs     map[<-chan Event]subscription
	psClosed bool // the closed event was delivered

	// psMu serializes publishing with the shutdown of ps, whose goroutine
	// exists only while a subscription does.
	psMu    sync.Mutex
	ps      atomic.Pointer[pubsub.PubSub[Signal, Event]]
	msgSubs atomic.Int32 // subscriptions that include "message"

	deliverQueue

	dropped atomic.Uint64 // messages that went to no receiver

	pull pullQueue
}

// subscription is a channel of Subscribe, writable, and whether it takes
// messages.
type subscription struct {
	ch       chan Event
	messages bool
}

func (s *signals) init(c *WebsocketConnection) {
	s.c = c
	s.drainFn = s.drain
	s.room.L = &s.qmu
	s.pull.init()
}

// wantsMessages reports whether whole messages have receivers now: message
// handlers, subscriptions, or the pull API before NextReader was used.
func (s *signals) wantsMessages() bool {
	return len(s.message.load()) > 0 || s.msgSubs.Load() > 0 || s.pull.wants(false)
}

// wantsFragments reports whether frames have receivers now: fragment
// handlers, or the pull API once NextReader was used.
func (s *signals) wantsFragments() bool {
	return len(s.fragment.load()) > 0 || s.pull.wants(true)
}

// deliver runs the handlers of one event, then publishes it to the
// subscriptions. It reports whether a message went to the pull API, which
// then owns its share of the receive buffer.
func (s *signals) deliver(ev *event) (pulled bool) {
	switch ev.kind {
	case sigMessage:
		msgs, frags := s.message.load(), s.fragment.load()
		if !ev.partsSent && !s.wantsMessages() && !s.wantsFragments() {
			s.drop(ev, "no receiver")
			return false
		}
		for _, h := range msgs {
			h.fn(ev.typ, ev.data)
		}
		if !ev.partsSent {
			// The frames were not delivered one by one: the whole
			// message is the one fragment of the fragment receivers.
			for _, h := range frags {
				h.fn(ev.typ, ev.data, true)
			}
		}
		if !ev.partsSent || !ev.pullFrames {
			pulled = s.pull.push(pullItem{ev.typ, ev.data, true, true, ev.size})
		}
	case sigFragment:
		for _, h := range s.fragment.load() {
			h.fn(ev.typ, ev.data, ev.fin)
		}
		if ev.pullFrames {
			return s.pull.push(pullItem{ev.typ, ev.data, ev.first, ev.fin, ev.size}) // not a signal for subscriptions
		}
	case sigPing:
		for _, h := range s.ping.load() {
			h.fn(ev.data)
		}
	case sigClosing:
		for _, h := range s.closing.load() {
			h.fn()
		}
	case sigClosed:
		if ev.late != nil {
			ev.late()
			return false
		}
		// Handlers connected from now on are called by connect itself:
		// each closed handler runs exactly once.
		s.hmu.Lock()
		s.psClosed = true
		list := s.closed.load()
		s.hmu.Unlock()
		s.dropHeld()
		for _, h := range list {
			h.fn()
		}
	case sigError:
		for _, h := range s.errs.load() {
			h.fn(ev.err)
		}
	case sigPong:
		if ev.rtt > 0 {
			s.c.ka.rtt.Store(int64(ev.rtt))
		}
		for _, h := range s.pong.load() {
			h.fn(ev.data)
		}
	case sigNotify:
		for _, h := range s.notify.load() {
			h.fn(ev.prop)
		}
	}
	s.publish(ev)
	switch {
	case ev.queueClose:
		s.c.queueDeferredClose()
	case ev.kind == sigClosed:
		s.pull.close()
	}
	return pulled
}

// publish sends an event to the subscriptions, and ends them after closed.
func (s *signals) publish(ev *event) {
	if s.ps.Load() == nil {
		return
	}
	s.psMu.Lock()
	defer s.psMu.Unlock()
	if ps := s.ps.Load(); ps != nil {
		ps.Pub(Event{Signal: allSignals[ev.kind], Type: ev.typ, Data: ev.data, Err: ev.err, Property: ev.prop, State: ev.st}, allSignals[ev.kind])
		if ev.kind == sigClosed {
			ps.Shutdown()
			s.ps.Store(nil)
		}
	}
}

// dropHeld drops the messages still held for a message receiver when the
// connection has closed without one.
func (s *signals) dropHeld() {
	s.qmu.Lock()
	held := s.q.held
	s.q.held, s.q.heldSize = nil, 0
	s.qmu.Unlock()
	for i := range held {
		s.drop(&held[i], "the connection closed before a receiver came")
	}
}

// maxEarlyEvents bounds the events that wait for the first handler: past
// it, pings and pongs that come before any handler are not kept.
const maxEarlyEvents = 64

// listening reports whether an event of a signal whose handlers are l has
// anyone to go to: a handler or a subscription, or handlers still to come
// (before the first one, or while Hold runs). Events nobody listens to are
// not queued at all.
func (s *signals) listening(l *handlerList[func([]byte)]) bool {
	if len(l.load()) > 0 || s.ps.Load() != nil {
		return true
	}
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return (!s.q.started || s.q.holds > 0) && len(s.q.events)-s.q.head < maxEarlyEvents
}

func (s *signals) newID() HandlerID {
	s.nextID++
	return s.nextID
}

// connect adds a handler to l. It panics if the handler is nil, so that
// the mistake shows at the call that made it, not when an event comes.
func connect[F any](s *signals, method string, l *handlerList[F], fn F, isNil bool) HandlerID {
	if isNil {
		panic("wsconn: " + method + ": nil handler")
	}
	s.hmu.Lock()
	id := s.newID()
	l.add(id, fn)
	if f, ok := any(fn).(func()); ok && any(l) == any(&s.closed) && s.psClosed {
		// The connection closed before this handler was connected: call
		// it once, in order with the other events.
		s.emit(event{kind: sigClosed, late: f})
	}
	s.hmu.Unlock()
	s.connected(any(l) == any(&s.message) || any(l) == any(&s.fragment))
	return id
}

// OnMessage connects a handler for incoming data messages. data belongs to
// the receivers of the message: keep it if you like, but do not modify it
// when other handlers or subscriptions see it too.
func (c *WebsocketConnection) OnMessage(fn func(typ DataType, data []byte)) HandlerID {
	return connect(&c.sigs, "OnMessage", &c.sigs.message, fn, fn == nil)
}

// OnClosing connects a handler for the start of the closing handshake.
func (c *WebsocketConnection) OnClosing(fn func()) HandlerID {
	return connect(&c.sigs, "OnClosing", &c.sigs.closing, fn, fn == nil)
}

// OnClosed connects a handler for the end of the connection. It is the last
// signal; CloseStatus is final when it runs. A handler connected after the
// connection closed is called once all the same, so that code waiting for
// the close never waits forever.
func (c *WebsocketConnection) OnClosed(fn func()) HandlerID {
	return connect(&c.sigs, "OnClosed", &c.sigs.closed, fn, fn == nil)
}

// OnError connects a handler for errors: protocol violations by the peer
// (*ProtocolError), ErrPongTimeout, ErrCloseTimeout, ErrNotSent, and the
// stream's own errors wrapped with ErrAbnormalClosure.
func (c *WebsocketConnection) OnError(fn func(err error)) HandlerID {
	return connect(&c.sigs, "OnError", &c.sigs.errs, fn, fn == nil)
}

// OnPong connects a handler for pong frames, with their payload.
func (c *WebsocketConnection) OnPong(fn func(payload []byte)) HandlerID {
	return connect(&c.sigs, "OnPong", &c.sigs.pong, fn, fn == nil)
}

// OnPing connects a handler for the peer's pings, with their payload. The
// connection answers every ping with a pong itself.
func (c *WebsocketConnection) OnPing(fn func(payload []byte)) HandlerID {
	return connect(&c.sigs, "OnPing", &c.sigs.ping, fn, fn == nil)
}

// OnFragment connects a handler that sees incoming messages frame by frame,
// as they arrive: typ is the message's type, fin is set on its last frame.
// A compressed message arrives as one fragment, once decoded, and so does
// a message that arrived before the first message receiver was connected.
// With fragment handlers (or NextReader) and no message handler,
// subscription or Receive, messages are not reassembled: a large message never has to
// fit in memory, though the size limits still apply to it whole.
func (c *WebsocketConnection) OnFragment(fn func(typ DataType, data []byte, fin bool)) HandlerID {
	return connect(&c.sigs, "OnFragment", &c.sigs.fragment, fn, fn == nil)
}

// OnNotify connects a handler for property changes. property is the
// property's name: "state", or that of a property set by its setter,
// "max-incoming-payload-size", "max-total-message-size",
// "keepalive-interval" or "keepalive-pong-timeout".
func (c *WebsocketConnection) OnNotify(fn func(property string)) HandlerID {
	return connect(&c.sigs, "OnNotify", &c.sigs.notify, fn, fn == nil)
}

// Disconnect removes a handler connected with one of the On methods. A
// handler that is running finishes; it is not called again.
func (c *WebsocketConnection) Disconnect(id HandlerID) {
	s := &c.sigs
	s.hmu.Lock()
	defer s.hmu.Unlock()
	_ = s.message.remove(id) || s.closing.remove(id) || s.closed.remove(id) ||
		s.errs.remove(id) || s.pong.remove(id) || s.notify.remove(id) ||
		s.ping.remove(id) || s.fragment.remove(id)
}

// Subscribe returns a channel that receives the events of the given
// signals (all of them if none is given; see Signal for the names), in
// order, after the typed handlers of each event have run. It panics on a
// name that is not a signal's, as that is a programming error. The channel is closed after the closed
// event, or by Unsubscribe. A subscription that is not read holds up every
// handler and, through them, reading from the peer once the receive buffer
// is full: read it until it is closed, or Unsubscribe.
func (c *WebsocketConnection) Subscribe(signals ...Signal) <-chan Event {
	for _, sig := range signals {
		if !slices.Contains(allSignals, sig) {
			panic("wsconn: Subscribe: unknown signal " + strconv.Quote(string(sig)))
		}
	}
	s := &c.sigs
	s.hmu.Lock()
	if s.psClosed {
		s.hmu.Unlock()
		ch := make(chan Event)
		close(ch)
		return ch
	}
	ps := s.ps.Load()
	if ps == nil {
		// The pubsub goroutine exists only while someone subscribes.
		ps = pubsub.New[Signal, Event](subscriptionBuffer)
		s.ps.Store(ps)
		s.subs = make(map[<-chan Event]subscription)
	}
	if len(signals) == 0 {
		signals = allSignals
	}
	ch := ps.Sub(signals...)
	sub := subscription{ch: ch, messages: slices.Contains(signals, "message")}
	s.subs[ch] = sub
	if sub.messages {
		s.msgSubs.Add(1)
	}
	s.hmu.Unlock()
	s.connected(sub.messages)
	return ch
}

// Unsubscribe ends a subscription made by Subscribe and closes its
// channel. Events still buffered in it are dropped.
func (c *WebsocketConnection) Unsubscribe(ch <-chan Event) {
	s := &c.sigs
	s.hmu.Lock()
	defer s.hmu.Unlock()
	sub, ok := s.subs[ch]
	if !ok || s.psClosed {
		return
	}
	delete(s.subs, ch)
	if sub.messages {
		s.msgSubs.Add(-1)
	}
	// Keep the channel drained until pubsub closes it, so that a publish
	// blocked on it cannot hold up the unsubscription.
	go func() {
		for range sub.ch {
		}
	}()
	ps := s.ps.Load()
	ps.Unsub(sub.ch)
	if len(s.subs) == 0 {
		// The last one: the pubsub goroutine ends, once no publish runs.
		s.psMu.Lock()
		ps.Shutdown()
		s.ps.Store(nil)
		s.psMu.Unlock()
	}
}
