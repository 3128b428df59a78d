// Package wsapp runs a WebSocket client with callbacks, keepalive and
// reconnection, as Python websocket-client's WebSocketApp and run_forever
// do, on top of package wsconn's public API.
package wsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/internal/serial"
)

// App runs a client connection with callbacks and reconnects as asked, as
// Python websocket-client's WebSocketApp does. Set its fields, then call
// RunForever; the fields must not change while it runs. An App must not
// be copied once RunForever has been called.
//
// # Callbacks
//
// The callbacks are those of WebSocketApp, each with the connection it is
// about (nil only for OnError of a failed dial). Any of them may be nil.
// All the callbacks of one RunForever go through one queue and run one at a
// time, in order, never concurrently with each other, across reconnects
// too: on RunOptions.MainContext when one is given (it replaces a
// MainContext set in Dial.ConnectionOptions), otherwise on a goroutine
// of the App. As with the connection's own handlers, reading pauses while
// a callback runs (back-pressure), so a callback must not block waiting
// for another event of the same App. A callback may call any method of
// the connection or of the App, including Close.
//
// A panic in a callback is recovered and reported to OnError as a
// *PanicError; the runner and the connection go on. A panic in OnError
// itself, and a panic while OnError is nil, is logged on Logger.
//
// Data passed to OnMessage, OnData and OnContMessage may be shared between
// them: treat it as read-only. It is not reused afterwards, so it may be
// kept.
type App struct {
	// URL is the ws:// or wss:// URL to connect to (http:// and https://
	// are aliases).
	URL string

	// Dial holds the options of every handshake: Header (extra headers;
	// a Host header overrides the request's Host, as websocket-client's
	// host=), Origin (none when empty, which is websocket-client's
	// suppress_origin), Protocols (subprotocols), Jar (cookies),
	// TLSConfig, Proxy, NetDial, MaxRedirects, HandshakeTimeout and
	// ConnectionOptions. RunForever adds its keepalive and MainContext
	// options after the ConnectionOptions given here, without changing
	// them. A zero HandshakeTimeout stands for DefaultHandshakeTimeout,
	// so that a server that accepts the TCP connection and never answers
	// ends in an error (and a reconnect, if asked), not a silent hang.
	Dial wsconn.DialOptions

	// OnOpen is called when the first connection of a run is open (on
	// every connection when OnReconnect is nil). It runs before any other
	// callback of the connection.
	OnOpen func(c *wsconn.WebsocketConnection)

	// OnReconnect, if not nil, is called in place of OnOpen for each
	// connection after the first one of a run that opened, as
	// websocket-client's on_reconnect. A run whose first dials failed
	// calls OnOpen for the first connection that opens.
	OnReconnect func(c *wsconn.WebsocketConnection)

	// OnMessage is called with each whole incoming message, text or
	// binary (websocket-client's on_message), once its last frame has
	// arrived.
	OnMessage func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte)

	// OnData is called with every frame of every incoming message as it
	// arrives, before OnContMessage and OnMessage (websocket-client's
	// on_data): typ is the message's type, fin is set on its last frame,
	// so an unfragmented message is one call with fin set. A compressed
	// message arrives as one call, once decoded.
	OnData func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte, fin bool)

	// OnContMessage is called with each continuation frame, that is
	// every frame of a fragmented message but its first, fin being set
	// on the last one (websocket-client's on_cont_message). The first
	// frame is seen by OnData. Unlike websocket-client, OnMessage still
	// gets each message whole, not its first frame.
	OnContMessage func(c *wsconn.WebsocketConnection, data []byte, fin bool)

	// OnPing is called with the payload of each ping from the server,
	// which the connection has already answered.
	OnPing func(c *wsconn.WebsocketConnection, payload []byte)

	// OnPong is called with the payload of each pong, such as the
	// answers to the keepalive pings of RunOptions.PingInterval.
	OnPong func(c *wsconn.WebsocketConnection, payload []byte)

	// OnError is called with what went wrong: a failed dial (c is nil),
	// the connection's errors (ErrPongTimeout, ErrAbnormalClosure, a
	// *ProtocolError, ErrCloseTimeout, ErrNotSent...) and panics of the
	// other callbacks (*PanicError). An error does not stop the runner by
	// itself: the connection closes after its errors, then RunForever
	// reconnects or returns.
	OnError func(c *wsconn.WebsocketConnection, err error)

	// OnClose is called once for every connection that opened, when it
	// has closed, with the close code and reason the server sent:
	// CloseAbnormal (1006) when no close frame came, CloseNoStatus (1005)
	// when the server's close frame had no code. c.CloseStatus() tells
	// more, such as the code this side sent.
	OnClose func(c *wsconn.WebsocketConnection, code wsconn.CloseCode, reason string)

	// Logger receives the panics that cannot go to OnError. Nil means
	// slog.Default().
	Logger *slog.Logger

	mu   sync.Mutex
	run  *appRun                     // the run in progress, or nil
	conn *wsconn.WebsocketConnection // its open connection, or nil

	onWait func(base, d time.Duration) // test hook: a reconnect delay is about to be waited
}

