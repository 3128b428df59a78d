package wsapp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/handshake"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/mainloop"
)

// appServer is a WebSocket server over TCP on 127.0.0.1 for the App's
// tests. It hands every connection it accepts to the test and closes
// them all at the end.
type appServer struct {
	url   string
	conns chan *wsconn.WebsocketConnection

	mu     sync.Mutex
	all    []*wsconn.WebsocketConnection
	closed []chan struct{}
}

// newAppServer starts a server that accepts with opts and runs fn, if not
// nil, on each connection.
func newAppServer(t *testing.T, opts *wsconn.AcceptOptions, fn func(c *wsconn.WebsocketConnection, r *http.Request)) *appServer {
	t.Helper()
	s := &appServer{conns: make(chan *wsconn.WebsocketConnection, 64)}
	srv := httptest.NewServer(wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
		done := make(chan struct{})
		c.OnClosed(func() { close(done) })
		s.mu.Lock()
		s.all = append(s.all, c)
		s.closed = append(s.closed, done)
		s.mu.Unlock()
		if fn != nil {
			fn(c, r)
		}
		// Read on even when fn takes no message, so that the client's
		// close frame is seen.
		c.OnMessage(func(wsconn.DataType, []byte) {})
		select {
		case s.conns <- c:
		default:
		}
	}))
	s.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		s.mu.Lock()
		all, closed := s.all, s.closed
		s.mu.Unlock()
		for i, c := range all {
			c.Abort()
			select {
			case <-closed[i]:
			case <-time.After(waitTimeout):
				t.Errorf("server connection %d did not close", i)
			}
		}
	})
	return s
}

// next returns the next connection the server accepted.
func (s *appServer) next(t *testing.T) *wsconn.WebsocketConnection {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(waitTimeout):
		t.Fatal("the server accepted no connection")
	}
	return nil
}

// waitServerClosed waits until the server's connection c is closed.
func (s *appServer) waitClosed(t *testing.T, c *wsconn.WebsocketConnection) {
	t.Helper()
	s.mu.Lock()
	i := slices.Index(s.all, c)
	done := s.closed[i]
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("server connection did not close")
	}
}

// appRecorder records the callbacks of an App as strings, in order.
type appRecorder struct {
	mu     sync.Mutex
	events []string
	errs   []error
	conns  []*wsconn.WebsocketConnection // of OnError, nil for a failed dial
	signal chan struct{}
	check  func() string // if set, called in every callback; non-empty is recorded as a failure
}

func newAppRecorder() *appRecorder {
	return &appRecorder{signal: make(chan struct{}, 1)}
}

func (r *appRecorder) add(format string, args ...any) {
	e := fmt.Sprintf(format, args...)
	if r.check != nil {
		if bad := r.check(); bad != "" {
			e = "BAD " + bad + ": " + e
		}
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// attach sets every callback of a to record into r.
func (r *appRecorder) attach(a *App) {
	a.OnOpen = func(c *wsconn.WebsocketConnection) { r.add("open") }
	a.OnReconnect = func(c *wsconn.WebsocketConnection) { r.add("reconnect") }
	a.OnMessage = func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
		r.add("message:%s:%q", typ, data)
	}
	a.OnData = func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte, fin bool) {
		r.add("data:%s:%q:%v", typ, data, fin)
	}
	a.OnContMessage = func(c *wsconn.WebsocketConnection, data []byte, fin bool) { r.add("cont:%q:%v", data, fin) }
	a.OnPing = func(c *wsconn.WebsocketConnection, p []byte) { r.add("ping:%q", p) }
	a.OnPong = func(c *wsconn.WebsocketConnection, p []byte) { r.add("pong:%q", p) }
	a.OnError = func(c *wsconn.WebsocketConnection, err error) {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.conns = append(r.conns, c)
		r.mu.Unlock()
		r.add("error")
	}
	a.OnClose = func(c *wsconn.WebsocketConnection, code wsconn.CloseCode, reason string) {
		r.add("close:%d:%q", code, reason)
	}
}

func (r *appRecorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *appRecorder) errors() ([]error, []*wsconn.WebsocketConnection) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs), slices.Clone(r.conns)
}

// count returns how many events equal e.
func (r *appRecorder) count(e string) int {
	n := 0
	for _, x := range r.list() {
		if x == e {
			n++
		}
	}
	return n
}

