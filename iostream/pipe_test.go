package iostream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipeNew makes a pipe of the given bound (0 for the default) that is
// closed when the test ends.
func pipeNew(t *testing.T, size int) (a, b *PipeConn) {
	t.Helper()
	if size == 0 {
		a, b = Pipe()
	} else {
		a, b = PipeSize(size)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b
}

func TestPipeFullDuplex(t *testing.T) {
	for _, size := range []int{1, 7, 4096, 0} {
		a, b := pipeNew(t, size)
		// Both ends write more than the bound at the same time while
		// the other end reads with buffers of awkward sizes.
		rng := rand.New(rand.NewPCG(1, uint64(size)))
		// Tiny bounds move a byte or so per wake-up: keep their data
		// short.
		lenA, lenB := 200_000, 150_000
		if size > 0 && size < 100 {
			lenA, lenB = lenA/20, lenB/20
		}
		dataA, dataB := make([]byte, lenA), make([]byte, lenB)
		for i := range dataA {
			dataA[i] = byte(rng.Uint32())
		}
		for i := range dataB {
			dataB[i] = byte(rng.Uint32())
		}
		var gotA, gotB []byte
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		run := func(f func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- f()
			}()
		}
		writeAll := func(c *PipeConn, data []byte) func() error {
			return func() error {
				for len(data) > 0 {
					n := min(len(data), 1+rng2(len(data)))
					if _, err := c.Write(data[:n]); err != nil {
						return err
					}
					data = data[n:]
				}
				return c.CloseWrite()
			}
		}
		readAll := func(c *PipeConn, got *[]byte) func() error {
			return func() error {
				buf := make([]byte, 3001)
				for {
					n, err := c.Read(buf)
					*got = append(*got, buf[:n]...)
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return err
					}
				}
			}
		}
		run(writeAll(a, dataA))
		run(writeAll(b, dataB))
		run(readAll(b, &gotA))
		run(readAll(a, &gotB))
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err, "size %d", size)
		}
		require.True(t, bytes.Equal(dataA, gotA), "a to b, size %d", size)
		require.True(t, bytes.Equal(dataB, gotB), "b to a, size %d", size)
	}
}

// rng2 returns a pseudo-random size below 2*n/3+10, safe for concurrent use.
func rng2(n int) int {
	return rand.IntN(2*n/3 + 10)
}

// TestPipeWriteDoesNotWaitForReader shows the difference from net.Pipe: a
// write that fits returns with nobody reading.
func TestPipeWriteDoesNotWaitForReader(t *testing.T) {
	a, b := pipeNew(t, 0)
	require.NoError(t, a.SetWriteDeadline(time.Now().Add(eventually)))
	n, err := a.Write(make([]byte, 64<<10))
	require.NoError(t, err)
	assert.Equal(t, 64<<10, n)
	require.NoError(t, b.WaitRead())
}

func TestPipeBackPressure(t *testing.T) {
	const size = 16
	t.Run("write times out after filling the buffer", func(t *testing.T) {
		a, b := pipeNew(t, size)
		require.NoError(t, a.SetWriteDeadline(time.Now().Add(briefly)))
		n, err := a.Write(make([]byte, 40))
		assert.Equal(t, size, n, "the write fills the buffer, then blocks")
		assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
		got := make([]byte, 100)
		n, err = b.Read(got)
		require.NoError(t, err)
		assert.Equal(t, size, n)
	})
	t.Run("write resumes as the reader makes room", func(t *testing.T) {
		a, b := pipeNew(t, size)
		data := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD")
		done := goErr(func() error {
			n, err := a.Write(data)
			if err == nil && n != len(data) {
				err = io.ErrShortWrite
			}
			return err
		})
		// The writer filled the buffer and waits.
		require.NoError(t, b.WaitRead())
		requireBlocked(t, done)
		var got []byte
		buf := make([]byte, 100)
		n, err := b.Read(buf)
		require.NoError(t, err)
		require.Equal(t, size, n, "a full buffer")
		got = append(got, buf[:n]...)
		for len(got) < len(data) {
			n, err := b.Read(buf[:5])
			require.NoError(t, err)
			got = append(got, buf[:n]...)
		}
		require.NoError(t, waitErr(t, done))
		assert.Equal(t, string(data), string(got))
	})
}

