package wsconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/mainloop"
)

// payloadOf returns n bytes of a repeating pattern.
func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func TestEchoBothWays(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 65535, 65536, 1 << 20}
	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			mk := pair
			if transport == "tcp" {
				mk = tcpPair
			}
			client, server, cr, sr := mk(t, &Options{MaxIncomingPayloadSize: -1, MaxTotalMessageSize: -1})
			for _, n := range sizes {
				p := payloadOf(n)
				require.NoError(t, client.SendBinary(p))
				require.NoError(t, client.SendText(string(p)))
				require.NoError(t, server.SendText(string(p)))
				require.NoError(t, server.SendBinary(p))
			}
			for _, n := range sizes {
				want := payloadOf(n)
				for _, rec := range []*recorder{sr, cr} {
					first, second := rec.message(t), rec.message(t)
					if rec == sr {
						assert.Equal(t, DataBinary, first.typ)
						assert.Equal(t, DataText, second.typ)
					} else {
						assert.Equal(t, DataText, first.typ)
						assert.Equal(t, DataBinary, second.typ)
					}
					assert.True(t, bytes.Equal(want, first.data), "size %d", n)
					assert.True(t, bytes.Equal(want, second.data), "size %d", n)
				}
			}
		})
	}
}

func TestSendBinaryCopiesPayload(t *testing.T) {
	client, _, _, sr := pair(t, nil)
	p := []byte("original")
	require.NoError(t, client.SendBinary(p))
	copy(p, "CHANGED!")
	assert.Equal(t, "original", string(sr.message(t).data))
}

func TestSendRejectsBadInput(t *testing.T) {
	client, _, _, _ := pair(t, nil)
	assert.ErrorIs(t, client.SendText("bad \xff"), ErrInvalidUTF8)
	assert.ErrorIs(t, client.SendMessage(DataText, []byte{0xc0, 0x80}), ErrInvalidUTF8)
	assert.Error(t, client.SendMessage(DataType(9), nil))
}

func TestProperties(t *testing.T) {
	a, b := pipePair()
	u := testURI
	c := NewWebsocketConnection(a, u, ConnectionClient, "https://origin.test", "chat", nil,
		&Options{KeepaliveInterval: time.Hour, KeepalivePongTimeout: time.Minute})
	defer b.Close()
	rec := record(c)
	assert.Equal(t, u, c.URI())
	assert.Equal(t, "https://origin.test", c.Origin())
	assert.Equal(t, "chat", c.Protocol())
	assert.Empty(t, c.Extensions())
	assert.Equal(t, ConnectionClient, c.ConnectionType())
	assert.Equal(t, a, c.Stream())
	assert.Equal(t, StateOpen, c.State())
	assert.Equal(t, CloseCode(0), c.CloseCode())
	assert.Equal(t, int64(defaultMaxIncomingPayloadSize), c.MaxIncomingPayloadSize())
	assert.Equal(t, int64(defaultMaxTotalMessageSize), c.MaxTotalMessageSize())
	assert.Equal(t, time.Hour, c.KeepaliveInterval())
	assert.Equal(t, time.Minute, c.KeepalivePongTimeout())

	c.SetMaxIncomingPayloadSize(10)
	c.SetMaxIncomingPayloadSize(10) // unchanged: no notify
	c.SetMaxTotalMessageSize(20)
	c.SetKeepaliveInterval(0)
	c.SetKeepalivePongTimeout(time.Second)
	assert.Equal(t, int64(10), c.MaxIncomingPayloadSize())
	assert.Equal(t, int64(20), c.MaxTotalMessageSize())
	assert.Equal(t, time.Duration(0), c.KeepaliveInterval())
	assert.Equal(t, time.Second, c.KeepalivePongTimeout())
	c.Abort()
	rec.waitClosed(t)
	assert.Equal(t, []string{
		"notify:max-incoming-payload-size",
		"notify:max-total-message-size",
		"notify:keepalive-interval",
		"notify:keepalive-pong-timeout",
		"notify:state",
		"closed",
	}, rec.list())
	assert.Equal(t, StateClosed, c.State())
	assert.Equal(t, CloseAbnormal, c.CloseCode())
}