// wait waits until every one of want has been recorded at least once.
func (r *appRecorder) wait(t *testing.T, want ...string) {
	t.Helper()
	r.waitFor(t, fmt.Sprint(want), func(events []string) bool {
		for _, w := range want {
			if !slices.Contains(events, w) {
				return false
			}
		}
		return true
	})
}

// waitCount waits until e has been recorded n times.
func (r *appRecorder) waitCount(t *testing.T, e string, n int) {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("%d × %s", n, e), func([]string) bool { return r.count(e) >= n })
}

func (r *appRecorder) waitFor(t *testing.T, what string, ok func([]string) bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for !ok(r.list()) {
		select {
		case <-r.signal:
		case <-deadline.C:
			t.Fatalf("waiting for %s; events: %q", what, r.list())
		}
	}
}

// only returns the events that start with one of prefixes.
func only(events []string, prefixes ...string) []string {
	var out []string
	for _, e := range events {
		for _, p := range prefixes {
			if strings.HasPrefix(e, p) {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// appResult is the result of a RunForever started by runApp.
type appResult struct {
	done chan struct{}
	err  error
}

// runApp runs a.RunForever(ctx, opts) on a goroutine. The test's end
// cancels ctx and waits for it.
func runApp(t *testing.T, ctx context.Context, a *App, opts RunOptions) *appResult {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	r := &appResult{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = a.RunForever(ctx, opts)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(waitTimeout):
			t.Error("RunForever did not return")
		}
	})
	return r
}

// result waits for the result of runApp.
func result(t *testing.T, r *appResult) error {
	t.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(waitTimeout):
		t.Fatal("RunForever did not return")
	}
	return nil
}

// closedAddr returns a ws:// URL on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "ws://" + addr + "/"
}

func TestAppCallbacks(t *testing.T) {
	srv := newAppServer(t, nil, nil)
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	done := runApp(t, context.Background(), a, RunOptions{PingInterval: 20 * time.Millisecond, PingPayload: []byte("hb")})

	s := srv.next(t)
	// Messages that come before the App has connected its handlers wait
	// for them, but a fragmented one is then delivered whole: wait for
	// OnOpen, which runs once the handlers are connected.
	rec.wait(t, "open")
	require.NoError(t, s.SendText("hello"))
	require.NoError(t, s.SendBinary([]byte{1, 2, 3}))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	w, err := s.NextWriter(ctx, wsconn.DataText)
	require.NoError(t, err)
	_, err = w.Write([]byte("hello "))
	require.NoError(t, err)
	_, err = w.Write([]byte("world"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, s.Ping([]byte("x")))

	rec.wait(t, `message:text:"hello world"`, `ping:"x"`, `pong:"hb"`)
	require.NotNil(t, a.Conn())
	require.NoError(t, s.Close(4001, "bye"))
	require.NoError(t, result(t, done))

	events := rec.list()
	assert.Equal(t, "open", events[0])
	assert.Equal(t, []string{
		"open",
		`data:text:"hello":true`,
		`message:text:"hello"`,
		`data:binary:"\x01\x02\x03":true`,
		`message:binary:"\x01\x02\x03"`,
		`data:text:"hello ":false`,
		`data:text:"world":false`,
		`cont:"world":false`,
		`data:text:"":true`,
		`cont:"":true`,
		`message:text:"hello world"`,
		`close:4001:"bye"`,
	}, only(events, "open", "reconnect", "data:", "cont:", "message:", "close:", "error"))
	assert.Equal(t, `close:4001:"bye"`, events[len(events)-1])
	assert.Nil(t, a.Conn())
	assert.ErrorIs(t, a.SendText("late"), wsconn.ErrNotOpen)
}

// Without OnData and OnContMessage, messages come whole, fragmented or
// not.
func TestAppMessagesOnly(t *testing.T) {
	srv := newAppServer(t, nil, nil)
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	a.OnData, a.OnContMessage = nil, nil
	done := runApp(t, context.Background(), a, RunOptions{})

	s := srv.next(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	w, err := s.NextWriter(ctx, wsconn.DataBinary)
	require.NoError(t, err)
	w.Write([]byte("ab"))
	w.Write([]byte("cd"))
	require.NoError(t, w.Close())
	require.NoError(t, s.SendText("e"))
	rec.wait(t, `message:text:"e"`)
	require.NoError(t, s.Close(wsconn.CloseNormal, ""))
	require.NoError(t, result(t, done))
	assert.Equal(t, []string{"open", `message:binary:"abcd"`, `message:text:"e"`, `close:1000:""`}, rec.list())
}

func TestAppAbnormalCloseFails(t *testing.T) {
	srv := newAppServer(t, nil, func(c *wsconn.WebsocketConnection, r *http.Request) { c.Abort() })
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	err := result(t, runApp(t, context.Background(), a, RunOptions{}))
	require.ErrorIs(t, err, wsconn.ErrAbnormalClosure)

	assert.Equal(t, []string{"open", "error", `close:1006:""`}, rec.list())
	errs, conns := rec.errors()
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], wsconn.ErrAbnormalClosure)
	assert.NotNil(t, conns[0])
}

