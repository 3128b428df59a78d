package wsconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// The pull API (Receive, ReceiveText, ReceiveBinary and
// NextReader) is the blocking way to read a connection, beside the
// signals. Every incoming message goes to every
// receiver: each message handler and subscription, each fragment handler,
// and the pull API once it has been used. The pull API takes each message
// whole until NextReader is first called, and frame by frame from the next
// message on, so that NextReader streams. Messages that wait for the pull
// API count in the receive buffer: once it is full, reading pauses until
// the program receives again.

// ErrUnexpectedType is returned by ReceiveText for a binary message and by
// ReceiveBinary for a text message. The message stays for the next receive.
var ErrUnexpectedType = errors.New("wsconn: unexpected message type")

// pullItem is one frame, or one whole message, for the pull API.
type pullItem struct {
	typ        DataType
	data       []byte
	first, fin bool
	size       int64 // what it counts in the receive buffer
}

// pullQueue hands frames from the dispatcher to the pull API. It never
// makes the dispatcher wait: what it holds counts in the receive buffer,
// whose bound pauses reading until the program receives.
type pullQueue struct {
	mu     sync.Mutex
	active atomic.Bool // the pull API has been used
	frames atomic.Bool // NextReader has been used: messages come frame by frame
	items  []pullItem
	head   int
	closed bool          // the closed event was delivered: nothing more comes
	ready  chan struct{} // a token when an item or the close is there

	consumer sync.Mutex // serializes receivers
	inMsg    bool       // the consumer took a frame that was not a message's last
	gen      uint64     // counts messages begun by NextReader
}

func (q *pullQueue) init() {
	q.ready = make(chan struct{}, 1)
}

