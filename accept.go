package wsconn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/iostream"
)

// AcceptOptions configures Accept and Handler. A nil *AcceptOptions is the
// zero value: it accepts requests without Origin and same-origin requests,
// and supports no subprotocol and no extension. The fields with the names
// of handshake.Server's fields mean what they mean there.
type AcceptOptions struct {
	// Protocols lists the supported subprotocols. The first protocol of
	// the client's offer that is in Protocols is chosen; when none is,
	// the connection has no subprotocol.
	Protocols []string

	// PreferServerProtocols chooses the first protocol of Protocols that
	// the client offered instead.
	PreferServerProtocols bool

	// RequireProtocol refuses, with 400, a client that offers
	// subprotocols of which none is in Protocols.
	RequireProtocol bool

	// OriginPatterns lists the origins accepted besides the request's
	// own host, as path.Match patterns such as "*.example.com".
	OriginPatterns []string

	// CheckOrigin, if not nil, decides alone whether the request's
	// origin is accepted.
	CheckOrigin func(r *http.Request) bool

	// InsecureSkipOriginCheck accepts every origin. It is for test
	// servers and servers that do not rely on cookies or other
	// credentials that browsers send on their own.
	InsecureSkipOriginCheck bool

	// Extensions holds the supported extensions; nil supports none.
	Extensions *extensions.Registry

	// ResponseHeader holds headers added to the 101 Switching Protocols
	// response, such as Set-Cookie. Headers already set on the
	// ResponseWriter are sent too. The headers of the handshake itself
	// are set by Accept and replace any given here.
	ResponseHeader http.Header

	// ConnectionOptions configures the connection, as for
	// NewWebsocketConnection: limits, keepalive, a MainContext... Its
	// Request is replaced by the handshake's.
	ConnectionOptions *Options
}

// Accept answers the WebSocket handshake request r and returns the server
// end of the connection.
//
// Accept checks and processes r as handshake.Server does, with the policy
// of opts. It refuses a request that fails a check itself, with the
// status of the failure (400, 403 for a refused origin, 426 for an
// unsupported version), a short text body and Connection: close, so that
// the http.Server closes the connection after it, and returns the error,
// which errors.As turns into a *handshake.Error. Otherwise it takes the
// connection over from the http.Server, writes the 101 Switching
// Protocols response on it and returns a connection whose stream first
// yields any bytes the server had already read past the request head.
// The connection's URI is the request's URL with its Host, and scheme ws
// or wss; its Origin is the request's Origin header.
//
// A ResponseWriter that cannot hand over its connection
// (http.ResponseController's Hijack fails) gets 500 and Connection: close,
// and Accept returns an error. Accept writes nothing to w after it has
// taken the connection over.
//
// Over HTTP/2 and HTTP/3 a WebSocket is the stream of an extended CONNECT
// request (RFC 8441, RFC 9220), and Accept answers one with 200 and
// returns a connection over the request's body and the response, flushed
// at each write; a GET there is refused with 400. Its refusals carry no
// Connection header, which would shut the whole HTTP/2 connection down.
// The stream ends when the handler returns, so a handler that calls
// Accept must not return before the connection is closed, for example
// with <-c.Done(); Handler waits for it. A handler that returns earlier
// ends the connection abnormally (1006, ErrStreamReset). Go's HTTP/2
// server passes extended CONNECT requests to handlers only with
// GODEBUG=http2xconnect=1 in the environment as the program starts, or
// when the program imports package github.com/wsconn/wsconn/xconnect;
// github.com/quic-go/quic-go's http3 server does so by default (module
// github.com/wsconn/wsconn/http3). The server's timeouts and Shutdown
// apply to these connections as to any request: set no WriteTimeout, and
// close the connections when the server shuts down.
//
// The connection holds its events until handlers are connected (see
// NewWebsocketConnection), so a client that speaks first loses nothing.
//
// The http.Server's settings bound what happens before Accept is called.
// Set ReadHeaderTimeout, so that a client that sends its request head
// slowly, or not at all, is cut off instead of holding a connection and a
// goroutine (slowloris), and MaxHeaderBytes, which bounds the request
// head (the default, http.DefaultMaxHeaderBytes, is 1 MB). Once Accept has
// taken a connection over, the server's ReadTimeout, WriteTimeout and
// IdleTimeout no longer apply to it, and Server.Shutdown and Server.Close
// neither wait for it nor close it: detect dead peers with the
// connection's keepalive (Options.KeepaliveInterval and KeepalivePongTimeout),
// bound messages with its size limits, and close the connections yourself
// when the server shuts down (see Server.RegisterOnShutdown).
func Accept(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*WebsocketConnection, error) {
	if opts == nil {
		opts = &AcceptOptions{}
	}
	if r.ProtoMajor >= 2 {
		return acceptConnect(w, r, opts)
	}
	hs := make(http.Header)
	protocol, exts, err := opts.server().Process(r, hs)
	if err != nil {
		handshake.WriteError(w, r, err)
		return nil, fmt.Errorf("wsconn: accept: %w", err)
	}
	head := responseHead(w.Header(), opts.ResponseHeader, hs)

	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			w.Header().Set("Connection", "close") // as handshake.WriteError
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
		return nil, fmt.Errorf("wsconn: accept: taking the connection over from the HTTP server: %w", err)
	}
	// The server may have left its deadlines on the connection.
	conn.SetDeadline(time.Time{})
	release := bindContext(r.Context(), conn)
	nc, err := iostream.FromHijack(conn, brw)
	if err == nil {
		_, err = nc.Write(head)
	}
	if rerr := release(); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("wsconn: accept: writing the 101 response: %w", err)
	}
	return opts.newConnection(nc, r, hs, protocol, exts), nil
}

