package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
	"github.com/wsconn/wsconn/mainloop"
)

// These tests check the delivery contract of deliver.go: the reader never
// waits for consumers except for room in the receive buffer; messages
// before the first message receiver are held within it; handlers run one
// at a time, in order; closed is emitted exactly once.

// dlvCounter counts events and wakes a waiter on each.
type dlvCounter struct {
	n  atomic.Int64
	ch chan struct{}
}

func newDlvCounter() *dlvCounter { return &dlvCounter{ch: make(chan struct{}, 1)} }

func (c *dlvCounter) inc() {
	c.n.Add(1)
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *dlvCounter) load() int64 { return c.n.Load() }

// waitAtLeast waits until the count reaches n, within waitTimeout.
func (c *dlvCounter) waitAtLeast(t testing.TB, n int64, what string) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for c.n.Load() < n {
		select {
		case <-c.ch:
		case <-deadline.C:
			t.Fatalf("%s: %d of %d within %v", what, c.n.Load(), n, waitTimeout)
		}
	}
}

// dlvErrs collects reported errors.
type dlvErrs struct {
	mu   sync.Mutex
	errs []error
}

func (e *dlvErrs) add(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *dlvErrs) list() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

func dlvHasErr(errs []error, target error) bool {
	for _, err := range errs {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// dlvReaderWaiting reports whether c's reader is paused for room in the
// receive buffer.
func dlvReaderWaiting(c *WebsocketConnection) bool {
	c.sigs.qmu.Lock()
	defer c.sigs.qmu.Unlock()
	return c.sigs.q.waiting
}

// dlvWaitState waits until c is in state st.
func dlvWaitState(t testing.TB, c *WebsocketConnection, st State, msg string) {
	t.Helper()
	require.Eventually(t, func() bool { return c.State() == st }, waitTimeout, 2*time.Millisecond, msg)
}

// dlvWait waits for ch to be closed or to yield a value.
func dlvWait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("%s: nothing within %v", what, waitTimeout)
	}
	var zero T
	return zero
}

// dlvLateClosed connects a closed handler after the close: it must run,
// once. Being queued after every event before it, it also shows that no
// second closed came before it.
func dlvLateClosed(t testing.TB, c *WebsocketConnection) {
	t.Helper()
	late := newDlvCounter()
	c.OnClosed(late.inc)
	late.waitAtLeast(t, 1, "closed handler connected after the close")
}

// dlvProxiedConns returns a peer's and a tested side's end of a TCP
// connection that goes through a stalling proxy.
func dlvProxiedConns(t *testing.T) (peer, tested net.Conn, proxy *stallingProxy) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	proxy = newStallingProxy(t, ln.Addr().String())
	peer, err = net.Dial("tcp", proxy.ln.Addr().String())
	require.NoError(t, err)
	tested = dlvWait(t, accepted, "accept through the proxy")
	require.NotNil(t, tested)
	return peer, tested, proxy
}

type dlvTransport struct {
	name  string
	conns func(t *testing.T) (net.Conn, net.Conn)
}

var dlvTransports = []dlvTransport{
	{"net.Pipe", func(*testing.T) (net.Conn, net.Conn) { return net.Pipe() }},
	{"iostream.Pipe", func(*testing.T) (net.Conn, net.Conn) { a, b := iostream.Pipe(); return a, b }},
	{"tcp", func(t *testing.T) (net.Conn, net.Conn) { return tcpConns(t) }},
}

// TestPushOnlyServerDoesNotLeak is the regression test of a push-only
// server: it connects no message receiver, only OnClosed (or OnError and
// OnClosed). A message from the client used to stop its reader for good,
// so the client's close was never answered, the connection leaked, and
// keepalive failed it with a false ErrPongTimeout.
func TestPushOnlyServerDoesNotLeak(t *testing.T) {
	for _, tr := range dlvTransports {
		for _, withErr := range []bool{false, true} {
			for _, ka := range []bool{false, true} {
				name := fmt.Sprintf("%s/closed", tr.name)
				if withErr {
					name = fmt.Sprintf("%s/error+closed", tr.name)
				}
				if ka {
					name += "/keepalive"
				}
				t.Run(name, func(t *testing.T) { testPushOnlyServer(t, tr, withErr, ka) })
			}
		}
	}
}

func testPushOnlyServer(t *testing.T, tr dlvTransport, withErr, ka bool) {
	a, b := tr.conns(t)
	sopts := &Options{}
	if ka {
		sopts.KeepaliveInterval, sopts.KeepalivePongTimeout = 50*time.Millisecond, 200*time.Millisecond
	}
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, sopts)
	cr := record(client)
	pings := newDlvCounter()
	client.OnPing(func([]byte) { pings.inc() })
	serverClosed := newDlvCounter()
	var serverErrs dlvErrs
	server.Hold(func() {
		if withErr {
			server.OnError(serverErrs.add)
		}
		server.OnClosed(serverClosed.inc)
	})
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
		cr.waitClosed(t)
		serverClosed.waitAtLeast(t, 1, "server closed")
	})

	require.NoError(t, client.SendText("hello"))
	if ka {
		// A ping goes out only once the last one was answered: the
		// server reads the pongs although "hello" waits for a receiver
		// that never comes, over more than a pong timeout.
		pings.waitAtLeast(t, 6, "keepalive pings answered")
		require.Equal(t, StateOpen, server.State())
	}
	require.NoError(t, client.Close(CloseNormal, "bye"))
	cr.waitClosed(t)
	serverClosed.waitAtLeast(t, 1, "server closed handler")

	cs := client.CloseStatus()
	assert.True(t, cs.Clean, "client: %+v", cs)
	assert.Equal(t, CloseNormal, cs.SentCode)
	assert.Equal(t, CloseNormal, cs.Code, "the server's answer")
	assert.False(t, cs.Remote)
	ss := server.CloseStatus()
	assert.Equal(t, CloseNormal, ss.Code, "server: %+v", ss)
	assert.Equal(t, "bye", ss.Reason)
	assert.Equal(t, CloseNormal, ss.SentCode)
	assert.True(t, ss.Clean)
	assert.True(t, ss.Remote)
	assert.Equal(t, StateClosed, client.State())
	assert.Equal(t, StateClosed, server.State())

	dlvLateClosed(t, server)
	assert.Equal(t, int64(1), serverClosed.load(), "the server's closed handler ran once")
	assert.Empty(t, serverErrs.list(), "no error on the server (no ErrPongTimeout)")
	assert.Empty(t, drainErrs(cr), "no error on the client")
	assert.Equal(t, uint64(1), server.sigs.dropped.Load(), "the held hello was dropped at the close")
}

