package wsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/iostream"
)

// Bounds of what a client reads of a handshake response.
const (
	// maxResponseHead bounds the status line and headers of a response.
	maxResponseHead = 64 << 10
	// maxErrorBody bounds the body of a refusal kept for the caller.
	maxErrorBody = 64 << 10
	// maxInformational bounds the 1xx responses skipped before the
	// final one, as net/http's Transport does.
	maxInformational = 5
)

// DialOptions configures Dial and DialStream. A nil *DialOptions is the
// zero value: no extra header, no Origin, no subprotocol, no extension, the
// system's roots of trust, no cookie jar, the proxy of the environment and
// no handshake timeout besides the context's.
type DialOptions struct {
	// Header holds extra headers of the handshake request, such as
	// Authorization, User-Agent or Cookie. A Host header sets the
	// request's Host. The headers of the handshake itself (Upgrade,
	// Connection and Sec-WebSocket-*) are set from the other options and
	// replace any given here. Dial does not change Header.
	Header http.Header

	// Origin is sent as the Origin header. When it is empty, the Origin
	// of Header is sent if there is one, and otherwise none, as Go
	// clients do: servers check Origin to protect browsers, and a
	// program that is not a browser has no origin to claim. Browsers
	// and Python's websocket-client send the scheme and host of the page
	// or of the URL, such as "http://example.com"; set Origin to that
	// for a server that refuses requests without one.
	Origin string

	// Protocols lists the subprotocols offered, in order of preference.
	// The connection's Protocol is the one the server chose, or "".
	Protocols []string

	// Extensions holds the extensions offered; nil offers none.
	Extensions *extensions.Registry

	// TLSConfig configures TLS for wss:// and https:// URLs and for
	// https:// proxies. Its ServerName defaults to the host of the URL
	// (for a proxy, it is always the proxy's host), and its NextProtos
	// are replaced by the HTTP versions Dial offers: "http/1.1", and "h2"
	// when HTTPProtocols allows HTTP/2. Nil means the zero tls.Config.
	TLSConfig *tls.Config

	// HTTPProtocols chooses the HTTP versions the WebSocket may run over;
	// the zero value means HTTP/1.1 alone.
	//
	// With HTTP2 set, a wss:// Dial offers h2 in TLS and, when the server
	// chooses it and its SETTINGS allow extended CONNECT (RFC 8441), opens
	// the WebSocket as a stream of that HTTP/2 connection. Otherwise it
	// falls back to HTTP/1.1 when HTTP1 is set too, or fails: with
	// HTTP2 alone, HTTP/2 is required. UnencryptedHTTP2 does the same for
	// ws:// URLs with HTTP/2 over TCP without TLS (prior knowledge). Dials
	// to the same server with the same TLSConfig and proxy, and no
	// NetDial, share one HTTP/2 connection, which closes when its last
	// WebSocket closes. For HTTP/3, see module github.com/wsconn/wsconn/http3.
	HTTPProtocols http.Protocols

	// Transport, if not nil, carries the handshake instead of a
	// connection of Dial's own: Dial sends an extended CONNECT request
	// (RFC 8441, RFC 9220) with Transport.RoundTrip, and the WebSocket
	// runs over the request's stream, in whatever HTTP version Transport
	// speaks; NetDial, Proxy, TLSConfig and HTTPProtocols are not used.
	// The request gives the :protocol pseudo-header as a header named
	// ":protocol" and its body is an io.Pipe that stays open for the
	// stream's life, as golang.org/x/net/http2's Transport and ClientConn
	// take them; a shared http2.Transport lets many WebSockets share its
	// connections. Module github.com/wsconn/wsconn/http3 has one for
	// HTTP/3.
	Transport http.RoundTripper

	// Jar, if not nil, supplies the cookies sent with the request and
	// stores those of the response, as for an http(s) URL with the same
	// host and path (https for wss).
	Jar http.CookieJar

	// Proxy returns the proxy to use for the request, whose URL has the
	// http or https scheme of the WebSocket URL, or nil for none. Nil
	// means http.ProxyFromEnvironment (HTTP_PROXY, HTTPS_PROXY,
	// NO_PROXY); to use no proxy at all, give a function that returns
	// nil. Proxies with scheme http or https are asked to CONNECT, with
	// Basic authorization from the proxy URL's user info; socks5 and
	// socks5h proxies are spoken to with SOCKS5 (RFC 1928), with
	// username and password authentication (RFC 1929) from the user
	// info. A socks5 proxy gets an address resolved here, a socks5h one
	// the host name. Other schemes fail.
	Proxy func(*http.Request) (*url.URL, error)

	// NetDial, if not nil, opens the connection to the server or to the
	// proxy, in place of a net.Dialer: for unix sockets, in-process
	// pipes, or a dialer of one's own. Network is always "tcp".
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)

	// MaxRedirects bounds the redirects (301, 302, 303, 307, 308) that
	// Dial follows, each with a new handshake to the Location (http and
	// https become ws and wss); 0 means 10, a negative number none.
	// Cookies set by a redirect go to Jar. DialStream follows none.
	MaxRedirects int

	// HandshakeTimeout, if positive, bounds the whole handshake (dial,
	// proxy, TLS, request and response), besides the context given to
	// Dial.
	HandshakeTimeout time.Duration

	// ConnectionOptions configures the connection, as for
	// NewWebsocketConnection: limits, keepalive, a MainContext... Its
	// Request is replaced by the handshake's.
	ConnectionOptions *Options
}

