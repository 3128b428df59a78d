package wsconn_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/wsconn/wsconn"
)

// BenchmarkHandshake measures a whole opening handshake per op: Dial
// against an httptest server serving wsconn.Handler, over a new TCP
// connection on 127.0.0.1, directly or through an HTTP CONNECT or a SOCKS5
// proxy, until both ends have their connection. Both ends are then
// aborted. The allocations are those of both ends, and of the proxy.
func BenchmarkHandshake(b *testing.B) {
	accepted := make(chan *wsconn.WebsocketConnection, 1)
	srv := httptest.NewServer(wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, _ *http.Request) {
		accepted <- c
	}))
	defer srv.Close()
	upstream := srv.Listener.Addr().String()
	wsURL := "ws://" + upstream + "/"

	for _, bc := range []struct {
		name string
		kind string // of the proxy: "", http or socks5
	}{
		{"direct", ""},
		{"CONNECT", "http"},
		{"SOCKS5", "socks5"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := &wsconn.DialOptions{Proxy: func(*http.Request) (*url.URL, error) { return nil, nil }}
			var p *testProxy
			if bc.kind != "" {
				p = &testProxy{upstream: upstream, targets: make(chan string, 1)}
				serve := p.serveCONNECT
				if bc.kind == "socks5" {
					serve = p.serveSOCKS5
				}
				p.addr = benchServer(b, serve)
				opts.Proxy = http.ProxyURL(&url.URL{Scheme: bc.kind, Host: p.addr})
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, _, err := wsconn.Dial(ctx, wsURL, opts)
				if err != nil {
					b.Fatal(err)
				}
				if p != nil {
					<-p.targets
				}
				(<-accepted).Abort()
				c.Abort()
			}
		})
	}
}

// benchServer accepts connections on 127.0.0.1 and runs serve on each, on
// its own goroutine, until the benchmark ends.
func benchServer(b *testing.B, serve func(c net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c)
			}()
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}
