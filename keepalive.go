package wsconn

import (
	"bytes"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn/internal/frame"
)

// keepalive sends a ping every interval and, with a pong timeout, fails a
// connection on which nothing at all arrives within the timeout after the
// ping was written. Any frame counts as proof of life, not only the pong,
// and a new ping is only sent once the previous one has been answered, so
// unanswered pings do not pile up. Both timers are runtime timers.
type keepalive struct {
	// Guarded by c.mu.
	interval    time.Duration
	pongTimeout time.Duration
	tick        *time.Timer
	pongTimer   *time.Timer
	outstanding bool   // a ping was queued and nothing has arrived since it was written
	paused      bool   // reading is paused for slow receivers: no pong deadline runs
	framesAtPng uint64 // frames received when the ping went to the stream

	payload   []byte    // of every keepalive ping
	writtenAt time.Time // when the last keepalive ping went to the stream
	rttWait   bool      // its pong has not come yet

	frames  atomic.Uint64 // frames received so far
	waiting atomic.Bool   // a written ping waits for proof of life
	rtt     atomic.Int64  // round-trip time of the last answered ping, ns
}

// reschedule starts, restarts or stops the ping timer after a change of
// interval. c.mu is held.
func (k *keepalive) reschedule(c *WebsocketConnection) {
	if k.tick != nil {
		k.tick.Stop()
		k.tick = nil
	}
	if k.interval > 0 && c.state == StateOpen && !c.noPings {
		k.tick = time.AfterFunc(k.interval, c.keepaliveTick)
	}
}

// stopLocked stops both timers. c.mu is held.
func (k *keepalive) stopLocked() {
	if k.tick != nil {
		k.tick.Stop()
		k.tick = nil
	}
	if k.pongTimer != nil {
		k.pongTimer.Stop()
	}
	k.waiting.Store(false)
	k.outstanding = false
}

// pauseLocked stops the pong deadline while reading is paused for slow
// receivers: nothing can arrive then, however alive the peer is. c.mu is
// held.
func (k *keepalive) pauseLocked() {
	k.paused = true
	if k.pongTimer != nil {
		k.pongTimer.Stop()
	}
}

// resumeLocked gives a ping still waiting for its answer a whole pong
// timeout again once reading resumes. c.mu is held.
func (k *keepalive) resumeLocked(c *WebsocketConnection) {
	k.paused = false
	if k.waiting.Load() && k.pongTimeout > 0 && c.state == StateOpen {
		k.startPongTimerLocked(c)
	}
}

func (k *keepalive) startPongTimerLocked(c *WebsocketConnection) {
	if k.pongTimer == nil {
		k.pongTimer = time.AfterFunc(k.pongTimeout, c.pongTimedOut)
	} else {
		k.pongTimer.Reset(k.pongTimeout)
	}
}

// keepaliveTick queues a ping, ahead of any queued data, unless the last
// one is still unanswered.
func (c *WebsocketConnection) keepaliveTick() {
	c.mu.Lock()
	k := &c.ka
	if c.state != StateOpen || k.interval == 0 || k.tick == nil {
		c.mu.Unlock()
		return
	}
	k.tick.Reset(k.interval)
	if k.outstanding {
		c.mu.Unlock()
		return
	}
	k.outstanding = true
	c.wr.queueControlLocked(frame.OpPing, k.payload, true)
	c.wr.sendUnlock()
}

// pingSendingLocked notes that a keepalive ping is being written: from now
// on any frame received is its answer. c.mu is held.
func (k *keepalive) pingSendingLocked() {
	k.framesAtPng = k.frames.Load()
	k.waiting.Store(true)
	// The round trip counts from now: the pong may come back before the
	// write has returned.
	k.writtenAt, k.rttWait = time.Now(), true
}

// pingWrittenLocked starts the pong deadline when a keepalive ping has been
// written, unless an answer already came. c.mu is held.
func (k *keepalive) pingWrittenLocked(c *WebsocketConnection) {
	if c.state != StateOpen || !k.waiting.Load() || k.pongTimeout <= 0 || k.paused {
		return
	}
	k.startPongTimerLocked(c)
}

// frameReceived notes proof of life. It costs one atomic add per frame
// unless a ping is waiting.
func (c *WebsocketConnection) frameReceived() {
	k := &c.ka
	k.frames.Add(1)
	if !k.waiting.Load() {
		return
	}
	c.mu.Lock()
	k.waiting.Store(false)
	k.outstanding = false
	if k.pongTimer != nil {
		k.pongTimer.Stop()
	}
	c.mu.Unlock()
}

// pongTimedOut fails the connection if nothing arrived since the ping.
func (c *WebsocketConnection) pongTimedOut() {
	c.mu.Lock()
	k := &c.ka
	dead := k.waiting.Load() && k.frames.Load() == k.framesAtPng && !k.paused && c.state != StateClosed
	c.mu.Unlock()
	if dead {
		c.terminate(ErrPongTimeout)
	}
}

// pongReceived measures the round trip of a keepalive ping from its pong,
// or returns 0 if the pong answers no keepalive ping.
func (c *WebsocketConnection) pongReceived(payload []byte) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := &c.ka
	if k.rttWait && bytes.Equal(payload, k.payload) {
		k.rttWait = false
		return time.Since(k.writtenAt)
	}
	return 0
}

// RoundTripTime returns the time between the writing of the last answered
// keepalive ping and the arrival of its pong, or 0 before the first. Inside
// a pong handler it is the round trip of that pong.
func (c *WebsocketConnection) RoundTripTime() time.Duration {
	return time.Duration(c.ka.rtt.Load())
}
