//go:build linux

package iostream

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnTryWriteBuffers writes to a TCP socket whose peer does not read:
// TryWriteBuffers takes what fits, then nothing, and never waits; every
// byte it reported arrives, in order.
func TestConnTryWriteBuffers(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client)

	// Room: all of it, in one call, consumed from bufs.
	bufs := net.Buffers{[]byte("head"), nil, []byte("-body")}
	n, err := c.TryWriteBuffers(&bufs)
	require.NoError(t, err)
	assert.Equal(t, int64(9), n)
	assert.Empty(t, bufs)
	got := make([]byte, 9)
	require.NoError(t, server.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = io.ReadFull(server, got)
	require.NoError(t, err)
	assert.Equal(t, "head-body", string(got))

	// No room: fill the socket until it takes nothing; each call returns
	// (a blocked call would hang the test: the peer does not read).
	var sent bytes.Buffer
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	full := false
	for i := 0; i < 4096 && !full; i++ {
		b := net.Buffers{chunk[:len(chunk)/2], chunk[len(chunk)/2:]}
		n, err := c.TryWriteBuffers(&b)
		require.NoError(t, err)
		sent.Write(chunk[:n])
		if n < int64(len(chunk)) {
			full = true
			// What was not written is left in b, in order.
			var rest []byte
			for _, p := range b {
				rest = append(rest, p...)
			}
			assert.Equal(t, chunk[n:], rest)
		}
	}
	require.True(t, full, "the socket never filled up")
	b := net.Buffers{[]byte("more")}
	n, err = c.TryWriteBuffers(&b)
	if n == 0 {
		require.NoError(t, err)
		assert.Len(t, b, 1)
	} else {
		sent.WriteString("more"[:n])
	}

	// The reader gets exactly what was reported written.
	got = make([]byte, sent.Len())
	_, err = io.ReadFull(server, got)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(sent.Bytes(), got), "the bytes arrive as written")

	// A closed connection fails.
	require.NoError(t, client.Close())
	b = net.Buffers{[]byte("x")}
	_, err = c.TryWriteBuffers(&b)
	assert.ErrorIs(t, err, net.ErrClosed)
}

// TestConnTryWriteBuffersPeerGone reports the socket's error as a
// *net.OpError when the peer has reset the connection.
func TestConnTryWriteBuffersPeerGone(t *testing.T) {
	client, server := tcpPair(t)
	c := NewConn(client)
	require.NoError(t, server.SetLinger(0))
	require.NoError(t, server.Close()) // RST
	require.NoError(t, client.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := c.Read(make([]byte, 1))
	require.Error(t, err, "the reset arrived")
	b := net.Buffers{[]byte("x")}
	_, err = c.TryWriteBuffers(&b)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.Equal(t, "write", op.Op)
}

func TestConnTryWriteBuffersAllocs(t *testing.T) {
	client, server := tcpPair(t)
	go io.Copy(io.Discard, server)
	c := NewConn(client)
	payload := []byte("0123456789")
	var backing [1][]byte
	var bufs net.Buffers
	allocs := testing.AllocsPerRun(100, func() {
		backing[0] = payload
		bufs = backing[:]
		c.TryWriteBuffers(&bufs)
	})
	assert.Zero(t, allocs)
}
