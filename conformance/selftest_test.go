package conformance

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsconn/wsconn/internal/frame"
)

// The tests in this file check the suite itself: that it grades faults
// of a peer as it should. The peer is a small echo server with switchable
// faults.

// faults are the ways the test server misbehaves.
type faults struct {
	lateUTF8      bool // check UTF-8 only at the end of a message
	utf8Code      int  // close code for invalid UTF-8, 0 for 1007
	neverFail     bool // ignore protocol errors
	maskFrames    bool // mask its frames, which a server must not
	dropOnFail    bool // fail without a close frame
	keepTCP       bool // do not close the TCP connection after the closing handshake
	corruptEcho   bool // change the first byte of each echo
	noDeflate     bool // decline permessage-deflate
	deflateBits   int  // compress with this window, whatever was negotiated
	dropEchoes    bool // drop pending echoes when failing
	secondPongs   bool // answer only every second ping
	unsolicited   bool // send an unsolicited ping at the start
	closeByItself bool // close the connection instead of echoing
	resetStream   bool // over HTTP/2: reset the stream after the closing handshake
}

// testServer is the echo server with faults.
type testServer struct {
	ln net.Listener
	f  faults
	wg sync.WaitGroup
}

func startTestServer(t *testing.T, f faults) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{ln: ln, f: f}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return "ws://" + ln.Addr().String() + "/"
}

func (s *testServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(10 * time.Second))
			s.serve(nc)
		}()
	}
}

// testConn is one connection of the test server.
type testConn struct {
	nc   io.Writer
	br   *bufio.Reader
	f    *faults
	comp *compressor
	inf  *inflater
}

func (s *testServer) serve(nc net.Conn) {
	up, err := readUpgrade(nc)
	if err != nil {
		return
	}
	c := &testConn{nc: nc, br: up.br, f: &s.f}
	if up.accept(nc, c.negotiate(up.exts)) != nil {
		return
	}
	c.run()
}

// negotiate grants the first valid offer of permessage-deflate, unless
// the faults decline it, and returns the Sec-WebSocket-Extensions answer.
func (c *testConn) negotiate(exts []extension) string {
	answer := ""
	if !c.f.noDeflate {
		for _, e := range exts {
			if e.name != deflateToken {
				continue
			}
			o, err := checkDeflateParams(e.params, true)
			if err != nil {
				continue
			}
			// Grant the offer as it is.
			d := Deflate{ServerMaxWindowBits: o.serverBits, ClientMaxWindowBits: o.clientBits,
				ClientNoContextTakeover: o.clientNoCtx, ServerNoContextTakeover: o.serverNoCtx}
			var a agreement
			answer, a, _ = d.answerOffers([]extension{e})
			bits := a.ourBits
			if c.f.deflateBits != 0 {
				bits = c.f.deflateBits
			}
			c.comp = newCompressor(bits, a.ourTakeover)
			c.inf = newInflater(a.peerBits, a.peerTakeover)
			break
		}
	}
	return answer
}

func (c *testConn) send(op byte, payload []byte, rsv byte) {
	h := frame.Header{Fin: true, RSV: rsv, Opcode: frame.Opcode(op), Masked: c.f.maskFrames, Key: [4]byte{1, 2, 3, 4}}
	c.nc.Write(frame.AppendFrame(nil, h, payload))
}

// fail fails the connection with code, then waits for the client's close
// frame.
func (c *testConn) fail(code int) {
	if c.f.dropOnFail {
		return
	}
	c.send(OpClose, binary.BigEndian.AppendUint16(nil, uint16(code)), 0)
	for {
		h, _, err := frame.ReadFrame(c.br, 1<<26)
		if err != nil || h.Opcode == frame.OpClose {
			return
		}
	}
}

