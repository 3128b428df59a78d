// Package mainloop is a minimal event loop for programs that have none of
// their own: a wsconn.MainContext whose functions run on the goroutine that
// calls Run or Iterate.
package mainloop

import (
	"sync"

	"github.com/wsconn/wsconn/internal/serial"
)

// Loop runs the functions given to Invoke one at a time, in order, on the
// goroutine that calls Run or Iterate. Its methods are safe for concurrent
// use.
type Loop struct {
	q    serial.Queue
	wake chan struct{} // has a token while functions are queued or Quit was called
	mu   sync.Mutex
	quit bool
}

// New returns an empty loop.
func New() *Loop {
	return &Loop{wake: make(chan struct{}, 1)}
}

// Invoke queues f to run on the loop. It never runs f itself.
func (l *Loop) Invoke(f func()) {
	l.q.Push(f)
	l.signal()
}

func (l *Loop) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Iterate runs the functions queued so far and reports whether it ran
// any. With mayBlock it first waits until there is one, or until Quit.
func (l *Loop) Iterate(mayBlock bool) bool {
	if mayBlock {
		l.mu.Lock()
		quit := l.quit
		l.mu.Unlock()
		if !quit && l.q.Len() == 0 {
			<-l.wake
		}
	}
	return l.q.Drain() > 0
}

// Run runs queued functions as they come until Quit is called. Functions
// queued before Quit run before Run returns.
func (l *Loop) Run() {
	for {
		l.Iterate(true)
		l.mu.Lock()
		done := l.quit && l.q.Len() == 0
		if done {
			l.quit = false
		}
		l.mu.Unlock()
		if done {
			return
		}
	}
}

// Quit makes Run return once the functions already queued have run; called
// while Run is not running, it makes the next Run return. It may be called
// from any goroutine, including from a function on the loop.
func (l *Loop) Quit() {
	l.mu.Lock()
	l.quit = true
	l.mu.Unlock()
	l.signal()
}