func TestAppReconnectAfterAbort(t *testing.T) {
	var accepted atomic.Int32
	srv := newAppServer(t, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		if accepted.Add(1) <= 3 {
			c.Abort() // the first three connections drop at once
		}
	})
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	var mu sync.Mutex
	var bases []time.Duration
	a.onWait = func(base, d time.Duration) {
		mu.Lock()
		bases = append(bases, base)
		mu.Unlock()
		assert.True(t, d >= base/2 && d <= base, "wait %v for a delay of %v", d, base)
	}
	done := runApp(t, context.Background(), a, RunOptions{
		ReconnectDelay:    2 * time.Millisecond,
		MaxReconnectDelay: 10 * time.Second, // no connection lasts that long: no reset
	})

	rec.waitCount(t, "reconnect", 3)
	var last *wsconn.WebsocketConnection
	for range 4 {
		last = srv.next(t)
	}
	rec.waitFor(t, "an open connection", func([]string) bool { return a.Conn() != nil })
	require.NoError(t, a.Close(wsconn.CloseGoingAway, "stop"))
	require.NoError(t, result(t, done))
	srv.waitClosed(t, last)
	assert.Equal(t, wsconn.CloseGoingAway, last.CloseCode())

	assert.Equal(t, []string{
		"open", "error", `close:1006:""`,
		"reconnect", "error", `close:1006:""`,
		"reconnect", "error", `close:1006:""`,
		"reconnect", `close:1001:"stop"`,
	}, rec.list())
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []time.Duration{2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond}, bases)
	assert.EqualValues(t, 4, accepted.Load())
}

func TestAppReconnectBackoffAfterDialFailures(t *testing.T) {
	rec := newAppRecorder()
	a := &App{URL: closedAddr(t)}
	rec.attach(a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bases, waits []time.Duration
	var times []time.Time
	a.onWait = func(base, d time.Duration) {
		// RunForever's goroutine: no lock needed, read after it returns.
		bases = append(bases, base)
		waits = append(waits, d)
		times = append(times, time.Now())
		if len(bases) == 6 {
			cancel() // a stop during the wait is clean
		}
	}
	err := result(t, runApp(t, ctx, a, RunOptions{ReconnectDelay: time.Millisecond, MaxReconnectDelay: 8 * time.Millisecond}))
	require.NoError(t, err)

	ms := time.Millisecond
	assert.Equal(t, []time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 8 * ms, 8 * ms}, bases)
	for i, d := range waits {
		assert.True(t, d >= bases[i]/2 && d <= bases[i], "wait %v for a delay of %v", d, bases[i])
		if i > 0 {
			// Timers never fire early: each attempt comes at least the
			// previous wait after the previous one.
			assert.GreaterOrEqual(t, times[i].Sub(times[i-1]), waits[i-1])
		}
	}
	errs, conns := rec.errors()
	assert.Len(t, errs, 6)
	for i := range errs {
		assert.Nil(t, conns[i], "OnError of a failed dial has no connection")
	}
	assert.Equal(t, 0, rec.count("open"))
	assert.Equal(t, 0, rec.count("reconnect"))
}