// Dial opens a WebSocket connection to rawURL, a ws:// or wss:// URL
// (http:// and https:// are taken as aliases), and returns it with the
// server's handshake response. User info in the URL is sent as Basic
// authorization, unless opts.Header has an Authorization header; a
// fragment is never sent.
//
// ctx bounds the whole handshake: the dial, the proxy exchange, the TLS
// handshake and the request and response; once Dial has returned, ctx no
// longer matters to the connection. When ctx is done first, the error
// wraps context.Cause(ctx), such as context.DeadlineExceeded.
//
// A response other than 101 Switching Protocols fails with an error that
// errors.As turns into a *handshake.StatusError, whose Response holds the
// status, the headers and up to 64 KiB of the body, readable after Dial has
// returned (for example the reason of a 401). A 101 response that does not
// pass handshake.ClientVerify fails with a *handshake.Error and never
// yields a connection. Whenever the server answered, Dial also returns the
// response. A response head larger than 64 KiB is refused.
//
// The connection holds its events until handlers are connected (see
// NewWebsocketConnection), so a server that speaks first loses nothing.
//
// In a browser (GOOS=js GOARCH=wasm), Dial opens the browser's own
// WebSocket and runs the connection over it, with the same signals, pull
// API, limits and closing handshake. The browser does the handshake (its
// page's Origin and cookies, its TLS, permessage-deflate if the server
// offers it) and answers the server's pings; what it does not offer fails
// at Dial with an error wrapping errors.ErrUnsupported: Header, Origin,
// Extensions, Transport, NetDial, Proxy, TLSConfig, Jar and keepalive
// pings. Ping returns such an error, and the response holds only the
// chosen subprotocol and extensions. The browser takes close codes 1000
// and 3000 to 4999 from a client: Close with another code closes without
// one.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	if opts == nil {
		opts = &DialOptions{}
	}
	if inBrowser {
		return dialBrowser(ctx, rawURL, opts)
	}
	ctx, cancel := handshakeContext(ctx, opts.HandshakeTimeout)
	defer cancel()
	redirects := opts.MaxRedirects
	if redirects == 0 {
		redirects = defaultMaxRedirects
	}
	for hop := 0; ; hop++ {
		ep, err := parseDialTarget(rawURL)
		if err != nil {
			return nil, nil, err
		}
		c, resp, err := dialOnce(ctx, ep, opts)
		next, ok := redirectTarget(resp, err)
		if !ok {
			return c, resp, err
		}
		if hop >= redirects {
			return nil, resp, fmt.Errorf("wsconn: dial %s: stopped after %d redirects: %w", rawURL, hop, err)
		}
		rawURL = ep.http.ResolveReference(next).String()
	}
}

