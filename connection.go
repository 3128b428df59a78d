package wsconn

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
)

// WebsocketConnection is one WebSocket connection, client or server, over a
// stream on which the opening handshake is done. Its methods are safe for
// concurrent use, including from inside its signal handlers.
type WebsocketConnection struct {
	stream   io.ReadWriteCloser
	uri      *url.URL
	connType ConnectionType
	origin   string
	protocol string
	exts     []extensions.Extension
	rsvBits  byte // reserved bits claimed by the negotiated extensions
	opts     options
	noPings  bool // the stream cannot carry pings (a browser's WebSocket)

	maxIncoming atomic.Int64
	maxMessage  atomic.Int64

	mu       sync.Mutex
	state    State
	status   CloseStatus
	closing  closeState // how far the closing handshake has come
	cause    error      // the first error that failed or ended the connection
	closeTmr *time.Timer
	graceTmr *time.Timer   // bounds a deferred close frame's wait
	done     chan struct{} // closed when the state becomes Closed

	trace *slog.Logger // opts.logger when it logs at debug level, else nil

	ka   keepalive
	wr   writer
	rd   reader
	sigs signals
}

// NewWebsocketConnection returns a connection over stream, on which the
// opening handshake must be done already. Bytes the handshake read past
// the HTTP head must come first out of stream (see iostream.NewPrefixed).
//
// uri, origin and protocol describe the handshake and are only reported
// back (URI, Origin, Protocol). exts are the extensions the handshake
// negotiated, applied to every message in order. It panics if connType is
// neither ConnectionClient nor ConnectionServer or stream is nil, as these
// are programming errors. opts may be nil, for every default.
//
// The connection starts reading at once, but holds its events until the
// first handler, subscription or receive, and its messages until the first
// message receiver (a message or fragment handler, a subscription, or the
// pull API): connect the handlers you need right after this call (inside
// Hold, for all of them to see even an early closing or error).
func NewWebsocketConnection(stream io.ReadWriteCloser, uri *url.URL, connType ConnectionType,
	origin, protocol string, exts []extensions.Extension, opts *Options) *WebsocketConnection {
	if connType != ConnectionClient && connType != ConnectionServer {
		panic("wsconn: NewWebsocketConnection: connection type must be client or server")
	}
	if stream == nil {
		panic("wsconn: NewWebsocketConnection: nil stream")
	}
	c := &WebsocketConnection{
		stream:   stream,
		uri:      uri,
		connType: connType,
		origin:   origin,
		protocol: protocol,
		exts:     append([]extensions.Extension(nil), exts...),
		opts:     opts.resolve(),
		done:     make(chan struct{}),
	}
	for _, e := range c.exts {
		c.rsvBits |= e.ReservedBits()
	}
	c.trace = debugLogger(c.opts.logger)
	c.maxIncoming.Store(c.opts.maxIncomingPayload)
	c.maxMessage.Store(c.opts.maxTotalMessage)
	c.sigs.init(c)
	caps := streamCaps(stream)
	c.wr.init(c, caps)
	c.rd.init(c, caps)
	_, c.noPings = stream.(interface{ sendsNoPings() })
	c.ka.interval = c.opts.keepaliveInterval
	c.ka.pongTimeout = c.opts.pongTimeout
	c.ka.payload = c.opts.pingPayload
	c.mu.Lock()
	c.ka.reschedule(c)
	c.mu.Unlock()
	go c.rd.run()
	return c
}

// streamCaps returns the stream with the optional capabilities of the
// iostream package that the reader and writer use when it has them
// (ReadWaiter, TryWriter): a net.Conn that lacks them gets them from
// iostream.NewConn where its type allows. Dial applies it before wrapping
// the stream in one that hides the net.Conn.
func streamCaps(stream io.ReadWriteCloser) io.ReadWriteCloser {
	if _, ok := stream.(iostream.ReadWaiter); ok {
		return stream
	}
	if nc, ok := stream.(net.Conn); ok {
		return iostream.NewConn(nc)
	}
	return stream
}

// URI returns the URI of the handshake request.
func (c *WebsocketConnection) URI() *url.URL { return c.uri }

// Origin returns the Origin of the handshake, or "".
func (c *WebsocketConnection) Origin() string { return c.origin }

