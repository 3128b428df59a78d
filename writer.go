package wsconn

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/bufpool"
	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
)

// Bounds of one write round: the frames and payload bytes gathered into a
// single vectored write, and the control frames among them (the close frame
// aside). Control frames beyond that wait for the next round, so that no
// number of them can overflow the round's scratch space.
const (
	maxRoundFrames  = 32
	maxRoundBytes   = 256 << 10
	maxRoundControl = 8
)

// controlCost is what a queued control frame counts against the queue bound:
// its header and the largest payload.
const controlCost = frame.MaxHeaderSize + frame.MaxControlPayload

// outMessage is a queued data message. Its payload is a pooled copy that the
// writer may mask in place.
type outMessage struct {
	op         frame.Opcode
	buf        *[]byte // pooled copy of the user's payload
	payload    []byte  // what goes on the wire (buf, or an extension's output)
	size       int64   // the user's payload size, as counted in queued
	sent       int     // payload bytes written so far
	rsv        byte    // reserved bits of the first frame
	started    bool    // extensions applied
	done       bool    // the final frame is built
	noCompress bool
	borrowed   bool             // payload is the sender's memory, only while its send runs (see enqueue)
	frag       bool             // one piece of a streamed message (NextWriter)
	fin        bool             // for frag: the streamed message's last piece
	seq        uint64           // position in the order of queueing, from 1
	prep       *PreparedMessage // payload is prep's, shared and read only
}

// controlFrame is a queued ping, pong or close frame.
type controlFrame struct {
	op   frame.Opcode
	n    uint8
	data [frame.MaxControlPayload]byte
	ping bool // a keepalive ping: record when it was written
}

// writer is the outgoing side of a connection: a queue that senders fill
// and a goroutine that exists only while the queue is not empty.
type writer struct {
	c      *WebsocketConnection
	runFn  func()             // c.wr.run, made once so that starting it allocates nothing
	now    iostream.TryWriter // the stream, if senders may try to write it themselves
	corked atomic.Bool        // sends wait for the end of the reader's batch (see cork); set with c.mu held

	// Guarded by c.mu.
	ctrl         []controlFrame // pings and pongs, at most maxPendingPongs pongs
	data         []outMessage
	head         int   // index of the first queued message in data
	queued       int64 // payload bytes queued and not yet written
	inFlight     int   // messages taken by the writer and not yet written
	active       bool  // the writer goroutine is running
	closeQueued  bool  // no more data is accepted
	closePending bool  // closeFrame waits for the data before it
	closeFrame   controlFrame
	dropCur      bool   // the writer must drop the messages it holds
	seq          uint64 // messages queued so far
	lostFrom     uint64 // the first message dropped unsent, 0 if none
	waiters      []flushWaiter
	streaming    bool          // a NextWriter message is open
	deferred     []outMessage  // messages queued while it is open
	streamDone   chan struct{} // closed when it ends, for NextWriter

	// Owned by the running writer goroutine.
	cur   []outMessage
	wctrl []controlFrame
	ext   extensions.Message
	s     *writeScratch // taken from scratchPool while the writer runs

	// What the extensions key a shared processing of prepared messages
	// by, if they allow it (see PreparedMessage); found at the first
	// prepared message, so that other connections pay nothing for it.
	sharedKey   string
	sharedKnown bool
	sharedOK    bool
}

// writeScratch is the space a writer needs only while it runs; idle
// connections hold none of it.
type writeScratch struct {
	hdr  [maxRoundFrames * frame.MaxHeaderSize]byte
	iov  [2 * maxRoundFrames][]byte
	used int     // entries of iov that the round uses
	rest *[]byte // pooled copy of what a round left unwritten (see unborrowLocked)
	bufs net.Buffers
	keys maskKeys
}

var scratchPool = sync.Pool{New: func() any { return new(writeScratch) }}

// init sets the writer up; caps is the stream with its optional
// capabilities (see streamCaps).
func (w *writer) init(c *WebsocketConnection, caps io.ReadWriteCloser) {
	w.c = c
	w.runFn = w.run
	w.now, _ = caps.(iostream.TryWriter)
}

