package handshake_test

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
)

// switchingProtocols writes the head of a 101 response with header h.
func switchingProtocols(w *bytes.Buffer, h http.Header) {
	w.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	_ = h.Write(w)
	w.WriteString("\r\n")
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		offered   []string
		client    *extensions.Registry
		server    handshake.Server
		wantProto string
		wantExts  []string
	}{
		{name: "plain", server: handshake.Server{}},
		{name: "protocol", offered: []string{"v2.chat", "chat"},
			server:    handshake.Server{Protocols: []string{"chat", "v2.chat"}},
			wantProto: "v2.chat"},
		{name: "no common protocol", offered: []string{"a"},
			server: handshake.Server{Protocols: []string{"b"}}},
		{name: "extensions", client: testRegistry(),
			server:   handshake.Server{Extensions: extensions.NewRegistry(fake("x-b", 0x20), fake("x-a", 0x40))},
			wantExts: []string{"x-a/5", "x-b"}},
		{name: "server supports fewer", client: testRegistry(),
			server:   handshake.Server{Extensions: extensions.NewRegistry(fake("x-b", 0x20))},
			wantExts: []string{"x-b"}},
		{name: "client offers none", server: handshake.Server{Extensions: testRegistry()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://example.com/chat", nil)
			require.NoError(t, err)
			require.NoError(t, handshake.ClientPrepare(req, "http://example.com", tt.offered, tt.client))

			var wire bytes.Buffer
			require.NoError(t, req.Write(&wire))
			sreq, err := http.ReadRequest(bufio.NewReader(&wire))
			require.NoError(t, err)
			h := http.Header{}
			sproto, sexts, err := tt.server.Process(sreq, h)
			require.NoError(t, err)

			wire.Reset()
			switchingProtocols(&wire, h)
			resp, err := http.ReadResponse(bufio.NewReader(&wire), req)
			require.NoError(t, err)
			cproto, cexts, err := handshake.ClientVerify(req, resp, tt.client)
			require.NoError(t, err)

			assert.Equal(t, tt.wantProto, sproto)
			assert.Equal(t, tt.wantProto, cproto)
			assert.Equal(t, tt.wantExts, describe(sexts))
			assert.Equal(t, tt.wantExts, describe(cexts))
		})
	}
}

// TestOverHTTP runs the handshake through net/http's server and a raw
// client connection, as Dial and Accept will.
func TestOverHTTP(t *testing.T) {
	server := &handshake.Server{Protocols: []string{"chat"}, Extensions: testRegistry()}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, err := server.Process(r, w.Header())
		if err != nil {
			handshake.WriteError(w, r, err)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		var head bytes.Buffer
		switchingProtocols(&head, w.Header())
		_, _ = rw.Write(head.Bytes())
		_ = rw.Flush()
	}))
	defer srv.Close()

	dial := func(t *testing.T, origin string) (*http.Request, *http.Response) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/chat", nil)
		require.NoError(t, err)
		require.NoError(t, handshake.ClientPrepare(req, origin, []string{"superchat", "chat"}, testRegistry()))
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		require.NoError(t, req.Write(conn))
		resp, err := http.ReadResponse(bufio.NewReader(conn), req)
		require.NoError(t, err)
		return req, resp
	}

	t.Run("accepted", func(t *testing.T) {
		req, resp := dial(t, srv.URL)
		proto, exts, err := handshake.ClientVerify(req, resp, testRegistry())
		require.NoError(t, err)
		assert.Equal(t, "chat", proto)
		assert.Equal(t, []string{"x-a/5", "x-b"}, describe(exts))
	})
	t.Run("cross origin", func(t *testing.T) {
		req, resp := dial(t, "https://evil.example")
		_, _, err := handshake.ClientVerify(req, resp, testRegistry())
		var se *handshake.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, http.StatusForbidden, se.StatusCode)
		assert.Contains(t, readAll(t, se.Response), "Origin not allowed")
	})
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b bytes.Buffer
	_, err := b.ReadFrom(resp.Body)
	require.NoError(t, err)
	return b.String()
}