// dialOnce opens the WebSocket at ep: through opts.Transport, over
// HTTP/2 when opts.HTTPProtocols asks for it, or over HTTP/1.1.
func dialOnce(ctx context.Context, ep *dialTarget, opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	if opts.Transport != nil {
		req, origin, err := newHandshakeRequest(ctx, ep, http.MethodConnect, opts)
		if err != nil {
			return nil, nil, err
		}
		return dialConnect(ctx, ep, req, origin, opts.Transport, nil, nil, opts)
	}
	v, err := opts.httpVersions(ep)
	if err != nil {
		return nil, nil, err
	}
	var t *transport
	if v.http2 {
		var c *WebsocketConnection
		var resp *http.Response
		c, resp, t, err = dialHTTP2(ctx, ep, v, opts)
		if c != nil || err != nil {
			return c, resp, err
		}
		// HTTP/1.1 instead, over t if the server chose it in TLS.
	}
	req, origin, err := newHandshakeRequest(ctx, ep, http.MethodGet, opts)
	if err != nil {
		t.close()
		return nil, nil, err
	}
	if t == nil {
		if t, err = dialTransport(ctx, ep, req, opts, []string{"http/1.1"}); err != nil {
			return nil, nil, err
		}
	}
	return finishDial(ctx, ep, req, origin, t.conn, t.raw, t.release, opts)
}

// defaultMaxRedirects is the number of redirects Dial follows when
// DialOptions.MaxRedirects is 0.
const defaultMaxRedirects = 10

// redirectTarget returns where a refused handshake redirects to.
func redirectTarget(resp *http.Response, err error) (*url.URL, bool) {
	var serr *handshake.StatusError
	if resp == nil || !errors.As(err, &serr) {
		return nil, false
	}
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, false
	}
	loc, lerr := resp.Location()
	if lerr != nil {
		return nil, false
	}
	return loc, true
}

// DialStream does the client handshake for rawURL over stream, a transport
// the caller has opened already, such as an SSH channel, a pipe or a unix
// socket, and returns the connection over it with the server's handshake
// response. It does not dial, nor use a proxy or TLS: the URL gives the
// request's Host and path, the connection's URI, and the cookies' scheme.
// Otherwise it behaves as Dial, and takes the same options.
//
// ctx bounds the handshake. When stream has a SetDeadline method, as every
// net.Conn has, it is used to interrupt the handshake when ctx is done, and
// cleared afterwards; otherwise stream is closed when ctx is done. The
// stream belongs to DialStream from the call on: on failure DialStream
// closes it, on success it belongs to the connection.
func DialStream(ctx context.Context, stream io.ReadWriteCloser, rawURL string, opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	if stream == nil {
		return nil, nil, errors.New("wsconn: DialStream: nil stream")
	}
	if opts == nil {
		opts = &DialOptions{}
	}
	ep, err := parseDialTarget(rawURL)
	if err != nil {
		stream.Close()
		return nil, nil, err
	}
	ctx, cancel := handshakeContext(ctx, opts.HandshakeTimeout)
	defer cancel()
	req, origin, err := newHandshakeRequest(ctx, ep, http.MethodGet, opts)
	if err != nil {
		stream.Close()
		return nil, nil, err
	}

	return finishDial(ctx, ep, req, origin, stream, stream, bindContext(ctx, stream), opts)
}

// finishDial does the handshake of req over s, whose I/O is bound to ctx
// until release is called, and returns the connection over s. On failure
// it closes closer, the transport under s.
func finishDial(ctx context.Context, ep *dialTarget, req *http.Request, origin string,
	s io.ReadWriteCloser, closer io.Closer, release func() error, opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	res, err := clientHandshake(ctx, ep, s, req, opts)
	if rerr := release(); err == nil && rerr != nil {
		err = ep.errorf("handshake: %w", rerr)
	}
	if err != nil {
		closer.Close()
		return nil, res.resp, err
	}
	copts := opts.ConnectionOptions.withRequest(req)
	c := NewWebsocketConnection(iostream.NewPrefixed(res.rest, streamCaps(s)), ep.ws,
		ConnectionClient, origin, res.protocol, res.exts, copts)
	return c, res.resp, nil
}