func TestNewWebsocketConnectionPanicsOnMisuse(t *testing.T) {
	a, b := pipePair()
	defer a.Close()
	defer b.Close()
	assert.Panics(t, func() { NewWebsocketConnection(a, testURI, ConnectionType(0), "", "", nil, nil) })
	assert.Panics(t, func() { NewWebsocketConnection(nil, testURI, ConnectionClient, "", "", nil, nil) })
}

func TestCloseHandshake(t *testing.T) {
	for _, initiator := range []ConnectionType{ConnectionClient, ConnectionServer} {
		for _, transport := range []string{"pipe", "tcp"} {
			t.Run(initiator.String()+"/"+transport, func(t *testing.T) {
				mk := pair
				if transport == "tcp" {
					mk = tcpPair
				}
				client, server, cr, sr := mk(t, nil)
				first, firstRec, other, otherRec := client, cr, server, sr
				if initiator == ConnectionServer {
					first, firstRec, other, otherRec = server, sr, client, cr
				}
				require.NoError(t, first.Close(4000, "done here"))
				assert.Equal(t, StateClosing, first.State())
				firstRec.waitClosed(t)
				otherRec.waitClosed(t)

				want := []string{"notify:state", "closing", "notify:state", "closed"}
				assert.Equal(t, want, firstRec.list())
				assert.Equal(t, want, otherRec.list())

				fs, os := first.CloseStatus(), other.CloseStatus()
				// The answer echoes the code and the reason, as libsoup's
				// does.
				assert.Equal(t, CloseStatus{Code: 4000, Reason: "done here", SentCode: 4000, SentReason: "done here", Clean: true}, fs)
				assert.Equal(t, CloseStatus{Code: 4000, Reason: "done here", SentCode: 4000, SentReason: "done here", Clean: true, Remote: true}, os)
				assert.Equal(t, CloseCode(4000), other.CloseCode())
				assert.Equal(t, "done here", other.CloseData())
				assert.Equal(t, "done here", first.CloseData(), "the echoed reason")
				assert.ErrorIs(t, first.SendText("late"), ErrNotOpen)
				assert.NoError(t, first.Close(CloseNormal, "again"), "Close on a closed connection does nothing")
			})
		}
	}
}

func TestCloseWithoutStatus(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, nil)
	require.NoError(t, c.Close(CloseNoStatus, ""))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseNoStatus, code)
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, nil)
	p.conn.Close()
	rec.waitClosed(t)
	st := c.CloseStatus()
	assert.Equal(t, CloseNoStatus, st.Code)
	assert.True(t, st.Clean)
}

func TestCloseArguments(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionClient, nil)
	for _, code := range []CloseCode{0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000} {
		if code == CloseNoStatus {
			assert.Error(t, c.Close(code, "reason without code"))
			continue
		}
		assert.EqualError(t, c.Close(code, ""), fmt.Sprintf("wsconn: Close: close code %d may not be sent", code))
	}
	assert.ErrorIs(t, c.Close(CloseNormal, "\xff"), ErrInvalidUTF8)
	assert.Equal(t, StateOpen, c.State())

	// A long reason is cut at a character boundary to fit 123 bytes.
	long := strings.Repeat("é", 100) // 200 bytes
	require.NoError(t, c.Close(CloseGoingAway, long))
	code, reason, _ := p.readClose()
	assert.Equal(t, CloseGoingAway, code)
	assert.Equal(t, 122, len(reason))
	assert.True(t, utf8.ValidString(reason))
	assert.Equal(t, reason, c.CloseStatus().SentReason)
}

func TestCloseCodesAccepted(t *testing.T) {
	for _, code := range []CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		t.Run(fmt.Sprint(int(code)), func(t *testing.T) {
			c, p, rec := newRaw(t, ConnectionServer, nil)
			p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(code, "bye"))
			got, reason, _ := p.readClose()
			assert.Equal(t, code, got, "the close code is echoed")
			assert.Equal(t, "bye", reason, "and the reason")
			p.expectEOF()
			rec.waitClosed(t)
			assert.Equal(t, code, c.CloseCode())
			assert.Equal(t, "bye", c.CloseData())
			assert.True(t, c.CloseStatus().Clean)
		})
	}
}