func TestAppBackoffStep(t *testing.T) {
	b := backoff{first: 10 * time.Millisecond, max: 80 * time.Millisecond, next: 10 * time.Millisecond}
	var got []time.Duration
	for range 6 {
		base, d := b.step()
		got = append(got, base)
		assert.True(t, d >= base/2 && d <= base)
	}
	assert.Equal(t, []time.Duration{10, 20, 40, 80, 80, 80}, scale(got, time.Millisecond))

	fixed := backoff{first: 10 * time.Millisecond, next: 10 * time.Millisecond}
	for range 3 {
		base, d := fixed.step()
		assert.Equal(t, 10*time.Millisecond, base)
		assert.Equal(t, base, d, "no jitter without backoff")
	}
}

func scale(ds []time.Duration, unit time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / unit
	}
	return out
}

func TestAppGracefulCloseStops(t *testing.T) {
	srv := newAppServer(t, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.Close(wsconn.CloseNormal, "done")
	})
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	err := result(t, runApp(t, context.Background(), a, RunOptions{ReconnectDelay: time.Millisecond}))
	require.NoError(t, err, "a graceful close by the server is a clean stop")
	assert.Equal(t, []string{"open", `close:1000:"done"`}, rec.list())
}

func TestAppGracefulCloseReconnects(t *testing.T) {
	srv := newAppServer(t, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.Close(wsconn.CloseServiceRestart, "restart")
	})
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.OnReconnect = func(c *wsconn.WebsocketConnection) {
		rec.add("reconnect")
		cancel()
	}
	err := result(t, runApp(t, ctx, a, RunOptions{ReconnectDelay: time.Millisecond, ReconnectOnClose: true}))
	require.NoError(t, err)
	events := rec.list()
	require.GreaterOrEqual(t, len(events), 3, "%q", events)
	assert.Equal(t, []string{"open", `close:1012:"restart"`, "reconnect"}, events[:3])
	assert.Equal(t, 1, rec.count("reconnect"))
	assert.Equal(t, 0, rec.count("error"))
}

// holdingServer accepts TCP connections on 127.0.0.1, runs first on each,
// one at a time, and then keeps it open, silent, until the test ends.
func holdingServer(t *testing.T, first func(conn net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			first(conn)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "ws://" + ln.Addr().String() + "/"
}

// silentServer completes WebSocket handshakes and then never reads nor
// writes again: a peer that is gone.
func silentServer(t *testing.T) string {
	return holdingServer(t, func(conn net.Conn) {
		conn.SetDeadline(time.Now().Add(waitTimeout))
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		h := make(http.Header)
		if _, _, err := (&handshake.Server{}).Process(req, h); err != nil {
			return
		}
		var b bytes.Buffer
		b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
		h.Write(&b)
		b.WriteString("\r\n")
		conn.Write(b.Bytes())
	})
}

// muteServer accepts TCP connections and never answers: a handshake
// against it can only time out.
func muteServer(t *testing.T) string {
	return holdingServer(t, func(net.Conn) {})
}

func TestAppPingTimeout(t *testing.T) {
	rec := newAppRecorder()
	a := &App{URL: silentServer(t)}
	rec.attach(a)
	err := result(t, runApp(t, context.Background(), a, RunOptions{
		PingInterval: 40 * time.Millisecond,
		PingTimeout:  20 * time.Millisecond,
	}))
	require.ErrorIs(t, err, wsconn.ErrPongTimeout)
	errs, conns := rec.errors()
	require.NotEmpty(t, errs)
	assert.ErrorIs(t, errs[0], wsconn.ErrPongTimeout)
	assert.NotNil(t, conns[0])
	assert.Equal(t, "open", rec.list()[0])
	assert.Equal(t, 1, rec.count(`close:1006:""`))
	assert.Equal(t, 0, rec.count(`pong:""`))
}

// lockedBuffer is a bytes.Buffer for a logger used by several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestAppPanicInCallback(t *testing.T) {
	srv := newAppServer(t, nil, nil)
	rec := newAppRecorder()
	var logged lockedBuffer
	a := &App{URL: srv.url, Logger: slog.New(slog.NewTextHandler(&logged, nil))}
	rec.attach(a)
	a.OnData, a.OnContMessage = nil, nil
	errOpen := errors.New("open failed")
	a.OnOpen = func(c *wsconn.WebsocketConnection) {
		rec.add("open")
		panic(errOpen)
	}
	a.OnMessage = func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
		rec.add("message:%s", data)
		if string(data) == "boom" {
			panic("boom")
		}
	}
	onError := a.OnError
	var calls atomic.Int32
	a.OnError = func(c *wsconn.WebsocketConnection, err error) {
		onError(c, err)
		if calls.Add(1) == 1 {
			panic("OnError too") // logged, not fatal
		}
	}
	done := runApp(t, context.Background(), a, RunOptions{})

	s := srv.next(t)
	require.NoError(t, s.SendText("boom"))
	require.NoError(t, s.SendText("next"))
	rec.wait(t, "message:next")
	require.NoError(t, s.Close(wsconn.CloseNormal, ""))
	require.NoError(t, result(t, done))

	assert.Equal(t, []string{"open", "error", "message:boom", "error", "message:next", `close:1000:""`}, rec.list())
	errs, _ := rec.errors()
	require.Len(t, errs, 2)
	var pe *PanicError
	require.ErrorAs(t, errs[0], &pe)
	assert.Equal(t, "OnOpen", pe.Callback)
	assert.ErrorIs(t, errs[0], errOpen)
	require.ErrorAs(t, errs[1], &pe)
	assert.Equal(t, "OnMessage", pe.Callback)
	assert.Equal(t, "boom", pe.Value)
	assert.NotEmpty(t, pe.Stack)
	assert.Contains(t, pe.Error(), "OnMessage")
	assert.Contains(t, logged.String(), "OnError panicked")
}