func drainErrs(r *recorder) []error {
	var out []error
	for {
		select {
		case err := <-r.errs:
			out = append(out, err)
		default:
			return out
		}
	}
}

// TestSlowConsumerNoFalsePongTimeout: a server whose consumer is stuck for
// more than a second (a handler that blocks, or a MainContext whose loop is
// busy), with a pong timeout of 300 ms: the client answers every ping, so
// the server must not time out.
func TestSlowConsumerNoFalsePongTimeout(t *testing.T) {
	for _, tr := range dlvTransports[1:] {
		for _, mainCtx := range []bool{false, true} {
			name := tr.name + "/handler-blocks"
			if mainCtx {
				name = tr.name + "/main-context-busy"
			}
			t.Run(name, func(t *testing.T) { testSlowConsumerNoFalsePongTimeout(t, tr, mainCtx) })
		}
	}
}

func testSlowConsumerNoFalsePongTimeout(t *testing.T, tr dlvTransport, mainCtx bool) {
	const interval, pongTimeout = 200 * time.Millisecond, 300 * time.Millisecond
	const stuckFor = 1100 * time.Millisecond
	a, b := tr.conns(t)
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	entered := make(chan struct{})
	enter := sync.OnceFunc(func() { close(entered) })

	sopts := &Options{KeepaliveInterval: interval, KeepalivePongTimeout: pongTimeout}
	var loop *mainloop.Loop
	runDone := make(chan struct{})
	if mainCtx {
		loop = mainloop.New()
		loop.Invoke(func() { enter(); <-gate }) // the loop is busy elsewhere
		go func() {
			loop.Run()
			close(runDone)
		}()
		sopts.MainContext = loop
	} else {
		close(runDone)
	}
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	cr := record(client)
	pings := newDlvCounter()
	client.OnPing(func([]byte) { pings.inc() })
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, sopts)
	msgs := make(chan string, 16)
	var serverErrs dlvErrs
	serverClosed := newDlvCounter()
	server.Hold(func() {
		server.OnMessage(func(_ DataType, d []byte) {
			if !mainCtx {
				enter()
				<-gate
			}
			msgs <- string(d)
		})
		server.OnError(serverErrs.add)
		server.OnClosed(serverClosed.inc)
	})
	t.Cleanup(func() {
		release()
		client.Abort()
		server.Abort()
		cr.waitClosed(t)
		serverClosed.waitAtLeast(t, 1, "server closed")
		if loop != nil {
			loop.Quit()
		}
		dlvWait(t, runDone, "loop end")
	})

	require.NoError(t, client.SendText("first"))
	dlvWait(t, entered, "consumer stuck")
	start := time.Now()
	require.NoError(t, client.SendText("second"))
	// Wait on pings until the consumer has been stuck for over a second:
	// each ping was sent after the last one's answer was read.
	base := pings.load()
	for i := 0; i < 1000 && (time.Since(start) < stuckFor || pings.load() < base+4); i++ {
		pings.waitAtLeast(t, pings.load()+1, "keepalive pings while the consumer is stuck")
	}
	stuck := time.Since(start)
	require.Equal(t, StateOpen, server.State(), "the server must not time out")
	assert.Positive(t, server.RoundTripTime(), "pongs were counted")
	assert.Empty(t, serverErrs.list())
	t.Logf("consumer stuck for %v, %d pings answered meanwhile, rtt %v", stuck, pings.load()-base, server.RoundTripTime())

	release()
	assert.Equal(t, "first", dlvWait(t, msgs, "first message"))
	assert.Equal(t, "second", dlvWait(t, msgs, "second message"))
	require.NoError(t, client.Close(CloseNormal, ""))
	cr.waitClosed(t)
	serverClosed.waitAtLeast(t, 1, "server closed")
	assert.True(t, server.CloseStatus().Clean, "%+v", server.CloseStatus())
	assert.True(t, client.CloseStatus().Clean, "%+v", client.CloseStatus())
	assert.Equal(t, CloseNormal, server.CloseCode())
	assert.Empty(t, serverErrs.list(), "no ErrPongTimeout")
	assert.Empty(t, drainErrs(cr))
}

// TestNilHandlerPanics: each On method panics at the call for a nil
// handler, naming itself, and connects nothing.
func TestNilHandlerPanics(t *testing.T) {
	client, server, cr, sr := pair(t, nil)
	for _, tc := range []struct {
		method string
		call   func(c *WebsocketConnection)
	}{
		{"OnMessage", func(c *WebsocketConnection) { c.OnMessage(nil) }},
		{"OnClosed", func(c *WebsocketConnection) { c.OnClosed(nil) }},
		{"OnError", func(c *WebsocketConnection) { c.OnError(nil) }},
		{"OnPong", func(c *WebsocketConnection) { c.OnPong(nil) }},
		{"OnPing", func(c *WebsocketConnection) { c.OnPing(nil) }},
		{"OnNotify", func(c *WebsocketConnection) { c.OnNotify(nil) }},
		{"OnFragment", func(c *WebsocketConnection) { c.OnFragment(nil) }},
		{"OnClosing", func(c *WebsocketConnection) { c.OnClosing(nil) }},
	} {
		t.Run(tc.method, func(t *testing.T) {
			var r any
			func() {
				defer func() { r = recover() }()
				tc.call(server)
			}()
			require.NotNil(t, r, "%s(nil) did not panic", tc.method)
			msg := fmt.Sprint(r)
			assert.Contains(t, msg, tc.method)
			assert.Equal(t, "wsconn: "+tc.method+": nil handler", msg)
		})
	}
	// Nothing nil was connected: every signal still runs without a nil
	// call (which would crash the test binary).
	require.NoError(t, client.SendText("after"))
	require.NoError(t, client.Ping([]byte("p")))
	assert.Equal(t, "after", string(sr.message(t).data))
	assert.Equal(t, "p", string(dlvWait(t, cr.pongs, "pong")))
	require.NoError(t, client.Close(CloseNormal, ""))
	sr.waitClosed(t)
	cr.waitClosed(t)
	assert.True(t, server.CloseStatus().Clean)
}