func TestPipeHalfClose(t *testing.T) {
	a, b := pipeNew(t, 0)
	_, err := a.Write([]byte("request"))
	require.NoError(t, err)
	require.NoError(t, a.CloseWrite())
	require.NoError(t, a.CloseWrite(), "a second CloseWrite")

	_, err = a.Write([]byte("more"))
	assert.Equal(t, io.ErrClosedPipe, err, "write after CloseWrite")

	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "request", string(got), "the peer reads what was written, then EOF")
	require.NoError(t, b.WaitRead(), "WaitRead at EOF")

	// The other direction still works.
	_, err = b.Write([]byte("response"))
	require.NoError(t, err)
	require.NoError(t, b.Close())
	got, err = io.ReadAll(a)
	require.NoError(t, err)
	assert.Equal(t, "response", string(got))
}

func TestPipeClose(t *testing.T) {
	a, b := pipeNew(t, 0)
	_, err := a.Write([]byte("left over"))
	require.NoError(t, err)
	_, err = b.Write([]byte("never read"))
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "a second Close")

	// The peer reads what remains, then EOF; its writes fail.
	got, err := io.ReadAll(b)
	require.NoError(t, err)
	assert.Equal(t, "left over", string(got))
	_, err = b.Write([]byte("x"))
	assert.Equal(t, io.ErrClosedPipe, err)

	// Everything on the closed end fails as closed.
	ops := []struct {
		name string
		op   func() error
	}{
		{"Read", func() error { _, err := a.Read(make([]byte, 1)); return err }},
		{"Write", func() error { _, err := a.Write([]byte("x")); return err }},
		{"WriteBuffers", func() error { _, err := a.WriteBuffers(&net.Buffers{[]byte("x")}); return err }},
		{"WaitRead", a.WaitRead},
		{"CloseWrite", a.CloseWrite},
		{"SetDeadline", func() error { return a.SetDeadline(time.Now()) }},
		{"SetReadDeadline", func() error { return a.SetReadDeadline(time.Now()) }},
		{"SetWriteDeadline", func() error { return a.SetWriteDeadline(time.Now()) }},
	}
	for _, op := range ops {
		err := op.op()
		assert.ErrorIs(t, err, net.ErrClosed, op.name)
		assert.ErrorIs(t, err, io.ErrClosedPipe, op.name)
	}
}

// TestPipeCloseUnblocks checks that Close of either end ends the operations
// blocked on both ends, with the right error.
func TestPipeCloseUnblocks(t *testing.T) {
	const size = 8
	closedLocally := func(t *testing.T, err error) {
		assert.ErrorIs(t, err, net.ErrClosed)
		assert.ErrorIs(t, err, io.ErrClosedPipe)
	}
	tests := []struct {
		name   string
		op     func(self, peer *PipeConn) error
		close  func(self, peer *PipeConn) error
		verify func(t *testing.T, err error)
	}{
		{
			name:   "Read, closed locally",
			op:     func(self, _ *PipeConn) error { _, err := self.Read(make([]byte, 1)); return err },
			close:  func(self, _ *PipeConn) error { return self.Close() },
			verify: closedLocally,
		},
		{
			name:   "Read, closed by the peer",
			op:     func(self, _ *PipeConn) error { _, err := self.Read(make([]byte, 1)); return err },
			close:  func(_, peer *PipeConn) error { return peer.Close() },
			verify: func(t *testing.T, err error) { assert.Equal(t, io.EOF, err) },
		},
		{
			name:   "WaitRead, closed locally",
			op:     func(self, _ *PipeConn) error { return self.WaitRead() },
			close:  func(self, _ *PipeConn) error { return self.Close() },
			verify: closedLocally,
		},
		{
			name:   "WaitRead, closed by the peer",
			op:     func(self, _ *PipeConn) error { return self.WaitRead() },
			close:  func(_, peer *PipeConn) error { return peer.Close() },
			verify: func(t *testing.T, err error) { assert.NoError(t, err) },
		},
		{
			name: "Write, closed locally",
			op: func(self, _ *PipeConn) error {
				n, err := self.Write(make([]byte, 3*size))
				if n != size {
					return io.ErrShortWrite
				}
				return err
			},
			close:  func(self, _ *PipeConn) error { return self.Close() },
			verify: closedLocally,
		},
		{
			name:   "Write, closed by the peer",
			op:     func(self, _ *PipeConn) error { _, err := self.Write(make([]byte, 3*size)); return err },
			close:  func(_, peer *PipeConn) error { return peer.Close() },
			verify: func(t *testing.T, err error) { assert.Equal(t, io.ErrClosedPipe, err) },
		},
		{
			name:   "Write, writing half closed",
			op:     func(self, _ *PipeConn) error { _, err := self.Write(make([]byte, 3*size)); return err },
			close:  func(self, _ *PipeConn) error { return self.CloseWrite() },
			verify: func(t *testing.T, err error) { assert.Equal(t, io.ErrClosedPipe, err) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			self, peer := pipeNew(t, size)
			done := goErr(func() error { return tt.op(self, peer) })
			requireBlocked(t, done)
			require.NoError(t, tt.close(self, peer))
			tt.verify(t, waitErr(t, done))
		})
	}
}

