package wsclient

import (
	"crypto/tls"
	"fmt"
	"net"
)

// tlsConfig returns a copy of cfg (Go's defaults if nil) that offers the
// ALPN protocol proto and names the server of hostport, unless cfg names
// one.
func tlsConfig(cfg *tls.Config, hostport, proto string) *tls.Config {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	cfg.NextProtos = []string{proto}
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(hostport); err == nil {
			cfg.ServerName = host
		}
	}
	return cfg
}

// checkALPN reports an error unless the server of tc chose the protocol
// proto, or, if none is allowed, no protocol at all (a server that does
// not speak ALPN speaks HTTP/1.1).
func checkALPN(tc *tls.Conn, proto string, none bool) error {
	got := tc.ConnectionState().NegotiatedProtocol
	if got == proto || (got == "" && none) {
		return nil
	}
	return fmt.Errorf("the server chose ALPN protocol %q, not %q", got, proto)
}
