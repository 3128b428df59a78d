package iostream

import (
	"sync"
	"time"
)

// deadline is a point in time that blocked operations can select on: its
// channel is closed once the time has passed. Setting a new deadline keeps
// the channel while it is open, so operations already waiting see the
// change.
type deadline struct {
	mu    sync.Mutex
	gen   uint64        // counts changes; a timer fires only for its own
	timer *time.Timer   // closes c when the deadline passes
	c     chan struct{} // closed once the deadline has passed
}

func (d *deadline) init() {
	d.c = make(chan struct{})
}

// set changes the deadline to t. The zero t means no deadline.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
	passed := isClosed(d.c)
	if t.IsZero() {
		if passed {
			d.c = make(chan struct{})
		}
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		if !passed {
			close(d.c)
		}
		return
	}
	if passed {
		d.c = make(chan struct{})
	}
	gen, c := d.gen, d.c
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.gen == gen {
			close(c)
		}
	})
}

// stop releases the timer, if any, leaving the channel as it is.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopLocked()
}

func (d *deadline) stopLocked() {
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// done returns a channel that is closed once the deadline has passed.
func (d *deadline) done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.c
}

// passed reports whether the deadline has passed.
func (d *deadline) passed() bool {
	return isClosed(d.done())
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