func TestPipeDeadlines(t *testing.T) {
	isTimeout := func(t *testing.T, err error) {
		t.Helper()
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout())
	}
	past := time.Now().Add(-time.Second)

	t.Run("read deadline passed", func(t *testing.T) {
		a, b := pipeNew(t, 0)
		_, err := b.Write([]byte("data"))
		require.NoError(t, err)
		require.NoError(t, a.SetReadDeadline(past))
		_, err = a.Read(make([]byte, 4))
		isTimeout(t, err)
		isTimeout(t, a.WaitRead())
		// Writes are not affected, and clearing the deadline lets
		// the data through.
		_, err = a.Write([]byte("w"))
		require.NoError(t, err)
		require.NoError(t, a.SetReadDeadline(time.Time{}))
		buf := make([]byte, 4)
		_, err = io.ReadFull(a, buf)
		require.NoError(t, err)
		assert.Equal(t, "data", string(buf))
	})
	t.Run("write deadline passed", func(t *testing.T) {
		a, b := pipeNew(t, 0)
		require.NoError(t, a.SetWriteDeadline(past))
		_, err := a.Write([]byte("x"))
		isTimeout(t, err)
		_, err = a.WriteBuffers(&net.Buffers{[]byte("x")})
		isTimeout(t, err)
		require.NoError(t, a.SetDeadline(time.Time{}))
		_, err = a.Write([]byte("x"))
		require.NoError(t, err)
		require.NoError(t, b.WaitRead())
	})
	t.Run("deadline wakes a blocked read", func(t *testing.T) {
		a, _ := pipeNew(t, 0)
		done := goErr(func() error { _, err := a.Read(make([]byte, 1)); return err })
		requireBlocked(t, done)
		require.NoError(t, a.SetReadDeadline(time.Now()))
		isTimeout(t, waitErr(t, done))
	})
	t.Run("deadline wakes a blocked write", func(t *testing.T) {
		a, _ := pipeNew(t, 4)
		done := goErr(func() error { _, err := a.Write(make([]byte, 5)); return err })
		requireBlocked(t, done)
		require.NoError(t, a.SetDeadline(time.Now().Add(briefly)))
		isTimeout(t, waitErr(t, done))
	})
	t.Run("moving the deadline away keeps a read waiting", func(t *testing.T) {
		a, b := pipeNew(t, 0)
		require.NoError(t, a.SetReadDeadline(time.Now().Add(time.Hour)))
		done := goErr(func() error { return a.WaitRead() })
		requireBlocked(t, done)
		// A nearer deadline and then none: the waiter sees both
		// changes and stays until the data comes.
		require.NoError(t, a.SetReadDeadline(time.Now().Add(time.Minute)))
		require.NoError(t, a.SetReadDeadline(time.Time{}))
		requireBlocked(t, done)
		_, err := b.Write([]byte("x"))
		require.NoError(t, err)
		require.NoError(t, waitErr(t, done))
	})
	t.Run("a deadline in the future", func(t *testing.T) {
		a, _ := pipeNew(t, 0)
		require.NoError(t, a.SetReadDeadline(time.Now().Add(briefly)))
		isTimeout(t, a.WaitRead())
		// A new deadline after one has passed works again.
		require.NoError(t, a.SetReadDeadline(time.Now().Add(briefly)))
		_, err := a.Read(make([]byte, 1))
		isTimeout(t, err)
	})
}

func TestPipeWaitRead(t *testing.T) {
	a, b := pipeNew(t, 0)
	done := goErr(a.WaitRead)
	requireBlocked(t, done)
	_, err := b.Write([]byte("xy"))
	require.NoError(t, err)
	require.NoError(t, waitErr(t, done))
	require.NoError(t, a.WaitRead(), "data is still there")
	buf := make([]byte, 4)
	n, err := a.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "xy", string(buf[:n]))
}

func TestPipeWriteBuffers(t *testing.T) {
	a, b := pipeNew(t, 10)
	bufs := net.Buffers{[]byte("head"), nil, []byte("0123456789"), []byte("abcdefghij"), nil}
	done := goErr(func() error {
		n, err := WriteBuffers(a, &bufs)
		if err == nil && n != 24 {
			err = io.ErrShortWrite
		}
		return err
	})
	got := make([]byte, 24)
	_, err := io.ReadFull(b, got)
	require.NoError(t, err)
	require.NoError(t, waitErr(t, done))
	assert.Equal(t, "head0123456789abcdefghij", string(got))
	assert.Empty(t, bufs)

	// A write that times out leaves the rest in bufs.
	bufs = net.Buffers{[]byte("0123456"), []byte("789abc")}
	require.NoError(t, a.SetWriteDeadline(time.Now().Add(briefly)))
	n, err := a.WriteBuffers(&bufs)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Equal(t, int64(10), n)
	assert.Equal(t, []string{"abc"}, toStrings(bufs))
}

