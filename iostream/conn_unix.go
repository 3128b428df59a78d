//go:build unix && !aix

package iostream

import (
	"net"
	"os"
	"sync"
	"syscall"
)

// maxEINTR bounds how often a peek interrupted by a signal is retried.
const maxEINTR = 16

// peeker waits until a socket is readable by peeking at it. The runtime
// poller does the waiting: the peek callback takes one byte with MSG_PEEK,
// which consumes nothing, and reports "not yet" only when the socket would
// block. Once the poller has woken it, the callback trusts the poller and
// peeks no more: the Read that follows finds the data, the end of stream or
// the error, so a wait costs one system call besides the poller's.
type peeker struct {
	rc syscall.RawConn

	mu    sync.Mutex // serializes wait, which shares fn and err
	fn    func(fd uintptr) bool
	err   error   // the error that fn saw
	calls int     // calls of fn during this wait
	buf   [1]byte // where peek receives, though it keeps nothing
}

// newPeeker returns a peeker for c, or nil if c is not a socket that
// implements syscall.Conn.
func newPeeker(c net.Conn) *peeker {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var sockErr error
	ctrlErr := rc.Control(func(fd uintptr) {
		_, sockErr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_TYPE)
	})
	if ctrlErr != nil || sockErr != nil {
		return nil // closed, or not a socket
	}
	p := &peeker{rc: rc}
	p.fn = p.peek // made once, so that wait does not allocate
	return p
}

// wait blocks until the socket has data, has reached end of stream or has
// failed. c is the connection, for the error.
func (p *peeker) wait(c net.Conn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err, p.calls = nil, 0
	if err := p.rc.Read(p.fn); err != nil {
		return err // closed, or past the read deadline
	}
	if p.err != nil {
		return readError(c, p.err)
	}
	return nil
}

// readError returns the error of a failed peek at c. It is a function of
// its own so that wait's frame stays small: idle connections wait in it.
func readError(c net.Conn, err error) error {
	return &net.OpError{
		Op:     "read",
		Net:    c.LocalAddr().Network(),
		Source: c.LocalAddr(),
		Addr:   c.RemoteAddr(),
		Err:    os.NewSyscallError("recvfrom", err),
	}
}

// peek reports whether a read of fd would not block. After the first call
// of a wait, the poller has reported the socket readable.
func (p *peeker) peek(fd uintptr) bool {
	if p.calls++; p.calls > 1 {
		return true
	}
	for range maxEINTR {
		n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n > 0:
			return true // data is waiting
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			return false // let the poller wait
		case err != nil:
			// Reading a pending socket error clears it, so it must
			// be reported here: the next Read might not see it.
			p.err = err
			return true
		default:
			return true // end of stream
		}
	}
	return true // interrupted too often: let Read find out
}
