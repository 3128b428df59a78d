package wsconn

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned and reported by a connection wrap one of
// these where it applies, so errors.Is tells the cases apart.
var (
	// ErrNotOpen is returned by a send on a connection that is closing or
	// closed.
	ErrNotOpen = errors.New("wsconn: connection is not open")
	// ErrQueueFull is returned by a send when the outgoing queue already
	// holds MaxQueuedBytes (see Options.MaxQueuedBytes).
	ErrQueueFull = errors.New("wsconn: outgoing queue is full")
	// ErrInvalidUTF8 is wrapped by the errors about text that is not
	// valid UTF-8: a text message or close reason from the peer (close
	// code 1007), or a text message or close reason given to a send.
	ErrInvalidUTF8 = errors.New("wsconn: invalid UTF-8")
	// ErrMessageTooBig is wrapped by the ProtocolError for a frame or
	// message over the connection's limits (close code 1009).
	ErrMessageTooBig = errors.New("wsconn: message too big")
	// ErrProtocol is wrapped by the ProtocolError for a violation of RFC
	// 6455 framing by the peer (close code 1002).
	ErrProtocol = errors.New("wsconn: protocol violation")
	// ErrPongTimeout is reported when no frame arrived within the
	// keepalive pong timeout after a ping was written: the peer is gone.
	ErrPongTimeout = errors.New("wsconn: keepalive pong timeout")
	// ErrCloseTimeout is reported when the closing handshake did not
	// finish within the close timeout and the stream was closed.
	ErrCloseTimeout = errors.New("wsconn: close timeout")
	// ErrNotSent is reported (and returned by Flush) when messages that
	// were queued could not be written because the connection failed or
	// closed first. Nothing queued is dropped without it.
	ErrNotSent = errors.New("wsconn: queued messages were not sent")
	// ErrAbnormalClosure is wrapped by the error reported when the stream
	// ended or failed without a closing handshake (close code 1006).
	ErrAbnormalClosure = errors.New("wsconn: connection closed abnormally")
	// ErrStreamReset is wrapped, with the HTTP library's own error, by
	// the error reported when the HTTP/2 or HTTP/3 stream that carries a
	// connection was reset, or its HTTP connection lost, before the
	// stream's end: the close is abnormal (close code 1006) and wraps
	// ErrAbnormalClosure too.
	ErrStreamReset = errors.New("wsconn: HTTP stream reset")
)

// ProtocolError reports that the peer broke the protocol or a limit. The
// connection was failed with Code as its close code.
type ProtocolError struct {
	Code   CloseCode // the close code sent to the peer: 1002, 1007 or 1009
	Reason string    // what was wrong, as sent in the close frame
	Err    error     // ErrProtocol, ErrInvalidUTF8, ErrMessageTooBig, or an extension's error such as extensions.ErrCorrupt
}

// Error returns the reason with the close code.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("wsconn: %s (close %d)", e.Reason, e.Code)
}

// Unwrap returns the sentinel the error wraps.
func (e *ProtocolError) Unwrap() error { return e.Err }

// opError is an error of one operation: "wsconn: op: " and what went
// wrong, without repeating the package prefix of a wrapped sentinel.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "wsconn: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "wsconn: ")
}

func (e *opError) Unwrap() error { return e.err }

// errorf returns an *opError for op wrapping fmt.Errorf(format, args...).
func errorf(op, format string, args ...any) error {
	return &opError{op, fmt.Errorf(format, args...)}
}
