package wsconn

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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
		tc := tls.Client(conn, clientTLSConfig(tlsConfig, p.url.Hostname(), true))
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

// SOCKS5 constants (RFC 1928, RFC 1929).
const (
	socksVersion      = 5
	socksNoAuth       = 0x00
	socksUserPass     = 0x02
	socksNoAcceptable = 0xff
	socksConnect      = 0x01
	socksIPv4         = 0x01
	socksDomain       = 0x03
	socksIPv6         = 0x04
	socksAuthVersion  = 0x01
)

var socksReplies = [...]string{
	1: "general SOCKS server failure",
	2: "connection not allowed by ruleset",
	3: "network unreachable",
	4: "host unreachable",
	5: "connection refused",
	6: "TTL expired",
	7: "command not supported",
	8: "address type not supported",
}

// socks5Connect opens a tunnel with a SOCKS5 CONNECT request.
func (p *proxyServer) socks5Connect(ctx context.Context, conn net.Conn, target string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(target)
	if err != nil {
		return nil, p.errorf("%w", err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, p.errorf("invalid port %q", portText)
	}
	// The address is built first: resolving may fail before anything
	// is sent.
	req := []byte{socksVersion, socksConnect, 0}
	ip := net.ParseIP(host)
	if ip == nil && p.scheme == "socks5" {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, p.errorf("resolving %s: %w", host, contextError(ctx, err))
		}
		ip = addrs[0].IP // LookupIPAddr fails rather than return none
	}
	switch {
	case ip.To4() != nil:
		req = append(append(req, socksIPv4), ip.To4()...)
	case ip != nil:
		req = append(append(req, socksIPv6), ip.To16()...)
	case len(host) > 255:
		return nil, p.errorf("host name of %d bytes is too long for SOCKS5", len(host))
	default:
		req = append(append(req, socksDomain, byte(len(host))), host...)
	}
	req = binary.BigEndian.AppendUint16(req, uint16(port))

	if err := p.socks5Authenticate(ctx, conn); err != nil {
		return nil, err
	}
	if _, err := conn.Write(req); err != nil {
		return nil, p.errorf("writing CONNECT %s: %w", target, contextError(ctx, err))
	}
	var reply [4]byte
	if _, err := io.ReadFull(conn, reply[:]); err != nil {
		return nil, p.errorf("reading the answer to CONNECT %s: %w", target, contextError(ctx, err))
	}
	if reply[0] != socksVersion {
		return nil, p.errorf("answer to CONNECT has version %d, want 5", reply[0])
	}
	if code := reply[1]; code != 0 {
		why := "unknown reply code " + strconv.Itoa(int(code))
		if int(code) < len(socksReplies) && socksReplies[code] != "" {
			why = socksReplies[code]
		}
		return nil, p.errorf("CONNECT %s refused: %s", target, why)
	}
	// Skip the bound address, which a client has no use for.
	var skip int
	switch reply[3] {
	case socksIPv4:
		skip = net.IPv4len + 2
	case socksIPv6:
		skip = net.IPv6len + 2
	case socksDomain:
		var n [1]byte
		if _, err := io.ReadFull(conn, n[:]); err != nil {
			return nil, p.errorf("reading the answer to CONNECT %s: %w", target, contextError(ctx, err))
		}
		skip = int(n[0]) + 2
	default:
		return nil, p.errorf("answer to CONNECT has unknown address type %d", reply[3])
	}
	if _, err := io.CopyN(io.Discard, conn, int64(skip)); err != nil {
		return nil, p.errorf("reading the answer to CONNECT %s: %w", target, contextError(ctx, err))
	}
	return conn, nil
}

// socks5Authenticate offers no authentication and, when the proxy URL has
// user info, username and password, and authenticates as the proxy
// chooses.
func (p *proxyServer) socks5Authenticate(ctx context.Context, conn net.Conn) error {
	greeting := []byte{socksVersion, 1, socksNoAuth}
	user := p.url.User
	if user != nil {
		greeting = []byte{socksVersion, 2, socksNoAuth, socksUserPass}
	}
	if _, err := conn.Write(greeting); err != nil {
		return p.errorf("writing the greeting: %w", contextError(ctx, err))
	}
	var choice [2]byte
	if _, err := io.ReadFull(conn, choice[:]); err != nil {
		return p.errorf("reading the answer to the greeting: %w", contextError(ctx, err))
	}
	if choice[0] != socksVersion {
		return p.errorf("not a SOCKS5 proxy: answer has version %d", choice[0])
	}
	switch choice[1] {
	case socksNoAuth:
		return nil
	case socksUserPass:
		if user != nil {
			return p.socks5UserPass(ctx, conn, user)
		}
	case socksNoAcceptable:
		if user == nil {
			return p.errorf("authentication required; give a username and password in the proxy URL")
		}
		return p.errorf("accepts neither no authentication nor username and password")
	}
	return p.errorf("chose authentication method %d, which was not offered", choice[1])
}

// socks5UserPass authenticates with a username and password (RFC 1929).
func (p *proxyServer) socks5UserPass(ctx context.Context, conn net.Conn, user *url.Userinfo) error {
	name := user.Username()
	pass, _ := user.Password()
	if len(name) == 0 || len(name) > 255 || len(pass) > 255 {
		return p.errorf("SOCKS5 needs a username of 1 to 255 bytes and a password of at most 255 bytes")
	}
	msg := append([]byte{socksAuthVersion, byte(len(name))}, name...)
	msg = append(append(msg, byte(len(pass))), pass...)
	if _, err := conn.Write(msg); err != nil {
		return p.errorf("writing username and password: %w", contextError(ctx, err))
	}
	var status [2]byte
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		return p.errorf("reading the answer to username and password: %w", contextError(ctx, err))
	}
	if status[1] != 0 {
		return p.errorf("authentication as %q failed", name)
	}
	return nil
}
