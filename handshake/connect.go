package handshake

import (
	"net/http"
	"strings"
)

// Over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220) a WebSocket opens with an
// extended CONNECT request: method CONNECT with the pseudo-header
// :protocol set to "websocket", answered by a 2xx response. HTTP/2 and
// HTTP/3 have no Upgrade or Connection headers, and the request carries no
// Sec-WebSocket-Key (nor the response a Sec-WebSocket-Accept): the stream
// is the request's own. Sec-WebSocket-Version, -Protocol and -Extensions,
// and Origin, keep their HTTP/1.1 meaning.

// protocolHeader is the request header that stands for the :protocol
// pseudo-header of an extended CONNECT request, as net/http's server and
// golang.org/x/net/http2 present it to handlers and take it from clients.
const protocolHeader = ":protocol"

// isConnectForm reports whether r asks for a WebSocket in the form of
// HTTP/2 and HTTP/3, an extended CONNECT, rather than an HTTP/1.1 Upgrade.
func isConnectForm(r *http.Request) bool {
	return r.Method == http.MethodConnect
}

// connectProtocol returns the :protocol of an extended CONNECT request:
// net/http and golang.org/x/net/http2 give it as a header named
// ":protocol", github.com/quic-go/quic-go/http3 as the request's Proto.
func connectProtocol(r *http.Request) string {
	if v := r.Header.Get(protocolHeader); v != "" {
		return v
	}
	if r.Proto != "" && !strings.HasPrefix(r.Proto, "HTTP/") {
		return r.Proto
	}
	return ""
}

// checkConnect validates the parts of an extended CONNECT request that
// stand in for Upgrade and Connection: a request over HTTP/2 or later with
// :protocol websocket.
func checkConnect(r *http.Request) *Error {
	if r.ProtoMajor < 2 {
		return &Error{Status: http.StatusBadRequest, Value: r.Method, Err: ErrMethod,
			detail: "CONNECT opens a WebSocket only over HTTP/2 and HTTP/3; want GET over HTTP/1"}
	}
	if p := connectProtocol(r); !strings.EqualFold(p, "websocket") {
		detail := `:protocol is not "websocket"`
		if p == "" {
			detail = ":protocol missing"
		}
		return &Error{Status: http.StatusBadRequest, Header: protocolHeader, Value: p, Err: ErrUpgrade, detail: detail}
	}
	return nil
}

// overHTTP2 reports whether r came over HTTP/2 or a later version, where
// connection-specific headers (Connection, Upgrade) do not exist.
func overHTTP2(r *http.Request) bool {
	return r != nil && r.ProtoMajor >= 2
}