func TestCloseTimeoutWhenPeerNeverAnswers(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, &Options{CloseTimeout: 50 * time.Millisecond})
	require.NoError(t, c.Close(CloseNormal, ""))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseNormal, code)
	rec.waitClosed(t)
	assert.ErrorIs(t, rec.err(t), ErrCloseTimeout)
	st := c.CloseStatus()
	assert.Equal(t, CloseAbnormal, st.Code)
	assert.False(t, st.Clean)
}

func TestClientWaitsForServerToCloseStream(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, &Options{CloseTimeout: time.Minute})
	require.NoError(t, c.Close(CloseNormal, ""))
	p.readClose()
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
	// The handshake is done, but the client leaves closing the stream to
	// the server.
	assert.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closing.has(closeReceived)
	}, waitTimeout, time.Millisecond)
	assert.Equal(t, StateClosing, c.State())
	p.conn.Close()
	rec.waitClosed(t)
	assert.True(t, c.CloseStatus().Clean)
}

func TestClientClosesStreamAfterCloseTimeout(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, &Options{CloseTimeout: 50 * time.Millisecond})
	require.NoError(t, c.Close(CloseNormal, ""))
	p.readClose()
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
	p.expectEOF() // the server never closes: the client does after the timeout
	rec.waitClosed(t)
	st := c.CloseStatus()
	assert.True(t, st.Clean, "both close frames passed")
	select {
	case err := <-rec.errs:
		t.Fatalf("unexpected error %v", err)
	default:
	}
}

func TestServerClosesStreamAfterHandshake(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionServer, nil)
	require.NoError(t, c.Close(CloseNormal, "bye"))
	p.readClose()
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
	p.expectEOF()
	rec.waitClosed(t)
	assert.True(t, c.CloseStatus().Clean)
}

func TestQueuedMessagesGoOutBeforeClose(t *testing.T) {
	for _, typ := range []ConnectionType{ConnectionClient, ConnectionServer} {
		t.Run(typ.String(), func(t *testing.T) {
			c, p, _ := newRaw(t, typ, nil)
			const n = 500
			for i := 0; i < n; i++ {
				require.NoError(t, c.SendText(strings.Repeat("x", i)))
			}
			require.NoError(t, c.Close(CloseNormal, ""))
			code, _, frames := p.readClose()
			assert.Equal(t, CloseNormal, code)
			assert.Equal(t, n, frames)
		})
	}
}

func TestAbortDropsQueueAndReportsIt(t *testing.T) {
	a, b := pipeSized(1024)
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", nil, nil)
	rec := record(c)
	// Nobody reads b: the writer blocks and messages stay queued.
	for i := 0; i < 10; i++ {
		require.NoError(t, c.SendBinary(make([]byte, 10000)))
	}
	assert.Greater(t, c.BufferedAmount(), int64(0))
	flushed := make(chan error, 1)
	go func() { flushed <- c.Flush(context.Background()) }()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.wr.waiters) == 1
	}, waitTimeout, time.Millisecond)
	c.Abort()
	rec.waitClosed(t)
	b.Close()
	assert.ErrorIs(t, rec.err(t), ErrNotSent)
	assert.ErrorIs(t, <-flushed, ErrNotSent)
	assert.Equal(t, int64(0), c.BufferedAmount())
}

func TestFlushWaitsUntilWritten(t *testing.T) {
	client, _, _, sr := pair(t, nil)
	for i := 0; i < 100; i++ {
		require.NoError(t, client.SendBinary(make([]byte, 1000)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, client.Flush(ctx))
	assert.Equal(t, int64(0), client.BufferedAmount())
	for i := 0; i < 100; i++ {
		sr.message(t)
	}
}

func TestQueueFull(t *testing.T) {
	a, b := pipeSized(1024)
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", nil, &Options{MaxQueuedBytes: 50000})
	rec := record(c)
	defer func() {
		c.Abort()
		b.Close()
		rec.waitClosed(t)
	}()
	// A message larger than the bound passes when the queue is empty.
	require.NoError(t, c.SendBinary(make([]byte, 60000)))
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		err = c.SendBinary(make([]byte, 10000))
	}
	assert.ErrorIs(t, err, ErrQueueFull)
}

func TestConcurrentSendersKeepOrder(t *testing.T) {
	client, _, _, sr := tcpPair(t, nil)
	const senders, each = 8, 300
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				assert.NoError(t, client.SendText(fmt.Sprintf("%d %d", s, i)))
			}
		}(s)
	}
	wg.Wait()
	next := make([]int, senders)
	for i := 0; i < senders*each; i++ {
		var s, n int
		_, err := fmt.Sscanf(string(sr.message(t).data), "%d %d", &s, &n)
		require.NoError(t, err)
		require.Equal(t, next[s], n, "sender %d out of order", s)
		next[s]++
	}
}