// dialTarget is a parsed WebSocket URL.
type dialTarget struct {
	ws     *url.URL // ws or wss: the connection's URI
	http   *url.URL // http or https: for the request, the jar and Proxy
	secure bool
	addr   string // host:port to connect to
}

// parseDialTarget parses a ws, wss, http or https URL. A fragment is
// dropped: it is never sent.
func parseDialTarget(rawURL string) (*dialTarget, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("wsconn: dial: %w", err)
	}
	ep := &dialTarget{}
	var httpScheme, port string
	switch strings.ToLower(u.Scheme) {
	case "ws", "http":
		httpScheme, port = "http", "80"
	case "wss", "https":
		httpScheme, port, ep.secure = "https", "443", true
	default:
		return nil, fmt.Errorf("wsconn: dial %s: unsupported scheme %q: want ws, wss, http or https", u.Redacted(), u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("wsconn: dial %s: URL has no host", u.Redacted())
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("wsconn: dial %s: URL has an opaque part %q, not a path", u.Redacted(), u.Opaque)
	}
	u.Fragment, u.RawFragment = "", ""
	if p := u.Port(); p != "" {
		port = p
	}
	ep.addr = net.JoinHostPort(u.Hostname(), port)

	ep.http = new(url.URL)
	*ep.http = *u
	ep.http.Scheme = httpScheme
	ep.ws = new(url.URL)
	*ep.ws = *u
	ep.ws.Scheme = "ws"
	if ep.secure {
		ep.ws.Scheme = "wss"
	}
	ep.ws.User = nil
	return ep, nil
}

// errorf returns an error about dialing ep.
func (ep *dialTarget) errorf(format string, args ...any) error {
	return fmt.Errorf("wsconn: dial %s: "+format, append([]any{ep.ws.String()}, args...)...)
}

// handshakeContext returns ctx bounded by timeout, if positive.
func handshakeContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(ctx)
	}
	cause := fmt.Errorf("HandshakeTimeout (%v) expired: %w", timeout, context.DeadlineExceeded)
	return context.WithTimeoutCause(ctx, timeout, cause)
}

// newHandshakeRequest builds the handshake request for ep, with method GET
// for HTTP/1.1 or CONNECT for HTTP/2 and HTTP/3, and returns it with the
// Origin it carries.
func newHandshakeRequest(ctx context.Context, ep *dialTarget, method string, opts *DialOptions) (*http.Request, string, error) {
	u := new(url.URL)
	*u = *ep.http
	u.User = nil
	h := opts.Header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	req := (&http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       u.Host,
	}).WithContext(ctx)
	if host := h.Get("Host"); host != "" {
		req.Host = host
		h.Del("Host")
	}
	if user := ep.http.User; user != nil && h.Get("Authorization") == "" {
		h.Set("Authorization", basicAuth(user))
	}
	if opts.Jar != nil {
		for _, c := range opts.Jar.Cookies(ep.http) {
			req.AddCookie(c)
		}
	}
	origin := opts.Origin
	if origin == "" {
		origin = h.Get("Origin")
	}
	if err := handshake.ClientPrepare(req, origin, opts.Protocols, opts.Extensions); err != nil {
		return nil, "", ep.errorf("%w", err)
	}
	return req, origin, nil
}

// basicAuth returns the value of a Basic Authorization header for user.
func basicAuth(user *url.Userinfo) string {
	pass, _ := user.Password()
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user.Username()+":"+pass))
}

// transport is an opened connection to a server: raw is the connection
// first opened, bound to the handshake's context until release is called;
// conn is the one to speak HTTP over (TLS, or through a proxy).
type transport struct {
	raw, conn net.Conn
	release   func() error
}

// close releases and closes t; a nil t is left alone.
func (t *transport) close() {
	if t != nil {
		t.release()
		t.raw.Close()
	}
}

