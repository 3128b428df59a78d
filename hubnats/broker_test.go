package hubnats_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hubnats"
)

// received is what a subscription's deliver got.
type received struct {
	mu   sync.Mutex
	msgs []msg
	ch   chan struct{} // a message arrived
}

func newReceived() *received { return &received{ch: make(chan struct{}, 1<<16)} }

func (r *received) deliver(typ wsconn.DataType, data []byte) {
	r.mu.Lock()
	r.msgs = append(r.msgs, msg{typ, string(data)})
	r.mu.Unlock()
	r.ch <- struct{}{}
}

// wait waits until n messages have arrived, and returns them.
func (r *received) wait(t *testing.T, n int) []msg {
	t.Helper()
	for {
		r.mu.Lock()
		got := len(r.msgs)
		r.mu.Unlock()
		if got >= n {
			break
		}
		await(t, r.ch, fmt.Sprintf("message %d of %d", got+1, n))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]msg(nil), r.msgs...)
}

// TestDeliverOneAtATime: nats.go calls a subscription's handler from one
// goroutine, so deliver never runs twice at once, and each publisher's
// messages come in the order it published them, while four publishers on
// two connections publish at once.
func TestDeliverOneAtATime(t *testing.T) {
	ns := startNATS(t, -1)
	nc1, _ := connect(t, ns.ClientURL())
	nc2, _ := connect(t, ns.ClientURL())
	b1, b2 := hubnats.New(nc1, nil), hubnats.New(nc2, nil)

	const publishers, n = 4, 500
	var inside, overlaps atomic.Int32
	r := newReceived()
	unsub, err := b1.Subscribe("seq", func(typ wsconn.DataType, data []byte) {
		if inside.Add(1) != 1 {
			overlaps.Add(1)
		}
		for range 100 { // widen the window a concurrent call would hit
			if inside.Load() != 1 {
				overlaps.Add(1)
			}
		}
		inside.Add(-1)
		r.deliver(typ, data)
	})
	require.NoError(t, err)
	defer unsub()

	var wg sync.WaitGroup
	for p := range publishers {
		b := b1
		if p%2 == 1 {
			b = b2
		}
		wg.Go(func() {
			for i := range n {
				if err := b.Publish("seq", wsconn.DataText, fmt.Appendf(nil, "%d %d", p, i)); err != nil {
					t.Errorf("publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := r.wait(t, publishers*n)
	assert.Zero(t, overlaps.Load(), "deliver ran concurrently")
	next := make([]int, publishers)
	for _, m := range got {
		var p, i int
		_, err := fmt.Sscanf(m.data, "%d %d", &p, &i)
		require.NoError(t, err)
		require.Equal(t, next[p], i, "publisher %d out of order", p)
		next[p]++
	}
	assert.Len(t, got, publishers*n)
}

// TestSlowSubscriptionReported: past its pending limits, nats.go drops a
// subscription's messages; the Broker reports how many, and delivered
// plus dropped is what was published.
func TestSlowSubscriptionReported(t *testing.T) {
	ns := startNATS(t, -1)
	nc, _ := connect(t, ns.ClientURL())
	errs := &errorLog{}
	b := hubnats.New(nc, &hubnats.Options{PendingMsgsLimit: 10, OnError: errs.add})

	release := make(chan struct{})
	r := newReceived()
	first := true
	unsub, err := b.Subscribe("slow", func(typ wsconn.DataType, data []byte) {
		if first { // deliver is sequential: no lock needed
			first = false
			<-release
		}
		r.deliver(typ, data)
	})
	require.NoError(t, err)
	defer unsub()

	const n = 100
	for i := range n {
		require.NoError(t, b.Publish("slow", wsconn.DataText, fmt.Append(nil, i)))
	}
	// The server sends the messages, then the answer to this round trip,
	// on the connection: when it returns, nats.go has queued or dropped
	// them all.
	require.NoError(t, nc.Flush())
	close(release)

	// Drops are reported as deliver is called, until every message is
	// delivered or reported dropped.
	reported := func() int {
		k := 0
		for _, err := range errs.all() {
			require.ErrorIs(t, err, nats.ErrSlowConsumer)
			var sc *hubnats.SlowConsumerError
			require.ErrorAs(t, err, &sc)
			assert.Equal(t, "slow", sc.Topic)
			k += sc.Dropped
		}
		return k
	}
	var got []msg
	eventually(t, "every message delivered or reported dropped", func() bool {
		r.mu.Lock()
		got = append([]msg(nil), r.msgs...)
		r.mu.Unlock()
		require.LessOrEqual(t, len(got)+reported(), n, "delivered and reported dropped exceed published")
		return len(got)+reported() == n
	})
	t.Logf("%d messages delivered, %d reported dropped", len(got), reported())
	assert.Greater(t, reported(), 0)
	last := -1
	for _, m := range got {
		var i int
		fmt.Sscan(m.data, &i)
		require.Greater(t, i, last, "out of order")
		last = i
	}
}

// TestMessageTypes: text is a plain NATS message, binary has TypeHeader;
// other NATS clients publish to a topic as plain messages, and a message
// of an unknown type is reported and dropped.
func TestMessageTypes(t *testing.T) {
	ns := startNATS(t, -1)
	nc, _ := connect(t, ns.ClientURL())
	raw, _ := connect(t, ns.ClientURL())
	errs := &errorLog{}
	b := hubnats.New(nc, &hubnats.Options{OnError: errs.add})
	subj, err := b.Subject("types")
	require.NoError(t, err)

	// What goes on the wire.
	wire, err := raw.SubscribeSync(subj)
	require.NoError(t, err)
	require.NoError(t, raw.Flush())

	r := newReceived()
	unsub, err := b.Subscribe("types", r.deliver)
	require.NoError(t, err)
	defer unsub()

	require.NoError(t, b.Publish("types", wsconn.DataText, []byte("héllo")))
	require.NoError(t, b.Publish("types", wsconn.DataBinary, []byte{0xff, 0}))
	require.NoError(t, b.Publish("types", wsconn.DataText, nil))
	require.NoError(t, nc.Flush()) // the server has them: before raw's
	require.NoError(t, raw.Publish(subj, []byte("from a plain client")))
	require.NoError(t, raw.PublishMsg(&nats.Msg{Subject: subj, Header: nats.Header{hubnats.TypeHeader: {"binary"}}, Data: []byte{1}}))
	require.NoError(t, raw.PublishMsg(&nats.Msg{Subject: subj, Header: nats.Header{hubnats.TypeHeader: {"video"}}, Data: []byte("?")}))
	require.NoError(t, raw.Publish(subj, []byte("end")))

	got := r.wait(t, 6)
	assert.Equal(t, []msg{
		{wsconn.DataText, "héllo"},
		{wsconn.DataBinary, "\xff\x00"},
		{wsconn.DataText, ""},
		{wsconn.DataText, "from a plain client"},
		{wsconn.DataBinary, "\x01"},
		{wsconn.DataText, "end"},
	}, got)
	require.Len(t, errs.all(), 1)
	assert.ErrorContains(t, errs.all()[0], `unknown Wsconn-Type "video"`)

	m, err := wire.NextMsg(waitTimeout)
	require.NoError(t, err)
	assert.Equal(t, "héllo", string(m.Data))
	assert.Empty(t, m.Header, "a text message has no header")
	m, err = wire.NextMsg(waitTimeout)
	require.NoError(t, err)
	assert.Equal(t, "\xff\x00", string(m.Data))
	assert.Equal(t, "binary", m.Header.Get(hubnats.TypeHeader))
}

// TestPublishErrors: Publish and Subscribe return what keeps a message
// from going, and the connection stays usable.
func TestPublishErrors(t *testing.T) {
	ns := startNATS(t, -1)
	nc, _ := connect(t, ns.ClientURL())
	b := hubnats.New(nc, nil)

	assert.ErrorIs(t, b.Publish("t", wsconn.DataText, []byte{0xff}), wsconn.ErrInvalidUTF8)
	assert.Error(t, b.Publish("t", wsconn.DataType(9), nil))

	// A topic too long for a subject: refused here, not by the server,
	// which would close the connection.
	long := strings.Repeat(".", 400) // 1200 bytes escaped
	assert.ErrorIs(t, b.Publish(long, wsconn.DataText, nil), hubnats.ErrTopicTooLong)
	_, err := b.Subscribe(long, func(wsconn.DataType, []byte) {})
	assert.ErrorIs(t, err, hubnats.ErrTopicTooLong)
	// The longest topic that fits is fine.
	longest := strings.Repeat("x", hubnats.MaxSubjectLen-len(hubnats.DefaultPrefix))
	r := newReceived()
	unsub, err := b.Subscribe(longest, r.deliver)
	require.NoError(t, err)
	require.NoError(t, b.Publish(longest, wsconn.DataText, []byte("fits")))
	assert.Equal(t, "fits", r.wait(t, 1)[0].data)
	require.NoError(t, unsub())
	require.NoError(t, unsub(), "a second unsubscribe is a no-op")
	assert.True(t, nc.IsConnected())

	// Too big for the server.
	big := make([]byte, nc.MaxPayload()+1)
	assert.ErrorIs(t, b.Publish("t", wsconn.DataBinary, big), nats.ErrMaxPayload)

	// A closed connection: Publish and Subscribe fail, and unsubscribing
	// what it had is not an error.
	unsub, err = b.Subscribe("t", func(wsconn.DataType, []byte) {})
	require.NoError(t, err)
	nc.Close()
	assert.ErrorIs(t, b.Publish("t", wsconn.DataText, []byte("x")), nats.ErrConnectionClosed)
	_, err = b.Subscribe("u", func(wsconn.DataType, []byte) {})
	assert.ErrorIs(t, err, nats.ErrConnectionClosed)
	assert.NoError(t, unsub())
}

// TestPublishWhileDisconnectedWithoutBuffer: with nats.ReconnectBufSize(-1)
// every publish while the link is down fails at once.
func TestPublishWhileDisconnectedWithoutBuffer(t *testing.T) {
	ns := startNATS(t, -1)
	nc, ev := connect(t, ns.ClientURL(), nats.ReconnectBufSize(-1))
	b := hubnats.New(nc, nil)
	stopNATS(ns)
	await(t, ev.disconnected, "the connection to notice the server is gone")
	err := b.Publish("t", wsconn.DataText, []byte("x"))
	assert.True(t, errors.Is(err, nats.ErrReconnectBufExceeded), "%v", err)
}

// TestPrefix: hubs with different prefixes share nothing.
func TestPrefix(t *testing.T) {
	ns := startNATS(t, -1)
	nc, _ := connect(t, ns.ClientURL())
	prod := hubnats.New(nc, &hubnats.Options{Prefix: "chat.prod."})
	test := hubnats.New(nc, &hubnats.Options{Prefix: "chat.test."})
	subj, err := prod.Subject("a.b")
	require.NoError(t, err)
	assert.Equal(t, "chat.prod.a%2Eb", subj)

	rp, rt := newReceived(), newReceived()
	u1, err := prod.Subscribe("room", rp.deliver)
	require.NoError(t, err)
	defer u1()
	u2, err := test.Subscribe("room", rt.deliver)
	require.NoError(t, err)
	defer u2()
	require.NoError(t, test.Publish("room", wsconn.DataText, []byte("test")))
	require.NoError(t, prod.Publish("room", wsconn.DataText, []byte("prod")))
	assert.Equal(t, []msg{{wsconn.DataText, "prod"}}, rp.wait(t, 1))
	assert.Equal(t, []msg{{wsconn.DataText, "test"}}, rt.wait(t, 1))
}

func TestNewPanics(t *testing.T) {
	assert.Panics(t, func() { hubnats.New(nil, nil) })
	ns := startNATS(t, -1)
	nc, _ := connect(t, ns.ClientURL())
	for _, p := range []string{"x", "a..", ".", "a.*.", "a.>.", "a b.", "a.b"} {
		assert.Panics(t, func() { hubnats.New(nc, &hubnats.Options{Prefix: p}) }, "prefix %q", p)
	}
	assert.NotPanics(t, func() { hubnats.New(nc, &hubnats.Options{Prefix: "a.b-c.$x."}) })
	noEcho, _ := connect(t, ns.ClientURL(), nats.NoEcho())
	assert.Panics(t, func() { hubnats.New(noEcho, nil) })
}
