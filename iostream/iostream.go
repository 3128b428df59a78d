package iostream

import (
	"io"
	"net"
	"sync"
)

// CloseWriter is implemented by streams that can shut down their writing
// half while still reading from the other. After CloseWrite the peer reads
// the bytes already written and then end of stream (on TCP, a FIN), which
// lets a WebSocket endpoint finish the closing handshake cleanly. *net.TCPConn,
// *net.UnixConn and *tls.Conn implement it, as do the streams of this
// package.
type CloseWriter interface {
	CloseWrite() error
}

// ReadWaiter is implemented by streams that can block until data is
// readable, or the stream has ended or failed, without consuming anything
// and without holding a buffer. A connection uses it to give its read buffer
// back to a pool while it is idle and to take one again only when a frame
// arrives.
//
// WaitRead returning nil means that the next Read will not block for long:
// it returns data, io.EOF or an error. It does not promise that data is
// there; a stream that cannot wait returns nil at once, and the caller then
// simply reads. A non-nil error, such as a deadline expiring or the stream
// being closed, is one that a Read would have returned as well.
type ReadWaiter interface {
	WaitRead() error
}

// TryWriter is implemented by streams that can write without waiting for
// room. TryWriteBuffers writes what the stream takes at once of bufs: all
// of it, part of it, or nothing when the stream is full; it consumes what
// it wrote from bufs and returns its length. A stream that cannot do so
// returns an error that wraps errors.ErrUnsupported. A connection uses it to
// write a message from the goroutine that sends it when the stream has
// room, instead of waking its writer goroutine.
type TryWriter interface {
	TryWriteBuffers(bufs *net.Buffers) (int64, error)
}

// buffersWriter is implemented by the streams of this package, which pass a
// vectored write down to the stream they wrap.
type buffersWriter interface {
	WriteBuffers(bufs *net.Buffers) (int64, error)
}

// WriteBuffers writes all of bufs to w and returns the number of bytes
// written. It uses one vectored write (writev) when w can do it: when w is a
// connection of the net package, such as *net.TCPConn or *net.UnixConn, or
// when w has a method WriteBuffers(*net.Buffers) (int64, error), as every
// wrapper in this package does. Otherwise it joins the buffers into writes
// of at least 16 KiB where it can, copying the small ones, and writes a
// large buffer's remainder as it is: a TLS connection makes a record and a
// system call of each Write, and an HTTP/2 or HTTP/3 request body a DATA
// frame, so that a frame header written on its own would cost one of each.
//
// Like net.Buffers.WriteTo, it consumes bufs: on return, bufs holds what was
// not written, which is nothing when the error is nil.
//
// WriteBuffers does not allocate on its own, but bufs escapes to the heap
// through the call. A caller that writes often should keep its net.Buffers
// in a long-lived value, reset it from a backing slice before each call
// (bufs = backing[:0]; bufs = append(bufs, header, payload)), and pass a
// pointer to it.
func WriteBuffers(w io.Writer, bufs *net.Buffers) (int64, error) {
	if bw, ok := w.(buffersWriter); ok {
		return bw.WriteBuffers(bufs)
	}
	switch w.(type) {
	case *net.TCPConn, *net.UnixConn, *net.IPConn:
		return bufs.WriteTo(w) // writev
	}
	if len(*bufs) == 1 {
		return bufs.WriteTo(w)
	}
	return writeJoined(w, bufs)
}

// joinSize is the size of the writes writeJoined makes of small buffers:
// a TLS record's payload, and the default frame size of HTTP/2.
const joinSize = 16 << 10

var joinPool = sync.Pool{New: func() any { return new([joinSize]byte) }}

// writeJoined writes bufs to w in writes of joinSize bytes, copied from
// the buffers, except for the remainder of a buffer that is at least
// joinSize long once the bytes before it are written, which goes as it
// is. It consumes bufs as WriteBuffers does.
func writeJoined(w io.Writer, bufs *net.Buffers) (int64, error) {
	space := joinPool.Get().(*[joinSize]byte)
	defer joinPool.Put(space)
	pending := 0 // bytes of space to write
	var written int64
	var err error
	write := func(p []byte) {
		var k int
		k, err = w.Write(p)
		written += int64(k)
	}
	for _, b := range *bufs {
		for len(b) > 0 && err == nil {
			if pending == 0 && len(b) >= joinSize {
				write(b)
				break
			}
			k := copy(space[pending:], b)
			pending += k
			b = b[k:]
			if pending == joinSize {
				write(space[:])
				pending = 0
			}
		}
		if err != nil {
			break
		}
	}
	if pending > 0 && err == nil {
		write(space[:pending])
	}
	consume(bufs, written)
	return written, err
}

// consume removes the first n bytes from bufs, dropping buffers that are
// used up, the way net.Buffers.WriteTo leaves them after a partial write.
func consume(bufs *net.Buffers, n int64) {
	v := *bufs
	for len(v) > 0 && n >= int64(len(v[0])) {
		n -= int64(len(v[0]))
		v[0] = nil // let the written buffer be collected
		v = v[1:]
	}
	if len(v) > 0 && n > 0 {
		v[0] = v[0][n:]
	}
	*bufs = v
}
