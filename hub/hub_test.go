package hub_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hub"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitTimeout = 10 * time.Second

// server serves WebSockets that join the topic named by their path
// (/room/NAME) in h, and publish there every message they send.
type server struct {
	*httptest.Server
	h *hub.Hub
}

// smallBuffers makes the kernel buffer little of what the server writes,
// so that a client that does not read is soon a slow consumer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func newServer(t *testing.T, opts *hub.Options) *server {
	t.Helper()
	h := hub.New(opts)
	s := &server{h: h}
	big := &wsconn.Options{MaxIncomingPayloadSize: 1 << 20, MaxTotalMessageSize: 1 << 20, MaxQueuedBytes: 64 << 20}
	s.Server = httptest.NewUnstartedServer(wsconn.Handler(&wsconn.AcceptOptions{InsecureSkipOriginCheck: true, ConnectionOptions: big},
		func(c *wsconn.WebsocketConnection, r *http.Request) {
			room := strings.TrimPrefix(r.URL.Path, "/room/")
			if err := h.Join(room, c); err != nil {
				c.Close(wsconn.CloseInternalError, err.Error())
				return
			}
			c.OnMessage(func(typ wsconn.DataType, data []byte) {
				if err := h.Publish(room, typ, data); err != nil {
					t.Errorf("publish: %v", err)
				}
			})
		}))
	s.Listener = smallBuffers{s.Listener}
	s.Start()
	t.Cleanup(func() {
		h.Close()
		s.Close()
	})
	return s
}

// client is a wsconn client that collects what it receives.
type client struct {
	c    *wsconn.WebsocketConnection
	msgs chan string
}

func (s *server) dial(t *testing.T, room string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, _, err := wsconn.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/room/"+room, &wsconn.DialOptions{
		ConnectionOptions: &wsconn.Options{MaxIncomingPayloadSize: 1 << 20, MaxTotalMessageSize: 1 << 20},
	})
	require.NoError(t, err)
	cl := &client{c: c, msgs: make(chan string, 10000)}
	c.OnMessage(func(_ wsconn.DataType, data []byte) { cl.msgs <- string(data) })
	t.Cleanup(func() {
		c.Close(wsconn.CloseNormal, "")
		select {
		case <-c.Done():
		case <-time.After(waitTimeout):
			t.Error("client did not close")
		}
	})
	return cl
}

func (cl *client) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-cl.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("no message")
	}
	return ""
}

// waitStats polls the hub's figures until cond holds.
func waitStats(t *testing.T, h *hub.Hub, what string, cond func(hub.Stats) bool) hub.Stats {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		s := h.Stats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, s)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestPublishReachesTheTopicInOrder(t *testing.T) {
	s := newServer(t, nil)
	var a, b []*client
	for range 3 {
		a = append(a, s.dial(t, "a"))
	}
	for range 2 {
		b = append(b, s.dial(t, "b"))
	}
	waitStats(t, s.h, "5 members", func(st hub.Stats) bool { return st.Connections == 5 && st.Topics == 2 })

	const n = 100
	for i := range n {
		require.NoError(t, s.h.Publish("a", wsconn.DataText, []byte(fmt.Sprint("a", i))))
	}
	require.NoError(t, s.h.Publish("b", wsconn.DataText, []byte("b only")))
	for _, cl := range a {
		for i := range n {
			require.Equal(t, fmt.Sprint("a", i), cl.next(t))
		}
	}
	for _, cl := range b {
		assert.Equal(t, "b only", cl.next(t))
	}
	// A member's own message comes back to it and to the others.
	require.NoError(t, b[0].c.SendText("from b0"))
	for _, cl := range b {
		assert.Equal(t, "from b0", cl.next(t))
	}
	st := s.h.Stats()
	assert.Equal(t, uint64(n+2), st.Published)
	assert.Equal(t, uint64(3*n+2+2), st.Delivered)
	assert.Zero(t, st.Dropped)
	for _, cl := range a {
		assert.Empty(t, cl.msgs, "a member of a got a message of b")
	}
}

