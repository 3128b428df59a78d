package wsconn

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf8"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/bufpool"
	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/internal/utf8check"
	"github.com/wsconn/wsconn/iostream"
)

// readBufSize is the size of the pooled read buffer. Payloads larger than
// half of it are read straight into the message, not through the buffer.
const readBufSize = 8 << 10

// reader is the incoming side of a connection: one goroutine that parses
// frames, reassembles messages and hands them to the signals.
type reader struct {
	c      *WebsocketConnection
	waiter iostream.ReadWaiter // nil if the stream cannot wait without a buffer

	buf     *[]byte // pooled; nil while idle
	r, w    int     // unread bytes are (*buf)[r:w]
	more    bool    // the last read filled the buffer: more is likely waiting
	ready   bool    // WaitRead returned since the last read: read without waiting again
	trusted int64   // the largest data frame payload received whole
	idle    idleWait

	msgOp      frame.Opcode // opcode of the message being reassembled, 0 if none
	msgRSV     byte
	msg        []byte
	checkUTF8  bool // validate msg incrementally (text, not encoded by an extension)
	utf8       utf8check.Validator
	failed     bool    // the connection was failed: skip everything but close
	left       int64   // payload bytes of the current frame not yet read
	maskPos    int     // position in the masking key of the next payload byte
	scratch    *[]byte // pooled space of a fragmented message, nil if none
	total      int64   // payload bytes of the current message so far
	parts      bool    // the message goes to fragment receivers frame by frame
	pullFrames bool    // the pull API takes the message frame by frame
	whole      bool    // the message is reassembled for message receivers
	ctrl       [frame.MaxControlPayload]byte
	extMessage extensions.Message
}

// init sets the reader up; caps is the stream with its optional
// capabilities (see streamCaps).
func (r *reader) init(c *WebsocketConnection, caps io.ReadWriteCloser) {
	r.c = c
	if w, ok := caps.(iostream.ReadWaiter); ok {
		if cw, ok := caps.(interface{ CanWaitRead() bool }); !ok || cw.CanWaitRead() {
			r.waiter = w
		}
	}
	if d, ok := caps.(readDeadliner); ok && r.waiter != nil {
		r.idle.stream = d
		idleSweeper.add(r)
	}
}

// run is the reader goroutine.
func (r *reader) run() {
	err := r.loop()
	if err == errHandedOff {
		return // this goroutine ran handlers; another one reads now
	}
	if r.idle.stream != nil {
		idleSweeper.remove(r)
	}
	r.release()
	r.msg = nil
	r.putScratch()
	r.c.sigs.readerBusy()
	r.c.readEnded(err, r.failed)
	r.c.sigs.frameDone(true)
}

// putScratch gives the space of a fragmented message back to the pool.
func (r *reader) putScratch() {
	if r.scratch != nil {
		bufpool.Put(r.scratch)
		r.scratch = nil
	}
}

// release gives the read buffer back to the pool. Only unread bytes are
// kept, so it is called when none are left.
func (r *reader) release() {
	if r.buf != nil {
		bufpool.Put(r.buf)
		r.buf = nil
		r.r, r.w = 0, 0
	}
}

