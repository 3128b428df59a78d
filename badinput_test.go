package wsconn

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/internal/frame"
)

// TestBadInputFailsWithRightCode feeds each kind of protocol violation to a
// connection and checks what the peer and the user see: a close frame with
// the right code, an error of the right kind, then closed, once.
func TestBadInputFailsWithRightCode(t *testing.T) {
	text := func(fin bool, p string) func(*rawPeer) {
		return func(r *rawPeer) { r.send(frame.Header{Fin: fin, Opcode: frame.OpText}, []byte(p)) }
	}
	cont := func(fin bool, p string) func(*rawPeer) {
		return func(r *rawPeer) { r.send(frame.Header{Fin: fin, Opcode: frame.OpContinuation}, []byte(p)) }
	}
	hdr := func(h frame.Header, p []byte) func(*rawPeer) {
		return func(r *rawPeer) { r.send(h, p) }
	}
	tests := []struct {
		name   string
		side   ConnectionType // the side under test; 0 means both
		opts   *Options
		frames []func(*rawPeer)
		code   CloseCode
		err    error
	}{
		{name: "rsv1 without extension", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpText}, []byte("x"))}, code: 1002, err: ErrProtocol},
		{name: "rsv2", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, RSV: frame.RSV2, Opcode: frame.OpBinary}, nil)}, code: 1002, err: ErrProtocol},
		{name: "rsv3 on ping", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, RSV: frame.RSV3, Opcode: frame.OpPing}, nil)}, code: 1002, err: ErrProtocol},
		{name: "reserved opcode 3", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: 3}, nil)}, code: 1002, err: ErrProtocol},
		{name: "reserved opcode 0xB", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: 0xB}, nil)}, code: 1002, err: ErrProtocol},
		{name: "control frame of 126 bytes", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpPing}, make([]byte, 126))}, code: 1002, err: ErrProtocol},
		{name: "fragmented ping", frames: []func(*rawPeer){hdr(frame.Header{Fin: false, Opcode: frame.OpPing}, nil)}, code: 1002, err: ErrProtocol},
		{name: "continuation with no message", frames: []func(*rawPeer){cont(true, "x")}, code: 1002, err: ErrProtocol},
		{name: "text inside fragmented message", frames: []func(*rawPeer){text(false, "a"), text(true, "b")}, code: 1002, err: ErrProtocol},
		{name: "binary inside fragmented message", frames: []func(*rawPeer){text(false, "a"), hdr(frame.Header{Fin: true, Opcode: frame.OpBinary}, nil)}, code: 1002, err: ErrProtocol},
		{name: "invalid UTF-8", frames: []func(*rawPeer){text(true, "ok \xff")}, code: 1007, err: ErrInvalidUTF8},
		{name: "surrogate in UTF-8", frames: []func(*rawPeer){text(true, "\xed\xa0\x80")}, code: 1007, err: ErrInvalidUTF8},
		{name: "UTF-8 cut at message end", frames: []func(*rawPeer){text(false, "ab\xe2\x82"), cont(true, "")}, code: 1007, err: ErrInvalidUTF8},
		{name: "invalid UTF-8 across fragments", frames: []func(*rawPeer){text(false, "ab\xe2"), cont(true, "\x28\xa1")}, code: 1007, err: ErrInvalidUTF8},
		{name: "close with 1-byte payload", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, []byte{3})}, code: 1002, err: ErrProtocol},
		{name: "close code 999", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(999, ""))}, code: 1002, err: ErrProtocol},
		{name: "close code 1004", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(1004, ""))}, code: 1002, err: ErrProtocol},
		{name: "close code 1005", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(1005, ""))}, code: 1002, err: ErrProtocol},
		{name: "close code 1006", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(1006, ""))}, code: 1002, err: ErrProtocol},
		{name: "close code 1015", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(1015, ""))}, code: 1002, err: ErrProtocol},
		{name: "close code 2999", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(2999, ""))}, code: 1002, err: ErrProtocol},
		{name: "close code 5000", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(5000, ""))}, code: 1002, err: ErrProtocol},
		{name: "close reason not UTF-8", frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(1000, "\xff\xfe"))}, code: 1007, err: ErrInvalidUTF8},
		{name: "frame over payload limit", opts: &Options{MaxIncomingPayloadSize: 100}, frames: []func(*rawPeer){hdr(frame.Header{Fin: true, Opcode: frame.OpBinary}, make([]byte, 101))}, code: 1009, err: ErrMessageTooBig},
		{name: "message over total limit", opts: &Options{MaxTotalMessageSize: 100}, frames: []func(*rawPeer){
			hdr(frame.Header{Opcode: frame.OpBinary}, make([]byte, 60)), hdr(frame.Header{Fin: true, Opcode: frame.OpContinuation}, make([]byte, 60))}, code: 1009, err: ErrMessageTooBig},
		{name: "64-bit length with top bit", frames: []func(*rawPeer){func(r *rawPeer) {
			b := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}
			if r.mask {
				b[1] |= 0x80
				b = append(b, 1, 2, 3, 4)
			}
			r.write(b)
		}}, code: 1002, err: ErrProtocol},
		{name: "unmasked frame from client", side: ConnectionServer, frames: []func(*rawPeer){func(r *rawPeer) {
			r.sendUnmasked(frame.Header{Fin: true, Opcode: frame.OpText}, []byte("x"))
		}}, code: 1002, err: ErrProtocol},
		{name: "masked frame from server", side: ConnectionClient, frames: []func(*rawPeer){func(r *rawPeer) {
			r.send(frame.Header{Fin: true, Opcode: frame.OpText, Masked: true, Key: [4]byte{1, 2, 3, 4}}, []byte("x"))
		}}, code: 1002, err: ErrProtocol},
	}
	for _, tt := range tests {
		for _, side := range []ConnectionType{ConnectionClient, ConnectionServer} {
			if tt.side != 0 && tt.side != side {
				continue
			}
			t.Run(side.String()+"/"+tt.name, func(t *testing.T) {
				c, p, rec := newRaw(t, side, tt.opts)
				for _, f := range tt.frames {
					f(p)
				}
				code, _, _ := p.readClose()
				assert.Equal(t, tt.code, code, "close code sent to the peer")
				err := rec.err(t)
				assert.ErrorIs(t, err, tt.err)
				var perr *ProtocolError
				require.ErrorAs(t, err, &perr)
				assert.Equal(t, tt.code, perr.Code)

				// The peer answers the close; the connection ends. After
				// an invalid close frame from the peer, a server may
				// have closed the stream already: nothing more is
				// expected from the peer.
				p.conn.Write(frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpClose, Masked: p.mask, Key: [4]byte{1, 2, 3, 4}}, closePayload(tt.code, "")))
				if side == ConnectionClient {
					p.conn.Close()
				} else {
					p.expectEOF()
				}
				rec.waitClosed(t)
				events := rec.list()
				assert.Equal(t, "error", events[0], "error comes first: %v", events)
				assert.Equal(t, "closed", events[len(events)-1])
				n := 0
				for _, e := range events {
					if e == "closed" {
						n++
					}
				}
				assert.Equal(t, 1, n, "closed once")
				assert.Equal(t, tt.code, c.CloseStatus().SentCode)
				assert.Empty(t, drainMessages(rec), "no message delivered")
			})
		}
	}
}