func TestLeaveAndClose(t *testing.T) {
	s := newServer(t, nil)
	c1, c2 := s.dial(t, "r"), s.dial(t, "r")
	waitStats(t, s.h, "2 members", func(st hub.Stats) bool { return st.Connections == 2 })
	c1.c.Close(wsconn.CloseNormal, "")
	waitStats(t, s.h, "a closed connection to leave", func(st hub.Stats) bool { return st.Connections == 1 })
	require.NoError(t, s.h.Publish("r", wsconn.DataBinary, []byte("x")))
	assert.Equal(t, "x", c2.next(t))
	c2.c.Close(wsconn.CloseNormal, "")
	waitStats(t, s.h, "the topic to go", func(st hub.Stats) bool { return st.Connections == 0 && st.Topics == 0 })
}

// rawClient does the handshake for /room/room and then reads nothing
// until told: a slow consumer. Its receive buffer is small.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
}

func dialRaw(t *testing.T, s *server, room string) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).SetReadBuffer(4096))
	t.Cleanup(func() { conn.Close() })
	req := "GET /room/" + room + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	_, err = io.WriteString(conn, req)
	require.NoError(t, err)
	br := bufio.NewReaderSize(conn, 64)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, 101, resp.StatusCode)
	return &rawClient{conn: conn, br: br}
}

// frame reads one unmasked frame.
func (r *rawClient) frame() (op byte, payload []byte, err error) {
	r.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	var h [2]byte
	if _, err = io.ReadFull(r.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(r.br, b[:])
		n = int64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(r.br, b[:])
		n = int64(binary.BigEndian.Uint64(b[:]))
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r.br, payload)
	return h[0] & 0x0f, payload, err
}

// TestSlowConsumerDropsOldest: a member that does not read loses its
// oldest messages, counted, while the others get every message; when it
// reads again, it gets an increasing subsequence that ends with the last
// message published.
func TestSlowConsumerDropsOldest(t *testing.T) {
	const bound = 64 << 10
	s := newServer(t, &hub.Options{MaxQueuedBytes: bound})
	fast := s.dial(t, "feed")
	slow := dialRaw(t, s, "feed")
	waitStats(t, s.h, "2 members", func(st hub.Stats) bool { return st.Connections == 2 })

	payload := make([]byte, 8<<10)
	const n = 400 // 3.2 MB: far more than the slow client's buffers take
	for i := range n {
		binary.BigEndian.PutUint32(payload, uint32(i))
		require.NoError(t, s.h.Publish("feed", wsconn.DataBinary, payload))
		// Published as fast as the fast member reads: it misses nothing.
		got := fast.next(t)
		require.Equal(t, uint32(i), binary.BigEndian.Uint32([]byte(got)), "the fast member misses nothing")
		// What waits (for the slow member) stays within the bound and one
		// message.
		require.LessOrEqual(t, s.h.Stats().QueuedBytes, int64(bound+len(payload)))
	}
	st := s.h.Stats()
	assert.Greater(t, st.Dropped, uint64(0), "nothing was dropped for the slow member")

	// The slow member reads again: an increasing sequence ending with the
	// last message.
	last := -1
	for received := 0; last != n-1; received++ {
		require.Less(t, received, n, "more messages than published")
		op, p, err := slow.frame()
		require.NoError(t, err, "after message %d", last)
		require.Equal(t, byte(2), op)
		seq := int(binary.BigEndian.Uint32(p))
		require.Greater(t, seq, last, "out of order")
		last = seq
	}
	st = waitStats(t, s.h, "the slow member's queue to empty", func(st hub.Stats) bool { return st.QueuedBytes == 0 })
	assert.Equal(t, uint64(2*n), st.Delivered+st.Dropped, "every message is delivered or dropped, to each of 2 members")
}

