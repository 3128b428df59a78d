package wsconn_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn"
)

// TestRefusedHandshakeClosesConnection runs wsconn.Handler in an
// http.Server and sends it handshake requests that it refuses, each on a
// connection of its own: the refusal carries Connection: close, and the
// server closes the connection after it instead of keeping it open as an
// idle keep-alive connection, which ReadHeaderTimeout does not bound.
func TestRefusedHandshakeClosesConnection(t *testing.T) {
	const wait = 10 * time.Second
	called := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.Handle("/ws", wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		called <- struct{}{}
		c.Abort()
	}))
	mux.HandleFunc("/nohijack", func(w http.ResponseWriter, r *http.Request) {
		// A ResponseWriter that cannot hand its connection over.
		if c, err := wsconn.Accept(struct{ http.ResponseWriter }{w}, r, nil); err == nil {
			c.Abort()
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: wait, MaxHeaderBytes: 4 << 10}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	}()

	request := func(path string, header ...string) string {
		lines := append([]string{"GET " + path + " HTTP/1.1", "Host: " + ln.Addr().String(),
			"Upgrade: websocket", "Connection: Upgrade"}, header...)
		return strings.Join(lines, "\r\n") + "\r\n\r\n"
	}
	const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
	tests := []struct {
		name       string
		request    string
		status     int
		connection []string // the Connection header of the refusal
	}{
		{"missing key", request("/ws", "Sec-WebSocket-Version: 13"), 400, []string{"close"}},
		{"refused origin", request("/ws", "Sec-WebSocket-Version: 13", key, "Origin: https://evil.example"), 403, []string{"close"}},
		{"wrong version", request("/ws", "Sec-WebSocket-Version: 8", key), 426, []string{"close", "Upgrade"}},
		{"no hijacking", request("/nohijack", "Sec-WebSocket-Version: 13", key), 500, []string{"close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(wait)))
			_, err = io.WriteString(conn, tt.request)
			require.NoError(t, err)

			// The head as it was sent: http.ReadResponse would remove
			// Connection: close.
			br := bufio.NewReader(conn)
			tp := textproto.NewReader(br)
			status, err := tp.ReadLine()
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(status, fmt.Sprintf("HTTP/1.1 %d ", tt.status)), "status line %q", status)
			h, err := tp.ReadMIMEHeader()
			require.NoError(t, err)
			assert.Equal(t, tt.connection, h.Values("Connection"))
			if tt.status == http.StatusUpgradeRequired {
				assert.Equal(t, "websocket", h.Get("Upgrade"))
				assert.Equal(t, "13", h.Get("Sec-WebSocket-Version"))
			}

			// The server closes the connection after the body: reading
			// ends with io.EOF, not with our deadline.
			body, err := io.ReadAll(br)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the server kept the connection open after the refusal (%v)", err)
			}
			require.NoError(t, err, "reading up to the end of the stream")
			assert.NotEmpty(t, body, "the refusal says why")
			assert.Equal(t, h.Get("Content-Length"), strconv.Itoa(len(body)), "nothing after the body")
		})
	}
	select {
	case <-called:
		t.Fatal("the handler ran for a refused request")
	default:
	}
}