// enqueue queues a data message with its payload from data or text.
//
// A server whose sender can write now (see writeNowLocked) writes the
// message from the sender's own memory, which a server does not mask: no
// copy is made unless the stream does not take it all at once, and then
// only of the rest, before enqueue returns (see unborrowLocked). Otherwise
// the payload is copied into a pooled buffer first.
func (w *writer) enqueue(op frame.Opcode, data []byte, text string, noCompress bool) error {
	size := len(data) + len(text)
	c := w.c
	// In a batch (corked) the message is queued: no need to look.
	if c.connType == ConnectionServer && !w.corked.Load() {
		c.mu.Lock()
		if err := w.admitLocked(size); err != nil {
			c.mu.Unlock()
			return err
		}
		if w.canWriteNowLocked() {
			p := data
			if p == nil {
				p = unsafe.Slice(unsafe.StringData(text), len(text)) // only read
			}
			w.queueLocked(outMessage{op: op, payload: p, size: int64(size), noCompress: noCompress, borrowed: true})
			w.sendUnlock()
			return nil
		}
		c.mu.Unlock()
	}
	buf := bufpool.Get(size)
	if data != nil {
		copy(*buf, data)
	} else {
		copy(*buf, text)
	}
	c.mu.Lock()
	if err := w.admitLocked(size); err != nil {
		c.mu.Unlock()
		bufpool.Put(buf)
		return err
	}
	w.queueLocked(outMessage{op: op, buf: buf, payload: *buf, size: int64(size), noCompress: noCompress})
	w.sendUnlock()
	return nil
}

// admitLocked returns why a message of size bytes cannot be queued now, or
// nil. c.mu is held.
func (w *writer) admitLocked(size int) error {
	if !w.acceptsLocked() {
		return ErrNotOpen
	}
	return w.checkRoomLocked(int64(size))
}

// queueLocked numbers m and queues it. c.mu is held.
func (w *writer) queueLocked(m outMessage) {
	w.seq++
	m.seq = w.seq
	if w.streaming {
		// Behind the streamed message: no data frame may come between
		// its pieces.
		w.deferred = append(w.deferred, m)
	} else {
		w.data = append(w.data, m)
	}
	w.queued += m.size
}

// acceptsLocked reports whether data may still be queued: until the close
// frame is queued. When the peer closes or breaks the protocol, that
// waits until the handlers of what came before have run (see
// startClosingLocked), so that what they send still goes out. c.mu is
// held.
func (w *writer) acceptsLocked() bool {
	return w.c.state != StateClosed && !w.closeQueued
}

// checkRoomLocked returns ErrQueueFull if size more bytes do not fit the
// queue bound. Queued control frames count too. A message larger than the
// bound fits an empty queue. c.mu is held.
func (w *writer) checkRoomLocked(size int64) error {
	max := w.c.opts.maxQueued
	held := w.queued + int64(len(w.ctrl))*controlCost
	if max > 0 && held > 0 && held+size > max {
		return fmt.Errorf("%w: %d bytes queued, limit %d", ErrQueueFull, held, max)
	}
	return nil
}

// enqueuePiece queues one piece of the streamed message. c.mu is held.
func (w *writer) enqueuePieceLocked(op frame.Opcode, p []byte, fin bool) error {
	if !w.acceptsLocked() || !w.streaming {
		return ErrNotOpen
	}
	buf := bufpool.Get(len(p))
	copy(*buf, p)
	w.seq++
	w.data = append(w.data, outMessage{op: op, buf: buf, payload: *buf, size: int64(len(p)), frag: true, fin: fin, started: true, seq: w.seq})
	w.queued += int64(len(p))
	w.startLocked()
	return nil
}

// endStreamLocked ends the streamed message: the messages deferred behind
// it join the queue. c.mu is held.
func (w *writer) endStreamLocked() {
	if !w.streaming {
		return
	}
	w.streaming = false
	w.data = append(w.data, w.deferred...)
	clear(w.deferred)
	w.deferred = w.deferred[:0]
	close(w.streamDone)
	w.streamDone = nil
	w.startLocked()
}

// maxPendingPongs bounds the pongs waiting to be written. Past it a new
// pong replaces the newest one still queued: only the latest of the pings
// that arrived meanwhile is answered (RFC 6455 section 5.5.3), so a peer
// that floods pings and does not read cannot grow the queue.
const maxPendingPongs = 16

