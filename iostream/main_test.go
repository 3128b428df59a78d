package iostream

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	// eventually bounds the wait for something that must happen.
	eventually = 10 * time.Second
	// briefly is how long a test watches for something that must not
	// happen yet.
	briefly = 50 * time.Millisecond
)

// goErr runs f in a new goroutine and returns a channel that receives its
// result.
func goErr(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// waitErr returns the result sent on ch, failing the test if none comes in
// time.
func waitErr(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(eventually):
		t.Fatal("operation did not return in time")
		return nil
	}
}

// requireBlocked fails the test if a result arrives on ch within a short
// while.
func requireBlocked(t *testing.T, ch <-chan error) {
	t.Helper()
	timer := time.NewTimer(briefly)
	defer timer.Stop()
	select {
	case err := <-ch:
		t.Fatalf("operation returned early with error %v; want it blocked", err)
	case <-timer.C:
	}
}

// streamPair returns the two ends of a connection over the loopback
// interface ("tcp") or a Unix domain socket ("unix"). They are closed when
// the test ends.
func streamPair(t *testing.T, network string) (client, server net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "sock")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	acceptErr := goErr(func() error {
		c, err := ln.Accept()
		accepted <- c
		return err
	})
	client, err = net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := waitErr(t, acceptErr); err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { server.Close() })
	return client, server
}

// tcpPair is streamPair over TCP with the concrete type.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	c, s := streamPair(t, "tcp")
	return c.(*net.TCPConn), s.(*net.TCPConn)
}
