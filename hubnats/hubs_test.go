package hubnats_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// TestThreeHubsShareATopic: three servers, each with its own hub and NATS
// connection; what a client sends reaches every client on every server,
// itself included, and the messages of one publisher arrive in order.
func TestThreeHubsShareATopic(t *testing.T) {
	ns := startNATS(t, -1)
	var servers []*wsServer
	var clients []*client
	for range 3 {
		nc, _ := connect(t, ns.ClientURL())
		s := newWSServer(t, nc, nil)
		servers = append(servers, s)
		clients = append(clients, s.dial(t, "room"), s.dial(t, "room"))
	}
	for _, s := range servers {
		s.members(t, 2)
	}
	subj, err := servers[0].broker.Subject("room")
	require.NoError(t, err)
	assert.Equal(t, "wsconn.hub.room", subj)
	assert.Equal(t, 3, subscribers(t, ns, subj), "one subscription per hub")

	require.NoError(t, clients[0].c.SendText("hello"))
	for _, cl := range clients {
		assert.Equal(t, msg{wsconn.DataText, "hello"}, cl.next(t))
	}
	require.NoError(t, clients[3].c.SendBinary([]byte{0, 0xff, 1}))
	for _, cl := range clients {
		assert.Equal(t, msg{wsconn.DataBinary, "\x00\xff\x01"}, cl.next(t))
	}

	const n = 200
	for i := range n {
		require.NoError(t, clients[5].c.SendText(fmt.Sprint("m", i)))
	}
	for _, cl := range clients {
		for i := range n {
			require.Equal(t, msg{wsconn.DataText, fmt.Sprint("m", i)}, cl.next(t), "client of topic %q", cl.topic)
		}
	}
	for _, s := range servers {
		st := s.h.Stats()
		assert.Equal(t, uint64(n+2), st.Published, "messages the hub received from NATS")
		assert.Equal(t, uint64(2*(n+2)), st.Delivered)
		assert.Empty(t, s.errs.all())
	}
	for _, cl := range clients {
		assert.Empty(t, cl.msgs, "a client got more than was published")
	}
}

// TestTopicsAreIsolated: topics with dots, wildcards, spaces, escapes or
// nothing at all are one subject token each, and see only their own
// messages.
func TestTopicsAreIsolated(t *testing.T) {
	topics := []string{
		"a", "a.b", "a.*", "a.>", "a.b.c", "*", ">", "", " ", "a b", "a\tb",
		".", "..", "%", "%2E", "a%2Eb", "ä", "a/b", "$SYS", "_INBOX.x",
	}
	ns := startNATS(t, -1)
	ncPub, _ := connect(t, ns.ClientURL())
	ncSub, _ := connect(t, ns.ClientURL())
	pub := newWSServer(t, ncPub, nil)
	sub := newWSServer(t, ncSub, nil)

	// A plain NATS client watches every subject of the prefix.
	ncWatch, _ := connect(t, ns.ClientURL())
	var mu sync.Mutex
	seen := map[string]bool{}
	_, err := ncWatch.Subscribe(">", func(m *nats.Msg) {
		mu.Lock()
		seen[m.Subject] = true
		mu.Unlock()
	})
	require.NoError(t, err)
	require.NoError(t, ncWatch.Flush())

	clients := map[string][]*client{}
	for _, topic := range topics {
		clients[topic] = []*client{pub.dial(t, topic), sub.dial(t, topic)}
	}
	pub.members(t, len(topics))
	sub.members(t, len(topics))

	for _, topic := range topics {
		require.NoError(t, pub.h.Publish(topic, wsconn.DataText, []byte("to "+topic)))
	}
	for _, topic := range topics {
		require.NoError(t, pub.h.Publish(topic, wsconn.DataText, []byte("end")))
	}
	// One publisher, so a message another topic's subscription matched
	// would come before the end of this one.
	for _, topic := range topics {
		for _, cl := range clients[topic] {
			assert.Equal(t, "to "+topic, cl.next(t).data, "topic %q", topic)
			assert.Equal(t, "end", cl.next(t).data, "topic %q", topic)
		}
	}

	subjects := map[string]string{}
	for _, topic := range topics {
		subj, err := pub.broker.Subject(topic)
		require.NoError(t, err)
		tok := strings.TrimPrefix(subj, "wsconn.hub.")
		assert.NotEmpty(t, tok)
		assert.NotContains(t, tok, ".", "topic %q", topic)
		assert.NotContains(t, tok, " ", "topic %q", topic)
		assert.NotContains(t, tok, "*", "topic %q", topic)
		assert.NotContains(t, tok, ">", "topic %q", topic)
		if other, ok := subjects[subj]; ok {
			t.Errorf("topics %q and %q share subject %q", other, topic, subj)
		}
		subjects[subj] = topic
		assert.Equal(t, 3, subscribers(t, ns, subj), "topic %q: two hubs and the watcher", topic)
	}
	// The watcher saw the last of them (the "end" of the last topic)
	// after all others: every subject it saw is a topic's.
	last, _ := pub.broker.Subject(topics[len(topics)-1])
	eventually(t, "the watcher to see the last message", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen[last]
	})
	mu.Lock()
	for subj := range seen {
		_, ok := subjects[subj]
		assert.True(t, ok, "a message on subject %q, no topic's", subj)
	}
	assert.Len(t, seen, len(topics))
	mu.Unlock()
	assert.Empty(t, pub.errs.all())
	assert.Empty(t, sub.errs.all())
}

