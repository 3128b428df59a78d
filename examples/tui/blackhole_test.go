package main

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// blackhole is a TCP proxy to a server that can make the connections it
// carries go silent, as a peer does when its host vanishes or a NAT
// forgets the connection: the bytes still go out, nothing comes back,
// and nothing is closed. Only keepalive finds that out. Connections made
// after a freeze are carried as usual.
type blackhole struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	links []*link
}

// link is one connection through the proxy.
type link struct {
	frozen atomic.Bool
	a, b   net.Conn
}

// startBlackhole proxies a free loopback port to target until the test
// ends.
func startBlackhole(t testing.TB, target string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{ln: ln, target: target}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, l := range p.links {
			l.a.Close()
			l.b.Close()
		}
	})
	return p
}

// addr is the proxy's address.
func (p *blackhole) addr() string { return p.ln.Addr().String() }

func (p *blackhole) accept() {
	for {
		a, err := p.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			a.Close()
			continue
		}
		l := &link{a: a, b: b}
		p.mu.Lock()
		p.links = append(p.links, l)
		p.mu.Unlock()
		go l.pipe(a, b)
		go l.pipe(b, a)
	}
}

// pipe copies from src to dst until either ends, then closes both;
// while the link is frozen it reads and drops.
func (l *link) pipe(src, dst net.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection
		}
	}
}

// freeze makes every connection carried now go silent.
func (p *blackhole) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.frozen.Store(true)
	}
}
