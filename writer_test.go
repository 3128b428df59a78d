package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
)

// TestSendNeverWaitsForTheStream sends over TCP to a peer that does not
// read: the sending goroutine writes what the socket takes at once and the
// writer goroutine the rest, so every send returns (a send that waited for
// the socket would hang here) until the queue bound says ErrQueueFull.
// Once the peer reads, every message arrives whole and in order, across
// the writes that the full socket cut short.
func TestSendNeverWaitsForTheStream(t *testing.T) {
	a, b := tcpConns(t)
	c := NewWebsocketConnection(iostream.NewConn(a), testURI, ConnectionServer, "", "", nil, &Options{MaxQueuedBytes: 1 << 20})
	t.Cleanup(func() {
		c.Abort()
		b.Close()
	})
	_, ok := c.stream.(iostream.TryWriter)
	require.True(t, ok, "the stream can be written without waiting")

	const maxMessages = 50000 // 50 MB: far past the queue and socket buffers
	sent := make(chan int, 1)
	go func() {
		n := 0
		buf := make([]byte, 0, 1100)
		for ; n < maxMessages; n++ {
			// One buffer for every send, scribbled over after each: a
			// send keeps none of the caller's memory once it returns,
			// even when the socket took only part of it.
			buf = append(buf[:0], numbered(n)...)
			err := c.SendBinary(buf)
			for i := range buf {
				buf[i] = 0xEE
			}
			if err != nil {
				if !errors.Is(err, ErrQueueFull) {
					t.Errorf("send %d: %v", n, err)
				}
				break
			}
		}
		sent <- n
	}()
	var n int
	select {
	case n = <-sent:
	case <-time.After(waitTimeout):
		t.Fatal("a send waited for the stream")
	}
	require.Less(t, n, maxMessages, "the queue never filled up")

	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	require.NoError(t, b.SetReadDeadline(time.Now().Add(waitTimeout)))
	for i := 0; i < n; i++ {
		h, payload := p.read()
		require.Equal(t, frame.OpBinary, h.Opcode, "message %d", i)
		require.True(t, h.Fin)
		require.Equal(t, numbered(i), payload, "message %d", i)
	}
	require.NoError(t, c.Flush(testCtx(t)))
	assert.Zero(t, c.BufferedAmount())
}

// TestSendOfALargeMessageKeepsNoCallerMemory: a server writes a message
// from the caller's memory while the socket takes it; a message larger
// than a few write rounds goes on from a copy, so the caller may reuse its
// buffer as soon as the send returns.
func TestSendOfALargeMessageKeepsNoCallerMemory(t *testing.T) {
	a, b := tcpConns(t)
	c := NewWebsocketConnection(iostream.NewConn(a), testURI, ConnectionServer, "", "", nil, nil)
	t.Cleanup(func() {
		c.Abort()
		b.Close()
	})
	const size = 4 << 20 // 16 rounds of 256 KiB
	want := payloadOf(size)
	buf := append([]byte(nil), want...)
	require.NoError(t, c.SendBinary(buf))
	for i := range buf {
		buf[i] = 0xEE
	}
	text := string(want[:1<<20])
	require.NoError(t, c.SendText(text))

	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	got := make([]byte, 0, size)
	for {
		h, payload := p.read()
		got = append(got, payload...)
		if h.Fin {
			break
		}
	}
	require.Equal(t, len(want), len(got))
	require.True(t, bytes.Equal(want, got), "the message arrives as it was when sent")
	got = got[:0]
	for {
		h, payload := p.read()
		got = append(got, payload...)
		if h.Fin {
			break
		}
	}
	require.Equal(t, text, string(got))
}

// numbered returns a message of 1000 to 1012 bytes that tells its number.
func numbered(n int) []byte {
	p := make([]byte, 1000+n%13)
	for i := 0; i+4 <= len(p); i += 4 {
		binary.BigEndian.PutUint32(p[i:], uint32(n))
	}
	return p
}

// writeCounter is a TCP connection that counts the writes made to it.
type writeCounter struct {
	*iostream.Conn
	writes atomic.Int32
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return w.Conn.Write(p)
}

func (w *writeCounter) WriteBuffers(bufs *net.Buffers) (int64, error) {
	w.writes.Add(1)
	return w.Conn.WriteBuffers(bufs)
}

