package conformance

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/wsconn/wsconn/internal/frame"
)

// maxOwed is the largest rest of a cut frame that the suite still sends
// after the peer failed the connection, so that the peer can parse the
// suite's close frame. A longer rest (a Header step) is never sent: the
// suite drops the connection instead.
const maxOwed = 1 << 20

// A session runs the plan of one case over one connection on which the
// opening handshake is done. Its methods run on the case's goroutine; its
// reader runs on another and reports what it observes.
type session struct {
	role     Role // the role of the peer
	nc       conn
	br       *bufio.Reader // what the peer sends, after the handshake
	http2    bool          // nc is the stream of an extended CONNECT over HTTP/2
	agree    *agreement    // nil without permessage-deflate
	comp     *compressor
	opts     *Options
	deadline time.Time // bound on the whole case
	rng      *rand.Rand

	// State of the case's goroutine.
	sentClose   bool   // the suite sent a valid close frame
	replied     bool   // ... in answer to the peer's close frame
	ourCode     int    // code of the first valid close frame the suite sent
	owed        []byte // rest of a frame cut by Send.Cut
	cutAt       int    // payload bytes of that frame already written
	owedForever bool   // a Header step left a frame that is never finished
	writeErr    error
	lateFailure bool // a FailFast point passed without the peer failing
	peerEndLate bool // server role: the server did not close TCP (end its stream) in time

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced at each change of obs
	obs      observed
	readDone chan struct{}
}

// observed is what the reader saw the peer do.
type observed struct {
	messages  []Echo
	pongs     [][]byte
	pings     int
	close     *peerClose // the peer's close frame
	violation string     // how the peer broke the protocol
	ended     bool       // the peer's stream ended (or failed)
	endErr    error      // why it ended: io.EOF for a TCP FIN or an HTTP/2 END_STREAM
}

type peerClose struct {
	code   int // NoStatus for an empty close frame
	reason string
}

// done reports whether the peer is done: it sent a close frame, broke the
// protocol, or its stream ended.
func (o *observed) done() bool { return o.close != nil || o.violation != "" || o.ended }

func newSession(role Role, nc conn, br *bufio.Reader, a *agreement, opts *Options, deadline time.Time, rng *rand.Rand) *session {
	_, h2 := nc.(http2Stream)
	s := &session{
		role: role, nc: nc, br: br, http2: h2, agree: a, opts: opts, deadline: deadline, rng: rng,
		changed:  make(chan struct{}),
		readDone: make(chan struct{}),
	}
	if a != nil {
		s.comp = newCompressor(a.ourBits, a.ourTakeover)
	}
	return s
}

// run runs p and returns the grade. It closes the connection.
func (s *session) run(p Plan) (Grade, string) {
	go s.readLoop()
	s.steps(p.Steps)
	s.finish(&p.Expect)
	// Judge what the peer did before the suite closed the connection.
	s.mu.Lock()
	o := s.obs
	s.mu.Unlock()
	s.nc.Close()
	<-s.readDone
	return s.judge(&p.Expect, &o)
}

// update changes the observations under the lock and wakes waiters.
func (s *session) update(f func(o *observed)) {
	s.mu.Lock()
	f(&s.obs)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// wait waits until cond holds or until the deadline, and reports whether
// cond holds.
func (s *session) wait(until time.Time, cond func(o *observed) bool) bool {
	if until.After(s.deadline) {
		until = s.deadline
	}
	timer := time.NewTimer(time.Until(until))
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok, ch := cond(&s.obs), s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond(&s.obs)
		}
	}
}

func (s *session) peerDone() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.obs.done()
}

