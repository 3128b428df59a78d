package load

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// JSONSize is the size of the JSON payload.
const JSONSize = 1024

// Payload is the message a workload sends: a fixed template in which each
// message stamps its sequence number, so that an echo of the wrong message
// is caught too. Every connection of every run sends the same bytes for
// the same sequence number, whatever the server.
//
// A timed payload also carries the time the message was published, which
// differs from message to message: see NewTimedBinaryPayload.
type Payload struct {
	op     wsclient.Opcode
	tmpl   []byte
	seqAt  int  // where the sequence number goes
	seqLen int  // how many bytes it takes
	hex    bool // it and the time are written as hex digits (text), else little-endian
	timeAt int  // where the publish time goes, in a timed payload
	timed  bool // the payload has a publish time, seqLen bytes long
}

// NewBinaryPayload returns a binary payload of size bytes of seeded
// pseudo-random data, with the sequence number in its first 8 bytes (or
// fewer, if it is shorter).
func NewBinaryPayload(size int) *Payload {
	tmpl := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < size; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(tmpl[i:], w[:])
	}
	return &Payload{op: wsclient.OpBinary, tmpl: tmpl, seqLen: min(size, 8)}
}

// NewTimedBinaryPayload returns the binary payload of NewBinaryPayload
// with the publish time in bytes 8 to 15, little-endian (StampTime). size
// is 16 at least.
func NewTimedBinaryPayload(size int) (*Payload, error) {
	if size < 16 {
		return nil, fmt.Errorf("load: a timed binary message is 16 bytes at least, not %d", size)
	}
	p := NewBinaryPayload(size)
	p.timeAt, p.timed = 8, true
	return p, nil
}

// NewJSONPayload returns a text payload that is a JSON document of
// JSONSize bytes, the kind of message an API pushes, with the sequence
// number as 16 hex digits in its last field, "seq".
func NewJSONPayload() *Payload { return newJSONPayload(false) }

// NewTimedJSONPayload returns the JSON payload of NewJSONPayload with a
// field "sent" before "seq" holding the publish time as 16 hex digits
// (StampTime), its padding the shorter for it.
func NewTimedJSONPayload() *Payload { return newJSONPayload(true) }