// DefaultHandshakeTimeout bounds each handshake of an App whose
// Dial.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 30 * time.Second

// appHandshakeTimeout is DefaultHandshakeTimeout, shorter in tests.
var appHandshakeTimeout = DefaultHandshakeTimeout

// RunOptions configures App.RunForever, as the arguments of
// websocket-client's run_forever.
type RunOptions struct {
	// PingInterval is the interval between keepalive pings (0: none).
	PingInterval time.Duration

	// PingTimeout ends a connection on which nothing at all arrives
	// within PingTimeout after a keepalive ping was written, with
	// ErrPongTimeout (0: wait forever). As in websocket-client, it needs
	// PingInterval and must be shorter than it: RunForever returns an
	// error otherwise.
	PingTimeout time.Duration

	// PingPayload is the payload of keepalive pings, at most 125 bytes.
	PingPayload []byte

	// ReconnectDelay, if positive, makes RunForever reconnect after a
	// failure (a failed dial, a connection that ended without a close
	// frame from the server, a pong timeout, a protocol error), waiting
	// ReconnectDelay before the first new dial. A handshake the server
	// refuses (such as a 403) is a failure too and is retried; to give
	// up, call Close from OnError. Zero means that a failure ends
	// RunForever.
	ReconnectDelay time.Duration

	// MaxReconnectDelay, if larger than ReconnectDelay, turns on
	// exponential backoff: the delay doubles after every reconnect, up
	// to MaxReconnectDelay, and each wait is drawn at random between
	// half the delay and the delay (jitter), so that many clients do not
	// reconnect in step. The delay starts over at ReconnectDelay once a
	// connection has stayed open for MaxReconnectDelay. Otherwise every
	// wait is exactly ReconnectDelay, as in websocket-client.
	MaxReconnectDelay time.Duration

	// ReconnectOnClose makes a graceful close started by the server (a
	// close frame, whatever its code) reconnect too, when ReconnectDelay
	// is positive. By default, as in websocket-client, it ends
	// RunForever with nil.
	ReconnectOnClose bool

	// MainContext, if not nil, runs every callback and every signal
	// handler of the connections, such as a GUI's main loop or a Loop.
	// It must keep running until RunForever returns: RunForever waits
	// for the callbacks of a closing connection (when it stops, at most
	// the close timeout and a second).
	MainContext wsconn.MainContext
}

// PanicError is the error that OnError gets when another callback of an
// App panicked.
type PanicError struct {
	Callback string // the callback's field name, such as "OnMessage"
	Value    any    // what the callback panicked with
	Stack    []byte // the stack of the panic
}

// Error describes the panic.
func (e *PanicError) Error() string {
	return fmt.Sprintf("wsapp: App.%s panicked: %v", e.Callback, e.Value)
}

// Unwrap returns the panic's value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// appRun is the state of one RunForever that other goroutines act on.
// Guarded by App.mu.
type appRun struct {
	cancel     context.CancelFunc
	stopped    bool // App.Close was called
	stopCode   wsconn.CloseCode
	stopReason string
}

// stopGrace is how long RunForever waits, past the close timeout, for the
// callbacks of a connection it closes when it stops.
const stopGrace = time.Second

