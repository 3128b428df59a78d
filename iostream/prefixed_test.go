package iostream

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewPrefixedEmpty(t *testing.T) {
	a, _ := pipeNew(t, 0)
	assert.Same(t, a, NewPrefixed(nil, a))
	assert.Same(t, a, NewPrefixed([]byte{}, a))
}

func TestNewPrefixedReplays(t *testing.T) {
	for _, bufSize := range []int{1, 3, 100} {
		a, peer := pipeNew(t, 0)
		s := NewPrefixed([]byte("hello"), a)
		_, err := peer.Write([]byte(", world"))
		require.NoError(t, err)
		require.NoError(t, peer.CloseWrite())

		var got []byte
		buf := make([]byte, bufSize)
		for range 100 {
			n, err := s.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
		}
		assert.Equal(t, "hello, world", string(got), "reads of %d bytes", bufSize)
	}
}

func TestNewPrefixedPassesThrough(t *testing.T) {
	a, peer := pipeNew(t, 0)
	s := NewPrefixed([]byte("x"), a)

	_, err := s.Write([]byte("w"))
	require.NoError(t, err)
	bufs := net.Buffers{[]byte("b1"), []byte("b2")}
	_, err = WriteBuffers(s, &bufs)
	require.NoError(t, err)
	require.NoError(t, s.(CloseWriter).CloseWrite())
	got, err := io.ReadAll(peer)
	require.NoError(t, err)
	assert.Equal(t, "wb1b2", string(got))

	require.NoError(t, s.Close())
	_, err = peer.Write([]byte("y"))
	assert.Equal(t, io.ErrClosedPipe, err, "Close reached the stream")

	// A stream without CloseWrite: net.Pipe's.
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	s = NewPrefixed([]byte("x"), p1)
	assert.ErrorIs(t, s.(CloseWriter).CloseWrite(), errors.ErrUnsupported)
}

func TestNewPrefixedWaitRead(t *testing.T) {
	a, peer := pipeNew(t, 0)
	s := NewPrefixed([]byte("ab"), a)
	rw := s.(ReadWaiter)

	// While prefix bytes remain, WaitRead returns at once, though the
	// stream has nothing.
	require.NoError(t, a.SetReadDeadline(time.Now().Add(-time.Second)))
	require.NoError(t, rw.WaitRead())
	buf := make([]byte, 2)
	_, err := io.ReadFull(s, buf)
	require.NoError(t, err)

	// Then it waits through the stream, which here times out.
	assert.ErrorIs(t, rw.WaitRead(), os.ErrDeadlineExceeded)
	require.NoError(t, a.SetReadDeadline(time.Time{}))
	done := goErr(rw.WaitRead)
	requireBlocked(t, done)
	_, err = peer.Write([]byte("c"))
	require.NoError(t, err)
	require.NoError(t, waitErr(t, done))

	// A stream that cannot wait makes WaitRead return at once.
	s = NewPrefixed([]byte("x"), Join(strings.NewReader(""), io.Discard))
	_, err = s.Read(make([]byte, 1))
	require.NoError(t, err)
	assert.NoError(t, s.(ReadWaiter).WaitRead())
}

// TestFromHijackBuffered checks FromHijack with a bufio.ReadWriter that
// holds both unread input and unflushed output.
func TestFromHijackBuffered(t *testing.T) {
	a, peer := pipeNew(t, 0)
	brw := bufio.NewReadWriter(bufio.NewReader(a), bufio.NewWriter(a))
	_, err := peer.Write([]byte("HEAD\r\n\r\nframe"))
	require.NoError(t, err)
	line, err := brw.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HEAD\r\n", line)
	_, err = brw.WriteString("response")
	require.NoError(t, err)

	c, err := FromHijack(a, brw)
	require.NoError(t, err)

	// The output was flushed.
	buf := make([]byte, 8)
	_, err = io.ReadFull(peer, buf)
	require.NoError(t, err)
	assert.Equal(t, "response", string(buf))

	// The buffered input comes first, then what follows.
	require.NoError(t, c.(ReadWaiter).WaitRead())
	_, err = peer.Write([]byte("more"))
	require.NoError(t, err)
	require.NoError(t, peer.Close())
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, "\r\nframemore", string(got))

	// The wrapper keeps the capabilities and methods of the connection.
	assert.Implements(t, (*CloseWriter)(nil), c)
	assert.Implements(t, (*buffersWriter)(nil), c)
	assert.Equal(t, "pipe", c.LocalAddr().Network())
}