// TestCloseSlow: under CloseSlow a member whose queue stays full is
// closed with 1008.
func TestCloseSlow(t *testing.T) {
	s := newServer(t, &hub.Options{MaxQueuedBytes: 32 << 10, Policy: hub.CloseSlow, SlowTimeout: 50 * time.Millisecond})
	fast := s.dial(t, "feed")
	slow := dialRaw(t, s, "feed")
	waitStats(t, s.h, "2 members", func(st hub.Stats) bool { return st.Connections == 2 })
	payload := make([]byte, 8<<10)
	deadline := time.Now().Add(waitTimeout)
	for i := 0; s.h.Stats().SlowClosed == 0; i++ {
		require.True(t, time.Now().Before(deadline), "the slow member was not closed")
		require.Less(t, i, 100000)
		require.NoError(t, s.h.Publish("feed", wsconn.DataBinary, payload))
		fast.next(t) // published as fast as the fast member reads
	}
	for {
		op, p, err := slow.frame()
		require.NoError(t, err)
		if op == 8 {
			require.GreaterOrEqual(t, len(p), 2)
			assert.Equal(t, uint16(1008), binary.BigEndian.Uint16(p))
			assert.Equal(t, "slow consumer", string(p[2:]))
			break
		}
	}
	assert.Equal(t, wsconn.StateOpen, fast.c.State(), "the fast member stays")
}

// memBroker connects hubs in one process, standing for a real broker in
// the tests of the hub's own behaviour (module hubnats tests NATS).
type memBroker struct {
	mu   sync.Mutex
	subs map[string][]*memSub
	fail error
}

type memSub struct {
	mu      sync.Mutex // one delivery at a time, in order
	deliver func(wsconn.DataType, []byte)
}

func (b *memBroker) Publish(topic string, typ wsconn.DataType, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	for _, s := range b.subs[topic] {
		s.mu.Lock()
		s.deliver(typ, data)
		s.mu.Unlock()
	}
	return nil
}

func (b *memBroker) Subscribe(topic string, deliver func(wsconn.DataType, []byte)) (func() error, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[string][]*memSub)
	}
	s := &memSub{deliver: deliver}
	b.subs[topic] = append(b.subs[topic], s)
	return func() error {
		b.mu.Lock()
		defer b.mu.Unlock()
		list := b.subs[topic]
		for i, x := range list {
			if x == s {
				b.subs[topic] = append(list[:i], list[i+1:]...)
				break
			}
		}
		return nil
	}, nil
}

func (b *memBroker) subscribers(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[topic])
}

func TestBrokerSpansHubs(t *testing.T) {
	b := &memBroker{}
	s1 := newServer(t, &hub.Options{Broker: b})
	s2 := newServer(t, &hub.Options{Broker: b})
	c1, c2 := s1.dial(t, "room"), s2.dial(t, "room")
	waitStats(t, s2.h, "a member", func(st hub.Stats) bool { return st.Connections == 1 })
	assert.Equal(t, 2, b.subscribers("room"), "one subscription per hub")

	require.NoError(t, c1.c.SendText("hello from 1"))
	assert.Equal(t, "hello from 1", c1.next(t))
	assert.Equal(t, "hello from 1", c2.next(t))
	for i := range 50 {
		require.NoError(t, s2.h.Publish("room", wsconn.DataText, []byte(fmt.Sprint(i))))
	}
	for i := range 50 {
		assert.Equal(t, fmt.Sprint(i), c1.next(t))
		assert.Equal(t, fmt.Sprint(i), c2.next(t))
	}

	// A publish the broker refuses is reported to the publisher.
	b.mu.Lock()
	b.fail = errors.New("link down")
	b.mu.Unlock()
	err := s1.h.Publish("room", wsconn.DataText, []byte("lost"))
	assert.ErrorContains(t, err, "link down")

	// The last member leaving a topic unsubscribes its hub.
	c1.c.Close(wsconn.CloseNormal, "")
	waitStats(t, s1.h, "no member", func(st hub.Stats) bool { return st.Topics == 0 })
	assert.Equal(t, 1, b.subscribers("room"))
}

