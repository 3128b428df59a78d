package wsconn

import (
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/mainloop"
)

func TestDisconnect(t *testing.T) {
	client, server, _, sr := pair(t, nil)
	var calls atomic.Int32
	id := server.OnMessage(func(DataType, []byte) { calls.Add(1) })
	require.NoError(t, client.SendText("one"))
	sr.message(t)
	server.Disconnect(id)
	server.Disconnect(id) // twice is harmless
	require.NoError(t, client.SendText("two"))
	sr.message(t) // the recorder still runs, after the disconnected one would have
	assert.Equal(t, int32(1), calls.Load())
}

func TestSubscribe(t *testing.T) {
	client, server, _, _ := pair(t, nil)
	all := server.Subscribe()
	msgs := server.Subscribe("message")
	require.NoError(t, client.SendText("hello"))
	require.NoError(t, client.Close(CloseNormal, "bye"))

	ev := <-msgs
	assert.Equal(t, Event{Signal: "message", Type: DataText, Data: []byte("hello")}, ev)
	_, open := <-msgs
	assert.False(t, open, "closed after the closed event")

	var got []string
	for ev := range all {
		s := string(ev.Signal)
		if ev.Signal == "notify" {
			s += ":" + ev.Property + ":" + ev.State.String()
		}
		got = append(got, s)
	}
	assert.Equal(t, []string{"message", "notify:state:closing", "closing", "notify:state:closed", "closed"}, got)

	late := server.Subscribe()
	_, open = <-late
	assert.False(t, open, "a subscription after closed is closed at once")
}

func TestUnsubscribeWhileFull(t *testing.T) {
	client, server, _, sr := pair(t, nil)
	ch := server.Subscribe("message")
	// Fill the subscription and more: its reader is gone.
	for i := 0; i < subscriptionBuffer+10; i++ {
		require.NoError(t, client.SendText("x"))
	}
	for i := 0; i < subscriptionBuffer; i++ {
		sr.message(t)
	}
	server.Unsubscribe(ch)
	for i := 0; i < 10; i++ {
		sr.message(t) // delivery goes on
	}
	server.Unsubscribe(ch) // twice is harmless
}

func TestHandlersNeverRunConcurrentlyAndKeepOrder(t *testing.T) {
	client, server, _, _ := pair(t, nil)
	var running atomic.Int32
	var mu sync.Mutex
	var order []string
	overlap := false
	enter := func(what string) func() {
		if running.Add(1) != 1 {
			overlap = true
		}
		mu.Lock()
		order = append(order, what)
		mu.Unlock()
		return func() { running.Add(-1) }
	}
	done := make(chan struct{})
	server.OnMessage(func(_ DataType, d []byte) { defer enter("message " + string(d))() })
	server.OnNotify(func(p string) { defer enter("notify " + p)() })
	server.OnClosing(func() { defer enter("closing")() })
	server.OnClosed(func() { defer enter("closed")(); close(done) })
	for i := 0; i < 50; i++ {
		require.NoError(t, client.SendText(string(rune('a'+i%26))))
		// Property changes from another goroutine interleave with messages.
		server.SetMaxTotalMessageSize(int64(1000 + i))
	}
	require.NoError(t, client.Close(CloseNormal, ""))
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("not closed")
	}
	assert.False(t, overlap, "handlers overlapped")
	var msgs []string
	for _, o := range order {
		if strings.HasPrefix(o, "message ") {
			msgs = append(msgs, o)
		}
	}
	require.Len(t, msgs, 50)
	for i, m := range msgs {
		assert.Equal(t, "message "+string(rune('a'+i%26)), m)
	}
	assert.Equal(t, "closed", order[len(order)-1])
}

func TestMainContextRunsEveryHandlerOnTheLoop(t *testing.T) {
	loop := mainloop.New()
	a, b := pipePair()
	var onLoop atomic.Bool
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, &Options{MainContext: loop})
	check := func() {
		if !onLoop.Load() {
			t.Error("handler ran outside the loop")
		}
	}
	var got []string
	server.OnMessage(func(_ DataType, d []byte) { check(); got = append(got, string(d)) })
	server.OnNotify(func(string) { check() })
	server.OnClosing(func() { check() })
	server.OnClosed(func() { check(); loop.Quit() })
	for _, m := range []string{"1", "2", "3"} {
		require.NoError(t, client.SendText(m))
	}
	require.NoError(t, client.Close(CloseNormal, ""))
	done := make(chan struct{})
	go func() {
		defer close(done)
		onLoop.Store(true)
		loop.Run()
		onLoop.Store(false)
	}()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("loop did not quit")
	}
	assert.Equal(t, []string{"1", "2", "3"}, got)
	assert.Equal(t, StateClosed, server.State())
	client.Abort()
}

// TestSlowConsumerPausesReading checks the back-pressure contract: while a
// message handler is busy, the connection reads on until the receive
// buffer is full, then stops, so the peer's writes stop once the
// transport's buffers are full too; memory stays bounded.
func TestSlowConsumerPausesReading(t *testing.T) {
	const pipeBuf = 16 << 10
	const bound = 32 << 10
	a, b := pipeSized(pipeBuf)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, &Options{ReceiveBufferSize: bound})
	release := make(chan struct{})
	var handled atomic.Int32
	server.OnMessage(func(DataType, []byte) {
		handled.Add(1)
		<-release
	})
	closed := make(chan struct{})
	server.OnClosed(func() { close(closed) })
	released := false
	defer func() {
		if !released {
			close(release)
		}
		server.Abort()
		<-closed
	}()

	msg := frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}}, make([]byte, 1000))
	written := 0
	var err error
	for i := 0; i < 1000; i++ {
		a.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err = a.Write(msg); err != nil {
			break
		}
		written++
	}
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the peer's writes must block")
	// What was accepted fits the pipe, the read buffer, the receive
	// buffer and a message or two.
	assert.LessOrEqual(t, written*len(msg), pipeBuf+readBufSize+bound+2*len(msg))
	assert.GreaterOrEqual(t, written*len(msg), bound, "the receive buffer filled first")
	require.Eventually(t, func() bool { return handled.Load() >= 1 }, waitTimeout, time.Millisecond)
	assert.Equal(t, int32(1), handled.Load(), "one message at a time")

	a.SetWriteDeadline(time.Time{})
	close(release)
	released = true
	assert.Eventually(t, func() bool { return int(handled.Load()) >= written }, waitTimeout, time.Millisecond)
	a.Close()
}

