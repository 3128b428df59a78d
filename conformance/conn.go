package conformance

import (
	"bufio"
	"net/url"
	"time"
)

// A conn is what a case runs over once the opening handshake is done. The
// suite writes the case's bytes to it, and reads what the peer sends from
// the bufio.Reader that the handshake returns with it.
//
//   - Over HTTP/1.1 it is the TCP connection (a net.Conn).
//   - Over HTTP/2 it is the stream of an extended CONNECT request (RFC
//     8441): h2ClientStream in the server role, h2ServerStream in the
//     client role (see http2.go), which say how the ends of a TCP
//     connection map onto the stream.
//
// The cases and the session do not depend on which.
type conn interface {
	// Write sends b to the peer at once: each call's bytes leave in a
	// TCP segment, or an HTTP/2 DATA frame, of their own as far as the
	// transport lets them.
	Write(b []byte) (int, error)
	// SetWriteDeadline bounds the writes.
	SetWriteDeadline(t time.Time) error
	// Close ends the connection as closing a TCP connection does, and
	// makes a read under way return. It may be called more than once,
	// also concurrently with Write.
	Close() error
}

// http2Stream marks the conns that are streams of an extended CONNECT
// over HTTP/2.
type http2Stream interface {
	conn
	http2Stream()
}

// An opening is a client's opening handshake as the fuzzing server reads
// it, not answered yet: an HTTP/1.1 Upgrade on a TCP connection, or an
// extended CONNECT over HTTP/2.
type opening struct {
	url  *url.URL    // the request's URL: path and query
	exts []extension // the client's Sec-WebSocket-Extensions
	nc   conn
	br   *bufio.Reader // what the client sends after the handshake
	// accept answers the handshake with the given
	// Sec-WebSocket-Extensions value ("" for none): 101 Switching
	// Protocols over HTTP/1.1, 200 over HTTP/2.
	accept func(extHeader string) error
	// reject answers the handshake with status.
	reject func(status int)
}