func TestPipeZeroLength(t *testing.T) {
	a, b := pipeNew(t, 0)
	n, err := a.Write(nil)
	assert.NoError(t, err)
	assert.Zero(t, n)
	n, err = b.Read(nil)
	assert.NoError(t, err, "an empty read does not wait")
	assert.Zero(t, n)
	require.NoError(t, b.Close())
	_, err = a.Write(nil)
	assert.Equal(t, io.ErrClosedPipe, err, "an empty write still sees the closed peer")
}

// TestPipeConcurrent runs several writers on each end at once, with readers
// that check that no write was split by another, and then closes both ends
// while some of them may still run.
func TestPipeConcurrent(t *testing.T) {
	const (
		writers  = 4
		messages = 100
		msgLen   = 700 // more than the bound, so writes block part way
	)
	a, b := pipeNew(t, 512)
	var wg sync.WaitGroup
	errs := make(chan error, 4*writers+2)
	for _, w := range []*PipeConn{a, b} {
		for id := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg := make([]byte, msgLen)
				for seq := range messages {
					binary.BigEndian.PutUint16(msg, uint16(id))
					binary.BigEndian.PutUint16(msg[2:], uint16(seq))
					for i := 4; i < msgLen; i++ {
						msg[i] = byte(id*messages + seq)
					}
					if _, err := w.Write(msg); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	for _, r := range []*PipeConn{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readMessages(r, writers, messages, msgLen)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// readMessages reads the messages of TestPipeConcurrent and checks them.
func readMessages(r *PipeConn, writers, messages, msgLen int) error {
	next := make([]int, writers)
	msg := make([]byte, msgLen)
	for range writers * messages {
		if err := r.WaitRead(); err != nil {
			return err
		}
		if _, err := io.ReadFull(r, msg); err != nil {
			return err
		}
		id := int(binary.BigEndian.Uint16(msg))
		seq := int(binary.BigEndian.Uint16(msg[2:]))
		if id >= writers || seq != next[id] {
			return errors.New("message out of order")
		}
		next[id]++
		for _, c := range msg[4:] {
			if c != byte(id*messages+seq) {
				return errors.New("message interleaved with another")
			}
		}
	}
	return nil
}

// TestPipeConcurrentClose closes both ends while reads and writes are under
// way on both.
func TestPipeConcurrentClose(t *testing.T) {
	for range 20 {
		a, b := PipeSize(64)
		var wg sync.WaitGroup
		for _, c := range []*PipeConn{a, b} {
			wg.Add(3)
			go func() {
				defer wg.Done()
				buf := make([]byte, 100)
				for range 1000 {
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				buf := make([]byte, 37)
				for range 10000 {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				c.SetDeadline(time.Now().Add(time.Hour))
				c.Close()
			}()
		}
		wg.Wait()
	}
}

func TestPipeAddr(t *testing.T) {
	a, b := pipeNew(t, 0)
	for _, addr := range []net.Addr{a.LocalAddr(), a.RemoteAddr(), b.LocalAddr(), b.RemoteAddr()} {
		assert.Equal(t, "pipe", addr.Network())
		assert.Equal(t, "pipe", addr.String())
	}
}

func TestPipeSizePanics(t *testing.T) {
	for _, size := range []int{0, -1} {
		assert.Panics(t, func() { PipeSize(size) }, "size %d", size)
	}
}

func TestPipeInterfaces(t *testing.T) {
	var c any = new(PipeConn)
	assert.Implements(t, (*net.Conn)(nil), c)
	assert.Implements(t, (*CloseWriter)(nil), c)
	assert.Implements(t, (*ReadWaiter)(nil), c)
	assert.Implements(t, (*buffersWriter)(nil), c)
}

// TestPipeAllocs checks that reads and writes in steady state do not
// allocate.
func TestPipeAllocs(t *testing.T) {
	a, b := pipeNew(t, 0)
	msg := make([]byte, 1024)
	buf := make([]byte, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := a.Write(msg); err != nil {
			panic(err)
		}
		if err := b.WaitRead(); err != nil {
			panic(err)
		}
		if _, err := io.ReadFull(b, buf[:len(msg)]); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
}
