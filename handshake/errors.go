package handshake

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// These sentinels tell which check of the handshake failed. A failed
// check is reported as an *Error that wraps exactly one of them.
var (
	// ErrMethod reports a request whose method does not open a
	// WebSocket: GET over HTTP/1.1, CONNECT over HTTP/2 and HTTP/3.
	ErrMethod = errors.New("handshake: wrong method")
	// ErrHTTPVersion reports a request older than HTTP/1.1.
	ErrHTTPVersion = errors.New("handshake: HTTP version is older than 1.1")
	// ErrMissingHost reports a request without a Host header.
	ErrMissingHost = errors.New("handshake: missing Host")
	// ErrUpgrade reports an Upgrade header without the websocket token.
	ErrUpgrade = errors.New("handshake: Upgrade lacks websocket")
	// ErrConnection reports a Connection header without the upgrade token.
	ErrConnection = errors.New("handshake: Connection lacks upgrade")
	// ErrVersion reports a Sec-WebSocket-Version other than a single 13.
	// A server answers it with 426 Upgrade Required and
	// Sec-WebSocket-Version: 13.
	ErrVersion = errors.New("handshake: unsupported Sec-WebSocket-Version")
	// ErrKey reports a Sec-WebSocket-Key that is missing, repeated, or not
	// the base64 encoding of 16 bytes.
	ErrKey = errors.New("handshake: invalid Sec-WebSocket-Key")
	// ErrOrigin reports an Origin that the server's policy refuses. A
	// server answers it with 403 Forbidden.
	ErrOrigin = errors.New("handshake: Origin not allowed")
	// ErrProtocol reports an invalid Sec-WebSocket-Protocol: a value that
	// is not a list of distinct tokens, an offer of which a server that
	// requires a protocol supports none (Server.RequireProtocol), or, in
	// a response, not exactly one of the protocols offered.
	ErrProtocol = errors.New("handshake: invalid Sec-WebSocket-Protocol")
	// ErrExtension reports an invalid Sec-WebSocket-Extensions: a value
	// that does not parse or, in a response, an extension that was not
	// offered, appears twice, or whose parameters it refuses.
	ErrExtension = errors.New("handshake: invalid Sec-WebSocket-Extensions")
	// ErrAccept reports a response whose Sec-WebSocket-Accept is missing,
	// repeated, or not the value computed from the request's key.
	ErrAccept = errors.New("handshake: wrong Sec-WebSocket-Accept")
)

// Error is a failed check of the handshake.
type Error struct {
	// Status is the HTTP status a server answers the failure with:
	// 400 Bad Request, 403 Forbidden for ErrOrigin, 426 Upgrade Required
	// for ErrVersion, or 500 Internal Server Error when a server's own
	// extension produced an invalid response header. It is zero in the
	// errors of ClientPrepare and ClientVerify.
	Status int
	// Header is the name of the header that failed the check, such as
	// "Sec-WebSocket-Key", or "" when the failure is not about a header
	// (the method or the HTTP version).
	Header string
	// Value is the offending value, the lines of a repeated header joined
	// with ", ", or "" when the header is missing.
	Value string
	// Err is the sentinel telling which check failed, such as ErrKey.
	Err error

	detail string // why Value is wrong, for the message
	cause  error  // underlying error, such as a refusal by an extension
}

// Error returns a message naming the check, the offending value (quoted and
// truncated when long) and the reason.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("handshake: failed")
	}
	if e.Value != "" {
		b.WriteByte(' ')
		b.WriteString(quote(e.Value))
	}
	if e.detail != "" {
		b.WriteString(": ")
		b.WriteString(e.detail)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel Err and, when there is one, the underlying
// error, such as an error wrapping extensions.ErrNegotiation or
// extensions.ErrMalformedHeader.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.cause}
}

// StatusError reports a response to a handshake request whose status is not
// 101 Switching Protocols, such as 401 Unauthorized or a redirect. The body
// of Response is not read nor closed; the caller reads and closes it.
type StatusError struct {
	StatusCode int
	Response   *http.Response
}

// Error returns a message with the status received.
func (e *StatusError) Error() string {
	status := strconv.Itoa(e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		status += " " + text
	}
	want := "101 Switching Protocols"
	if e.Response != nil && e.Response.Request != nil && isConnectForm(e.Response.Request) {
		want = "200 OK"
	}
	return "handshake: server answered " + status + ", want " + want
}

// WriteError writes a refusal of the handshake request r: the status of
// err when it is an *Error (400 Bad Request otherwise) and a short
// text/plain body saying why. A refusal of ErrVersion carries
// Sec-WebSocket-Version: 13, and over HTTP/1.1 is a 426 Upgrade Required
// with Upgrade and Connection: Upgrade.
//
// Over HTTP/1.1 (and when r is nil) every refusal carries Connection: close, so that an
// http.Server closes the connection after the response: a refused client
// has no further use for it, and it would otherwise stay open as an idle
// keep-alive connection, or read as HTTP whatever frames the client sent
// after its request. Over HTTP/2 and HTTP/3 only the request's stream
// ends: the connection carries other requests, and a Connection header
// there would make net/http shut it down. Call WriteError before anything
// else is written to w.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadRequest
	var e *Error
	if errors.As(err, &e) && e.Status != 0 {
		status = e.Status
	}
	h := w.Header()
	if errors.Is(err, ErrVersion) {
		status = setVersionRequired(h, r)
	}
	if !overHTTP2(r) {
		// net/http closes the connection after the response when the
		// first Connection value is exactly "close"; "close, Upgrade"
		// would not do.
		connection := []string{"close"}
		if status == http.StatusUpgradeRequired {
			connection = append(connection, "Upgrade")
		}
		h["Connection"] = connection
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	msg := http.StatusText(status)
	if status < 500 && err != nil {
		msg = err.Error()
	}
	_, _ = w.Write([]byte(msg + "\n"))
}

// versionStatus is the status that refuses r for its
// Sec-WebSocket-Version: 426 Upgrade Required, which needs an Upgrade
// header, over HTTP/1.1, and 400 over HTTP/2 and HTTP/3.
func versionStatus(r *http.Request) int {
	if overHTTP2(r) {
		return http.StatusBadRequest
	}
	return http.StatusUpgradeRequired
}

// setVersionRequired fills h for a refusal of r's Sec-WebSocket-Version
// (RFC 6455 section 4.4; RFC 9110 section 15.5.22 for the 426) and
// returns its status.
func setVersionRequired(h http.Header, r *http.Request) int {
	h.Set("Sec-WebSocket-Version", "13")
	if overHTTP2(r) {
		return http.StatusBadRequest
	}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	return http.StatusUpgradeRequired
}

// quote quotes s for an error message, cutting it when it is long.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}
