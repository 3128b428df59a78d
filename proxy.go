package wsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/proxy"

	"github.com/wsconn/wsconn/iostream"
)

// proxyServer is the proxy server that a Dial goes through.
type proxyServer struct {
	url    *url.URL
	scheme string // http, https, socks5 or socks5h
	addr   string // host:port of the proxy
}

// newProxy checks the proxy URL u.
func newProxy(u *url.URL) (*proxyServer, error) {
	p := &proxyServer{url: u, scheme: strings.ToLower(u.Scheme)}
	var port string
	switch p.scheme {
	case "http":
		port = "80"
	case "https":
		port = "443"
	case "socks5", "socks5h":
		port = "1080"
	default:
		return nil, fmt.Errorf("proxy %s: unsupported scheme %q: want http, https, socks5 or socks5h", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy %s: URL has no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		port = p
	}
	p.addr = net.JoinHostPort(u.Hostname(), port)
	return p, nil
}

func (p *proxyServer) errorf(format string, args ...any) error {
	return fmt.Errorf("proxy %s: "+format, append([]any{p.url.Redacted()}, args...)...)
}

// connect asks the proxy, reached over conn, for a tunnel to target
// (host:port) and returns the connection to use through it.
func (p *proxyServer) connect(ctx context.Context, conn net.Conn, target string, tlsConfig *tls.Config) (net.Conn, error) {
	switch p.scheme {
	case "https":
		tc := tls.Client(conn, clientTLSConfig(tlsConfig, p.url.Hostname(), true, []string{"http/1.1"}))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, p.errorf("TLS handshake: %w", contextError(ctx, err))
		}
		return p.httpConnect(ctx, tc, target)
	case "http":
		return p.httpConnect(ctx, conn, target)
	}
	return p.socks5Connect(ctx, conn, target)
}

// httpConnect opens a tunnel with an HTTP CONNECT request (RFC 9110
// section 9.3.6).
func (p *proxyServer) httpConnect(ctx context.Context, conn net.Conn, target string) (net.Conn, error) {
	req := &http.Request{
		Method:     http.MethodConnect,
		URL:        &url.URL{Opaque: target},
		Host:       target,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     make(http.Header),
	}
	if p.url.User != nil {
		req.Header.Set("Proxy-Authorization", basicAuth(p.url.User))
	}
	if err := req.Write(conn); err != nil {
		return nil, p.errorf("writing CONNECT %s: %w", target, contextError(ctx, err))
	}
	lim := &headLimit{r: conn, n: maxResponseHead}
	br := bufio.NewReader(lim)
	resp, err := readFinalResponse(br, lim, req)
	if err != nil {
		return nil, p.errorf("reading the answer to CONNECT %s: %w", target, contextError(ctx, err))
	}
	if resp.StatusCode/100 != 2 {
		return nil, p.errorf("CONNECT %s answered %s", target, resp.Status)
	}
	// Whatever the proxy read past its answer belongs to the tunnel.
	return iostream.FromHijack(conn, bufio.NewReadWriter(br, nil))
}

// SOCKS5 authentication methods (RFC 1928 section 3).
const (
	socksNoAuth       = 0x00
	socksUserPass     = 0x02
	socksNoAcceptable = 0xff
)

// socks5Connect opens a tunnel with a SOCKS5 CONNECT request (RFC 1928),
// with username and password authentication (RFC 1929) when the proxy URL
// has user info. golang.org/x/net/proxy speaks SOCKS5 over conn; a socks5
// proxy is given an address resolved here, a socks5h one the host name.
func (p *proxyServer) socks5Connect(ctx context.Context, conn net.Conn, target string) (net.Conn, error) {
	var auth *proxy.Auth
	if user := p.url.User; user != nil {
		pass, _ := user.Password()
		auth = &proxy.Auth{User: user.Username(), Password: pass}
		if len(auth.User) == 0 || len(auth.User) > 255 || len(pass) > 255 {
			return nil, p.errorf("SOCKS5 needs a username of 1 to 255 bytes and a password of at most 255 bytes")
		}
	}
	// The address is settled first: resolving may fail before anything
	// is sent.
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	addr := target
	if net.ParseIP(host) == nil {
		if p.scheme == "socks5" {
			addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
			if err != nil {
				return nil, p.errorf("resolving %s: %w", host, contextError(ctx, err))
			}
			// LookupIPAddr fails rather than return none.
			addr = net.JoinHostPort(addrs[0].IP.String(), port)
		} else if len(host) > 255 {
			return nil, p.errorf("host name of %d bytes is too long for SOCKS5", len(host))
		}
	}

	trace := &socksTrace{Conn: conn, method: -1}
	d, _ := proxy.SOCKS5("tcp", p.addr, auth, trace) // never fails
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, p.errorf("golang.org/x/net/proxy's SOCKS5 dialer takes no context")
	}
	if _, err := cd.DialContext(ctx, "tcp", addr); err != nil {
		return nil, p.socks5Error(ctx, trace, target, auth != nil, err)
	}
	// x/net/proxy clears the deadlines of conn as it returns, which may
	// undo the one that bindContext set when ctx ended a moment before.
	if ctx.Err() != nil {
		return nil, p.errorf("CONNECT %s: %w", target, context.Cause(ctx))
	}
	// conn, not the wrapper that DialContext returns: the connection
	// keeps its own type (iostream waits for reads through it), and x/net
	// read nothing past the answer.
	return conn, nil
}