// RunForever connects to URL and runs the callbacks until it is stopped,
// reconnecting as opts asks. It returns nil for a clean stop: ctx was
// cancelled (the connection is closed with 1001 "going away"), Close was
// called, the connection was closed by this side (c.Close in a callback),
// or the server closed it gracefully and opts.ReconnectOnClose is false.
// It returns an error for a failure when it does not reconnect: the error
// of the failed dial, or the first error of the connection, which wraps
// ErrPongTimeout, ErrAbnormalClosure, a *ProtocolError and so on. It
// also returns an error at once for invalid opts or when the App is
// running already.
//
// When it stops, RunForever closes the open connection and waits for the
// closing handshake to end (at most the connection's close timeout) and
// for its OnClose; a reconnect delay or a dial in progress is cut short.
func (a *App) RunForever(ctx context.Context, opts RunOptions) error {
	if err := opts.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &appRun{cancel: cancel}

	// Every callback goes through one MainContext: the user's, or a
	// queue of the App's own. The connections run their handlers on it
	// too, so that all callbacks of the run are serial, and so that the
	// handlers of a new connection are all connected before any event
	// is delivered to them (see serve).
	dial := a.Dial
	if dial.HandshakeTimeout == 0 {
		dial.HandshakeTimeout = appHandshakeTimeout
	}
	var connOpts wsconn.Options
	if a.Dial.ConnectionOptions != nil {
		connOpts = *a.Dial.ConnectionOptions
	}
	var mc wsconn.MainContext = &appQueue{}
	if opts.MainContext != nil {
		mc = opts.MainContext
	}
	connOpts.MainContext = mc
	if opts.PingInterval > 0 {
		connOpts.KeepaliveInterval = opts.PingInterval
	}
	if opts.PingTimeout > 0 {
		connOpts.KeepalivePongTimeout = opts.PingTimeout
	}
	if len(opts.PingPayload) > 0 {
		connOpts.KeepalivePingPayload = opts.PingPayload
	}
	dial.ConnectionOptions = &connOpts

	a.mu.Lock()
	if a.run != nil {
		a.mu.Unlock()
		return errors.New("wsapp: App.RunForever: the App is running already")
	}
	a.run = r
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.run, a.conn = nil, nil
		a.mu.Unlock()
	}()

	bo := backoff{first: opts.ReconnectDelay, max: opts.MaxReconnectDelay, next: opts.ReconnectDelay}
	opened := false
	for {
		var failure error
		c, _, err := wsconn.Dial(ctx, a.URL, &dial)
		if err != nil {
			if ctx.Err() != nil {
				a.flush(ctx, mc)
				return nil
			}
			mc.Invoke(func() { a.reportError(nil, err) })
			failure = err
		} else {
			start := time.Now()
			s := &appSession{app: a, c: c, reconnect: opened, closed: make(chan struct{})}
			opened = true
			out := a.serve(ctx, mc, s)
			if out.stopped {
				if out.closed {
					a.flush(ctx, mc)
				}
				return nil
			}
			if out.failure == nil && !(out.remote && opts.ReconnectOnClose) {
				a.flush(ctx, mc)
				return nil // a graceful close by either side
			}
			failure = out.failure
			if bo.max > bo.first && time.Since(start) >= bo.max {
				bo.next = bo.first // the connection was stable
			}
		}
		if opts.ReconnectDelay <= 0 {
			a.flush(ctx, mc)
			return failure
		}
		base, d := bo.step()
		if a.onWait != nil {
			a.onWait(base, d)
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			a.flush(ctx, mc)
			return nil
		}
	}
}

// check validates the options.
func (o *RunOptions) check() error {
	switch {
	case o.PingInterval < 0 || o.PingTimeout < 0:
		return errors.New("wsapp: App.RunForever: negative ping interval or timeout")
	case o.PingTimeout > 0 && o.PingInterval == 0:
		return errors.New("wsapp: App.RunForever: a ping timeout needs a ping interval")
	case o.PingTimeout > 0 && o.PingTimeout >= o.PingInterval:
		return fmt.Errorf("wsapp: App.RunForever: ping timeout %v must be shorter than the ping interval %v", o.PingTimeout, o.PingInterval)
	case o.ReconnectDelay < 0 || o.MaxReconnectDelay < 0:
		return errors.New("wsapp: App.RunForever: negative reconnect delay")
	case len(o.PingPayload) > frame.MaxControlPayload:
		return fmt.Errorf("wsapp: App.RunForever: ping payload of %d bytes, at most %d", len(o.PingPayload), frame.MaxControlPayload)
	}
	return nil
}

// sessionEnd is how a connection of a run ended.
type sessionEnd struct {
	stopped bool  // the run was stopped
	closed  bool  // ... and the connection's OnClose has run
	failure error // the connection failed
	remote  bool  // the server closed it gracefully
}

