package wsconn

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Defaults of the connection options, stated in each option's doc.
const (
	defaultMaxIncomingPayloadSize = 128 << 10 // libsoup's
	defaultMaxTotalMessageSize    = 128 << 10 // libsoup's
	defaultCloseTimeout           = 5 * time.Second
	defaultMaxQueuedBytes         = 16 << 20
	defaultFragmentSize           = 64 << 10
)

// An Option configures a connection made by NewWebsocketConnection.
type Option func(*options)

type options struct {
	maxIncomingPayload int64
	maxTotalMessage    int64
	keepaliveInterval  time.Duration
	pongTimeout        time.Duration
	pingPayload        []byte
	closeTimeout       time.Duration
	maxQueued          int64
	fragmentSize       int
	mainContext        MainContext
	skipUTF8           bool
	maskKey            func() [4]byte
	logger             *slog.Logger
	request            *http.Request
	receiveBuffer      int64
}

func defaultOptions() options {
	return options{
		maxIncomingPayload: defaultMaxIncomingPayloadSize,
		maxTotalMessage:    defaultMaxTotalMessageSize,
		closeTimeout:       defaultCloseTimeout,
		maxQueued:          defaultMaxQueuedBytes,
		fragmentSize:       defaultFragmentSize,
		receiveBuffer:      defaultReceiveBuffer,
	}
}

// WithMaxIncomingPayloadSize bounds the payload of one incoming frame; a
// larger frame fails the connection with close code 1009. Zero means no
// limit. The default is 128 KiB, as in libsoup.
func WithMaxIncomingPayloadSize(n int64) Option {
	return func(o *options) { o.maxIncomingPayload = max(n, 0) }
}

// WithMaxTotalMessageSize bounds one whole incoming message, after any
// extension has decoded it; a larger message fails the connection with
// close code 1009. Zero means no limit. The default is
// 128 KiB, as in libsoup.
func WithMaxTotalMessageSize(n int64) Option {
	return func(o *options) { o.maxTotalMessage = max(n, 0) }
}

// WithKeepaliveInterval makes the connection send a ping every d. Zero (the
// default) sends none.
func WithKeepaliveInterval(d time.Duration) Option {
	return func(o *options) { o.keepaliveInterval = max(d, 0) }
}

// WithKeepalivePongTimeout makes the connection fail, reporting
// ErrPongTimeout and close code 1006, when no frame at all arrives within d
// after a keepalive ping was written. Zero (the default) waits forever.
func WithKeepalivePongTimeout(d time.Duration) Option {
	return func(o *options) { o.pongTimeout = max(d, 0) }
}

// WithKeepalivePingPayload sets the payload of keepalive pings (at most
// 125 bytes; longer is cut), empty by default.
func WithKeepalivePingPayload(p []byte) Option {
	return func(o *options) { o.pingPayload = append([]byte(nil), p[:min(len(p), 125)]...) }
}

// WithCloseTimeout bounds the closing handshake: if it has not finished d
// after it started, the stream is closed and ErrCloseTimeout reported. The
// default is 5 seconds.
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.closeTimeout = d
		}
	}
}

// WithMaxQueuedBytes bounds the payload bytes waiting in the outgoing
// queue. A send that finds the queue at or over the bound returns
// ErrQueueFull; a single message larger than the bound is still accepted
// when the queue is empty. Zero means no bound. The default is
// 16 MiB.
func WithMaxQueuedBytes(n int64) Option {
	return func(o *options) { o.maxQueued = max(n, 0) }
}

// defaultReceiveBuffer is the default of WithReceiveBufferSize.
const defaultReceiveBuffer = 1 << 20

// WithReceiveBufferSize bounds the bytes of incoming messages that wait for
// slow receivers: handlers still busy with earlier events, or a pull API
// that has not taken them yet. Each message counts 128 bytes besides its
// payload, so that many small messages are bounded too. Past the bound the connection stops reading
// until they catch up, so the transport slows the peer down (a single
// message larger than the bound still fits when nothing waits). The
// default is 1 MiB; n < 1 selects it.
func WithReceiveBufferSize(n int64) Option {
	return func(o *options) {
		if n < 1 {
			n = defaultReceiveBuffer
		}
		o.receiveBuffer = n
	}
}

// WithFragmentSize sets the largest payload of one outgoing frame (at least
// 125 bytes). Larger messages are sent as fragments. The default is
// 64 KiB.
func WithFragmentSize(n int) Option {
	return func(o *options) { o.fragmentSize = max(n, 125) }
}

// WithMainContext makes every signal handler and subscription of the
// connection run through mc, typically the user's GUI or event loop.
// Without it handlers run on goroutines of the connection, one at a time.
func WithMainContext(mc MainContext) Option {
	return func(o *options) { o.mainContext = mc }
}

// WithoutUTF8Validation turns off the UTF-8 check of incoming text messages
// and close reasons. It is unsafe: the handlers then get text that may not be UTF-8, and RFC 6455
// requires the check. Use it only with a trusted peer, when the cost of the
// check matters.
func WithoutUTF8Validation() Option {
	return func(o *options) { o.skipUTF8 = true }
}

// WithMaskKeySource makes a client take its masking keys from next instead
// of crypto/rand. It is for debugging,
// such as reading frames in a packet capture: predictable keys defeat the
// protection masking gives against cache poisoning by proxies.
func WithMaskKeySource(next func() [4]byte) Option {
	return func(o *options) { o.maskKey = next }
}

// WithLogger makes the connection trace the frames it sends and receives,
// and Dial and Accept the handshake, at debug level on l. Nothing is
// logged at other levels.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithRequest records the handshake request, reported by Request. Accept
// and Dial set it; a program that does the handshake itself may too.
func WithRequest(r *http.Request) Option {
	return func(o *options) { o.request = r }
}

// traceLogger returns the logger that opts set, if it logs at debug level,
// for Dial and Accept, which hold options not yet applied.
func traceLogger(opts []Option) *slog.Logger {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return debugLogger(o.logger)
}

// debugLogger returns l if it logs at debug level, else nil.
func debugLogger(l *slog.Logger) *slog.Logger {
	if l != nil && l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return nil
}