// dlvConsumer is one way of consuming a connection, which can be made to
// get stuck and released.
type dlvConsumer struct {
	mc         MainContext // the MainContext the consumer needs, if any
	seesErrors bool        // errors reach the consumer (a handler or subscription)
	attach     func(c *WebsocketConnection)
	stick      func(t *testing.T, c *WebsocketConnection) // returns once the consumer is stuck
	release    func()                                     // idempotent
	finish     func(t *testing.T, c *WebsocketConnection) dlvOutcome
	cleanup    func(t *testing.T)
}

// dlvOutcome is the end of a connection as its consumer saw it.
type dlvOutcome struct {
	closed   int // closed handler runs, "closed" events or CloseErrors
	messages int
	errs     []error
	status   *CloseStatus // from a CloseError
}

type dlvConsumerKind struct {
	name string
	make func(t *testing.T) *dlvConsumer
}

// handlerConsumer connects OnMessage, OnError and OnClosed; the first
// message handler blocks until released (if block), or the MainContext loop
// is busy until released (if mainCtx).
func handlerConsumer(t *testing.T, block, mainCtx bool) *dlvConsumer {
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	entered := make(chan struct{})
	enter := sync.OnceFunc(func() { close(entered) })
	var msgs atomic.Int64
	var errs dlvErrs
	closed := newDlvCounter()
	k := &dlvConsumer{seesErrors: true, release: release}
	runDone := make(chan struct{})
	var loop *mainloop.Loop
	if mainCtx {
		loop = mainloop.New()
		loop.Invoke(func() { <-gate })
		go func() {
			loop.Run()
			close(runDone)
		}()
		k.mc = loop
	} else {
		close(runDone)
	}
	k.attach = func(c *WebsocketConnection) {
		c.Hold(func() {
			c.OnMessage(func(DataType, []byte) {
				msgs.Add(1)
				if block {
					enter()
					<-gate
				}
			})
			c.OnError(errs.add)
			c.OnClosed(closed.inc)
		})
	}
	k.stick = func(t *testing.T, _ *WebsocketConnection) {
		if block {
			dlvWait(t, entered, "message handler entered")
		}
	}
	k.finish = func(t *testing.T, c *WebsocketConnection) dlvOutcome {
		closed.waitAtLeast(t, 1, "closed handler")
		dlvLateClosed(t, c)
		return dlvOutcome{closed: int(closed.load()), messages: int(msgs.Load()), errs: errs.list()}
	}
	k.cleanup = func(t *testing.T) {
		release()
		if loop != nil {
			loop.Quit()
		}
		dlvWait(t, runDone, "loop end")
	}
	return k
}

var dlvConsumerKinds = []dlvConsumerKind{
	{"slow-handler", func(t *testing.T) *dlvConsumer { return handlerConsumer(t, true, false) }},
	{"main-context-busy", func(t *testing.T) *dlvConsumer { return handlerConsumer(t, false, true) }},
	{"no-message-receiver", func(t *testing.T) *dlvConsumer {
		closed := newDlvCounter()
		return &dlvConsumer{
			attach:  func(c *WebsocketConnection) { c.OnClosed(closed.inc) },
			stick:   func(*testing.T, *WebsocketConnection) {},
			release: func() {},
			finish: func(t *testing.T, c *WebsocketConnection) dlvOutcome {
				closed.waitAtLeast(t, 1, "closed handler")
				dlvLateClosed(t, c)
				return dlvOutcome{closed: int(closed.load())}
			},
			cleanup: func(*testing.T) {},
		}
	}},
	{"pull-once", func(t *testing.T) *dlvConsumer {
		return &dlvConsumer{
			seesErrors: true,
			attach:     func(*WebsocketConnection) {},
			stick: func(t *testing.T, c *WebsocketConnection) {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				_, _, err := c.Receive(ctx)
				require.NoError(t, err)
			},
			release: func() {},
			finish: func(t *testing.T, c *WebsocketConnection) dlvOutcome {
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				out := dlvOutcome{messages: 1}
				for i := 0; i < 1<<20; i++ {
					_, _, err := c.Receive(ctx)
					if err == nil {
						out.messages++
						continue
					}
					var ce *CloseError
					require.ErrorAs(t, err, &ce)
					out.closed++
					out.status = &ce.CloseStatus
					if ce.Err != nil { // the cause of the close
						out.errs = append(out.errs, ce.Err)
					}
					break
				}
				// Once closed, every receive tells it again.
				_, _, err := c.Receive(ctx)
				var ce *CloseError
				require.ErrorAs(t, err, &ce)
				return out
			},
			cleanup: func(*testing.T) {},
		}
	}},
	{"subscribe-once", func(t *testing.T) *dlvConsumer {
		var ch <-chan Event
		drain := func(t *testing.T, out *dlvOutcome) {
			deadline := time.NewTimer(waitTimeout)
			defer deadline.Stop()
			for i := 0; i < 1<<20; i++ {
				select {
				case ev, ok := <-ch:
					if !ok {
						return
					}
					if out == nil {
						continue
					}
					switch ev.Signal {
					case "message":
						out.messages++
					case "error":
						out.errs = append(out.errs, ev.Err)
					case "closed":
						out.closed++
					}
				case <-deadline.C:
					t.Errorf("the subscription was not closed within %v", waitTimeout)
					return
				}
			}
		}
		return &dlvConsumer{
			seesErrors: true,
			attach: func(c *WebsocketConnection) {
				ch = c.Subscribe("message", "error", "closed")
			},
			stick: func(t *testing.T, _ *WebsocketConnection) {
				ev := dlvWait(t, ch, "first event of the subscription")
				require.Equal(t, Signal("message"), ev.Signal)
			},
			release: func() {},
			finish: func(t *testing.T, _ *WebsocketConnection) dlvOutcome {
				out := dlvOutcome{messages: 1}
				drain(t, &out)
				return out
			},
			cleanup: func(t *testing.T) { drain(t, nil) },
		}
	}},
}

