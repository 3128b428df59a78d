package wsconn

import (
	"errors"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/internal/bufpool"
	"github.com/wsconn/wsconn/internal/frame"
)

// PreparedMessage is a message to send to many connections, such as a
// broadcast to the members of a chat room, prepared once: a server sends
// it without copying it, and compresses it once per distinct
// permessage-deflate setting rather than once per connection. It may be
// sent on any number of connections, from any goroutines.
//
// Compression is shared between connections whose extensions process each
// message on its own (extensions.SharedOutgoing): permessage-deflate
// without context takeover on the server's side, which is what
// extensions.DeflateOptions.ServerNoContextTakeover asks for. A connection
// with context takeover compresses the message itself, as it does any
// other, since its output depends on what it sent before. A client masks
// every frame with a key of its own, so it copies a prepared message as it
// does any other; compression is still shared.
type PreparedMessage struct {
	op   frame.Opcode
	data []byte

	mu    sync.Mutex
	forms []*preparedForm // one per extension key seen so far
}

// preparedForm is the payload of a prepared message as the extensions
// named by key make it.
type preparedForm struct {
	key     string
	once    sync.Once
	payload []byte
	rsv     byte
	err     error
}

// NewPreparedMessage returns a prepared message of the given type with a
// copy of data. Text must be valid UTF-8 (an error wrapping
// ErrInvalidUTF8).
func NewPreparedMessage(typ DataType, data []byte) (*PreparedMessage, error) {
	var op frame.Opcode
	switch typ {
	case DataText:
		if !utf8.Valid(data) {
			return nil, &opError{"NewPreparedMessage", ErrInvalidUTF8}
		}
		op = frame.OpText
	case DataBinary:
		op = frame.OpBinary
	default:
		return nil, errorf("NewPreparedMessage", "unknown data type %d", int(typ))
	}
	return &PreparedMessage{op: op, data: append([]byte(nil), data...)}, nil
}

// SendPrepared queues pm as SendMessage queues a message, with the same
// errors. A server neither copies pm's payload nor, when its extensions
// allow, compresses it again: see PreparedMessage.
func (c *WebsocketConnection) SendPrepared(pm *PreparedMessage) error {
	if pm == nil {
		return errorf("SendPrepared", "nil PreparedMessage")
	}
	if c.connType == ConnectionClient {
		return c.wr.enqueue(pm.op, pm.data, "", false)
	}
	return c.wr.enqueuePrepared(pm)
}

// form returns pm's payload as processed for key, processing it with
// process the first time key is asked for; other senders asking for the
// same key meanwhile wait for it.
func (pm *PreparedMessage) form(key string, process func() ([]byte, byte, error)) *preparedForm {
	pm.mu.Lock()
	var f *preparedForm
	for _, g := range pm.forms {
		if g.key == key {
			f = g
			break
		}
	}
	if f == nil {
		f = &preparedForm{key: key}
		pm.forms = append(pm.forms, f)
	}
	pm.mu.Unlock()
	f.once.Do(func() { f.payload, f.rsv, f.err = process() })
	return f
}

// sharedKey returns the key under which exts process every outgoing
// message alike (see extensions.SharedOutgoing), or ok false when one of
// them does not.
func sharedKey(exts []extensions.Extension) (key string, ok bool) {
	keys := make([]string, 0, len(exts))
	for _, e := range exts {
		s, isShared := e.(extensions.SharedOutgoing)
		if !isShared {
			return "", false
		}
		k, ok := s.OutgoingKey()
		if !ok {
			return "", false
		}
		keys = append(keys, k)
	}
	return strings.Join(keys, "\x00"), true
}

// enqueuePrepared queues pm on a server: its payload is shared, read
// only, by every connection that sends it.
func (w *writer) enqueuePrepared(pm *PreparedMessage) error {
	c := w.c
	c.mu.Lock()
	if err := w.admitLocked(len(pm.data)); err != nil {
		c.mu.Unlock()
		return err
	}
	w.queueLocked(outMessage{op: pm.op, payload: pm.data, size: int64(len(pm.data)), prep: pm})
	w.sendUnlock()
	return nil
}

// applyPrepared gives m, a prepared message, its payload for this
// connection's extensions: the shared form when they allow it, or else a
// copy of its own that they process as any message.
func (w *writer) applyPrepared(m *outMessage) error {
	if len(w.c.exts) == 0 {
		m.started = true
		return nil
	}
	if !w.sharedKnown {
		w.sharedKey, w.sharedOK = sharedKey(w.c.exts)
		w.sharedKnown = true
	}
	if !w.sharedOK {
		m.buf = bufpool.Get(len(m.payload))
		copy(*m.buf, m.payload)
		m.payload = *m.buf
		return w.applyExtensions(m)
	}
	m.started = true
	f := m.prep.form(w.sharedKey, func() ([]byte, byte, error) {
		out, rsv, spare, err := w.process(m.payload, m.op, false)
		if err != nil {
			return nil, 0, err
		}
		if spare != nil {
			out = append([]byte(nil), out...) // kept by pm, beyond this round
			bufpool.Put(spare)
		}
		return out, rsv, nil
	})
	if f.err != nil {
		return errors.Join(f.err, errPreparedFailed)
	}
	m.payload, m.rsv = f.payload, f.rsv
	return nil
}

// errPreparedFailed marks an extension's failure on a prepared message,
// which every connection that shares its form reports.
var errPreparedFailed = errors.New("wsconn: the prepared message could not be processed")
