package load

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// window is the measured part of a run, as offsets from its start.
type window struct {
	start    time.Time
	from, to time.Duration
	count    int // messages per connection in count mode, else 0
}

// now returns the time since the start of the run.
func (w *window) now() time.Duration { return time.Since(w.start) }

// stopBit marks worker.state once no more message may be sent.
const stopBit = 1 << 63

// worker drives one connection. Its writer goroutine sends a message for
// each credit it holds; the reader, on run's goroutine, reads,
// checks and times each echo and hands its credit back. There are as
// many credits as messages in flight. The reader decides when sending
// stops (at the end of the window or after Count messages) and then
// reads the echoes still in flight, so that every message sent is
// checked.
type worker struct {
	id      int
	c       *wsclient.Conn
	p       *Payload
	w       *window
	out     []byte         // the message being sent
	z       *deflater      // compresses it, with permessage-deflate
	zout    []byte         // the message being sent, compressed
	in      []byte         // the echo being read
	credits chan struct{}  // taken by the writer for each message
	sentAt  []atomic.Int64 // send time of message seq, at seq % inflight
	state   atomic.Uint64  // messages reserved for sending, and stopBit

	dead      chan struct{} // closed when the connection failed
	failOnce  sync.Once
	failCause error

	// Written by the reader, read once run has returned.
	hist     histogram
	measured int64 // echoes received in the window, and timed
	verified int64 // echoes checked
}

// newWorker returns the worker of connection id; z is nil without
// permessage-deflate.
func newWorker(id int, c *wsclient.Conn, p *Payload, z *deflater, inflight int, w *window) *worker {
	wk := &worker{
		id:      id,
		c:       c,
		p:       p,
		w:       w,
		out:     p.NewBuffer(),
		z:       z,
		in:      make([]byte, 0, p.Len()),
		credits: make(chan struct{}, inflight),
		sentAt:  make([]atomic.Int64, inflight),
		dead:    make(chan struct{}),
	}
	for range inflight {
		wk.credits <- struct{}{}
	}
	return wk
}

// run sends and checks messages until the reader stops, then closes the
// connection with the closing handshake.
func (wk *worker) run() error {
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		if err := wk.write(); err != nil {
			wk.fail(err)
		}
	}()
	if err := wk.read(); err != nil {
		wk.fail(err)
	}
	<-wrote
	if wk.failCause != nil {
		return fmt.Errorf("connection %d: %w", wk.id, wk.failCause)
	}
	if err := wk.c.Close(maxDrain); err != nil {
		return fmt.Errorf("connection %d: %w", wk.id, err)
	}
	return nil
}

// fail records the first error of the connection and closes it, which
// ends the reader and the writer.
func (wk *worker) fail(err error) {
	wk.failOnce.Do(func() {
		wk.failCause = err
		close(wk.dead)
		wk.c.Abort()
	})
}

// write sends messages while it gets credits and the reader has not
// stopped it. The messages of all the credits at hand go out in one
// write.
func (wk *worker) write() error {
	k := len(wk.sentAt)
	for {
		select {
		case <-wk.credits:
		case <-wk.dead:
			return nil
		}
		n := 1
	take:
		for n < k {
			select {
			case <-wk.credits:
				n++
			default:
				break take
			}
		}
		queued := 0
		for range n {
			seq, ok := wk.reserve()
			if !ok {
				break
			}
			wk.sentAt[seq%uint64(k)].Store(int64(wk.w.now()))
			if err := wk.queue(seq); err != nil {
				return fmt.Errorf("sending message %d: %w", seq, err)
			}
			queued++
		}
		if queued == 0 {
			return nil
		}
		if err := wk.c.Flush(); err != nil {
			return fmt.Errorf("sending messages: %w", err)
		}
		if queued < n {
			return nil // stopped
		}
	}
}

// queue queues message seq, compressed with permessage-deflate.
func (wk *worker) queue(seq uint64) error {
	wk.p.Stamp(wk.out, seq)
	if wk.z == nil {
		return wk.c.Queue(wk.p.Opcode(), wk.out)
	}
	wk.zout = wk.z.appendMessage(wk.zout[:0], wk.out)
	return wk.c.QueueCompressed(wk.p.Opcode(), wk.zout)
}

// reserve returns the sequence number of the next message to send, or
// false if sending has stopped.
func (wk *worker) reserve() (uint64, bool) {
	for {
		s := wk.state.Load()
		if s&stopBit != 0 || (wk.w.count > 0 && s >= uint64(wk.w.count)) {
			return 0, false
		}
		if wk.state.CompareAndSwap(s, s+1) {
			return s, true
		}
	}
}

// stop stops sending and returns how many messages were reserved: all of
// them are sent, or being sent.
func (wk *worker) stop() uint64 { return wk.state.Or(stopBit) &^ stopBit }

// read reads and checks the echoes in order until it has stopped the
// writer and read the echo of every message sent.
func (wk *worker) read() error {
	k := uint64(len(wk.sentAt))
	final := uint64(0) // messages sent in all, once stopped
	stopped := false
	for seq := uint64(0); !stopped || seq < final; seq++ {
		op, msg, err := wk.c.ReadMessage(wk.in, wk.p.Len())
		if err != nil {
			return fmt.Errorf("reading the echo of message %d: %w", seq, err)
		}
		wk.in = msg
		now := wk.w.now()
		if op != wk.p.Opcode() {
			return fmt.Errorf("echo of message %d has opcode %d; %d was sent", seq, op, wk.p.Opcode())
		}
		if err := wk.p.Check(msg, seq); err != nil {
			return err
		}
		wk.verified++
		if now >= wk.w.from && now < wk.w.to {
			wk.measured++
			wk.hist.record(now - time.Duration(wk.sentAt[seq%k].Load()))
		}
		wk.credits <- struct{}{}
		if !stopped && (now >= wk.w.to || (wk.w.count > 0 && seq+1 == uint64(wk.w.count))) {
			final, stopped = wk.stop(), true
		}
	}
	return nil
}
