package wsconn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// NetConn returns a net.Conn over c, to run a stream protocol through a
// WebSocket: SSH, VNC, a database or RPC tunnel. Reads return the payloads
// of the incoming binary messages as one stream of bytes; each Write sends
// its bytes as binary messages of at most 64 KiB (so that peers with the
// default limits take them). A text message is not part of such a stream:
// it fails the connection with close code 1003 and Read returns an error.
//
// Deadlines behave as net.Conn asks: a deadline that passes makes pending
// and later reads or writes fail with an error whose Timeout method
// reports true and that errors.Is matches with os.ErrDeadlineExceeded, and
// a new deadline lets them go on. A Write waits only while c's outgoing
// queue is full (Options.MaxQueuedBytes). Close sends a normal close (1000)
// after what was written, and makes pending reads and writes return at
// once. When the peer closes normally, Read returns io.EOF once every
// message before the close is read; any other close makes it return an
// error that errors.As turns into a *CloseError with the close status.
// LocalAddr and RemoteAddr are those of c's stream, or, for a stream
// without addresses, the connection's URL.
//
// The net.Conn takes c's incoming messages through the pull API (see
// Receive), from the call of NetConn on: do not also receive from c.
func NetConn(c *WebsocketConnection) net.Conn {
	// The stream's bytes start now: the messages that arrive before the
	// first Read wait for it, frame by frame.
	c.sigs.pull.frames.Store(true)
	c.activatePull()
	nc := &netConn{c: c}
	nc.rd.init()
	nc.wd.init()
	return nc
}

// netMessageSize bounds the messages a netConn's Write sends.
const netMessageSize = 64 << 10

type netConn struct {
	c      *WebsocketConnection
	closed atomic.Bool
	rd, wd deadline

	rmu  sync.Mutex // serializes reads
	msg  *messageReader
	rerr error // the error that ended reading for good

	wmu sync.Mutex // serializes writes, which keeps their bytes in order
}

func (nc *netConn) Read(p []byte) (int, error) {
	nc.rmu.Lock()
	defer nc.rmu.Unlock()
	if nc.closed.Load() {
		return 0, nc.opError("read", net.ErrClosed)
	}
	if nc.rerr != nil {
		return 0, nc.rerr
	}
	ctx := nc.rd.context()
	if ctx.Err() != nil {
		return 0, nc.opError("read", os.ErrDeadlineExceeded)
	}
	for {
		if nc.msg == nil {
			typ, r, err := nc.c.NextReader(ctx)
			if err != nil {
				return 0, nc.readError(err)
			}
			if typ != DataBinary {
				nc.c.Close(CloseUnsupportedData, "text message in a byte stream")
				nc.rerr = nc.opError("read", errors.New("wsconn: text message in the byte stream of a NetConn"))
				return 0, nc.rerr
			}
			nc.msg = r.(*messageReader)
		}
		nc.msg.ctx = ctx // the deadline may have changed since the message began
		n, err := nc.msg.Read(p)
		if err == io.EOF {
			nc.msg = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		if err != nil {
			return n, nc.readError(err)
		}
		if n > 0 || len(p) == 0 {
			return n, nil
		}
	}
}

// readError returns err of the pull API as Read reports it.
func (nc *netConn) readError(err error) error {
	if nc.closed.Load() {
		return nc.opError("read", net.ErrClosed)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nc.opError("read", os.ErrDeadlineExceeded)
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		nc.msg = nil
		if ce.Code == CloseNormal && ce.Err == nil {
			nc.rerr = io.EOF
		} else {
			nc.rerr = ce
		}
		return nc.rerr
	}
	return nc.opError("read", err)
}

func (nc *netConn) Write(p []byte) (int, error) {
	nc.wmu.Lock()
	defer nc.wmu.Unlock()
	written := 0
	for {
		if nc.closed.Load() {
			return written, nc.opError("write", net.ErrClosed)
		}
		ctx := nc.wd.context()
		if ctx.Err() != nil {
			return written, nc.opError("write", os.ErrDeadlineExceeded)
		}
		if written == len(p) && len(p) > 0 {
			return written, nil
		}
		chunk := p[written:min(len(p), written+netMessageSize)]
		err := nc.c.SendBinary(chunk)
		if err == nil {
			written += len(chunk)
			if written == len(p) {
				return written, nil
			}
			continue
		}
		if !errors.Is(err, ErrQueueFull) {
			return written, nc.writeError(err)
		}
		// Wait for the queue to drain, or the deadline.
		if err := nc.c.Flush(ctx); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return written, nc.writeError(err)
		}
	}
}

