package load

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
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

// TestTimedPayload checks the publish time of the timed payloads: where
// it goes, that Check ignores it and Time reads it back, and that a
// corrupt one is caught.
func TestTimedPayload(t *testing.T) {
	const sent = 1234567890 * time.Nanosecond
	binary, err := NewTimedBinaryPayload(64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTimedBinaryPayload(15); err == nil {
		t.Error("a 15-byte timed binary payload was made")
	}
	for _, p := range []*Payload{NewTimedJSONPayload(), binary} {
		buf := p.NewBuffer()
		p.Stamp(buf, 42)
		p.StampTime(buf, sent)
		if !p.Timed() || p.Len() != len(p.tmpl) {
			t.Fatalf("%d bytes: timed %v", p.Len(), p.Timed())
		}
		if err := p.Check(buf, 42); err != nil {
			t.Fatalf("%d bytes: %v", p.Len(), err)
		}
		if got, err := p.Time(buf); got != sent || err != nil {
			t.Errorf("%d bytes: Time = %v, %v; want %v", p.Len(), got, err, sent)
		}
		if err := p.Check(buf, 43); err == nil {
			t.Errorf("%d bytes: another message passed", p.Len())
		}
		buf[len(buf)-1] ^= 0x80
		if err := p.Check(buf, 42); err == nil || !strings.Contains(err.Error(), "differs") {
			t.Errorf("%d bytes: a corrupt message: %v", p.Len(), err)
		}
	}
	p := NewTimedJSONPayload()
	buf := p.NewBuffer()
	p.Stamp(buf, 0xabc)
	p.StampTime(buf, sent)
	var doc struct{ Sent, Seq string }
	if len(buf) != JSONSize || json.Unmarshal(buf, &doc) != nil || doc.Seq != "0000000000000abc" || doc.Sent != fmt.Sprintf("%016x", int64(sent)) {
		t.Errorf("timed JSON payload of %d bytes: %+v: %s", len(buf), doc, buf)
	}
	buf[p.timeAt] = 'g'
	if _, err := p.Time(buf); err == nil {
		t.Error("a publish time with a non-hex digit was read")
	}
	if _, err := NewJSONPayload().Time(buf); err == nil {
		t.Error("an untimed payload read a publish time")
	}
}
