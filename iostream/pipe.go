package iostream

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// defaultPipeSize is the bound of each direction of a pipe made by Pipe.
const defaultPipeSize = 64 << 10

// Pipe returns the two ends of an in-memory, full-duplex, buffered
// connection: what one end writes, the other reads. It is for tests and for
// connecting a WebSocket client and server within one process.
//
// Unlike net.Pipe, a write does not wait for a reader: each direction
// buffers up to 64 KiB. A write that does not fit copies what fits and then
// blocks until the reader makes room, as TCP applies back-pressure. Use
// PipeSize to choose another bound.
func Pipe() (*PipeConn, *PipeConn) {
	return PipeSize(defaultPipeSize)
}

// PipeSize is like Pipe but bounds each direction to size bytes. It panics if
// size is not positive.
func PipeSize(size int) (*PipeConn, *PipeConn) {
	if size <= 0 {
		panic("iostream: PipeSize: size must be positive")
	}
	ab, ba := newPipeBuffer(size), newPipeBuffer(size)
	return newPipeConn(ba, ab), newPipeConn(ab, ba)
}

// PipeConn is one end of a pipe made by Pipe or PipeSize. It implements
// net.Conn, with "pipe" as the network and address of both ends, and the
// optional capabilities of this package: CloseWrite, WaitRead and
// WriteBuffers.
//
// A PipeConn is safe for concurrent use: reads are serialized with each
// other, as are writes, so each Write reaches the peer whole, without the
// bytes of another write in between.
//
// Deadlines behave as for the connections of the net package: once a
// deadline has passed, reads or writes fail with an error that wraps
// os.ErrDeadlineExceeded, even when they could have gone on, until the
// deadline is moved. Operations on an end that has been closed fail with an
// error for which errors.Is reports true for both net.ErrClosed and
// io.ErrClosedPipe.
type PipeConn struct {
	rx *pipeBuffer // the bytes the peer writes, for this end to read
	tx *pipeBuffer // the bytes this end writes, for the peer to read

	rdMu sync.Mutex // serializes Read and WaitRead
	wrMu sync.Mutex // serializes Write and WriteBuffers

	readDeadline  deadline
	writeDeadline deadline

	closeOnce sync.Once
	closed    chan struct{} // closed by Close
}

func newPipeConn(rx, tx *pipeBuffer) *PipeConn {
	c := &PipeConn{rx: rx, tx: tx, closed: make(chan struct{})}
	c.readDeadline.init()
	c.writeDeadline.init()
	return c
}

// Read reads buffered bytes that the peer wrote, waiting for some if there
// are none. After the peer has closed, or closed its writing half, Read
// returns the remaining bytes and then io.EOF.
func (c *PipeConn) Read(p []byte) (int, error) {
	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	for {
		if err := c.readCheck(); err != nil {
			return 0, err
		}
		n, err := c.rx.get(p)
		if n > 0 || err != nil || len(p) == 0 {
			return n, err
		}
		c.waitReadable()
	}
}

// WaitRead blocks until bytes are buffered for reading or the peer has
// stopped writing, without consuming anything. It returns an error if this
// end is closed or the read deadline passes first. It implements ReadWaiter.
func (c *PipeConn) WaitRead() error {
	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	for {
		if err := c.readCheck(); err != nil {
			return err
		}
		if c.rx.ready() {
			return nil
		}
		c.waitReadable()
	}
}

// Write writes p to the pipe. It returns once all of p is buffered for the
// peer, blocking while the buffer is full. It fails with io.ErrClosedPipe
// once the peer has closed or this end has closed its writing half.
func (c *PipeConn) Write(p []byte) (int, error) {
	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	var n int
	for {
		if err := c.writeCheck(); err != nil {
			return n, err
		}
		k, err := c.tx.put([][]byte{p[n:]})
		n += int(k)
		if err != nil || n == len(p) {
			return n, err
		}
		c.waitWritable()
	}
}

