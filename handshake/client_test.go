package handshake_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
)

func newClientRequest(t *testing.T) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://example.com/chat", nil)
	require.NoError(t, err)
	return req
}

func TestClientPrepare(t *testing.T) {
	req := newClientRequest(t)
	req.Header.Set("Cookie", "session=1")
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Sec-WebSocket-Key", "stale")
	err := handshake.ClientPrepare(req, "https://example.com", []string{"chat", "v2.chat"}, testRegistry())
	require.NoError(t, err)

	key := req.Header.Get("Sec-WebSocket-Key")
	raw, err := base64.StdEncoding.DecodeString(key)
	require.NoError(t, err)
	assert.Len(t, raw, 16)
	assert.Equal(t, http.Header{
		"Cookie":                   {"session=1"},
		"Authorization":            {"Bearer x"},
		"Upgrade":                  {"websocket"},
		"Connection":               {"Upgrade"},
		"Sec-Websocket-Version":    {"13"},
		"Sec-Websocket-Key":        {key},
		"Origin":                   {"https://example.com"},
		"Sec-Websocket-Protocol":   {"chat, v2.chat"},
		"Sec-Websocket-Extensions": {"x-a; level=5, x-b, x-c"},
	}, req.Header)
	assert.Equal(t, http.MethodGet, req.Method)
}

func TestClientPrepareFreshKeys(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		req := newClientRequest(t)
		require.NoError(t, handshake.ClientPrepare(req, "", nil, nil))
		key := req.Header.Get("Sec-WebSocket-Key")
		assert.False(t, seen[key], "key %q repeated", key)
		seen[key] = true
	}
}

func TestClientPrepareNothingToOffer(t *testing.T) {
	req := &http.Request{} // no method, no header map
	req.Header = nil
	require.NoError(t, handshake.ClientPrepare(req, "", nil, nil))
	assert.Equal(t, http.MethodGet, req.Method)
	for _, h := range []string{"Origin", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
		assert.NotContains(t, req.Header, http.CanonicalHeaderKey(h))
	}

	// Values the caller left for the headers ClientPrepare owns go.
	req = newClientRequest(t)
	req.Header.Set("Origin", "https://stale.example")
	req.Header.Set("Sec-WebSocket-Protocol", "stale")
	req.Header.Set("Sec-WebSocket-Extensions", "stale")
	require.NoError(t, handshake.ClientPrepare(req, "", []string{}, extensions.NewRegistry()))
	for _, h := range []string{"Origin", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"} {
		assert.NotContains(t, req.Header, http.CanonicalHeaderKey(h))
	}
}