func (nc *netConn) writeError(err error) error {
	if nc.closed.Load() || errors.Is(err, ErrNotOpen) {
		return nc.opError("write", net.ErrClosed)
	}
	return nc.opError("write", err)
}

// Close sends a normal close and ends pending reads and writes.
func (nc *netConn) Close() error {
	if nc.closed.Swap(true) {
		return nc.opError("close", net.ErrClosed)
	}
	nc.rd.set(pastDeadline)
	nc.wd.set(pastDeadline)
	if err := nc.c.Close(CloseNormal, ""); err != nil && !errors.Is(err, ErrNotOpen) {
		return nc.opError("close", err)
	}
	return nil
}

func (nc *netConn) LocalAddr() net.Addr {
	if a := nc.c.LocalAddr(); a != nil {
		return a
	}
	return urlAddr(nc.c.URI().String())
}

func (nc *netConn) RemoteAddr() net.Addr {
	if a := nc.c.RemoteAddr(); a != nil {
		return a
	}
	return urlAddr(nc.c.URI().String())
}

func (nc *netConn) SetDeadline(t time.Time) error {
	nc.rd.set(t)
	nc.wd.set(t)
	return nil
}

func (nc *netConn) SetReadDeadline(t time.Time) error {
	nc.rd.set(t)
	return nil
}

func (nc *netConn) SetWriteDeadline(t time.Time) error {
	nc.wd.set(t)
	return nil
}

func (nc *netConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "websocket", Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: err}
}

// urlAddr is the address of a connection whose stream has none: its URL.
type urlAddr string

func (a urlAddr) Network() string { return "websocket" }
func (a urlAddr) String() string  { return string(a) }

// deadline is a net.Conn deadline: a channel closed when it passes. A
// new deadline resets the timer of the same channel, so that pending
// operations see it, unless the channel is closed already: operations that
// failed have returned, and later ones get a new channel.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	gen    uint64 // counts the deadlines set; a timer of an older one does nothing
	done   chan struct{}
	closed bool // done is closed
}

func (d *deadline) init() {
	d.done = make(chan struct{})
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	wait := time.Until(t)
	if d.closed && (t.IsZero() || wait > 0) {
		d.done, d.closed = make(chan struct{}), false
	}
	switch {
	case t.IsZero():
	case wait <= 0:
		if !d.closed {
			close(d.done)
			d.closed = true
		}
	default:
		gen := d.gen
		d.timer = time.AfterFunc(wait, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.gen == gen && !d.closed {
				close(d.done)
				d.closed = true
			}
		})
	}
}

// context returns a context that ends when the deadline passes, as it is
// set now or later.
func (d *deadline) context() context.Context {
	d.mu.Lock()
	defer d.mu.Unlock()
	return deadlineContext{d.done}
}

// deadlineContext is a context that ends, with os.ErrDeadlineExceeded,
// when done is closed.
type deadlineContext struct{ done <-chan struct{} }

func (deadlineContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c deadlineContext) Done() <-chan struct{}     { return c.done }
func (deadlineContext) Value(any) any               { return nil }

func (c deadlineContext) Err() error {
	select {
	case <-c.done:
		return os.ErrDeadlineExceeded
	default:
		return nil
	}
}