// WriteBuffers writes all of bufs as one write, like Write of their
// concatenation, and consumes bufs the way net.Buffers.WriteTo does. See the
// WriteBuffers function.
func (c *PipeConn) WriteBuffers(bufs *net.Buffers) (int64, error) {
	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	var total int64
	for {
		if err := c.writeCheck(); err != nil {
			return total, err
		}
		k, err := c.tx.put(*bufs)
		total += k
		consume(bufs, k)
		if err != nil || len(*bufs) == 0 {
			return total, err
		}
		c.waitWritable()
	}
}

// CloseWrite closes the writing half of this end: the peer reads the bytes
// already written and then io.EOF, while this end can still read. It
// implements CloseWriter.
func (c *PipeConn) CloseWrite() error {
	if isClosed(c.closed) {
		return c.opError("close", errPipeClosed)
	}
	c.tx.closeWrite()
	return nil
}

// Close closes this end. The peer reads the bytes already written and then
// io.EOF, and its writes fail with io.ErrClosedPipe. Reads and writes of this
// end, including blocked ones, fail with an error that matches net.ErrClosed
// and io.ErrClosedPipe. Bytes that the peer wrote but this end did not read
// are dropped. Close after the first call does nothing and returns nil.
func (c *PipeConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.tx.closeWrite()
		c.rx.closeRead()
		c.readDeadline.stop()
		c.writeDeadline.stop()
	})
	return nil
}

// LocalAddr returns the address of this end, whose network and string are
// both "pipe".
func (c *PipeConn) LocalAddr() net.Addr { return pipeAddr{} }

// RemoteAddr returns the address of the peer, whose network and string are
// both "pipe".
func (c *PipeConn) RemoteAddr() net.Addr { return pipeAddr{} }

// SetDeadline sets both the read and the write deadline. See net.Conn.
func (c *PipeConn) SetDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set", errPipeClosed)
	}
	c.readDeadline.set(t)
	c.writeDeadline.set(t)
	return nil
}

// SetReadDeadline sets the deadline for Read and WaitRead calls, including
// those already blocked. The zero time means no deadline.
func (c *PipeConn) SetReadDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set", errPipeClosed)
	}
	c.readDeadline.set(t)
	return nil
}

// SetWriteDeadline sets the deadline for Write and WriteBuffers calls,
// including those already blocked. The zero time means no deadline. A write
// that times out may have written part of its bytes.
func (c *PipeConn) SetWriteDeadline(t time.Time) error {
	if isClosed(c.closed) {
		return c.opError("set", errPipeClosed)
	}
	c.writeDeadline.set(t)
	return nil
}

// waitWritable blocks until something may have changed for a writer.
func (c *PipeConn) waitWritable() {
	select {
	case <-c.tx.writable:
	case <-c.writeDeadline.done():
	case <-c.closed:
	}
}

// readCheck returns the error of a read that may not go on.
func (c *PipeConn) readCheck() error {
	if isClosed(c.closed) {
		return c.opError("read", errPipeClosed)
	}
	if c.readDeadline.passed() {
		return c.opError("read", os.ErrDeadlineExceeded)
	}
	return nil
}

// writeCheck returns the error of a write that may not go on.
func (c *PipeConn) writeCheck() error {
	if isClosed(c.closed) {
		return c.opError("write", errPipeClosed)
	}
	if c.writeDeadline.passed() {
		return c.opError("write", os.ErrDeadlineExceeded)
	}
	return nil
}

// waitReadable blocks until something may have changed for a reader.
func (c *PipeConn) waitReadable() {
	select {
	case <-c.rx.readable:
	case <-c.readDeadline.done():
	case <-c.closed:
	}
}

func (c *PipeConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "pipe", Err: err}
}

// errPipeClosed is the error of operations on a closed end.
var errPipeClosed error = pipeClosedError{}

// pipeClosedError matches both net.ErrClosed and io.ErrClosedPipe, so that
// code written for either recognizes a closed pipe.
type pipeClosedError struct{}

func (pipeClosedError) Error() string { return "use of closed pipe" }

func (pipeClosedError) Is(target error) bool {
	return target == net.ErrClosed || target == io.ErrClosedPipe
}

// pipeAddr is the address of both ends of a pipe.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