func TestSendFromHandler(t *testing.T) {
	client, server, cr, _ := pair(t, nil)
	server.OnMessage(func(typ DataType, data []byte) {
		assert.NoError(t, server.SendMessage(typ, data))
		if string(data) == "last" {
			assert.NoError(t, server.Close(CloseNormal, "from handler"))
		}
	})
	for _, m := range []string{"a", "b", "last"} {
		require.NoError(t, client.SendText(m))
	}
	for _, m := range []string{"a", "b", "last"} {
		assert.Equal(t, m, string(cr.message(t).data))
	}
	cr.waitClosed(t)
	assert.Equal(t, "from handler", client.CloseData())
}

func TestFragmentedIncomingMessageWithInterleavedPing(t *testing.T) {
	for _, typ := range []ConnectionType{ConnectionClient, ConnectionServer} {
		t.Run(typ.String(), func(t *testing.T) {
			_, p, rec := newRaw(t, typ, nil)
			p.send(frame.Header{Opcode: frame.OpText}, []byte("Hel"))
			p.send(frame.Header{Opcode: frame.OpContinuation}, []byte("lo, "))
			p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("are you there"))
			h, payload := p.read()
			assert.Equal(t, frame.OpPong, h.Opcode)
			assert.Equal(t, "are you there", string(payload))
			assert.Equal(t, typ == ConnectionClient, h.Masked)
			p.send(frame.Header{Opcode: frame.OpContinuation}, []byte("wörld"))
			p.send(frame.Header{Fin: true, Opcode: frame.OpContinuation}, nil)
			m := rec.message(t)
			assert.Equal(t, DataText, m.typ)
			assert.Equal(t, "Hello, wörld", string(m.data))
		})
	}
}

func TestLargeMessagesAreFragmentedAndPongsPassBetween(t *testing.T) {
	// A small pipe keeps the writer busy while the ping comes in.
	c, p, _ := newRawOver(t, ConnectionServer, 2000, &Options{FragmentSize: 1000})
	// Make sure the connection is reading before the message goes out.
	p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, nil)
	h, _ := p.read()
	require.Equal(t, frame.OpPong, h.Opcode)
	require.NoError(t, c.SendBinary(payloadOf(50000)))
	var got []byte
	frames, pongAt := 0, -1
	for i := 0; i < 1000; i++ {
		h, payload := p.read()
		if frames == 0 {
			// The message is being written: ask for a pong now.
			p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("x"))
		}
		if h.Opcode == frame.OpPong {
			pongAt = frames
			continue
		}
		assert.LessOrEqual(t, len(payload), 1000)
		if frames == 0 {
			assert.Equal(t, frame.OpBinary, h.Opcode)
		} else {
			assert.Equal(t, frame.OpContinuation, h.Opcode)
		}
		frames++
		got = append(got, payload...)
		if h.Fin {
			break
		}
	}
	assert.Equal(t, 50, frames)
	assert.Equal(t, payloadOf(50000), got)
	assert.Greater(t, pongAt, 0, "the pong went out between fragments")
	assert.Less(t, pongAt, 50)
}

func TestPingAnsweredWithSamePayloadAndPongSignal(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionServer, nil)
	p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("123"))
	h, payload := p.read()
	assert.Equal(t, frame.OpPong, h.Opcode)
	assert.Equal(t, []byte("123"), payload)
	p.send(frame.Header{Fin: true, Opcode: frame.OpPong}, []byte("unsolicited"))
	select {
	case got := <-rec.pongs:
		assert.Equal(t, "unsolicited", string(got))
	case <-time.After(waitTimeout):
		t.Fatal("no pong signal")
	}
	assert.Equal(t, StateOpen, c.State())
}

