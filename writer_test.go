package wsconn

import (
	"bufio"
	"encoding/binary"
	"errors"
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
		for ; n < maxMessages; n++ {
			if err := c.SendBinary(numbered(n)); err != nil {
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

// numbered returns a message of 1000 to 1012 bytes that tells its number.
func numbered(n int) []byte {
	p := make([]byte, 1000+n%13)
	for i := 0; i+4 <= len(p); i += 4 {
		binary.BigEndian.PutUint32(p[i:], uint32(n))
	}
	return p
}
