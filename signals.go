package wsconn

import (
	"sync"
	"sync/atomic"

	"github.com/cskr/pubsub/v2"
)

// Signal names what happened on a connection. They are the topics of
// Subscribe.
type Signal string

// The signals of a connection, after libsoup's SoupWebsocketConnection.
const (
	// SignalMessage: a whole data message arrived.
	SignalMessage Signal = "message"
	// SignalClosing: the closing handshake started (state Closing).
	SignalClosing Signal = "closing"
	// SignalClosed: the connection is closed. It is the last signal.
	SignalClosed Signal = "closed"
	// SignalError: something went wrong; the connection is failing or has
	// failed, and closed follows.
	SignalError Signal = "error"
	// SignalPong: a pong frame arrived.
	SignalPong Signal = "pong"
	// SignalNotify: a property changed.
	SignalNotify Signal = "notify"
	// SignalPing: a ping frame arrived (the connection has already
	// queued the pong that answers it).
	SignalPing Signal = "ping"
)

var allSignals = []Signal{SignalMessage, SignalClosing, SignalClosed, SignalError, SignalPong, SignalNotify, SignalPing}

// Event is what a subscription channel receives.
type Event struct {
	Signal Signal
	// Type and Data are set for SignalMessage; Data also for SignalPong
	// and SignalPing.
	// Several receivers share Data: treat it as read-only.
	Type DataType
	Data []byte
	// Err is set for SignalError.
	Err error
	// Property is set for SignalNotify: one of the Property constants.
	Property string
	// State is set for SignalNotify of PropertyState: the state the
	// connection entered. (State() may already be newer.)
	State State
}

// HandlerID identifies a connected handler, for Disconnect.
type HandlerID uint64

// MainContext runs functions on the user's thread or event loop, such as a
// GUI toolkit's main loop. Invoke must queue f to run later, after the
// functions queued before it, and return without running it. Loop is a
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
	sigFragment // one frame of a message, for fragment handlers and Receive
)

var signalOf = [...]Signal{
	sigMessage: SignalMessage, sigClosing: SignalClosing, sigClosed: SignalClosed,
	sigError: SignalError, sigPong: SignalPong, sigNotify: SignalNotify, sigPing: SignalPing,
}

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
	// late is a closed handler connected after the closed event.
	late func()
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
// time, in order. Events go through a queue drained by one goroutine at a
// time: the reader itself for messages when nothing else is draining (so
// that a busy handler pauses reading), a short-lived goroutine otherwise,
// or the user's MainContext.
type signals struct {
	c       *WebsocketConnection
	drainFn func()

	hmu      sync.Mutex // guards nextID, the lists' writers, subs and ps
	nextID   HandlerID
	message  handlerList[func(DataType, []byte)]
	closing  handlerList[func()]
	closed   handlerList[func()]
	errs     handlerList[func(error)]
	pong     handlerList[func([]byte)]
	ping     handlerList[func([]byte)]
	notify   handlerList[func(string)]
	fragment handlerList[func(DataType, []byte, bool)]
	ps       atomic.Pointer[pubsub.PubSub[Signal, Event]]
	subs     map[<-chan Event]chan Event
	psClosed bool // the closed event was delivered

	qmu       sync.Mutex
	cond      sync.Cond
	queue     []event
	qhead     int
	running   bool   // a drain is running or scheduled
	enqueued  uint64 // events queued so far
	delivered uint64 // events delivered so far
	waiting   int    // readers waiting for delivery
	noWait    bool   // the connection closed: do not wait for delivery
	started   bool   // a handler or subscription is connected: events flow
	holds     int    // Hold calls running: nothing is delivered

	// What receives data: message handlers or subscriptions (whole
	// messages), fragment handlers or the pull API (frames).
	wantMessages  atomic.Bool
	wantFragments atomic.Bool

	pull pullQueue
}

func (s *signals) init(c *WebsocketConnection) {
	s.c = c
	s.drainFn = s.drain
	s.cond.L = &s.qmu
	s.pull.init()
}

// emit queues an event. It never runs handlers itself, so it may be called
// with c.mu held (c.mu comes before qmu).
func (s *signals) emit(ev event) {
	s.qmu.Lock()
	s.queue = append(s.queue, ev)
	s.enqueued++
	start := s.startLocked()
	s.qmu.Unlock()
	if start {
		s.schedule()
	}
}

// startLocked reports whether a drain must be scheduled for the queued
// events, and marks it running. Nothing is delivered before the first
// handler or subscription is connected, and no message before the first
// message receiver, so that events that come before the user has connected
// handlers are not lost. qmu is held.
func (s *signals) startLocked() bool {
	if s.running || !s.started || s.holds > 0 || s.qhead == len(s.queue) {
		return false
	}
	if s.heldLocked(&s.queue[s.qhead]) {
		return false
	}
	s.running = true
	return true
}

// heldLocked reports whether ev must wait for a receiver. qmu is held.
func (s *signals) heldLocked(ev *event) bool {
	switch ev.kind {
	case sigMessage:
		return !s.wantMessages.Load() && !s.wantFragments.Load()
	case sigFragment:
		return !s.wantFragments.Load()
	}
	return false
}

