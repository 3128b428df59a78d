package wsconn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
)

func TestKeepalivePingsAreSentAndAnswersKeepItOpen(t *testing.T) {
	c, p, _ := newRaw(t, ConnectionClient,
		WithKeepaliveInterval(10*time.Millisecond), WithKeepalivePongTimeout(time.Minute))
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
		WithKeepaliveInterval(interval), WithKeepalivePongTimeout(timeout))
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
		WithKeepaliveInterval(5*time.Millisecond), WithKeepalivePongTimeout(40*time.Millisecond))
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
	_, p, _ := newRaw(t, ConnectionServer, WithKeepaliveInterval(2*time.Millisecond))
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
		WithKeepaliveInterval(5*time.Millisecond), WithKeepalivePongTimeout(time.Minute))
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
	c, p, _ := newRaw(t, ConnectionClient)
	c.SetKeepaliveInterval(time.Millisecond)
	h, _ := p.read()
	assert.Equal(t, frame.OpPing, h.Opcode)
	assert.True(t, h.Masked)
}