func (w *writeCounter) TryWriteBuffers(bufs *net.Buffers) (int64, error) {
	w.writes.Add(1)
	return w.Conn.TryWriteBuffers(bufs)
}

// echoServerOver returns a server connection over s whose handler sends
// every message back, and the raw client peer at the other end.
func echoServerOver(t *testing.T, s io.ReadWriteCloser, peerEnd net.Conn, handler func(c *WebsocketConnection, typ DataType, d []byte)) (*WebsocketConnection, *rawPeer) {
	c := NewWebsocketConnection(s, testURI, ConnectionServer, "", "", nil, nil)
	c.OnMessage(func(typ DataType, d []byte) { handler(c, typ, d) })
	t.Cleanup(func() {
		c.Abort()
		peerEnd.Close()
		<-c.Done()
	})
	return c, &rawPeer{t: t, conn: peerEnd, br: bufio.NewReader(peerEnd), mask: true}
}

// clientFrames returns masked text frames, one for each message.
func clientFrames(msgs ...string) []byte {
	var b []byte
	for _, m := range msgs {
		b = frame.AppendFrame(b, frame.Header{Fin: true, Opcode: frame.OpText, Masked: true, Key: [4]byte{9, 8, 7, 6}}, []byte(m))
	}
	return b
}

// TestBatchedFramesAreAnsweredInOneWrite: frames that arrive together are
// handled as a batch, and what their handlers send goes out in one write,
// in order.
func TestBatchedFramesAreAnsweredInOneWrite(t *testing.T) {
	a, b := tcpConns(t)
	s := &writeCounter{Conn: iostream.NewConn(a)}
	_, p := echoServerOver(t, s, b, func(c *WebsocketConnection, typ DataType, d []byte) { c.SendMessage(typ, d) })
	msgs := []string{"one", "two", "three", "four", "five", "six", "seven", "eight"}
	p.write(clientFrames(msgs...))
	for _, m := range msgs {
		_, got := p.read()
		assert.Equal(t, m, string(got))
	}
	assert.Equal(t, int32(1), s.writes.Load(), "one write for the batch")
}

// TestBatchDoesNotWaitForTheRestOfAFrame: a peer that sends a frame and the
// start of the next one, then waits for the answer to the first, gets it:
// the batch ends before the reader waits for more.
func TestBatchDoesNotWaitForTheRestOfAFrame(t *testing.T) {
	a, b := iostream.Pipe()
	_, p := echoServerOver(t, a, b, func(c *WebsocketConnection, typ DataType, d []byte) { c.SendMessage(typ, d) })
	data := clientFrames("first", "second")
	cut := len(clientFrames("first")) + 3
	p.write(data[:cut])
	_, got := p.read()
	assert.Equal(t, "first", string(got))
	p.write(data[cut:])
	_, got = p.read()
	assert.Equal(t, "second", string(got))
}

// TestBatchReleasesSendsOfLongHandlers: a handler that sends and then runs
// long, with more frames waiting behind it, does not hold its message: it
// goes out while the handler still runs.
func TestBatchReleasesSendsOfLongHandlers(t *testing.T) {
	a, b := iostream.Pipe()
	release := make(chan struct{})
	_, p := echoServerOver(t, a, b, func(c *WebsocketConnection, typ DataType, d []byte) {
		c.SendMessage(typ, d)
		if string(d) == "slow" {
			<-release
		}
	})
	defer close(release)
	p.write(clientFrames("slow", "after"))
	_, got := p.read() // within waitTimeout
	assert.Equal(t, "slow", string(got))
}

// TestFlushInsideABatch: a handler that waits for its message with Flush,
// in the middle of a batch, gets it written.
func TestFlushInsideABatch(t *testing.T) {
	a, b := iostream.Pipe()
	flushed := make(chan error, 3)
	_, p := echoServerOver(t, a, b, func(c *WebsocketConnection, typ DataType, d []byte) {
		c.SendMessage(typ, d)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		flushed <- c.Flush(ctx)
	})
	p.write(clientFrames("a", "b", "c"))
	for _, m := range []string{"a", "b", "c"} {
		require.NoError(t, <-flushed)
		_, got := p.read()
		assert.Equal(t, m, string(got))
	}
}