func TestClosedHub(t *testing.T) {
	s := newServer(t, nil)
	c := s.dial(t, "x")
	waitStats(t, s.h, "a member", func(st hub.Stats) bool { return st.Connections == 1 })
	require.NoError(t, s.h.Close())
	assert.Equal(t, hub.Stats{}, s.h.Stats(), "a closed hub holds nothing")
	assert.ErrorIs(t, s.h.Publish("x", wsconn.DataText, []byte("x")), hub.ErrClosed)
	// A connection that joins a closed hub is refused (the server's
	// handler closes it with 1011 and the error).
	c2 := s.dial(t, "x")
	select {
	case <-c2.c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("a connection joined a closed hub")
	}
	assert.Equal(t, wsconn.CloseInternalError, c2.c.CloseStatus().Code)
	assert.Equal(t, hub.ErrClosed.Error(), c2.c.CloseStatus().Reason)
	assert.Equal(t, wsconn.StateOpen, c.c.State(), "Close leaves the connections open")
	assert.Error(t, s.h.Join("x", nil))
}

func TestPublishInvalidUTF8(t *testing.T) {
	s := newServer(t, nil)
	s.dial(t, "r")
	waitStats(t, s.h, "a member", func(st hub.Stats) bool { return st.Connections == 1 })
	assert.ErrorIs(t, s.h.Publish("r", wsconn.DataText, []byte{0xff}), wsconn.ErrInvalidUTF8)
}

// slowBroker is memBroker whose Subscribe waits for gate, and fails with
// failNext once.
type slowBroker struct {
	memBroker
	gate     chan struct{}
	entered  chan string
	failNext error
}

func (b *slowBroker) Subscribe(topic string, deliver func(wsconn.DataType, []byte)) (func() error, error) {
	b.entered <- topic
	<-b.gate
	b.mu.Lock()
	err := b.failNext
	b.failNext = nil
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return b.memBroker.Subscribe(topic, deliver)
}

// TestJoinDoesNotStallTheHub: while the broker subscribes a new topic (a
// round trip for NATS), the hub goes on delivering the others; joins of
// the same topic wait for the subscription and share its outcome.
func TestJoinDoesNotStallTheHub(t *testing.T) {
	b := &slowBroker{gate: make(chan struct{}), entered: make(chan string, 4)}
	s := newServer(t, &hub.Options{Broker: b})

	// A first topic, subscribed at once.
	go func() { <-b.entered; b.gate <- struct{}{} }()
	old := s.dial(t, "old")
	waitStats(t, s.h, "a member of old", func(st hub.Stats) bool { return st.Connections == 1 })

	// A new topic whose subscription waits: the handlers' Joins of two
	// connections block in the broker.
	s.dial(t, "x")
	s.dial(t, "x")
	select {
	case topic := <-b.entered:
		require.Equal(t, "x", topic)
	case <-time.After(waitTimeout):
		t.Fatal("no subscription started")
	}

	// Meanwhile the hub delivers on the old topic.
	require.NoError(t, s.h.Publish("old", wsconn.DataText, []byte("still served")))
	assert.Equal(t, "still served", old.next(t))
	assert.Equal(t, 1, s.h.Stats().Connections, "the joins of x are not done")

	close(b.gate) // the subscription completes
	waitStats(t, s.h, "both members of x", func(st hub.Stats) bool { return st.Connections == 3 })
	assert.Equal(t, 2, b.subscribers("old")+b.subscribers("x"), "one subscription per topic")

	// A failed subscription fails the join, and the next one tries again.
	b.mu.Lock()
	b.failNext = errors.New("broker down")
	b.mu.Unlock()
	conn := s.dial(t, "y") // the handler closes it with 1011 and the error
	select {
	case <-conn.c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("the member of a failed topic stayed")
	}
	assert.Equal(t, wsconn.CloseInternalError, conn.c.CloseStatus().Code)
	assert.Contains(t, conn.c.CloseStatus().Reason, "broker down")
	s.dial(t, "y")
	waitStats(t, s.h, "a member of y", func(st hub.Stats) bool { return st.Connections == 4 })
}
