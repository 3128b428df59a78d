package load

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONPayload(t *testing.T) {
	p := NewJSONPayload()
	buf := p.NewBuffer()
	p.Stamp(buf, 0xabc)
	if len(buf) != JSONSize || !json.Valid(buf) {
		t.Fatalf("JSON payload of %d bytes, valid %v: %s", len(buf), json.Valid(buf), buf)
	}
	var doc struct{ Seq string }
	if err := json.Unmarshal(buf, &doc); err != nil || doc.Seq != "0000000000000abc" {
		t.Errorf("seq %q, %v", doc.Seq, err)
	}
}

func TestPayloadCheck(t *testing.T) {
	for _, p := range []*Payload{NewBinaryPayload(16), NewBinaryPayload(5), NewBinaryPayload(1 << 16), NewJSONPayload()} {
		buf := p.NewBuffer()
		p.Stamp(buf, 42)
		if err := p.Check(buf, 42); err != nil {
			t.Fatalf("%d bytes: %v", p.Len(), err)
		}
		if err := p.Check(buf, 43); err == nil {
			t.Errorf("%d bytes: the echo of another message passed", p.Len())
		}
		if err := p.Check(buf[:len(buf)-1], 42); err == nil || !strings.Contains(err.Error(), "bytes long") {
			t.Errorf("%d bytes: a short echo: %v", p.Len(), err)
		}
		buf[len(buf)-1] ^= 0x80
		if err := p.Check(buf, 42); err == nil || !strings.Contains(err.Error(), "differs") {
			t.Errorf("%d bytes: a corrupt echo: %v", p.Len(), err)
		}
	}
}