// serve runs one connection until it has closed and its OnClose has run,
// or until the run stops.
func (a *App) serve(ctx context.Context, mc wsconn.MainContext, s *appSession) sessionEnd {
	c := s.c
	a.mu.Lock()
	a.conn = c
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if a.conn == c {
			a.conn = nil
		}
		a.mu.Unlock()
	}()

	// The connection holds its events until a handler is connected, and
	// delivers them through mc: connecting every handler from a function
	// that runs on mc means that none of them misses an event, and that
	// OnOpen comes first.
	mc.Invoke(s.start)

	select {
	case <-s.closed:
	case <-ctx.Done():
	}
	if ctx.Err() != nil {
		c.Close(a.stopArgs())
		// The connection ends within its close timeout; its handlers
		// follow, unless the user's MainContext has stopped running.
		<-c.Done()
		closed := waitFor(s.closed, stopGrace)
		if !closed {
			c.Abort()
		}
		return sessionEnd{stopped: true, closed: closed}
	}

	st := c.CloseStatus()
	failure := s.err
	if failure == nil && st.Code == wsconn.CloseAbnormal {
		// Aborted by the program: a failure, so that it reconnects.
		failure = fmt.Errorf("%w: connection aborted", wsconn.ErrAbnormalClosure)
	}
	if failure != nil {
		return sessionEnd{failure: failure}
	}
	return sessionEnd{remote: st.Remote}
}

// stopArgs returns the close code and reason for the connection of a run
// that stops.
func (a *App) stopArgs() (wsconn.CloseCode, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.run != nil && a.run.stopped {
		return a.run.stopCode, a.run.stopReason
	}
	return wsconn.CloseGoingAway, "going away"
}

// flush waits until the callbacks queued on mc have run, so that
// RunForever returns after them. On the user's MainContext, which may
// have stopped, the wait is bounded once ctx is done.
func (a *App) flush(ctx context.Context, mc wsconn.MainContext) {
	done := make(chan struct{})
	mc.Invoke(func() { close(done) })
	if _, own := mc.(*appQueue); own {
		<-done
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
		waitFor(done, stopGrace)
	}
}