// steps runs the steps of a plan, and stops early once the peer is done
// or a write fails.
func (s *session) steps(steps []Step) {
	for _, st := range steps {
		if s.writeErr != nil || s.peerDone() {
			return
		}
		switch st := st.(type) {
		case Send:
			if st.Cut > 0 {
				s.sendCut(st.Frames, st.Cut, st.Chunk)
			} else {
				s.sendFrames(st.Frames, st.Chunk)
			}
		case Message:
			s.sendFrames(s.messageFrames(st), st.Chunk)
		case Header:
			s.sendHeader(st)
		case FailFast:
			if s.wait(time.Now().Add(s.opts.failWait()), (*observed).done) {
				return
			}
			s.lateFailure = true
		case Await:
			s.wait(s.deadline, func(o *observed) bool {
				return len(o.messages) >= st.Messages && len(o.pongs) >= st.Pongs || o.done()
			})
		default:
			panic(fmt.Sprintf("conformance: unknown step %T", st))
		}
	}
}

// masked reports whether a frame is masked: the suite masks as a client
// does unless the frame asks for the wrong masking.
func (s *session) masked(f *Frame) bool { return (s.role == ServerRole) != f.WrongMask }

// appendFrame appends the wire form of f.
func (s *session) appendFrame(b []byte, f *Frame) []byte {
	h := frame.Header{Fin: f.Fin, RSV: f.RSV, Opcode: frame.Opcode(f.Opcode), Masked: s.masked(f)}
	if h.Masked {
		binary.LittleEndian.PutUint32(h.Key[:], s.rng.Uint32())
	}
	return frame.AppendFrame(b, h, f.Payload)
}

// sendFrames writes frames, first what a cut frame still owes.
func (s *session) sendFrames(frames []Frame, chunk int) {
	size := len(s.owed)
	for i := range frames {
		size += len(frames[i].Payload) + frame.MaxHeaderSize
	}
	b := make([]byte, 0, size)
	b = append(b, s.owed...)
	s.owed = nil
	for i := range frames {
		f := &frames[i]
		if f.Opcode == OpClose && !s.sentClose && validOwnClose(f) {
			s.sentClose = true
			s.ourCode = NoStatus
			if len(f.Payload) >= 2 {
				s.ourCode = int(binary.BigEndian.Uint16(f.Payload))
			}
		}
		b = s.appendFrame(b, f)
	}
	s.write(b, chunk)
}

// validOwnClose reports whether f is a valid close frame. Only a valid
// one starts the closing handshake: after an invalid one, which the peer
// must answer by failing the connection, the suite still answers the
// peer's close frame, as the Autobahn|Testsuite does.
func validOwnClose(f *Frame) bool {
	p := f.Payload
	switch {
	case !f.Fin || f.RSV != 0 || f.WrongMask || len(p) == 1 || len(p) > frame.MaxControlPayload:
		return false
	case len(p) == 0:
		return true
	}
	return validCloseCode(int(binary.BigEndian.Uint16(p))) && validUTF8(p[2:])
}

// sendCut writes the frames up to cut payload bytes into the last one;
// the rest is owed and goes out with the next write. Without frames, it
// writes more of what a cut frame owes, up to its payload byte cut.
func (s *session) sendCut(frames []Frame, cut, chunk int) {
	if len(frames) == 0 {
		n := cut - s.cutAt
		if n < 0 || n > len(s.owed) {
			panic("conformance: Send.Cut outside the cut frame")
		}
		s.write(s.owed[:n], chunk)
		s.owed, s.cutAt = s.owed[n:], cut
		return
	}
	last := frames[len(frames)-1]
	if cut > len(last.Payload) {
		panic("conformance: Send.Cut beyond the payload")
	}
	b := append([]byte(nil), s.owed...)
	for i := range frames {
		b = s.appendFrame(b, &frames[i])
	}
	split := len(b) - len(last.Payload) + cut
	s.write(b[:split], chunk)
	s.owed, s.cutAt = b[split:], cut
}

// sendHeader writes a frame header whose payload never comes.
func (s *session) sendHeader(st Header) {
	h := frame.Header{Fin: st.Fin, Opcode: frame.Opcode(st.Opcode), Length: st.Length, Masked: s.role == ServerRole}
	if h.Masked {
		binary.LittleEndian.PutUint32(h.Key[:], s.rng.Uint32())
	}
	s.write(frame.AppendHeader(nil, h), 0)
	s.owedForever = true
}

