package wsconn

import (
	"errors"
	"sync"
	"time"
)

// This file holds how a connection delivers what happens to its handlers,
// subscriptions and pull API: one queue of events, drained by one goroutine
// at a time, in order.
//
// The reader never waits for a consumer, except for room: it reads frames,
// answers pings, counts pongs and handles close frames at once, and queues
// the events. Up to the receive buffer (Options.ReceiveBufferSize) of message
// data may wait for slow receivers; past it the reader pauses, so the
// transport slows the peer down, and the keepalive pong deadline pauses
// with it. Once the connection is closing, the reader never pauses: data
// past the buffer is dropped so that the peer's close frame is reached.
//
// Who drains the queue: with a MainContext, a function given to its Invoke.
// Without one, the reader itself, at the end of a frame, when nobody else
// is draining: no goroutine is started per message. If its handlers run
// longer than handoffDelay (to twice that), a timer starts a new reader
// goroutine, so that control frames are still read; the old one finishes
// the queue as the dispatcher and ends. Events that come from elsewhere
// (Close, timers, the writer) while nobody drains start a goroutine that
// drains and ends.

// handoffDelay is how long handlers may run on the reader before another
// goroutine takes over reading.
const handoffDelay = 10 * time.Millisecond

// eventCost is what a queued message or fragment counts in the receive
// buffer besides its payload: the memory of its event, so that many small
// messages are bounded too.
const eventCost = 128

// errHandedOff ends a reader goroutine whose reading another goroutine took
// over while it ran handlers.
var errHandedOff = errors.New("wsconn: reading handed off")

// queue is the delivery state of a connection. Guarded by signals.qmu.
type queue struct {
	events   []event
	head     int
	held     []event // messages that came before the first message receiver
	heldSize int64
	buffered int64 // message bytes queued or waiting in the pull API

	dispatching bool   // a drain runs or is scheduled
	onReader    bool   // the reader is handling a frame: it drains at its end
	inline      bool   // the reader runs handlers itself
	drainSeq    uint64 // counts the reader's drains
	watchedSeq  uint64 // the drain the handoff timer saw when it last fired
	watching    bool   // the handoff timer is armed
	drained     bool   // the reader drained since the timer last fired
	handedOff   bool   // ... and another goroutine has taken over reading
	waiting     bool   // the reader waits for room
	noPause     bool   // closing or closed: the reader never waits for room
	started     bool   // a handler, subscription or receive came: events flow
	receivers   bool   // a message receiver came: messages are no longer held
	dropping    bool   // the frames of the current message are dropped
	holds       int    // Hold calls running: nothing is delivered
}

// deliverableLocked reports whether queued events can be delivered now.
// qmu is held.
func (s *signals) deliverableLocked() bool {
	q := &s.q
	return q.head < len(q.events) && q.started && q.holds == 0
}

// claimLocked makes the caller the one who drains the queue, if there is
// something to deliver and nobody else drains it. qmu is held.
func (s *signals) claimLocked() bool {
	if s.q.dispatching || !s.deliverableLocked() {
		return false
	}
	s.q.dispatching = true
	return true
}

// emit queues an event. It never runs handlers itself, so it may be called
// with c.mu held (c.mu comes before qmu).
func (s *signals) emit(ev event) {
	s.qmu.Lock()
	s.q.events = append(s.q.events, ev)
	if s.q.onReader {
		s.qmu.Unlock() // the reader drains at the end of its frame
		return
	}
	s.scheduleUnlock()
}

// scheduleUnlock releases qmu and, if there is something to deliver and
// nobody drains, schedules a drain. qmu is held.
func (s *signals) scheduleUnlock() {
	start := s.claimLocked()
	s.qmu.Unlock()
	if start {
		s.schedule()
	}
}

// schedule runs a drain on the MainContext, or on a goroutine of its own.
func (s *signals) schedule() {
	if mc := s.c.opts.mainContext; mc != nil {
		mc.Invoke(s.drainFn)
		return
	}
	go s.drainFn()
}

// readerBusy tells that the reader is handling a frame: events it causes
// until frameDone are drained by the reader itself.
func (s *signals) readerBusy() {
	s.qmu.Lock()
	s.q.onReader = true
	s.qmu.Unlock()
}

// readerIdle ends readerBusy before the reader blocks again in the middle
// of a frame: what is queued goes to another goroutine.
func (s *signals) readerIdle() {
	s.qmu.Lock()
	s.q.onReader = false
	s.scheduleUnlock()
}

