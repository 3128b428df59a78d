package handshake_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
)

const (
	rfcKey    = "dGhlIHNhbXBsZSBub25jZQ=="
	rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
)

// newRequest returns a valid handshake request for ws://example.com/chat
// with the key of RFC 6455 section 1.3 and headers set as in headers
// (name, value pairs; each pair adds a line).
func newRequest(headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/chat", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Key", rfcKey)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// toConnect turns a request made by newRequest into an extended CONNECT
// (RFC 8441, RFC 9220) over HTTP/major, with proto as the request's Proto:
// net/http gives "HTTP/2.0" and :protocol as a header, quic-go's http3 the
// :protocol as Proto.
func toConnect(proto string, major int) func(r *http.Request) {
	return func(r *http.Request) {
		r.Method = http.MethodConnect
		r.Proto, r.ProtoMajor, r.ProtoMinor = proto, major, 0
		r.Header.Del("Upgrade")
		r.Header.Del("Connection")
		r.Header.Del("Sec-WebSocket-Key")
		r.Header.Set(":protocol", "websocket")
	}
}

func TestServerCheckAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *http.Request)
	}{
		{"minimal", func(r *http.Request) {}},
		{"upgrade case", func(r *http.Request) { r.Header.Set("Upgrade", "WebSocket") }},
		{"upgrade list", func(r *http.Request) { r.Header.Set("Upgrade", "foo/2, websocket") }},
		{"connection list", func(r *http.Request) { r.Header.Set("Connection", "keep-alive, Upgrade") }},
		{"connection lines", func(r *http.Request) {
			r.Header["Connection"] = []string{"keep-alive", "upgrade"}
		}},
		{"connection empty elements", func(r *http.Request) { r.Header.Set("Connection", ",, upgrade ,") }},
		{"version with spaces", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", " 13\t") }},
		{"HTTP/2 extended CONNECT", toConnect("HTTP/2.0", 2)},
		{"HTTP/2 extended CONNECT, :protocol case", func(r *http.Request) {
			toConnect("HTTP/2.0", 2)(r)
			r.Header.Set(":protocol", "WebSocket")
		}},
		{"HTTP/3 extended CONNECT as quic-go gives it", func(r *http.Request) {
			toConnect("websocket", 3)(r)
			r.Header.Del(":protocol")
		}},
		{"same origin", func(r *http.Request) { r.Header.Set("Origin", "http://example.com") }},
		{"protocols", func(r *http.Request) {
			r.Header.Add("Sec-WebSocket-Protocol", "chat, superchat")
			r.Header.Add("Sec-WebSocket-Protocol", "v2.chat")
		}},
		{"extensions", func(r *http.Request) {
			r.Header.Add("Sec-WebSocket-Extensions", "x-a; level=3, x-unknown")
			r.Header.Add("Sec-WebSocket-Extensions", `x-b; p="q"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest()
			tt.mutate(r)
			assert.NoError(t, (&handshake.Server{}).Check(r))
		})
	}
}

func TestServerCheckErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *http.Request)
		err    error  // sentinel
		status int    // Error.Status
		header string // Error.Header
		msg    string // the whole message
	}{
		{"method POST", func(r *http.Request) { r.Method = http.MethodPost },
			handshake.ErrMethod, 400, "", `handshake: wrong method "POST": want GET`},
		{"HTTP/1.0", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0 },
			handshake.ErrHTTPVersion, 400, "", `handshake: HTTP version is older than 1.1 "HTTP/1.0"`},
		{"GET over HTTP/2", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0 },
			handshake.ErrMethod, 400, "", `handshake: wrong method "GET": over HTTP/2 a WebSocket opens with CONNECT and :protocol websocket (RFC 8441, RFC 9220)`},
		{"GET over HTTP/3", func(r *http.Request) { r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/3.0", 3, 0 },
			handshake.ErrMethod, 400, "", `handshake: wrong method "GET": over HTTP/3 a WebSocket opens with CONNECT and :protocol websocket (RFC 8441, RFC 9220)`},
		{"CONNECT over HTTP/1.1", func(r *http.Request) { r.Method = http.MethodConnect },
			handshake.ErrMethod, 400, "", `handshake: wrong method "CONNECT": CONNECT opens a WebSocket only over HTTP/2 and HTTP/3; want GET over HTTP/1`},
		{"CONNECT without :protocol", func(r *http.Request) {
			toConnect("HTTP/2.0", 2)(r)
			r.Header.Del(":protocol")
		}, handshake.ErrUpgrade, 400, ":protocol", `handshake: Upgrade lacks websocket: :protocol missing`},
		{"CONNECT with another :protocol", func(r *http.Request) {
			toConnect("HTTP/2.0", 2)(r)
			r.Header.Set(":protocol", "webtransport")
		}, handshake.ErrUpgrade, 400, ":protocol", `handshake: Upgrade lacks websocket "webtransport": :protocol is not "websocket"`},
		{"CONNECT over HTTP/3 with another :protocol", func(r *http.Request) {
			toConnect("connect-udp", 3)(r)
			r.Header.Del(":protocol")
		}, handshake.ErrUpgrade, 400, ":protocol", `handshake: Upgrade lacks websocket "connect-udp": :protocol is not "websocket"`},
		{"CONNECT without version", func(r *http.Request) {
			toConnect("HTTP/2.0", 2)(r)
			r.Header.Del("Sec-WebSocket-Version")
		}, handshake.ErrVersion, 400, "Sec-WebSocket-Version", `handshake: unsupported Sec-WebSocket-Version: missing`},
		{"CONNECT cross origin", func(r *http.Request) {
			toConnect("HTTP/2.0", 2)(r)
			r.Header.Set("Origin", "https://evil.example")
		}, handshake.ErrOrigin, 403, "Origin", `handshake: Origin not allowed "https://evil.example": host "evil.example" is not the request's Host "example.com" and matches no OriginPatterns`},
		{"no Host", func(r *http.Request) { r.Host = "" },
			handshake.ErrMissingHost, 400, "Host", `handshake: missing Host`},
		{"no Upgrade", func(r *http.Request) { r.Header.Del("Upgrade") },
			handshake.ErrUpgrade, 400, "Upgrade", `handshake: Upgrade lacks websocket: missing`},
		{"Upgrade h2c", func(r *http.Request) { r.Header.Set("Upgrade", "h2c") },
			handshake.ErrUpgrade, 400, "Upgrade", `handshake: Upgrade lacks websocket "h2c": no "websocket" token`},
		{"Upgrade substring", func(r *http.Request) { r.Header.Set("Upgrade", "websockets") },
			handshake.ErrUpgrade, 400, "Upgrade", `handshake: Upgrade lacks websocket "websockets": no "websocket" token`},
		{"no Connection", func(r *http.Request) { r.Header.Del("Connection") },
			handshake.ErrConnection, 400, "Connection", `handshake: Connection lacks upgrade: missing`},
		{"Connection keep-alive", func(r *http.Request) { r.Header.Set("Connection", "keep-alive") },
			handshake.ErrConnection, 400, "Connection", `handshake: Connection lacks upgrade "keep-alive": no "upgrade" token`},
		{"no version", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Version") },
			handshake.ErrVersion, 426, "Sec-WebSocket-Version", `handshake: unsupported Sec-WebSocket-Version: missing`},
		{"version 8", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "8") },
			handshake.ErrVersion, 426, "Sec-WebSocket-Version", `handshake: unsupported Sec-WebSocket-Version "8": want 13`},
		{"version list", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Version", "13, 8") },
			handshake.ErrVersion, 426, "Sec-WebSocket-Version", `handshake: unsupported Sec-WebSocket-Version "13, 8": want 13`},
		{"version repeated", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Version", "13") },
			handshake.ErrVersion, 426, "Sec-WebSocket-Version", `handshake: unsupported Sec-WebSocket-Version "13, 13": header repeated`},
		{"no key", func(r *http.Request) { r.Header.Del("Sec-WebSocket-Key") },
			handshake.ErrKey, 400, "Sec-WebSocket-Key", `handshake: invalid Sec-WebSocket-Key: missing`},
		{"key repeated", func(r *http.Request) { r.Header.Add("Sec-WebSocket-Key", rfcKey) },
			handshake.ErrKey, 400, "Sec-WebSocket-Key", `handshake: invalid Sec-WebSocket-Key "` + rfcKey + `, ` + rfcKey + `": header repeated`},
		{"key unpadded", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ") },
			handshake.ErrKey, 400, "Sec-WebSocket-Key", `handshake: invalid Sec-WebSocket-Key "dGhlIHNhbXBsZSBub25jZQ": 22 characters, want 24`},
		{"key not base64", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ!=") },
			handshake.ErrKey, 400, "Sec-WebSocket-Key", `handshake: invalid Sec-WebSocket-Key "dGhlIHNhbXBsZSBub25jZQ!=": not base64`},
		{"key of 18 bytes", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAAAA") },
			handshake.ErrKey, 400, "Sec-WebSocket-Key", `handshake: invalid Sec-WebSocket-Key "AAAAAAAAAAAAAAAAAAAAAAAA": decodes to 18 bytes, want 16`},
		{"key URL alphabet", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j-_==") },
			handshake.ErrKey, 400, "Sec-WebSocket-Key", `handshake: invalid Sec-WebSocket-Key "dGhlIHNhbXBsZSBub25j-_==": not base64`},
		{"cross origin", func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
			handshake.ErrOrigin, 403, "Origin", `handshake: Origin not allowed "https://evil.example": host "evil.example" is not the request's Host "example.com" and matches no OriginPatterns`},
		{"protocol not a token", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "chat, super chat") },
			handshake.ErrProtocol, 400, "Sec-WebSocket-Protocol", `handshake: invalid Sec-WebSocket-Protocol "super chat": not a token`},
		{"protocol empty element", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "chat,,superchat") },
			handshake.ErrProtocol, 400, "Sec-WebSocket-Protocol", `handshake: invalid Sec-WebSocket-Protocol "chat,,superchat": empty list element`},
		{"protocol empty line", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Protocol", "") },
			handshake.ErrProtocol, 400, "Sec-WebSocket-Protocol", `handshake: invalid Sec-WebSocket-Protocol: empty list element`},
		{"protocol twice", func(r *http.Request) {
			r.Header.Add("Sec-WebSocket-Protocol", "chat")
			r.Header.Add("Sec-WebSocket-Protocol", "chat")
		}, handshake.ErrProtocol, 400, "Sec-WebSocket-Protocol", `handshake: invalid Sec-WebSocket-Protocol "chat": offered twice`},
		{"extensions malformed", func(r *http.Request) { r.Header.Set("Sec-WebSocket-Extensions", "x-a; level=1,, x-b") },
			handshake.ErrExtension, 400, "Sec-WebSocket-Extensions", `handshake: invalid Sec-WebSocket-Extensions "x-a; level=1,, x-b": extensions: malformed Sec-WebSocket-Extensions header: empty list element at byte 13 of "x-a; level=1,, x-b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest()
			tt.mutate(r)
			s := &handshake.Server{Extensions: testRegistry(), Protocols: []string{"chat"}}
			err := s.Check(r)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.err)
			var e *handshake.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.status, e.Status)
			assert.Equal(t, tt.header, e.Header)
			assert.Equal(t, tt.msg, err.Error())

			// Process fails the same way and answers a wrong version with
			// the version to use: over HTTP/1.1 a 426 with Upgrade, over
			// HTTP/2 and HTTP/3 (no Upgrade there) a 400.
			h := http.Header{}
			proto, exts, perr := s.Process(r, h)
			assert.Equal(t, err, perr)
			assert.Empty(t, proto)
			assert.Nil(t, exts)
			switch {
			case tt.err == handshake.ErrVersion && r.ProtoMajor == 1:
				assert.Equal(t, http.Header{"Sec-Websocket-Version": {"13"}, "Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, h)
			case tt.err == handshake.ErrVersion:
				assert.Equal(t, http.Header{"Sec-Websocket-Version": {"13"}}, h)
			default:
				assert.Empty(t, h)
			}
		})
	}
}

func TestServerCheckExtensionCause(t *testing.T) {
	r := newRequest("Sec-WebSocket-Extensions", "x-a;;")
	err := (&handshake.Server{}).Check(r)
	assert.ErrorIs(t, err, handshake.ErrExtension)
	assert.ErrorIs(t, err, extensions.ErrMalformedHeader)
}

func TestServerProcess(t *testing.T) {
	h := http.Header{}
	h.Set("Set-Cookie", "a=b")
	h.Set("Sec-WebSocket-Protocol", "stale")
	r := newRequest("Sec-WebSocket-Protocol", "chat")
	proto, exts, err := (&handshake.Server{}).Process(r, h)
	require.NoError(t, err)
	assert.Empty(t, proto)
	assert.Empty(t, exts)
	assert.Equal(t, http.Header{
		"Upgrade":              {"websocket"},
		"Connection":           {"Upgrade"},
		"Sec-Websocket-Accept": {rfcAccept},
		"Set-Cookie":           {"a=b"},
	}, h)
}

func TestServerNegotiation(t *testing.T) {
	tests := []struct {
		name       string
		server     handshake.Server
		protocols  []string // request lines
		extensions []string // request lines
		wantProto  string
		wantExts   []string // describe() of the result
		wantHeader string   // response Sec-WebSocket-Extensions
	}{
		{name: "nothing offered", server: handshake.Server{Protocols: []string{"chat"}, Extensions: testRegistry()}},
		{name: "client's first supported protocol",
			server:    handshake.Server{Protocols: []string{"a", "b", "c"}},
			protocols: []string{"x, c", "b"}, wantProto: "c"},
		{name: "server's first supported protocol",
			server:    handshake.Server{Protocols: []string{"a", "b", "c"}, PreferServerProtocols: true},
			protocols: []string{"x, c", "b"}, wantProto: "b"},
		{name: "no protocol in common",
			server:    handshake.Server{Protocols: []string{"a"}},
			protocols: []string{"b, c"}},
		{name: "required protocol, none offered",
			server: handshake.Server{Protocols: []string{"a"}, RequireProtocol: true}},
		{name: "required protocol offered",
			server:    handshake.Server{Protocols: []string{"a", "b"}, RequireProtocol: true},
			protocols: []string{"c, b"}, wantProto: "b"},
		{name: "protocols compare exactly",
			server:    handshake.Server{Protocols: []string{"chat"}},
			protocols: []string{"Chat"}},
		{name: "server without protocols",
			protocols: []string{"chat"}},
		{name: "extension accepted with params",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-a; level=3"},
			wantExts:   []string{"x-a/3"}, wantHeader: "x-a; level=3"},
		{name: "extension without params",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-a"},
			wantExts:   []string{"x-a"}, wantHeader: "x-a"},
		{name: "fallback to next offer",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-a; level=42, x-a; mode=fast", "x-a; level=2"},
			wantExts:   []string{"x-a/2"}, wantHeader: "x-a; level=2"},
		{name: "all offers refused",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-a; level=0, x-a; level=10"}},
		{name: "one per name",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-a; level=1, X-A; level=2"},
			wantExts:   []string{"x-a/1"}, wantHeader: "x-a; level=1"},
		{name: "name case-insensitive",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"X-A; level=2"},
			wantExts:   []string{"x-a/2"}, wantHeader: "x-a; level=2"},
		{name: "unknown ignored",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-unknown; level=1, x-b"},
			wantExts:   []string{"x-b"}, wantHeader: "x-b"},
		{name: "client's order",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-b, x-a; level=4"},
			wantExts:   []string{"x-b", "x-a/4"}, wantHeader: "x-b, x-a; level=4"},
		{name: "reserved bits clash",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-c, x-a, x-b"},
			wantExts:   []string{"x-c", "x-b"}, wantHeader: "x-c, x-b"},
		{name: "clash after refusal",
			server:     handshake.Server{Extensions: testRegistry()},
			extensions: []string{"x-c; level=no, x-a"},
			wantExts:   []string{"x-a"}, wantHeader: "x-a"},
		{name: "no registry",
			extensions: []string{"x-a"}},
		{name: "both",
			server:     handshake.Server{Protocols: []string{"chat"}, Extensions: testRegistry()},
			protocols:  []string{"chat"},
			extensions: []string{"x-a; level=9"},
			wantProto:  "chat", wantExts: []string{"x-a/9"}, wantHeader: "x-a; level=9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest()
			for _, v := range tt.protocols {
				r.Header.Add("Sec-WebSocket-Protocol", v)
			}
			for _, v := range tt.extensions {
				r.Header.Add("Sec-WebSocket-Extensions", v)
			}
			h := http.Header{}
			proto, exts, err := tt.server.Process(r, h)
			require.NoError(t, err)
			assert.Equal(t, tt.wantProto, proto)
			assert.Equal(t, tt.wantExts, describe(exts))
			for _, e := range exts {
				assert.Equal(t, extensions.Server, e.(*fakeExt).side)
			}
			assert.Equal(t, rfcAccept, h.Get("Sec-WebSocket-Accept"))
			if tt.wantProto == "" {
				assert.NotContains(t, h, "Sec-Websocket-Protocol")
			} else {
				assert.Equal(t, []string{tt.wantProto}, h.Values("Sec-WebSocket-Protocol"))
			}
			if tt.wantHeader == "" {
				assert.NotContains(t, h, "Sec-Websocket-Extensions")
			} else {
				assert.Equal(t, []string{tt.wantHeader}, h.Values("Sec-WebSocket-Extensions"))
			}
		})
	}
}

func TestServerProcessBadResponseParams(t *testing.T) {
	reg := extensions.NewRegistry(func() extensions.Extension {
		return &fakeExt{name: "x-bad", badResp: true}
	})
	r := newRequest("Sec-WebSocket-Extensions", "x-bad")
	h := http.Header{}
	_, _, err := (&handshake.Server{Extensions: reg}).Process(r, h)
	var e *handshake.Error
	require.ErrorAs(t, err, &e)
	assert.True(t, errors.Is(err, handshake.ErrExtension))
	assert.Equal(t, http.StatusInternalServerError, e.Status)
	assert.Equal(t, `handshake: invalid Sec-WebSocket-Extensions "x-bad; bad name": response: parameter name "bad name" is not a token`, err.Error())
	assert.Empty(t, h)
}

// TestServerRequireProtocol: a server that requires a subprotocol refuses
// an offer of which it supports none, as libsoup does.
func TestServerRequireProtocol(t *testing.T) {
	r := newRequest()
	r.Header.Set("Sec-WebSocket-Protocol", "x, y")
	s := &handshake.Server{Protocols: []string{"chat"}, RequireProtocol: true}
	err := s.Check(r)
	require.Error(t, err)
	assert.ErrorIs(t, err, handshake.ErrProtocol)
	var e *handshake.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 400, e.Status)
	assert.EqualError(t, err, `handshake: invalid Sec-WebSocket-Protocol "x, y": none of the offered subprotocols is supported`)

	s.RequireProtocol = false
	assert.NoError(t, s.Check(r), "without RequireProtocol the handshake goes on without a protocol")
}
