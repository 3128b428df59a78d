package http3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/handshake"
)

// TestRoundTripperRequest: RoundTrip does not modify the caller's request
// and refuses what it cannot send.
func TestRoundTripperRequest(t *testing.T) {
	req, err := http.NewRequest(http.MethodConnect, "https://127.0.0.1:1/x", nil)
	require.NoError(t, err)
	req.Header.Set(":protocol", "websocket")
	out, err := connectRequest(req)
	require.NoError(t, err)
	assert.Equal(t, "websocket", out.Proto)
	assert.Empty(t, out.Header.Values(":protocol"))
	assert.Equal(t, "websocket", req.Header.Get(":protocol"), "the caller's request keeps its header")
	assert.Equal(t, "HTTP/1.1", req.Proto, "the caller's request keeps its Proto")

	rt := NewTransport(nil)
	for _, tc := range []struct {
		method, url, protocol, want string
	}{
		{http.MethodGet, "https://127.0.0.1:1/", "", "only extended CONNECT"},
		{http.MethodConnect, "https://127.0.0.1:1/", "", "without :protocol"},
		{http.MethodConnect, "http://127.0.0.1:1/", "websocket", "HTTP/3 needs https"},
	} {
		pr, pw := io.Pipe()
		req, err := http.NewRequest(tc.method, tc.url, pr)
		require.NoError(t, err)
		if tc.protocol != "" {
			req.Header.Set(":protocol", tc.protocol)
		}
		_, err = rt.RoundTrip(req)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		_, err = pw.Write([]byte("x"))
		assert.ErrorIs(t, err, io.ErrClosedPipe, "RoundTrip closes the body on failure")
	}
}

// TestDialRefusals: Dial refuses URLs without TLS; a server's refusal
// comes back as a *handshake.StatusError with the response; a server
// that does not answer fails the Dial at HandshakeTimeout, and leaves
// nothing behind.
func TestDialRefusals(t *testing.T) {
	_, _, err := Dial(context.Background(), "ws://127.0.0.1:1/", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP/3 needs wss or https")

	opts := dialOptions()
	opts.Transport = NewTransport(nil)
	_, _, err = Dial(context.Background(), "wss://127.0.0.1:1/", opts)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Transport is set")

	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not here", http.StatusForbidden)
	}))
	_, resp, err := Dial(dialContext(t), srv.url("/"), dialOptions())
	var serr *handshake.StatusError
	require.ErrorAs(t, err, &serr)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	body, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(body), "not here")
	waitPoolEmpty(t)

	// A UDP socket that never answers.
	silent := newSilentUDP(t)
	opts = dialOptions()
	opts.HandshakeTimeout = 300 * time.Millisecond
	_, _, err = Dial(context.Background(), "wss://"+silent.addr+"/", opts)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	waitPoolEmpty(t)
}

// TestHandshakeTimeout: a server that takes the request and never
// answers fails the Dial at HandshakeTimeout; the stream is reset, so the
// server's request ends, and the QUIC connection closes.
func TestHandshakeTimeout(t *testing.T) {
	handlerDone := make(chan error, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			handlerDone <- r.Context().Err()
		case <-time.After(waitTimeout):
			handlerDone <- errors.New("the request did not end")
		}
	}))
	opts := dialOptions()
	opts.HandshakeTimeout = 200 * time.Millisecond
	_, _, err := Dial(context.Background(), srv.url("/"), opts)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "HandshakeTimeout")
	assert.Error(t, <-handlerDone, "the server's request ends with the reset stream")
	waitPoolEmpty(t)
}
