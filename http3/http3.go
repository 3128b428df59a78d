// Package http3 runs WebSockets over HTTP/3 (RFC 9220) for package
// github.com/wsconn/wsconn, with the QUIC and HTTP/3 implementation of
// github.com/quic-go/quic-go.
//
// It is a module of its own, github.com/wsconn/wsconn/http3, so that
// programs that never import it neither download nor compile quic-go.
//
// Over HTTP/3 a WebSocket is the stream of an extended CONNECT request
// with :protocol websocket, as over HTTP/2 (RFC 8441). The connection
// behaves as over TCP: every protocol check, limit, keepalive and the
// closing handshake work the same way. The end of the stream (QUIC FIN)
// ends the WebSocket's stream as a TCP FIN would, and a reset stream, or
// a lost QUIC connection, ends the connection abnormally (close code
// 1006) with an error that wraps wsconn.ErrStreamReset and quic-go's own
// error: an *http3.Error, which wraps a *quic.StreamError for a reset
// stream and a *quic.ApplicationError for a closed connection, or
// another QUIC error such as *quic.IdleTimeoutError.
//
// # Client
//
// Dial opens a WebSocket over HTTP/3 to a wss:// URL:
//
//	c, resp, err := http3.Dial(ctx, "wss://example.com/chat", &wsconn.DialOptions{
//		Protocols: []string{"chat.v1"},
//	})
//
// WebSockets dialed to the same host and port with the same TLSConfig
// share a QUIC connection, which closes when its last WebSocket closes.
// For a QUIC or TLS configuration of one's own, NewTransport makes the
// RoundTripper that wsconn.DialOptions.Transport takes from a quic-go
// http3.Transport.
//
// # Server
//
// The server side needs nothing from this package: wsconn.Accept and
// wsconn.Handler accept WebSockets over HTTP/3 as they come from quic-go's
// http3.Server, which announces extended CONNECT to clients
// (SETTINGS_ENABLE_CONNECT_PROTOCOL) and passes these requests to the
// handler with ProtoMajor 3 and the :protocol in Request.Proto:
//
//	srv := &http3.Server{ // import "github.com/quic-go/quic-go/http3"
//		Addr:      "127.0.0.1:8443",
//		TLSConfig: tlsConfig, // with the certificate; the server sets NextProtos to h3
//		Handler: wsconn.Handler(&wsconn.AcceptOptions{Protocols: []string{"chat.v1"}},
//			func(c *wsconn.WebsocketConnection, r *http.Request) {
//				c.OnMessage(func(typ wsconn.DataType, data []byte) { c.SendMessage(typ, data) })
//			}),
//	}
//	log.Fatal(srv.ListenAndServe()) // UDP
//
// A WebSocket's stream ends when its handler returns: Handler waits for
// the connection to close, and a handler that calls wsconn.Accept itself
// must wait too (<-c.Done()). The http3.Server's QUICConfig matters to
// WebSockets: MaxIncomingStreams (100 by default) bounds the WebSockets of
// one client connection, and MaxIdleTimeout (30 s by default) closes a
// QUIC connection on which nothing arrived for that long; this package's
// clients send QUIC keepalives, other clients may not, so set the
// connection's KeepaliveInterval or the server's KeepAlivePeriod for
// those. Shutdown and Close of the http3.Server treat WebSockets as any
// request: Shutdown waits for them, Close closes their QUIC connections
// (the WebSockets end with 1006); close the WebSockets yourself first.
package http3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quic-go/quic-go"
	quichttp3 "github.com/quic-go/quic-go/http3"
)

