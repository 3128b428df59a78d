package iostream

import (
	"io"
	"sync"
)

// minPipeAlloc is the smallest buffer a pipe direction allocates. A
// direction allocates nothing until the first write and grows its buffer up
// to its bound as needed.
const minPipeAlloc = 4 << 10

// pipeBuffer carries the bytes of one direction of a pipe: a ring buffer
// written by one end and read by the other, with a bound on how much it
// holds.
//
// Each channel carries a wake-up token for the one goroutine that may wait
// on it (the ends serialize their readers and their writers). A token may
// be stale, so a woken goroutine checks the state again.
type pipeBuffer struct {
	readable chan struct{} // a token after data arrives or writing ends
	writable chan struct{} // a token after room is made or reading ends

	mu    sync.Mutex
	buf   []byte // the ring; len(buf) grows up to limit
	limit int    // the most bytes the direction holds
	start int    // index of the first buffered byte in buf
	n     int    // number of buffered bytes
	eof   bool   // the writing end is done: readers get io.EOF once drained
	gone  bool   // the reading end is closed: writes fail
}

func newPipeBuffer(limit int) *pipeBuffer {
	return &pipeBuffer{
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		limit:    limit,
	}
}

// put copies as much of the concatenation of bufs into the ring as fits and
// returns how many bytes it copied. It returns io.ErrClosedPipe when the
// direction no longer takes bytes.
func (b *pipeBuffer) put(bufs [][]byte) (int64, error) {
	b.mu.Lock()
	if b.gone || b.eof {
		b.mu.Unlock()
		return 0, io.ErrClosedPipe
	}
	var total int64
	for _, p := range bufs {
		k := b.copyIn(p)
		total += int64(k)
		if k < len(p) {
			break // full
		}
	}
	b.mu.Unlock()
	if total > 0 {
		wake(b.readable)
	}
	return total, nil
}

// copyIn appends as much of p as fits to the ring.
func (b *pipeBuffer) copyIn(p []byte) int {
	k := min(len(p), b.limit-b.n)
	if k == 0 {
		return 0
	}
	if len(b.buf)-b.n < k {
		b.grow(b.n + k)
	}
	end := b.start + b.n
	if end >= len(b.buf) {
		end -= len(b.buf)
	}
	// The free space runs from end to the end of buf and on from the
	// start of buf; it has room for k bytes.
	c := copy(b.buf[end:], p[:k])
	copy(b.buf, p[c:k])
	b.n += k
	return k
}

// grow makes the ring hold at least size bytes, keeping its contents.
func (b *pipeBuffer) grow(size int) {
	size = min(max(size, 2*len(b.buf), minPipeAlloc), b.limit)
	buf := make([]byte, size)
	c := copy(buf, b.buf[b.start:min(b.start+b.n, len(b.buf))])
	copy(buf[c:], b.buf[:b.n-c])
	b.buf = buf
	b.start = 0
}

// get copies buffered bytes into p. With nothing buffered it returns 0 and
// io.EOF once writing has ended, or 0 and nil while more may come.
func (b *pipeBuffer) get(p []byte) (int, error) {
	b.mu.Lock()
	if b.n == 0 {
		eof := b.eof
		b.mu.Unlock()
		if eof {
			return 0, io.EOF
		}
		return 0, nil
	}
	k := min(len(p), b.n)
	c := copy(p[:k], b.buf[b.start:])
	copy(p[c:k], b.buf)
	b.start += k
	if b.start >= len(b.buf) {
		b.start -= len(b.buf)
	}
	b.n -= k
	if b.n == 0 {
		b.start = 0
		if b.eof {
			b.buf = nil // nothing more will be written
		}
	}
	b.mu.Unlock()
	if k > 0 {
		wake(b.writable)
	}
	return k, nil
}

// ready reports whether a read would return without waiting for the
// writer: bytes are buffered or writing has ended.
func (b *pipeBuffer) ready() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n > 0 || b.eof
}

// closeWrite ends writing: readers get the buffered bytes and then io.EOF.
func (b *pipeBuffer) closeWrite() {
	b.mu.Lock()
	b.eof = true
	if b.n == 0 {
		b.buf = nil
	}
	b.mu.Unlock()
	wake(b.readable)
	wake(b.writable)
}

// closeRead ends reading: buffered bytes are dropped and writes fail.
func (b *pipeBuffer) closeRead() {
	b.mu.Lock()
	b.gone = true
	b.buf, b.start, b.n = nil, 0, 0
	b.mu.Unlock()
	wake(b.readable)
	wake(b.writable)
}

// wake leaves a token in c unless one is there already.
func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