// TestLastMemberLeavingUnsubscribes: a hub holds a NATS subscription for
// a topic while it has members there, and ends it when the last leaves.
func TestLastMemberLeavingUnsubscribes(t *testing.T) {
	ns := startNATS(t, -1)
	ncA, _ := connect(t, ns.ClientURL())
	ncB, _ := connect(t, ns.ClientURL())
	a, b := newWSServer(t, ncA, nil), newWSServer(t, ncB, nil)
	subj, err := a.broker.Subject("lobby")
	require.NoError(t, err)
	base := ns.NumSubscriptions()

	a1, a2, b1 := a.dial(t, "lobby"), a.dial(t, "lobby"), b.dial(t, "lobby")
	a.members(t, 2)
	b.members(t, 1)
	assert.Equal(t, 2, subscribers(t, ns, subj), "one subscription per hub, not per member")
	assert.Equal(t, base+2, ns.NumSubscriptions())

	a1.c.Close(wsconn.CloseNormal, "")
	a.members(t, 1)
	require.NoError(t, b.h.Publish("lobby", wsconn.DataText, []byte("still here")))
	assert.Equal(t, "still here", a2.next(t).data)
	assert.Equal(t, "still here", b1.next(t).data)
	assert.Equal(t, 2, subscribers(t, ns, subj))

	a2.c.Close(wsconn.CloseNormal, "")
	a.members(t, 0)
	eventually(t, "the server to drop hub a's subscription", func() bool { return subscribers(t, ns, subj) == 1 })
	assert.Equal(t, base+1, ns.NumSubscriptions())
	assert.Equal(t, 0, a.h.Stats().Topics)

	// b still gets what is published, a's publishes included.
	require.NoError(t, a.h.Publish("lobby", wsconn.DataText, []byte("from a")))
	assert.Equal(t, "from a", b1.next(t).data)

	// Joining again subscribes again.
	a3 := a.dial(t, "lobby")
	a.members(t, 1)
	assert.Equal(t, 2, subscribers(t, ns, subj))
	require.NoError(t, b.h.Publish("lobby", wsconn.DataText, []byte("again")))
	assert.Equal(t, "again", a3.next(t).data)
	assert.Equal(t, "again", b1.next(t).data)

	// Closing a hub ends its subscriptions.
	require.NoError(t, a.h.Close())
	eventually(t, "the server to drop the closed hub's subscription", func() bool { return subscribers(t, ns, subj) == 1 })
	assert.Empty(t, a.errs.all())
	assert.Empty(t, b.errs.all())
}
