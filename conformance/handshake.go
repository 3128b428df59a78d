package conformance

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The suite does both opening handshakes itself (RFC 6455 section 4),
// with net/http only for parsing the HTTP heads, so that it depends on
// nothing of the implementation under test.

// acceptKey returns the Sec-WebSocket-Accept value for key.
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// hasToken reports whether the comma-separated lists of values hold
// token, compared case-insensitively.
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

// maxHeadBytes bounds the HTTP head that the suite reads.
const maxHeadBytes = 64 << 10

// limitedHead keeps http.ReadRequest and http.ReadResponse from reading a
// head without end: it reads at most the bytes left.
type limitedHead struct {
	r    io.Reader
	left int
}

func (l *limitedHead) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errors.New("HTTP head too long")
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= n
	return n, err
}

// dial connects to the WebSocket server at u, a ws:// URL, and does the
// client handshake, offering permessage-deflate with d when d is not nil.
// It returns the connection and a reader of what follows the handshake,
// and the agreement on permessage-deflate. An error wrapping errDeclined
// means that the server did not negotiate permessage-deflate.
func dial(ctx context.Context, u *url.URL, d *Deflate, key string) (net.Conn, *bufio.Reader, *agreement, error) {
	if u.Scheme != "ws" {
		return nil, nil, nil, fmt.Errorf("URL %s: only ws:// is supported", u)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	var dialer net.Dialer
	nc, err := dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	br, a, err := clientHandshake(nc, u, d, key)
	if err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	nc.SetDeadline(time.Time{})
	return nc, br, a, nil
}

func clientHandshake(nc net.Conn, u *url.URL, d *Deflate, key string) (*bufio.Reader, *agreement, error) {
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	req.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
	fmt.Fprintf(&req, "Sec-WebSocket-Key: %s\r\n", key)
	if d != nil {
		fmt.Fprintf(&req, "Sec-WebSocket-Extensions: %s\r\n", d)
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(nc, req.String()); err != nil {
		return nil, nil, fmt.Errorf("sending the handshake: %w", err)
	}
	head := &limitedHead{r: nc, left: maxHeadBytes}
	br := bufio.NewReaderSize(head, 4096)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the handshake response: %w", err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode != http.StatusSwitchingProtocols:
		return nil, nil, fmt.Errorf("handshake answered %q", resp.Status)
	case !hasToken(resp.Header.Values("Upgrade"), "websocket"):
		return nil, nil, fmt.Errorf("handshake response with Upgrade %q", resp.Header.Values("Upgrade"))
	case !hasToken(resp.Header.Values("Connection"), "upgrade"):
		return nil, nil, fmt.Errorf("handshake response with Connection %q", resp.Header.Values("Connection"))
	case resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) || len(resp.Header.Values("Sec-WebSocket-Accept")) != 1:
		return nil, nil, fmt.Errorf("handshake response with Sec-WebSocket-Accept %q, want %q", resp.Header.Values("Sec-WebSocket-Accept"), acceptKey(key))
	}
	head.left = int(^uint(0) >> 1) // the WebSocket stream follows
	a, err := answeredExtensions(resp.Header.Values("Sec-WebSocket-Extensions"), d)
	if err != nil {
		return nil, nil, err
	}
	return br, a, nil
}

// answeredExtensions checks the server's Sec-WebSocket-Extensions values
// against the suite's offer of permessage-deflate with d (none if d is
// nil), and returns the agreement (nil without permessage-deflate).
func answeredExtensions(values []string, d *Deflate) (*agreement, error) {
	exts, err := parseExtensions(values)
	if err != nil {
		return nil, err
	}
	if d == nil {
		if len(exts) > 0 {
			return nil, fmt.Errorf("the server answered extensions that were not offered: %v", extNames(exts))
		}
		return nil, nil
	}
	a, err := d.acceptAnswer(exts)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// An upgradeRequest is a client's handshake request, read by the fuzzing
// server.
type upgradeRequest struct {
	req  *http.Request
	br   *bufio.Reader // what follows the request
	head *limitedHead
	key  string
	exts []extension
}

// readUpgrade reads a client's handshake request and checks it. When the
// request is not a valid WebSocket handshake it answers 400 and returns
// an error.
func readUpgrade(nc net.Conn) (*upgradeRequest, error) {
	head := &limitedHead{r: nc, left: maxHeadBytes}
	br := bufio.NewReaderSize(head, 4096)
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, fmt.Errorf("reading the handshake request: %w", err)
	}
	h := req.Header
	key := h.Get("Sec-WebSocket-Key")
	var bad string
	switch raw, err := base64.StdEncoding.DecodeString(key); {
	case req.Method != http.MethodGet:
		bad = "method " + req.Method
	case !hasToken(h.Values("Upgrade"), "websocket"):
		bad = fmt.Sprintf("Upgrade %q", h.Values("Upgrade"))
	case !hasToken(h.Values("Connection"), "upgrade"):
		bad = fmt.Sprintf("Connection %q", h.Values("Connection"))
	case h.Get("Sec-WebSocket-Version") != "13":
		bad = fmt.Sprintf("Sec-WebSocket-Version %q", h.Values("Sec-WebSocket-Version"))
	case len(h.Values("Sec-WebSocket-Key")) != 1 || err != nil || len(raw) != 16:
		bad = fmt.Sprintf("Sec-WebSocket-Key %q", h.Values("Sec-WebSocket-Key"))
	}
	var exts []extension
	if bad == "" {
		if exts, err = parseExtensions(h.Values("Sec-WebSocket-Extensions")); err != nil {
			bad = err.Error()
		}
	}
	if bad != "" {
		io.WriteString(nc, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		return nil, fmt.Errorf("bad handshake request for %s: %s", req.URL, bad)
	}
	return &upgradeRequest{req: req, br: br, head: head, key: key, exts: exts}, nil
}

// accept answers the handshake request with 101 and the given
// Sec-WebSocket-Extensions value ("" for none).
func (u *upgradeRequest) accept(nc net.Conn, extHeader string) error {
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	fmt.Fprintf(&b, "Sec-WebSocket-Accept: %s\r\n", acceptKey(u.key))
	if extHeader != "" {
		fmt.Fprintf(&b, "Sec-WebSocket-Extensions: %s\r\n", extHeader)
	}
	b.WriteString("\r\n")
	u.head.left = int(^uint(0) >> 1) // the WebSocket stream follows
	_, err := io.WriteString(nc, b.String())
	return err
}

// reject answers the handshake request with status.
func reject(nc net.Conn, status int) {
	fmt.Fprintf(nc, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
}