func TestAppCancelClosesGoingAway(t *testing.T) {
	srv := newAppServer(t, nil, nil)
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	rec.attach(a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runApp(t, ctx, a, RunOptions{ReconnectDelay: time.Millisecond})
	s := srv.next(t)
	rec.wait(t, "open")
	cancel()
	require.NoError(t, result(t, done))
	srv.waitClosed(t, s)
	assert.Equal(t, wsconn.CloseGoingAway, s.CloseCode())
	assert.Equal(t, "going away", s.CloseData())
	assert.Equal(t, []string{"open", `close:1001:"going away"`}, rec.list())
	st := s.CloseStatus()
	assert.True(t, st.Remote, "the client started the close")
}

func TestAppClose(t *testing.T) {
	srv := newAppServer(t, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
	})
	rec := newAppRecorder()
	a := &App{URL: srv.url}
	require.NoError(t, a.Close(wsconn.CloseNormal, ""), "Close without a run does nothing")
	rec.attach(a)
	a.OnData, a.OnContMessage = nil, nil
	a.OnOpen = func(c *wsconn.WebsocketConnection) {
		rec.add("open")
		// The open connection's Close checks the arguments: refused
		// ones are returned, and the run goes on.
		for _, bad := range []struct {
			code   wsconn.CloseCode
			reason string
			err    error
		}{
			{wsconn.CloseAbnormal, "", nil},
			{wsconn.CloseNoStatus, "reason without a code", nil},
			{wsconn.CloseNormal, "\xff", wsconn.ErrInvalidUTF8},
		} {
			err := a.Close(bad.code, bad.reason)
			if err == nil || bad.err != nil && !errors.Is(err, bad.err) {
				rec.add("bad close accepted: %d %q: %v", bad.code, bad.reason, err)
			}
		}
		if err := a.SendBinary([]byte{7}); err != nil {
			rec.add("send failed: %v", err)
		}
		if err := a.SendText("hi"); err != nil {
			rec.add("send failed: %v", err)
		}
	}
	a.OnMessage = func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
		rec.add("message:%s:%q", typ, data)
		if typ == wsconn.DataText {
			if err := a.Close(4000, "bye"); err != nil {
				rec.add("close failed: %v", err)
			}
		}
	}
	done := runApp(t, context.Background(), a, RunOptions{ReconnectDelay: time.Millisecond, ReconnectOnClose: true})
	s := srv.next(t)
	require.NoError(t, result(t, done))
	srv.waitClosed(t, s)
	assert.Equal(t, wsconn.CloseCode(4000), s.CloseCode())
	assert.Equal(t, "bye", s.CloseData())
	assert.Equal(t, []string{"open", `message:binary:"\a"`, `message:text:"hi"`, `close:4000:"bye"`}, rec.list())

	assert.ErrorIs(t, a.SendText("after"), wsconn.ErrNotOpen)
	assert.Nil(t, a.Conn())
	assert.NoError(t, a.Close(wsconn.CloseAbnormal, ""), "without a run, Close does nothing")
}

