package wsconn

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/frame"
	"github.com/wsconn/wsconn/iostream"
)

// The connection fuzz targets run a whole WebsocketConnection, client or
// server, with or without permessage-deflate, over an in-memory pipe. The
// fuzz input is what the peer sends; the peer reads and checks everything
// the connection writes, then ends its side of the stream. A connection
// echoes every message it gets, so that its writer runs alongside its
// reader; spare bits of the inputs (see fuzzPeer) make the peer read late,
// the connection send keepalive pings, close by itself after its first
// message, or receive with the pull API (Receive) instead of a handler.
// Every run checks that:
//
//   - nothing panics (a panic on a connection goroutine kills the process);
//   - the connection reaches StateClosed within fuzzWait once the input has
//     ended, and emits closed exactly once;
//   - no goroutine outlives it;
//   - it never stops reading while open (the peer's writes would hang);
//   - every frame it writes is well formed for its side: masked only by a
//     client, control frames final and short, RSV bits only those of the
//     negotiated extensions and only on the first frame of a message, no
//     continuation outside a message, nothing after its close frame, a close
//     frame with a sendable code and a UTF-8 reason; a frame cut short by
//     the end of the stream only when the connection ended abnormally;
//   - each pong answers a ping the peer sent, and there are no more pongs
//     than pings;
//   - each ProtocolError it reports carries 1002, 1007 or 1009; its close
//     code (CloseStatus().SentCode) is the first ProtocolError's code when
//     it failed the connection, the peer's code when it answered the peer's
//     close, its own when it closed by itself, 0 when it sent no close
//     frame, and the one on the wire;
//   - a delivered message is within the size limit, and text is UTF-8;
//   - the messages on the wire, reassembled and inflated (with the
//     negotiated context takeover), are the messages whose echo the
//     connection accepted, in order: all of them if its close frame went
//     out, a prefix if the stream ended first.
//
// Memory bounds are checked by the adversarial suite (adversarial_test.go),
// where they can be measured without other fuzz iterations running.

// Bits of the mode argument of the connection fuzz targets.
const (
	fuzzModeDeflate     = 1 << 0 // permessage-deflate is negotiated
	fuzzModeClientNoCtx = 1 << 1 // ... with client_no_context_takeover
	fuzzModeServerNoCtx = 1 << 2 // ... with server_no_context_takeover
	fuzzModeBitsShift   = 3      // 3 bits: an index into fuzzWindowBits
	fuzzModeFragments   = 1 << 6 // a fragment handler is connected too
	fuzzModeSmallLimits = 1 << 7 // tiny size limits, easy for inputs to exceed
)

// fuzzWindowBits are the max_window_bits the client asks for, both ways.
var fuzzWindowBits = [8]int{0, 8, 9, 10, 11, 12, 13, 15}

const (
	fuzzLimit        = 64 << 10 // frame and message limits
	fuzzSmallPayload = 300      // ... with fuzzModeSmallLimits
	fuzzSmallMessage = 700
	fuzzCloseTimeout = 250 * time.Millisecond
	fuzzWait         = 5 * time.Second // bounds every wait of a run
	fuzzMaxStream    = 1 << 20         // FuzzConnFrames writes at most this much
	fuzzPipeSize     = 4 << 10         // each way: the writer blocks often
	fuzzLateRead     = 10 * time.Millisecond
)

// fuzzPeer is how the peer and the application behave in a run.
type fuzzPeer struct {
	split      int  // the peer writes its input in pieces of split bytes (0: at once)
	late       bool // the peer reads only once it has written everything (or after fuzzLateRead)
	keepalive  bool // the connection sends a keepalive ping every millisecond
	localClose bool // the connection closes by itself (1001) after its first message
	pull       bool // messages are received with Receive instead of a handler
	polite     bool // the peer ends its input with a close frame (1000)
}

// Flags of the peer byte of FuzzConnFrames, and (shifted left by 10) of the
// split argument of FuzzConnServer and FuzzConnClient, whose low 9 bits
// give the piece size.
const (
	fuzzPeerLate       = 1 << 1
	fuzzPeerKeepalive  = 1 << 2
	fuzzPeerLocalClose = 1 << 3
	fuzzPeerPull       = 1 << 4
	fuzzPeerPolite     = 1 << 5
	fuzzSplitShift     = 10
)

