package conformance

import "github.com/wsconn/wsconn/internal/deflateref"

// The suite inflates the peer's compressed messages itself, rather than
// with compress/flate, because it must check what a general-purpose
// inflater accepts: that no back-reference reaches further than the
// negotiated window (server_max_window_bits, client_max_window_bits), and
// none reaches into an earlier message when the peer agreed not to keep
// its context (no_context_takeover). zlib, which the Autobahn|Testsuite
// uses, makes the same checks when it is given the window bits. The
// decoder is wsconn's reference DEFLATE decoder (internal/deflateref),
// which the tests of the extensions package use too.

// An inflater decompresses the messages that one side of a
// permessage-deflate connection sends, as RFC 7692 section 7.2.2
// describes.
type inflater = deflateref.Inflater

// newInflater returns an inflater for a sender whose window is 1<<bits
// bytes and which keeps its context across messages if takeover is set.
func newInflater(bits int, takeover bool) *inflater {
	return deflateref.NewInflater(bits, takeover)
}

// errTooLarge is the error of a message that inflates to more than the
// limit.
var errTooLarge = deflateref.ErrTooLarge
