package wsconn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wsconn/wsconn/internal/frame"
)

// This file holds the closing handshake (RFC 6455 sections 5.5.1, 7): how
// a connection starts it, answers the peer's close frame, fails on bad
// input, times out, and ends; and how it reports the outcome.

// closeState records how far the closing handshake has come. Its steps only
// ever get added, under c.mu.
type closeState uint8

const (
	// closeTaken: the writer took our close frame for a write; nothing
	// may follow it.
	closeTaken closeState = 1 << iota
	// closeWritten: our close frame's write returned.
	closeWritten
	// closeReceived: the peer's valid close frame arrived.
	closeReceived
	// closePeerDone: the peer sends nothing more that counts: its close
	// frame arrived, valid or not.
	closePeerDone
	// closeLost: frame boundaries were lost (a frame length that cannot
	// be read). Nothing more can be parsed, so each side closes the
	// stream once its close frame is written (section 7.1.7).
	closeLost
	// closeDeferred: our close frame waits for the events read before it
	// to be delivered (see startClosingLocked).
	closeDeferred
)

// closeGrace bounds how long a close frame that answers the peer waits for
// the handlers of the events before it: past that it goes out anyway, so
// that slow handlers never hold up the closing handshake for long.
const closeGrace = time.Second

func (s closeState) has(step closeState) bool { return s&step == step }

// CloseError is the error of a receive on a connection that has closed. It
// carries the close status: errors.As(err, &closeErr) gives the code and
// reason the peer sent (1006 for an abrupt end or Abort). When the close
// had a cause, such as ErrPongTimeout, ErrCloseTimeout or a
// *ProtocolError, errors.Is and errors.As find it too.
type CloseError struct {
	CloseStatus
	// Err is what made the connection close, nil for a closing handshake
	// that either side started on purpose.
	Err error
}

// Error describes the close and its cause.
func (e *CloseError) Error() string {
	s := fmt.Sprintf("wsconn: connection closed: %s", e.Code)
	if e.Reason != "" {
		s += fmt.Sprintf(" %q", e.Reason)
	}
	if e.Err != nil {
		s += ": " + strings.TrimPrefix(e.Err.Error(), "wsconn: ")
	}
	return s
}

// Unwrap returns the cause of the close.
func (e *CloseError) Unwrap() error { return e.Err }

// closeError returns the *CloseError of a closed connection.
func (c *WebsocketConnection) closeError() *CloseError {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &CloseError{c.status, c.cause}
}

// CloseCode returns the close code the peer sent: 0 while no close has
// happened, CloseNoStatus if the peer's close frame had no code, and
// CloseAbnormal if the connection ended without a close frame from the
// peer. CloseStatus tells it apart from the code this side sent.
func (c *WebsocketConnection) CloseCode() CloseCode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status.Code
}

// CloseData returns the close reason the peer sent, or "".
func (c *WebsocketConnection) CloseData() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status.Reason
}

// CloseStatus returns the codes and reasons both sides sent and whether the
// closing handshake completed. It is final once the state is Closed.
func (c *WebsocketConnection) CloseStatus() CloseStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// checkClose validates the arguments of a close: code must be sendable, or
// CloseNoStatus for a close frame without a code (and then no reason);
// reason must be valid UTF-8. It returns the reason cut to fit a control
// frame.
func checkClose(code CloseCode, reason string) (string, error) {
	if code != CloseNoStatus && !code.sendable() {
		return "", fmt.Errorf("close code %d may not be sent", code)
	}
	if code == CloseNoStatus && reason != "" {
		return "", fmt.Errorf("a reason needs a close code, not %d", code)
	}
	if !utf8.ValidString(reason) {
		return "", fmt.Errorf("%w in the reason", ErrInvalidUTF8)
	}
	return truncateReason(reason), nil
}

