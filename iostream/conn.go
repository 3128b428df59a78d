package iostream

import (
	"errors"
	"fmt"
	"net"
)

// Conn is a net.Conn with the optional capabilities that a WebSocket
// connection uses: WaitRead, CloseWrite and vectored writes. All the methods
// of the wrapped connection stay available through the embedded net.Conn.
//
// Use NewConn to make one.
type Conn struct {
	net.Conn

	// peeker waits for the wrapped socket, or is nil when WaitRead cannot
	// wait that way.
	peeker *peeker
	// waiter is the wrapped connection's own WaitRead, if it has one.
	waiter ReadWaiter
	// tw writes to the wrapped socket without waiting, or is nil when
	// TryWriteBuffers is not supported.
	tw *tryWriter
}

// NewConn wraps c to add WaitRead, CloseWrite and WriteBuffers.
//
// WaitRead really waits only on Unix systems and only when c is a socket of
// the net package, such as *net.TCPConn or *net.UnixConn, or another
// connection that implements syscall.Conn with a socket and reads from it
// without buffering. For other connections, *tls.Conn among them, WaitRead
// returns nil at once; CanWaitRead tells which case applies.
//
// A connection type that buffers what it reads must not implement
// syscall.Conn, or WaitRead could block while its buffer holds data.
//
// A connection that has a WaitRead method of its own, such as a PipeConn,
// keeps it. If c is already a *Conn, NewConn returns it.
func NewConn(c net.Conn) *Conn {
	if conn, ok := c.(*Conn); ok {
		return conn
	}
	if w, ok := c.(ReadWaiter); ok {
		return &Conn{Conn: c, waiter: w}
	}
	p := newPeeker(c)
	return &Conn{Conn: c, peeker: p, tw: newTryWriter(p)}
}

// CanWaitRead reports whether WaitRead blocks until data is readable. When it
// is false, WaitRead returns nil at once and the caller should just read.
func (c *Conn) CanWaitRead() bool {
	return c.peeker != nil || c.waiter != nil
}

// WaitRead blocks until data is readable, the peer has closed its writing
// half, or the connection has failed, without consuming anything and without
// a buffer. It honors the read deadline of the connection. When the
// connection cannot wait (see CanWaitRead) it returns nil at once.
//
// It implements ReadWaiter.
func (c *Conn) WaitRead() error {
	switch {
	case c.waiter != nil:
		return c.waiter.WaitRead()
	case c.peeker != nil:
		return c.peeker.wait(c.Conn)
	}
	return nil
}

// CloseWrite shuts down the writing half of the connection, if the wrapped
// connection can do that. Otherwise it returns an error that wraps
// errors.ErrUnsupported and leaves the connection as it was.
//
// It implements CloseWriter.
func (c *Conn) CloseWrite() error {
	return closeWrite(c.Conn)
}

// WriteBuffers writes all of bufs to the wrapped connection, with one
// vectored write when the connection supports it. It consumes bufs the way
// net.Buffers.WriteTo does. See the WriteBuffers function.
func (c *Conn) WriteBuffers(bufs *net.Buffers) (int64, error) {
	return WriteBuffers(c.Conn, bufs)
}

// TryWriteBuffers writes what the wrapped connection takes at once of bufs,
// without waiting for room: all of it, part of it or nothing, when the
// socket's send buffer is full. It consumes what it wrote from bufs, as
// WriteBuffers does, and returns its length. It is supported on Linux for
// the sockets on which WaitRead waits (see NewConn); elsewhere it returns
// an error that wraps errors.ErrUnsupported and writes nothing.
//
// It implements TryWriter.
func (c *Conn) TryWriteBuffers(bufs *net.Buffers) (int64, error) {
	if c.tw == nil {
		return 0, fmt.Errorf("iostream: %T cannot write without waiting: %w", c.Conn, errors.ErrUnsupported)
	}
	n, err := c.tw.write(bufs)
	if err != nil {
		err = &net.OpError{Op: "write", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// Unwrap returns the wrapped connection.
func (c *Conn) Unwrap() net.Conn {
	return c.Conn
}

// closeWrite calls CloseWrite on s if it has the method and reports
// errors.ErrUnsupported otherwise.
func closeWrite(s any) error {
	if cw, ok := s.(CloseWriter); ok {
		return cw.CloseWrite()
	}
	return fmt.Errorf("iostream: %T cannot close its writing half: %w", s, errors.ErrUnsupported)
}
