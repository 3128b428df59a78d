package http3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	quichttp3 "github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/internal/selfsigned"
)

// waitTimeout bounds every wait of the tests.
const waitTimeout = 10 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testCert is a self-signed certificate for 127.0.0.1 and localhost, and
// a pool that trusts it.
var testCert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	cert, err := selfsigned.New("wsconn http3 test")
	if err != nil {
		panic(err)
	}
	return cert, selfsigned.Pool(cert)
})

// server is an HTTP/3 server on 127.0.0.1 that serves a handler and counts
// the QUIC connections it accepted.
type server struct {
	srv   *quichttp3.Server
	addr  string
	conns atomic.Int32
}

// newServer starts an HTTP/3 server of h, closed when the test ends.
func newServer(t *testing.T, h http.Handler) *server {
	t.Helper()
	cert, _ := testCert()
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	s := &server{addr: udp.LocalAddr().String()}
	s.srv = &quichttp3.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		Handler:   h,
		ConnContext: func(ctx context.Context, _ *quic.Conn) context.Context {
			s.conns.Add(1)
			return ctx
		},
	}
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(udp) }()
	t.Cleanup(func() {
		s.srv.Close()
		<-served
		udp.Close()
	})
	return s
}

// url returns the wss URL of path on s.
func (s *server) url(path string) string { return "wss://" + s.addr + path }

// dialOptions returns options that trust the test certificate, with a
// TLSConfig of their own (and so QUIC connections of their own).
func dialOptions() *wsconn.DialOptions {
	_, pool := testCert()
	return &wsconn.DialOptions{TLSConfig: &tls.Config{RootCAs: pool}}
}

// dialContext returns a context that bounds a dial in a test.
func dialContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// echoHandler echoes every message; "close 4001" makes it close with
// 4001. Each accepted request goes to accepted, if not nil.
func echoHandler(opts *wsconn.AcceptOptions, accepted chan<- *http.Request) http.Handler {
	return wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
		if accepted != nil {
			accepted <- r
		}
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			if typ == wsconn.DataText && string(data) == "close 4001" {
				c.Close(4001, "asked")
				return
			}
			c.SendMessage(typ, data)
		})
	})
}

// recorder collects the events of a connection.
type recorder struct {
	messages chan message
	errs     chan error
	pongs    chan []byte
	closed   chan struct{}
}

type message struct {
	typ  wsconn.DataType
	data []byte
}

// record connects handlers that record the events of c, from the first.
func record(c *wsconn.WebsocketConnection) *recorder {
	r := &recorder{
		messages: make(chan message, 64),
		errs:     make(chan error, 16),
		pongs:    make(chan []byte, 64),
		closed:   make(chan struct{}),
	}
	c.Hold(func() {
		c.OnMessage(func(typ wsconn.DataType, data []byte) { r.messages <- message{typ, data} })
		c.OnError(func(err error) {
			select {
			case r.errs <- err:
			default:
			}
		})
		c.OnPong(func(p []byte) {
			select {
			case r.pongs <- p:
			default:
			}
		})
		c.OnClosed(func() { close(r.closed) })
	})
	return r
}

func (r *recorder) message(t *testing.T) message {
	t.Helper()
	select {
	case m := <-r.messages:
		return m
	case err := <-r.errs:
		t.Fatalf("error instead of a message: %v", err)
	case <-time.After(waitTimeout):
		t.Fatal("no message")
	}
	return message{}
}

func (r *recorder) err(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.errs:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("no error")
	}
	return nil
}

func (r *recorder) waitClosed(t *testing.T) {
	t.Helper()
	select {
	case <-r.closed:
	case <-time.After(waitTimeout):
		t.Fatal("connection did not close")
	}
}

// waitFor polls cond, which should become true soon, with a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitPoolEmpty waits until every pooled QUIC connection has closed.
func waitPoolEmpty(t *testing.T) {
	t.Helper()
	waitFor(t, "the pool to close its QUIC connections", func() bool { return connPool.len() == 0 })
}

// closeAndWait closes c with code 1000 and waits until it is closed.
func closeAndWait(t *testing.T, c *wsconn.WebsocketConnection) {
	t.Helper()
	c.Close(wsconn.CloseNormal, "")
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("connection did not close")
	}
}

// echoOnce sends msg and returns the text that comes back.
func echoOnce(c *wsconn.WebsocketConnection, msg string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.SendText(msg); err != nil {
		return "", err
	}
	_, data, err := c.Receive(ctx)
	return string(data), err
}
