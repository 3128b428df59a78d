package wsconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
)

// stallingProxy forwards TCP between a client and a server on 127.0.0.1
// until stall is called; then it forwards nothing more in either direction
// but keeps both sockets open: a half-open connection, as when a peer's
// machine vanishes.
type stallingProxy struct {
	ln      net.Listener
	target  string
	stalled chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func newStallingProxy(t *testing.T, target string) *stallingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &stallingProxy{ln: ln, target: target, stalled: make(chan struct{})}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *stallingProxy) serve() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(in, out)
		go p.pipe(out, in)
	}
}

func (p *stallingProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.stalled:
			// Swallow everything from now on, without closing.
			if err != nil {
				return
			}
			continue
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallingProxy) stall() { p.once.Do(func() { close(p.stalled) }) }

func (p *stallingProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestPeerVanishesHalfOpen: the peer stops answering anything, but no FIN
// or RST arrives. Keepalive with a pong timeout ends the connection within
// interval + timeout (plus scheduling slack).
func TestPeerVanishesHalfOpen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	proxy := newStallingProxy(t, ln.Addr().String())
	a, err := net.Dial("tcp", proxy.ln.Addr().String())
	require.NoError(t, err)
	b := <-accepted
	require.NotNil(t, b)

	const interval, timeout = 50 * time.Millisecond, 100 * time.Millisecond
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil,
		&Options{KeepaliveInterval: interval, KeepalivePongTimeout: timeout})
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, nil)
	cr, sr := record(client), record(server)
	defer func() {
		server.Abort()
		sr.waitClosed(t)
	}()
	select { // alive while the proxy forwards
	case <-cr.pongs:
	case <-time.After(waitTimeout):
		t.Fatal("no pong before the stall")
	}
	proxy.stall()
	start := time.Now()
	cr.waitClosed(t)
	elapsed := time.Since(start)
	assert.ErrorIs(t, cr.err(t), ErrPongTimeout)
	assert.Equal(t, CloseAbnormal, client.CloseCode())
	// The bound is interval + timeout; the slack is for a loaded machine.
	assert.Less(t, elapsed, interval+timeout+2*time.Second)
	t.Logf("detected a half-open connection after %v (interval %v + timeout %v)", elapsed, interval, timeout)
}

// TestPeerResets: the peer's socket is reset (SO_LINGER 0): the
// connection ends at once as abnormal, with an error and closed once.
func TestPeerResets(t *testing.T) {
	a, b := tcpConns(t)
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	cr := record(client)
	require.NoError(t, b.(*net.TCPConn).SetLinger(0))
	b.Close()
	cr.waitClosed(t)
	assert.ErrorIs(t, cr.err(t), ErrAbnormalClosure)
	assert.Equal(t, CloseAbnormal, client.CloseCode())
	_ = client.SendText("after")
}

// TestPeerStopsReading: over TCP, a peer that reads nothing fills the
// socket buffers; sends then queue up to the bound and the next one is
// refused with ErrQueueFull: memory stays bounded and the user is told.
func TestPeerStopsReading(t *testing.T) {
	a, b := tcpConns(t)
	defer b.Close()
	const bound = 1 << 20
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", nil, &Options{MaxQueuedBytes: bound})
	rec := record(c)
	defer func() {
		c.Abort()
		rec.waitClosed(t)
	}()
	msg := make([]byte, 64<<10)
	var err error
	sent := 0
	for i := 0; i < 100000 && err == nil; i++ { // bounded: TCP buffers are a few MiB at most
		if err = c.SendBinary(msg); err == nil {
			sent++
		}
	}
	require.ErrorIs(t, err, ErrQueueFull)
	assert.LessOrEqual(t, c.BufferedAmount(), int64(bound))
	t.Logf("%d messages of 64 KiB accepted before ErrQueueFull (queue bound 1 MiB, the rest in socket buffers)", sent)
}

// failingStream fails its reads or writes after a number of bytes.
type failingStream struct {
	net.Conn
	readLeft, writeLeft atomic.Int64
}

var errInjected = errors.New("injected stream failure")