func TestAppDialFailure(t *testing.T) {
	rec := newAppRecorder()
	a := &App{URL: closedAddr(t)}
	rec.attach(a)
	err := result(t, runApp(t, context.Background(), a, RunOptions{}))
	require.Error(t, err)
	errs, conns := rec.errors()
	require.Len(t, errs, 1)
	assert.Equal(t, err, errs[0])
	assert.Nil(t, conns[0])
	assert.Equal(t, []string{"error"}, rec.list())
}

func TestAppDialRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusForbidden)
	}))
	defer srv.Close()
	a := &App{URL: srv.URL}
	err := result(t, runApp(t, context.Background(), a, RunOptions{}))
	var se *handshake.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusForbidden, se.Response.StatusCode)
}

// markedLoop is a Loop that tells whether a function of its own is running.
type markedLoop struct {
	*mainloop.Loop
	depth atomic.Int32
}

func (m *markedLoop) Invoke(f func()) {
	m.Loop.Invoke(func() {
		m.depth.Add(1)
		defer m.depth.Add(-1)
		f()
	})
}

func TestAppMainContext(t *testing.T) {
	srv := newAppServer(t, nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
	})
	loop := &markedLoop{Loop: mainloop.New()}
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		loop.Run()
	}()
	defer func() {
		loop.Quit()
		<-loopDone
	}()

	rec := newAppRecorder()
	rec.check = func() string {
		if loop.depth.Load() != 1 {
			return "not on the loop"
		}
		return ""
	}
	a := &App{URL: srv.url}
	rec.attach(a)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a.OnOpen = func(c *wsconn.WebsocketConnection) {
		rec.add("open")
		c.SendText("echo me")
	}
	a.OnMessage = func(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
		rec.add("message:%s:%q", typ, data)
		cancel()
	}
	err := result(t, runApp(t, ctx, a, RunOptions{MainContext: loop, PingInterval: 10 * time.Millisecond}))
	require.NoError(t, err)
	events := rec.list()
	assert.Equal(t, []string{"open", `message:text:"echo me"`, `close:1001:"going away"`}, only(events, "open", "message", "close", "error", "BAD"))
	for _, e := range events {
		assert.False(t, strings.HasPrefix(e, "BAD"), e)
	}

	// A failed dial reports on the loop too.
	rec2 := newAppRecorder()
	rec2.check = rec.check
	b := &App{URL: closedAddr(t)}
	rec2.attach(b)
	require.Error(t, result(t, runApp(t, context.Background(), b, RunOptions{MainContext: loop})))
	assert.Equal(t, []string{"error"}, rec2.list())
}

func TestAppDialOptions(t *testing.T) {
	type seen struct{ host, cookie, origin, path string }
	got := make(chan seen, 1)
	srv := newAppServer(t, &wsconn.AcceptOptions{
		Protocols:      []string{"chat.v2"},
		OriginPatterns: []string{"app.example"},
		ResponseHeader: http.Header{"Set-Cookie": {"visited=yes"}},
	}, func(c *wsconn.WebsocketConnection, r *http.Request) {
		s := seen{host: r.Host, origin: r.Header.Get("Origin"), path: r.URL.Path}
		if ck, err := r.Cookie("session"); err == nil {
			s.cookie = ck.Value
		}
		got <- s
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	u, err := url.Parse(srv.url)
	require.NoError(t, err)
	jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: "42"}})

	rec := newAppRecorder()
	a := &App{URL: srv.url + "/feed", Dial: wsconn.DialOptions{
		Header:    http.Header{"Host": {"ws.example.test"}},
		Origin:    "http://app.example",
		Protocols: []string{"chat.v1", "chat.v2"},
		Jar:       jar,
	}}
	rec.attach(a)
	a.OnOpen = func(c *wsconn.WebsocketConnection) {
		rec.add("open:%s", c.Protocol())
		c.Close(wsconn.CloseNormal, "")
	}
	require.NoError(t, result(t, runApp(t, context.Background(), a, RunOptions{})))
	assert.Equal(t, "open:chat.v2", rec.list()[0])
	select {
	case s := <-got:
		assert.Equal(t, seen{host: "ws.example.test", cookie: "42", origin: "http://app.example", path: "/feed"}, s)
	case <-time.After(waitTimeout):
		t.Fatal("no request")
	}
	names := []string{}
	for _, c := range jar.Cookies(u) {
		names = append(names, c.Name)
	}
	assert.ElementsMatch(t, []string{"session", "visited"}, names)
}

