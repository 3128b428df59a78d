package wsconn

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Options configures a connection made by NewWebsocketConnection, Dial or
// Accept. A nil *Options, like the zero value, gives every default; in a
// field, zero selects the default and, where a field says so, a negative
// value means no limit.
type Options struct {
	// MaxIncomingPayloadSize bounds the payload of one incoming frame; a
	// larger frame fails the connection with close code 1009. The
	// default is 128 KiB, as in libsoup; negative means no limit.
	MaxIncomingPayloadSize int64

	// MaxTotalMessageSize bounds one whole incoming message, after any
	// extension has decoded it; a larger message fails the connection
	// with close code 1009. The default is 128 KiB, as in libsoup;
	// negative means no limit.
	MaxTotalMessageSize int64

	// KeepaliveInterval, if positive, makes the connection send a ping
	// every KeepaliveInterval.
	KeepaliveInterval time.Duration

	// KeepalivePongTimeout, if positive, makes the connection fail,
	// reporting ErrPongTimeout and close code 1006, when no frame at all
	// arrives within KeepalivePongTimeout after a keepalive ping was
	// written.
	KeepalivePongTimeout time.Duration

	// KeepalivePingPayload is the payload of keepalive pings, empty by
	// default; past 125 bytes it is cut.
	KeepalivePingPayload []byte

	// CloseTimeout bounds the closing handshake: if it has not finished
	// CloseTimeout after it started, the stream is closed and
	// ErrCloseTimeout reported. The default is 5 seconds.
	CloseTimeout time.Duration

	// MaxQueuedBytes bounds the payload bytes waiting in the outgoing
	// queue. A send that finds the queue at or over the bound returns
	// ErrQueueFull; a single message larger than the bound is still
	// accepted when the queue is empty. The default is 16 MiB; negative
	// means no bound.
	MaxQueuedBytes int64

	// ReceiveBufferSize bounds the bytes of incoming messages that wait
	// for slow receivers: handlers still busy with earlier events, or a
	// pull API that has not taken them yet. Each message counts 128
	// bytes besides its payload, so that many small messages are bounded
	// too. Past the bound the connection stops reading until they catch
	// up, so the transport slows the peer down (a single message larger
	// than the bound still fits when nothing waits). The default is
	// 1 MiB.
	ReceiveBufferSize int64

	// FragmentSize is the largest payload of one outgoing frame; larger
	// messages are sent as fragments. The default is 64 KiB; a smaller
	// size than 125 bytes counts as 125.
	FragmentSize int

	// MainContext, if not nil, runs every signal handler and
	// subscription of the connection, typically on the user's GUI or
	// event loop. Without it handlers run on goroutines of the
	// connection, one at a time.
	MainContext MainContext

	// SkipUTF8Validation turns off the UTF-8 check of incoming text
	// messages and close reasons. It is unsafe: the handlers then get
	// text that may not be UTF-8, and RFC 6455 requires the check. Use
	// it only with a trusted peer, when the cost of the check matters.
	SkipUTF8Validation bool

	// MaskKeySource, if not nil, gives a client its masking keys instead
	// of crypto/rand. It is for debugging, such as reading frames in a
	// packet capture: predictable keys defeat the protection masking
	// gives against cache poisoning by proxies.
	MaskKeySource func() [4]byte

	// Logger, if not nil and enabled at debug level, traces the frames
	// the connection sends and receives, and Dial and Accept the
	// handshake, at debug level. Nothing is logged at other levels.
	Logger *slog.Logger

	// Request is the handshake request, reported by Request. Accept and
	// Dial set it; a program that does the handshake itself may too.
	Request *http.Request
}

// Defaults of Options, stated in each field's doc.
const (
	defaultMaxIncomingPayloadSize = 128 << 10 // libsoup's
	defaultMaxTotalMessageSize    = 128 << 10 // libsoup's
	defaultCloseTimeout           = 5 * time.Second
	defaultMaxQueuedBytes         = 16 << 20
	defaultReceiveBuffer          = 1 << 20
	defaultFragmentSize           = 64 << 10
)

// options holds Options with the defaults applied, as the connection uses
// them: a size limit of 0 means no limit.
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

// resolve returns the options o describes, with the defaults where o, or
// one of its fields, is zero.
func (o *Options) resolve() options {
	if o == nil {
		o = &Options{}
	}
	return options{
		maxIncomingPayload: limit(o.MaxIncomingPayloadSize, defaultMaxIncomingPayloadSize),
		maxTotalMessage:    limit(o.MaxTotalMessageSize, defaultMaxTotalMessageSize),
		keepaliveInterval:  max(o.KeepaliveInterval, 0),
		pongTimeout:        max(o.KeepalivePongTimeout, 0),
		pingPayload:        append([]byte(nil), o.KeepalivePingPayload[:min(len(o.KeepalivePingPayload), 125)]...),
		closeTimeout:       orDefault(o.CloseTimeout, defaultCloseTimeout),
		maxQueued:          limit(o.MaxQueuedBytes, defaultMaxQueuedBytes),
		fragmentSize:       max(orDefault(o.FragmentSize, defaultFragmentSize), 125),
		mainContext:        o.MainContext,
		skipUTF8:           o.SkipUTF8Validation,
		maskKey:            o.MaskKeySource,
		logger:             o.Logger,
		request:            o.Request,
		receiveBuffer:      orDefault(o.ReceiveBufferSize, defaultReceiveBuffer),
	}
}

// limit maps a size field to the connection's form: zero is the default
// def, a negative value no limit (0).
func limit(n, def int64) int64 {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

// orDefault returns v if it is positive, else def.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// withRequest returns a copy of o, which may be nil, with Request set to r,
// for Accept and Dial.
func (o *Options) withRequest(r *http.Request) *Options {
	var c Options
	if o != nil {
		c = *o
	}
	c.Request = r
	return &c
}

// debugLogger returns l if it logs at debug level, else nil.
func debugLogger(l *slog.Logger) *slog.Logger {
	if l != nil && l.Enabled(context.Background(), slog.LevelDebug) {
		return l
	}
	return nil
}

// logger returns o's Logger if it logs at debug level, for Dial and
// Accept, which trace the handshake before the connection exists.
func (o *Options) logger() *slog.Logger {
	if o == nil {
		return nil
	}
	return debugLogger(o.Logger)
}