// waitFor waits at most d for ch to be closed and reports whether it was.
func waitFor(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// Close stops RunForever: the open connection is closed with code and
// reason, a reconnect delay or a dial in progress is cut short, and
// RunForever returns nil once the connection has closed. It returns at
// once, without waiting for that. The open connection's Close checks code
// and reason: when it refuses them, App.Close returns its error and the
// run goes on. Without a run in progress, Close does nothing.
func (a *App) Close(code wsconn.CloseCode, reason string) error {
	if c := a.Conn(); c != nil {
		if err := c.Close(code, reason); err != nil {
			return err
		}
	}
	a.mu.Lock()
	r := a.run
	if r != nil && !r.stopped {
		r.stopped, r.stopCode, r.stopReason = true, code, reason
	}
	a.mu.Unlock()
	if r != nil {
		r.cancel()
	}
	return nil
}

// Conn returns the open connection of the run in progress: nil before the
// first dial succeeds, between a close and the reconnect, and after
// RunForever has returned.
func (a *App) Conn() *wsconn.WebsocketConnection {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.conn
}

// SendText queues a text message on the open connection, as
// WebsocketConnection.SendText does; without one it returns ErrNotOpen.
func (a *App) SendText(text string) error {
	c := a.Conn()
	if c == nil {
		return wsconn.ErrNotOpen
	}
	return c.SendText(text)
}

// SendBinary queues a binary message on the open connection, as
// WebsocketConnection.SendBinary does; without one it returns ErrNotOpen.
func (a *App) SendBinary(data []byte) error {
	c := a.Conn()
	if c == nil {
		return wsconn.ErrNotOpen
	}
	return c.SendBinary(data)
}

// call runs one callback, turning a panic into a *PanicError for OnError.
func (a *App) call(name string, c *wsconn.WebsocketConnection, f func()) {
	defer func() {
		if v := recover(); v != nil {
			a.reportError(c, &PanicError{Callback: name, Value: v, Stack: debug.Stack()})
		}
	}()
	f()
}

// reportError calls OnError, logging what it cannot take.
func (a *App) reportError(c *wsconn.WebsocketConnection, err error) {
	var pe *PanicError
	if a.OnError == nil {
		if errors.As(err, &pe) {
			a.logger().Error("wsapp: callback panicked", "callback", pe.Callback, "panic", pe.Value, "stack", string(pe.Stack))
		}
		return
	}
	defer func() {
		if v := recover(); v != nil {
			a.logger().Error("wsconn: App: OnError panicked", "panic", v, "error", err, "stack", string(debug.Stack()))
		}
	}()
	a.OnError(c, err)
}

func (a *App) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

// appSession is one connection of a run. Its fields other than closed are
// only used by the connection's handlers, which run one at a time; the
// run reads err after closed is closed.
type appSession struct {
	app       *App
	c         *wsconn.WebsocketConnection
	reconnect bool          // not the first connection of the run to open
	closed    chan struct{} // closed after OnClose
	err       error         // the first error of the connection, other than wsconn.ErrNotSent

	inMessage bool   // a fragmented message has begun
	msg       []byte // its frames so far, for OnMessage
}

// start calls OnOpen or OnReconnect and connects the connection's
// handlers. It runs on the run's MainContext.
func (s *appSession) start() {
	s.c.Hold(s.connect)
}

// connect calls OnOpen or OnReconnect and connects the connection's
// handlers.
func (s *appSession) connect() {
	a, c := s.app, s.c
	c.OnError(s.onError)
	if a.OnPing != nil {
		c.OnPing(func(p []byte) { a.call("OnPing", c, func() { a.OnPing(c, p) }) })
	}
	if a.OnPong != nil {
		c.OnPong(func(p []byte) { a.call("OnPong", c, func() { a.OnPong(c, p) }) })
	}
	// A message receiver is always connected, so that messages are not
	// held for one that never comes.
	if a.OnData != nil || a.OnContMessage != nil {
		c.OnFragment(s.onFragment)
	} else {
		c.OnMessage(s.onMessage)
	}
	c.OnClosed(s.onClosed)
	// Last, so that the handlers are in place when it runs; it still runs
	// before any of them, as delivery waits for the Hold this runs in.
	switch {
	case s.reconnect && a.OnReconnect != nil:
		a.call("OnReconnect", c, func() { a.OnReconnect(c) })
	case a.OnOpen != nil:
		a.call("OnOpen", c, func() { a.OnOpen(c) })
	}
}

func (s *appSession) onError(err error) {
	if s.err == nil && !errors.Is(err, wsconn.ErrNotSent) {
		s.err = err
	}
	s.app.reportError(s.c, err)
}

func (s *appSession) onMessage(typ wsconn.DataType, data []byte) {
	if a := s.app; a.OnMessage != nil {
		a.call("OnMessage", s.c, func() { a.OnMessage(s.c, typ, data) })
	}
}

// onFragment gets every frame of every message: it feeds OnData and
// OnContMessage, and reassembles messages for OnMessage.
func (s *appSession) onFragment(typ wsconn.DataType, data []byte, fin bool) {
	a, c := s.app, s.c
	first := !s.inMessage
	s.inMessage = !fin
	if a.OnData != nil {
		a.call("OnData", c, func() { a.OnData(c, typ, data, fin) })
	}
	if !first && a.OnContMessage != nil {
		a.call("OnContMessage", c, func() { a.OnContMessage(c, data, fin) })
	}
	if a.OnMessage == nil {
		return
	}
	if first && fin {
		a.call("OnMessage", c, func() { a.OnMessage(c, typ, data) })
		return
	}
	s.msg = append(s.msg, data...)
	if !fin {
		return
	}
	msg := s.msg
	s.msg = nil
	if msg == nil {
		msg = []byte{}
	}
	a.call("OnMessage", c, func() { a.OnMessage(c, typ, msg) })
}

func (s *appSession) onClosed() {
	a, c := s.app, s.c
	if a.OnClose != nil {
		st := c.CloseStatus()
		a.call("OnClose", c, func() { a.OnClose(c, st.Code, st.Reason) })
	}
	close(s.closed)
}

// backoff computes reconnect delays.
type backoff struct {
	first, max, next time.Duration
}

// step returns the delay to use now, before jitter (base), and the wait
// itself, and doubles the delay for the next time when backoff is on.
func (b *backoff) step() (base, d time.Duration) {
	base = b.next
	if b.max <= b.first {
		return base, base
	}
	if b.next > b.max/2 {
		b.next = b.max
	} else {
		b.next *= 2
	}
	return base, base/2 + rand.N(base-base/2+1)
}

// appQueue is the App's own MainContext: callbacks run one at a time on a
// goroutine that exists while some are queued.
type appQueue struct{ q serial.Queue }

// Invoke queues f.
func (q *appQueue) Invoke(f func()) { q.q.Go(f) }