func (q *pullQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// wants reports whether the pull API receives messages now, frame by frame
// if frames is set (once NextReader has been used), else whole.
func (q *pullQueue) wants(frames bool) bool {
	return q.active.Load() && q.frames.Load() == frames
}

// push hands an item to the pull API and reports whether it took it: not
// while the pull API is unused.
func (q *pullQueue) push(it pullItem) bool {
	if !q.active.Load() {
		return false // the common case without the pull API: no lock
	}
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
	return true
}

// close marks the end of the items: the closed event was delivered.
func (q *pullQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// next returns the next item; with peek it leaves it in place. It fails
// with a *CloseError once the connection has closed and every item was
// taken, or with ctx's error.
func (c *WebsocketConnection) next(ctx context.Context, peek bool) (pullItem, error) {
	q := &c.sigs.pull
	for {
		q.mu.Lock()
		if q.head < len(q.items) {
			it := q.items[q.head]
			if !peek {
				q.items[q.head] = pullItem{}
				q.head++
				if q.head == len(q.items) {
					q.items, q.head = q.items[:0], 0
				} else if q.head >= 256 && 2*q.head >= len(q.items) {
					// Never empty: move the rest down rather than grow.
					n := copy(q.items, q.items[q.head:])
					clear(q.items[n:])
					q.items, q.head = q.items[:n], 0
				}
			}
			q.mu.Unlock()
			if !peek {
				c.sigs.taken(it.size)
			}
			return it, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return pullItem{}, c.closeError()
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return pullItem{}, ctx.Err()
		}
	}
}

// activatePull makes the pull API a receiver of the messages from now on,
// once.
func (c *WebsocketConnection) activatePull() {
	if c.sigs.pull.active.CompareAndSwap(false, true) {
		c.sigs.connected(true)
	}
}

// startPull makes the pull API a receiver, once, and takes the consumer
// lock, which the caller releases when it returns nil. Frames left of a
// message that NextReader did not finish are skipped.
func (c *WebsocketConnection) startPull(ctx context.Context) error {
	c.activatePull()
	q := &c.sigs.pull
	q.consumer.Lock()
	for q.inMsg {
		it, err := c.next(ctx, false)
		if err != nil {
			q.consumer.Unlock()
			return err
		}
		q.inMsg = !it.fin
	}
	return nil
}

// Receive waits for the next whole message and returns it with its type.
// The message is the receiver's to keep. Once the connection has closed,
// and the messages that came before were received, Receive returns an
// error that errors.As turns into a *CloseError; it returns ctx's error if
// ctx is done first. Abort wakes every waiting Receive.
//
// Receive and the other pull methods may be called from any goroutine;
// concurrent calls take turns. Do not call them from a signal handler of
// the same connection: the handler holds up the delivery they wait for.
func (c *WebsocketConnection) Receive(ctx context.Context) (DataType, []byte, error) {
	return c.receive(ctx, 0)
}

// ReceiveText is Receive for a text message. A binary message is left for
// the next receive, and ReceiveText returns ErrUnexpectedType.
func (c *WebsocketConnection) ReceiveText(ctx context.Context) (string, error) {
	_, data, err := c.receive(ctx, DataText)
	return string(data), err
}

// ReceiveBinary is Receive for a binary message. A text message is left for
// the next receive, and ReceiveBinary returns ErrUnexpectedType.
func (c *WebsocketConnection) ReceiveBinary(ctx context.Context) ([]byte, error) {
	_, data, err := c.receive(ctx, DataBinary)
	return data, err
}

// receive is Receive, for messages of type want only if want is not 0.
func (c *WebsocketConnection) receive(ctx context.Context, want DataType) (DataType, []byte, error) {
	if err := c.startPull(ctx); err != nil {
		return 0, nil, err
	}
	defer c.sigs.pull.consumer.Unlock()
	if want != 0 {
		it, err := c.next(ctx, true)
		if err != nil {
			return 0, nil, err
		}
		if it.typ != want {
			return 0, nil, fmt.Errorf("%w: want %s, got a %s message", ErrUnexpectedType, want, it.typ)
		}
	}
	q := &c.sigs.pull
	q.gen++ // a NextReader reader from before is done
	it, err := c.next(ctx, false)
	if err != nil {
		return 0, nil, err
	}
	if it.fin {
		return it.typ, it.data, nil
	}
	// A message that arrives frame by frame: the reader has checked its
	// size against the limits already.
	msg := append([]byte(nil), it.data...)
	q.inMsg = true
	for q.inMsg {
		part, err := c.next(ctx, false)
		if err != nil {
			return 0, nil, err // the rest is skipped by the next receive
		}
		msg = append(msg, part.data...)
		q.inMsg = !part.fin
	}
	return it.typ, msg, nil
}

// NextReader waits for the next message and returns its type and a reader
// of its payload, which yields the frames as they arrive: a large message
// never has to fit in memory. (A message that began before the first call
// of NextReader arrives whole.) Reads wait under ctx. A later receive skips
// what the reader has not read. Errors are as for Receive.
func (c *WebsocketConnection) NextReader(ctx context.Context) (DataType, io.Reader, error) {
	c.sigs.pull.frames.Store(true) // from the next message on
	if err := c.startPull(ctx); err != nil {
		return 0, nil, err
	}
	defer c.sigs.pull.consumer.Unlock()
	q := &c.sigs.pull
	it, err := c.next(ctx, false)
	if err != nil {
		return 0, nil, err
	}
	q.inMsg = !it.fin
	q.gen++
	return it.typ, &messageReader{c: c, ctx: ctx, gen: q.gen, data: it.data, eof: it.fin}, nil
}

// messageReader reads one message for NextReader.
type messageReader struct {
	c    *WebsocketConnection
	ctx  context.Context
	gen  uint64
	data []byte // unread bytes of the current frame
	eof  bool   // the current frame is the last
}

// errReaderStale is returned by a NextReader reader after a later receive
// took over.
var errReaderStale = errors.New("wsconn: message reader used after a later receive")

func (r *messageReader) Read(p []byte) (int, error) {
	q := &r.c.sigs.pull
	q.consumer.Lock()
	defer q.consumer.Unlock()
	if q.gen != r.gen {
		return 0, errReaderStale
	}
	for len(r.data) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		it, err := r.c.next(r.ctx, false)
		if err != nil {
			return 0, err
		}
		q.inMsg = !it.fin
		r.data, r.eof = it.data, it.fin
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}
