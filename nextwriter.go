package wsconn

import (
	"context"
	"errors"
	"io"

	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/internal/utf8check"
)

// NextWriter starts a message that is sent in pieces as it is written,
// without ever being whole in memory: each Write goes out as one or more
// frames, Close sends the last one. Messages queued by the other send
// methods meanwhile wait behind it, so that nothing comes between its
// frames; control frames still pass. Only one such message is open at a
// time: NextWriter waits, under ctx, for the previous one to be closed.
//
// A streamed message is never compressed. Write blocks while the outgoing
// queue holds MaxQueuedBytes or more, under ctx. For a text message, Write returns
// ErrInvalidUTF8 for bytes that cannot be UTF-8, and Close for a message
// that ends inside a character.
func (c *WebsocketConnection) NextWriter(ctx context.Context, typ DataType) (io.WriteCloser, error) {
	if typ != DataText && typ != DataBinary {
		return nil, errorf("NextWriter", "unknown data type %d", int(typ))
	}
	w := &c.wr
	for {
		c.mu.Lock()
		if !w.acceptsLocked() {
			c.mu.Unlock()
			return nil, ErrNotOpen
		}
		if !w.streaming {
			w.streaming = true
			w.streamDone = make(chan struct{})
			c.mu.Unlock()
			return &messageWriter{c: c, ctx: ctx, op: frame.Opcode(typ), text: typ == DataText}, nil
		}
		done := w.streamDone
		c.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// messageWriter is the io.WriteCloser of NextWriter.
type messageWriter struct {
	c      *WebsocketConnection
	ctx    context.Context // of NextWriter: bounds the waits of Write
	op     frame.Opcode    // the message's opcode until the first piece, then continuation
	text   bool
	utf8   utf8check.Validator
	closed bool
}

var errWriterClosed = errors.New("wsconn: write to a closed message writer")

// Write sends p as the next piece of the message.
func (m *messageWriter) Write(p []byte) (int, error) {
	if m.closed {
		return 0, errWriterClosed
	}
	if m.text && !m.utf8.Write(p) {
		return 0, &opError{"message writer", ErrInvalidUTF8}
	}
	c := m.c
	n := 0
	for n < len(p) {
		if err := m.waitRoom(); err != nil {
			return n, err
		}
		k := min(len(p)-n, c.opts.fragmentSize)
		c.mu.Lock()
		err := c.wr.enqueuePieceLocked(m.op, p[n:n+k], false)
		c.mu.Unlock()
		if err != nil {
			return n, err
		}
		m.op = frame.OpContinuation
		n += k
	}
	return n, nil
}

// waitRoom blocks while the queue is at its bound.
func (m *messageWriter) waitRoom() error {
	c := m.c
	c.mu.Lock()
	full := c.opts.maxQueued > 0 && c.wr.queued >= c.opts.maxQueued
	c.mu.Unlock()
	if full {
		return c.Flush(m.ctx)
	}
	return nil
}

// Close sends the message's last frame and lets the messages queued behind
// it go.
func (m *messageWriter) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.text && !m.utf8.Complete() {
		// The message cannot be ended validly; end it anyway so that the
		// connection stays usable, and tell the caller.
		c.wr.enqueuePieceLocked(m.op, nil, true)
		c.wr.endStreamLocked()
		return &opError{"message writer: text ends inside a character", ErrInvalidUTF8}
	}
	err := c.wr.enqueuePieceLocked(m.op, nil, true)
	c.wr.endStreamLocked()
	return err
}