func TestStreamEndsMidFrame(t *testing.T) {
	for _, typ := range []ConnectionType{ConnectionClient, ConnectionServer} {
		t.Run(typ.String(), func(t *testing.T) {
			c, p, rec := newRaw(t, typ, nil)
			b := frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: p.mask}, make([]byte, 100))
			p.write(b[:50])
			p.conn.Close()
			rec.waitClosed(t)
			assert.ErrorIs(t, rec.err(t), ErrAbnormalClosure)
			assert.Equal(t, CloseAbnormal, c.CloseCode())
			assert.False(t, c.CloseStatus().Clean)
			assert.Equal(t, []string{"error", "notify:state", "closed"}, rec.list())
		})
	}
}

func TestStreamEndsBetweenFramesIsAbnormal(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, nil)
	p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("hi"))
	rec.message(t)
	p.conn.Close()
	rec.waitClosed(t)
	assert.ErrorIs(t, rec.err(t), ErrAbnormalClosure)
	assert.Equal(t, CloseAbnormal, c.CloseCode())
}

func TestWriteErrorEndsConnection(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, nil)
	p.conn.Close()
	// Either the write fails or the reader sees the end first: both end
	// the connection as abnormal, with closed once.
	_ = c.SendText("into the void")
	rec.waitClosed(t)
	assert.Equal(t, CloseAbnormal, c.CloseCode())
	err := rec.err(t)
	assert.True(t, errors.Is(err, ErrAbnormalClosure), "got %v", err)
}

func TestClientIgnoresFramesAfterServerClose(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionClient, nil)
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
	p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("too late"))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseNormal, code)
	p.conn.Close()
	rec.waitClosed(t)
	assert.Empty(t, drainMessages(rec))
	assert.True(t, c.CloseStatus().Clean)
}

// TestClosingHandlerLastWords: when the peer's close frame arrives, the
// closing handler may still send, and what it sends goes out before the
// close frame that answers. The side that called Close itself refuses new
// data in its closing handler.
func TestClosingHandlerLastWords(t *testing.T) {
	t.Run("answering side", func(t *testing.T) {
		c, p, rec := newRaw(t, ConnectionServer, nil)
		sent := make(chan error, 1)
		c.OnClosing(func() { sent <- c.SendText("last words") })
		p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, "bye"))
		h, payload := p.read()
		assert.Equal(t, frame.OpText, h.Opcode, "the closing handler's message comes before the close frame")
		assert.Equal(t, "last words", string(payload))
		code, reason, frames := p.readClose()
		assert.Equal(t, CloseNormal, code)
		assert.Equal(t, "bye", reason)
		assert.Zero(t, frames)
		select {
		case err := <-sent:
			assert.NoError(t, err)
		case <-time.After(waitTimeout):
			t.Fatal("closing handler did not run")
		}
		p.expectEOF()
		rec.waitClosed(t)
		assert.True(t, c.CloseStatus().Clean)
	})
	t.Run("closing side", func(t *testing.T) {
		c, p, rec := newRaw(t, ConnectionClient, nil)
		sent := make(chan error, 1)
		c.OnClosing(func() { sent <- c.SendText("too late") })
		require.NoError(t, c.Close(CloseNormal, ""))
		select {
		case err := <-sent:
			assert.ErrorIs(t, err, ErrNotOpen)
		case <-time.After(waitTimeout):
			t.Fatal("closing handler did not run")
		}
		code, _, frames := p.readClose()
		assert.Equal(t, CloseNormal, code)
		assert.Zero(t, frames, "nothing was sent after Close")
		p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
		p.conn.Close()
		rec.waitClosed(t)
	})
}

