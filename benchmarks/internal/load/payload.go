package load

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// JSONSize is the size of the JSON payload.
const JSONSize = 1024

// Payload is the message a workload sends: a fixed template in which each
// message stamps its sequence number, so that an echo of the wrong message
// is caught too. Every connection of every run sends the same bytes for
// the same sequence number, whatever the server.
type Payload struct {
	op     wsclient.Opcode
	tmpl   []byte
	seqAt  int  // where the sequence number goes
	seqLen int  // how many bytes it takes
	hex    bool // it is written as hex digits (text), else little-endian
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

// NewJSONPayload returns a text payload that is a JSON document of
// JSONSize bytes, the kind of message an API pushes, with the sequence
// number as 16 hex digits in its last field, "seq".
func NewJSONPayload() *Payload {
	const seqField = `","seq":"`
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
	return &Payload{op: wsclient.OpText, tmpl: []byte(b.String()), seqAt: seqAt, seqLen: 16, hex: true}
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
// same.
func (p *Payload) Check(got []byte, seq uint64) error {
	var want [16]byte
	stamp := want[:p.seqLen]
	p.encode(stamp, seq)
	end := p.seqAt + p.seqLen
	if len(got) == len(p.tmpl) && bytes.Equal(got[:p.seqAt], p.tmpl[:p.seqAt]) &&
		bytes.Equal(got[p.seqAt:end], stamp) && bytes.Equal(got[end:], p.tmpl[end:]) {
		return nil
	}
	return p.describe(got, seq)
}

// describe says where got first differs from message seq.
func (p *Payload) describe(got []byte, seq uint64) error {
	want := p.NewBuffer()
	p.Stamp(want, seq)
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Errorf("message %d as received differs from what was sent at byte %d of %d: got %#02x, sent %#02x",
				seq, i, len(want), got[i], want[i])
		}
	}
	return fmt.Errorf("message %d as received is %d bytes long; %d were sent", seq, len(got), len(want))
}