// queueControlLocked queues a ping or pong ahead of the data, for
// sendUnlock to send. It does nothing once a close frame is queued. c.mu is
// held.
func (w *writer) queueControlLocked(op frame.Opcode, payload []byte, keepalive bool) {
	if w.closeQueued {
		return
	}
	f := controlFrame{op: op, n: uint8(len(payload)), ping: keepalive}
	copy(f.data[:], payload)
	if op == frame.OpPong {
		pongs, last := 0, -1
		for i := range w.ctrl {
			if w.ctrl[i].op == frame.OpPong {
				pongs, last = pongs+1, i
			}
		}
		if pongs >= maxPendingPongs {
			w.ctrl[last] = f
			return
		}
	}
	w.ctrl = append(w.ctrl, f)
}

// queueCloseLocked queues the close frame after the data already queued.
// c.mu is held.
func (w *writer) queueCloseLocked(code CloseCode, reason string) {
	w.closeQueued = true
	w.closePending = true
	w.closeFrame = controlFrame{op: frame.OpClose}
	if code != CloseNoStatus {
		binary.BigEndian.PutUint16(w.closeFrame.data[:], uint16(code))
		w.closeFrame.n = 2 + uint8(copy(w.closeFrame.data[2:], reason))
	}
	if w.streaming {
		// The streamed message cannot be finished: what waits behind
		// it is not sent, and is reported.
		n := len(w.deferred)
		var bytes int64
		for i := range w.deferred {
			bytes += w.deferred[i].size
			w.lostLocked(w.deferred[i].seq)
			bufpool.Put(w.deferred[i].buf)
		}
		clear(w.deferred)
		w.deferred = w.deferred[:0]
		w.queued -= bytes
		w.streaming = false
		close(w.streamDone)
		w.streamDone = nil
		if n > 0 {
			w.c.sigs.emit(event{kind: sigError, err: fmt.Errorf("%w: %d messages, %d bytes, queued behind an unfinished streamed message", ErrNotSent, n, bytes)})
		}
	}
	w.startLocked()
}

// dropDataLocked discards the queued data messages and those the writer
// holds, wakes Flush callers with ErrNotSent, and returns what was dropped.
// c.mu is held.
func (w *writer) dropDataLocked() (messages int, bytes int64) {
	messages = len(w.data) - w.head + w.inFlight + len(w.deferred)
	bytes = w.queued
	if messages > 0 {
		w.lostLocked(w.firstOutstandingLocked())
	}
	for i := w.head; i < len(w.data); i++ {
		bufpool.Put(w.data[i].buf)
		w.data[i] = outMessage{}
	}
	for i := range w.deferred {
		bufpool.Put(w.deferred[i].buf)
	}
	clear(w.deferred)
	w.deferred = w.deferred[:0]
	if w.streaming {
		w.streaming = false
		close(w.streamDone)
		w.streamDone = nil
	}
	w.data = w.data[:0]
	w.head = 0
	w.queued = 0
	if w.inFlight > 0 {
		w.dropCur = true
		w.inFlight = 0
	}
	w.wakeLocked()
	return messages, bytes
}

// sendUnlock makes the queued frames go out, written at once by the calling
// goroutine when the stream takes them (see writeNowLocked), else by the
// writer goroutine, and releases c.mu.
func (w *writer) sendUnlock() {
	if w.corked.Load() && !w.active && w.c.state == StateOpen {
		w.c.mu.Unlock() // cork(false) writes it, at the end of the batch
		return
	}
	if !w.writeNowLocked() {
		w.startLocked()
		w.c.mu.Unlock()
	}
}

// cork holds the sends, or releases and writes them. The reader holds them
// while it handles frames that arrived together (the stream had more than
// one buffered), so that what their handlers send goes out in one write
// after the last of them instead of one write each; it releases them
// before it waits for the stream, and so does anything that waits for the
// queue (Flush) or hands reading over.
func (w *writer) cork(on bool) {
	if w.corked.Load() == on {
		return
	}
	c := w.c
	c.mu.Lock()
	w.corked.Store(on)
	if on || !w.pendingLocked() {
		c.mu.Unlock()
		return
	}
	w.sendUnlock()
}

