package extensions_test

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
)

// handshakeRequest returns a handshake request prepared by the client
// with reg, as the server reads it.
func handshakeRequest(t *testing.T, reg *extensions.Registry) (client, server *http.Request) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://example.com/chat", nil)
	require.NoError(t, err)
	require.NoError(t, handshake.ClientPrepare(req, "", nil, reg))
	var wire bytes.Buffer
	require.NoError(t, req.Write(&wire))
	sreq, err := http.ReadRequest(bufio.NewReader(&wire))
	require.NoError(t, err)
	return req, sreq
}

// switchingProtocolsResponse returns the response with header h as the
// client reads it.
func switchingProtocolsResponse(t *testing.T, req *http.Request, h http.Header) *http.Response {
	t.Helper()
	var wire bytes.Buffer
	wire.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
	require.NoError(t, h.Write(&wire))
	wire.WriteString("\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(&wire), req)
	require.NoError(t, err)
	return resp
}

type deflateSettings struct {
	clientNoCtx, serverNoCtx bool
	clientBits, serverBits   int
}

func settingsOf(e extensions.Extension) deflateSettings {
	var s deflateSettings
	s.clientNoCtx, s.serverNoCtx, s.clientBits, s.serverBits = extensions.DeflateSettings(e)
	return s
}

func TestDeflateHandshake(t *testing.T) {
	tests := []struct {
		name         string
		client       extensions.DeflateOptions
		server       extensions.DeflateOptions
		wantRequest  string
		wantResponse string
		want         deflateSettings
	}{
		{name: "defaults",
			wantRequest: "permessage-deflate; client_max_window_bits", wantResponse: "permessage-deflate",
			want: deflateSettings{clientBits: 15, serverBits: 15}},
		{name: "client asks everything",
			client:       extensions.DeflateOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: 10, ServerMaxWindowBits: 9},
			wantRequest:  "permessage-deflate; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
			wantResponse: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10",
			want:         deflateSettings{clientNoCtx: true, serverNoCtx: true, clientBits: 10, serverBits: 9}},
		{name: "server imposes everything",
			server:       extensions.DeflateOptions{ClientNoContextTakeover: true, ServerNoContextTakeover: true, ClientMaxWindowBits: 11, ServerMaxWindowBits: 12},
			wantRequest:  "permessage-deflate; client_max_window_bits",
			wantResponse: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11",
			want:         deflateSettings{clientNoCtx: true, serverNoCtx: true, clientBits: 11, serverBits: 12}},
		{name: "stricter side wins",
			client:       extensions.DeflateOptions{ClientMaxWindowBits: 9, ServerMaxWindowBits: 13},
			server:       extensions.DeflateOptions{ClientMaxWindowBits: 12, ServerMaxWindowBits: 10},
			wantRequest:  "permessage-deflate; server_max_window_bits=13; client_max_window_bits=9",
			wantResponse: "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
			want:         deflateSettings{clientBits: 9, serverBits: 10}},
		{name: "window bits 8",
			client:       extensions.DeflateOptions{ClientMaxWindowBits: 8, ServerMaxWindowBits: 8},
			wantRequest:  "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
			wantResponse: "permessage-deflate; server_max_window_bits=8; client_max_window_bits=8",
			want:         deflateSettings{clientBits: 8, serverBits: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creg := extensions.NewRegistry(extensions.NewDeflate(tt.client))
			server := handshake.Server{Extensions: extensions.NewRegistry(extensions.NewDeflate(tt.server))}
			req, sreq := handshakeRequest(t, creg)
			assert.Equal(t, tt.wantRequest, req.Header.Get("Sec-WebSocket-Extensions"))

			h := http.Header{}
			_, sexts, err := server.Process(sreq, h)
			require.NoError(t, err)
			assert.Equal(t, tt.wantResponse, h.Get("Sec-WebSocket-Extensions"))
			_, cexts, err := handshake.ClientVerify(req, switchingProtocolsResponse(t, req, h), creg)
			require.NoError(t, err)
			require.Len(t, sexts, 1)
			require.Len(t, cexts, 1)
			assert.Equal(t, tt.want, settingsOf(cexts[0]))
			assert.Equal(t, tt.want, settingsOf(sexts[0]))

			// Messages go both ways.
			msg := []byte(strings.Repeat("permessage-deflate round trip; ", 20))
			for _, pair := range [][2]extensions.Extension{{cexts[0], sexts[0]}, {sexts[0], cexts[0]}} {
				for i := 0; i < 3; i++ {
					m := extensions.Message{Payload: msg}
					require.NoError(t, pair[0].ProcessOutgoing(&m))
					assert.Equal(t, byte(0x40), m.RSV)
					require.NoError(t, pair[1].ProcessIncoming(&m, 0))
					assert.Equal(t, msg, m.Payload)
				}
			}
		})
	}
}

