package handshake_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	tests := []struct {
		name   string
		err    error
		status int
		header http.Header // expected besides Content-Type and nosniff
		body   string
	}{
		{"bad key", &handshake.Error{Status: 400, Header: "Sec-WebSocket-Key", Value: "x", Err: handshake.ErrKey},
			400, http.Header{}, "handshake: invalid Sec-WebSocket-Key \"x\"\n"},
		{"origin", &handshake.Error{Status: 403, Header: "Origin", Err: handshake.ErrOrigin},
			403, http.Header{}, "handshake: Origin not allowed\n"},
		{"version", &handshake.Error{Status: 426, Header: "Sec-WebSocket-Version", Value: "8", Err: handshake.ErrVersion},
			426, http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}},
			"handshake: unsupported Sec-WebSocket-Version \"8\"\n"},
		{"server fault hides detail", &handshake.Error{Status: 500, Value: "secret", Err: handshake.ErrExtension},
			500, http.Header{}, "Internal Server Error\n"},
		{"zero status", &handshake.Error{Err: handshake.ErrAccept}, 400, http.Header{}, "handshake: wrong Sec-WebSocket-Accept\n"},
		{"wrapped", fmt.Errorf("accept: %w", &handshake.Error{Status: 403, Err: handshake.ErrOrigin}),
			403, http.Header{}, "accept: handshake: Origin not allowed\n"},
		{"other error", errors.New("boom"), 400, http.Header{}, "boom\n"},
		{"nil", nil, 400, http.Header{}, "Bad Request\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			handshake.WriteError(w, tt.err)
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
	handshake.WriteError(w, err)
	assert.Equal(t, http.StatusUpgradeRequired, w.Code)
	assert.Equal(t, []string{"13"}, w.Header().Values("Sec-WebSocket-Version"))
	assert.Equal(t, "handshake: unsupported Sec-WebSocket-Version \"8\": want 13\n", w.Body.String())
}

func TestErrorUnwrapCause(t *testing.T) {
	r := newRequest("Sec-WebSocket-Extensions", "x-a; level=")
	err := (&handshake.Server{}).Check(r)
	var e *handshake.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, handshake.ErrExtension, e.Err)
	assert.ErrorIs(t, err, extensions.ErrMalformedHeader)
	assert.Len(t, e.Unwrap(), 2)
}
