package handshake_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
)

func TestErrorMessage(t *testing.T) {
	long := strings.Repeat("k", 100)
	tests := []struct {
		name string
		err  *handshake.Error
		want string
	}{
		{"sentinel only", &handshake.Error{Err: handshake.ErrMissingHost}, "handshake: missing Host"},
		{"with value", &handshake.Error{Err: handshake.ErrKey, Value: "a\"b"}, `handshake: invalid Sec-WebSocket-Key "a\"b"`},
		{"control bytes quoted", &handshake.Error{Err: handshake.ErrKey, Value: "\x00\n"}, `handshake: invalid Sec-WebSocket-Key "\x00\n"`},
		{"long value truncated", &handshake.Error{Err: handshake.ErrKey, Value: long},
			`handshake: invalid Sec-WebSocket-Key "` + long[:64] + `"...`},
		{"no sentinel", &handshake.Error{}, "handshake: failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

// TestErrorsDistinct checks that each sentinel is its own error.
func TestErrorsDistinct(t *testing.T) {
	all := []error{
		handshake.ErrMethod, handshake.ErrHTTPVersion, handshake.ErrMissingHost,
		handshake.ErrUpgrade, handshake.ErrConnection, handshake.ErrVersion,
		handshake.ErrKey, handshake.ErrOrigin, handshake.ErrProtocol,
		handshake.ErrExtension, handshake.ErrAccept,
	}
	for i, a := range all {
		for j, b := range all {
			assert.Equal(t, i == j, errors.Is(a, b), "%v vs %v", a, b)
		}
		e := fmt.Errorf("wrapped: %w", &handshake.Error{Err: a})
		assert.ErrorIs(t, e, a)
	}
}

func TestWriteError(t *testing.T) {
	closeHeader := http.Header{"Connection": {"close"}}
	tests := []struct {
		name   string
		err    error
		status int
		header http.Header // expected besides Content-Type and nosniff
		body   string
	}{
		{"bad key", &handshake.Error{Status: 400, Header: "Sec-WebSocket-Key", Value: "x", Err: handshake.ErrKey},
			400, closeHeader, "handshake: invalid Sec-WebSocket-Key \"x\"\n"},
		{"origin", &handshake.Error{Status: 403, Header: "Origin", Err: handshake.ErrOrigin},
			403, closeHeader, "handshake: Origin not allowed\n"},
		{"version", &handshake.Error{Status: 426, Header: "Sec-WebSocket-Version", Value: "8", Err: handshake.ErrVersion},
			426, http.Header{"Upgrade": {"websocket"}, "Connection": {"close", "Upgrade"}, "Sec-Websocket-Version": {"13"}},
			"handshake: unsupported Sec-WebSocket-Version \"8\"\n"},
		{"server fault hides detail", &handshake.Error{Status: 500, Value: "secret", Err: handshake.ErrExtension},
			500, closeHeader, "Internal Server Error\n"},
		{"zero status", &handshake.Error{Err: handshake.ErrAccept}, 400, closeHeader, "handshake: wrong Sec-WebSocket-Accept\n"},
		{"wrapped", fmt.Errorf("accept: %w", &handshake.Error{Status: 403, Err: handshake.ErrOrigin}),
			403, closeHeader, "accept: handshake: Origin not allowed\n"},
		{"other error", errors.New("boom"), 400, closeHeader, "boom\n"},
		{"nil", nil, 400, closeHeader, "Bad Request\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			handshake.WriteError(w, nil, tt.err)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body, w.Body.String())
			h := w.Header().Clone()
			assert.Equal(t, "text/plain; charset=utf-8", h.Get("Content-Type"))
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			h.Del("Content-Type")
			h.Del("X-Content-Type-Options")
			assert.Equal(t, tt.header, h)
		})
	}
}

// TestWriteErrorAfterProcess is the way a server answers a refused request.
func TestWriteErrorAfterProcess(t *testing.T) {
	r := newRequest()
	r.Header.Set("Sec-WebSocket-Version", "8")
	w := httptest.NewRecorder()
	_, _, err := (&handshake.Server{}).Process(r, w.Header())
	require.Error(t, err)
	handshake.WriteError(w, r, err)
	assert.Equal(t, http.StatusUpgradeRequired, w.Code)
	assert.Equal(t, []string{"13"}, w.Header().Values("Sec-WebSocket-Version"))
	assert.Equal(t, []string{"close", "Upgrade"}, w.Header().Values("Connection"))
	assert.Equal(t, "handshake: unsupported Sec-WebSocket-Version \"8\": want 13\n", w.Body.String())
}

// TestWriteErrorClosesConnection checks that an http.Server closes the
// connection after each refusal, and keeps it open after a 200 answer.
func TestWriteErrorClosesConnection(t *testing.T) {
	errs := map[string]error{
		"/key":     &handshake.Error{Status: 400, Header: "Sec-WebSocket-Key", Err: handshake.ErrKey},
		"/origin":  &handshake.Error{Status: 403, Header: "Origin", Err: handshake.ErrOrigin},
		"/version": &handshake.Error{Status: 426, Header: "Sec-WebSocket-Version", Value: "8", Err: handshake.ErrVersion},
		"/fault":   &handshake.Error{Status: 500, Err: handshake.ErrExtension},
		"/other":   errors.New("boom"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err, ok := errs[r.URL.Path]; ok {
			handshake.WriteError(w, r, err)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer srv.Close()

	get := func(t *testing.T, path string) (*http.Response, net.Conn) {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: example.com\r\n\r\n", path)
		require.NoError(t, err)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, resp.Body)
		require.NoError(t, err)
		return resp, &bufferedConn{Conn: c, r: br}
	}
	for path, werr := range errs {
		t.Run(path[1:], func(t *testing.T) {
			resp, c := get(t, path)
			var e *handshake.Error
			if errors.As(werr, &e) {
				assert.Equal(t, e.Status, resp.StatusCode)
			}
			assert.True(t, resp.Close, "Connection: close") // ReadResponse removes the header
			require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
			n, err := c.Read(make([]byte, 1))
			assert.Equal(t, 0, n)
			assert.ErrorIs(t, err, io.EOF, "the server should close the connection")
		})
	}
	t.Run("not refused", func(t *testing.T) {
		resp, c := get(t, "/")
		assert.Equal(t, 200, resp.StatusCode)
		assert.False(t, resp.Close)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(100*time.Millisecond)))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		require.ErrorAs(t, err, &ne)
		assert.True(t, ne.Timeout(), "a kept-alive connection stays open: %v", err)
	})
}

// bufferedConn reads what its bufio.Reader holds before its Conn.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestErrorUnwrapCause(t *testing.T) {
	r := newRequest("Sec-WebSocket-Extensions", "x-a; level=")
	err := (&handshake.Server{}).Check(r)
	var e *handshake.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, handshake.ErrExtension, e.Err)
	assert.ErrorIs(t, err, extensions.ErrMalformedHeader)
	assert.Len(t, e.Unwrap(), 2)
}
