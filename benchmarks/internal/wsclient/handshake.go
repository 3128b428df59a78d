package wsclient

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// acceptGUID is the GUID of RFC 6455 section 1.3.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// deflateOffer is the only permessage-deflate offer the client makes: no
// context takeover on either side, which every server can accept.
const deflateOffer = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"

// request is an opening handshake to send.
type request struct {
	host    string // host:port to dial
	secure  bool   // in TLS (a wss:// URL)
	head    []byte // the request head
	key     string // Sec-WebSocket-Key
	deflate bool
}

// newRequest returns the handshake request for rawURL.
func newRequest(rawURL string, opts Options) (*request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, fmt.Errorf("wsclient: URL %q: scheme is neither ws nor wss", rawURL)
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	r := &request{host: hostPort(u), secure: u.Scheme == "wss", key: base64.StdEncoding.EncodeToString(nonce[:]), deflate: opts.Deflate}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	fmt.Fprintf(&b, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n", r.key)
	if opts.Origin != "" {
		fmt.Fprintf(&b, "Origin: %s\r\n", opts.Origin)
	}
	if opts.Deflate {
		fmt.Fprintf(&b, "Sec-WebSocket-Extensions: %s\r\n", deflateOffer)
	}
	b.WriteString("\r\n")
	r.head = []byte(b.String())
	return r, nil
}

// hostPort returns the host and port of u, a ws:// or wss:// URL, with
// the default port of its scheme if it has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "wss" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// do sends the request on nc and checks the response read from br.
func (r *request) do(nc net.Conn, br *bufio.Reader) error {
	if _, err := nc.Write(r.head); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	resp.Body.Close() // a 101 response has no body
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("status %q, not 101", resp.Status)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return fmt.Errorf("response Upgrade header %q", resp.Header.Get("Upgrade"))
	}
	if !hasToken(resp.Header.Values("Connection"), "upgrade") {
		return fmt.Errorf("response Connection header %q lacks upgrade", resp.Header.Values("Connection"))
	}
	sum := sha1.Sum([]byte(r.key + acceptGUID))
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("response Sec-WebSocket-Accept %q, want %q", got, want)
	}
	return checkExtensions(resp.Header.Values("Sec-WebSocket-Extensions"), r.deflate)
}

// hasToken reports whether the comma-separated header values hold token.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// checkExtensions checks the server's Sec-WebSocket-Extensions answer to
// the client's offer: permessage-deflate if deflate, nothing otherwise.
func checkExtensions(values []string, deflate bool) error {
	accepted := false
	for _, v := range values {
		for _, ext := range strings.Split(v, ",") {
			params := strings.Split(ext, ";")
			name := strings.TrimSpace(params[0])
			if name == "" {
				continue
			}
			if !deflate || accepted || !strings.EqualFold(name, "permessage-deflate") {
				return fmt.Errorf("server accepted extension %q, which was not offered", strings.TrimSpace(ext))
			}
			if err := checkDeflateParams(params[1:]); err != nil {
				return err
			}
			accepted = true
		}
	}
	if deflate && !accepted {
		return fmt.Errorf("server did not accept %q", deflateOffer)
	}
	return nil
}

// checkDeflateParams checks the parameters of the server's
// permessage-deflate answer (RFC 7692 section 7.1).
func checkDeflateParams(params []string) error {
	noServerContext := false
	for _, p := range params {
		name, value, hasValue := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "server_no_context_takeover":
			noServerContext = true
		case "client_no_context_takeover":
			// The client compresses every message on its own anyway.
		case "server_max_window_bits":
			// The inflater takes any window up to 32 KiB.
			bits, err := strconv.Atoi(strings.Trim(strings.TrimSpace(value), `"`))
			if !hasValue || err != nil || bits < 8 || bits > 15 {
				return fmt.Errorf("permessage-deflate answer: bad server_max_window_bits %q", value)
			}
		default:
			return fmt.Errorf("permessage-deflate answer: parameter %q was not offered", strings.TrimSpace(p))
		}
	}
	if !noServerContext {
		// The server would keep its context, which the client's inflater,
		// reset for every message, cannot follow.
		return fmt.Errorf("permessage-deflate answer lacks server_no_context_takeover, which was offered")
	}
	return nil
}