func peerFlags(flags byte) fuzzPeer {
	return fuzzPeer{
		late:       flags&fuzzPeerLate != 0,
		keepalive:  flags&fuzzPeerKeepalive != 0,
		localClose: flags&fuzzPeerLocalClose != 0,
		pull:       flags&fuzzPeerPull != 0,
		polite:     flags&fuzzPeerPolite != 0,
	}
}

// splitPeer decodes the split argument: its low 9 bits select the piece
// size (0: none, else 1 to 512 bytes), bits 11 to 15 the peer flags.
func splitPeer(split uint16) fuzzPeer {
	p := peerFlags(byte(split >> fuzzSplitShift))
	if split&0x1ff != 0 {
		p.split = int(split&0x1ff%512) + 1
	}
	return p
}

// FuzzConnServer feeds arbitrary bytes to a server connection, as if from
// a client; split is decoded by splitPeer.
func FuzzConnServer(f *testing.F) {
	fuzzConnTarget(f, ConnectionServer)
}

// FuzzConnClient is FuzzConnServer for a client connection.
func FuzzConnClient(f *testing.F) {
	fuzzConnTarget(f, ConnectionClient)
}

func fuzzConnTarget(f *testing.F, typ ConnectionType) {
	for i, s := range connSeeds(typ == ConnectionServer) {
		f.Add(s.mode, uint16(0), s.data)
		f.Add(s.mode|fuzzModeDeflate, uint16(7), s.data)
		// Each seed once more with other peer flags and pieces.
		f.Add(s.mode, uint16(i%32)<<(fuzzSplitShift+1)|uint16(i%3), s.data)
		f.Add(s.mode|fuzzModeDeflate|byte(i%4)<<1, uint16(fuzzPeerPolite<<fuzzSplitShift), s.data)
	}
	f.Fuzz(func(t *testing.T, mode byte, split uint16, data []byte) {
		runFuzzConn(t, typ, mode, data, splitPeer(split))
	})
}

// FuzzConnFrames decodes its input into a sequence of frames (see
// fuzzFrames): opcodes, FIN and RSV bits, payloads, masked or not, bursts
// of up to 218 copies of a frame (such as pings), compressed payloads, and
// a last frame cut short. Bit 0 of peer picks the side under test (set:
// a client); its other bits are the fuzzPeer flags.
func FuzzConnFrames(f *testing.F) {
	for i, s := range frameSeeds() {
		for side := range byte(2) {
			f.Add(side, s.mode, s.data)
			f.Add(side|byte(i%32)<<1, s.mode, s.data)
			f.Add(side|fuzzPeerPolite, s.mode, s.data)
		}
	}
	f.Fuzz(func(t *testing.T, peer byte, mode byte, data []byte) {
		typ := ConnectionServer
		if peer&1 != 0 {
			typ = ConnectionClient
		}
		runFuzzConn(t, typ, mode, fuzzFrames(typ, data), peerFlags(peer))
	})
}

// fuzzExtensions returns the extensions that mode negotiates for a
// connection of type typ.
func fuzzExtensions(t *testing.T, typ ConnectionType, mode byte) []extensions.Extension {
	if mode&fuzzModeDeflate == 0 {
		return nil
	}
	bits := fuzzWindowBits[mode>>fuzzModeBitsShift&7]
	o := extensions.DeflateOptions{
		ClientNoContextTakeover: mode&fuzzModeClientNoCtx != 0,
		ServerNoContextTakeover: mode&fuzzModeServerNoCtx != 0,
		ClientMaxWindowBits:     bits,
		ServerMaxWindowBits:     bits,
	}
	cexts, sexts := negotiate(t, deflateReg(o), deflateReg(extensions.DeflateOptions{}))
	if len(cexts) != 1 || len(sexts) != 1 {
		t.Fatalf("permessage-deflate not negotiated with %+v", o)
	}
	if typ == ConnectionClient {
		return cexts
	}
	return sexts
}

// fuzzRecorder records what a fuzzed connection reports, without ever
// blocking its handlers.
type fuzzRecorder struct {
	mu       sync.Mutex
	errs     []error
	closedN  int
	closed   chan struct{}
	messages int
	echoed   []message // the messages SendMessage accepted, in order
	problems []string
}

func (r *fuzzRecorder) problem(format string, args ...any) {
	r.mu.Lock()
	if len(r.problems) < 10 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
	r.mu.Unlock()
}

