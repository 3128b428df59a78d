package http3

import (
	"crypto/tls"
	"io"
	"net/http"
	"testing"

	quichttp3 "github.com/quic-go/quic-go/http3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadRequests sends, with quic-go's own client, requests that a
// server must refuse: a CONNECT without :protocol, a wrong :protocol, no
// or a wrong Sec-WebSocket-Version, and a GET with the headers of an
// HTTP/1.1 handshake. Each gets 400 and none reaches the handler; the
// QUIC connection still serves a good request after them.
func TestBadRequests(t *testing.T) {
	accepted := make(chan *http.Request, 8)
	srv := newServer(t, echoHandler(nil, accepted))
	_, pool := testCert()
	tr := &quichttp3.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.Close()

	good := func() *http.Request {
		req, err := http.NewRequest(http.MethodConnect, "https://"+srv.addr+"/x", nil)
		require.NoError(t, err)
		req.Proto = "websocket" // quic-go's client takes :protocol from Proto
		req.Header.Set("Sec-WebSocket-Version", "13")
		return req
	}
	tests := []struct {
		name   string
		mutate func(*http.Request)
		want   string
	}{
		{"CONNECT without :protocol", func(r *http.Request) { r.Proto = "HTTP/1.1" }, "missing"},
		{"wrong :protocol", func(r *http.Request) { r.Proto = "webtransport" }, `"webtransport": :protocol is not "websocket"`},
		{"no version", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") }, "unsupported Sec-WebSocket-Version: missing"},
		{"version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") }, `unsupported Sec-WebSocket-Version "8"`},
		{"GET", func(r *http.Request) {
			r.Method = http.MethodGet
			r.Proto = "HTTP/1.1"
			r.Header.Set("Upgrade", "websocket") // quic-go drops it, as HTTP/3 forbids it
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		}, `wrong method "GET"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := good()
			tt.mutate(req)
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "body: %s", body)
			assert.Contains(t, string(body), tt.want)
			assert.Empty(t, resp.Header.Values("Connection"))
			if tt.name == "version 8" {
				assert.Equal(t, "13", resp.Header.Get("Sec-WebSocket-Version"))
			}
		})
	}
	assert.Empty(t, accepted, "a refused request reached the handler")

	// The connection still works: a good request is accepted on it.
	req := good()
	pr, pw := io.Pipe()
	req.Body = pr
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	r := <-accepted
	assert.Equal(t, 3, r.ProtoMajor)
	pw.Close()
	io.Copy(io.Discard, resp.Body) // the server ends the stream after the client's end
	resp.Body.Close()
	assert.Equal(t, int32(1), srv.conns.Load())
}