// Protocol returns the negotiated subprotocol, or "".
func (c *WebsocketConnection) Protocol() string { return c.protocol }

// Extensions returns the negotiated extensions, in the order they apply.
func (c *WebsocketConnection) Extensions() []extensions.Extension {
	return append([]extensions.Extension(nil), c.exts...)
}

// ConnectionType returns whether this is the client or the server end.
func (c *WebsocketConnection) ConnectionType() ConnectionType { return c.connType }

// Stream returns the underlying stream. Reading or writing it directly
// breaks the connection, and so does setting its read deadline, which the
// connection uses while it is idle.
func (c *WebsocketConnection) Stream() io.ReadWriteCloser { return c.stream }

// LocalAddr returns the local network address of the stream, when it has
// one (a net.Conn, or any stream with a LocalAddr method), or nil.
func (c *WebsocketConnection) LocalAddr() net.Addr {
	if a, ok := c.stream.(interface{ LocalAddr() net.Addr }); ok {
		return a.LocalAddr()
	}
	return nil
}

// RemoteAddr returns the peer's network address, when the stream has one
// (a net.Conn, or any stream with a RemoteAddr method), or nil.
func (c *WebsocketConnection) RemoteAddr() net.Addr {
	if a, ok := c.stream.(interface{ RemoteAddr() net.Addr }); ok {
		return a.RemoteAddr()
	}
	return nil
}

// State returns the connection's state.
func (c *WebsocketConnection) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// MaxIncomingPayloadSize returns the bound on an incoming frame's payload
// (0: none).
func (c *WebsocketConnection) MaxIncomingPayloadSize() int64 { return c.maxIncoming.Load() }

// SetMaxIncomingPayloadSize sets the bound on an incoming frame's payload
// (0: none) and emits notify for "max-incoming-payload-size".
func (c *WebsocketConnection) SetMaxIncomingPayloadSize(n int64) {
	if c.maxIncoming.Swap(max(n, 0)) != max(n, 0) {
		c.sigs.emit(event{kind: sigNotify, prop: "max-incoming-payload-size"})
	}
}

// MaxTotalMessageSize returns the bound on a whole incoming message (0:
// none).
func (c *WebsocketConnection) MaxTotalMessageSize() int64 { return c.maxMessage.Load() }

// SetMaxTotalMessageSize sets the bound on a whole incoming message (0:
// none) and emits notify for "max-total-message-size".
func (c *WebsocketConnection) SetMaxTotalMessageSize(n int64) {
	if c.maxMessage.Swap(max(n, 0)) != max(n, 0) {
		c.sigs.emit(event{kind: sigNotify, prop: "max-total-message-size"})
	}
}

// KeepaliveInterval returns the interval between keepalive pings (0: none).
func (c *WebsocketConnection) KeepaliveInterval() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ka.interval
}

// SetKeepaliveInterval sets the interval between keepalive pings (0 stops
// them) and emits notify for "keepalive-interval". In a browser, which
// sends no pings of a program's, it has no other effect.
func (c *WebsocketConnection) SetKeepaliveInterval(d time.Duration) {
	c.setDuration(&c.ka.interval, d, "keepalive-interval")
}

// KeepalivePongTimeout returns how long the connection waits for any frame
// after a keepalive ping (0: forever).
func (c *WebsocketConnection) KeepalivePongTimeout() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ka.pongTimeout
}

// SetKeepalivePongTimeout sets how long the connection waits for any frame
// after a keepalive ping before it fails with ErrPongTimeout (0: forever),
// and emits notify for "keepalive-pong-timeout". It applies from the
// next ping on.
func (c *WebsocketConnection) SetKeepalivePongTimeout(d time.Duration) {
	c.setDuration(&c.ka.pongTimeout, d, "keepalive-pong-timeout")
}

// setDuration sets a keepalive property guarded by c.mu, reschedules the
// pings, and emits notify if the value changed.
func (c *WebsocketConnection) setDuration(p *time.Duration, d time.Duration, property string) {
	d = max(d, 0)
	c.mu.Lock()
	changed := *p != d
	*p = d
	c.ka.reschedule(c)
	c.mu.Unlock()
	if changed {
		c.sigs.emit(event{kind: sigNotify, prop: property})
	}
}