// message checks and answers a message: it echoes it or, with
// localClose, closes the connection after the first one.
func (r *fuzzRecorder) message(c *WebsocketConnection, limit int64, localClose bool, typ DataType, data []byte) {
	r.mu.Lock()
	r.messages++
	n := r.messages
	r.mu.Unlock()
	switch {
	case typ != DataText && typ != DataBinary:
		r.problem("message of type %v", typ)
	case int64(len(data)) > limit:
		r.problem("message of %d bytes delivered, limit %d", len(data), limit)
	case typ == DataText && !utf8.Valid(data):
		r.problem("text message that is not UTF-8 delivered: %q", truncateForLog(data))
	}
	if localClose && n == 1 {
		if err := c.Close(CloseGoingAway, "bye"); err != nil {
			r.problem("Close: %v", err)
		}
		return
	}
	// Sends fail once the connection is closing, or with a full queue;
	// those that succeed must go out, in order.
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.SendMessage(typ, data) == nil {
		r.echoed = append(r.echoed, message{typ, data})
	}
}

// connect connects the recorder's handlers to c. Messages go to a handler
// unless p.pull is set; then the caller receives them.
func (r *fuzzRecorder) connect(c *WebsocketConnection, limit int64, fragments bool, p fuzzPeer) {
	c.Hold(func() {
		if !p.pull {
			c.OnMessage(func(typ DataType, data []byte) { r.message(c, limit, p.localClose, typ, data) })
		}
		if fragments {
			c.OnFragment(func(typ DataType, data []byte, fin bool) {
				if int64(len(data)) > limit {
					r.problem("fragment of %d bytes delivered, limit %d", len(data), limit)
				}
			})
		}
		c.OnError(func(err error) {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		})
		c.OnClosed(func() {
			r.mu.Lock()
			r.closedN++
			if r.closedN == 1 {
				close(r.closed)
			}
			r.mu.Unlock()
		})
	})
}