// pendingLocked reports whether frames wait to be written. c.mu is held.
func (w *writer) pendingLocked() bool {
	return len(w.ctrl) > 0 || w.head < len(w.data) || w.closePending
}

// startLocked starts the writer goroutine if it is not running. c.mu is
// held.
func (w *writer) startLocked() {
	if !w.active && w.c.state != StateClosed {
		w.active = true
		go w.runFn()
	}
}

// flushWaiter is a Flush call waiting for the messages up to seq.
type flushWaiter struct {
	seq uint64
	ch  chan error
}

// lostLocked notes that message seq was dropped unsent. c.mu is held.
func (w *writer) lostLocked(seq uint64) {
	if w.lostFrom == 0 || seq < w.lostFrom {
		w.lostFrom = seq
	}
}

// firstOutstandingLocked returns the position of the first message still
// queued or being written, or the next position if there is none. c.mu is
// held.
func (w *writer) firstOutstandingLocked() uint64 {
	first := w.seq + 1
	if len(w.cur) > 0 && !w.dropCur {
		first = w.cur[0].seq // messages leave cur in order, when retired
	}
	if w.head < len(w.data) {
		first = min(first, w.data[w.head].seq)
	}
	if len(w.deferred) > 0 {
		first = min(first, w.deferred[0].seq)
	}
	return first
}

// flushedLocked reports whether every message up to seq has left the
// queue, and if so whether one of them was dropped. c.mu is held.
func (w *writer) flushedLocked(seq uint64) (done bool, err error) {
	if w.lostFrom != 0 && w.lostFrom <= seq {
		return true, ErrNotSent
	}
	return w.firstOutstandingLocked() > seq, nil
}

// wakeLocked wakes the Flush callers whose messages have all left the
// queue. c.mu is held.
func (w *writer) wakeLocked() {
	kept := w.waiters[:0]
	for _, fw := range w.waiters {
		if done, err := w.flushedLocked(fw.seq); done {
			fw.ch <- err
		} else {
			kept = append(kept, fw)
		}
	}
	clear(w.waiters[len(kept):])
	w.waiters = kept
}

// run is the writer goroutine: it writes rounds of frames until the queue
// is empty.
func (w *writer) run() {
	for {
		w.c.mu.Lock()
		if !w.round(false) {
			return
		}
	}
}

// maxNowRounds bounds the rounds that a sender writes itself (see
// writeNowLocked) before it hands the queue to the writer goroutine.
const maxNowRounds = 4

// writeNowLocked writes the queue from the sending goroutine, without
// waiting: when the stream is a TryWriter and the writer goroutine is not
// running, a round that the stream takes at once costs no goroutine and no
// wake-up. What the stream does not take, and what other senders queue
// meanwhile past a few rounds, goes to the writer goroutine. It reports
// false, doing nothing, when it cannot write now. c.mu is held on entry and
// released on return when it reports true.
func (w *writer) writeNowLocked() bool {
	if w.now == nil || w.active || w.c.state != StateOpen {
		return false
	}
	w.active = true
	for i := 0; w.round(true); i++ {
		w.c.mu.Lock()
		if i+1 == maxNowRounds {
			w.unborrowLocked()
			go w.runFn()
			w.c.mu.Unlock()
			return true
		}
	}
	return true
}

// canWriteNowLocked reports whether a message queued now would be written
// by its sender (see writeNowLocked) with nothing queued before it. c.mu
// is held.
func (w *writer) canWriteNowLocked() bool {
	return w.now != nil && !w.active && w.c.state == StateOpen && !w.corked.Load() &&
		!w.streaming && !w.pendingLocked()
}

