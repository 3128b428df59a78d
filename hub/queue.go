package hub

import (
	"sync"
	"time"

	"github.com/wsconn/wsconn"
)

// queued is a message on its way to a member.
type queued struct {
	pm   *wsconn.PreparedMessage
	size int64
}

// member is a connection in one or more topics, with the messages that
// wait in the hub until its send queue has room for them.
type member struct {
	c      *wsconn.WebsocketConnection
	topics map[string]struct{} // guarded by Hub.mu

	mu        sync.Mutex
	wait      []queued // oldest first
	waitBytes int64
	fullSince time.Time // when a message was first dropped for it, since its queue last emptied
	closing   bool      // closed by CloseSlow
}

// send hands msg to m's connection if its queue has room, or else queues
// it in the hub, dropping older messages to keep within the bound.
func (h *Hub) send(m *member, msg queued) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return
	}
	if len(m.wait) == 0 && h.fits(m, msg.size) {
		h.hand(m, msg)
		return
	}
	m.wait = append(m.wait, msg)
	m.waitBytes += msg.size
	dropped := false
	for len(m.wait) > 1 && m.waitBytes+m.c.BufferedAmount() > h.maxQueued {
		m.waitBytes -= m.wait[0].size
		m.wait[0] = queued{}
		m.wait = m.wait[1:]
		h.dropped.Add(1)
		dropped = true
	}
	if dropped {
		h.full(m)
	}
	h.waiting.add(m)
}

// fits reports whether a message of size bytes fits m's connection's send
// queue now: within the bound, or alone. m.mu is held.
func (h *Hub) fits(m *member, size int64) bool {
	buffered := m.c.BufferedAmount()
	return buffered == 0 || buffered+size <= h.maxQueued
}

// hand gives msg to m's connection. m.mu is held.
func (h *Hub) hand(m *member, msg queued) {
	if err := m.c.SendPrepared(msg.pm); err != nil {
		// The connection is closing (it leaves when closed) or its own
		// queue bound is lower than the hub's.
		h.dropped.Add(1)
		return
	}
	h.delivered.Add(1)
}

// full notes that a message was dropped for m, and under CloseSlow closes
// m's connection once its queue has been full for the slow timeout. m.mu
// is held.
func (h *Hub) full(m *member) {
	now := time.Now()
	if m.fullSince.IsZero() {
		m.fullSince = now
		return
	}
	if h.policy != CloseSlow || now.Sub(m.fullSince) < h.slowTimeout {
		return
	}
	m.closing = true
	h.dropped.Add(uint64(len(m.wait)))
	m.dropLocked()
	h.slowClosed.Add(1)
	// Close queues the close frame behind the connection's own queue;
	// the close timeout bounds a peer that reads nothing at all.
	m.c.Close(wsconn.ClosePolicyViolation, "slow consumer")
}

// flush moves m's waiting messages to its connection while they fit, and
// reports whether some are still waiting.
func (h *Hub) flush(m *member) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.wait) > 0 && !m.closing && h.fits(m, m.wait[0].size) {
		msg := m.wait[0]
		m.wait[0] = queued{}
		m.wait = m.wait[1:]
		m.waitBytes -= msg.size
		h.hand(m, msg)
	}
	if len(m.wait) == 0 {
		m.wait = nil // let a grown backing array go
		m.fullSince = time.Time{}
		return false
	}
	return !m.closing
}

// queuedBytes returns what waits for m in the hub and in its connection.
func (m *member) queuedBytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.waitBytes + m.c.BufferedAmount()
}

// drop forgets the messages waiting for m.
func (m *member) drop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropLocked()
}

func (m *member) dropLocked() {
	clear(m.wait)
	m.wait, m.waitBytes = nil, 0
}

// flushInterval is how often the hub moves waiting messages to
// connections whose send queues have drained.
const flushInterval = 10 * time.Millisecond

// waitList holds the members with messages waiting in the hub, and a
// timer that runs only while there are some.
type waitList struct {
	h       *Hub
	mu      sync.Mutex
	members map[*member]struct{}
	timer   *time.Timer
	stopped bool
}

func (w *waitList) init(h *Hub) {
	w.h = h
	w.members = make(map[*member]struct{})
}

// add puts m on the list and starts the timer if it is not running.
func (w *waitList) add(m *member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.members[m] = struct{}{}
	if w.timer == nil {
		w.timer = time.AfterFunc(flushInterval, w.tick)
	}
}

func (w *waitList) remove(m *member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.members, m)
}

// tick flushes every waiting member, and runs again while some still
// wait.
func (w *waitList) tick() {
	w.mu.Lock()
	members := make([]*member, 0, len(w.members))
	for m := range w.members {
		members = append(members, m)
	}
	w.mu.Unlock()
	var done []*member
	for _, m := range members {
		if !w.h.flush(m) {
			done = append(done, m)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range done {
		m.mu.Lock()
		empty := len(m.wait) == 0
		m.mu.Unlock()
		if empty {
			delete(w.members, m)
		}
	}
	if len(w.members) == 0 || w.stopped {
		w.timer = nil
		return
	}
	w.timer.Reset(flushInterval)
}

// stop stops the timer for good.
func (w *waitList) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	clear(w.members)
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}