// NewTransport returns an http.RoundTripper for wsconn.DialOptions.Transport
// that sends the extended CONNECT request of a WebSocket over HTTP/3, with
// the settings of t: TLSClientConfig, QUICConfig, Dial, and those of the
// HTTP/3 connection (AdditionalSettings, MaxResponseHeaderBytes,
// DisableCompression, Logger). It takes https:// requests with method
// CONNECT and the :protocol pseudo-header, given as a header named
// ":protocol" (as wsconn.Dial does) or as the request's Proto; it refuses
// other requests.
//
// The RoundTripper opens QUIC connections of its own, not in t's pool: the
// WebSockets it carries to the same host and port share one, which closes
// when its last WebSocket closes, so t needs no Close for them. With
// t.QUICConfig nil, its connections send a QUIC keepalive every 10
// seconds, so that an idle WebSocket outlives QUIC's idle timeout. A
// connection carries up to 100 WebSockets; more get another connection.
// A nil t stands for the zero Transport.
//
// RoundTrip returns when the response head has arrived; the request's body,
// such as the reading end of an io.Pipe, is sent on the stream as it comes.
// Its end ends the request stream (QUIC FIN) once the response has ended
// too. Closing the response's body before the response ended, or the end
// of the request's context, resets the stream in both directions instead,
// so that a WebSocket that is aborted, or whose closing handshake timed
// out, resets its stream, and the server sees an abort rather than an
// orderly end. The caller's request is not modified.
func NewTransport(t *quichttp3.Transport) http.RoundTripper {
	if t == nil {
		t = &quichttp3.Transport{}
	}
	return &roundTripper{t: t, config: t}
}

// roundTripper sends extended CONNECT requests over the connections of
// the pool, dialed with the settings of t.
type roundTripper struct {
	t      *quichttp3.Transport
	config any // identifies the configuration in the pool's keys
}

// quicKeepAlive is the keepalive period of connections dialed without a
// QUIC configuration, as quic-go's own HTTP/3 client uses.
const quicKeepAlive = 10 * time.Second

// errNoExtendedConnect says that the server did not announce extended
// CONNECT in its SETTINGS.
var errNoExtendedConnect = errors.New("the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL: it takes no WebSockets over HTTP/3 (RFC 9220)")

// RoundTrip sends req, an extended CONNECT request, on a new stream of a
// shared QUIC connection, and returns the response once its head has
// arrived.
func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	out, err := connectRequest(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	addr := authorityAddr(req.URL)
	key := poolKey{config: rt.config, addr: addr}
	for attempt := 0; ; attempt++ {
		c, reused := connPool.get(key, func(ctx context.Context) (*quic.Conn, *quichttp3.ClientConn, error) {
			return rt.dial(ctx, addr)
		})
		rs, err := openStream(ctx, c)
		if err != nil {
			connPool.release(c)
			if reused && attempt == 0 && ctx.Err() == nil && errors.Is(err, errConnRefusedStream) {
				// The shared connection is going away: nothing was
				// sent, so the request goes on a new one.
				continue
			}
			closeBody(req)
			return nil, err
		}
		resp, err := roundTrip(ctx, rs, req, out, func() { connPool.release(c) })
		if resp != nil {
			state := c.qc.ConnectionState().TLS
			resp.TLS = &state
		}
		return resp, err
	}
}

// connectRequest returns the request that quic-go sends for req: a copy
// with the :protocol pseudo-header as its Proto, without a body (sent
// separately).
func connectRequest(req *http.Request) (*http.Request, error) {
	if req.URL == nil || req.Header == nil {
		return nil, errors.New("wsconn/http3: request without URL or Header")
	}
	if req.URL.Scheme != "https" {
		return nil, fmt.Errorf("wsconn/http3: %s URL: HTTP/3 needs https (wss)", req.URL.Scheme)
	}
	if req.Method != http.MethodConnect {
		return nil, fmt.Errorf("wsconn/http3: method %s: only extended CONNECT requests are sent", req.Method)
	}
	out := *req
	out.Body = nil
	out.GetBody = nil
	out.ContentLength = 0
	if p := req.Header.Get(":protocol"); p != "" {
		out.Header = req.Header.Clone()
		out.Header.Del(":protocol")
		out.Proto = p
	} else if req.Proto == "" || strings.HasPrefix(req.Proto, "HTTP/") {
		return nil, errors.New("wsconn/http3: CONNECT request without :protocol: only extended CONNECT requests are sent")
	}
	return &out, nil
}

// closeBody closes the body of req, as a RoundTripper must, including on
// errors.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// authorityAddr returns the host and port of u, with port 443 by default.
func authorityAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