// socks5Error returns the error of a failed SOCKS5 exchange: the step at
// which it failed, as trace saw it, and why.
func (p *proxyServer) socks5Error(ctx context.Context, trace *socksTrace, target string, userPass bool, err error) error {
	// x/net/proxy gives conn the deadline of ctx, which may expire a
	// moment before ctx is done.
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	} else if op := (*net.OpError)(nil); errors.As(err, &op) && op.Op == "socks connect" {
		err = op.Err // x/net/proxy's wrapper, naming the proxy and target again
	}
	step := "CONNECT " + target
	switch {
	case trace.writes == 0: // x/net/proxy refused target, such as its port
		return p.errorf("%s: %w", step, err)
	case trace.writes == 1:
		step = "the greeting"
	case trace.writes == 2 && trace.method == socksUserPass && userPass:
		step = "username and password"
	}
	if !trace.reading || ctx.Err() != nil || trace.n < 2 {
		if trace.reading {
			return p.errorf("reading the answer to %s: %w", step, err)
		}
		return p.errorf("writing %s: %w", step, err)
	}
	// The proxy answered, and x/net/proxy did not like the answer.
	version, code := trace.answer[0], trace.answer[1]
	switch step {
	case "the greeting":
		switch {
		case version != 5:
			return p.errorf("not a SOCKS5 proxy: answer has version %d", version)
		case code == socksNoAcceptable && !userPass:
			return p.errorf("authentication required; give a username and password in the proxy URL")
		case code == socksNoAcceptable:
			return p.errorf("accepts neither no authentication nor username and password")
		case code != socksNoAuth && (code != socksUserPass || !userPass):
			return p.errorf("chose authentication method %d, which was not offered", code)
		}
	case "username and password":
		if code != 0 {
			return p.errorf("authentication as %q failed", p.url.User.Username())
		}
	default:
		if version == 5 && code != 0 {
			// x/net/proxy says "unknown error" before the reply's meaning.
			why := strings.TrimPrefix(err.Error(), "unknown error ")
			return p.errorf("CONNECT %s refused: %s", target, why)
		}
	}
	return p.errorf("reading the answer to %s: %w", step, err)
}

// socksTrace is the connection to a SOCKS5 proxy, and the dialer that
// gives it to x/net/proxy. It follows the exchange, one message written and
// its answer read at a time, to tell at which step it failed and what the
// answer began with.
type socksTrace struct {
	net.Conn
	writes  int     // messages written
	reading bool    // the last call was a Read
	answer  [2]byte // the start of the answer to the last message
	n       int     // bytes of answer read
	method  int     // the authentication method the proxy chose, or -1
}

func (t *socksTrace) Write(b []byte) (int, error) {
	t.writes++
	t.reading, t.n = false, 0
	return t.Conn.Write(b)
}

func (t *socksTrace) Read(b []byte) (int, error) {
	t.reading = true
	n, err := t.Conn.Read(b)
	t.n += copy(t.answer[t.n:], b[:n])
	if t.writes == 1 && t.n == len(t.answer) {
		t.method = int(t.answer[1])
	}
	return n, err
}

func (t *socksTrace) Dial(network, addr string) (net.Conn, error) { return t, nil }

func (t *socksTrace) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return t, nil
}