func truncateForLog(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// runFuzzConn runs a connection of type typ, fed input by its peer, to its
// end, and checks it as the comment at the top of this file says. The
// peer and the application behave as p says.
func runFuzzConn(t *testing.T, typ ConnectionType, mode byte, input []byte, p fuzzPeer) {
	base := runtime.NumGoroutine()
	exts := fuzzExtensions(t, typ, mode)
	payloadLimit, msgLimit := int64(fuzzLimit), int64(fuzzLimit)
	if mode&fuzzModeSmallLimits != 0 {
		payloadLimit, msgLimit = fuzzSmallPayload, fuzzSmallMessage
	}
	var rsv byte
	for _, e := range exts {
		rsv |= e.ReservedBits()
	}
	if p.polite {
		input = append(input[:len(input):len(input)], frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpClose,
			Masked: typ == ConnectionServer, Key: [4]byte{7, 7, 7, 7}}, closePayload(CloseNormal, "done"))...)
	}
	pings, npings := peerPings(input)

	opts := &Options{MaxIncomingPayloadSize: payloadLimit, MaxTotalMessageSize: msgLimit, CloseTimeout: fuzzCloseTimeout}
	if p.keepalive {
		opts.KeepaliveInterval = time.Millisecond
	}
	a, b := iostream.PipeSize(fuzzPipeSize)
	c := NewWebsocketConnection(a, testURI, typ, "", "", exts, opts)
	rec := &fuzzRecorder{closed: make(chan struct{})}
	rec.connect(c, msgLimit, mode&fuzzModeFragments != 0, p)
	pulled := make(chan struct{})
	if p.pull {
		go func() {
			defer close(pulled)
			ctx, cancel := context.WithTimeout(context.Background(), 2*fuzzWait)
			defer cancel()
			for {
				typ, data, err := c.Receive(ctx)
				if err != nil {
					if ctx.Err() != nil {
						rec.problem("Receive did not end with the connection: %v", err)
					}
					return
				}
				rec.message(c, msgLimit, p.localClose, typ, data)
			}
		}()
	} else {
		close(pulled)
	}

	wire := make(chan wireReport, 1)
	fed := make(chan struct{})
	go func() {
		if p.late {
			select {
			case <-fed:
			case <-time.After(fuzzLateRead):
			}
		}
		wire <- checkWire(b, typ == ConnectionClient, rsv, pings, p.keepalive)
	}()

	b.SetWriteDeadline(time.Now().Add(fuzzWait))
	werr := feed(b, input, p.split)
	close(fed)
	b.CloseWrite()

	select {
	case <-rec.closed:
	case <-time.After(fuzzWait):
		state, status := c.State(), c.CloseStatus()
		c.Abort()
		b.Close()
		<-wire
		t.Fatalf("%v connection not closed %v after its input ended: state %v, status %+v, errors %v",
			typ, fuzzWait, state, status, rec.errorList())
	}
	var rep wireReport
	select {
	case rep = <-wire:
	case <-time.After(fuzzWait):
		b.Close()
		<-wire
		t.Fatalf("%v connection closed but its stream was not: the peer reads on", typ)
	}
	b.Close()
	select {
	case <-pulled:
	case <-time.After(2 * fuzzWait):
		t.Fatalf("%v connection: Receive still blocked %v after the connection closed", typ, 2*fuzzWait)
	}
	waitGoroutines(t, base)

	if errors.Is(werr, os.ErrDeadlineExceeded) {
		t.Errorf("%v connection stopped reading while open: the peer's write blocked %v", typ, fuzzWait)
	}
	if rep.problem != "" {
		t.Errorf("%v connection wrote: %s", typ, rep.problem)
	}
	if rep.pongs > npings {
		t.Errorf("%v connection wrote %d pongs for %d pings", typ, rep.pongs, npings)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, p := range rec.problems {
		t.Errorf("%v connection: %s", typ, p)
	}
	if rec.closedN != 1 {
		t.Errorf("%v connection: closed emitted %d times", typ, rec.closedN)
	}
	if s := c.State(); s != StateClosed {
		t.Errorf("%v connection: state %v after closed", typ, s)
	}
	var first *ProtocolError
	for _, err := range rec.errs {
		var perr *ProtocolError
		if !errors.As(err, &perr) {
			continue
		}
		if first == nil {
			first = perr
		}
		switch perr.Code {
		case CloseProtocolError, CloseInvalidPayload, CloseMessageTooBig:
		default:
			t.Errorf("%v connection: protocol error with close code %v: %v", typ, perr.Code, err)
		}
	}
	st := c.CloseStatus()
	if st.SentCode != 0 && st.SentCode != CloseNoStatus && !st.SentCode.sendable() {
		t.Errorf("%v connection: sent close code %v, which may not be sent", typ, st.SentCode)
	}
	switch {
	case st.Remote:
		if st.SentCode != st.Code {
			t.Errorf("%v connection: answered the peer's close %v with %v", typ, st.Code, st.SentCode)
		}
	case p.localClose && st.SentCode == CloseGoingAway:
		// It closed by itself, perhaps before failing.
	case first != nil:
		if st.SentCode != first.Code {
			t.Errorf("%v connection: failed with %v (%v) but sent close code %v", typ, first.Code, first, st.SentCode)
		}
	case st.SentCode != 0:
		t.Errorf("%v connection: sent close code %v with neither a peer's close nor a protocol error (errors %v)",
			typ, st.SentCode, rec.errs)
	}
	if err := checkEchoes(rep.messages, rec.echoed, fuzzOutNoContext(typ, mode)); err != nil {
		t.Errorf("%v connection: %v", typ, err)
	}
	if rep.closeSeen && len(rep.messages) != len(rec.echoed) {
		// Sends are refused once closing starts, and the close frame
		// goes after what was queued.
		t.Errorf("%v connection: %d messages before its close frame, %d echoes accepted (status %+v, errors %v, mode %v)", typ, len(rep.messages), len(rec.echoed), st, rec.errs, mode)
	}
	if rep.cut && st.Clean {
		t.Errorf("%v connection: a frame cut short, yet the close was clean (%+v)", typ, st)
	}
	if rep.closeSeen && rep.closeCode != st.SentCode {
		t.Errorf("%v connection: close code %v on the wire, %v in CloseStatus", typ, rep.closeCode, st.SentCode)
	}
}

func (r *fuzzRecorder) errorList() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// feed writes input to w, in pieces of split bytes if split > 0.
func feed(w net.Conn, input []byte, split int) error {
	if split <= 0 {
		_, err := w.Write(input)
		return err
	}
	for len(input) > 0 {
		n := min(split, len(input))
		if _, err := w.Write(input[:n]); err != nil {
			return err
		}
		input = input[n:]
	}
	return nil
}