// messageFrames builds the frames of a Message step.
func (s *session) messageFrames(m Message) []Frame {
	op := OpText
	if m.Binary {
		op = OpBinary
	}
	payload := m.Payload
	if m.Compress {
		if s.comp == nil {
			panic("conformance: Message.Compress without permessage-deflate")
		}
		if m.Final {
			payload = compressFinal(payload, s.agree.ourBits)
		} else {
			payload = s.comp.compress(payload)
		}
	}
	frames := fragments(op, payload, m.FrameSize)
	if m.Compress || m.Deflated {
		frames[0].RSV |= RSV1
	}
	if m.Tweak != nil {
		frames = m.Tweak(frames)
	}
	return frames
}

// write writes b in chunks of chunk bytes (all at once if 0), each chunk
// in its own write, so that the peer receives it in its own segment. The
// first error stops all further writes.
func (s *session) write(b []byte, chunk int) {
	if s.writeErr != nil {
		return
	}
	s.nc.SetWriteDeadline(s.deadline)
	for len(b) > 0 {
		n := len(b)
		if chunk > 0 && n > chunk {
			n = chunk
		}
		if _, err := s.nc.Write(b[:n]); err != nil {
			s.writeErr = err
			return
		}
		b = b[n:]
	}
}

// sendClose sends a close frame with code (none for NoStatus).
func (s *session) sendClose(code int) {
	f := Frame{Opcode: OpClose, Fin: true}
	if code != NoStatus {
		f.Payload = binary.BigEndian.AppendUint16(nil, uint16(code))
	}
	s.sendFrames([]Frame{f}, 0)
}

// finish ends the connection after the steps: it waits for the echoes,
// closes, answers the peer's close frame, and in the server role waits
// for the server to close the TCP connection.
func (s *session) finish(e *Expect) {
	failWait := s.opts.failWait()
	switch {
	case s.writeErr != nil:
		// The peer closed its side, or stopped reading: see what it sent.
		// Over HTTP/2 a write fails once the peer has reset the stream
		// (Go's server also resets it with NO_ERROR when its handler
		// returns before the request's body has ended).
		s.wait(time.Now().Add(failWait), (*observed).done)
	case len(e.Fail) > 0:
		s.wait(time.Now().Add(failWait), (*observed).done)
	case !s.sentClose:
		// Echoes may take long to come back; pongs, once the echoes are
		// there, not (and a peer may answer only the latest ping).
		s.wait(s.deadline, func(o *observed) bool { return len(o.messages) >= len(e.Messages) || o.done() })
		s.wait(time.Now().Add(failWait), func(o *observed) bool { return len(o.pongs) >= len(e.Pongs) || o.done() })
		if !s.peerDone() {
			s.sendClose(CloseNormal)
		}
	}
	if s.sentClose && s.writeErr == nil {
		s.wait(time.Now().Add(failWait), (*observed).done)
	}

	s.mu.Lock()
	o := s.obs
	s.mu.Unlock()
	if o.violation != "" || o.close == nil {
		return
	}
	if !s.sentClose {
		// The peer closed, or failed the connection: answer.
		if s.owedForever || len(s.owed) > maxOwed {
			return // the frame cannot be finished: drop the connection
		}
		s.sendClose(o.close.code)
		s.replied = true
	}
	if s.role == ServerRole && !o.ended {
		// RFC 6455 section 7.1.1: the server closes the TCP connection
		// first. Over HTTP/2 it ends its stream instead (RFC 8441
		// section 5): the response's END_STREAM, which the reader sees
		// as the end of the response body. The wait, and the grade of a
		// server that does not, are the same; how the stream ended is
		// judged in judgeStreamEnd.
		if !s.wait(time.Now().Add(failWait), func(o *observed) bool { return o.ended || o.violation != "" }) {
			s.peerEndLate = true
		}
	}
}

// equalEcho reports whether two messages are the same.
func equalEcho(a, b Echo) bool { return a.Binary == b.Binary && bytes.Equal(a.Payload, b.Payload) }
