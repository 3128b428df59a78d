package http3

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// TestSharedConnection dials 100 WebSockets at once: they share one QUIC
// connection, each carries its own messages, a 101st gets a connection of
// its own, and the connections close after their last WebSocket.
func TestSharedConnection(t *testing.T) {
	srv := newServer(t, echoHandler(nil, nil))
	opts := dialOptions()

	const n = maxStreamsPerConn
	sockets := make([]*wsconn.WebsocketConnection, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range sockets {
		wg.Go(func() {
			c, _, err := Dial(dialContext(t), srv.url(fmt.Sprintf("/%d", i)), opts)
			if err != nil {
				errs <- err
				return
			}
			sockets[i] = c
			for j := range 3 {
				msg := fmt.Sprintf("WebSocket %d, message %d", i, j)
				got, err := echoOnce(c, msg)
				if err == nil && got != msg {
					err = fmt.Errorf("WebSocket %d got %q, want %q", i, got, msg)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(1), srv.conns.Load(), "QUIC connections for %d WebSockets", n)

	extra, _, err := Dial(dialContext(t), srv.url("/extra"), opts)
	require.NoError(t, err)
	got, err := echoOnce(extra, "extra")
	require.NoError(t, err)
	assert.Equal(t, "extra", got)
	assert.Equal(t, int32(2), srv.conns.Load(), "the 101st WebSocket has a connection of its own")

	for _, c := range append(sockets, extra) {
		if c != nil {
			c.Close(wsconn.CloseNormal, "")
		}
	}
	for _, c := range append(sockets, extra) {
		if c != nil {
			<-c.Done()
			assert.True(t, c.CloseStatus().Clean, "%v", c.CloseStatus())
		}
	}
	waitPoolEmpty(t)
}

// TestConnectionPerTLSConfig: Dials with different TLSConfigs do not share
// a connection; a Dial after the last WebSocket closed opens a new one.
func TestConnectionPerTLSConfig(t *testing.T) {
	srv := newServer(t, echoHandler(nil, nil))
	a, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	b, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	assert.Equal(t, int32(2), srv.conns.Load())
	closeAndWait(t, a)
	closeAndWait(t, b)
	waitPoolEmpty(t)

	c, _, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	require.NoError(t, err)
	assert.Equal(t, int32(3), srv.conns.Load())
	closeAndWait(t, c)
	waitPoolEmpty(t)
}

// silentUDP is a UDP socket that never answers, and records the
// addresses that sent to it.
type silentUDP struct {
	addr    string
	mu      sync.Mutex
	senders map[string]bool
}

// newSilentUDP starts a silent UDP socket, closed when the test ends.
func newSilentUDP(t *testing.T) *silentUDP {
	t.Helper()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	s := &silentUDP{addr: udp.LocalAddr().String(), senders: make(map[string]bool)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			_, from, err := udp.ReadFromUDP(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.senders[from.String()] = true
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		udp.Close()
		<-done
	})
	return s
}

// sources returns the number of addresses that sent to s.
func (s *silentUDP) sources() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.senders)
}

// TestConcurrentDialsShareTheDial: Dials that start together while the
// first QUIC handshake is under way wait for it rather than dial on their
// own; when all of them give up, the dial stops and nothing is left
// behind.
func TestConcurrentDialsShareTheDial(t *testing.T) {
	silent := newSilentUDP(t)
	opts := dialOptions()
	opts.HandshakeTimeout = 300 * time.Millisecond
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, _, err := Dial(context.Background(), "wss://"+silent.addr+"/", opts)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
	wg.Wait()
	waitPoolEmpty(t)
	assert.Equal(t, 1, silent.sources(), "UDP sockets that dialed")
}