// connected notes a new handler or subscription and starts delivering
// what was held for it.
func (s *signals) connected(messages, fragments bool) {
	s.qmu.Lock()
	s.started = true
	if messages {
		s.wantMessages.Store(true)
	}
	if fragments {
		s.wantFragments.Store(true)
	}
	start := s.startLocked()
	s.qmu.Unlock()
	if start {
		s.schedule()
	}
}

func (s *signals) schedule() {
	if mc := s.c.opts.mainContext; mc != nil {
		mc.Invoke(s.drainFn)
		return
	}
	go s.drainFn()
}

// deliverData queues a message or fragment from the reader and returns once
// it has been delivered, draining the queue on the reader itself when it
// can.
func (s *signals) deliverData(ev event) {
	s.qmu.Lock()
	s.queue = append(s.queue, ev)
	s.enqueued++
	seq := s.enqueued
	if s.startLocked() {
		if s.c.opts.mainContext == nil {
			s.qmu.Unlock()
			s.drain()
			return
		}
		s.qmu.Unlock()
		s.schedule()
		s.qmu.Lock()
	}
	s.waiting++
	for s.delivered < seq && !s.noWait {
		s.cond.Wait()
	}
	s.waiting--
	s.qmu.Unlock()
}

// stopWaiting releases a reader waiting for delivery: the connection has
// closed, and its MainContext may have stopped running.
func (s *signals) stopWaiting() {
	s.pull.end()
	s.qmu.Lock()
	s.noWait = true
	s.cond.Broadcast()
	s.qmu.Unlock()
}

// drain delivers queued events until the queue is empty.
func (s *signals) drain() {
	s.qmu.Lock()
	for s.qhead < len(s.queue) {
		if s.holds > 0 || s.heldLocked(&s.queue[s.qhead]) {
			break // held until a receiver is connected, or by Hold
		}
		ev := s.queue[s.qhead]
		s.queue[s.qhead] = event{}
		s.qhead++
		s.qmu.Unlock()
		s.deliver(&ev)
		s.qmu.Lock()
		s.delivered++
		if s.waiting > 0 {
			s.cond.Broadcast()
		}
	}
	if s.qhead == len(s.queue) {
		s.queue = s.queue[:0]
		s.qhead = 0
	}
	s.running = false
	s.qmu.Unlock()
}

// deliver runs the handlers of one event, then publishes it to the
// subscriptions.
func (s *signals) deliver(ev *event) {
	switch ev.kind {
	case sigMessage:
		for _, h := range s.message.load() {
			h.fn(ev.typ, ev.data)
		}
		if !ev.partsSent {
			// The frames were not delivered one by one: the whole
			// message is the one fragment of the fragment receivers.
			for _, h := range s.fragment.load() {
				h.fn(ev.typ, ev.data, true)
			}
			s.pull.push(ev.typ, ev.data, true, true)
		}
	case sigFragment:
		for _, h := range s.fragment.load() {
			h.fn(ev.typ, ev.data, ev.fin)
		}
		s.pull.push(ev.typ, ev.data, ev.first, ev.fin)
		return // not a signal of its own for subscriptions
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
			return
		}
		// Handlers connected from now on are called by connect itself:
		// each closed handler runs exactly once.
		s.hmu.Lock()
		s.psClosed = true
		list := s.closed.load()
		s.hmu.Unlock()
		for _, h := range list {
			h.fn()
		}
	case sigError:
		for _, h := range s.errs.load() {
			h.fn(ev.err)
		}
	case sigPong:
		for _, h := range s.pong.load() {
			h.fn(ev.data)
		}
	case sigNotify:
		for _, h := range s.notify.load() {
			h.fn(ev.prop)
		}
	}
	if ps := s.ps.Load(); ps != nil {
		ps.Pub(Event{Signal: signalOf[ev.kind], Type: ev.typ, Data: ev.data, Err: ev.err, Property: ev.prop, State: ev.st}, signalOf[ev.kind])
	}
	if ev.kind == sigClosed {
		s.pull.close()
		s.hmu.Lock()
		if ps := s.ps.Load(); ps != nil {
			ps.Shutdown()
		}
		s.hmu.Unlock()
	}
}

// listening reports whether an event of a signal whose handlers are l has
// anyone to go to: a handler or a subscription. Events nobody listens to
// are not queued at all.
func (s *signals) listening(l *handlerList[func([]byte)]) bool {
	return len(l.load()) > 0 || s.ps.Load() != nil
}

func (s *signals) newID() HandlerID {
	s.nextID++
	return s.nextID
}

func connect[F any](s *signals, l *handlerList[F], fn F) HandlerID {
	s.hmu.Lock()
	id := s.newID()
	l.add(id, fn)
	if f, ok := any(fn).(func()); ok && any(l) == any(&s.closed) && s.psClosed {
		// The connection closed before this handler was connected: call
		// it once, in order with the other events.
		s.emit(event{kind: sigClosed, late: f})
	}
	s.hmu.Unlock()
	s.connected(any(l) == any(&s.message), any(l) == any(&s.fragment))
	return id
}

