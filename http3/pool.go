package http3

import (
	"context"
	"sync"

	"github.com/quic-go/quic-go"
	quichttp3 "github.com/quic-go/quic-go/http3"
)

// maxStreamsPerConn bounds the WebSockets that share one QUIC connection.
// RFC 9114 asks servers to allow at least 100 concurrent request streams,
// and quic-go's server allows exactly that many by default: a Dial beyond
// it would wait for a stream of the server's, so it gets a connection of
// its own instead.
const maxStreamsPerConn = 100

// poolKey identifies the QUIC connections that WebSockets may share: the
// same server, dialed with the same configuration.
type poolKey struct {
	config any    // *quichttp3.Transport of NewTransport, *tls.Config of Dial
	addr   string // host:port
}

// conn is a QUIC connection of the pool, from its dial to its close, and
// the WebSockets that use it or wait for it.
type conn struct {
	key    poolKey
	ready  chan struct{}      // closed when the dial has ended
	cancel context.CancelFunc // stops the dial

	// Set by the dial, before ready is closed.
	qc  *quic.Conn
	cc  *quichttp3.ClientConn
	err error

	// Guarded by pool.mu.
	refs int  // streams open, opening, or waiting for the dial
	dead bool // the connection takes no new streams (GOAWAY, lost)
}

// pool holds the QUIC connections that WebSockets share. A connection
// closes when the last of its WebSockets does; until then it takes up to
// maxStreamsPerConn of them.
type pool struct {
	mu    sync.Mutex
	conns map[poolKey][]*conn
}

// connPool is the pool of Dial and of the RoundTrippers of NewTransport.
var connPool pool

// get returns a connection for k that can take another stream, counting
// the stream, or starts dialing a new one with dial. reused tells whether
// the connection was there before this call; the caller must wait for
// ready, then call release once the stream ends.
func (p *pool) get(k poolKey, dial func(context.Context) (*quic.Conn, *quichttp3.ClientConn, error)) (c *conn, reused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns[k] {
		if !c.dead && c.refs < maxStreamsPerConn && c.usable() {
			c.refs++
			return c, true
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	c = &conn{key: k, ready: make(chan struct{}), cancel: cancel, refs: 1}
	if p.conns == nil {
		p.conns = make(map[poolKey][]*conn)
	}
	p.conns[k] = append(p.conns[k], c)
	// The dial belongs to every stream that waits for it, so no caller's
	// context bounds it: it stops when the last of them gives up, or at
	// QUIC's handshake timeout.
	go func() {
		defer cancel()
		qc, cc, err := dial(ctx)
		p.mu.Lock()
		c.qc, c.cc, c.err = qc, cc, err
		abandoned := c.refs == 0
		if err != nil {
			p.removeLocked(c)
		}
		p.mu.Unlock()
		close(c.ready)
		if abandoned && qc != nil {
			closeConn(qc)
		}
	}()
	return c, false
}

// usable reports whether c is dialing or connected. p.mu is held.
func (c *conn) usable() bool {
	select {
	case <-c.ready:
		return c.err == nil && c.qc.Context().Err() == nil
	default:
		return true
	}
}

// retire keeps new streams off c, whose connection refused one.
func (p *pool) retire(c *conn) {
	p.mu.Lock()
	c.dead = true
	p.mu.Unlock()
}

// release counts the end of a stream of c, or of a wait for its dial, and
// closes c after the last one.
func (p *pool) release(c *conn) {
	p.mu.Lock()
	c.refs--
	last := c.refs == 0
	var qc *quic.Conn
	if last {
		p.removeLocked(c)
		qc = c.qc // nil while dialing: the dial closes it
	}
	p.mu.Unlock()
	if !last {
		return
	}
	c.cancel()
	if qc != nil {
		closeConn(qc)
	}
}

// removeLocked takes c out of the pool. p.mu is held.
func (p *pool) removeLocked(c *conn) {
	list := p.conns[c.key]
	for i, x := range list {
		if x == c {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.conns, c.key)
	} else {
		p.conns[c.key] = list
	}
}

// closeConn closes qc with H3_NO_ERROR: its last stream has ended.
func closeConn(qc *quic.Conn) {
	qc.CloseWithError(quic.ApplicationErrorCode(quichttp3.ErrCodeNoError), "")
}

// len returns the number of connections in the pool, for tests.
func (p *pool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, list := range p.conns {
		n += len(list)
	}
	return n
}
