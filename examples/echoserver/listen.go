package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// samePortTries bounds the tries for a TCP and a UDP port with the same
// number, when -addr leaves the port to the system.
const samePortTries = 20

// listen listens on addr over TCP and, with udp, over UDP on the same
// port number, for HTTP/3. With port 0 it tries ports the system picks
// for TCP until the same number is free for UDP.
func listen(addr string, udp bool) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	for try := 1; ; try++ {
		ln, err := net.Listen("tcp", addr)
		if err != nil || !udp {
			return ln, nil, err
		}
		tcpPort := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(tcpPort)))
		if err == nil {
			return ln, pc, nil
		}
		ln.Close()
		if port != "0" || try == samePortTries {
			return nil, nil, fmt.Errorf("listening for HTTP/3 on UDP port %d, the TCP port: %w", tcpPort, err)
		}
	}
}

// serverProtocols returns the HTTP versions of the TCP server: HTTP/1.1
// and, with http2, HTTP/2 (chosen by ALPN over TLS, with prior knowledge
// without TLS).
func serverProtocols(useTLS, http2 bool) *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	if http2 {
		if useTLS {
			p.SetHTTP2(true)
		} else {
			p.SetUnencryptedHTTP2(true)
		}
	}
	return p
}

// quicKeepalive is how often the HTTP/3 server sends a QUIC packet on an
// otherwise quiet connection, so that a WebSocket that is idle for longer
// than QUIC's idle timeout (30 s) is not closed by it, as it would not be
// over TCP.
const quicKeepalive = 15 * time.Second

// newHTTP3Server returns the HTTP/3 server of -http3, with tlsConf's
// certificate. quic-go's server offers extended CONNECT (RFC 9220), so
// WebSockets reach h as they do over HTTP/2.
func newHTTP3Server(h http.Handler, tlsConf *tls.Config) *http3.Server {
	return &http3.Server{
		Handler:        h,
		TLSConfig:      http3.ConfigureTLSConfig(tlsConf.Clone()),
		QUICConfig:     &quic.Config{KeepAlivePeriod: quicKeepalive},
		MaxHeaderBytes: maxHeaderBytes,
	}
}

// altSvc returns the Alt-Svc header value that advertises HTTP/3 on port
// for a day.
func altSvc(port int) string {
	return fmt.Sprintf(`%s=":%d"; ma=86400`, http3.NextProtoH3, port)
}
