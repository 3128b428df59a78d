package main

import (
	"context"
	"crypto/tls"
	"net/http"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/http3"
)

// transport is how the client reaches the server: what -insecure,
// -http2 and -http3 ask for.
type transport struct {
	insecure bool // -insecure: no certificate verification
	http2    bool // -http2: HTTP/2 required (h2 over TLS, h2c without)
	http3    bool // -http3: HTTP/3 (over QUIC, with TLS)
}

// dial opens the WebSocket at url with opts, over the transport t asks
// for.
func (t transport) dial(ctx context.Context, url string, opts wsconn.DialOptions) (*wsconn.WebsocketConnection, *http.Response, error) {
	if t.insecure {
		// A test client, for test servers with self-signed certificates.
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if t.http2 {
		// HTTP/2 alone, with no fallback to HTTP/1.1: HTTP2 applies to
		// wss:// URLs, UnencryptedHTTP2 to ws:// ones.
		opts.HTTPProtocols = http.Protocols{}
		opts.HTTPProtocols.SetHTTP2(true)
		opts.HTTPProtocols.SetUnencryptedHTTP2(true)
	}
	if t.http3 {
		return http3.Dial(ctx, url, &opts)
	}
	return wsconn.Dial(ctx, url, &opts)
}