func (c *testConn) run() {
	var msg []byte
	var msgOp frame.Opcode
	var msgRSV byte
	pings := 0
	if c.f.unsolicited {
		c.send(OpPing, []byte("keepalive"), 0)
	}
	for {
		h, p, err := frame.ReadFrame(c.br, 1<<26)
		if err != nil {
			return
		}
		protocolError := h.Opcode.IsReserved() || h.RSV&^RSV1 != 0 || h.RSV != 0 && c.comp == nil ||
			h.Opcode.IsControl() && (!h.Fin || h.Length > 125 || h.RSV != 0) ||
			h.Opcode == frame.OpContinuation && (msgOp == 0 || h.RSV != 0) ||
			(h.Opcode == frame.OpText || h.Opcode == frame.OpBinary) && msgOp != 0
		if protocolError {
			if c.f.neverFail {
				continue
			}
			c.fail(CloseProtocolError)
			return
		}
		switch h.Opcode {
		case frame.OpPing:
			if pings++; !c.f.secondPongs || pings%2 == 0 {
				c.send(OpPong, p, 0)
			}
			continue
		case frame.OpPong:
			continue
		case frame.OpClose:
			if len(p) == 1 || len(p) >= 2 && !validCloseCode(int(binary.BigEndian.Uint16(p))) {
				c.fail(CloseProtocolError)
				return
			}
			if len(p) >= 2 && !validUTF8(p[2:]) {
				c.failUTF8()
				return
			}
			c.send(OpClose, p, 0)
			if c.f.keepTCP {
				frame.ReadFrame(c.br, 1<<26) // until the client gives up
			}
			return
		case frame.OpText, frame.OpBinary:
			msgOp, msgRSV, msg = h.Opcode, h.RSV, nil
		}
		msg = append(msg, p...)
		if msgOp == frame.OpText && msgRSV == 0 && !c.f.lateUTF8 && invalidAt(msg) >= 0 {
			c.failUTF8()
			return
		}
		if !h.Fin {
			continue
		}
		if msgRSV != 0 {
			if msg, err = c.inf.Inflate(msg, 1<<26); err != nil {
				c.fail(CloseInvalidData)
				return
			}
		}
		if msgOp == frame.OpText && !validUTF8(msg) {
			c.failUTF8()
			return
		}
		if c.f.closeByItself {
			c.fail(CloseNormal)
			return
		}
		echo := append([]byte(nil), msg...)
		if c.f.corruptEcho && len(echo) > 0 {
			echo[0] ^= 0x20
		}
		op := byte(msgOp)
		msgOp = 0
		if c.f.dropEchoes {
			continue // never sent: the faulty server drops its echoes
		}
		if c.comp != nil {
			c.send(op, c.comp.compress(echo), RSV1)
		} else {
			c.send(op, echo, 0)
		}
	}
}

func (c *testConn) failUTF8() {
	code := c.f.utf8Code
	if code == 0 {
		code = CloseInvalidData
	}
	c.fail(code)
}

// runAgainst runs the cases whose IDs are given against a test server
// with faults f, and returns their results by ID.
func runAgainst(t *testing.T, f faults, ids ...string) map[string]Result {
	t.Helper()
	return runCases(t, &FuzzingClient{URL: startTestServer(t, f)}, ids...)
}

// runCases runs the cases whose IDs are given with fc, with short waits,
// and returns their results by ID.
func runCases(t *testing.T, fc *FuzzingClient, ids ...string) map[string]Result {
	t.Helper()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	fc.Options = Options{
		FailWait: 300 * time.Millisecond,
		Timeout:  3 * time.Second, // a peer that never echoes costs this
		Match:    func(id string) bool { return want[id] },
	}
	rs, err := fc.Run(context.Background(), Cases())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range rs {
		got[r.ID] = r
	}
	for _, id := range ids {
		if _, ok := got[id]; !ok {
			t.Fatalf("case %s did not run", id)
		}
	}
	return got
}

// expectGrades checks the grades of results, and that the detail of each
// result that is not OK mentions a word.
func expectGrades(t *testing.T, got map[string]Result, want map[string]Grade, words map[string]string) {
	t.Helper()
	for id, g := range want {
		r := got[id]
		if r.Grade != g {
			t.Errorf("case %s (%s): %s: %s; want %s", id, r.Description, r.Grade, r.Detail, g)
		}
		if w := words[id]; w != "" && !strings.Contains(r.Detail, w) {
			t.Errorf("case %s: detail %q does not mention %q", id, r.Detail, w)
		}
	}
}