// dlvEnv is what a scenario acts on.
type dlvEnv struct {
	tested, peer *WebsocketConnection
	proxy        *stallingProxy
	peerConn     net.Conn
	peerPings    *dlvCounter
	after        func() // run by the test after the checks, before cleanup
}

type dlvScenario struct {
	name        string
	proxy       bool
	opts        *Options
	run         func(t *testing.T, e *dlvEnv)
	code        CloseCode // the peer's code as the tested side saw it
	sentCode    CloseCode
	clean       bool
	remote      bool
	err         error // an error the tested side must report; nil: none
	allMessages bool  // every message the peer sent first is delivered
}

const (
	dlvKAInterval    = 100 * time.Millisecond
	dlvKAPongTimeout = 300 * time.Millisecond
)

var dlvScenarios = []dlvScenario{
	{
		name: "peer-closes",
		run: func(t *testing.T, e *dlvEnv) {
			require.NoError(t, e.peer.Close(CloseNormal, "peer bye"))
		},
		code: CloseNormal, sentCode: CloseNormal, clean: true, remote: true, allMessages: true,
	},
	{
		name:  "peer-vanishes",
		proxy: true,
		opts:  &Options{KeepaliveInterval: dlvKAInterval, KeepalivePongTimeout: dlvKAPongTimeout},
		run:   func(t *testing.T, e *dlvEnv) { e.proxy.stall() },
		code:  CloseAbnormal, err: ErrPongTimeout, allMessages: true,
	},
	{
		name: "peer-drops-stream",
		run: func(t *testing.T, e *dlvEnv) {
			require.NoError(t, e.peerConn.Close()) // no close frame: end of stream
		},
		code: CloseAbnormal, err: ErrAbnormalClosure, allMessages: true,
	},
	{
		name: "local-close-while-peer-floods",
		run: func(t *testing.T, e *dlvEnv) {
			floodDone := make(chan struct{})
			var flooded atomic.Int64
			go func() {
				defer close(floodDone)
				msg := make([]byte, 1024)
				end := time.Now().Add(waitTimeout)
				for i := 0; i < 1<<16 && time.Now().Before(end); i++ {
					err := e.peer.SendBinary(msg)
					switch {
					case err == nil:
						flooded.Add(1)
					case errors.Is(err, ErrQueueFull):
						// Wait for room, or for the close.
						ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
						_ = e.peer.Flush(ctx)
						cancel()
					default:
						return // the peer got the close: sends are refused
					}
				}
			}()
			e.after = func() { dlvWait(t, floodDone, "the flood ends") }
			// Close once the flood filled the receive buffer: the reader
			// waits for room, or held messages are being dropped.
			require.Eventually(t, func() bool {
				return dlvReaderWaiting(e.tested) || e.tested.sigs.dropped.Load() > 0
			}, waitTimeout, time.Millisecond, "the flood fills the receive buffer")
			start := time.Now()
			require.NoError(t, e.tested.Close(CloseNormal, "local bye"))
			dlvWaitState(t, e.tested, StateClosed, "local close completes while the consumer is stuck")
			t.Logf("local close took %v; peer flooded %d KiB; %d messages dropped", time.Since(start), flooded.Load(), e.tested.sigs.dropped.Load())
		},
		code: CloseNormal, sentCode: CloseNormal, clean: true,
	},
	{
		name: "keepalive-peer-alive",
		opts: &Options{KeepaliveInterval: dlvKAInterval, KeepalivePongTimeout: dlvKAPongTimeout},
		run: func(t *testing.T, e *dlvEnv) {
			// Ten pings in a row were answered, over three pong timeouts,
			// while the consumer is stuck.
			base := e.peerPings.load()
			e.peerPings.waitAtLeast(t, base+10, "pings answered while the consumer is stuck")
			require.Equal(t, StateOpen, e.tested.State(), "no pong timeout while the peer answers")
			require.NoError(t, e.peer.Close(CloseNormal, "peer bye"))
		},
		code: CloseNormal, sentCode: CloseNormal, clean: true, remote: true, allMessages: true,
	},
}

// TestDeliveryConsumersScenarios runs every kind of stuck consumer against
// every way a connection ends, over TCP. Whatever the consumer does, the
// connection reaches Closed with the right status while the consumer is
// still stuck; once released, the consumer sees the close exactly once.
func TestDeliveryConsumersScenarios(t *testing.T) {
	for _, kind := range dlvConsumerKinds {
		for _, sc := range dlvScenarios {
			t.Run(kind.name+"/"+sc.name, func(t *testing.T) { testDeliveryCell(t, kind, sc) })
		}
	}
}

