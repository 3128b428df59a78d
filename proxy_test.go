package wsconn_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// testProxy is an HTTP CONNECT or SOCKS5 proxy that forwards every tunnel
// to one upstream address and records the targets it was asked for.
type testProxy struct {
	addr     string
	upstream string
	user     *url.Userinfo // credentials required, if not nil
	targets  chan string
}

// startProxy runs a proxy of kind "http" or "socks5" on 127.0.0.1, over
// TLS when tlsCert is not nil.
func startProxy(t *testing.T, kind, upstream string, user *url.Userinfo, tlsCert *tls.Certificate) *testProxy {
	t.Helper()
	p := &testProxy{upstream: upstream, user: user, targets: make(chan string, 16)}
	serve := p.serveCONNECT
	if kind == "socks5" {
		serve = p.serveSOCKS5
	}
	p.addr = rawServer(t, func(c net.Conn) {
		if tlsCert != nil {
			c = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*tlsCert}})
		}
		serve(c)
	})
	return p
}

// target returns the target of the last tunnel.
func (p *testProxy) target(t *testing.T) string {
	t.Helper()
	select {
	case target := <-p.targets:
		return target
	default:
		t.Fatal("the proxy was not asked for a tunnel")
	}
	return ""
}

// tunnel connects c, of which br has read ahead, to the upstream server
// until either side ends.
func (p *testProxy) tunnel(c net.Conn, br io.Reader) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		io.Copy(up, br)
		up.Close()
		c.Close()
	}()
	go func() {
		defer wg.Done()
		io.Copy(c, up)
		up.Close()
		c.Close()
	}()
	wg.Wait()
}

func (p *testProxy) serveCONNECT(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if p.user != nil {
		pass, _ := p.user.Password()
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user.Username()+":"+pass))
		if req.Header.Get("Proxy-Authorization") != want {
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
			return
		}
	}
	p.targets <- req.RequestURI
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	p.tunnel(c, br)
}

func (p *testProxy) serveSOCKS5(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil
		}
		return b
	}
	hello := read(2)
	if hello == nil || hello[0] != 5 {
		return
	}
	methods := read(int(hello[1]))
	want := byte(0)
	if p.user != nil {
		want = 2
	}
	offered := false
	for _, m := range methods {
		offered = offered || m == want
	}
	if !offered {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if p.user != nil {
		head := read(2)
		if head == nil {
			return
		}
		name := read(int(head[1]))
		passLen := read(1)
		if passLen == nil {
			return
		}
		pass := read(int(passLen[0]))
		wantPass, _ := p.user.Password()
		if string(name) != p.user.Username() || string(pass) != wantPass {
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	}
	req := read(4)
	if req == nil || req[1] != 1 {
		c.Write([]byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	var host string
	switch req[3] {
	case 1:
		host = net.IP(read(4)).String()
	case 4:
		host = net.IP(read(16)).String()
	case 3:
		n := read(1)
		if n == nil {
			return
		}
		host = "name=" + string(read(int(n[0])))
	}
	port := read(2)
	if port == nil {
		return
	}
	p.targets <- net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port))))
	if _, err := c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0x12, 0x34}); err != nil {
		return
	}
	p.tunnel(c, br)
}

