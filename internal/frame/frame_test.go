package frame

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"
	"testing/iotest"
)

// The sample frames of RFC 6455, section 5.7.
func TestAppendFrameRFCExamples(t *testing.T) {
	hello := []byte("Hello")
	tests := []struct {
		name    string
		h       Header
		payload []byte
		wire    []byte
	}{
		{"unmasked text", Header{Fin: true, Opcode: OpText}, hello,
			[]byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}},
		{"masked text", Header{Fin: true, Opcode: OpText, Masked: true, Key: [4]byte{0x37, 0xfa, 0x21, 0x3d}}, hello,
			[]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}},
		{"first fragment", Header{Opcode: OpText}, []byte("Hel"),
			[]byte{0x01, 0x03, 0x48, 0x65, 0x6c}},
		{"last fragment", Header{Fin: true, Opcode: OpContinuation}, []byte("lo"),
			[]byte{0x80, 0x02, 0x6c, 0x6f}},
		{"unmasked ping", Header{Fin: true, Opcode: OpPing}, hello,
			[]byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}},
		{"masked pong", Header{Fin: true, Opcode: OpPong, Masked: true, Key: [4]byte{0x37, 0xfa, 0x21, 0x3d}}, hello,
			[]byte{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}},
		{"256 bytes", Header{Fin: true, Opcode: OpBinary}, make([]byte, 256),
			append([]byte{0x82, 0x7e, 0x01, 0x00}, make([]byte, 256)...)},
		{"64 KiB", Header{Fin: true, Opcode: OpBinary}, make([]byte, 65536),
			append([]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0, 0}, make([]byte, 65536)...)},
	}
	for _, tt := range tests {
		orig := append([]byte(nil), tt.payload...)
		got := AppendFrame([]byte("x"), tt.h, tt.payload)
		if !bytes.Equal(got[1:], tt.wire) || got[0] != 'x' {
			t.Errorf("%s: AppendFrame = % x, want % x", tt.name, got[1:min(len(got), 32)], tt.wire[:min(len(tt.wire), 31)])
		}
		if !bytes.Equal(tt.payload, orig) {
			t.Errorf("%s: AppendFrame modified its payload", tt.name)
		}
		h, payload, err := ReadFrame(bytes.NewReader(tt.wire), 0)
		want := tt.h
		want.Length = int64(len(tt.payload))
		if err != nil || h != want || !bytes.Equal(payload, tt.payload) {
			t.Errorf("%s: ReadFrame = %+v, %q, %v; want %+v, %q, nil", tt.name, h, payload, err, want, tt.payload)
		}
	}
}

func TestAppendFrameSetsLength(t *testing.T) {
	got := AppendFrame(nil, Header{Fin: true, Opcode: OpBinary, Length: 1000}, []byte{1, 2, 3})
	if want := []byte{0x82, 0x03, 1, 2, 3}; !bytes.Equal(got, want) {
		t.Errorf("AppendFrame = % x, want % x", got, want)
	}
}

func TestReadFrameStream(t *testing.T) {
	frames := []struct {
		h       Header
		payload []byte
	}{
		{Header{Opcode: OpText}, []byte("frag")},
		{Header{Fin: true, Opcode: OpPing, Masked: true, Key: [4]byte{9, 8, 7, 6}}, []byte("are you there")},
		{Header{Fin: true, Opcode: OpContinuation}, []byte("ment")},
		{Header{Fin: true, RSV: RSV1, Opcode: OpBinary, Masked: true, Key: [4]byte{1, 2, 3, 4}}, bytes.Repeat([]byte("ab"), 100)},
		{Header{Fin: true, Opcode: OpBinary}, nil},
		{Header{Fin: true, Opcode: OpBinary, Masked: true, Key: [4]byte{5, 6, 7, 8}}, bytes.Repeat([]byte("xyz"), 70000)},
		{Header{Fin: true, Opcode: OpClose, Masked: true, Key: [4]byte{5, 6, 7, 8}}, []byte{0x03, 0xe8}},
	}
	var stream []byte
	for _, f := range frames {
		stream = AppendFrame(stream, f.h, f.payload)
	}
	readers := []struct {
		name string
		r    func() io.Reader
	}{
		{"whole", func() io.Reader { return bytes.NewReader(stream) }},
		{"half", func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) }},
		{"data+EOF", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) }},
	}
	for _, rt := range readers {
		r := rt.r()
		for i, f := range frames {
			h, payload, err := ReadFrame(r, 0)
			want := f.h
			want.Length = int64(len(f.payload))
			if err != nil || h != want || !bytes.Equal(payload, f.payload) {
				t.Fatalf("%s: frame %d: ReadFrame = %+v, [%d]byte, %v; want %+v, [%d]byte, nil",
					rt.name, i, h, len(payload), err, want, len(f.payload))
			}
		}
		if _, _, err := ReadFrame(r, 0); err != io.EOF {
			t.Errorf("%s: ReadFrame at end of stream: err = %v, want io.EOF", rt.name, err)
		}
	}
}