func testDeliveryCell(t *testing.T, kind dlvConsumerKind, sc dlvScenario) {
	const n = 100 // messages the peer sends first: more than a subscription buffers
	e := &dlvEnv{peerPings: newDlvCounter()}
	var testedConn net.Conn
	if sc.proxy {
		e.peerConn, testedConn, e.proxy = dlvProxiedConns(t)
	} else {
		e.peerConn, testedConn = tcpConns(t)
	}
	cons := kind.make(t)
	var opts Options
	if sc.opts != nil {
		opts = *sc.opts
	}
	opts.ReceiveBufferSize, opts.MainContext = 64<<10, cons.mc
	e.tested = NewWebsocketConnection(testedConn, testURI, ConnectionServer, "", "", nil, &opts)
	cons.attach(e.tested)
	e.peer = NewWebsocketConnection(e.peerConn, testURI, ConnectionClient, "", "", nil, &Options{MaxQueuedBytes: 128 << 10})
	pongs := make(chan string, 16)
	peerClosed := newDlvCounter()
	e.peer.Hold(func() {
		e.peer.OnPing(func([]byte) { e.peerPings.inc() })
		e.peer.OnPong(func(p []byte) {
			select {
			case pongs <- string(p):
			default:
			}
		})
		e.peer.OnClosed(peerClosed.inc)
	})
	t.Cleanup(func() {
		cons.release()
		e.peer.Abort()
		e.tested.Abort()
		dlvWaitState(t, e.tested, StateClosed, "tested side closed at cleanup")
		peerClosed.waitAtLeast(t, 1, "peer closed at cleanup")
		cons.cleanup(t)
	})

	// The peer sends some messages, then a ping once they are written:
	// its pong shows that the tested side has read them all.
	payload := bytes.Repeat([]byte{'m'}, 100)
	for i := 0; i < n; i++ {
		require.NoError(t, e.peer.SendBinary(payload))
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	require.NoError(t, e.peer.Flush(ctx))
	require.NoError(t, e.peer.Ping([]byte("sync")))
	require.Equal(t, "sync", dlvWait(t, pongs, "pong to the sync ping"))
	cons.stick(t, e.tested)

	start := time.Now()
	sc.run(t, e)
	// Liveness: the connection ends while the consumer is still stuck.
	dlvWaitState(t, e.tested, StateClosed, "Closed while the consumer is stuck")
	t.Logf("closed %v after the scenario started", time.Since(start))
	st := e.tested.CloseStatus()
	assert.Equal(t, sc.code, st.Code, "Code: %+v", st)
	assert.Equal(t, sc.sentCode, st.SentCode, "SentCode: %+v", st)
	assert.Equal(t, sc.clean, st.Clean, "Clean: %+v", st)
	assert.Equal(t, sc.remote, st.Remote, "Remote: %+v", st)

	cons.release()
	out := cons.finish(t, e.tested)
	assert.Equal(t, 1, out.closed, "the consumer saw the close exactly once")
	if out.status != nil {
		assert.Equal(t, st, *out.status, "the CloseError carries the final status")
	}
	if cons.seesErrors {
		if sc.err != nil {
			assert.True(t, dlvHasErr(out.errs, sc.err), "want %v among %v", sc.err, out.errs)
			for _, err := range out.errs {
				assert.ErrorIs(t, err, sc.err, "no other error")
			}
		} else {
			assert.Empty(t, out.errs)
		}
	}
	dropped := e.tested.sigs.dropped.Load()
	switch {
	case kind.name == "no-message-receiver" && sc.allMessages:
		assert.Equal(t, uint64(n), dropped, "the held messages were dropped at the close")
	case kind.name == "no-message-receiver":
		assert.Positive(t, dropped)
	case sc.allMessages:
		assert.Equal(t, n, out.messages, "every message was delivered")
		assert.Zero(t, dropped)
	default:
		assert.Positive(t, out.messages)
	}
	if e.after != nil {
		e.after()
	}
}

// TestDeliveryMemoryBounded floods a server whose consumer never reads with
// 1 KiB messages: the peer's writes block once the transport, the read
// buffer and the receive buffer are full, and memory stays bounded. With
// no message receiver at all, messages past the receive buffer are dropped
// instead, and the writes never block. Then the server closes, with the
// consumer still stuck, and the close completes.
func TestDeliveryMemoryBounded(t *testing.T) {
	for _, tr := range []string{"pipe", "tcp"} {
		for _, cons := range []string{"handler-blocked", "pull-once", "no-receiver"} {
			t.Run(tr+"/"+cons, func(t *testing.T) { testDeliveryMemory(t, tr, cons) })
		}
	}
}

func testDeliveryMemory(t *testing.T, transport, consumer string) {
	const msgSize = 1024
	const pipeSize = 64 << 10
	const sockBuf = 64 << 10
	var peerConn, testedConn net.Conn
	var transportBytes int64
	switch transport {
	case "pipe":
		a, b := iostream.PipeSize(pipeSize)
		peerConn, testedConn = a, b
		transportBytes = pipeSize
	case "tcp":
		peerConn, testedConn = tcpConns(t)
		require.NoError(t, peerConn.(*net.TCPConn).SetWriteBuffer(sockBuf))
		require.NoError(t, testedConn.(*net.TCPConn).SetReadBuffer(sockBuf))
		// Linux doubles what is set, for its bookkeeping; the sender may
		// go past its buffer by one segment (64 KiB at most).
		transportBytes = 2*sockBuf + 2*sockBuf + 64<<10
	}
	c := NewWebsocketConnection(testedConn, testURI, ConnectionServer, "", "", nil, nil)
	bound := c.opts.receiveBuffer
	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	closed := newDlvCounter()
	c.Hold(func() {
		if consumer == "handler-blocked" {
			c.OnMessage(func(DataType, []byte) { <-gate })
		}
		c.OnClosed(closed.inc)
	})
	t.Cleanup(func() {
		release()
		c.Abort()
		peerConn.Close()
		closed.waitAtLeast(t, 1, "closed at cleanup")
	})
	p := &rawPeer{t: t, conn: peerConn, br: bufio.NewReader(peerConn), mask: true}
	fr := frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}}, make([]byte, msgSize))
	var accepted int64 // bytes of the flood that the transport took
	if consumer == "pull-once" {
		p.write(fr)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		_, _, err := c.Receive(ctx)
		cancel()
		require.NoError(t, err)
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)

	frames := int64(64 << 20 / msgSize)
	if consumer == "no-receiver" {
		frames = 8 << 20 / msgSize // never blocks: keep it short
	}
	maxTotal := frames * int64(len(fr))
	var rest []byte // what a timed-out write left of a frame
	var lastErr error
	blocked := false
	end := time.Now().Add(60 * time.Second)
	for i := 0; i < 1<<18 && accepted < maxTotal && time.Now().Before(end); i++ { // bounded: each write sends a frame or times out
		buf := fr
		if rest != nil {
			buf = rest
		}
		peerConn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := peerConn.Write(buf)
		accepted += int64(n)
		rest = nil
		if n < len(buf) {
			rest = buf[n:]
		}
		if err != nil {
			lastErr = err
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			if dlvReaderWaiting(c) {
				// The reader waits for room and the transport is full.
				blocked = true
				break
			}
		}
	}
	peerConn.SetWriteDeadline(time.Time{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	// The receive buffer counts payload bytes and eventCost a message; the
	// peer writes frames. The reader pauses once the buffer holds more
	// than bound: one message past it, and one more in the hands of a
	// stuck consumer.
	limit := transportBytes + readBufSize + (bound/msgSize+2)*int64(len(fr))
	t.Logf("%s/%s: accepted %d KiB (limit %d KiB), blocked %v (%v), HeapInuse grew %d KiB, %d dropped",
		transport, consumer, accepted>>10, limit>>10, blocked, lastErr, growth>>10, c.sigs.dropped.Load())
	assert.Less(t, growth, bound+8<<20, "heap growth")
	if consumer == "no-receiver" {
		// Held messages are bounded by the receive buffer; the rest is
		// dropped, and reading never pauses.
		require.False(t, blocked)
		require.Equal(t, maxTotal, accepted)
		held := bound / (msgSize + eventCost)
		require.Eventually(t, func() bool {
			return c.sigs.dropped.Load() == uint64(frames-held)
		}, waitTimeout, time.Millisecond, "every message past the receive buffer is dropped")
	} else {
		require.True(t, blocked, "the peer's writes must block")
		assert.LessOrEqual(t, accepted, limit, "bytes accepted")
		assert.GreaterOrEqual(t, accepted/int64(len(fr)), bound/(msgSize+eventCost), "the receive buffer filled first")
	}

	// Close with the consumer still stuck: the reader drops what is past
	// the buffer to reach the peer's close frame.
	start := time.Now()
	require.NoError(t, c.Close(CloseNormal, "done"))
	if rest != nil {
		p.write(rest) // the frame the write deadline cut
	}
	code, reason, _ := p.readClose()
	assert.Equal(t, CloseNormal, code)
	assert.Equal(t, "done", reason)
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
	dlvWaitState(t, c, StateClosed, "local close completes while the consumer is stuck")
	t.Logf("close took %v", time.Since(start))
	st := c.CloseStatus()
	assert.True(t, st.Clean, "%+v", st)
	assert.Equal(t, CloseNormal, st.Code)
	assert.Equal(t, CloseNormal, st.SentCode)
	release()
	closed.waitAtLeast(t, 1, "closed handler")
	dlvLateClosed(t, c)
	assert.Equal(t, int64(1), closed.load())
}

// TestDeliveryHeldBeforeFirstReceiver: messages that come before the first
// message receiver are held within the receive buffer, the rest dropped;
// each kind of first receiver gets the held ones, in order.
func TestDeliveryHeldBeforeFirstReceiver(t *testing.T) {
	// The buffer counts each message's payload and eventCost: it holds
	// four of these.
	const msgs, size, bound = 10, 1024, 4 * (1024 + eventCost)
	const held = bound / (size + eventCost)
	for _, tc := range []struct {
		name    string
		receive func(t *testing.T, c *WebsocketConnection) []string // the first held messages
	}{
		{"OnMessage", func(t *testing.T, c *WebsocketConnection) []string {
			got := make(chan string, msgs)
			c.OnMessage(func(_ DataType, d []byte) { got <- string(d[:2]) })
			return dlvCollect(t, got, held)
		}},
		{"OnFragment", func(t *testing.T, c *WebsocketConnection) []string {
			got := make(chan string, msgs)
			c.OnFragment(func(_ DataType, d []byte, fin bool) {
				if fin {
					got <- string(d[:2])
				}
			})
			return dlvCollect(t, got, held)
		}},
		{`Subscribe("message")`, func(t *testing.T, c *WebsocketConnection) []string {
			return dlvCollectSub(t, c.Subscribe("message"), held)
		}},
		{"Subscribe()", func(t *testing.T, c *WebsocketConnection) []string {
			return dlvCollectSub(t, c.Subscribe(), held)
		}},
		{"Receive", func(t *testing.T, c *WebsocketConnection) []string {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			var out []string
			for i := 0; i < held; i++ {
				_, d, err := c.Receive(ctx)
				require.NoError(t, err)
				out = append(out, string(d[:2]))
			}
			return out
		}},
		{"NextReader", func(t *testing.T, c *WebsocketConnection) []string {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			var out []string
			for i := 0; i < held; i++ {
				_, r, err := c.NextReader(ctx)
				require.NoError(t, err)
				var b bytes.Buffer
				_, err = b.ReadFrom(r)
				require.NoError(t, err)
				out = append(out, b.String()[:2])
			}
			return out
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := pipePair()
			client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
			server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, &Options{ReceiveBufferSize: bound})
			cr := record(client)
			t.Cleanup(func() {
				client.Abort()
				server.Abort()
				cr.waitClosed(t)
				dlvWaitState(t, server, StateClosed, "server closed at cleanup")
			})
			for i := 0; i < msgs; i++ {
				require.NoError(t, client.SendText(fmt.Sprintf("%02d", i)+strings.Repeat("x", size-2)))
			}
			// The last message is dropped too: once dropped counts
			// all but the held ones, every message was read.
			require.Eventually(t, func() bool { return server.sigs.dropped.Load() == msgs-held }, waitTimeout, time.Millisecond)
			assert.Equal(t, []string{"00", "01", "02", "03"}, tc.receive(t, server))
			require.NoError(t, client.Close(CloseNormal, ""))
			cr.waitClosed(t)
			assert.True(t, client.CloseStatus().Clean)
		})
	}
}