// waitGoroutines waits until no more than base goroutines are left.
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(fuzzWait)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines left, %d before the connection:\n%s", runtime.NumGoroutine(), base, buf)
		}
		time.Sleep(time.Millisecond)
	}
}

// peerPings returns the payloads of the pings in a peer's byte stream, as
// far as it parses, and how many there are.
func peerPings(input []byte) (map[string]bool, int) {
	pings := make(map[string]bool)
	n := 0
	r := bytes.NewReader(input)
	for {
		h, p, err := frame.ReadFrame(r, int64(len(input)))
		if err != nil {
			return pings, n
		}
		if h.Opcode == frame.OpPing && len(p) <= frame.MaxControlPayload {
			pings[string(p)] = true
			n++
		}
	}
}

// wireReport is what checkWire saw of a connection's output.
type wireReport struct {
	frames    int
	pongs     int
	closeSeen bool
	closeCode CloseCode // CloseNoStatus for a close frame without a code
	cut       bool      // the stream ended inside a frame
	problem   string    // the first rule broken, if any
	messages  []wireMessage
}

// wireMessage is a whole data message as the connection sent it.
type wireMessage struct {
	typ        DataType
	compressed bool // RSV1 on its first frame
	payload    []byte
}

// fuzzOutNoContext tells whether a connection of type typ compresses each
// message on its own under mode.
func fuzzOutNoContext(typ ConnectionType, mode byte) bool {
	if typ == ConnectionClient {
		return mode&fuzzModeClientNoCtx != 0
	}
	return mode&fuzzModeServerNoCtx != 0
}

// checkEchoes checks that the messages on the wire, inflated where
// compressed, are the first len(wire) messages of echoed.
func checkEchoes(wire []wireMessage, echoed []message, noContext bool) error {
	if len(wire) > len(echoed) {
		return fmt.Errorf("%d messages on the wire, %d echoed", len(wire), len(echoed))
	}
	var dict []byte // what the peer's inflater keeps across messages
	for i, m := range wire {
		payload := m.payload
		if m.compressed {
			if noContext {
				dict = nil
			}
			fr := flate.NewReaderDict(io.MultiReader(bytes.NewReader(m.payload),
				bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})), dict)
			var err error
			payload, err = io.ReadAll(fr)
			if err != nil {
				return fmt.Errorf("message %d on the wire does not inflate: %v", i, err)
			}
			dict = append(dict, payload...)
			if len(dict) > 32<<10 {
				dict = append([]byte(nil), dict[len(dict)-32<<10:]...)
			}
		}
		if m.typ != echoed[i].typ || !bytes.Equal(payload, echoed[i].data) {
			return fmt.Errorf("message %d on the wire is %v %q (compressed: %v), the echo was %v %q",
				i, m.typ, truncateForLog(payload), m.compressed, echoed[i].typ, truncateForLog(echoed[i].data))
		}
	}
	return nil
}

