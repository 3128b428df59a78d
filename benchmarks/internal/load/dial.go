package load

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"sync"

	"github.com/wsconn/wsconn/benchmarks/internal/transport"
	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// dialParallel is how many connections are opened at once.
const dialParallel = 32

// clientTLS is the load generator's TLS configuration. It does not verify
// the server's certificate: the echo servers make a self-signed one at
// start and are reached over loopback, and verifying it would change
// nothing measured, only the handshakes.
var clientTLS = &tls.Config{InsecureSkipVerify: true}

// session opens the WebSockets of a run over one transport.
type session interface {
	// open opens a WebSocket.
	open(ctx context.Context) (*wsclient.Conn, error)
	// Close closes what the WebSockets share, once they are closed.
	io.Closer
}

// newSession returns the session of transport t for the WebSocket URL
// url. Over HTTP/1.1 (TCP and TLS) each WebSocket has a connection of
// its own; over HTTP/2 and HTTP/3 all of them are streams of one
// connection, dialled here, as a browser's WebSockets to one server are.
func newSession(ctx context.Context, t transport.Transport, url string, opts wsclient.Options) (session, error) {
	opts.TLSConfig = clientTLS
	switch t.OrTCP() {
	case transport.TCP, transport.TLS:
		return &ownConns{url: url, opts: opts}, nil
	case transport.H2:
		h, err := wsclient.DialH2(ctx, url, clientTLS)
		if err != nil {
			return nil, err
		}
		return &sharedConn{conn: h, url: url, opts: opts}, nil
	case transport.H3:
		h, err := wsclient.DialH3(ctx, url, clientTLS)
		if err != nil {
			return nil, err
		}
		return &sharedConn{conn: h, url: url, opts: opts}, nil
	}
	return nil, fmt.Errorf("load: unknown transport %q", t)
}

// ownConns gives each WebSocket a connection of its own, over HTTP/1.1.
type ownConns struct {
	url  string
	opts wsclient.Options
}

func (s *ownConns) open(ctx context.Context) (*wsclient.Conn, error) {
	return wsclient.Dial(ctx, s.url, s.opts)
}

func (s *ownConns) Close() error { return nil }

// sharedConn opens every WebSocket as a stream of one HTTP/2 or HTTP/3
// connection.
type sharedConn struct {
	conn interface {
		Open(ctx context.Context, url string, opts wsclient.Options) (*wsclient.Conn, error)
		io.Closer
	}
	url  string
	opts wsclient.Options
}

func (s *sharedConn) open(ctx context.Context) (*wsclient.Conn, error) {
	return s.conn.Open(ctx, s.url, s.opts)
}

func (s *sharedConn) Close() error { return s.conn.Close() }

// dialAll opens n WebSockets with s, and closes them all if one fails.
func dialAll(ctx context.Context, s session, url string, n int) ([]*wsclient.Conn, error) {
	conns := make([]*wsclient.Conn, n)
	err := dialEach(n, func(i int) (err error) {
		conns[i], err = s.open(ctx)
		return err
	})
	if err != nil {
		for _, c := range conns {
			if c != nil {
				c.Abort()
			}
		}
		return nil, fmt.Errorf("load: dialing %s: %w", url, err)
	}
	return conns, nil
}

// dialEach calls dial(i) for every i below n, dialParallel at a time, and
// returns the error of the lowest i that failed.
func dialEach(n int, dial func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, dialParallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = dial(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