// dialTransport opens the transport to ep: a connection to the server or
// the proxy, the proxy exchange, then TLS for wss offering the protocols
// of alpn.
func dialTransport(ctx context.Context, ep *dialTarget, req *http.Request, opts *DialOptions, alpn []string) (*transport, error) {
	proxyURL, err := opts.proxyURL(ep, req)
	if err != nil {
		return nil, err
	}
	var p *proxyServer
	addr := ep.addr
	if proxyURL != nil {
		if p, err = newProxy(proxyURL); err != nil {
			return nil, ep.errorf("%w", err)
		}
		addr = p.addr
	}

	netDial := opts.NetDial
	if netDial == nil {
		netDial = (&net.Dialer{}).DialContext
	}
	raw, err := netDial(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ep.errorf("connecting to %s: %w", addr, context.Cause(ctx))
		}
		return nil, ep.errorf("%w", err)
	}
	t := &transport{raw: raw, conn: raw, release: bindContext(ctx, raw)}
	fail := func(err error) (*transport, error) {
		t.close()
		return nil, ep.errorf("%w", err)
	}
	if p != nil {
		if t.conn, err = p.connect(ctx, t.conn, ep.addr, opts.TLSConfig); err != nil {
			return fail(err)
		}
	}
	if ep.secure {
		tc := tls.Client(t.conn, clientTLSConfig(opts.TLSConfig, ep.http.Hostname(), false, alpn))
		if err := tc.HandshakeContext(ctx); err != nil {
			err = contextError(ctx, err)
			if !slices.Contains(alpn, "http/1.1") && strings.Contains(err.Error(), "no application protocol") {
				err = fmt.Errorf("%w: the server speaks no HTTP/2, which DialOptions.HTTPProtocols requires", err)
			}
			return fail(fmt.Errorf("TLS handshake with %s: %w", ep.addr, err))
		}
		t.conn = tc
	}
	return t, nil
}

// proxyURL returns the proxy to reach ep through, or nil.
func (opts *DialOptions) proxyURL(ep *dialTarget, req *http.Request) (*url.URL, error) {
	proxyFunc := opts.Proxy
	if proxyFunc == nil {
		proxyFunc = http.ProxyFromEnvironment
	}
	u, err := proxyFunc(req)
	if err != nil {
		return nil, ep.errorf("choosing a proxy: %w", err)
	}
	return u, nil
}

// clientTLSConfig returns a copy of base for a connection to serverName,
// offering the protocols of alpn. force sets ServerName even when base has
// one.
func clientTLSConfig(base *tls.Config, serverName string, force bool, alpn []string) *tls.Config {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.ServerName == "" || force {
		cfg.ServerName = serverName
	}
	cfg.NextProtos = alpn
	return cfg
}

// handshakeResult is what clientHandshake learned.
type handshakeResult struct {
	resp     *http.Response // the server's answer, if there was one
	rest     []byte         // bytes read past the head of a 101 response
	protocol string
	exts     []extensions.Extension
}

// clientHandshake writes req to s, reads and checks the answer. On a
// refusal it keeps up to maxErrorBody bytes of the body in resp.Body.
func clientHandshake(ctx context.Context, ep *dialTarget, s io.ReadWriter, req *http.Request, opts *DialOptions) (handshakeResult, error) {
	var res handshakeResult
	log := opts.ConnectionOptions.logger()
	if log != nil {
		log.Debug("wsconn: handshake request", "url", req.URL.Redacted(), "header", req.Header)
	}
	if err := req.Write(s); err != nil {
		return res, ep.errorf("writing the handshake request: %w", contextError(ctx, err))
	}
	lim := &headLimit{r: s, n: maxResponseHead}
	br := bufio.NewReader(lim)
	resp, err := readFinalResponse(br, lim, req)
	if err != nil {
		return res, ep.errorf("reading the handshake response: %w", contextError(ctx, err))
	}
	lim.lift()
	res.resp = resp
	if res.protocol, res.exts, err = opts.verifyResponse(ep, req, resp); err != nil {
		return res, err
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		res.rest = append([]byte(nil), b...)
	}
	return res, nil
}

