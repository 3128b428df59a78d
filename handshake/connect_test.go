package handshake_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/handshake"
)

// The extended CONNECT form of the handshake, over HTTP/2 (RFC 8441) and
// HTTP/3 (RFC 9220).

func TestProcessConnect(t *testing.T) {
	r := newRequest("Sec-WebSocket-Protocol", "chat, v2", "Sec-WebSocket-Extensions", "x-a; level=2")
	toConnect("HTTP/2.0", 2)(r)
	h := http.Header{}
	protocol, exts, err := (&handshake.Server{Protocols: []string{"v2"}, Extensions: testRegistry()}).Process(r, h)
	require.NoError(t, err)
	assert.Equal(t, "v2", protocol)
	assert.Equal(t, []string{"x-a/2"}, describe(exts))
	// A 200 answer: no Upgrade, Connection or Sec-WebSocket-Accept.
	assert.Equal(t, http.Header{
		"Sec-Websocket-Protocol":   {"v2"},
		"Sec-Websocket-Extensions": {"x-a; level=2"},
	}, h)
}

func connectRequest(t *testing.T, protocols ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodConnect, "https://example.com/chat", nil)
	require.NoError(t, err)
	req.Header.Set("Upgrade", "websocket") // left by a caller: removed
	req.Header.Set("Sec-WebSocket-Key", rfcKey)
	req.Header.Set("Authorization", "Bearer x")
	require.NoError(t, handshake.ClientPrepare(req, "https://example.com", protocols, testRegistry()))
	return req
}

func TestClientPrepareConnect(t *testing.T) {
	req := connectRequest(t, "chat")
	assert.Equal(t, http.MethodConnect, req.Method)
	assert.Equal(t, http.Header{
		":protocol":                {"websocket"},
		"Sec-Websocket-Version":    {"13"},
		"Origin":                   {"https://example.com"},
		"Sec-Websocket-Protocol":   {"chat"},
		"Sec-Websocket-Extensions": {"x-a; level=5, x-b, x-c"},
		"Authorization":            {"Bearer x"},
	}, req.Header)
}

// connectAnswer returns a response to an extended CONNECT with headers
// added as name, value pairs.
func connectAnswer(req *http.Request, status int, headers ...string) *http.Response {
	resp := &http.Response{
		StatusCode: status, Status: http.StatusText(status),
		Proto: "HTTP/2.0", ProtoMajor: 2,
		Header: http.Header{}, Body: http.NoBody, Request: req,
	}
	for i := 0; i+1 < len(headers); i += 2 {
		resp.Header.Add(headers[i], headers[i+1])
	}
	return resp
}

func TestClientVerifyConnect(t *testing.T) {
	req := connectRequest(t, "chat", "v2")
	protocol, exts, err := handshake.ClientVerify(req,
		connectAnswer(req, 200, "Sec-WebSocket-Protocol", "v2", "Sec-WebSocket-Extensions", "x-b"), testRegistry())
	require.NoError(t, err)
	assert.Equal(t, "v2", protocol)
	assert.Equal(t, []string{"x-b"}, describe(exts))

	// Any 2xx ends a CONNECT successfully (RFC 9110 section 9.3.6).
	_, _, err = handshake.ClientVerify(req, connectAnswer(req, 204), testRegistry())
	assert.NoError(t, err)

	// A 101 is not an answer to a CONNECT; a refusal is a StatusError.
	for _, status := range []int{101, 400, 403} {
		_, _, err = handshake.ClientVerify(req, connectAnswer(req, status), testRegistry())
		var serr *handshake.StatusError
		require.ErrorAs(t, err, &serr, "status %d", status)
		assert.Equal(t, status, serr.StatusCode)
		assert.Contains(t, err.Error(), "want 200 OK")
	}

	// Subprotocols and extensions are checked as over HTTP/1.1.
	_, _, err = handshake.ClientVerify(req, connectAnswer(req, 200, "Sec-WebSocket-Protocol", "other"), testRegistry())
	assert.ErrorIs(t, err, handshake.ErrProtocol)
	_, _, err = handshake.ClientVerify(req, connectAnswer(req, 200, "Sec-WebSocket-Extensions", "x-unknown"), testRegistry())
	assert.ErrorIs(t, err, handshake.ErrExtension)
}

// TestWriteErrorOverHTTP2 checks that a refusal over HTTP/2 carries no
// connection-specific header, which would make net/http's server shut the
// whole connection down, and that a wrong version gets 400 with the
// version to use, as 426 would need an Upgrade header.
func TestWriteErrorOverHTTP2(t *testing.T) {
	r := newRequest("Sec-WebSocket-Version", "8")
	toConnect("HTTP/2.0", 2)(r)
	r.Header.Set("Sec-WebSocket-Version", "8")
	w := httptest.NewRecorder()
	_, _, err := (&handshake.Server{}).Process(r, w.Header())
	require.ErrorIs(t, err, handshake.ErrVersion)
	handshake.WriteError(w, r, err)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, "13", w.Header().Get("Sec-WebSocket-Version"))
	assert.Empty(t, w.Header().Values("Connection"))
	assert.Empty(t, w.Header().Values("Upgrade"))

	r = newRequest()
	toConnect("HTTP/2.0", 2)(r)
	r.Header.Set(":protocol", "webtransport")
	w = httptest.NewRecorder()
	err = (&handshake.Server{}).Check(r)
	handshake.WriteError(w, r, err)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Empty(t, w.Header().Values("Connection"))
	assert.Equal(t, "handshake: Upgrade lacks websocket \"webtransport\": :protocol is not \"websocket\"\n", w.Body.String())
}