// unborrowLocked copies what the writer still needs of a sender's memory
// (see enqueue) into pooled buffers: the messages not yet framed whole, and
// the bytes a round left unwritten. The sender calls it, as the writer,
// before it hands the rest to the writer goroutine and returns. c.mu is
// held.
func (w *writer) unborrowLocked() {
	borrowed := false
	for i := range w.cur {
		borrowed = own(&w.cur[i]) || borrowed
	}
	for i := w.head; i < len(w.data); i++ {
		own(&w.data[i])
	}
	if !borrowed || w.s == nil || len(w.s.bufs) == 0 {
		return
	}
	n := 0
	for _, b := range w.s.bufs {
		n += len(b)
	}
	w.s.rest = bufpool.Get(n)
	rest := (*w.s.rest)[:0]
	for _, b := range w.s.bufs {
		rest = append(rest, b...)
	}
	clear(w.s.iov[:w.s.used])
	w.s.iov[0] = rest
	w.s.bufs, w.s.used = w.s.iov[:1], 1
}

// own gives a borrowed message a pooled copy of its payload, unless all
// its frames are built already, and reports whether it was borrowed.
func own(m *outMessage) bool {
	if !m.borrowed {
		return false
	}
	if m.done {
		m.payload, m.borrowed = nil, false
		return true
	}
	m.buf = bufpool.Get(len(m.payload))
	copy(*m.buf, m.payload)
	m.payload, m.borrowed = *m.buf, false
	return true
}

// round writes one round of frames. It takes them from the queue with c.mu
// held, as on entry, and releases it while it encodes and writes them. It
// returns with c.mu released, reporting whether the writer goes on: false
// when the queue was empty or the stream failed, or, for a round written
// now (see writeNowLocked), when the stream did not take it all and a
// writer goroutine finishes it.
func (w *writer) round(now bool) bool {
	c := w.c
	if w.dropCur || c.state == StateClosed {
		w.releaseCur()
		w.dropCur = false
	}
	if c.state == StateClosed {
		// Nothing more goes to a closed stream, not even a close frame
		// that was still due.
		w.wctrl = w.wctrl[:0]
	}
	sendClose := c.state != StateClosed && w.takeRoundLocked()
	if len(w.wctrl) == 0 && len(w.cur) == 0 {
		w.stopLocked()
		c.mu.Unlock()
		return false
	}
	keepalive := false
	for i := range w.wctrl {
		keepalive = keepalive || w.wctrl[i].ping
	}
	if keepalive {
		c.ka.pingSendingLocked()
	}
	c.mu.Unlock()

	if w.s == nil {
		w.s = scratchPool.Get().(*writeScratch)
	}
	if i, err := w.encodeMessages(); err != nil {
		// This side's extension failed: the message is dropped and the
		// connection fails with 1011 after what was queued before it.
		c.mu.Lock()
		m := w.cur[i]
		w.cur = append(w.cur[:i], w.cur[i+1:]...)
		w.queued -= m.size
		w.inFlight--
		w.lostLocked(m.seq)
		bufpool.Put(m.buf)
		c.failLocked(CloseInternalError, "extension failed", err, false)
		c.mu.Unlock()
		return true
	}
	w.buildRound()
	if now {
		_, err := w.now.TryWriteBuffers(&w.s.bufs)
		if errors.Is(err, errors.ErrUnsupported) {
			// Detected once: from now on the goroutine writes.
			c.mu.Lock()
			w.now = nil
			c.mu.Unlock()
			err = nil
		}
		if err == nil && len(w.s.bufs) > 0 {
			c.mu.Lock()
			w.unborrowLocked()
			c.mu.Unlock()
			go w.finishRound(keepalive, sendClose)
			return false
		}
		return w.roundWritten(err, keepalive, sendClose)
	}
	_, err := iostream.WriteBuffers(c.stream, &w.s.bufs)
	return w.roundWritten(err, keepalive, sendClose)
}

// finishRound is the writer goroutine started when the stream did not take
// a round written now: it writes the rest, then goes on as run.
func (w *writer) finishRound(keepalive, sendClose bool) {
	_, err := iostream.WriteBuffers(w.c.stream, &w.s.bufs)
	if w.roundWritten(err, keepalive, sendClose) {
		w.run()
	}
}

