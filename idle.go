package wsconn

import (
	"sync"
	"sync/atomic"
	"time"
)

// An idle connection keeps one goroutine, its reader, waiting for data. A
// goroutine's stack grows with the deepest work it has done (handlers run
// on the reader, sends write from it) and the runtime does not shrink it
// back below 4 KiB while it waits: the waiting frames plus the runtime's
// reserve use more than a quarter of 2 KiB. So a reader that has waited
// through a whole sweep tick, after doing work on its goroutine, moves to a
// fresh goroutine whose stack is the minimum: the sweeper sets a past read
// deadline on the stream, which wakes WaitRead, and the reader starts its
// successor and ends. Busy connections never move; only readers that wait
// between frames, on streams with read deadlines, take part.

// sweepTick is how often the sweeper looks at the waiting readers. A reader
// moves after waiting one to two ticks.
var sweepTick = time.Second

// readDeadliner is what the sweeper needs of a stream.
type readDeadliner interface {
	SetReadDeadline(t time.Time) error
}

// sweeper moves idle readers to fresh goroutines. It has no goroutine of its
// own: a timer runs it while readers are registered.
type sweeper struct {
	mu      sync.Mutex
	readers map[*reader]struct{}
	timer   *time.Timer
	epoch   atomic.Uint64 // ticks so far
	moves   atomic.Uint64 // readers moved so far
}

var idleSweeper sweeper

// add registers r, arming the timer if it is the first reader.
func (s *sweeper) add(r *reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readers == nil {
		s.readers = make(map[*reader]struct{})
	}
	s.readers[r] = struct{}{}
	if len(s.readers) == 1 {
		if s.timer == nil {
			s.timer = time.AfterFunc(sweepTick, s.tick)
		} else {
			s.timer.Reset(sweepTick)
		}
	}
}

// remove unregisters r; the timer stops with the last reader.
func (s *sweeper) remove(r *reader) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.readers, r)
	if len(s.readers) == 0 && s.timer != nil {
		s.timer.Stop()
	}
}

// tick moves the readers that waited through a whole tick.
func (s *sweeper) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	epoch := s.epoch.Add(1)
	for r := range s.readers {
		if r.idle.moveIfIdle(epoch) {
			s.moves.Add(1)
		}
	}
	if len(s.readers) > 0 {
		s.timer.Reset(sweepTick)
	}
}

// Reader states for the sweeper.
const (
	readerBusy    uint8 = iota // handling frames, or waiting inside one
	readerWaiting              // waiting for data between frames
	readerMoving               // the sweeper woke it: it moves to a new goroutine
)

// idleWait is a reader's side of the sweeping.
type idleWait struct {
	stream readDeadliner // nil if the reader does not take part

	mu     sync.Mutex
	state  uint8
	since  uint64 // the sweeper's epoch when the wait began
	worked bool   // the goroutine has handled a frame: its stack may have grown
}

// begin notes that the reader waits between frames.
func (w *idleWait) begin() {
	w.mu.Lock()
	w.state, w.since = readerWaiting, idleSweeper.epoch.Load()
	w.mu.Unlock()
}

// end notes that the wait is over and reports whether the reader must move
// to a new goroutine, its read deadline cleared. A goroutine that stays
// goes on to handle a frame.
func (w *idleWait) end() (move bool) {
	w.mu.Lock()
	move = w.state == readerMoving
	w.state, w.worked = readerBusy, !move
	w.mu.Unlock()
	if move {
		w.stream.SetReadDeadline(time.Time{})
	}
	return move
}

// moveIfIdle wakes the reader if it has waited since before the last tick
// on a goroutine that did work, and reports whether it did.
func (w *idleWait) moveIfIdle(epoch uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state != readerWaiting || !w.worked || epoch-w.since < 2 {
		return false
	}
	w.state = readerMoving
	w.stream.SetReadDeadline(time.Unix(1, 0))
	return true
}