// verifyResponse checks resp, the server's answer to req, with
// handshake.ClientVerify, after logging it and giving its cookies to the
// jar. On a refusal it keeps up to maxErrorBody bytes of the body in
// resp.Body (see keepErrorBody); on another failure it closes the body.
func (opts *DialOptions) verifyResponse(ep *dialTarget, req *http.Request, resp *http.Response) (string, []extensions.Extension, error) {
	if log := opts.ConnectionOptions.logger(); log != nil {
		log.Debug("wsconn: handshake response", "status", resp.Status, "proto", resp.Proto, "header", resp.Header)
	}
	if opts.Jar != nil {
		if cookies := resp.Cookies(); len(cookies) > 0 {
			opts.Jar.SetCookies(ep.http, cookies)
		}
	}
	protocol, exts, err := handshake.ClientVerify(req, resp, opts.Extensions)
	if err != nil {
		var serr *handshake.StatusError
		if errors.As(err, &serr) {
			keepErrorBody(resp)
		} else {
			resp.Body.Close()
		}
		return "", nil, ep.errorf("%w", err)
	}
	return protocol, exts, nil
}

// readFinalResponse reads the response to req from br, skipping up to
// maxInformational 1xx responses other than 101.
func readFinalResponse(br *bufio.Reader, lim *headLimit, req *http.Request) (*http.Response, error) {
	for i := 0; ; i++ {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			if lim.exhausted() || errors.Is(err, errHeadTooLarge) {
				return nil, errHeadTooLarge
			}
			return nil, err
		}
		if resp.StatusCode/100 != 1 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		if i == maxInformational {
			return nil, fmt.Errorf("more than %d informational (1xx) responses", maxInformational)
		}
		lim.n = maxResponseHead // each head has its own bound
	}
}

var errHeadTooLarge = fmt.Errorf("response head larger than %d KiB", maxResponseHead>>10)

// headLimit bounds the bytes read for a response head. It allows one
// buffer's worth beyond the bound, as the bufio.Reader on top of it reads
// ahead of the head's end.
type headLimit struct {
	r      io.Reader
	n      int64 // bytes of head still allowed
	lifted bool
}

// headSlack is what a bufio.Reader of the default size reads ahead.
const headSlack = 4096

func (l *headLimit) Read(p []byte) (int, error) {
	if l.lifted {
		return l.r.Read(p)
	}
	allowed := l.n + headSlack
	if allowed <= 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > allowed {
		p = p[:allowed]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// exhausted reports whether the head used up its bound.
func (l *headLimit) exhausted() bool { return !l.lifted && l.n+headSlack <= 0 }

// lift removes the bound, for reading a body.
func (l *headLimit) lift() { l.lifted = true }

// pastDeadline is a deadline in the past, to interrupt blocked I/O.
var pastDeadline = time.Unix(1, 0)

// deadlineSetter is implemented by streams with deadlines, such as net.Conn.
type deadlineSetter interface {
	SetDeadline(t time.Time) error
}

// bindContext makes blocked I/O on s fail once ctx is done, until release
// is called: through SetDeadline when s has it, which release clears, or
// else by closing s. release returns context.Cause(ctx) when ctx ended the
// binding first.
func bindContext(ctx context.Context, s io.Closer) (release func() error) {
	if d, ok := s.(deadlineSetter); ok {
		stop := context.AfterFunc(ctx, func() { d.SetDeadline(pastDeadline) })
		return func() error {
			if !stop() {
				return context.Cause(ctx)
			}
			d.SetDeadline(time.Time{})
			return nil
		}
	}
	stop := context.AfterFunc(ctx, func() { s.Close() })
	return func() error {
		if !stop() {
			return context.Cause(ctx)
		}
		return nil
	}
}

// contextError returns context.Cause(ctx) in place of err when ctx is
// done: the I/O failed because ctx, or the binding to it, interrupted it.
func contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}