// pushData queues a message or fragment from the reader. Before the first
// message receiver, messages are held, as many as the receive buffer takes;
// while the connection is closing, messages past the buffer are dropped.
func (s *signals) pushData(ev event) {
	ev.size = int64(len(ev.data)) + eventCost
	size, bound := ev.size, s.c.opts.receiveBuffer
	s.qmu.Lock()
	defer s.qmu.Unlock()
	q := &s.q
	q.onReader = true
	full := q.buffered > 0 && q.buffered+size > bound
	if ev.kind == sigFragment {
		// A message is dropped or delivered whole, as its first frame
		// decides, so that no receiver sees it with a hole: one that
		// has begun goes on past the bound, by at most its size limit.
		if ev.first {
			q.dropping = q.noPause && full
			if q.dropping {
				s.drop(&ev, "the connection is closing and the receive buffer is full")
			}
		}
		full = q.dropping
		if ev.fin {
			q.dropping = false
		}
		if full {
			return
		}
	}
	switch {
	case !q.receivers:
		if len(q.held) > 0 && q.heldSize+size > bound {
			s.drop(&ev, "no receiver yet and the receive buffer is full")
			return
		}
		q.held = append(q.held, ev)
		q.heldSize += size
	case ev.kind == sigMessage && q.noPause && full:
		s.drop(&ev, "the connection is closing and the receive buffer is full")
	default:
		q.buffered += size
		q.events = append(q.events, ev)
	}
}

// drop counts a message that goes to no receiver, and traces it.
func (s *signals) drop(ev *event, why string) {
	s.dropped.Add(1)
	if t := s.c.trace; t != nil {
		t.Debug("wsconn: message dropped", "side", s.c.connType.String(), "type", ev.typ.String(),
			"bytes", len(ev.data), "why", why)
	}
}

// frameDone ends the reader's handling of a frame: it delivers what the
// frame caused when nobody else is draining, then waits while the receive
// buffer is over its bound. It returns errHandedOff when another goroutine
// took over reading meanwhile. final is the reader's last call: it drains
// without handing off.
func (s *signals) frameDone(final bool) error {
	s.qmu.Lock()
	s.q.onReader = false
	if s.claimLocked() {
		switch {
		case s.c.opts.mainContext != nil:
			s.qmu.Unlock()
			s.schedule()
			s.qmu.Lock()
		case final:
			s.drainLocked()
		default:
			if s.drainInlineLocked() {
				s.qmu.Unlock()
				return errHandedOff
			}
		}
	}
	if final || s.q.buffered <= s.c.opts.receiveBuffer || s.q.noPause {
		s.qmu.Unlock()
		return nil
	}
	s.qmu.Unlock()
	s.waitRoom()
	return nil
}

// waitRoom pauses reading until the receivers have taken enough of the
// receive buffer, or the connection is closing. The keepalive pong
// deadline does not run meanwhile: no live peer is timed out because this
// side stopped reading.
func (s *signals) waitRoom() {
	c := s.c
	c.wr.cork(false)
	c.mu.Lock()
	c.ka.pauseLocked()
	c.mu.Unlock()
	s.qmu.Lock()
	s.q.waiting = true
	for s.q.buffered > c.opts.receiveBuffer && !s.q.noPause {
		s.room.Wait()
	}
	s.q.waiting = false
	s.qmu.Unlock()
	c.mu.Lock()
	c.ka.resumeLocked(c)
	c.mu.Unlock()
}

// drainInlineLocked drains the queue on the reader, handing reading over
// to a new goroutine if the handlers take longer than handoffDelay. It
// reports whether that happened. qmu is held.
//
// The timer is not reset for every drain, nor is the clock read, which
// would cost more than a small message: drains are numbered, and the
// timer, once armed, hands reading over when it finds the drain it saw at
// its last firing still running (so after 10 to 20 ms of one drain),
// re-arming itself while drains go on and stopping once the reader drains
// no more.
func (s *signals) drainInlineLocked() (handedOff bool) {
	s.q.inline = true
	s.q.drainSeq++
	if !s.q.watching {
		s.q.watching = true
		s.q.watchedSeq = s.q.drainSeq
		if s.handoff == nil {
			s.handoff = time.AfterFunc(handoffDelay, s.watchInline)
		} else {
			s.handoff.Reset(handoffDelay)
		}
	}
	s.drainLocked()
	s.q.inline = false
	s.q.drained = true
	handedOff, s.q.handedOff = s.q.handedOff, false
	return handedOff
}