func TestDialThroughProxy(t *testing.T) {
	cert, _ := testCertificate(t)
	plain := newTestServer(t, serverConfig{})
	secure := newTestServer(t, serverConfig{tls: true})
	plainAddr := plain.Listener.Addr().String()
	secureAddr := secure.Listener.Addr().String()
	_, plainPort, _ := net.SplitHostPort(plainAddr)
	creds := url.UserPassword("alice", "s3cr3t")

	tests := []struct {
		name       string
		kind       string // of the proxy: http or socks5
		proxyTLS   bool
		required   *url.Userinfo // by the proxy
		scheme     string        // of the proxy URL
		given      *url.Userinfo // in the proxy URL
		url        string
		wantTarget string // as the proxy records it
		wantErr    string
	}{
		{name: "CONNECT", kind: "http", scheme: "http", url: "ws://" + plainAddr + "/", wantTarget: plainAddr},
		{name: "CONNECT with basic auth", kind: "http", scheme: "http", required: creds, given: creds,
			url: "ws://" + plainAddr + "/", wantTarget: plainAddr},
		{name: "CONNECT wrong password", kind: "http", scheme: "http", required: creds, given: url.UserPassword("alice", "guess"),
			url: "ws://" + plainAddr + "/", wantErr: "CONNECT " + plainAddr + " answered 407 Proxy Authentication Required"},
		{name: "CONNECT without credentials", kind: "http", scheme: "http", required: creds,
			url: "ws://" + plainAddr + "/", wantErr: "407 Proxy Authentication Required"},
		{name: "CONNECT to wss", kind: "http", scheme: "http", url: "wss://" + secureAddr + "/", wantTarget: secureAddr},
		{name: "https proxy", kind: "http", scheme: "https", proxyTLS: true, required: creds, given: creds,
			url: "ws://" + plainAddr + "/", wantTarget: plainAddr},
		{name: "SOCKS5", kind: "socks5", scheme: "socks5", url: "ws://" + plainAddr + "/", wantTarget: plainAddr},
		{name: "SOCKS5 with password", kind: "socks5", scheme: "socks5", required: creds, given: creds,
			url: "ws://" + plainAddr + "/", wantTarget: plainAddr},
		{name: "SOCKS5 wrong password", kind: "socks5", scheme: "socks5", required: creds, given: url.UserPassword("alice", "guess"),
			url: "ws://" + plainAddr + "/", wantErr: `authentication as "alice" failed`},
		{name: "SOCKS5 without credentials", kind: "socks5", scheme: "socks5", required: creds,
			url: "ws://" + plainAddr + "/", wantErr: "authentication required"},
		{name: "SOCKS5 to wss", kind: "socks5", scheme: "socks5", url: "wss://" + secureAddr + "/", wantTarget: secureAddr},
		{name: "socks5h sends the host name", kind: "socks5", scheme: "socks5h",
			url: "ws://ws.test:" + plainPort + "/", wantTarget: "name=ws.test:" + plainPort},
		{name: "socks5 resolves locally", kind: "socks5", scheme: "socks5",
			url: "ws://localhost:" + plainPort + "/", wantTarget: "LOOPBACK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream := plainAddr
			server := plain
			if tt.url[:3] == "wss" {
				upstream, server = secureAddr, secure
			}
			var proxyCert *tls.Certificate
			if tt.proxyTLS {
				proxyCert = &cert
			}
			p := startProxy(t, tt.kind, upstream, tt.required, proxyCert)
			proxyURL := &url.URL{Scheme: tt.scheme, Host: p.addr, User: tt.given}
			opts := &wsconn.DialOptions{Proxy: http.ProxyURL(proxyURL), TLSConfig: trustingTLS(t)}

			client, _, err := dialPeerErr(t, tt.url, opts)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "s3cr3t", "the error shows no password")
				assert.NotContains(t, err.Error(), "guess", "the error shows no password")
				return
			}
			require.NoError(t, err)
			target := p.target(t)
			if tt.wantTarget == "LOOPBACK" {
				host, port, _ := net.SplitHostPort(target)
				ip := net.ParseIP(host)
				assert.True(t, ip != nil && ip.IsLoopback(), "target %q is a loopback address", target)
				assert.Equal(t, plainPort, port)
			} else {
				assert.Equal(t, tt.wantTarget, target)
			}
			exchange(t, client)
			server.peer(t).waitClosed(t)
		})
	}
}

