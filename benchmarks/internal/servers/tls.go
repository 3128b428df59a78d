package servers

import (
	"crypto/tls"
	"net"
)

// tlsServer runs another server's HTTP/1.1 over TLS: it hands that server
// the TLS connections of its listener, which do their handshake on their
// first read, on the server's goroutine for the connection. ALPN offers
// http/1.1 only, so that net/http does not switch to HTTP/2.
type tlsServer struct {
	Server
	cfg *tls.Config
}

func newTLSServer(srv Server, cfg *tls.Config) *tlsServer {
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	return &tlsServer{Server: srv, cfg: cfg}
}

func (s *tlsServer) Serve(ln net.Listener) error {
	return s.Server.Serve(tls.NewListener(ln, s.cfg))
}
