package wsconn

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperServerEnv) == "1" {
		runHelperServer()
		return
	}
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for an event in these tests.
const waitTimeout = 10 * time.Second

var testURI = &url.URL{Scheme: "ws", Host: "example.test", Path: "/"}

// recorder connects every typed handler of a connection and records what
// it sees, in order.
type recorder struct {
	mu       sync.Mutex
	events   []string
	messages chan message
	errs     chan error
	pongs    chan []byte
	closed   chan struct{}
	closedN  int
}

type message struct {
	typ  DataType
	data []byte
}

func record(c *WebsocketConnection) *recorder {
	r := &recorder{
		messages: make(chan message, 4096),
		errs:     make(chan error, 16),
		pongs:    make(chan []byte, 16),
		closed:   make(chan struct{}),
	}
	// Hold: every handler sees every event, from the first.
	c.Hold(func() {
		c.OnMessage(func(t DataType, d []byte) {
			r.add("message")
			r.messages <- message{t, d}
		})
		c.OnClosing(func() { r.add("closing") })
		c.OnClosed(func() {
			r.add("closed")
			r.mu.Lock()
			r.closedN++
			if r.closedN == 1 {
				close(r.closed)
			}
			r.mu.Unlock()
		})
		c.OnError(func(err error) {
			r.add("error")
			r.errs <- err
		})
		c.OnPong(func(p []byte) {
			r.add("pong")
			select {
			case r.pongs <- p:
			default: // a test that pings often does not read them all
			}
		})
		c.OnNotify(func(p string) { r.add("notify:" + p) })
	})
	return r
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func (r *recorder) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(waitTimeout):
		t.Fatalf("connection did not close; events: %v", r.list())
	}
}

func (r *recorder) message(t *testing.T) message {
	t.Helper()
	select {
	case m := <-r.messages:
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("no message; events: %v", r.list())
	}
	return message{}
}

func (r *recorder) err(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.errs:
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("no error; events: %v", r.list())
	}
	return nil
}

// pair returns a client and a server connected over an in-memory pipe,
// with recorders.
func pair(t *testing.T, opts *Options) (client, server *WebsocketConnection, cr, sr *recorder) {
	a, b := iostream.Pipe()
	return pairOver(t, a, b, opts)
}

func pairOver(t *testing.T, a, b net.Conn, opts *Options) (client, server *WebsocketConnection, cr, sr *recorder) {
	t.Helper()
	// No data flows before the test sends, so the recorders see every
	// event.
	client = NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, opts)
	server = NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, opts)
	cr, sr = record(client), record(server)
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
		cr.waitClosed(t)
		sr.waitClosed(t)
	})
	return client, server, cr, sr
}

// tcpPair is pair over real TCP on 127.0.0.1.
func tcpPair(t *testing.T, opts *Options) (client, server *WebsocketConnection, cr, sr *recorder) {
	t.Helper()
	a, b := tcpConns(t)
	return pairOver(t, iostream.NewConn(a), iostream.NewConn(b), opts)
}

// tcpConns returns the two ends of a TCP connection on 127.0.0.1.
func tcpConns(tb testing.TB) (net.Conn, net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(tb, err)
	var b net.Conn
	select {
	case b = <-accepted:
	case <-time.After(waitTimeout):
		tb.Fatal("no TCP connection accepted")
	}
	require.NotNil(tb, b)
	return a, b
}

// rawPeer is the other end of a connection, speaking hand-made frames.
type rawPeer struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
	mask bool // the peer is a client: it masks its frames
}

// newRaw returns a connection of type typ over a pipe and the raw peer at
// the other end.
func newRaw(t *testing.T, typ ConnectionType, opts *Options) (*WebsocketConnection, *rawPeer, *recorder) {
	t.Helper()
	return newRawOver(t, typ, 64<<10, opts)
}

// newRawOver is newRaw over a pipe that buffers size bytes each way.
func newRawOver(t *testing.T, typ ConnectionType, size int, opts *Options) (*WebsocketConnection, *rawPeer, *recorder) {
	t.Helper()
	a, b := iostream.PipeSize(size)
	c := NewWebsocketConnection(a, testURI, typ, "", "", nil, opts)
	rec := record(c)
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: typ == ConnectionServer}
	t.Cleanup(func() {
		c.Abort()
		b.Close()
		rec.waitClosed(t)
	})
	return c, p, rec
}

// send writes one frame with the peer's masking.
func (p *rawPeer) send(h frame.Header, payload []byte) {
	p.t.Helper()
	if p.mask && !h.Masked {
		h.Masked = true
		h.Key = [4]byte{0x12, 0x34, 0x56, 0x78}
	}
	p.write(frame.AppendFrame(nil, h, payload))
}

func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(waitTimeout))
	_, err := p.conn.Write(b)
	require.NoError(p.t, err)
}

// sendUnmasked writes a frame without a mask whatever the peer's side.
func (p *rawPeer) sendUnmasked(h frame.Header, payload []byte) {
	p.t.Helper()
	p.write(frame.AppendFrame(nil, h, payload))
}

// read reads the next frame.
func (p *rawPeer) read() (frame.Header, []byte) {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	h, payload, err := frame.ReadFrame(p.br, 0)
	require.NoError(p.t, err)
	return h, payload
}

// readClose reads frames until a close frame and returns its code and
// reason (CloseNoStatus if it has none), counting the data frames before it.
func (p *rawPeer) readClose() (code CloseCode, reason string, dataFrames int) {
	p.t.Helper()
	for i := 0; i < 100000; i++ {
		h, payload := p.read()
		if h.Opcode != frame.OpClose {
			if !h.Opcode.IsControl() {
				dataFrames++
			}
			continue
		}
		if len(payload) < 2 {
			return CloseNoStatus, "", dataFrames
		}
		return CloseCode(binary.BigEndian.Uint16(payload)), string(payload[2:]), dataFrames
	}
	p.t.Fatal("no close frame")
	return
}

// closePayload builds a close frame payload.
func closePayload(code CloseCode, reason string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	return append(b, reason...)
}

// expectEOF waits for the connection to close the stream.
func (p *rawPeer) expectEOF() {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	for i := 0; i < 100000; i++ {
		_, _, err := frame.ReadFrame(p.br, 0)
		if err != nil {
			require.NotErrorIs(p.t, err, os.ErrDeadlineExceeded, "stream not closed")
			return
		}
	}
}

func pipePair() (*iostream.PipeConn, *iostream.PipeConn) { return iostream.Pipe() }

// pipeSized is a pipe whose directions each buffer at most n bytes.
func pipeSized(n int) (*iostream.PipeConn, *iostream.PipeConn) { return iostream.PipeSize(n) }