func newJSONPayload(timed bool) *Payload {
	seqField := `","seq":"`
	if timed {
		seqField = `","sent":"` + strings.Repeat("0", 16) + seqField
	}
	const end = `"}`
	var b strings.Builder
	b.WriteString(`{"type":"order.updated","account":"acct-7f3a9c","items":[`)
	for i := 0; ; i++ {
		item := fmt.Sprintf(`{"id":%d,"sku":"SKU-%05d","name":"Widget model %d","qty":%d,"price":%d.%02d,"in_stock":%t}`,
			1000+i, 31*i+7, i%7, 1+i%4, 5+i*3, (i*37)%100, i%3 != 0)
		// Keep room for the fields after the items, the padding at least
		// one byte long.
		if b.Len()+1+len(item)+len(`],"note":"x`+seqField)+16+len(end) > JSONSize {
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	b.WriteString(`],"note":"`)
	b.WriteString(strings.Repeat("x", JSONSize-b.Len()-len(seqField)-16-len(end)))
	b.WriteString(seqField)
	seqAt := b.Len()
	b.WriteString(strings.Repeat("0", 16) + end)
	p := &Payload{op: wsclient.OpText, tmpl: []byte(b.String()), seqAt: seqAt, seqLen: 16, hex: true}
	if timed {
		p.timeAt, p.timed = seqAt-len(`","seq":"`)-16, true
	}
	return p
}

// Opcode returns the type of the message.
func (p *Payload) Opcode() wsclient.Opcode { return p.op }

// Len returns the size of the message.
func (p *Payload) Len() int { return len(p.tmpl) }

// NewBuffer returns a copy of the template, for Stamp.
func (p *Payload) NewBuffer() []byte { return bytes.Clone(p.tmpl) }

// Stamp writes seq into buf, a buffer from NewBuffer, making it message
// seq.
func (p *Payload) Stamp(buf []byte, seq uint64) {
	p.encode(buf[p.seqAt:p.seqAt+p.seqLen], seq)
}

// Timed reports whether the payload carries a publish time.
func (p *Payload) Timed() bool { return p.timed }

// StampTime writes the publish time t into buf, a buffer from NewBuffer
// of a timed payload: nanoseconds since an epoch of the caller's, 0 or
// more.
func (p *Payload) StampTime(buf []byte, t time.Duration) {
	p.encode(buf[p.timeAt:p.timeAt+p.seqLen], uint64(t))
}

// Time returns the publish time that msg, a message of a timed payload,
// carries. It checks only that the field holds a time: Check checks the
// rest.
func (p *Payload) Time(msg []byte) (time.Duration, error) {
	if !p.timed || len(msg) != len(p.tmpl) {
		return 0, fmt.Errorf("load: a %d-byte message carries no publish time", len(msg))
	}
	field := msg[p.timeAt : p.timeAt+p.seqLen]
	if !p.hex {
		return time.Duration(binary.LittleEndian.Uint64(field)), nil
	}
	var v uint64
	for _, c := range field {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, fmt.Errorf("load: the publish time %q is no hex number", field)
		}
		v = v<<4 | uint64(d)
	}
	return time.Duration(v), nil
}

// variableAt returns where the bytes that vary from message to message
// start: the sequence number, or the publish time before it.
func (p *Payload) variableAt() int {
	if p.timed {
		return min(p.seqAt, p.timeAt)
	}
	return p.seqAt
}

// encode writes seq into dst, which is seqLen bytes long.
func (p *Payload) encode(dst []byte, seq uint64) {
	if p.hex {
		const digits = "0123456789abcdef"
		for i := len(dst) - 1; i >= 0; i-- {
			dst[i] = digits[seq&0xF]
			seq >>= 4
		}
		return
	}
	var w [8]byte
	binary.LittleEndian.PutUint64(w[:], seq)
	copy(dst, w[:])
}

// Check reports how got differs from message seq, or nil if it is the
// same. The publish time of a timed payload is not checked: each message
// has its own (see Time).
func (p *Payload) Check(got []byte, seq uint64) error {
	var want [16]byte
	stamp := want[:p.seqLen]
	p.encode(stamp, seq)
	end := p.seqAt + p.seqLen
	if len(got) == len(p.tmpl) && p.sameAsTemplate(got, 0, p.seqAt) &&
		bytes.Equal(got[p.seqAt:end], stamp) && p.sameAsTemplate(got, end, len(got)) {
		return nil
	}
	return p.describe(got, seq)
}

// sameAsTemplate reports whether got[from:to] is the template's, but for
// the publish time, which lies in or out of the range whole.
func (p *Payload) sameAsTemplate(got []byte, from, to int) bool {
	t0, t1 := p.timeAt, p.timeAt+p.seqLen
	if !p.timed || t0 >= to || t1 <= from {
		return bytes.Equal(got[from:to], p.tmpl[from:to])
	}
	return bytes.Equal(got[from:t0], p.tmpl[from:t0]) && bytes.Equal(got[t1:to], p.tmpl[t1:to])
}

// describe says where got first differs from message seq.
func (p *Payload) describe(got []byte, seq uint64) error {
	want := p.NewBuffer()
	p.Stamp(want, seq)
	if t1 := p.timeAt + p.seqLen; p.timed && len(got) >= t1 {
		copy(want[p.timeAt:t1], got[p.timeAt:t1]) // not Check's to differ
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Errorf("message %d as received differs from what was sent at byte %d of %d: got %#02x, sent %#02x",
				seq, i, len(want), got[i], want[i])
		}
	}
	return fmt.Errorf("message %d as received is %d bytes long; %d were sent", seq, len(got), len(want))
}
