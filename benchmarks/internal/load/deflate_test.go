package load

import (
	"bytes"
	"compress/flate"
	"io"
	"testing"
)

// TestDeflater inflates compressed messages as a permessage-deflate
// receiver does and compares them with the plain ones.
func TestDeflater(t *testing.T) {
	for _, c := range []struct {
		p          *Payload
		compresses bool
	}{{NewJSONPayload(), true}, {NewTimedJSONPayload(), true}, {NewBinaryPayload(16), false}, {NewBinaryPayload(200_000), false}} {
		p, d := c.p, newDeflater(c.p)
		msg := p.NewBuffer()
		p.Stamp(msg, 12345)
		if p.Timed() {
			p.StampTime(msg, 987654321)
		}
		z := d.appendMessage(nil, msg)
		r := flate.NewReader(io.MultiReader(bytes.NewReader(z), bytes.NewReader([]byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff})))
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("%d bytes: inflated %d bytes, %v", p.Len(), len(got), err)
		}
		if c.compresses && len(z) > p.Len()/2 {
			t.Errorf("JSON compressed to %d bytes of %d", len(z), p.Len())
		}
	}
}