// roundWritten accounts for a round written, or ends the connection when
// err tells that the stream failed. c.mu is not held. It reports whether
// the writer goes on.
func (w *writer) roundWritten(err error, keepalive, sendClose bool) bool {
	c := w.c
	clear(w.s.iov[:w.s.used])
	bufpool.Put(w.s.rest)
	w.s.rest = nil
	c.mu.Lock()
	if err != nil {
		w.releaseCur()
		w.wctrl = w.wctrl[:0]
		w.stopLocked()
		c.mu.Unlock()
		c.terminate(abnormal(err))
		return false
	}
	if keepalive {
		c.ka.pingWrittenLocked(c)
	}
	w.retireLocked()
	w.wctrl = w.wctrl[:0]
	c.mu.Unlock()
	if sendClose {
		c.closeFrameWritten()
	}
	return true
}

// stopLocked ends the writer's turn: its scratch space goes back to the
// pool and the next send starts it again. c.mu is held.
func (w *writer) stopLocked() {
	if w.s != nil {
		scratchPool.Put(w.s)
		w.s = nil
	}
	w.active = false
}

// takeRoundLocked moves the pending control frames and the data messages
// that fit one round to the writer's own lists, and the close frame when
// its turn has come. c.mu is held.
func (w *writer) takeRoundLocked() (sendClose bool) {
	if w.c.closing.has(closeTaken) {
		w.ctrl = w.ctrl[:0]
		return false
	}
	n := min(len(w.ctrl), maxRoundControl-len(w.wctrl))
	w.wctrl = append(w.wctrl, w.ctrl[:n]...)
	w.ctrl = w.ctrl[:copy(w.ctrl, w.ctrl[n:])]
	budget := maxRoundBytes
	for i := range w.cur {
		budget -= len(w.cur[i].payload) - w.cur[i].sent
	}
	for w.head < len(w.data) && len(w.cur) < maxRoundFrames-len(w.wctrl)-1 && budget > 0 {
		m := w.data[w.head]
		w.data[w.head] = outMessage{}
		w.head++
		w.cur = append(w.cur, m)
		w.inFlight++
		budget -= len(m.payload)
	}
	if w.head == len(w.data) {
		w.data = w.data[:0]
		w.head = 0
	}
	if w.closePending && len(w.cur) == 0 && w.head == len(w.data) && len(w.ctrl) == 0 {
		w.closePending = false
		w.c.closeFrameTakenLocked()
		w.wctrl = append(w.wctrl, w.closeFrame)
		return true
	}
	return false
}

// buildRound encodes the writer's control frames and as many data frames as
// fit one round into s.bufs, for one vectored write.
func (w *writer) buildRound() {
	c, s := w.c, w.s
	mask := c.connType == ConnectionClient
	n, hp := 0, 0
	addFrame := func(h frame.Header, payload []byte) {
		if mask {
			h.Masked = true
			if c.opts.maskKey != nil {
				h.Key = c.opts.maskKey()
			} else {
				h.Key = s.keys.next()
			}
			frame.Mask(h.Key, 0, payload)
		}
		h.Length = int64(len(payload))
		if c.trace != nil {
			c.traceFrame("sent", &h)
		}
		hn := frame.PutHeader(s.hdr[hp:], h)
		s.iov[n] = s.hdr[hp : hp+hn]
		hp += hn
		n++
		if len(payload) > 0 {
			s.iov[n] = payload
			n++
		}
	}
	frames := 0
	for i := range w.wctrl {
		f := &w.wctrl[i]
		addFrame(frame.Header{Fin: true, Opcode: f.op}, f.data[:f.n])
		frames++
	}
	bytes := 0
	for i := range w.cur {
		m := &w.cur[i]
		for frames < maxRoundFrames && (bytes < maxRoundBytes || frames == 0) {
			first := m.sent == 0
			chunk := min(len(m.payload)-m.sent, c.opts.fragmentSize)
			last := m.sent+chunk == len(m.payload)
			h := frame.Header{Fin: last && (!m.frag || m.fin), Opcode: frame.OpContinuation}
			if first {
				h.Opcode, h.RSV = m.op, m.rsv
			}
			addFrame(h, m.payload[m.sent:m.sent+chunk])
			m.sent += chunk
			bytes += chunk
			frames++
			if last {
				m.done = true
				break
			}
		}
		if !m.done {
			break
		}
	}
	s.bufs, s.used = s.iov[:n], n
}