// checkWire reads the frames a connection writes until its stream ends,
// and checks them (see the comment at the top of this file). masked tells
// whether they must be masked (a client's); rsv holds the RSV bits of the
// negotiated extensions; pings are the payloads the peer sent in pings;
// keepalive allows pings.
func checkWire(r io.Reader, masked bool, rsv byte, pings map[string]bool, keepalive bool) wireReport {
	br := bufio.NewReader(r)
	var rep wireReport
	fail := func(format string, args ...any) {
		if rep.problem == "" {
			rep.problem = fmt.Sprintf("frame %d: ", rep.frames) + fmt.Sprintf(format, args...)
		}
	}
	inMessage := false
	var cur wireMessage
	for {
		h, p, err := frame.ReadFrame(br, 16<<20)
		if err != nil {
			switch {
			case err == io.EOF:
			case err == io.ErrUnexpectedEOF && !rep.closeSeen:
				// The stream was closed during a write: fine when
				// the connection was aborted (checked by the caller).
				rep.cut = true
			default:
				fail("unreadable: %v", err)
			}
			io.Copy(io.Discard, br)
			return rep
		}
		rep.frames++
		if rep.closeSeen {
			fail("%v frame after the close frame", h.Opcode)
		}
		if h.Masked != masked {
			fail("masked=%v, want %v", h.Masked, masked)
		}
		if h.RSV&^rsv != 0 {
			fail("RSV bits %#x, negotiated %#x", h.RSV, rsv)
		}
		switch {
		case h.Opcode.IsReserved():
			fail("reserved opcode %v", h.Opcode)
		case h.Opcode.IsControl():
			if !h.Fin || len(p) > frame.MaxControlPayload || h.RSV != 0 {
				fail("bad control frame: %+v", h)
			}
			switch h.Opcode {
			case frame.OpPong:
				rep.pongs++
				if !pings[string(p)] {
					fail("pong %q answers no ping of the peer", truncateForLog(p))
				}
			case frame.OpPing:
				if !keepalive {
					fail("ping without keepalive")
				}
			case frame.OpClose:
				rep.closeSeen = true
				switch {
				case len(p) == 0:
					rep.closeCode = CloseNoStatus
				case len(p) == 1:
					fail("close frame with a 1-byte payload")
				default:
					rep.closeCode = CloseCode(binary.BigEndian.Uint16(p))
					if !rep.closeCode.sendable() {
						fail("close code %v", rep.closeCode)
					}
					if !utf8.Valid(p[2:]) {
						fail("close reason %q is not UTF-8", p[2:])
					}
				}
			}
		case h.Opcode == frame.OpContinuation:
			if !inMessage {
				fail("continuation frame outside a message")
			}
			if h.RSV != 0 {
				fail("RSV bits on a continuation frame")
			}
			inMessage = !h.Fin
			cur.payload = append(cur.payload, p...)
		default:
			if inMessage {
				fail("%v frame inside a fragmented message", h.Opcode)
			}
			if h.Opcode == frame.OpText && h.Fin && h.RSV == 0 && !utf8.Valid(p) {
				fail("text frame that is not UTF-8")
			}
			inMessage = !h.Fin
			cur = wireMessage{typ: DataType(h.Opcode), compressed: h.RSV&frame.RSV1 != 0, payload: append([]byte(nil), p...)}
		}
		if !h.Opcode.IsControl() && h.Fin {
			rep.messages = append(rep.messages, cur)
			cur = wireMessage{}
		}
	}
}

// fuzzFrames turns data into the byte stream of a sequence of frames that
// a peer sends to a connection of type typ. Each frame is coded as:
//
//	b0: bits 0-3 opcode, bit 4 not FIN, bit 5 RSV1, bit 6 the wrong
//	    masking for the peer's side, bit 7 an extension byte follows
//	b1 (if bit 7): bit 0 RSV2, bit 1 RSV3, bit 2 the payload is compressed
//	    (raw DEFLATE, RSV1 set), bits 3-7 r: the frame is sent 1+7r times
//	L: below 200, the payload is the next L bytes of data (if data ends
//	    first, the frame is sent with the announced length and what there
//	    is: the stream ends inside it); from 200, it is (L-199)*1337 bytes
//	    repeating the next (up to 16) bytes of data
//
// The stream is cut at about fuzzMaxStream bytes.
func fuzzFrames(typ ConnectionType, data []byte) []byte {
	var out []byte
	next := func() (byte, bool) {
		if len(data) == 0 {
			return 0, false
		}
		b := data[0]
		data = data[1:]
		return b, true
	}
	for i := 0; len(data) > 0 && len(out) < fuzzMaxStream; i++ {
		b0, _ := next()
		h := frame.Header{Opcode: frame.Opcode(b0 & 0x0f), Fin: b0&0x10 == 0, Masked: typ == ConnectionServer}
		if b0&0x20 != 0 {
			h.RSV |= frame.RSV1
		}
		if b0&0x40 != 0 {
			h.Masked = !h.Masked
		}
		if h.Masked {
			h.Key = [4]byte{byte(i), 0x5a, byte(i >> 8), 0xa5}
		}
		repeat, compress := 1, false
		if b0&0x80 != 0 {
			if b1, ok := next(); ok {
				if b1&1 != 0 {
					h.RSV |= frame.RSV2
				}
				if b1&2 != 0 {
					h.RSV |= frame.RSV3
				}
				compress = b1&4 != 0
				repeat = 1 + int(b1>>3)*7
			}
		}
		var payload []byte
		short := 0 // bytes announced and never sent
		if l, ok := next(); ok {
			if l < 200 {
				n := min(int(l), len(data))
				payload, data = data[:n], data[n:]
				short = int(l) - n
			} else {
				k := min(16, len(data))
				payload = fillPattern((int(l)-199)*1337, data[:k])
				data = data[k:]
			}
		}
		if compress {
			payload = fuzzDeflate(payload)
			h.RSV |= frame.RSV1
		}
		if short > 0 {
			h.Length = int64(len(payload) + short)
			out = frame.AppendHeader(out, h)
			start := len(out)
			out = append(out, payload...)
			if h.Masked {
				frame.Mask(h.Key, 0, out[start:])
			}
			return out
		}
		for r := 0; r < repeat && len(out) < fuzzMaxStream; r++ {
			out = frame.AppendFrame(out, h, payload)
		}
	}
	return out
}