func TestGradesGoodServer(t *testing.T) {
	ids := []string{"1.1.2", "1.3.5", "2.4", "2.5", "2.10", "3.1", "4.1.1", "5.6", "5.9", "6.4.1", "6.24.1", "7.3.1", "7.7.1", "7.9.3", "12.5.4", "13.1.1", "13.4.20"}
	want := map[string]Grade{}
	for _, id := range ids {
		want[id] = OK
	}
	expectGrades(t, runAgainst(t, faults{}, ids...), want, nil)
}

func TestGradesFaults(t *testing.T) {
	tests := []struct {
		name  string
		f     faults
		want  map[string]Grade
		words map[string]string
	}{
		{"late UTF-8", faults{lateUTF8: true},
			map[string]Grade{"6.3.1": OK, "6.4.1": NonStrict, "6.24.1": NonStrict},
			map[string]string{"6.4.1": "fail fast"}},
		{"wrong UTF-8 code", faults{utf8Code: CloseProtocolError},
			map[string]Grade{"6.3.1": Failed, "7.5.1": NonStrict},
			map[string]string{"6.3.1": "1002"}},
		{"never fails", faults{neverFail: true},
			map[string]Grade{"4.1.1": Failed, "1.1.2": OK},
			map[string]string{"4.1.1": "did not fail"}},
		{"masked frames", faults{maskFrames: true},
			map[string]Grade{"1.1.2": Failed},
			map[string]string{"1.1.2": "masked"}},
		{"drops the connection", faults{dropOnFail: true},
			map[string]Grade{"4.1.1": NonStrict},
			map[string]string{"4.1.1": "without a close frame"}},
		{"keeps TCP open", faults{keepTCP: true},
			map[string]Grade{"1.1.2": NonStrict},
			map[string]string{"1.1.2": "TCP"}},
		{"corrupt echo", faults{corruptEcho: true},
			map[string]Grade{"1.1.2": Failed, "13.1.1": Failed},
			map[string]string{"1.1.2": "echo 1"}},
		{"no deflate", faults{noDeflate: true},
			map[string]Grade{"12.1.1": Unimplemented, "1.1.2": OK}, nil},
		{"window too large", faults{deflateBits: 15},
			map[string]Grade{"13.1.1": Failed, "13.1.49": OK},
			map[string]string{"13.1.1": "window"}},
		{"drops echoes when failing", faults{dropEchoes: true},
			map[string]Grade{"3.2": NonStrict, "1.1.2": Failed}, nil},
		{"answers every second ping", faults{secondPongs: true},
			map[string]Grade{"2.10": NonStrict, "2.13": Failed}, nil},
		{"closes by itself", faults{closeByItself: true},
			map[string]Grade{"1.1.2": Failed},
			map[string]string{"1.1.2": "by itself"}},
		{"unsolicited ping", faults{unsolicited: true},
			map[string]Grade{"1.1.2": OK}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			for id := range tt.want {
				ids = append(ids, id)
			}
			expectGrades(t, runAgainst(t, tt.f, ids...), tt.want, tt.words)
		})
	}
}

// A server that is not there fails every case, quickly.
func TestGradesNoServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + ln.Addr().String() + "/"
	ln.Close()
	fc := &FuzzingClient{URL: url, Options: Options{Match: func(id string) bool { return id == "1.1.1" }}}
	rs, err := fc.Run(context.Background(), Cases())
	if err != nil || len(rs) != 1 || rs[0].Grade != Failed || !strings.Contains(rs[0].Detail, "handshake") {
		t.Errorf("Run = %+v, %v; want one FAILED handshake", rs, err)
	}
}

// Run stops when its context is done.
func TestRunCanceled(t *testing.T) {
	url := startTestServer(t, faults{})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	fc := &FuzzingClient{URL: url, Options: Options{Progress: func(Result) {
		if n++; n == 3 {
			cancel()
		}
	}}}
	rs, err := fc.Run(ctx, Cases())
	if !errors.Is(err, context.Canceled) || len(rs) != 3 {
		t.Errorf("Run after cancel: %d results, %v; want 3 and context.Canceled", len(rs), err)
	}
}
