package hubnats_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// gatedDialer dials NATS only while open; shut, it fails at once, and
// nats.go tries again after its reconnect wait. It decides when a
// connection may come back.
type gatedDialer struct {
	shut atomic.Bool
}

func (g *gatedDialer) Dial(network, address string) (net.Conn, error) {
	if g.shut.Load() {
		return nil, errors.New("gated")
	}
	d := net.Dialer{Timeout: waitTimeout}
	return d.Dial(network, address)
}

// TestReconnect restarts the NATS server under three hubs. While it is
// down, hub a publishes: what Publish accepted, it held in its reconnect
// buffer and every hub's clients get after the reconnect, in order; what
// it did not, it refused with nats.ErrReconnectBufExceeded, and nobody
// gets. Nothing is lost without an error. Afterwards every hub publishes
// and receives again, and a topic joined while the link was down works.
//
// Core NATS delivers a message to the subscriptions the server has when
// it arrives, so hub a, whose buffer holds the messages, is let reconnect
// only after hubs b and c have, and subscribed again.
func TestReconnect(t *testing.T) {
	ns := startNATS(t, -1)
	port := natsPort(ns)
	const bufSize = 4096
	gate := &gatedDialer{}
	ncA, evA := connect(t, ns.ClientURL(), nats.SetCustomDialer(gate), nats.ReconnectBufSize(bufSize))
	ncB, evB := connect(t, ns.ClientURL())
	ncC, evC := connect(t, ns.ClientURL())
	a, b, c := newWSServer(t, ncA, nil), newWSServer(t, ncB, nil), newWSServer(t, ncC, nil)
	servers := []*wsServer{a, b, c}
	var clients []*client
	for _, s := range servers {
		clients = append(clients, s.dial(t, "room"), s.dial(t, "room"))
		s.members(t, 2)
	}
	subj, _ := a.broker.Subject("room")
	require.Equal(t, 3, subscribers(t, ns, subj))
	for i, s := range servers {
		require.NoError(t, s.h.Publish("room", wsconn.DataText, fmt.Appendf(nil, "before %d", i)))
		for _, cl := range clients {
			require.Equal(t, fmt.Sprint("before ", i), cl.next(t).data)
		}
	}

	// The server goes; every connection notices.
	gate.shut.Store(true)
	stopNATS(ns)
	for _, ev := range []*connEvents{evA, evB, evC} {
		await(t, ev.disconnected, "a connection to notice the server is gone")
	}
	require.Equal(t, nats.RECONNECTING, ncA.Status())

	// A topic joined while the link is down.
	late := c.dial(t, "late")
	c.members(t, 3)

	// Hub a publishes while down: 100-byte messages, 40 times what the
	// reconnect buffer holds.
	const n = 1000
	var accepted []string
	refused := 0
	for i := range n {
		m := fmt.Sprintf("down %03d %s", i, strings.Repeat("x", 91))
		err := a.h.Publish("room", wsconn.DataText, []byte(m))
		if err == nil {
			require.Zero(t, refused, "message %d accepted after one was refused: the buffer only fills", i)
			accepted = append(accepted, m)
			continue
		}
		require.ErrorIs(t, err, nats.ErrReconnectBufExceeded, "message %d", i)
		refused++
	}
	require.NotEmpty(t, accepted, "the reconnect buffer took nothing")
	require.NotZero(t, refused, "the reconnect buffer took everything")
	require.Equal(t, n, len(accepted)+refused)
	t.Logf("while down: %d messages accepted into the %d-byte reconnect buffer, %d refused", len(accepted), bufSize, refused)
	for _, cl := range clients {
		assert.Empty(t, cl.msgs, "a message arrived while the server was down")
	}

	// A new server on the same port. Hubs b and c reconnect and
	// subscribe again; then hub a may.
	ns2 := startNATS(t, port)
	await(t, evB.reconnected, "hub b's connection to reconnect")
	await(t, evC.reconnected, "hub c's connection to reconnect")
	eventually(t, "hubs b and c to subscribe again", func() bool {
		return subscribers(t, ns2, subj) == 2
	})
	lateSubj, _ := c.broker.Subject("late")
	eventually(t, "the topic joined while down to be subscribed", func() bool { return subscribers(t, ns2, lateSubj) == 1 })
	gate.shut.Store(false)
	await(t, evA.reconnected, "hub a's connection to reconnect")
	// nats.go reports the reconnect once it has written the subscriptions,
	// and the server may take them after what others publish meanwhile.
	eventually(t, "hub a to subscribe again", func() bool { return subscribers(t, ns2, subj) == 3 })

	// Every hub publishes again.
	for i, s := range servers {
		require.NoError(t, s.h.Publish("room", wsconn.DataText, fmt.Appendf(nil, "after %d", i)))
	}
	require.NoError(t, a.h.Publish("late", wsconn.DataText, []byte("late news")))
	assert.Equal(t, "late news", late.next(t).data)

	// Each client gets what hub a's buffer held, in order, then "after
	// 0" (a's messages keep their order, so a refused message would come
	// before it), and b's and c's "after" in any place.
	for ci, cl := range clients {
		var fromA []string
		others := map[string]bool{}
		for len(fromA) < len(accepted)+1 || len(others) < 2 {
			var m string
			select {
			case x := <-cl.msgs:
				m = x.data
			case <-time.After(waitTimeout):
				t.Fatalf("client %d: from a %d %v, others %v", ci, len(fromA), fromA, others)
			}
			switch {
			case strings.HasPrefix(m, "down "), m == "after 0":
				fromA = append(fromA, m)
			case m == "after 1", m == "after 2":
				others[m] = true
			default:
				t.Fatalf("client %d: unexpected message %q", ci, m)
			}
			require.LessOrEqual(t, len(fromA), len(accepted)+1, "client %d: more messages from hub a than it accepted", ci)
		}
		require.Equal(t, append(append([]string(nil), accepted...), "after 0"), fromA, "client %d", ci)
	}
	for _, s := range servers {
		assert.Empty(t, s.errs.all())
	}
	// Nothing else comes: one more round, which is all there is.
	require.NoError(t, b.h.Publish("room", wsconn.DataText, []byte("last")))
	for _, cl := range clients {
		assert.Equal(t, "last", cl.next(t).data)
		select {
		case m := <-cl.msgs:
			t.Errorf("unexpected message %q", m.data)
		case <-time.After(0):
		}
	}
}