func TestFromHijackNothingBuffered(t *testing.T) {
	a, _ := pipeNew(t, 0)
	for _, brw := range []*bufio.ReadWriter{
		nil,
		{},
		bufio.NewReadWriter(bufio.NewReader(a), bufio.NewWriter(a)),
	} {
		c, err := FromHijack(a, brw)
		require.NoError(t, err)
		require.IsType(t, &Conn{}, c)
		assert.Same(t, a, c.(*Conn).Unwrap())
	}
}

func TestFromHijackFlushError(t *testing.T) {
	a, peer := pipeNew(t, 0)
	require.NoError(t, peer.Close())
	brw := bufio.NewReadWriter(bufio.NewReader(a), bufio.NewWriter(a))
	_, err := brw.WriteString("response")
	require.NoError(t, err)
	_, err = FromHijack(a, brw)
	assert.Equal(t, io.ErrClosedPipe, err)
}

// TestFromHijackHTTP runs a real net/http server whose handler hijacks the
// connection. The client sends bytes right behind its request head, in the
// same write, so the server has most likely read them already: they must
// come out of the returned connection first.
func TestFromHijackHTTP(t *testing.T) {
	type result struct {
		got          string
		replayed     bool
		waitReadErr  error
		replyErr     error
		hijackErr    error
		fromHijackOK bool
	}
	results := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var res result
		defer func() { results <- res }()
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			res.hijackErr = err
			return
		}
		defer c.Close()
		// An unflushed response head, which FromHijack must send.
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		conn, err := FromHijack(c, brw)
		if err != nil {
			res.hijackErr = err
			return
		}
		res.fromHijackOK = true
		res.waitReadErr = conn.(ReadWaiter).WaitRead()
		_, plain := conn.(*Conn)
		res.replayed = !plain
		conn.SetReadDeadline(time.Now().Add(eventually))
		buf := make([]byte, len("EXTRA|MORE"))
		_, err = io.ReadFull(conn, buf)
		res.got = string(buf)
		if err != nil {
			res.replyErr = err
			return
		}
		_, res.replyErr = conn.Write([]byte("echo:" + res.got))
	}))
	defer srv.Close()

	client, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer client.Close()
	require.NoError(t, client.SetDeadline(time.Now().Add(eventually)))
	_, err = client.Write([]byte("GET / HTTP/1.1\r\nHost: test\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nEXTRA|"))
	require.NoError(t, err)

	br := bufio.NewReader(client)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)

	_, err = client.Write([]byte("MORE"))
	require.NoError(t, err)
	echo := make([]byte, len("echo:EXTRA|MORE"))
	_, err = io.ReadFull(br, echo)
	require.NoError(t, err)
	assert.Equal(t, "echo:EXTRA|MORE", string(echo))

	var res result
	select {
	case res = <-results:
	case <-time.After(eventually):
		t.Fatal("handler did not finish")
	}
	require.NoError(t, res.hijackErr)
	require.True(t, res.fromHijackOK)
	assert.NoError(t, res.waitReadErr)
	assert.NoError(t, res.replyErr)
	// On the loopback interface the one small write arrives whole, so
	// the server has read the extra bytes with the head.
	assert.True(t, res.replayed, "FromHijack took buffered bytes")
	assert.Equal(t, "EXTRA|MORE", res.got)
}
