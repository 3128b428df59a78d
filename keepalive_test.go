package wsconn

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
)

func TestKeepalivePingsAreSentAndAnswersKeepItOpen(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionClient,
		&Options{KeepaliveInterval: 10 * time.Millisecond, KeepalivePongTimeout: time.Minute})
	for i := 0; i < 3; i++ {
		h, payload := p.read()
		require.Equal(t, frame.OpPing, h.Opcode)
		p.send(frame.Header{Fin: true, Opcode: frame.OpPong}, payload)
	}
	assert.Equal(t, StateOpen, c.State())
}

func TestKeepalivePongTimeoutEndsConnection(t *testing.T) {
	const interval, timeout = 20 * time.Millisecond, 30 * time.Millisecond
	c, p, rec := newRaw(t, ConnectionServer,
		&Options{KeepaliveInterval: interval, KeepalivePongTimeout: timeout})
	start := time.Now()
	h, _ := p.read()
	require.Equal(t, frame.OpPing, h.Opcode)
	// Never answer.
	rec.waitClosed(t)
	elapsed := time.Since(start)
	assert.ErrorIs(t, rec.err(t), ErrPongTimeout)
	assert.Equal(t, CloseAbnormal, c.CloseCode())
	assert.GreaterOrEqual(t, elapsed, interval+timeout-5*time.Millisecond, "not before interval + timeout")
}

func TestKeepaliveAnyFrameIsProofOfLife(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionServer,
		&Options{KeepaliveInterval: 5 * time.Millisecond, KeepalivePongTimeout: 40 * time.Millisecond})
	// Answer pings with data messages only, never a pong: the connection
	// must stay open through many pong timeouts.
	deadline := time.Now().Add(300 * time.Millisecond)
	pings := 0
	for time.Now().Before(deadline) {
		h, _ := p.read()
		if h.Opcode == frame.OpPing {
			pings++
			p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("alive"))
		}
	}
	assert.Equal(t, StateOpen, c.State())
	assert.Greater(t, pings, 3)
	select {
	case err := <-rec.errs:
		t.Fatalf("unexpected error %v", err)
	default:
	}
}

func TestKeepaliveUnansweredPingsDoNotPileUp(t *testing.T) {
	_, p, _ := newRaw(t, ConnectionServer, &Options{KeepaliveInterval: 2 * time.Millisecond})
	h, _ := p.read()
	require.Equal(t, frame.OpPing, h.Opcode)
	// No answer and no pong timeout: many intervals pass, no second ping.
	p.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err := frame.ReadFrame(p.br, 0)
	assert.Error(t, err, "a second ping was sent before the first was answered")
	// An answer lets the next ping go.
	p.send(frame.Header{Fin: true, Opcode: frame.OpPong}, nil)
	h, _ = p.read()
	assert.Equal(t, frame.OpPing, h.Opcode)
}

func TestKeepaliveOverTCP(t *testing.T) {
	client, server, cr, sr := tcpPair(t,
		&Options{KeepaliveInterval: 5 * time.Millisecond, KeepalivePongTimeout: time.Minute})
	for i := 0; i < 3; i++ {
		select {
		case <-sr.pongs:
		case <-time.After(waitTimeout):
			t.Fatal("server got no pong")
		}
		select {
		case <-cr.pongs:
		case <-time.After(waitTimeout):
			t.Fatal("client got no pong")
		}
	}
	assert.Equal(t, StateOpen, client.State())
	assert.Equal(t, StateOpen, server.State())
}

func TestSetKeepaliveIntervalStartsPings(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionClient, nil)
	c.SetKeepaliveInterval(time.Millisecond)
	h, _ := p.read()
	assert.Equal(t, frame.OpPing, h.Opcode)
	assert.True(t, h.Masked)
}

// TestRoundTripTimeInsideOnPongIsThatPongs: inside a pong handler,
// RoundTripTime is the round trip of the pong being delivered, even when
// the next pong has already been read. The first pong's handler is held
// until the connection has read the second pong.
func TestRoundTripTimeInsideOnPongIsThatPongs(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionServer,
		&Options{KeepaliveInterval: 5 * time.Millisecond, KeepalivePingPayload: []byte("ka")})
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // runs before newRaw's cleanup
	seen := make(chan time.Duration, 2)
	var pongs atomic.Int32
	c.OnPong(func(payload []byte) {
		if string(payload) != "ka" {
			return
		}
		if pongs.Add(1) == 1 {
			entered <- struct{}{}
			<-release
		}
		seen <- c.RoundTripTime()
	})
	// answer reads up to the next keepalive ping and answers it, once the
	// connection has noted when the ping went out (it does so before the
	// write, so the wait is short).
	answer := func() {
		t.Helper()
		for i := 0; i < 100; i++ {
			h, payload := p.read()
			if h.Opcode == frame.OpPing {
				require.Eventually(t, func() bool {
					c.mu.Lock()
					defer c.mu.Unlock()
					return c.ka.rttWait
				}, waitTimeout, time.Millisecond)
				p.send(frame.Header{Fin: true, Opcode: frame.OpPong}, payload)
				return
			}
		}
		t.Fatal("no keepalive ping")
	}
	answer()
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("the first pong's handler did not run")
	}
	answer()
	// The connection answers our ping once it has read what came before
	// it, the second pong included.
	p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("sync"))
	for i := 0; ; i++ {
		require.Less(t, i, 100, "no answer to the sync ping")
		h, payload := p.read()
		if h.Opcode == frame.OpPong && string(payload) == "sync" {
			break
		}
	}
	unblock()
	var got [2]time.Duration
	for i := range got {
		select {
		case got[i] = <-seen:
		case <-time.After(waitTimeout):
			t.Fatalf("pong handler %d did not run", i+1)
		}
	}
	assert.Greater(t, got[0], time.Duration(0))
	assert.Greater(t, got[1], time.Duration(0))
	assert.NotEqual(t, got[0], got[1], "the first handler saw the second pong's round trip")
	assert.Equal(t, got[1], c.RoundTripTime())
}
