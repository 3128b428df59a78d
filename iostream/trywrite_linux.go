//go:build linux

package iostream

import (
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// maxTryIovecs bounds the buffers of one writev: at most this many are
// tried at once, the rest wait for the next call.
const maxTryIovecs = 64

// tryWriter writes to a socket without waiting for room: one writev on the
// non-blocking descriptor, run by the poller's RawConn.Write with a
// function that never asks it to wait.
type tryWriter struct {
	rc syscall.RawConn

	mu   sync.Mutex // serializes write, which shares the fields below
	fn   func(fd uintptr) bool
	iov  *[maxTryIovecs]syscall.Iovec // from iovPool while write runs
	niov int
	n    int64
	err  error
}

// iovPool holds the iovec arrays of writes in progress, so that an idle
// connection holds none.
var iovPool = sync.Pool{New: func() any { return new([maxTryIovecs]syscall.Iovec) }}

// newTryWriter returns a tryWriter for the socket p peeks at, or nil if p
// is nil.
func newTryWriter(p *peeker) *tryWriter {
	if p == nil {
		return nil
	}
	t := &tryWriter{rc: p.rc}
	t.fn = t.writev // made once, so that write does not allocate
	return t
}

// write writes what the socket takes now of bufs and consumes it.
func (t *tryWriter) write(bufs *net.Buffers) (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.iov = iovPool.Get().(*[maxTryIovecs]syscall.Iovec)
	defer func() {
		clear(t.iov[:t.niov]) // keep no pointers to the caller's buffers
		iovPool.Put(t.iov)
		t.iov = nil
	}()
	t.niov = 0
	for _, b := range *bufs {
		if len(b) == 0 {
			continue
		}
		if t.niov == maxTryIovecs {
			break
		}
		t.iov[t.niov].Base = &b[0]
		t.iov[t.niov].SetLen(len(b))
		t.niov++
	}
	if t.niov == 0 {
		*bufs = (*bufs)[:0]
		return 0, nil
	}
	t.n, t.err = 0, nil
	if err := t.rc.Write(t.fn); err != nil {
		return 0, err // closed
	}
	consume(bufs, t.n)
	if t.err != nil {
		return t.n, os.NewSyscallError("writev", t.err)
	}
	return t.n, nil
}

// writev makes one writev call; a full socket buffer writes nothing.
func (t *tryWriter) writev(fd uintptr) bool {
	for range maxEINTR {
		n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&t.iov[0])), uintptr(t.niov))
		switch e {
		case 0:
			t.n = int64(n)
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
		default:
			t.err = e
		}
		return true
	}
	return true
}
