package wsconn

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/frame"
)

// reverser is a toy extension that sends every message reversed and marks
// it with RSV1, so that tests can see where the connection applies
// extensions.
type reverser struct{ out []byte }

func (*reverser) Name() string                                       { return "x-reverse" }
func (*reverser) Configure(extensions.Side, extensions.Params) error { return nil }
func (*reverser) RequestParams() extensions.Params                   { return nil }
func (*reverser) ResponseParams() extensions.Params                  { return nil }
func (*reverser) ReservedBits() byte                                 { return frame.RSV1 }

func reversed(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

func (r *reverser) ProcessOutgoing(m *extensions.Message) error {
	if m.NoCompress {
		return nil
	}
	r.out = reversed(m.Payload)
	m.Payload, m.RSV = r.out, frame.RSV1
	return nil
}

func (*reverser) ProcessIncoming(m *extensions.Message, limit int) error {
	if m.RSV&frame.RSV1 == 0 {
		m.Payload = bytes.Clone(m.Payload)
		return nil
	}
	if limit > 0 && len(m.Payload) > limit {
		return extensions.ErrTooBig
	}
	m.Payload, m.RSV = reversed(m.Payload), m.RSV&^frame.RSV1
	return nil
}

func TestExtensionsApplyToEveryMessage(t *testing.T) {
	a, b := pipePair()
	client := NewWebsocketConnection(a, testURI, ConnectionClient, "", "", []extensions.Extension{&reverser{}}, &Options{FragmentSize: 200})
	server := NewWebsocketConnection(b, testURI, ConnectionServer, "", "", []extensions.Extension{&reverser{}}, nil)
	cr, sr := record(client), record(server)
	defer func() {
		client.Abort()
		server.Abort()
		cr.waitClosed(t)
		sr.waitClosed(t)
	}()
	assert.Len(t, client.Extensions(), 1)
	long := string(payloadOf(1000))
	for _, m := range []string{"", "abc", long} {
		require.NoError(t, client.SendText(m))
		assert.Equal(t, m, string(sr.message(t).data))
		require.NoError(t, server.SendText(m))
		assert.Equal(t, m, string(cr.message(t).data))
	}
}

func TestExtensionReservedBitOnFirstFrameOnly(t *testing.T) {
	a, b := pipePair()
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", []extensions.Extension{&reverser{}}, &Options{FragmentSize: 200})
	rec := record(c)
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	defer func() {
		c.Abort()
		rec.waitClosed(t)
	}()
	require.NoError(t, c.SendBinary(payloadOf(500)))
	var got []byte
	for i := 0; i < 3; i++ {
		h, payload := p.read()
		if i == 0 {
			assert.Equal(t, frame.RSV1, h.RSV)
		} else {
			assert.Zero(t, h.RSV, "frame %d", i)
		}
		got = append(got, payload...)
	}
	assert.Equal(t, reversed(payloadOf(500)), got)

	// Incoming: RSV1 is allowed (the extension claims it), but not on a
	// continuation frame.
	p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpText}, []byte("olleh"))
	assert.Equal(t, "hello", string(rec.message(t).data))
	p.send(frame.Header{RSV: frame.RSV1, Opcode: frame.OpText}, []byte("a"))
	p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpContinuation}, []byte("b"))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseProtocolError, code)
}

func TestExtensionDecodedSizeLimit(t *testing.T) {
	a, b := pipePair()
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", []extensions.Extension{&reverser{}}, &Options{MaxTotalMessageSize: 10})
	rec := record(c)
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	defer func() {
		c.Abort()
		rec.waitClosed(t)
	}()
	p.send(frame.Header{Fin: true, RSV: frame.RSV1, Opcode: frame.OpBinary}, make([]byte, 11))
	code, _, _ := p.readClose()
	assert.Equal(t, CloseMessageTooBig, code)
	assert.ErrorIs(t, rec.err(t), ErrMessageTooBig)
}

var errPoisoned = errors.New("poisoned message")

// poisonOut is an extension that passes messages through unchanged, but
// fails on an outgoing message "poison".
type poisonOut struct{}

func (poisonOut) Name() string                                       { return "x-poison" }
func (poisonOut) Configure(extensions.Side, extensions.Params) error { return nil }
func (poisonOut) RequestParams() extensions.Params                   { return nil }
func (poisonOut) ResponseParams() extensions.Params                  { return nil }
func (poisonOut) ReservedBits() byte                                 { return 0 }

func (poisonOut) ProcessOutgoing(m *extensions.Message) error {
	if string(m.Payload) == "poison" {
		return errPoisoned
	}
	return nil
}

func (poisonOut) ProcessIncoming(m *extensions.Message, limit int) error {
	m.Payload = bytes.Clone(m.Payload)
	return nil
}

// TestOutgoingExtensionFailureFailsWith1011: an extension's failure on an
// outgoing message fails the connection with 1011 after the messages
// queued before it, and is reported.
func TestOutgoingExtensionFailureFailsWith1011(t *testing.T) {
	a, b := pipePair()
	c := NewWebsocketConnection(a, testURI, ConnectionServer, "", "", []extensions.Extension{poisonOut{}}, nil)
	rec := record(c)
	p := &rawPeer{t: t, conn: b, br: bufio.NewReader(b), mask: true}
	defer func() {
		c.Abort()
		b.Close()
		rec.waitClosed(t)
	}()
	require.NoError(t, c.SendText("one"))
	require.NoError(t, c.SendText("two"))
	require.NoError(t, c.SendText("poison"))
	for _, want := range []string{"one", "two"} {
		h, payload := p.read()
		require.Equal(t, frame.OpText, h.Opcode)
		assert.Equal(t, want, string(payload))
	}
	code, _, frames := p.readClose()
	assert.Equal(t, CloseInternalError, code, "the peer sees 1011")
	assert.Zero(t, frames, "the poisoned message is not sent")
	err := rec.err(t)
	assert.ErrorIs(t, err, errPoisoned)
	assert.Equal(t, CloseInternalError, c.CloseStatus().SentCode)
	p.send(frame.Header{Fin: true, Opcode: frame.OpClose}, closePayload(CloseInternalError, ""))
	p.expectEOF()
	rec.waitClosed(t)
	assert.Equal(t, CloseInternalError, c.CloseStatus().SentCode)
	assert.Equal(t, CloseInternalError, c.CloseCode())
}