// fill makes at least need bytes available in the buffer. When the buffer is
// empty and the stream can wait for data, the buffer goes back to the pool
// while waiting. At the end of the stream between frames it returns io.EOF;
// inside a frame, io.ErrUnexpectedEOF.
func (r *reader) fill(need int) error {
	if r.r == r.w {
		if err := r.waitData(); err != nil {
			return err
		}
		r.r, r.w = 0, 0
	}
	if r.buf == nil {
		r.buf = bufpool.Get(readBufSize)
	}
	r.c.wr.cork(false) // the read may wait
	b := *r.buf
	if len(b)-r.r < need {
		r.w = copy(b, b[r.r:r.w])
		r.r = 0
	}
	for r.w-r.r < need {
		n, err := r.c.stream.Read(b[r.w:])
		// A read that filled the buffer likely left more behind: the
		// next fill reads at once instead of waiting first.
		r.more, r.ready = n == len(b)-r.w, false
		r.w += n
		if r.w-r.r >= need {
			return nil
		}
		if err != nil {
			if err == io.EOF && r.w > r.r {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// waitData waits until the stream has data, without a buffer, when the
// buffer is empty and the stream can wait.
func (r *reader) waitData() error {
	if r.r < r.w || r.waiter == nil || r.more || r.ready {
		return nil
	}
	r.release()
	err := r.waiter.WaitRead()
	r.ready = err == nil
	return err
}

// waitFrame waits for the next frame as waitData does. It returns
// errHandedOff when the idle sweeper moved reading to a fresh goroutine
// (see idle.go).
func (r *reader) waitFrame() error {
	if r.idle.stream == nil || r.r < r.w || r.waiter == nil || r.more {
		return r.waitData()
	}
	r.idle.begin()
	err := r.waitData()
	if r.idle.end() {
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		go r.run()
		return errHandedOff
	}
	return err
}

// header reads the next frame header.
func (r *reader) header() (frame.Header, error) {
	need := 2
	for {
		if r.w-r.r >= need {
			h, n, more, err := frame.ParseHeader((*r.buf)[r.r:r.w])
			if err != nil {
				return h, err
			}
			if n > 0 {
				r.r += n
				return h, nil
			}
			need = more
		}
		if err := r.fill(need); err != nil {
			return frame.Header{}, err
		}
	}
}

// payload reads len(dst) payload bytes into dst, unmasking them and, if
// text is set, checking UTF-8 as each piece arrives. Successive calls
// continue the frame's masking where the last one stopped.
func (r *reader) payload(dst []byte, h *frame.Header, text bool) error {
	for off := 0; off < len(dst); {
		var n int
		switch {
		case r.w > r.r:
			n = copy(dst[off:], (*r.buf)[r.r:r.w])
			r.r += n
		case len(dst)-off >= readBufSize/2:
			var err error
			r.c.wr.cork(false) // the read may wait
			n, err = r.c.stream.Read(dst[off:])
			r.ready = false
			if n == 0 && err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		default:
			if err := r.fill(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
			continue
		}
		r.left -= int64(n)
		piece := dst[off : off+n]
		if h.Masked {
			r.maskPos = frame.Mask(h.Key, r.maskPos, piece)
		}
		if text && !r.utf8.Write(piece) {
			return errBadUTF8
		}
		off += n
	}
	return nil
}

// firstStep is how much space a data frame's payload gets before any of
// it has arrived, until the peer has sent a larger frame. Past it, the
// space grows with what arrives, at most doubling, so that a header
// announcing a large frame costs nothing until the peer actually sends the
// bytes. A peer that has sent a frame of n bytes is trusted with n bytes
// at once: it has shown it sends what it announces, and the space it could
// make this side hold is no more than it already held.
const firstStep = 256 << 10

// step returns the space a frame's payload gets before more of it arrives.
func (r *reader) step() int64 {
	return max(firstStep, r.trusted)
}

// appendPayload reads the rest of the current frame's payload (r.left
// bytes) and appends it to buf. When buf is full, grow returns a larger
// buffer holding its bytes, with room for at least need more and at most
// max(need, len) more.
func (r *reader) appendPayload(buf []byte, h *frame.Header, text bool, grow func(buf []byte, need, total int) []byte) ([]byte, error) {
	for r.left > 0 {
		if len(buf) == cap(buf) {
			step := int(min(r.left, max(r.step(), int64(len(buf)))))
			buf = grow(buf, step, len(buf)+int(r.left))
		}
		k := int(min(r.left, int64(cap(buf)-len(buf))))
		if err := r.payload(buf[len(buf):len(buf)+k], h, text); err != nil {
			return buf, err
		}
		buf = buf[:len(buf)+k]
	}
	return buf, nil
}

// growOwned makes room in a buffer that will belong to the receivers: a
// new allocation, exactly the frame's size once the rest fits.
func growOwned(buf []byte, need, total int) []byte {
	n := len(buf) + need
	if n*2 >= total {
		n = total // the last step: no need to grow again
	}
	return append(make([]byte, 0, n), buf...)
}

// skip discards n payload bytes.
func (r *reader) skip(n int64) error {
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		k := min(n, int64(r.w-r.r))
		r.r += int(k)
		r.left -= k
		n -= k
	}
	return nil
}

// errBadUTF8 marks a UTF-8 failure found while reading a payload.
var errBadUTF8 = errors.New("invalid UTF-8")

func protocolErr(code CloseCode, sentinel error, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// loop reads frames until the stream ends or fails.
func (r *reader) loop() error {
	c := r.c
	for {
		if err := r.waitFrame(); err != nil {
			return err
		}
		h, err := r.header()
		if err != nil {
			if errors.Is(err, frame.ErrLengthOverflow) || errors.Is(err, frame.ErrNonMinimalLength) {
				// Frame boundaries are lost: nothing more can be read.
				if !r.failed {
					r.fail(protocolErr(CloseProtocolError, ErrProtocol, "bad frame length: %v", err))
				}
				return c.peerDone(true)
			}
			return err
		}
		r.left, r.maskPos = h.Length, 0
		c.frameReceived()
		if c.trace != nil {
			c.traceFrame("received", &h)
		}
		if r.failed {
			err = r.drainFrame(&h)
		} else {
			err = r.frame(&h)
		}
		if perr, ok := err.(*ProtocolError); ok {
			// Skip what is left of the frame that failed the
			// connection, then wait for the peer's close frame.
			c.sigs.readerBusy()
			r.fail(perr)
			c.sigs.readerIdle()
			err = r.skip(r.left)
			if err == nil && h.Opcode == frame.OpClose {
				// An invalid close frame is still the peer's last
				// frame: nothing more to wait for.
				err = c.peerDone(false)
			}
		}
		if err != nil {
			return err
		}
		// Frames that arrived together are handled as a batch: the
		// sends of their handlers go out after the last one.
		more := r.r < r.w
		if more {
			c.wr.cork(true)
		}
		if err := c.sigs.frameDone(false); err != nil {
			return err
		}
		if !more {
			c.wr.cork(false)
		}
	}
}

// frame handles one frame whose header has been read.
func (r *reader) frame(h *frame.Header) error {
	if perr := r.check(h); perr != nil {
		return perr
	}
	if h.Opcode.IsControl() {
		return r.control(h)
	}
	return r.data(h)
}

// fail fails the connection; from now on only a close frame matters.
func (r *reader) fail(err *ProtocolError) {
	r.failed = true
	r.msg, r.msgOp = nil, 0
	r.putScratch()
	r.c.fail(err)
}

// drainFrame skips a frame's payload, noting the peer's close frame.
func (r *reader) drainFrame(h *frame.Header) error {
	if h.Opcode == frame.OpClose && h.Length <= frame.MaxControlPayload {
		p := r.ctrl[:h.Length]
		if err := r.payload(p, h, false); err != nil {
			return err
		}
		r.c.sigs.readerBusy()
		return r.c.closeReceived(p, true)
	}
	return r.skip(h.Length)
}

// check applies the frame rules that do not need the payload.
func (r *reader) check(h *frame.Header) *ProtocolError {
	c := r.c
	switch {
	case h.Opcode.IsReserved():
		return protocolErr(CloseProtocolError, ErrProtocol, "reserved opcode %d", h.Opcode)
	case h.RSV&^c.rsvBits != 0:
		return protocolErr(CloseProtocolError, ErrProtocol, "reserved bits %#x set with no extension for them", h.RSV&^c.rsvBits)
	case c.connType == ConnectionServer && !h.Masked:
		return protocolErr(CloseProtocolError, ErrProtocol, "unmasked frame from client")
	case c.connType == ConnectionClient && h.Masked:
		return protocolErr(CloseProtocolError, ErrProtocol, "masked frame from server")
	}
	if h.Opcode.IsControl() {
		switch {
		case !h.Fin:
			return protocolErr(CloseProtocolError, ErrProtocol, "fragmented control frame")
		case h.Length > frame.MaxControlPayload:
			return protocolErr(CloseProtocolError, ErrProtocol, "control frame payload of %d bytes", h.Length)
		case h.RSV != 0:
			return protocolErr(CloseProtocolError, ErrProtocol, "reserved bits on a control frame")
		}
		return nil
	}
	if h.Opcode == frame.OpContinuation {
		if r.msgOp == 0 {
			return protocolErr(CloseProtocolError, ErrProtocol, "continuation frame with no message started")
		}
		if h.RSV != 0 {
			return protocolErr(CloseProtocolError, ErrProtocol, "reserved bits on a continuation frame")
		}
	} else if r.msgOp != 0 {
		return protocolErr(CloseProtocolError, ErrProtocol, "new data message inside a fragmented message")
	}
	if max := c.maxIncoming.Load(); max > 0 && h.Length > max {
		return protocolErr(CloseMessageTooBig, ErrMessageTooBig, "frame payload of %d bytes exceeds %d", h.Length, max)
	}
	return nil
}

// control handles a ping, pong or close frame.
func (r *reader) control(h *frame.Header) error {
	p := r.ctrl[:h.Length]
	if err := r.payload(p, h, false); err != nil {
		return err
	}
	c := r.c
	c.sigs.readerBusy()
	switch h.Opcode {
	case frame.OpPing:
		c.mu.Lock()
		c.wr.queueControlLocked(frame.OpPong, p, false)
		c.wr.sendUnlock()
		if c.sigs.listening(&c.sigs.ping) {
			c.sigs.emit(event{kind: sigPing, data: append([]byte(nil), p...)})
		}
	case frame.OpPong:
		rtt := c.pongReceived(p)
		if c.sigs.listening(&c.sigs.pong) {
			// The round trip is updated as the event is delivered.
			c.sigs.emit(event{kind: sigPong, data: append([]byte(nil), p...), rtt: rtt})
		} else if rtt > 0 {
			c.ka.rtt.Store(int64(rtt))
		}
	case frame.OpClose:
		err := c.closeReceived(p, false)
		if err == nil {
			// A client reads on until the server closes the stream,
			// but nothing after the close frame counts.
			r.failed = true
		}
		return err
	}
	return nil
}

// data reads a text, binary or continuation frame into the message being
// reassembled, and delivers the message after its final frame.
func (r *reader) data(h *frame.Header) error {
	c := r.c
	first := h.Opcode != frame.OpContinuation
	if first {
		r.msgOp, r.msgRSV, r.total = h.Opcode, h.RSV, 0
		r.utf8.Reset()
		r.checkUTF8 = h.Opcode == frame.OpText && h.RSV == 0 && !c.opts.skipUTF8
		// Frame by frame for fragment receivers, unless an extension
		// must decode the whole message; whole for message receivers,
		// and while nobody receives yet.
		r.parts = c.sigs.wantsFragments() && h.RSV == 0
		r.whole = !r.parts || c.sigs.wantsMessages()
		r.pullFrames = c.sigs.pull.frames.Load()
	}
	limit := c.maxMessage.Load()
	total := r.total + h.Length
	if limit > 0 {
		bound := limit
		if r.msgRSV != 0 {
			// The payload is still encoded (compressed): allow for the
			// overhead of incompressible data; the decoded size is
			// checked against the limit itself.
			bound += limit/8 + 1024
		}
		if total > bound {
			return protocolErr(CloseMessageTooBig, ErrMessageTooBig, "message of %d bytes or more exceeds %d", total, limit)
		}
	}
	if total > math.MaxInt {
		return protocolErr(CloseMessageTooBig, ErrMessageTooBig, "message of %d bytes", total)
	}
	r.total = total
	typ := DataBinary
	if r.msgOp == frame.OpText {
		typ = DataText
	}
	single := first && h.Fin && h.RSV == 0

	var piece []byte // this frame's payload
	var err error
	if single || !r.whole {
		// The common case, and frames for fragment receivers only: the
		// payload is the receivers' own.
		piece = make([]byte, 0, min(h.Length, r.step()))
		piece, err = r.appendPayload(piece, h, r.checkUTF8, growOwned)
	} else {
		// Fragments are gathered in pooled space, copied out once the
		// message is whole.
		start := len(r.msg)
		r.msg, err = r.appendPayload(r.msg, h, r.checkUTF8, r.growScratch)
		piece = r.msg[start:]
	}
	if err == nil {
		r.trusted = max(r.trusted, h.Length)
	}
	if err != nil {
		if err == errBadUTF8 {
			return protocolErr(CloseInvalidPayload, ErrInvalidUTF8, "invalid UTF-8 in text message")
		}
		return err
	}
	if h.Fin && r.checkUTF8 && !r.utf8.Complete() {
		return protocolErr(CloseInvalidPayload, ErrInvalidUTF8, "text message ends inside a UTF-8 sequence")
	}
	if single {
		r.msgOp = 0
		c.sigs.pushData(event{kind: sigMessage, typ: typ, data: piece})
		return nil
	}
	if r.parts {
		if r.whole {
			piece = append([]byte(nil), piece...) // the scratch space is reused
		}
		c.sigs.pushData(event{kind: sigFragment, typ: typ, data: piece, first: first, fin: h.Fin, pullFrames: r.pullFrames})
	}
	if !h.Fin {
		return nil
	}
	op := r.msgOp
	r.msgOp = 0
	if !r.whole {
		return nil
	}
	msg := r.msg
	r.msg = nil
	if r.msgRSV != 0 {
		var err error
		msg, err = r.decode(msg, op, limit)
		r.putScratch() // the decoded message never shares the input's memory
		if err != nil {
			return err
		}
		if typ == DataText && !c.opts.skipUTF8 && !utf8.Valid(msg) {
			return protocolErr(CloseInvalidPayload, ErrInvalidUTF8, "invalid UTF-8 in text message")
		}
	} else {
		msg = append([]byte(nil), msg...)
		r.putScratch()
	}
	c.sigs.pushData(event{kind: sigMessage, typ: typ, data: msg, partsSent: r.parts, pullFrames: r.pullFrames})
	return nil
}

// growScratch moves the message being gathered to larger pooled space.
func (r *reader) growScratch(buf []byte, need, _ int) []byte {
	grown := bufpool.Get(max(len(buf)+need, 2*cap(buf)))
	*grown = (*grown)[:len(buf)]
	copy(*grown, buf)
	r.putScratch()
	r.scratch = grown
	return *grown
}

// decode runs an incoming message through the negotiated extensions, last
// negotiated first.
func (r *reader) decode(msg []byte, op frame.Opcode, limit int64) ([]byte, error) {
	r.extMessage = extensions.Message{Binary: op == frame.OpBinary, RSV: r.msgRSV, Payload: msg}
	for i := len(r.c.exts) - 1; i >= 0; i-- {
		e := r.c.exts[i]
		if err := e.ProcessIncoming(&r.extMessage, int(limit)); err != nil {
			if errors.Is(err, extensions.ErrTooBig) {
				return nil, protocolErr(CloseMessageTooBig, ErrMessageTooBig, "%s: decoded message exceeds %d bytes", e.Name(), limit)
			}
			// The extension's error (extensions.ErrCorrupt, ...) stays
			// reachable with errors.Is.
			return nil, protocolErr(CloseInvalidPayload, err, "%s: %v", e.Name(), err)
		}
	}
	out := r.extMessage.Payload
	r.extMessage = extensions.Message{}
	return out, nil
}