func drainMessages(r *recorder) []message {
	var out []message
	for {
		select {
		case m := <-r.messages:
			out = append(out, m)
		default:
			return out
		}
	}
}

// TestInvalidUTF8FailsFast checks that a text message is refused as soon as
// the bad byte arrives, before the rest of the message is sent.
func TestInvalidUTF8FailsFast(t *testing.T) {
	for _, tt := range []struct {
		name   string
		frames [][]byte
	}{
		{"first fragment", [][]byte{[]byte("valid \xc0")}},
		{"overlong split across fragments", [][]byte{[]byte("a\xe0"), []byte("\x80")}},
		{"beyond U+10FFFF split", [][]byte{[]byte("\xf4"), []byte("\x90")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, p, rec := newRaw(t, ConnectionServer, nil)
			for i, f := range tt.frames {
				op := frame.OpText
				if i > 0 {
					op = frame.OpContinuation
				}
				p.send(frame.Header{Opcode: op}, f) // never FIN: the message never ends
			}
			code, _, _ := p.readClose()
			assert.Equal(t, CloseInvalidPayload, code)
			assert.ErrorIs(t, rec.err(t), ErrInvalidUTF8)
		})
	}
}

// TestInvalidUTF8InsideOneLargeFrame checks fail-fast within a single frame:
// the payload is read in pieces and checked as they come.
func TestInvalidUTF8InsideOneLargeFrame(t *testing.T) {
	_, p, rec := newRaw(t, ConnectionServer, &Options{MaxIncomingPayloadSize: -1, MaxTotalMessageSize: -1})
	const size = 1 << 20
	// Announce a 1 MiB text frame but send only its bad start.
	h := frame.Header{Fin: true, Opcode: frame.OpText, Masked: true, Key: [4]byte{9, 8, 7, 6}, Length: size}
	start := []byte(string(payloadOf(readBufSize)) + "\xff")
	frame.Mask(h.Key, 0, start)
	p.write(append(frame.AppendHeader(nil, h), start...))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseInvalidPayload, code)
	assert.ErrorIs(t, rec.err(t), ErrInvalidUTF8)
}

// TestFailSendsQueuedDataFirst: data the user queued before the peer broke
// the protocol still goes out, before the close frame. A send made while
// the close frame waits for the events before it (at most closeGrace) is
// either refused or goes out before the close frame too: never after it.
func TestFailSendsQueuedDataFirst(t *testing.T) {
	c, p, rec := newRawOver(t, ConnectionServer, 1000, nil)
	require.NoError(t, c.SendBinary(payloadOf(5000))) // more than the pipe holds: it waits in the queue
	p.send(frame.Header{Fin: true, RSV: frame.RSV2, Opcode: frame.OpText}, nil)
	assert.ErrorIs(t, rec.err(t), ErrProtocol)
	late := c.SendText("late")
	if late != nil {
		assert.ErrorIs(t, late, ErrNotOpen)
	}
	h, payload := p.read()
	assert.Equal(t, frame.OpBinary, h.Opcode)
	assert.Equal(t, payloadOf(5000), payload)
	if late == nil {
		h, payload = p.read()
		assert.Equal(t, frame.OpText, h.Opcode)
		assert.Equal(t, "late", string(payload))
	}
	code, _, frames := p.readClose()
	assert.Equal(t, CloseProtocolError, code)
	assert.Zero(t, frames)
	// Once the close frame is out, sends are refused.
	assert.ErrorIs(t, c.SendText("refused"), ErrNotOpen)
}

// TestInvalidCloseFrameEndsAtOnce: after the peer's invalid close frame, a
// server closes the stream as soon as its own close frame is out, without
// waiting for the close timeout.
func TestInvalidCloseFrameEndsAtOnce(t *testing.T) {
	c, p, rec := newRaw(t, ConnectionServer, &Options{CloseTimeout: time.Hour})
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(999, ""))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseProtocolError, code)
	p.expectEOF()
	rec.waitClosed(t)
	assert.Equal(t, StateClosed, c.State())
}