func TestClientPrepareErrors(t *testing.T) {
	bad := func(params ...extensions.Param) *extensions.Registry {
		return extensions.NewRegistry(fake("x-a", 0x40, params...))
	}
	tests := []struct {
		name      string
		method    string
		protocols []string
		reg       *extensions.Registry
		err       error
		msg       string
	}{
		{name: "POST", method: http.MethodPost, err: handshake.ErrMethod,
			msg: `handshake: wrong method "POST": want GET, or CONNECT over HTTP/2 and HTTP/3`},
		{name: "protocol not a token", protocols: []string{"chat", "a b"}, err: handshake.ErrProtocol,
			msg: `handshake: invalid Sec-WebSocket-Protocol "a b": not a token`},
		{name: "protocol with comma", protocols: []string{"a,b"}, err: handshake.ErrProtocol,
			msg: `handshake: invalid Sec-WebSocket-Protocol "a,b": not a token`},
		{name: "empty protocol", protocols: []string{""}, err: handshake.ErrProtocol,
			msg: `handshake: invalid Sec-WebSocket-Protocol: not a token`},
		{name: "protocol twice", protocols: []string{"chat", "chat"}, err: handshake.ErrProtocol,
			msg: `handshake: invalid Sec-WebSocket-Protocol "chat": offered twice`},
		{name: "extension param name", reg: bad(extensions.Param{Name: "a=b"}), err: handshake.ErrExtension,
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a; a=b": parameter name "a=b" is not a token`},
		{name: "extension param value", reg: bad(level("1 2")), err: handshake.ErrExtension,
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a; level=\"1 2\"": value "1 2" of parameter level is not a token`},
		{name: "extension param repeated", reg: bad(level("1"), level("2")), err: handshake.ErrExtension,
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a; level=1; level=2": parameter level repeated`},
		{name: "extension name", reg: extensions.NewRegistry(fake("x a", 0)), err: handshake.ErrExtension,
			msg: `handshake: invalid Sec-WebSocket-Extensions "x a": extension name "x a" is not a token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newClientRequest(t)
			req.Method = tt.method
			req.Header.Set("Cookie", "kept")
			err := handshake.ClientPrepare(req, "", tt.protocols, tt.reg)
			require.ErrorIs(t, err, tt.err)
			var e *handshake.Error
			require.ErrorAs(t, err, &e)
			assert.Zero(t, e.Status)
			assert.Equal(t, tt.msg, err.Error())
			assert.Equal(t, http.Header{"Cookie": {"kept"}}, req.Header, "request changed on failure")
		})
	}
}

// preparedRequest returns a request prepared with testRegistry, offering
// protocols, whose key is replaced by the key of RFC 6455 section 1.3.
func preparedRequest(t testing.TB, protocols ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://example.com/chat", nil)
	require.NoError(t, err)
	require.NoError(t, handshake.ClientPrepare(req, "", protocols, testRegistry()))
	req.Header.Set("Sec-WebSocket-Key", rfcKey)
	return req
}

// switching returns a valid 101 response to preparedRequest, with headers
// added as name, value pairs.
func switching(headers ...string) *http.Response {
	resp := &http.Response{
		Status:     "101 Switching Protocols",
		StatusCode: http.StatusSwitchingProtocols,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{},
		Body:   http.NoBody,
	}
	resp.Header.Set("Upgrade", "websocket")
	resp.Header.Set("Connection", "Upgrade")
	resp.Header.Set("Sec-WebSocket-Accept", rfcAccept)
	for i := 0; i+1 < len(headers); i += 2 {
		resp.Header.Add(headers[i], headers[i+1])
	}
	return resp
}

func TestClientVerifyAccepts(t *testing.T) {
	tests := []struct {
		name      string
		protocols []string // offered
		resp      *http.Response
		wantProto string
		wantExts  []string
	}{
		{name: "minimal", resp: switching()},
		{name: "Upgrade case and list", resp: switching("Upgrade", "h2c, WebSocket")},
		{name: "Connection lines", resp: func() *http.Response {
			r := switching()
			r.Header["Connection"] = []string{"keep-alive", "UPGRADE"}
			return r
		}()},
		{name: "protocol chosen", protocols: []string{"chat", "superchat"},
			resp: switching("Sec-WebSocket-Protocol", "superchat"), wantProto: "superchat"},
		{name: "no protocol chosen", protocols: []string{"chat"}, resp: switching()},
		{name: "extensions in response order",
			resp:     switching("Sec-WebSocket-Extensions", "x-b", "Sec-WebSocket-Extensions", "x-a; level=3"),
			wantExts: []string{"x-b", "x-a/3"}},
		{name: "extension name case", resp: switching("Sec-WebSocket-Extensions", `X-A; level="7"`),
			wantExts: []string{"x-a/7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := preparedRequest(t, tt.protocols...)
			proto, exts, err := handshake.ClientVerify(req, tt.resp, testRegistry())
			require.NoError(t, err)
			assert.Equal(t, tt.wantProto, proto)
			assert.Equal(t, tt.wantExts, describe(exts))
			for _, e := range exts {
				assert.Equal(t, extensions.Client, e.(*fakeExt).side)
			}
		})
	}
}

func TestClientVerifyErrors(t *testing.T) {
	with := func(mutate func(h http.Header)) *http.Response {
		r := switching()
		mutate(r.Header)
		return r
	}
	tests := []struct {
		name      string
		protocols []string // offered
		resp      *http.Response
		err       error
		header    string
		msg       string
	}{
		{name: "no Upgrade", resp: with(func(h http.Header) { h.Del("Upgrade") }),
			err: handshake.ErrUpgrade, header: "Upgrade", msg: "handshake: Upgrade lacks websocket: missing"},
		{name: "Upgrade h2c", resp: with(func(h http.Header) { h.Set("Upgrade", "h2c") }),
			err: handshake.ErrUpgrade, header: "Upgrade", msg: `handshake: Upgrade lacks websocket "h2c": no "websocket" token`},
		{name: "no Connection", resp: with(func(h http.Header) { h.Del("Connection") }),
			err: handshake.ErrConnection, header: "Connection", msg: "handshake: Connection lacks upgrade: missing"},
		{name: "Connection close", resp: with(func(h http.Header) { h.Set("Connection", "close") }),
			err: handshake.ErrConnection, header: "Connection", msg: `handshake: Connection lacks upgrade "close": no "upgrade" token`},
		{name: "no accept", resp: with(func(h http.Header) { h.Del("Sec-WebSocket-Accept") }),
			err: handshake.ErrAccept, header: "Sec-WebSocket-Accept", msg: "handshake: wrong Sec-WebSocket-Accept: missing"},
		{name: "wrong accept", resp: with(func(h http.Header) { h.Set("Sec-WebSocket-Accept", acceptOf("other")) }),
			err: handshake.ErrAccept, header: "Sec-WebSocket-Accept",
			msg: `handshake: wrong Sec-WebSocket-Accept "` + acceptOf("other") + `": want "` + rfcAccept + `"`},
		{name: "accept in other case", resp: with(func(h http.Header) { h.Set("Sec-WebSocket-Accept", strings.ToLower(rfcAccept)) }),
			err: handshake.ErrAccept, header: "Sec-WebSocket-Accept"},
		{name: "accept of the key itself", resp: with(func(h http.Header) { h.Set("Sec-WebSocket-Accept", rfcKey) }),
			err: handshake.ErrAccept, header: "Sec-WebSocket-Accept"},
		{name: "accept repeated", resp: with(func(h http.Header) { h.Add("Sec-WebSocket-Accept", rfcAccept) }),
			err: handshake.ErrAccept, header: "Sec-WebSocket-Accept",
			msg: `handshake: wrong Sec-WebSocket-Accept "` + rfcAccept + ", " + rfcAccept + `": header repeated`},
		{name: "protocol not offered", resp: switching("Sec-WebSocket-Protocol", "chat"),
			err: handshake.ErrProtocol, header: "Sec-WebSocket-Protocol",
			msg: `handshake: invalid Sec-WebSocket-Protocol "chat": no protocol was offered`},
		{name: "other protocol", protocols: []string{"chat"}, resp: switching("Sec-WebSocket-Protocol", "superchat"),
			err: handshake.ErrProtocol, header: "Sec-WebSocket-Protocol",
			msg: `handshake: invalid Sec-WebSocket-Protocol "superchat": not one of the protocols offered`},
		{name: "protocol case", protocols: []string{"chat"}, resp: switching("Sec-WebSocket-Protocol", "Chat"),
			err: handshake.ErrProtocol, header: "Sec-WebSocket-Protocol"},
		{name: "two protocols", protocols: []string{"a", "b"}, resp: switching("Sec-WebSocket-Protocol", "a, b"),
			err: handshake.ErrProtocol, header: "Sec-WebSocket-Protocol",
			msg: `handshake: invalid Sec-WebSocket-Protocol "a, b": not one of the protocols offered`},
		{name: "two protocol lines", protocols: []string{"a", "b"},
			resp: switching("Sec-WebSocket-Protocol", "a", "Sec-WebSocket-Protocol", "b"),
			err:  handshake.ErrProtocol, header: "Sec-WebSocket-Protocol",
			msg: `handshake: invalid Sec-WebSocket-Protocol "a, b": header repeated`},
		{name: "empty protocol", protocols: []string{"a"}, resp: switching("Sec-WebSocket-Protocol", ""),
			err: handshake.ErrProtocol, header: "Sec-WebSocket-Protocol"},
		{name: "extension not offered", resp: switching("Sec-WebSocket-Extensions", "x-a, x-d"),
			err: handshake.ErrExtension, header: "Sec-WebSocket-Extensions",
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a, x-d": "x-d" was not offered`},
		{name: "extension twice", resp: switching("Sec-WebSocket-Extensions", "x-a", "Sec-WebSocket-Extensions", "X-A"),
			err: handshake.ErrExtension, header: "Sec-WebSocket-Extensions",
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a, X-A": "X-A" appears twice`},
		{name: "params refused", resp: switching("Sec-WebSocket-Extensions", "x-a; level=42"),
			err: handshake.ErrExtension, header: "Sec-WebSocket-Extensions",
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a; level=42": "x-a" refused its parameters: extensions: negotiation failed: x-a: bad level "42"`},
		{name: "unknown param refused", resp: switching("Sec-WebSocket-Extensions", "x-b; mode"),
			err: handshake.ErrExtension, header: "Sec-WebSocket-Extensions"},
		{name: "reserved bits clash", resp: switching("Sec-WebSocket-Extensions", "x-a, x-c"),
			err: handshake.ErrExtension, header: "Sec-WebSocket-Extensions",
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a, x-c": "x-c" claims reserved bits already in use`},
		{name: "extensions malformed", resp: switching("Sec-WebSocket-Extensions", "x-a;"),
			err: handshake.ErrExtension, header: "Sec-WebSocket-Extensions",
			msg: `handshake: invalid Sec-WebSocket-Extensions "x-a;": extensions: malformed Sec-WebSocket-Extensions header: expected parameter name, found end of line at byte 4 of "x-a;"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := preparedRequest(t, tt.protocols...)
			proto, exts, err := handshake.ClientVerify(req, tt.resp, testRegistry())
			require.ErrorIs(t, err, tt.err)
			assert.Empty(t, proto)
			assert.Nil(t, exts)
			var e *handshake.Error
			require.ErrorAs(t, err, &e)
			assert.Zero(t, e.Status)
			assert.Equal(t, tt.header, e.Header)
			if tt.msg != "" {
				assert.Equal(t, tt.msg, err.Error())
			}
		})
	}
}

func TestClientVerifyCauses(t *testing.T) {
	req := preparedRequest(t)
	_, _, err := handshake.ClientVerify(req, switching("Sec-WebSocket-Extensions", "x-a; level=0"), testRegistry())
	assert.ErrorIs(t, err, handshake.ErrExtension)
	assert.ErrorIs(t, err, extensions.ErrNegotiation)

	_, _, err = handshake.ClientVerify(req, switching("Sec-WebSocket-Extensions", ",x-a"), testRegistry())
	assert.ErrorIs(t, err, handshake.ErrExtension)
	assert.ErrorIs(t, err, extensions.ErrMalformedHeader)
}

func TestClientVerifyStatus(t *testing.T) {
	for _, code := range []int{http.StatusOK, http.StatusFound, http.StatusUnauthorized, http.StatusUpgradeRequired, 599} {
		resp := &http.Response{
			StatusCode: code,
			Header:     http.Header{"Www-Authenticate": {"Basic"}},
			Body:       io.NopCloser(strings.NewReader("log in first")),
		}
		_, _, err := handshake.ClientVerify(preparedRequest(t), resp, nil)
		var se *handshake.StatusError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, code, se.StatusCode)
		require.Same(t, resp, se.Response)
		body, err := io.ReadAll(se.Response.Body)
		require.NoError(t, err)
		assert.Equal(t, "log in first", string(body))
	}
	_, _, err := handshake.ClientVerify(preparedRequest(t), &http.Response{StatusCode: 401}, nil)
	assert.EqualError(t, err, "handshake: server answered 401 Unauthorized, want 101 Switching Protocols")
	_, _, err = handshake.ClientVerify(preparedRequest(t), &http.Response{StatusCode: 599}, nil)
	assert.EqualError(t, err, "handshake: server answered 599, want 101 Switching Protocols")
}

func TestClientVerifyRequestWithoutKey(t *testing.T) {
	req := preparedRequest(t)
	req.Header.Del("Sec-WebSocket-Key")
	_, _, err := handshake.ClientVerify(req, switching(), nil)
	assert.ErrorIs(t, err, handshake.ErrKey)
	assert.EqualError(t, err, "handshake: invalid Sec-WebSocket-Key: request: missing")
}

// acceptOf is AcceptKey, named for readability in tables.
var acceptOf = handshake.AcceptKey