func dlvCollect(t *testing.T, ch <-chan string, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, dlvWait(t, ch, "held message"))
	}
	return out
}

func dlvCollectSub(t *testing.T, ch <-chan Event, n int) []string {
	var out []string
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for i := 0; i < 1000 && len(out) < n; i++ {
		select {
		case ev := <-ch:
			if ev.Signal == "message" {
				out = append(out, string(ev.Data[:2]))
			}
		case <-deadline.C:
			t.Fatalf("held messages: got %v", out)
		}
	}
	go func() { // keep the subscription read until it is closed
		for range ch {
		}
	}()
	return out
}

// dlvLogBuffer is an io.Writer for a logger, safe for concurrent use.
type dlvLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *dlvLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *dlvLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestDeliveryDropsWithoutReceiver: once a receiver has come, a message
// goes to the receivers connected when it is delivered; with none, it is
// dropped, counted and traced at debug level.
func TestDeliveryDropsWithoutReceiver(t *testing.T) {
	var logs dlvLogBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, b := pipePair()
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, &Options{Logger: logger})
	cr := record(client)
	closed := newDlvCounter()
	server.OnClosed(closed.inc)
	t.Cleanup(func() {
		client.Abort()
		server.Abort()
		cr.waitClosed(t)
		closed.waitAtLeast(t, 1, "server closed at cleanup")
	})
	got := make(chan string, 4)
	id := server.OnMessage(func(_ DataType, d []byte) { got <- string(d) })
	require.NoError(t, client.SendText("one"))
	assert.Equal(t, "one", dlvWait(t, got, "first message"))
	server.Disconnect(id)
	require.NoError(t, client.SendText("two"))
	require.Eventually(t, func() bool { return server.sigs.dropped.Load() == 1 }, waitTimeout, time.Millisecond)
	server.OnMessage(func(_ DataType, d []byte) { got <- string(d) })
	require.NoError(t, client.SendText("three"))
	assert.Equal(t, "three", dlvWait(t, got, "message after the receiver came back"), "two was not held")
	assert.Contains(t, logs.String(), "message dropped")
	assert.Contains(t, logs.String(), "why=\"no receiver\"")
	require.NoError(t, client.Close(CloseNormal, ""))
	closed.waitAtLeast(t, 1, "server closed")
	assert.Equal(t, uint64(1), server.sigs.dropped.Load())
}