// Close starts the closing handshake: the state becomes Closing, the
// messages already queued are sent, then a close frame with code and
// reason. The connection is Closed when the handshake completes or the
// close timeout expires; the timeout runs from the call and starts again
// when the close frame is written. Messages still queued when it expires
// are reported with ErrNotSent: call Flush first to wait for a long queue.
//
// code must be one that may be sent: a code of the registry other than
// 1004, 1005, 1006 and 1015, or one of 3000-4999; or CloseNoStatus to send
// a close frame without a code (and then no reason). reason must be valid UTF-8; a reason longer
// than 123 bytes is cut at a character boundary. Close on a connection
// that is already closing or closed does nothing and returns nil.
func (c *WebsocketConnection) Close(code CloseCode, reason string) error {
	reason, err := checkClose(code, reason)
	if err != nil {
		return &opError{"Close", err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != StateOpen {
		return nil
	}
	c.startClosingLocked(code, reason, false)
	return nil
}

// Done returns a channel that is closed when the connection is closed
// (state Closed), for select loops and for waiting until the end:
//
//	<-c.Done()
//	log.Println(c.CloseStatus())
//
// CloseStatus is final then; the closed signal's handlers may still be
// running.
func (c *WebsocketConnection) Done() <-chan struct{} { return c.done }

// Abort ends the connection at once, without a closing handshake: the
// stream is closed, queued messages are dropped (reported with ErrNotSent)
// and the state becomes Closed with close code CloseAbnormal, unless the
// peer's close frame had already arrived.
func (c *WebsocketConnection) Abort() {
	c.terminate(nil)
}

// truncateReason cuts reason to fit a control frame after the 2-byte code,
// at a UTF-8 character boundary.
func truncateReason(reason string) string {
	const maxReason = frame.MaxControlPayload - 2
	if len(reason) <= maxReason {
		return reason
	}
	n := maxReason
	for n > 0 && !utf8.RuneStart(reason[n]) {
		n--
	}
	return reason[:n]
}

// startClosingLocked moves an open connection to Closing and queues a close
// frame after the data already queued.
//
// With answer (the peer's close frame, or bad input from the peer), the
// close frame waits until the events read before it, and closing itself,
// have been delivered, at most closeGrace: messages that their handlers
// send, such as echoes or last words from a closing handler, still go out
// before it (RFC 6455 lets data precede the answering close frame). That
// holds for handlers connected a moment later too, as a server's are after
// Accept. c.mu is held.
func (c *WebsocketConnection) startClosingLocked(code CloseCode, reason string, answer bool) {
	c.status.SentCode = code
	c.status.SentReason = reason
	c.setStateLocked(StateClosing)
	c.sigs.stopPausing()
	c.ka.stopLocked()
	c.closeTmr = time.AfterFunc(c.opts.closeTimeout, c.closeTimedOut)
	if answer {
		c.closing |= closeDeferred
		c.sigs.emit(event{kind: sigClosing, queueClose: true})
		c.graceTmr = time.AfterFunc(closeGrace, c.queueDeferredClose)
		return
	}
	c.sigs.emit(event{kind: sigClosing})
	c.wr.queueCloseLocked(code, reason)
}

// queueDeferredClose queues the close frame that startClosingLocked
// deferred, once.
func (c *WebsocketConnection) queueDeferredClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing.has(closeDeferred) || c.state == StateClosed {
		return
	}
	c.closing &^= closeDeferred
	c.graceTmr.Stop()
	c.wr.queueCloseLocked(c.status.SentCode, c.status.SentReason)
}

// fail fails the connection because the peer broke the protocol or a
// limit: it reports err and sends a close frame with err's code, after what
// the user had queued already (new sends are refused; the close timeout
// bounds the wait). The connection then ignores incoming data until the
// peer's close frame or the close timeout.
func (c *WebsocketConnection) fail(err *ProtocolError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failLocked(err.Code, err.Reason, err, true)
}

// failLocked reports err and closes with code and reason; answer is as
// for startClosingLocked. c.mu is held.
func (c *WebsocketConnection) failLocked(code CloseCode, reason string, err error, answer bool) {
	if c.state == StateClosed {
		return
	}
	c.sigs.emit(event{kind: sigError, err: err})
	if c.cause == nil {
		c.cause = err
	}
	if c.state == StateOpen {
		c.startClosingLocked(code, truncateReason(reason), answer)
	}
}

// closeFrameTakenLocked is the writer's report that it took the close
// frame for a write: the peer gets the whole close timeout to answer from
// now, however long the data before the close frame took. c.mu is held.
func (c *WebsocketConnection) closeFrameTakenLocked() {
	c.closing |= closeTaken
	if c.closeTmr != nil {
		c.closeTmr.Reset(c.opts.closeTimeout)
	}
}

// closeFrameWritten is the writer's report that the close frame is
// written. A server closes the stream once both close frames have passed;
// a client waits for the server to do it, unless frame boundaries were
// lost.
func (c *WebsocketConnection) closeFrameWritten() {
	c.mu.Lock()
	c.closing |= closeWritten
	done := c.streamDoneLocked()
	c.mu.Unlock()
	if done {
		c.terminate(nil)
	}
}

// streamDoneLocked reports whether this side closes the stream now: its
// close frame is written and the peer sends nothing more (a server), or
// nothing more can be parsed (either side). c.mu is held.
func (c *WebsocketConnection) streamDoneLocked() bool {
	if !c.closing.has(closeWritten) {
		return false
	}
	return c.closing.has(closeLost) || c.closing.has(closePeerDone) && c.connType == ConnectionServer
}

// closeReceived handles the peer's close frame; failed tells that the
// connection had already been failed, so only the code and reason are
// taken from it. It returns errStopReading when the reader must stop (a
// server: nothing may follow the close), or a *ProtocolError for an invalid
// close frame.
func (c *WebsocketConnection) closeReceived(p []byte, failed bool) error {
	code, reason := CloseNoStatus, ""
	if !failed {
		switch {
		case len(p) == 1:
			return protocolErr(CloseProtocolError, ErrProtocol, "close frame with a 1-byte payload")
		case len(p) >= 2:
			code = CloseCode(binary.BigEndian.Uint16(p))
			if !code.sendable() {
				return protocolErr(CloseProtocolError, ErrProtocol, "invalid close code %d", code)
			}
			if !c.opts.skipUTF8 && !utf8.Valid(p[2:]) {
				return protocolErr(CloseInvalidPayload, ErrInvalidUTF8, "close reason is not valid UTF-8")
			}
			reason = string(p[2:])
		}
	} else if len(p) >= 2 {
		code = CloseCode(binary.BigEndian.Uint16(p))
		if utf8.Valid(p[2:]) {
			reason = string(p[2:])
		}
	}
	c.mu.Lock()
	if c.closing.has(closeReceived) || c.state == StateClosed {
		c.mu.Unlock()
		return c.afterClose()
	}
	c.closing |= closeReceived | closePeerDone
	c.status.Code, c.status.Reason = code, reason
	if c.state == StateOpen {
		// The peer started the closing handshake: answer with its code
		// and reason, as libsoup does.
		c.status.Remote = true
		c.startClosingLocked(code, reason, true)
	}
	done := c.streamDoneLocked()
	c.mu.Unlock()
	if done {
		c.terminate(nil)
	}
	return c.afterClose()
}

// peerDone notes that the peer sent its last frame (an invalid close
// frame), or that frame boundaries were lost (lost): the stream is closed
// once this side's close frame is written.
func (c *WebsocketConnection) peerDone(lost bool) error {
	c.mu.Lock()
	c.closing |= closePeerDone
	if lost {
		c.closing |= closeLost
	}
	done := c.streamDoneLocked()
	c.mu.Unlock()
	if done {
		c.terminate(nil)
	}
	if lost {
		return errStopReading
	}
	return c.afterClose()
}

// errStopReading ends the read loop when nothing more may be read: on a
// server after the peer's close frame, and on either side once frame
// boundaries are lost. The stream is closed by whoever ends the handshake.
var errStopReading = errors.New("wsconn: stop reading")

// afterClose is what the reader does after a close frame: a server stops, a
// client reads on until the server closes the stream.
func (c *WebsocketConnection) afterClose() error {
	if c.connType == ConnectionServer {
		return errStopReading
	}
	return nil
}

// closeTimedOut ends a closing handshake that took too long.
func (c *WebsocketConnection) closeTimedOut() {
	c.mu.Lock()
	done := c.closing.has(closeTaken | closeReceived)
	c.mu.Unlock()
	if done {
		// Only the end of the stream was missing: a client whose server
		// did not close the TCP connection. The handshake itself is done.
		c.terminate(nil)
		return
	}
	c.terminate(ErrCloseTimeout)
}

// readEnded handles the end of the read loop; failed tells that the
// connection was failed already (and the failure reported).
func (c *WebsocketConnection) readEnded(err error, failed bool) {
	if err == errStopReading {
		return
	}
	c.mu.Lock()
	closed, recv := c.state == StateClosed, c.closing.has(closeReceived)
	c.mu.Unlock()
	switch {
	case closed:
	case recv || failed:
		// After the peer's close frame, or after we failed the
		// connection, the end of the stream is expected.
		c.terminate(nil)
	default:
		c.terminate(abnormal(err))
	}
}

// terminate closes the stream and moves the connection to Closed, once.
// err, if not nil, is reported before closed.
func (c *WebsocketConnection) terminate(err error) {
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		return
	}
	if err != nil {
		c.sigs.emit(event{kind: sigError, err: err})
		if c.cause == nil {
			c.cause = err
		}
	}
	if !c.closing.has(closeReceived) {
		c.status.Code = CloseAbnormal
		c.status.Reason = ""
	}
	c.status.Clean = c.closing.has(closeTaken|closeReceived) && err == nil
	if c.closeTmr != nil {
		c.closeTmr.Stop()
	}
	if c.graceTmr != nil {
		c.graceTmr.Stop()
	}
	c.ka.stopLocked()
	if n, bytes := c.wr.dropDataLocked(); n > 0 {
		c.sigs.emit(event{kind: sigError, err: fmt.Errorf("%w: %d messages, %d bytes", ErrNotSent, n, bytes)})
	}
	c.setStateLocked(StateClosed)
	close(c.done)
	c.sigs.emit(event{kind: sigClosed})
	c.sigs.stopPausing()
	c.mu.Unlock()
	c.stream.Close()
}

// abnormal is the error reported when the stream ends or fails without a
// closing handshake.
func abnormal(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: stream ended (%w)", ErrAbnormalClosure, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: %w", ErrAbnormalClosure, err)
}