// fillPattern returns n bytes repeating pat (zeros if pat is empty).
func fillPattern(n int, pat []byte) []byte {
	b := make([]byte, n)
	if len(pat) > 0 {
		for i := 0; i < n; i += copy(b[i:], pat) {
		}
	}
	return b
}

var fuzzFlateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// fuzzDeflate compresses p as permessage-deflate sends a message: raw
// DEFLATE, sync-flushed, without the final 00 00 ff ff.
func fuzzDeflate(p []byte) []byte {
	var buf bytes.Buffer
	w := fuzzFlateWriters.Get().(*flate.Writer)
	defer fuzzFlateWriters.Put(w)
	w.Reset(&buf)
	w.Write(p)
	w.Flush()
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

type connSeed struct {
	mode byte
	data []byte
}

// connSeeds returns byte streams that a peer sends to a server (toServer)
// or to a client: ordinary traffic and the violations of
// TestBadInputFailsWithRightCode.
func connSeeds(toServer bool) []connSeed {
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	fr := func(h frame.Header, p []byte) []byte {
		if toServer {
			h.Masked, h.Key = true, key
		}
		return frame.AppendFrame(nil, h, p)
	}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	txt := func(fin bool, s string) []byte { return fr(frame.Header{Fin: fin, Opcode: frame.OpText}, []byte(s)) }
	cont := func(fin bool, s string) []byte {
		return fr(frame.Header{Fin: fin, Opcode: frame.OpContinuation}, []byte(s))
	}
	ctl := func(op frame.Opcode, p []byte) []byte { return fr(frame.Header{Fin: true, Opcode: op}, p) }
	pings := func(n int) []byte {
		var b []byte
		for i := range n {
			b = append(b, ctl(frame.OpPing, fmt.Appendf(nil, "ping %d", i))...)
		}
		return b
	}
	compressed := fr(frame.Header{Fin: true, Opcode: frame.OpText, RSV: frame.RSV1},
		fuzzDeflate([]byte(strings.Repeat("Hello, Hello! ", 20))))
	huge := []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0} // announces 64 KiB + ...
	overflow := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
	if toServer {
		huge[1] |= 0x80
		huge = append(huge, key[:]...)
		overflow[1] |= 0x80
		overflow = append(overflow, key[:]...)
	}
	seeds := [][]byte{
		{},
		txt(true, "Hello"),
		join(txt(true, "one"), fr(frame.Header{Fin: true, Opcode: frame.OpBinary}, []byte{0, 1, 2}), ctl(frame.OpClose, closePayload(1000, "bye"))),
		join(txt(false, "frag"), ctl(frame.OpPing, []byte("between")), cont(false, "men"), cont(true, "ted")),
		join(ctl(frame.OpPing, []byte("p")), ctl(frame.OpPong, []byte("unsolicited")), ctl(frame.OpClose, nil)),
		pings(40),
		join(pings(200), txt(true, "after")),
		join(pings(3), ctl(frame.OpClose, closePayload(1001, "going")), pings(3), ctl(frame.OpClose, closePayload(1000, ""))),
		compressed,
		join(compressed, compressed),
		fr(frame.Header{Fin: true, Opcode: frame.OpText, RSV: frame.RSV1}, []byte{0xff, 0xfe, 0xfd}),
		txt(true, "ok \xff"),
		join(txt(false, "ab\xe2\x82"), cont(true, "")),
		ctl(frame.OpClose, []byte{3}),
		ctl(frame.OpClose, closePayload(999, "")),
		ctl(frame.OpClose, closePayload(1000, "\xff\xfe")),
		fr(frame.Header{Fin: true, Opcode: 3}, nil),
		fr(frame.Header{Fin: false, Opcode: frame.OpPing}, nil),
		fr(frame.Header{Fin: true, Opcode: frame.OpPing}, make([]byte, 126)),
		cont(true, "x"),
		join(txt(false, "a"), txt(true, "b")),
		fr(frame.Header{Fin: true, Opcode: frame.OpBinary}, make([]byte, fuzzSmallPayload+1)),
		join(fr(frame.Header{Opcode: frame.OpBinary}, make([]byte, 400)), cont(false, strings.Repeat("x", 250)), cont(true, strings.Repeat("y", 250))),
		huge,
		overflow,
		frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpText, Masked: !toServer, Key: key}, []byte("wrong mask")),
		txt(true, "cut")[:4],
	}
	var out []connSeed
	for _, s := range seeds {
		out = append(out, connSeed{0, s}, connSeed{fuzzModeSmallLimits | fuzzModeFragments, s})
	}
	return out
}