// flagLoop is a Loop that tells whether a function it runs is running.
type flagLoop struct {
	*mainloop.Loop
	on atomic.Bool
}

func (l *flagLoop) Invoke(f func()) {
	l.Loop.Invoke(func() {
		l.on.Store(true)
		defer l.on.Store(false)
		f()
	})
}

// TestDeliveryHandlersOneAtATime: the handlers of a connection never
// overlap, messages come in order, and with a MainContext every handler
// runs on it; closed comes once, last.
func TestDeliveryHandlersOneAtATime(t *testing.T) {
	for _, mainCtx := range []bool{false, true} {
		name := "connection-goroutines"
		if mainCtx {
			name = "main-context"
		}
		t.Run(name, func(t *testing.T) {
			opts := &Options{}
			var loop *flagLoop
			runDone := make(chan struct{})
			if mainCtx {
				loop = &flagLoop{Loop: mainloop.New()}
				go func() {
					loop.Run()
					close(runDone)
				}()
				opts.MainContext = loop
			} else {
				close(runDone)
			}
			a, b := tcpConns(t)
			client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
			server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, opts)
			cr := record(client)
			var running, overlaps, offLoop atomic.Int32
			var mu sync.Mutex
			var seq []string
			closed := newDlvCounter()
			enter := func(what string) func() {
				if running.Add(1) != 1 {
					overlaps.Add(1)
				}
				if loop != nil && !loop.on.Load() {
					offLoop.Add(1)
				}
				mu.Lock()
				seq = append(seq, what)
				mu.Unlock()
				runtime.Gosched() // give another handler the chance to overlap
				return func() { running.Add(-1) }
			}
			server.Hold(func() {
				server.OnMessage(func(_ DataType, d []byte) { defer enter("m" + string(d))() })
				server.OnPing(func([]byte) { defer enter("ping")() })
				server.OnNotify(func(string) { defer enter("notify")() })
				server.OnClosing(func() { defer enter("closing")() })
				server.OnError(func(error) { defer enter("error")() })
				server.OnClosed(func() {
					defer enter("closed")()
					closed.inc()
				})
			})
			t.Cleanup(func() {
				client.Abort()
				server.Abort()
				cr.waitClosed(t)
				closed.waitAtLeast(t, 1, "server closed at cleanup")
				if loop != nil {
					loop.Quit()
				}
				dlvWait(t, runDone, "loop end")
			})
			const n = 200
			for i := 0; i < n; i++ {
				require.NoError(t, client.SendText(fmt.Sprint(i)))
				if i%20 == 0 {
					require.NoError(t, client.Ping(nil))
				}
			}
			require.NoError(t, client.Close(CloseNormal, ""))
			closed.waitAtLeast(t, 1, "server closed")
			dlvLateClosed(t, server)
			mu.Lock()
			defer mu.Unlock()
			var msgs []string
			for _, s := range seq {
				if strings.HasPrefix(s, "m") {
					msgs = append(msgs, s[1:])
				}
			}
			want := make([]string, n)
			for i := range want {
				want[i] = fmt.Sprint(i)
			}
			assert.Equal(t, want, msgs, "messages in order")
			assert.Zero(t, overlaps.Load(), "handlers overlapped")
			assert.Zero(t, offLoop.Load(), "handlers ran off the MainContext")
			assert.Equal(t, "closed", seq[len(seq)-1])
			assert.Equal(t, 1, strings.Count(strings.Join(seq, " "), "closed"))
		})
	}
}