// TestClosingHandlerLastWordsOverTCP: the client's closing handler answers
// the server's Close with a message, which the server receives before
// closed.
func TestClosingHandlerLastWordsOverTCP(t *testing.T) {
	client, server, _, sr := tcpPair(t, nil)
	sent := make(chan error, 1)
	client.OnClosing(func() { sent <- client.SendText("bye from client") })
	require.NoError(t, server.Close(CloseNormal, "server done"))
	select {
	case err := <-sent:
		assert.NoError(t, err)
	case <-time.After(waitTimeout):
		t.Fatal("client closing handler did not run")
	}
	sr.waitClosed(t)
	m := sr.message(t)
	assert.Equal(t, DataText, m.typ)
	assert.Equal(t, "bye from client", string(m.data))
	events := sr.list()
	msg, closed := slices.Index(events, "message"), slices.Index(events, "closed")
	assert.True(t, msg >= 0 && msg < closed, "message before closed: %v", events)
	assert.True(t, server.CloseStatus().Clean)
}

// TestCloseEchoesReasonToTheClosingSide: the answer to a close frame echoes
// its code and reason, so the side that called Close sees its own reason.
func TestCloseEchoesReasonToTheClosingSide(t *testing.T) {
	for _, transport := range []string{"pipe", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			mk := pair
			if transport == "tcp" {
				mk = tcpPair
			}
			client, server, cr, sr := mk(t, nil)
			require.NoError(t, client.Close(CloseGoingAway, "GOING_AWAY"))
			cr.waitClosed(t)
			sr.waitClosed(t)
			assert.Equal(t, CloseGoingAway, client.CloseCode())
			assert.Equal(t, "GOING_AWAY", client.CloseData())
			assert.Equal(t, "GOING_AWAY", server.CloseData())
			assert.Equal(t, "GOING_AWAY", server.CloseStatus().SentReason)
			assert.True(t, client.CloseStatus().Clean)
		})
	}
}

// plainStream is an io.ReadWriteCloser without network addresses.
type plainStream struct {
	r *io.PipeReader
	w *io.PipeWriter
}

func (s plainStream) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s plainStream) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s plainStream) Close() error {
	s.r.Close()
	return s.w.Close()
}

func TestLocalAndRemoteAddr(t *testing.T) {
	a, b := tcpConns(t)
	client, server, _, _ := pairOver(t, a, b, nil)
	assert.Equal(t, a.LocalAddr(), client.LocalAddr())
	assert.Equal(t, a.RemoteAddr(), client.RemoteAddr())
	assert.Equal(t, b.LocalAddr(), server.LocalAddr())
	assert.Equal(t, b.RemoteAddr(), server.RemoteAddr())
	require.NotNil(t, client.LocalAddr())
	assert.Equal(t, client.LocalAddr().String(), server.RemoteAddr().String())

	// A stream without addresses.
	r1, w1 := io.Pipe()
	r2, w2 := io.Pipe()
	defer r2.Close()
	defer w1.Close()
	c := NewWebsocketConnection(plainStream{r1, w2}, testURI, ConnectionClient, "", "", nil, nil)
	rec := record(c)
	assert.Nil(t, c.LocalAddr())
	assert.Nil(t, c.RemoteAddr())
	c.Abort()
	rec.waitClosed(t)
}

func TestDone(t *testing.T) {
	t.Run("closing handshake", func(t *testing.T) {
		c, p, rec := newRaw(t, ConnectionServer, nil)
		select {
		case <-c.Done():
			t.Fatal("Done is closed while open")
		default:
		}
		require.NoError(t, c.Close(CloseNormal, "bye"))
		code, _, _ := p.readClose()
		require.Equal(t, CloseNormal, code)
		assert.Equal(t, StateClosing, c.State())
		select {
		case <-c.Done():
			t.Fatal("Done is closed while closing")
		default:
		}
		p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, "ok"))
		select {
		case <-c.Done():
		case <-time.After(waitTimeout):
			t.Fatal("Done not closed")
		}
		assert.Equal(t, StateClosed, c.State())
		want := CloseStatus{Code: CloseNormal, Reason: "ok", SentCode: CloseNormal, SentReason: "bye", Clean: true}
		assert.Equal(t, want, c.CloseStatus(), "final when Done is closed")
		rec.waitClosed(t)
		assert.Equal(t, want, c.CloseStatus())
	})
	t.Run("abort", func(t *testing.T) {
		c, _, _ := newRaw(t, ConnectionClient, nil)
		c.Abort()
		select {
		case <-c.Done():
		case <-time.After(waitTimeout):
			t.Fatal("Done not closed")
		}
		assert.Equal(t, StateClosed, c.State())
		assert.Equal(t, CloseAbnormal, c.CloseStatus().Code)
	})
}