// TestDeflateHandshakeNextOffer checks that a server skips the offers it
// must refuse and accepts the first good one.
func TestDeflateHandshakeNextOffer(t *testing.T) {
	tests := []struct {
		offers string
		want   string // the answer, "" for no extension
	}{
		{"permessage-deflate; x-unknown, permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"},
		{"permessage-deflate; server_max_window_bits, permessage-deflate", "permessage-deflate"},
		{"permessage-deflate; client_max_window_bits=7, permessage-deflate; client_max_window_bits=16, permessage-deflate; client_max_window_bits=08, permessage-deflate; client_max_window_bits=9",
			"permessage-deflate; client_max_window_bits=9"},
		{"permessage-deflate; server_max_window_bits=abc", ""},
		{"permessage-deflate; server_no_context_takeover=1, permessage-deflate; client_no_context_takeover", "permessage-deflate; client_no_context_takeover"},
		{"permessage-deflate; server_max_window_bits=12, permessage-deflate; server_max_window_bits=9", "permessage-deflate; server_max_window_bits=12"},
	}
	server := handshake.Server{Extensions: extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))}
	for _, tt := range tests {
		_, sreq := handshakeRequest(t, nil)
		sreq.Header.Set("Sec-WebSocket-Extensions", tt.offers)
		h := http.Header{}
		_, exts, err := server.Process(sreq, h)
		require.NoError(t, err, tt.offers)
		assert.Equal(t, tt.want, h.Get("Sec-WebSocket-Extensions"), tt.offers)
		assert.Equal(t, tt.want != "", len(exts) == 1, tt.offers)
	}
}

// TestDeflateHandshakeRefusedAnswer checks that a client fails the
// handshake on an answer that does not fit its offer.
func TestDeflateHandshakeRefusedAnswer(t *testing.T) {
	tests := []struct {
		client extensions.DeflateOptions
		answer string
	}{
		{extensions.DeflateOptions{ServerMaxWindowBits: 10}, "permessage-deflate"},
		{extensions.DeflateOptions{ServerMaxWindowBits: 10}, "permessage-deflate; server_max_window_bits=11"},
		{extensions.DeflateOptions{ClientMaxWindowBits: 10}, "permessage-deflate; client_max_window_bits=12"},
		{extensions.DeflateOptions{ServerNoContextTakeover: true}, "permessage-deflate"},
		{extensions.DeflateOptions{}, "permessage-deflate; client_max_window_bits"},
		{extensions.DeflateOptions{}, "permessage-deflate; server_max_window_bits"},
		{extensions.DeflateOptions{}, "permessage-deflate; server_max_window_bits=16"},
		{extensions.DeflateOptions{}, "permessage-deflate; mux"},
		{extensions.DeflateOptions{}, "permessage-deflate; server_no_context_takeover=true"},
	}
	for _, tt := range tests {
		reg := extensions.NewRegistry(extensions.NewDeflate(tt.client))
		req, _ := handshakeRequest(t, reg)
		h := http.Header{}
		h.Set("Upgrade", "websocket")
		h.Set("Connection", "Upgrade")
		h.Set("Sec-WebSocket-Accept", handshake.AcceptKey(req.Header.Get("Sec-WebSocket-Key")))
		h.Set("Sec-WebSocket-Extensions", tt.answer)
		_, _, err := handshake.ClientVerify(req, switchingProtocolsResponse(t, req, h), reg)
		assert.ErrorIs(t, err, handshake.ErrExtension, "%+v %s", tt.client, tt.answer)
		assert.ErrorIs(t, err, extensions.ErrNegotiation, "%+v %s", tt.client, tt.answer)
	}
}

// TestDeflateServerDeclinesBadOffer: an offer with a repeated parameter is
// declined, not the handshake (RFC 7692 section 7): the server accepts the
// next acceptable offer, or none. A client that gets such a response fails.
func TestDeflateServerDeclinesBadOffer(t *testing.T) {
	server := &handshake.Server{Extensions: extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{})), InsecureSkipOriginCheck: true}
	tests := []struct {
		name   string
		offers string
		want   string // the accepted response, "" for none
	}{
		{"repeated flag, then a plain offer", "permessage-deflate; client_no_context_takeover; client_no_context_takeover, permessage-deflate",
			"permessage-deflate"},
		{"repeated value, then an offer with bits", "permessage-deflate; server_max_window_bits=10; server_max_window_bits=15, permessage-deflate; server_max_window_bits=12",
			"permessage-deflate; server_max_window_bits=12"},
		{"only a bad offer", "permessage-deflate; client_max_window_bits; client_max_window_bits=9", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "http://example.com/", nil)
			require.NoError(t, err)
			r.Header.Set("Upgrade", "websocket")
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Sec-WebSocket-Version", "13")
			r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			r.Header.Set("Sec-WebSocket-Extensions", tt.offers)
			require.NoError(t, server.Check(r), "the header parses")
			h := http.Header{}
			_, exts, err := server.Process(r, h)
			require.NoError(t, err, "the handshake succeeds")
			assert.Equal(t, tt.want, h.Get("Sec-WebSocket-Extensions"))
			assert.Equal(t, tt.want != "", len(exts) == 1)
		})
	}

	t.Run("client refuses such a response", func(t *testing.T) {
		reg := extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
		req, _ := handshakeRequest(t, reg)
		h := http.Header{}
		h.Set("Upgrade", "websocket")
		h.Set("Connection", "Upgrade")
		h.Set("Sec-WebSocket-Accept", handshake.AcceptKey(req.Header.Get("Sec-WebSocket-Key")))
		h.Set("Sec-WebSocket-Extensions", "permessage-deflate; server_no_context_takeover; server_no_context_takeover")
		_, _, err := handshake.ClientVerify(req, switchingProtocolsResponse(t, req, h), reg)
		require.Error(t, err)
		assert.ErrorIs(t, err, handshake.ErrExtension)
		assert.ErrorContains(t, err, "repeated")
	})
}