// frameSeeds returns inputs of FuzzConnFrames (coded as fuzzFrames says).
func frameSeeds() []connSeed {
	// f codes one frame: op, FIN, then options.
	type opt struct {
		rsv1, wrongMask, compress bool
		repeat                    int // 1+7r copies
		fillLen                   int // L >= 200
	}
	f := func(op frame.Opcode, fin bool, o opt, payload string) []byte {
		b0 := byte(op)
		if !fin {
			b0 |= 0x10
		}
		if o.rsv1 {
			b0 |= 0x20
		}
		if o.wrongMask {
			b0 |= 0x40
		}
		var b []byte
		if o.compress || o.repeat > 0 {
			b0 |= 0x80
			b1 := byte(o.repeat << 3)
			if o.compress {
				b1 |= 4
			}
			b = []byte{b0, b1}
		} else {
			b = []byte{b0}
		}
		if o.fillLen > 0 {
			return append(append(b, byte(o.fillLen)), payload...)
		}
		return append(append(b, byte(len(payload))), payload...)
	}
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	none := opt{}
	text, bin, cont := frame.OpText, frame.OpBinary, frame.OpContinuation
	ping, pong, cls := frame.OpPing, frame.OpPong, frame.OpClose
	closeBye := string(closePayload(1000, "bye"))
	seeds := []connSeed{
		{0, f(text, true, none, "Hello")},
		{0, join(f(bin, false, none, "ab"), f(ping, true, none, "x"), f(cont, true, none, "cd"))},
		{0, f(ping, true, opt{repeat: 28}, "burst")},
		{0, f(ping, true, opt{repeat: 28}, strings.Repeat("long ping ", 12))},
		{0, join(f(ping, true, opt{repeat: 5}, "b"), f(text, true, none, "after"))},
		{0, join(f(cls, true, none, closeBye), f(text, true, none, "late"), f(cls, true, opt{repeat: 10}, closeBye))},
		{fuzzModeDeflate, f(text, true, opt{compress: true}, "Hello Hello Hello Hello")},
		{fuzzModeDeflate | fuzzModeClientNoCtx | fuzzModeServerNoCtx | 2<<fuzzModeBitsShift,
			join(f(text, true, opt{compress: true}, "one one one"), f(bin, true, opt{compress: true, repeat: 3}, "two two"))},
		{fuzzModeDeflate, join(f(text, false, opt{compress: true}, "half"), f(cont, true, none, "rest"))},
		{fuzzModeDeflate, f(bin, true, opt{compress: true, fillLen: 255}, "\x00")},
		{0, f(bin, true, opt{fillLen: 250}, "0123456789abcdef")},
		{fuzzModeSmallLimits, join(f(bin, false, none, strings.Repeat("a", 199)), f(cont, false, none, strings.Repeat("b", 199)),
			f(cont, false, none, strings.Repeat("c", 199)), f(cont, true, none, strings.Repeat("d", 199)))},
		{fuzzModeFragments, join(f(text, false, none, "fr"), f(cont, false, none, "ag"), f(cont, true, none, "ments"))},
		{0, append(f(bin, true, none, "")[:1], 100, 'x')}, // announces 100 bytes, sends 1
		{0, f(text, true, opt{wrongMask: true}, "mask")},
		{0, f(text, true, opt{rsv1: true}, "rsv")},
		{0, f(3, true, none, "")},
		{0, f(text, true, none, "\xed\xa0\x80")},
		{0, f(cls, true, none, string(closePayload(999, "")))},
		{0, f(cls, true, none, "\x03")},
		{0, join(f(pong, true, none, "unasked"), f(ping, false, none, ""))},
	}
	return seeds
}