// watchInline runs on the handoff timer. If the reader has been running
// handlers for handoffDelay, this goroutine becomes the reader; otherwise
// the timer is armed again while the reader keeps draining.
func (s *signals) watchInline() {
	s.qmu.Lock()
	if s.q.inline && !s.q.handedOff {
		if s.q.drainSeq != s.q.watchedSeq {
			// Another drain than the one seen last: watch it.
			s.q.watchedSeq = s.q.drainSeq
			s.handoff.Reset(handoffDelay)
			s.qmu.Unlock()
			return
		}
		s.q.handedOff = true
		s.q.watching = false
		s.qmu.Unlock()
		s.c.wr.cork(false) // the handlers that run long hold no send
		s.c.rd.run()
		return
	}
	if s.q.drained {
		// Drains went on: watch a while longer.
		s.q.drained = false
		s.q.watchedSeq = s.q.drainSeq
		s.handoff.Reset(handoffDelay)
	} else {
		s.q.watching = false
	}
	s.qmu.Unlock()
}

// drain delivers queued events until the queue is empty or delivery is
// held, then ends the dispatching.
func (s *signals) drain() {
	s.qmu.Lock()
	s.drainLocked()
	s.qmu.Unlock()
}

// drainLocked is drain with qmu held; it releases qmu while handlers run.
func (s *signals) drainLocked() {
	q := &s.q
	for s.deliverableLocked() {
		ev := q.events[q.head]
		q.events[q.head] = event{}
		q.head++
		if q.head >= 256 && 2*q.head >= len(q.events) {
			// A queue that never empties: move what is left down, so
			// that it does not grow by what was delivered.
			n := copy(q.events, q.events[q.head:])
			clear(q.events[n:])
			q.events = q.events[:n]
			q.head = 0
		}
		s.qmu.Unlock()
		pulled := s.deliver(&ev)
		s.qmu.Lock()
		if ev.size > 0 && !pulled {
			s.takenLocked(ev.size)
		}
	}
	if q.head == len(q.events) {
		clear(q.events)
		q.events = q.events[:0]
		q.head = 0
	}
	q.dispatching = false
}

// taken notes that a receiver took n bytes of the receive buffer.
func (s *signals) taken(n int64) {
	s.qmu.Lock()
	s.takenLocked(n)
	s.qmu.Unlock()
}

func (s *signals) takenLocked(n int64) {
	s.q.buffered -= n
	if s.q.waiting && s.q.buffered <= s.c.opts.receiveBuffer {
		s.room.Broadcast()
	}
}

// connected notes a new handler, subscription or receive, and starts
// delivering what waited for it: every event for the first of them, the
// held messages, ahead of the rest, for the first message receiver.
func (s *signals) connected(messages bool) {
	s.qmu.Lock()
	q := &s.q
	q.started = true
	if messages && !q.receivers {
		q.receivers = true
		q.events = append(q.held, q.events[q.head:]...)
		q.head = 0
		q.buffered += q.heldSize
		q.held, q.heldSize = nil, 0
	}
	s.scheduleUnlock()
}

// stopPausing stops the reader from waiting for room: the connection is
// closing or closed, and the peer's close frame must be reached. c.mu may
// be held.
func (s *signals) stopPausing() {
	s.qmu.Lock()
	s.q.noPause = true
	s.room.Broadcast()
	s.qmu.Unlock()
}

// Hold runs fn with the delivery of events paused, so that the handlers
// and subscriptions connected in fn all see the same events, from the
// first one on. Without it, events start to flow as soon as the first
// handler is connected, and a second handler connected a moment later can
// miss an early closing or error (not a message: messages wait for the
// first message receiver, and a late closed handler still runs once). fn
// should only connect handlers.
func (c *WebsocketConnection) Hold(fn func()) {
	s := &c.sigs
	s.qmu.Lock()
	s.q.holds++
	s.qmu.Unlock()
	defer func() {
		s.qmu.Lock()
		s.q.holds--
		s.scheduleUnlock()
	}()
	fn()
}

// deliverQueue is embedded in signals: the lock, the condition the reader
// waits for room on, and the handoff timer.
type deliverQueue struct {
	qmu     sync.Mutex
	room    sync.Cond
	q       queue
	handoff *time.Timer
}