// server returns the handshake policy of opts.
func (opts *AcceptOptions) server() *handshake.Server {
	return &handshake.Server{
		Protocols:               opts.Protocols,
		PreferServerProtocols:   opts.PreferServerProtocols,
		RequireProtocol:         opts.RequireProtocol,
		Extensions:              opts.Extensions,
		OriginPatterns:          opts.OriginPatterns,
		CheckOrigin:             opts.CheckOrigin,
		InsecureSkipOriginCheck: opts.InsecureSkipOriginCheck,
	}
}

// newConnection returns the server end of an accepted handshake over s.
func (opts *AcceptOptions) newConnection(s io.ReadWriteCloser, r *http.Request, hs http.Header, protocol string, exts []extensions.Extension) *WebsocketConnection {
	if log := opts.ConnectionOptions.logger(); log != nil {
		log.Debug("wsconn: handshake accepted", "url", r.URL.String(), "remote", r.RemoteAddr,
			"request", r.Header, "response", hs, "protocol", protocol)
	}
	copts := opts.ConnectionOptions.withRequest(r)
	return NewWebsocketConnection(s, requestURI(r), ConnectionServer, r.Header.Get("Origin"), protocol, exts, copts)
}

// Handler returns an http.Handler that accepts every request with Accept
// and opts, and calls fn with the connection and the request; a request
// that Accept refuses has been answered and fn is not called. It mounts in
// any mux, such as http.ServeMux.
//
// fn runs on the request's goroutine, to set the connection up: connect
// its handlers, register it somewhere, or serve it to the end. Over
// HTTP/1.1 ServeHTTP returns when fn returns; the connection lives on
// until it is closed, and belongs to the code that fn handed it to. The
// request's context is cancelled when ServeHTTP returns: it must not bound
// the connection's work. Over HTTP/2 and HTTP/3, where the connection is
// the request's stream, ServeHTTP returns when fn has returned and the
// connection is closed.
func Handler(opts *AcceptOptions, fn func(c *WebsocketConnection, r *http.Request)) http.Handler {
	if fn == nil {
		panic("wsconn: Handler: nil fn")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, opts)
		if err != nil {
			return
		}
		fn(c, r)
		if s, ok := c.stream.(*serverStream); ok {
			s.wait()
		}
	})
}

// Headers that a 101 response must not carry from elsewhere: those of
// the handshake, which Process sets or leaves out on purpose, and those
// about a body, which a 1xx response has none of.
var handshakeHeaders = []string{
	"Upgrade", "Connection", "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol",
	"Sec-WebSocket-Extensions", "Content-Length", "Transfer-Encoding",
}

// responseHead returns the 101 response with the headers of w, extra and
// the handshake's hs, in that order of precedence, from lowest to
// highest.
func responseHead(w, extra, hs http.Header) []byte {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	responseHeader(w, extra, hs).Write(&b) // sorted; newlines in values become spaces
	b.WriteString("\r\n")
	return b.Bytes()
}

// responseHeader returns the header of the response that accepts a
// handshake: those of w, extra and the handshake's hs, in that order of
// precedence, from lowest to highest.
func responseHeader(w, extra, hs http.Header) http.Header {
	h := w.Clone()
	if h == nil {
		h = make(http.Header)
	}
	for _, name := range handshakeHeaders {
		h.Del(name)
	}
	for name, values := range extra {
		for _, v := range values {
			h.Add(name, v)
		}
	}
	for name, values := range hs {
		h[name] = values
	}
	for name := range h {
		if !httpguts.ValidHeaderFieldName(name) {
			delete(h, name) // as net/http drops them
		}
	}
	return h
}

// requestURI returns the URL of the handshake request r as a ws or wss
// URL with its host.
func requestURI(r *http.Request) *url.URL {
	u := *r.URL
	u.Host = r.Host
	u.Scheme = "ws"
	if r.TLS != nil {
		u.Scheme = "wss"
	}
	u.User = nil
	return &u
}
