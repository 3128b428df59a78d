package servers

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"github.com/quic-go/quic-go/http3"
)

// h3Server serves a handler over HTTP/3 with quic-go's server at its
// default settings; it announces extended CONNECT (RFC 9220) on its own,
// and a WebSocket is the stream of such a request, which wsconn.Handler
// accepts.
type h3Server struct {
	srv *http3.Server
}

func newH3Server(h http.Handler, cfg *tls.Config) *h3Server {
	return &h3Server{srv: &http3.Server{
		Handler:        h,
		TLSConfig:      http3.ConfigureTLSConfig(cfg),
		MaxHeaderBytes: 64 << 10,
	}}
}

// Serve serves on the UDP socket pc until Close, and then returns nil. It
// leaves pc open.
func (s *h3Server) Serve(pc net.PacketConn) error {
	if err := s.srv.Serve(pc); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the QUIC connections and stops Serve.
func (s *h3Server) Close() error { return s.srv.Close() }