// TestFlushNotStarvedBySteadySender: Flush waits for the messages queued
// before the call, however many are queued after it. The sender keeps
// `ahead` messages more than the peer has read, and the pipe holds fewer
// than that, so the queue is never empty while it runs.
func TestFlushNotStarvedBySteadySender(t *testing.T) {
	c, p, _ := newRawOver(t, ConnectionServer, 256, nil)
	const ahead = 16
	msg := strings.Repeat("m", 60)
	sent := make(chan struct{}, 8*ahead) // a token per message sent
	room := make(chan struct{}, 8*ahead) // the sender's credit
	for i := 0; i < 2*ahead; i++ {
		room <- struct{}{}
	}
	var total atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		p.conn.Close()
		wg.Wait()
	}()
	wg.Add(2)
	go func() { // the steady sender
		defer wg.Done()
		deadline := time.After(waitTimeout)
		for i := 0; i < 1<<20; i++ {
			select {
			case <-room:
			case <-stop:
				return
			case <-deadline:
				return
			}
			if c.SendText(msg) != nil {
				return
			}
			total.Add(1)
			sent <- struct{}{}
		}
	}()
	go func() { // the peer reads message k once message k+ahead is sent
		defer wg.Done()
		for i := 0; i < ahead; i++ {
			select {
			case <-sent:
			case <-stop:
				return
			}
		}
		for {
			select {
			case <-sent:
			case <-stop:
				return
			}
			p.conn.SetReadDeadline(time.Now().Add(waitTimeout))
			if _, _, err := frame.ReadFrame(p.br, 0); err != nil {
				return
			}
			room <- struct{}{}
		}
	}()
	require.Eventually(t, func() bool { return total.Load() >= 2*ahead }, waitTimeout, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, c.Flush(ctx), "Flush starved by a steady sender")
	assert.Greater(t, c.BufferedAmount(), int64(0), "Flush returned while later messages were queued")
}

// TestFlushReportsDroppedMessages: Flush returns nil once everything was
// sent, and ErrNotSent after Abort dropped queued messages, even when
// called after the drop.
func TestFlushReportsDroppedMessages(t *testing.T) {
	client, _, _, sr := pair(t, nil)
	for i := 0; i < 10; i++ {
		require.NoError(t, client.SendText("x"))
	}
	for i := 0; i < 10; i++ {
		sr.message(t)
	}
	require.NoError(t, client.Flush(testCtx(t)))

	a, b := pipeSized(1024)
	defer b.Close()
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", nil, nil)
	rec := record(c)
	// Nobody reads b: the messages stay queued.
	for i := 0; i < 10; i++ {
		require.NoError(t, c.SendBinary(make([]byte, 10000)))
	}
	c.Abort()
	rec.waitClosed(t)
	assert.ErrorIs(t, c.Flush(testCtx(t)), ErrNotSent)
}

func TestCloseStatusString(t *testing.T) {
	assert.Equal(t, "not closed", CloseStatus{}.String())

	c, p, rec := newRaw(t, ConnectionServer, nil)
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseGoingAway, "bye"))
	p.readClose()
	p.expectEOF()
	rec.waitClosed(t)
	s := c.CloseStatus().String()
	assert.Contains(t, s, "cleanly by the peer")
	assert.Contains(t, s, "1001")
	assert.Contains(t, s, `"bye"`)

	c2, p2, rec2 := newRaw(t, ConnectionClient, nil)
	p2.conn.Close()
	rec2.waitClosed(t)
	s = c2.CloseStatus().String()
	assert.Contains(t, s, "abnormally")
	assert.Contains(t, s, "1006")
}

