package servers

import (
	"crypto/tls"
	"net/http"

	// net/http's HTTP/2 server takes extended CONNECT requests (RFC 8441)
	// only with GODEBUG=http2xconnect=1 as the program starts, which
	// this package's init sets: every program with an HTTP/2 echo server
	// imports it through this package.
	_ "github.com/wsconn/wsconn/xconnect"
)

// newH2Server serves h over TLS as a web server does, with HTTP/2 and
// HTTP/1.1 (the client's ALPN chooses), on net/http's HTTP/2 server at
// its default settings: a WebSocket over HTTP/2 is the stream of an
// extended CONNECT request, which wsconn.Handler accepts.
func newH2Server(h http.Handler, cfg *tls.Config) *httpServer {
	s := newHTTPServer(h)
	s.srv.TLSConfig = cfg
	s.srv.Protocols = new(http.Protocols)
	s.srv.Protocols.SetHTTP1(true)
	s.srv.Protocols.SetHTTP2(true)
	return s
}
