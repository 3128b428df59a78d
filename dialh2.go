package wsconn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"

	"golang.org/x/net/http2"
)

// httpVersions is what DialOptions.HTTPProtocols allows for one URL.
type httpVersions struct {
	http1, http2 bool
}

// httpVersions returns the HTTP versions that opts allows for ep: HTTP2
// applies to wss, UnencryptedHTTP2 to ws.
func (opts *DialOptions) httpVersions(ep *dialTarget) (httpVersions, error) {
	p := opts.HTTPProtocols
	if !p.HTTP1() && !p.HTTP2() && !p.UnencryptedHTTP2() {
		return httpVersions{http1: true}, nil
	}
	v := httpVersions{http1: p.HTTP1(), http2: p.UnencryptedHTTP2()}
	if ep.secure {
		v.http2 = p.HTTP2()
	}
	if !v.http1 && !v.http2 {
		return v, ep.errorf("DialOptions.HTTPProtocols %v allows no HTTP version for a %s URL (HTTP2 is over TLS, UnencryptedHTTP2 without)", p, ep.ws.Scheme)
	}
	return v, nil
}

// h2Transport makes the HTTP/2 client connections of Dial; its own pool
// is not used.
var h2Transport = &http2.Transport{DisableCompression: true}

// h2Key identifies the HTTP/2 connections that Dials may share.
type h2Key struct {
	addr   string
	secure bool
	tls    *tls.Config
	proxy  string
}

// h2Conn is an HTTP/2 client connection and the WebSockets on it.
type h2Conn struct {
	cc   *http2.ClientConn
	conn net.Conn
	key  h2Key
	refs int // WebSockets open or opening on it; guarded by h2Pool.mu
}

// h2Pool holds the HTTP/2 connections that Dials share. A connection
// closes when its last WebSocket does.
type h2Pool struct {
	mu    sync.Mutex
	conns map[h2Key][]*h2Conn
}

var h2Conns h2Pool

// get returns a connection for k that can take another stream, counting
// the stream, or nil.
func (p *h2Pool) get(k h2Key) *h2Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, hc := range p.conns[k] {
		if hc.cc.CanTakeNewRequest() {
			hc.refs++
			return hc
		}
	}
	return nil
}

// add makes hc, which has a stream open, available to other Dials.
func (p *h2Pool) add(hc *h2Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if hc.refs == 0 {
		return // its stream already closed
	}
	if p.conns == nil {
		p.conns = make(map[h2Key][]*h2Conn)
	}
	p.conns[hc.key] = append(p.conns[hc.key], hc)
}

// release counts the end of a stream of hc, and closes hc after its last.
func (p *h2Pool) release(hc *h2Conn) {
	p.mu.Lock()
	hc.refs--
	last := hc.refs == 0
	if last {
		list := p.conns[hc.key]
		for i, c := range list {
			if c == hc {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(p.conns, hc.key)
		} else {
			p.conns[hc.key] = list
		}
	}
	p.mu.Unlock()
	if last {
		hc.cc.Close()
	}
}

// dialHTTP2 opens the WebSocket at ep as a stream of an HTTP/2
// connection, shared with other Dials when it can be. When the server
// does not take it and v allows HTTP/1.1, it returns neither connection
// nor error, and t if the server chose HTTP/1.1 in TLS, for the HTTP/1.1
// handshake to go on over it.
func dialHTTP2(ctx context.Context, ep *dialTarget, v httpVersions, opts *DialOptions) (c *WebsocketConnection, resp *http.Response, t *transport, err error) {
	req, origin, err := newHandshakeRequest(ctx, ep, http.MethodConnect, opts)
	if err != nil {
		return nil, nil, nil, err
	}
	proxyURL, err := opts.proxyURL(ep, req)
	if err != nil {
		return nil, nil, nil, err
	}
	key := h2Key{addr: ep.addr, secure: ep.secure, tls: opts.TLSConfig}
	if proxyURL != nil {
		key.proxy = proxyURL.String()
	}
	shared := opts.NetDial == nil
	if shared {
		if hc := h2Conns.get(key); hc != nil {
			c, resp, err = dialConnect(ctx, ep, req, origin, hc.cc, hc.conn, func() { h2Conns.release(hc) }, opts)
			return c, resp, nil, err
		}
	}

	alpn := []string{"h2"}
	if v.http1 {
		alpn = append(alpn, "http/1.1")
	}
	if t, err = dialTransport(ctx, ep, req, opts, alpn); err != nil {
		return nil, nil, nil, err
	}
	if tc, ok := t.conn.(*tls.Conn); ok {
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			if v.http1 {
				return nil, nil, t, nil
			}
			t.close()
			return nil, nil, nil, ep.errorf("HTTP/2 is required (DialOptions.HTTPProtocols) and the server chose %q in TLS", p)
		}
	}
	cc, err := h2Transport.NewClientConn(t.conn)
	if err != nil {
		t.close()
		return nil, nil, nil, ep.errorf("starting HTTP/2: %w", err)
	}
	hc := &h2Conn{cc: cc, conn: t.conn, key: key, refs: 1}
	c, resp, err = dialConnect(ctx, ep, req, origin, cc, t.conn, func() { h2Conns.release(hc) }, opts)
	if rerr := t.release(); err == nil && rerr != nil {
		// ctx ended as the handshake did, and broke the connection.
		c.Abort()
		return nil, nil, nil, ep.errorf("handshake: %w", rerr)
	}
	if err != nil {
		if v.http1 && resp == nil && ctx.Err() == nil && (!ep.secure || noExtendedConnect(err)) {
			// The server speaks HTTP/2 without WebSockets over it, or,
			// without TLS, perhaps no HTTP/2 at all: dial again for
			// HTTP/1.1.
			return nil, nil, nil, nil
		}
		return nil, resp, nil, err
	}
	if shared {
		h2Conns.add(hc)
	}
	return c, resp, nil, nil
}

// noExtendedConnect reports whether err says that the server's SETTINGS
// did not allow extended CONNECT.
func noExtendedConnect(err error) bool {
	return errors.Is(err, errNoExtendedConnectHint)
}