func TestErrorMessagesHaveOnePrefix(t *testing.T) {
	c, _, _ := newRaw(t, ConnectionClient, nil)
	err := c.SendText("bad \xff")
	require.ErrorIs(t, err, ErrInvalidUTF8)
	assert.Equal(t, "wsconn: SendText: invalid UTF-8", err.Error())
	err = c.SendMessage(DataText, []byte{0xff})
	require.ErrorIs(t, err, ErrInvalidUTF8)
	assert.Equal(t, "wsconn: SendMessage: invalid UTF-8", err.Error())
	err = c.Close(1004, "")
	assert.EqualError(t, err, "wsconn: Close: close code 1004 may not be sent")
	err = c.Close(CloseNormal, "\xff")
	require.ErrorIs(t, err, ErrInvalidUTF8)
	assert.Equal(t, 1, strings.Count(err.Error(), "wsconn:"), "%q", err.Error())
}

// TestOptionsDefaults checks what each field of Options gives: zero is the
// default, a negative size no limit, and out-of-range values are brought
// into range.
func TestOptionsDefaults(t *testing.T) {
	mc := mainloop.New()
	key := func() [4]byte { return [4]byte{1, 2, 3, 4} }
	long := bytes.Repeat([]byte{'p'}, 200)
	defaults := options{
		maxIncomingPayload: 128 << 10,
		maxTotalMessage:    128 << 10,
		closeTimeout:       5 * time.Second,
		maxQueued:          16 << 20,
		fragmentSize:       64 << 10,
		receiveBuffer:      1 << 20,
	}
	for _, tc := range []struct {
		name string
		in   *Options
		want func(o *options)
	}{
		{"nil", nil, func(*options) {}},
		{"zero", &Options{}, func(*options) {}},
		{"negative sizes mean no limit", &Options{MaxIncomingPayloadSize: -1, MaxTotalMessageSize: -5, MaxQueuedBytes: -1},
			func(o *options) { o.maxIncomingPayload, o.maxTotalMessage, o.maxQueued = 0, 0, 0 }},
		{"negative durations and buffer are the defaults", &Options{KeepaliveInterval: -1, KeepalivePongTimeout: -1, CloseTimeout: -1, ReceiveBufferSize: -1, FragmentSize: -1},
			func(*options) {}},
		{"values", &Options{MaxIncomingPayloadSize: 10, MaxTotalMessageSize: 20, KeepaliveInterval: time.Second,
			KeepalivePongTimeout: 2 * time.Second, KeepalivePingPayload: []byte("hb"), CloseTimeout: time.Minute,
			MaxQueuedBytes: 30, ReceiveBufferSize: 40, FragmentSize: 500, SkipUTF8Validation: true},
			func(o *options) {
				o.maxIncomingPayload, o.maxTotalMessage, o.maxQueued, o.receiveBuffer, o.fragmentSize = 10, 20, 30, 40, 500
				o.keepaliveInterval, o.pongTimeout, o.closeTimeout = time.Second, 2*time.Second, time.Minute
				o.pingPayload, o.skipUTF8 = []byte("hb"), true
			}},
		{"small fragments and long ping payloads are cut", &Options{FragmentSize: 1, KeepalivePingPayload: long},
			func(o *options) { o.fragmentSize, o.pingPayload = 125, long[:125] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := defaults
			tc.want(&want)
			got := tc.in.resolve()
			assert.Equal(t, want, got)
		})
	}
	// The references go through as they are.
	req := httptest.NewRequest("GET", "/", nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	got := (&Options{MainContext: mc, MaskKeySource: key, Logger: log, Request: req}).resolve()
	assert.Equal(t, MainContext(mc), got.mainContext)
	assert.Equal(t, [4]byte{1, 2, 3, 4}, got.maskKey())
	assert.Same(t, log, got.logger)
	assert.Same(t, req, got.request)
}

func TestSubscribeRefusesUnknownSignal(t *testing.T) {
	c, _, _ := newRaw(t, ConnectionClient, nil)
	assert.PanicsWithValue(t, `wsconn: Subscribe: unknown signal "mesage"`, func() { c.Subscribe("message", "mesage") })
	for _, s := range []Signal{"message", "closing", "closed", "error", "pong", "ping", "notify"} {
		assert.NotPanics(t, func() { c.Unsubscribe(c.Subscribe(s)) }, "%s", s)
	}
}