func (f *failingStream) Read(p []byte) (int, error) {
	left := f.readLeft.Load()
	if left <= 0 {
		return 0, errInjected
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := f.Conn.Read(p)
	f.readLeft.Add(-int64(n))
	return n, err
}

func (f *failingStream) Write(p []byte) (int, error) {
	left := f.writeLeft.Load()
	if left <= 0 {
		return 0, errInjected
	}
	if int64(len(p)) > left {
		n, _ := f.Conn.Write(p[:left])
		f.writeLeft.Add(-int64(n))
		return n, errInjected
	}
	n, err := f.Conn.Write(p)
	f.writeLeft.Add(-int64(n))
	return n, err
}

func TestStreamFailsMidFrame(t *testing.T) {
	t.Run("read", func(t *testing.T) {
		a, b := pipePair()
		defer b.Close()
		f := &failingStream{Conn: a}
		f.readLeft.Store(10) // the failure comes inside the frame
		f.writeLeft.Store(1 << 30)
		c := NewWebsocketConnection(f, testURI, ConnectionClient, "", "", nil, nil)
		rec := record(c)
		b.Write(frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpBinary}, make([]byte, 100)))
		rec.waitClosed(t)
		err := rec.err(t)
		assert.ErrorIs(t, err, ErrAbnormalClosure)
		assert.ErrorIs(t, err, errInjected)
		assert.Equal(t, CloseAbnormal, c.CloseCode())
		assert.Empty(t, drainMessages(rec))
	})
	t.Run("write", func(t *testing.T) {
		a, b := pipePair()
		defer b.Close()
		go io.Copy(io.Discard, b)
		f := &failingStream{Conn: a}
		f.readLeft.Store(1 << 30)
		f.writeLeft.Store(1000) // inside the second message
		c := NewWebsocketConnection(f, testURI, ConnectionServer, "", "", nil, nil)
		rec := record(c)
		for i := 0; i < 5; i++ {
			if err := c.SendBinary(make([]byte, 600)); err != nil {
				break
			}
		}
		rec.waitClosed(t)
		var errs []error
		for len(errs) < 2 {
			errs = append(errs, rec.err(t))
		}
		assert.ErrorIs(t, errs[0], errInjected)
		assert.ErrorIs(t, errs[0], ErrAbnormalClosure)
		assert.ErrorIs(t, errs[1], ErrNotSent, "what could not be written is reported")
		assert.Equal(t, CloseAbnormal, c.CloseCode())
	})
}

// TestManyConnections runs many connections on 127.0.0.1 at once, each
// exchanging messages and closing: every message is accounted for, and
// TestMain's goleak check finds no goroutine left.
func TestManyConnections(t *testing.T) {
	n, msgs := 1000, 20
	if raceEnabled || testing.Short() {
		n, msgs = 100, 10
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	var received, echoed atomic.Int64
	var serverWG sync.WaitGroup
	go func() {
		for i := 0; i < n; i++ {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			serverWG.Add(1)
			s := NewWebsocketConnection(conn, testURI, ConnectionServer, "", "", nil, nil)
			s.OnMessage(func(typ DataType, data []byte) {
				received.Add(1)
				if s.SendMessage(typ, data) == nil {
					echoed.Add(1)
				}
			})
			s.OnClosed(serverWG.Done)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var got, clean atomic.Int64
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				errs <- err
				return
			}
			c := NewWebsocketConnection(conn, testURI, ConnectionClient, "", "", nil, nil)
			for j := 0; j < msgs; j++ {
				if err := c.SendText(fmt.Sprintf("%d/%d", i, j)); err != nil {
					errs <- err
				}
			}
			for j := 0; j < msgs; j++ {
				s, err := c.ReceiveText(ctx)
				if err != nil {
					errs <- err
					c.Abort()
					return
				}
				if s != fmt.Sprintf("%d/%d", i, j) {
					errs <- fmt.Errorf("connection %d: got %q as echo %d", i, s, j)
				}
				got.Add(1)
			}
			c.Close(CloseNormal, "")
			if _, _, err := c.Receive(ctx); err != nil {
				var ce *CloseError
				if errors.As(err, &ce) && ce.Clean {
					clean.Add(1)
				}
			}
		}(i)
	}
	wg.Wait()
	serverWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	total := int64(n * msgs)
	assert.Equal(t, total, received.Load())
	assert.Equal(t, total, echoed.Load())
	assert.Equal(t, total, got.Load())
	assert.Equal(t, int64(n), clean.Load(), "every connection closed cleanly")
}