// BenchmarkPingPongGoroutines counts the goroutines created per message
// over TCP, read from runtime/metrics around the b.N loop.
//
// echo: the client sends 16 bytes, the server echoes them from OnMessage,
// the client waits for the echo in its OnMessage; an op is a round trip of
// two messages. The writer of each side is still started per burst of
// sends: at most 2 per op.
//
// delivery-only: a raw peer writes the frames itself and waits for the
// server's OnMessage after each: what is counted is delivery's own, 0 if
// no goroutine is started per message.
func BenchmarkPingPongGoroutines(b *testing.B) {
	sample := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		b.Skip("no /sched/goroutines-created metric in this Go")
	}
	created := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	b.Run("echo", func(b *testing.B) {
		a, bc := tcpConns(b)
		client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
		server := NewWebsocketConnection(bc, testURI, ConnectionServer, "", "", nil, nil)
		echo := make(chan struct{}, 1)
		clientClosed, serverClosed := newDlvCounter(), newDlvCounter()
		server.Hold(func() {
			server.OnMessage(func(typ DataType, d []byte) { _ = server.SendMessage(typ, d) })
			server.OnClosed(serverClosed.inc)
		})
		client.Hold(func() {
			client.OnMessage(func(DataType, []byte) { echo <- struct{}{} })
			client.OnClosed(clientClosed.inc)
		})
		defer func() {
			client.Abort()
			server.Abort()
			clientClosed.waitAtLeast(b, 1, "client closed")
			serverClosed.waitAtLeast(b, 1, "server closed")
		}()
		msg := make([]byte, 16)
		timeout := time.NewTimer(waitTimeout)
		defer timeout.Stop()
		roundTrip := func() {
			if err := client.SendBinary(msg); err != nil {
				b.Fatal(err)
			}
			select {
			case <-echo:
			case <-timeout.C:
				b.Fatal("no echo")
			}
			timeout.Reset(waitTimeout)
		}
		for i := 0; i < 10; i++ {
			roundTrip()
		}
		b.ResetTimer()
		before := created()
		for i := 0; i < b.N; i++ {
			roundTrip()
		}
		after := created()
		b.StopTimer()
		b.ReportMetric(float64(after-before)/float64(b.N), "goroutines/op")
		b.ReportMetric(float64(after-before)/float64(2*b.N), "goroutines/msg")
	})
	b.Run("delivery-only", func(b *testing.B) {
		a, bc := tcpConns(b)
		defer a.Close()
		server := NewWebsocketConnection(bc, testURI, ConnectionServer, "", "", nil, nil)
		got := make(chan struct{}, 1)
		closed := newDlvCounter()
		server.Hold(func() {
			server.OnMessage(func(DataType, []byte) { got <- struct{}{} })
			server.OnClosed(closed.inc)
		})
		defer func() {
			server.Abort()
			closed.waitAtLeast(b, 1, "server closed")
		}()
		fr := frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}}, make([]byte, 16))
		timeout := time.NewTimer(waitTimeout)
		defer timeout.Stop()
		one := func() {
			if _, err := a.Write(fr); err != nil {
				b.Fatal(err)
			}
			select {
			case <-got:
			case <-timeout.C:
				b.Fatal("no message")
			}
			timeout.Reset(waitTimeout)
		}
		for i := 0; i < 10; i++ {
			one()
		}
		b.ResetTimer()
		before := created()
		for i := 0; i < b.N; i++ {
			one()
		}
		after := created()
		b.StopTimer()
		b.ReportMetric(float64(after-before)/float64(b.N), "goroutines/msg")
	})
}

// TestDeliveryClosingKeepsMessagesWhole: while closing, messages past the
// receive buffer are dropped whole, as their first frame decides: a
// message that has begun is delivered to its end, and one that begins
// past the bound is dropped with all its frames, so that no receiver sees
// a message with a hole or glued to the next one.
func TestDeliveryClosingKeepsMessagesWhole(t *testing.T) {
	a, b := iostream.PipeSize(256 << 10)
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", nil, &Options{ReceiveBufferSize: 64 << 10})
	defer func() { c.Abort(); b.Close() }()
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	p.send(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("A"))
	_, d, err := c.Receive(ctx) // the pull API receives frame by frame from now on
	require.NoError(t, err)
	require.Equal(t, "A", string(d))

	// A message begins within the buffer...
	p.send(frame.Header{Opcode: frame.OpBinary}, bytes.Repeat([]byte{1}, 40<<10))
	p.send(frame.Header{Fin: true, Opcode: frame.OpPing}, []byte("sync"))
	h, _ := p.read()
	require.Equal(t, frame.OpPong, h.Opcode)
	require.NoError(t, c.Close(CloseNormal, ""))
	code, _, _ := p.readClose()
	require.Equal(t, CloseNormal, code)
	// ... and goes on past it while closing: it is delivered whole.
	p.send(frame.Header{Opcode: frame.OpContinuation}, bytes.Repeat([]byte{2}, 40<<10))
	p.send(frame.Header{Fin: true, Opcode: frame.OpContinuation}, bytes.Repeat([]byte{3}, 10<<10))
	// The next one begins past the bound: dropped, all its frames.
	p.send(frame.Header{Opcode: frame.OpBinary}, bytes.Repeat([]byte{4}, 10<<10))
	p.send(frame.Header{Fin: true, Opcode: frame.OpContinuation}, bytes.Repeat([]byte{5}, 10))
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseNormal, ""))
	select { // every frame has been read before anything is received
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("not closed")
	}

	typ, d, err := c.Receive(ctx)
	require.NoError(t, err)
	assert.Equal(t, DataBinary, typ)
	want := append(append(bytes.Repeat([]byte{1}, 40<<10), bytes.Repeat([]byte{2}, 40<<10)...), bytes.Repeat([]byte{3}, 10<<10)...)
	assert.True(t, bytes.Equal(want, d), "the begun message whole: got %d bytes", len(d))
	_, _, err = c.Receive(ctx)
	var ce *CloseError
	require.ErrorAs(t, err, &ce, "the dropped message is not delivered, not even in part")
	assert.Equal(t, uint64(1), c.sigs.dropped.Load())
}