// encodeMessages runs the messages of the round that have not been through
// the extensions yet through them. It returns the index of a message that
// an extension failed on, with the error.
func (w *writer) encodeMessages() (int, error) {
	for i := range w.cur {
		m := &w.cur[i]
		if m.started {
			continue
		}
		apply := w.applyExtensions
		if m.prep != nil {
			apply = w.applyPrepared
		}
		if err := apply(m); err != nil {
			return i, err
		}
	}
	return 0, nil
}

// applyExtensions runs an outgoing message through the negotiated
// extensions before its first frame is built.
func (w *writer) applyExtensions(m *outMessage) error {
	m.started = true
	if len(w.c.exts) == 0 {
		return nil
	}
	out, rsv, spare, err := w.process(m.payload, m.op, m.noCompress)
	if err != nil {
		return err
	}
	if spare != nil {
		bufpool.Put(m.buf)
		m.buf, m.borrowed = spare, false
	}
	m.payload, m.rsv = out, rsv
	return nil
}

// process runs payload through the negotiated extensions. Each one writes
// into pooled storage lent as Message.Buf; spare is the storage that out
// lives in, for the caller to release, or nil when out is payload itself.
func (w *writer) process(payload []byte, op frame.Opcode, noCompress bool) (out []byte, rsv byte, spare *[]byte, err error) {
	w.ext = extensions.Message{Binary: op == frame.OpBinary, Payload: payload, NoCompress: noCompress}
	for _, e := range w.c.exts {
		buf := bufpool.Get(len(w.ext.Payload) + 1024)
		w.ext.Buf = (*buf)[:0]
		if err := e.ProcessOutgoing(&w.ext); err != nil {
			bufpool.Put(buf)
			bufpool.Put(spare)
			w.ext = extensions.Message{}
			return nil, 0, nil, fmt.Errorf("wsconn: extension %s failed on an outgoing message: %w", e.Name(), err)
		}
		if p := w.ext.Payload; len(p) > 0 && &p[0] == &(*buf)[:1][0] {
			bufpool.Put(spare)
			spare = buf
		} else {
			bufpool.Put(buf)
		}
	}
	out, rsv = w.ext.Payload, w.ext.RSV
	w.ext = extensions.Message{}
	return out, rsv, spare, nil
}

// retireLocked accounts for the messages whose last frame was written and
// releases their buffers. c.mu is held.
func (w *writer) retireLocked() {
	done := 0
	for done < len(w.cur) && w.cur[done].done {
		m := &w.cur[done]
		if !w.dropCur {
			w.queued -= m.size
			w.inFlight--
		}
		bufpool.Put(m.buf)
		done++
	}
	n := copy(w.cur, w.cur[done:])
	clear(w.cur[n:])
	w.cur = w.cur[:n]
	if done > 0 && len(w.waiters) > 0 {
		w.wakeLocked()
	}
}

// releaseCur drops the messages the writer holds. c.mu is held.
func (w *writer) releaseCur() {
	for i := range w.cur {
		bufpool.Put(w.cur[i].buf)
	}
	clear(w.cur)
	w.cur = w.cur[:0]
}

// Flush waits until every message queued so far has been written to the
// stream; messages queued meanwhile do not make it wait longer. It returns
// ErrNotSent if one of those messages was dropped unsent (the connection
// failed or was aborted first), or ctx's error.
func (c *WebsocketConnection) Flush(ctx context.Context) error {
	c.wr.cork(false)
	c.mu.Lock()
	w := &c.wr
	if done, err := w.flushedLocked(w.seq); done {
		c.mu.Unlock()
		return err
	}
	ch := make(chan error, 1)
	w.waiters = append(w.waiters, flushWaiter{w.seq, ch})
	c.mu.Unlock()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maskKeys hands out masking keys from crypto/rand, read in blocks so that a
// key costs no system call.
type maskKeys struct {
	buf  [256]byte
	left int // unused bytes at the end of buf
}

func (k *maskKeys) next() [4]byte {
	if k.left == 0 {
		rand.Read(k.buf[:]) // never fails (crypto/rand documents it)
		k.left = len(k.buf)
	}
	var key [4]byte
	copy(key[:], k.buf[len(k.buf)-k.left:])
	k.left -= 4
	return key
}
