//go:build linux

package interop

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// A tap is a TCP relay on 127.0.0.1 between a client and a server. It
// counts the bytes it forwards on each connection, each way, and it can
// freeze: stop forwarding without closing anything, so that each side
// sees the other vanish as a host does when its network goes away.
type tap struct {
	ln     net.Listener
	target string

	frozen     chan struct{} // closed by freeze
	freezeOnce sync.Once
	done       chan struct{} // closed by close
	closeOnce  sync.Once

	mu    sync.Mutex
	conns []*tapConn
	wg    sync.WaitGroup
}

// A tapConn is one relayed connection.
type tapConn struct {
	client, server net.Conn // the tap's ends: accepted, and dialed
	up, down       atomic.Int64
}

// newTap listens on a free port of 127.0.0.1 and relays to target.
func newTap(target string) (*tap, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &tap{ln: ln, target: target, frozen: make(chan struct{}), done: make(chan struct{})}
	t.wg.Add(1)
	go t.accept()
	return t, nil
}

// addr returns the host:port the tap listens on.
func (t *tap) addr() string { return t.ln.Addr().String() }

func (t *tap) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", t.target)
		if err != nil {
			c.Close()
			continue
		}
		tc := &tapConn{client: c, server: s}
		t.mu.Lock()
		select {
		case <-t.done:
			t.mu.Unlock()
			c.Close()
			s.Close()
			return
		default:
		}
		t.conns = append(t.conns, tc)
		t.wg.Add(1)
		t.mu.Unlock()
		go t.relay(tc)
	}
}

// relay forwards both ways until both are done, then closes both ends.
func (t *tap) relay(tc *tapConn) {
	defer t.wg.Done()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.pipe(tc.server, tc.client, &tc.up) }()
	go func() { defer wg.Done(); t.pipe(tc.client, tc.server, &tc.down) }()
	wg.Wait()
	tc.client.Close()
	tc.server.Close()
}

// pipe copies src to dst, counting into n, and passes the end of src on
// as a half close. Once the tap is frozen, it forwards nothing more and
// holds both connections open until the tap is closed.
func (t *tap) pipe(dst, src net.Conn, n *atomic.Int64) {
	buf := make([]byte, 64<<10)
	for {
		k, err := src.Read(buf)
		select {
		case <-t.frozen:
			<-t.done
			return
		default:
		}
		if k > 0 {
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
			n.Add(int64(k))
		}
		if err != nil {
			if tc, ok := dst.(*net.TCPConn); ok && errors.Is(err, io.EOF) {
				tc.CloseWrite() // an orderly end is passed on as a half close
			}
			return
		}
	}
}

// conn returns the relayed connection that a side of it knows by addr:
// the client's local address or the address the server sees. It returns
// nil when there is none.
func (t *tap) conn(addr string) *tapConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, tc := range t.conns {
		if tc.client.RemoteAddr().String() == addr || tc.server.LocalAddr().String() == addr {
			return tc
		}
	}
	return nil
}

// freeze stops all forwarding, for good.
func (t *tap) freeze() { t.freezeOnce.Do(func() { close(t.frozen) }) }

// close stops the tap and closes every connection it relays.
func (t *tap) close() {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		close(t.done)
		conns := t.conns
		t.mu.Unlock()
		t.ln.Close()
		for _, tc := range conns {
			tc.client.Close()
			tc.server.Close()
		}
	})
	t.wg.Wait()
}
