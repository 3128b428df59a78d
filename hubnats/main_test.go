package hubnats_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hub"
	"github.com/wsconn/wsconn/hubnats"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitTimeout = 10 * time.Second

// startNATS runs a NATS server in the test process on 127.0.0.1:port
// (-1: a free port), shut down when the test ends if it still runs.
func startNATS(t *testing.T, port int) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	ns.Start()
	require.True(t, ns.ReadyForConnections(waitTimeout), "the NATS server did not start")
	t.Cleanup(func() { stopNATS(ns) })
	return ns
}

func stopNATS(ns *server.Server) {
	ns.Shutdown()
	ns.WaitForShutdown()
}

func natsPort(ns *server.Server) int { return ns.Addr().(*net.TCPAddr).Port }

// connEvents are what a connection's handlers report.
type connEvents struct {
	disconnected chan struct{}
	reconnected  chan struct{}
}

// connect connects to ns's URL, reconnecting forever and soon, and closes
// the connection when the test ends.
func connect(t *testing.T, url string, extra ...nats.Option) (*nats.Conn, *connEvents) {
	t.Helper()
	ev := &connEvents{disconnected: make(chan struct{}, 16), reconnected: make(chan struct{}, 16)}
	opts := append([]nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(10 * time.Millisecond),
		nats.ReconnectJitter(0, 0),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { ev.disconnected <- struct{}{} }),
		nats.ReconnectHandler(func(*nats.Conn) { ev.reconnected <- struct{}{} }),
	}, extra...)
	nc, err := nats.Connect(url, opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc, ev
}

// await waits for an event on ch.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// subscribers returns how many client subscriptions of ns a message on
// subject would reach.
func subscribers(t *testing.T, ns *server.Server, subject string) int {
	t.Helper()
	sz, err := ns.Subsz(&server.SubszOptions{Subscriptions: true, Test: subject})
	require.NoError(t, err)
	return sz.Total
}

// errorLog collects what a Broker or hub reports to OnError.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// wsServer serves WebSockets that join the topic named by their query
// parameter topic in h, and publish there every message they send.
type wsServer struct {
	*httptest.Server
	h      *hub.Hub
	broker *hubnats.Broker
	errs   *errorLog // the hub's and the broker's
}

func newWSServer(t *testing.T, nc *nats.Conn, opts *hubnats.Options) *wsServer {
	t.Helper()
	s := &wsServer{errs: &errorLog{}}
	if opts == nil {
		opts = &hubnats.Options{}
	}
	if opts.OnError == nil {
		opts.OnError = s.errs.add
	}
	s.broker = hubnats.New(nc, opts)
	s.h = hub.New(&hub.Options{Broker: s.broker, OnError: s.errs.add})
	s.Server = httptest.NewServer(wsconn.Handler(&wsconn.AcceptOptions{InsecureSkipOriginCheck: true},
		func(c *wsconn.WebsocketConnection, r *http.Request) {
			topic := r.URL.Query().Get("topic")
			if err := s.h.Join(topic, c); err != nil {
				c.Close(wsconn.CloseInternalError, "join failed")
				return
			}
			c.OnMessage(func(typ wsconn.DataType, data []byte) {
				if err := s.h.Publish(topic, typ, data); err != nil {
					t.Errorf("publish on %q: %v", topic, err)
				}
			})
		}))
	t.Cleanup(func() {
		s.h.Close()
		s.Close()
	})
	return s
}

// members waits until the hub has n connections in topics.
func (s *wsServer) members(t *testing.T, n int) {
	t.Helper()
	eventually(t, "members to join", func() bool { return s.h.Stats().Connections == n })
}

// msg is a message a client received.
type msg struct {
	typ  wsconn.DataType
	data string
}

// client is a wsconn client in a topic that collects what it receives.
type client struct {
	c     *wsconn.WebsocketConnection
	topic string
	msgs  chan msg
}

func (s *wsServer) dial(t *testing.T, topic string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	u := "ws" + strings.TrimPrefix(s.URL, "http") + "/?topic=" + url.QueryEscape(topic)
	c, _, err := wsconn.Dial(ctx, u, nil)
	require.NoError(t, err)
	cl := &client{c: c, topic: topic, msgs: make(chan msg, 10000)}
	c.OnMessage(func(typ wsconn.DataType, data []byte) { cl.msgs <- msg{typ, string(data)} })
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

// next returns the next message the client receives.
func (cl *client) next(t *testing.T) msg {
	t.Helper()
	select {
	case m := <-cl.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("client in topic %q: no message", cl.topic)
	}
	return msg{}
}