// SendText queues a text message. It returns at once; messages go out in
// the order they were queued. It returns ErrInvalidUTF8 if text is not
// valid UTF-8, ErrNotOpen if the connection is not open, ErrQueueFull if
// the outgoing queue is full.
func (c *WebsocketConnection) SendText(text string) error {
	if !utf8.ValidString(text) {
		return &opError{"SendText", ErrInvalidUTF8}
	}
	return c.wr.enqueue(frame.OpText, nil, text, false)
}

// SendBinary queues a binary message. The connection keeps a copy: data
// may be reused once SendBinary returns. Errors are as for SendText.
func (c *WebsocketConnection) SendBinary(data []byte) error {
	return c.wr.enqueue(frame.OpBinary, data, "", false)
}

// SendMessage queues a message of the given type, as SendText or
// SendBinary do.
func (c *WebsocketConnection) SendMessage(typ DataType, data []byte) error {
	return c.sendMessage("SendMessage", typ, data, false)
}

// SendUncompressed queues a message as SendMessage does, but a compressing
// extension such as permessage-deflate leaves it uncompressed: for data
// that is compressed already, or secrets that
// must not share a compression context with data an attacker chooses.
func (c *WebsocketConnection) SendUncompressed(typ DataType, data []byte) error {
	return c.sendMessage("SendUncompressed", typ, data, true)
}

func (c *WebsocketConnection) sendMessage(method string, typ DataType, data []byte, noCompress bool) error {
	switch typ {
	case DataText:
		if !utf8.Valid(data) {
			return &opError{method, ErrInvalidUTF8}
		}
		return c.wr.enqueue(frame.OpText, data, "", noCompress)
	case DataBinary:
		return c.wr.enqueue(frame.OpBinary, data, "", noCompress)
	}
	return errorf(method, "unknown data type %d", int(typ))
}

// Ping queues a ping with payload (at most 125 bytes) ahead of the queued
// data. The peer's pong is reported by the pong signal. Queued pings count
// against the queue bound (Options.MaxQueuedBytes): past it Ping returns
// ErrQueueFull.
func (c *WebsocketConnection) Ping(payload []byte) error {
	if c.noPings {
		return errorf("Ping", "the browser's WebSocket sends no pings: %w", errors.ErrUnsupported)
	}
	if len(payload) > frame.MaxControlPayload {
		return errorf("Ping", "payload of %d bytes, at most %d", len(payload), frame.MaxControlPayload)
	}
	c.mu.Lock()
	if c.state != StateOpen {
		c.mu.Unlock()
		return ErrNotOpen
	}
	if err := c.wr.checkRoomLocked(controlCost); err != nil {
		c.mu.Unlock()
		return err
	}
	c.wr.queueControlLocked(frame.OpPing, payload, false)
	c.wr.sendUnlock()
	return nil
}

// Request returns the handshake request: on a server, the client's request
// (its URL, headers, cookies and RemoteAddr, as Accept got it); on a
// client, the request Dial sent. It is nil when the connection was made
// without Options.Request.
func (c *WebsocketConnection) Request() *http.Request { return c.opts.request }

// BufferedAmount returns the number of payload bytes queued and not yet
// written to the stream; in a browser, with those that the browser's
// WebSocket has not sent yet.
func (c *WebsocketConnection) BufferedAmount() int64 {
	c.mu.Lock()
	n := c.wr.queued
	c.mu.Unlock()
	if b, ok := c.stream.(interface{ bufferedAmount() int64 }); ok {
		n += b.bufferedAmount() // what the browser's WebSocket holds
	}
	return n
}

// setStateLocked changes the state and emits notify. c.mu is held.
func (c *WebsocketConnection) setStateLocked(s State) {
	if c.state == s {
		return
	}
	c.state = s
	c.sigs.emit(event{kind: sigNotify, prop: "state", st: s})
}

// traceFrame logs a frame header at debug level.
func (c *WebsocketConnection) traceFrame(dir string, h *frame.Header) {
	c.trace.Debug("wsconn: frame "+dir, "side", c.connType.String(), "opcode", h.Opcode.String(),
		"fin", h.Fin, "rsv", h.RSV, "masked", h.Masked, "length", h.Length)
}