func TestAppRunOptionsChecked(t *testing.T) {
	a := &App{URL: "ws://127.0.0.1:1/"}
	ctx := context.Background()
	assert.Error(t, a.RunForever(ctx, RunOptions{PingPayload: make([]byte, 126)}))
	assert.Error(t, a.RunForever(ctx, RunOptions{PingInterval: -1}))
	assert.Error(t, a.RunForever(ctx, RunOptions{ReconnectDelay: -1}))
	assert.ErrorContains(t, a.RunForever(ctx, RunOptions{PingTimeout: time.Second}), "needs a ping interval")
	assert.ErrorContains(t, a.RunForever(ctx, RunOptions{PingInterval: time.Second, PingTimeout: time.Second}), "shorter than the ping interval")

	// One run at a time.
	srv := newAppServer(t, nil, nil)
	b := &App{URL: srv.url}
	opened := make(chan struct{})
	b.OnOpen = func(*wsconn.WebsocketConnection) { close(opened) }
	done := runApp(t, ctx, b, RunOptions{})
	select {
	case <-opened:
	case <-time.After(waitTimeout):
		t.Fatal("not open")
	}
	assert.ErrorContains(t, b.RunForever(ctx, RunOptions{}), "running already")
	require.NoError(t, b.Close(wsconn.CloseNormal, ""))
	require.NoError(t, result(t, done))
}

// A MainContext that has stopped running does not keep a cancelled
// RunForever from returning: the wait for the close is bounded.
func TestAppStopWithStalledMainContext(t *testing.T) {
	srv := newAppServer(t, nil, nil)
	loop := mainloop.New() // never run while RunForever runs
	var opened atomic.Bool
	a := &App{URL: srv.url, Dial: wsconn.DialOptions{ConnectionOptions: &wsconn.Options{CloseTimeout: 50 * time.Millisecond}}}
	a.OnOpen = func(*wsconn.WebsocketConnection) { opened.Store(true) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runApp(t, ctx, a, RunOptions{MainContext: loop})
	s := srv.next(t)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitTimeout)
	for a.Conn() == nil { // wsconn.Dial has returned; no callback can tell, the loop is stalled
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("not connected")
		}
	}
	cancel()
	require.NoError(t, result(t, done))
	srv.waitClosed(t, s)
	assert.Equal(t, wsconn.CloseGoingAway, s.CloseCode())
	assert.False(t, opened.Load())
	// What was queued runs when the loop runs again.
	for i := 0; i < 100 && loop.Iterate(false); i++ {
	}
	assert.True(t, opened.Load())
}

// TestAppHandshakeTimeout: a server that accepts TCP and never answers
// gives OnError and a retry when reconnect is on, and RunForever returns
// that error otherwise, with the App's default handshake timeout.
func TestAppHandshakeTimeout(t *testing.T) {
	defer func(d time.Duration) { appHandshakeTimeout = d }(appHandshakeTimeout)
	appHandshakeTimeout = 50 * time.Millisecond
	url := muteServer(t)

	t.Run("no reconnect", func(t *testing.T) {
		rec := newAppRecorder()
		a := &App{URL: url}
		rec.attach(a)
		err := result(t, runApp(t, context.Background(), a, RunOptions{}))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		errs, conns := rec.errors()
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], context.DeadlineExceeded)
		assert.Nil(t, conns[0])
	})

	t.Run("reconnect", func(t *testing.T) {
		a := &App{URL: url}
		failures := make(chan error, 10)
		a.OnError = func(c *wsconn.WebsocketConnection, err error) {
			select {
			case failures <- err:
			default:
			}
		}
		done := runApp(t, context.Background(), a, RunOptions{ReconnectDelay: time.Millisecond})
		for i := 0; i < 2; i++ {
			select {
			case err := <-failures:
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			case <-time.After(waitTimeout):
				t.Fatal("no handshake timeout reported")
			}
		}
		require.NoError(t, a.Close(wsconn.CloseNormal, ""))
		require.NoError(t, result(t, done))
	})
}