// Hold runs fn with the delivery of events paused, so that the handlers
// and subscriptions connected in fn all see the same events, from the
// first one on. Without it, events start to flow as soon as the first
// handler is connected, and a second handler connected a moment later can
// miss an early closing or error (not a message: messages wait for their
// receivers, and a late closed handler still runs once). fn should only
// connect handlers: reading waits while it runs.
func (c *WebsocketConnection) Hold(fn func()) {
	s := &c.sigs
	s.qmu.Lock()
	s.holds++
	s.qmu.Unlock()
	defer func() {
		s.qmu.Lock()
		s.holds--
		start := s.startLocked()
		s.qmu.Unlock()
		if start {
			s.schedule()
		}
	}()
	fn()
}

// OnMessage connects a handler for incoming data messages. data belongs to
// the receivers of the message: keep it if you like, but do not modify it
// when other handlers or subscriptions see it too.
func (c *WebsocketConnection) OnMessage(fn func(typ DataType, data []byte)) HandlerID {
	return connect(&c.sigs, &c.sigs.message, fn)
}

// OnClosing connects a handler for the start of the closing handshake.
func (c *WebsocketConnection) OnClosing(fn func()) HandlerID {
	return connect(&c.sigs, &c.sigs.closing, fn)
}

// OnClosed connects a handler for the end of the connection. It is the last
// signal; CloseStatus is final when it runs. A handler connected after the
// connection closed is called once all the same, so that code waiting for
// the close never waits forever.
func (c *WebsocketConnection) OnClosed(fn func()) HandlerID {
	return connect(&c.sigs, &c.sigs.closed, fn)
}

// OnError connects a handler for errors: protocol violations by the peer
// (*ProtocolError), ErrPongTimeout, ErrCloseTimeout, ErrNotSent, and the
// stream's own errors wrapped with ErrAbnormalClosure.
func (c *WebsocketConnection) OnError(fn func(err error)) HandlerID {
	return connect(&c.sigs, &c.sigs.errs, fn)
}

// OnPong connects a handler for pong frames, with their payload.
func (c *WebsocketConnection) OnPong(fn func(payload []byte)) HandlerID {
	return connect(&c.sigs, &c.sigs.pong, fn)
}

// OnPing connects a handler for the peer's pings, with their payload. The
// connection answers every ping with a pong itself.
func (c *WebsocketConnection) OnPing(fn func(payload []byte)) HandlerID {
	return connect(&c.sigs, &c.sigs.ping, fn)
}

// OnFragment connects a handler that sees incoming messages frame by frame,
// as they arrive (websocket-client's on_data and on_cont_message): typ is
// the message's type, fin is set on its last frame. A compressed message
// arrives as one fragment, once decoded. With fragment handlers (or the pull
// API) and no message handler or subscription, messages are not
// reassembled: a large message never has to fit in memory, though the size
// limits still apply to it whole.
func (c *WebsocketConnection) OnFragment(fn func(typ DataType, data []byte, fin bool)) HandlerID {
	return connect(&c.sigs, &c.sigs.fragment, fn)
}

// OnNotify connects a handler for property changes; property is one of the
// Property constants, such as PropertyState.
func (c *WebsocketConnection) OnNotify(fn func(property string)) HandlerID {
	return connect(&c.sigs, &c.sigs.notify, fn)
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
// signals (all of them if none is given), in order, after the typed
// handlers of each event have run. The channel is closed after the closed
// event, or by Unsubscribe. A subscription that is not read holds up every
// handler and, through them, reading from the peer: read it until it is
// closed, or Unsubscribe.
func (c *WebsocketConnection) Subscribe(signals ...Signal) <-chan Event {
	s := &c.sigs
	s.hmu.Lock()
	defer s.hmu.Unlock()
	if s.psClosed {
		ch := make(chan Event)
		close(ch)
		return ch
	}
	ps := s.ps.Load()
	if ps == nil {
		// The pubsub goroutine exists only while someone subscribes.
		ps = pubsub.New[Signal, Event](subscriptionBuffer)
		s.ps.Store(ps)
		s.subs = make(map[<-chan Event]chan Event)
	}
	if len(signals) == 0 {
		signals = allSignals
	}
	ch := ps.Sub(signals...)
	s.subs[ch] = ch
	messages := false
	for _, sig := range signals {
		messages = messages || sig == SignalMessage
	}
	defer s.connected(messages, false)
	return ch
}

// Unsubscribe ends a subscription made by Subscribe and closes its
// channel. Events still buffered in it are dropped.
func (c *WebsocketConnection) Unsubscribe(ch <-chan Event) {
	s := &c.sigs
	s.hmu.Lock()
	defer s.hmu.Unlock()
	full, ok := s.subs[ch]
	if !ok || s.psClosed {
		return
	}
	delete(s.subs, ch)
	// Keep the channel drained until pubsub closes it, so that a publish
	// blocked on it cannot hold up the unsubscription.
	go func() {
		for range full {
		}
	}()
	s.ps.Load().Unsub(full)
}