// TestIdleConnectionHasOneGoroutine counts the goroutines of idle
// connections: one reader each, no writer and no dispatcher.
func TestIdleConnectionHasOneGoroutine(t *testing.T) {
	const n = 20
	for i := 0; i < n; i++ {
		client, server, cr, sr := tcpPair(t, nil)
		require.NoError(t, client.SendText("wake up"))
		require.NoError(t, server.SendText("wake up"))
		sr.message(t)
		cr.message(t)
	}
	// Writers and dispatchers end once their work is done.
	var stacks []string
	deadline := time.Now().Add(waitTimeout)
	for {
		stacks = connectionGoroutines()
		if len(stacks) == 2*n || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond) // polling a count: no event to wait on
	}
	if !assert.Len(t, stacks, 2*n) {
		t.Logf("goroutines:\n%s", strings.Join(stacks, "\n\n"))
	}
	for _, s := range stacks {
		assert.Contains(t, s, "wsconn.(*reader).run", "only readers remain")
	}
}

// connectionGoroutines returns the stacks of the goroutines running code of
// this package, other than tests.
func connectionGoroutines() []string {
	buf := make([]byte, 4<<20)
	var out []string
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "wsconn/wsconn.(*") && !strings.Contains(g, "wsconn.Test") {
			out = append(out, g)
		}
	}
	return out
}

// TestEventsWaitForHandlers checks that nothing is lost when the peer
// speaks, and even closes, before the handlers are connected.
func TestEventsWaitForHandlers(t *testing.T) {
	a, b := pipePair()
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, nil)
	cr := record(client)
	require.NoError(t, client.SendText("early"))
	require.NoError(t, client.Close(CloseNormal, "early close"))
	// The server holds the message for its first receiver, but reads on:
	// the closing handshake completes without any handler.
	require.Eventually(t, func() bool { return server.State() == StateClosed }, waitTimeout, time.Millisecond)

	sr := record(server)
	assert.Equal(t, "early", string(sr.message(t).data))
	sr.waitClosed(t)
	cr.waitClosed(t)
	assert.Equal(t, []string{"message", "notify:state", "closing", "notify:state", "closed"}, sr.list())
	assert.Equal(t, "early close", server.CloseData())
}

// TestOtherHandlersDoNotReleaseMessages: a message waits for a message
// receiver even when other handlers are connected.
func TestOtherHandlersDoNotReleaseMessages(t *testing.T) {
	a, b := pipePair()
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", nil, nil)
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", nil, nil)
	cr := record(client)
	notified := make(chan string, 10)
	server.OnNotify(func(p string) { notified <- p })
	require.NoError(t, client.SendText("held"))
	server.SetMaxTotalMessageSize(1 << 20) // a notify comes through at once
	assert.Equal(t, "max-total-message-size", <-notified)
	got := make(chan string, 1)
	ch := server.Subscribe("message")
	go func() {
		ev := <-ch
		got <- string(ev.Data)
	}()
	select {
	case m := <-got:
		assert.Equal(t, "held", m)
	case <-time.After(waitTimeout):
		t.Fatal("message not delivered to the subscription")
	}
	client.Abort()
	server.Abort()
	cr.waitClosed(t)
}

func TestClosedHandlerConnectedAfterClose(t *testing.T) {
	client, server, _, sr := pair(t, nil)
	require.NoError(t, client.Close(CloseNormal, ""))
	sr.waitClosed(t)
	late := make(chan struct{}, 2)
	server.OnClosed(func() { late <- struct{}{} })
	select {
	case <-late:
	case <-time.After(waitTimeout):
		t.Fatal("a closed handler connected after the close was not called")
	}
	select {
	case <-late:
		t.Fatal("called twice")
	default:
	}
	assert.Equal(t, 1, strings.Count(strings.Join(sr.list(), " "), "closed"), "the other handlers ran once")
}

func TestHoldPausesDelivery(t *testing.T) {
	client, server := bare(t, nil)
	got := make(chan string, 10)
	server.Hold(func() {
		server.OnMessage(func(_ DataType, d []byte) { got <- "message " + string(d) })
		require.NoError(t, client.SendText("early"))
		require.NoError(t, client.Close(CloseNormal, ""))
		// Nothing is delivered while Hold runs, even after the first
		// handler: wait for the client to have sent its close, then
		// connect the others.
		require.Eventually(t, func() bool { return server.State() == StateClosed }, waitTimeout, time.Millisecond)
		assert.Empty(t, got)
		server.OnClosing(func() { got <- "closing" })
		server.OnClosed(func() { got <- "closed" })
	})
	for _, want := range []string{"message early", "closing", "closed"} {
		select {
		case g := <-got:
			assert.Equal(t, want, g)
		case <-time.After(waitTimeout):
			t.Fatalf("no %s", want)
		}
	}
}
