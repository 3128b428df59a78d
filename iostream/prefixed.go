package iostream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// NewPrefixed returns a stream that first reads the bytes of buffered and
// then reads from s. It is for bytes that a handshake read from s past the
// end of the HTTP head: they belong to the WebSocket stream and must come
// out first.
//
// Writes, Close and the optional methods of this package go to s: CloseWrite
// and WriteBuffers as for NewConn, and WaitRead, which returns at once while
// bytes of buffered remain and then waits through s if s is a ReadWaiter.
//
// NewPrefixed does not copy buffered; the caller must not change it
// afterwards. When buffered is empty, NewPrefixed returns s itself.
func NewPrefixed(buffered []byte, s io.ReadWriteCloser) io.ReadWriteCloser {
	if len(buffered) == 0 {
		return s
	}
	p := &prefixed{s: s}
	p.prefix.init(buffered)
	return p
}

// prefixed is the stream returned by NewPrefixed.
type prefixed struct {
	s      io.ReadWriteCloser
	prefix replay
}

func (p *prefixed) Read(b []byte) (int, error) {
	if n, ok := p.prefix.read(b); ok {
		return n, nil
	}
	return p.s.Read(b)
}

func (p *prefixed) WaitRead() error {
	if p.prefix.pending() {
		return nil
	}
	if rw, ok := p.s.(ReadWaiter); ok {
		return rw.WaitRead()
	}
	return nil
}

func (p *prefixed) Write(b []byte) (int, error) {
	return p.s.Write(b)
}

func (p *prefixed) WriteBuffers(bufs *net.Buffers) (int64, error) {
	return WriteBuffers(p.s, bufs)
}

// TryWriteBuffers passes the call to the wrapped stream if it is a
// TryWriter.
func (p *prefixed) TryWriteBuffers(bufs *net.Buffers) (int64, error) {
	if tw, ok := p.s.(TryWriter); ok {
		return tw.TryWriteBuffers(bufs)
	}
	return 0, fmt.Errorf("iostream: %T cannot write without waiting: %w", p.s, errors.ErrUnsupported)
}

func (p *prefixed) CloseWrite() error {
	return closeWrite(p.s)
}

func (p *prefixed) Close() error {
	return p.s.Close()
}

// FromHijack returns the connection to use after an http.Hijacker handed
// over c and brw. It flushes output still buffered in brw.Writer, and takes
// the bytes that the server had already read from c into brw.Reader, such as
// the first frames a client sent right after its request head: the returned
// connection reads those first and then reads from c.
//
// The returned connection has the methods of Conn (WaitRead, CloseWrite,
// WriteBuffers); its WaitRead returns at once while taken bytes remain. When
// nothing was buffered it is NewConn(c).
//
// brw must not be used afterwards: the bytes in its reader now belong to the
// returned connection. If flushing fails, FromHijack returns the error and
// the caller should close c.
func FromHijack(c net.Conn, brw *bufio.ReadWriter) (net.Conn, error) {
	if brw != nil && brw.Writer != nil && brw.Writer.Buffered() > 0 {
		if err := brw.Writer.Flush(); err != nil {
			return nil, err
		}
	}
	conn := NewConn(c)
	if brw == nil || brw.Reader == nil || brw.Reader.Buffered() == 0 {
		return conn, nil
	}
	// Peek cannot fail for bytes that are already buffered. The bytes are
	// copied so that the reader's whole buffer need not stay alive.
	b, _ := brw.Reader.Peek(brw.Reader.Buffered())
	pc := &prefixedConn{Conn: conn}
	pc.prefix.init(append([]byte(nil), b...))
	brw.Reader.Discard(len(b))
	return pc, nil
}

// prefixedConn is the connection returned by FromHijack when bytes were
// buffered.
type prefixedConn struct {
	*Conn
	prefix replay
}

func (c *prefixedConn) Read(b []byte) (int, error) {
	if n, ok := c.prefix.read(b); ok {
		return n, nil
	}
	return c.Conn.Read(b)
}

func (c *prefixedConn) WaitRead() error {
	if c.prefix.pending() {
		return nil
	}
	return c.Conn.WaitRead()
}

// replay hands out a fixed run of bytes once. It is safe for concurrent use,
// and costs one atomic load per call once the bytes are gone.
type replay struct {
	done atomic.Bool
	mu   sync.Mutex
	buf  []byte
}

func (r *replay) init(b []byte) {
	r.buf = b
}

// read copies remaining bytes into p. It reports false, copying nothing,
// when no bytes remain.
func (r *replay) read(p []byte) (int, bool) {
	if r.done.Load() {
		return 0, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		return 0, false
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	if len(r.buf) == 0 {
		r.buf = nil
		r.done.Store(true)
	}
	return n, true
}

// pending reports whether bytes remain.
func (r *replay) pending() bool {
	if r.done.Load() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.buf) > 0
}