// TestDialSOCKS5Failures checks the errors of SOCKS5 exchanges that go
// wrong, against a proxy that answers from a script: each step of the
// exchange is named, and so is what was wrong with the answer.
func TestDialSOCKS5Failures(t *testing.T) {
	creds := url.UserPassword("alice", "s3cr3t")
	const target = "192.0.2.1:80" // never reached
	tests := []struct {
		name    string
		user    *url.Userinfo
		host    string // of the WebSocket URL, if not the target
		scheme  string // of the proxy URL, if not socks5
		greet   []byte // answer to the greeting; nil closes the connection
		auth    []byte // answer to username and password, if asked
		connect []byte // answer to CONNECT; nil closes the connection
		cancel  bool   // cancel the context instead of answering CONNECT
		want    string
		wantIs  error
	}{
		{name: "not a SOCKS5 proxy", greet: []byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
			want: "not a SOCKS5 proxy: answer has version 72"},
		{name: "closed after the greeting",
			want: "reading the answer to the greeting: ", wantIs: io.EOF},
		{name: "no acceptable method", user: creds, greet: []byte{5, 0xff},
			want: "accepts neither no authentication nor username and password"},
		{name: "method not offered", user: creds, greet: []byte{5, 1},
			want: "chose authentication method 1, which was not offered"},
		{name: "closed after username and password", user: creds, greet: []byte{5, 2},
			want: "reading the answer to username and password: ", wantIs: io.EOF},
		{name: "CONNECT refused", greet: []byte{5, 0}, connect: []byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0},
			want: "CONNECT " + target + " refused: connection refused"},
		{name: "CONNECT refused after authentication", user: creds, greet: []byte{5, 2}, auth: []byte{1, 0},
			connect: []byte{5, 2, 0, 1, 0, 0, 0, 0, 0, 0}, want: "CONNECT " + target + " refused: connection not allowed by ruleset"},
		{name: "closed after CONNECT", greet: []byte{5, 0},
			want: "reading the answer to CONNECT " + target + ": ", wantIs: io.EOF},
		{name: "answer to CONNECT cut short", greet: []byte{5, 0}, connect: []byte{5, 0, 0, 3, 9, 'x'},
			want: "reading the answer to CONNECT " + target + ": ", wantIs: io.ErrUnexpectedEOF},
		{name: "cancelled during CONNECT", greet: []byte{5, 0}, cancel: true,
			want: "CONNECT " + target + ": ", wantIs: context.Canceled},
		{name: "username too long", user: url.UserPassword(strings.Repeat("a", 256), ""),
			want: "SOCKS5 needs a username of 1 to 255 bytes"},
		{name: "host name too long", scheme: "socks5h", host: strings.Repeat("h", 256) + ":80",
			want: "host name of 256 bytes is too long for SOCKS5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			addr := rawServer(t, func(c net.Conn) {
				defer c.Close()
				br := bufio.NewReader(c)
				read := func(n int) []byte {
					b := make([]byte, n)
					if _, err := io.ReadFull(br, b); err != nil {
						return nil
					}
					return b
				}
				hello := read(2)
				if hello == nil || read(int(hello[1])) == nil || tt.greet == nil {
					return
				}
				c.Write(tt.greet)
				if tt.greet[0] == 5 && tt.greet[1] == 2 {
					head := read(2)
					if head == nil || read(int(head[1])) == nil {
						return
					}
					n := read(1)
					if n == nil || read(int(n[0])) == nil || tt.auth == nil {
						return
					}
					c.Write(tt.auth)
				}
				if req := read(10); req == nil {
					return
				}
				if tt.cancel {
					cancel()
					read(1) // until Dial closes the connection
					return
				}
				c.Write(tt.connect)
			})
			scheme := tt.scheme
			if scheme == "" {
				scheme = "socks5"
			}
			host := tt.host
			if host == "" {
				host = target
			}
			proxyURL := &url.URL{Scheme: scheme, Host: addr, User: tt.user}
			c, _, err := wsconn.Dial(ctx, "ws://"+host+"/", &wsconn.DialOptions{Proxy: http.ProxyURL(proxyURL)})
			if c != nil {
				c.Abort()
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "s3cr3t", "the error shows no password")
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}
