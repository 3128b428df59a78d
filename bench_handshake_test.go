package wsconn_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
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
				p.addr = rawServer(b, serve)
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