func TestReadFrameTruncated(t *testing.T) {
	frames := [][]byte{
		AppendFrame(nil, Header{Fin: true, Opcode: OpText}, []byte("hello")),
		AppendFrame(nil, Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey}, []byte("hello")),
		AppendFrame(nil, Header{Fin: true, Opcode: OpBinary, Masked: true, Key: testKey}, make([]byte, 300)),
		AppendFrame(nil, Header{Fin: true, Opcode: OpBinary}, make([]byte, 70000)),
		AppendFrame(nil, Header{Fin: true, Opcode: OpBinary}, nil),
	}
	for i, wire := range frames {
		for k := 1; k < len(wire); k++ {
			if k > 20 && k < len(wire)-20 && k%997 != 0 {
				continue // a sample of the long payloads is enough
			}
			_, _, err := ReadFrame(bytes.NewReader(wire[:k]), 0)
			if err != io.ErrUnexpectedEOF {
				t.Errorf("frame %d cut to %d of %d bytes: err = %v, want io.ErrUnexpectedEOF", i, k, len(wire), err)
			}
		}
		if _, _, err := ReadFrame(bytes.NewReader(nil), 0); err != io.EOF {
			t.Errorf("empty input: err = %v, want io.EOF", err)
		}
	}
}

// A header may announce far more payload than ever arrives; ReadFrame must
// not allocate for the announced length up front.
func TestReadFrameHugeLengthShortStream(t *testing.T) {
	wire := AppendHeader(nil, Header{Fin: true, Opcode: OpBinary, Length: math.MaxInt64})
	wire = append(wire, "only a few bytes"...)
	h, _, err := ReadFrame(bytes.NewReader(wire), 0)
	if err != io.ErrUnexpectedEOF || h.Length != math.MaxInt64 {
		t.Errorf("ReadFrame = %+v, _, %v; want the header and io.ErrUnexpectedEOF", h, err)
	}
}

func TestReadFrameMaxPayload(t *testing.T) {
	tests := []struct {
		length, max int64
		err         error
	}{
		{0, 1, nil},
		{125, 125, nil},
		{126, 125, ErrPayloadTooLarge},
		{1000, 0, nil},
		{1000, -1, nil},
		{1000, 999, ErrPayloadTooLarge},
		{1 << 40, 1 << 20, ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		hdr := Header{Fin: true, Opcode: OpBinary, Length: tt.length}
		wire := AppendHeader(nil, hdr)
		if tt.err == nil {
			wire = append(wire, make([]byte, tt.length)...)
		}
		h, payload, err := ReadFrame(bytes.NewReader(wire), tt.max)
		if !errors.Is(err, tt.err) || h != hdr {
			t.Errorf("length %d, max %d: ReadFrame = %+v, _, %v; want %+v, _, %v", tt.length, tt.max, h, err, hdr, tt.err)
		}
		if err == nil && int64(len(payload)) != tt.length {
			t.Errorf("length %d, max %d: got %d payload bytes", tt.length, tt.max, len(payload))
		}
	}
}

func TestReadFrameErrors(t *testing.T) {
	errRead := errors.New("read failed")
	tests := []struct {
		name string
		r    io.Reader
		err  error
	}{
		{"non-minimal", bytes.NewReader([]byte{0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5}), ErrNonMinimalLength},
		{"overflow", bytes.NewReader([]byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}), ErrLengthOverflow},
		{"reader error", iotest.ErrReader(errRead), errRead},
		{"reader error in header", io.MultiReader(bytes.NewReader([]byte{0x82, 0xfe, 0x01}), iotest.ErrReader(errRead)), errRead},
		{"reader error in payload", io.MultiReader(bytes.NewReader([]byte{0x82, 0x05, 0x01}), iotest.ErrReader(errRead)), errRead},
		{"timeout", iotest.TimeoutReader(bytes.NewReader([]byte{0x82, 0x05, 1, 2, 3, 4, 5})), iotest.ErrTimeout},
	}
	for _, tt := range tests {
		if _, _, err := ReadFrame(tt.r, 0); !errors.Is(err, tt.err) {
			t.Errorf("%s: ReadFrame err = %v, want %v", tt.name, err, tt.err)
		}
	}
}
