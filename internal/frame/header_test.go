package frame

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

var testKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// headerTests pairs headers with their only valid encoding.
var headerTests = []struct {
	name string
	h    Header
	wire []byte
}{
	{"empty", Header{Fin: true, Opcode: OpText}, []byte{0x81, 0x00}},
	{"len 1", Header{Fin: true, Opcode: OpBinary, Length: 1}, []byte{0x82, 0x01}},
	{"len 125", Header{Fin: true, Opcode: OpBinary, Length: 125}, []byte{0x82, 0x7d}},
	{"len 126", Header{Fin: true, Opcode: OpBinary, Length: 126}, []byte{0x82, 0x7e, 0x00, 0x7e}},
	{"len 256", Header{Fin: true, Opcode: OpBinary, Length: 256}, []byte{0x82, 0x7e, 0x01, 0x00}},
	{"len 65535", Header{Fin: true, Opcode: OpBinary, Length: 65535}, []byte{0x82, 0x7e, 0xff, 0xff}},
	{"len 65536", Header{Fin: true, Opcode: OpBinary, Length: 65536},
		[]byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}},
	{"len 2^32-1", Header{Fin: true, Opcode: OpBinary, Length: 1<<32 - 1},
		[]byte{0x82, 0x7f, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}},
	{"len 2^32", Header{Fin: true, Opcode: OpBinary, Length: 1 << 32},
		[]byte{0x82, 0x7f, 0, 0, 0, 0x01, 0, 0, 0, 0}},
	{"len max", Header{Fin: true, Opcode: OpBinary, Length: math.MaxInt64},
		[]byte{0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},

	{"masked empty", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey},
		[]byte{0x81, 0x80, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked 125", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: 125},
		[]byte{0x81, 0xfd, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked 126", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: 126},
		[]byte{0x81, 0xfe, 0x00, 0x7e, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked 65535", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: 65535},
		[]byte{0x81, 0xfe, 0xff, 0xff, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked 65536", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: 65536},
		[]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked 2^32", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: 1 << 32},
		[]byte{0x81, 0xff, 0, 0, 0, 0x01, 0, 0, 0, 0, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked max", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: math.MaxInt64},
		[]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x37, 0xfa, 0x21, 0x3d}},
	{"masked zero key", Header{Fin: true, Opcode: OpText, Masked: true, Length: 3},
		[]byte{0x81, 0x83, 0, 0, 0, 0}},

	{"not fin", Header{Opcode: OpText, Length: 5}, []byte{0x01, 0x05}},
	{"continuation", Header{Opcode: OpContinuation, Length: 5}, []byte{0x00, 0x05}},
	{"final continuation", Header{Fin: true, Opcode: OpContinuation}, []byte{0x80, 0x00}},
	{"rsv1", Header{Fin: true, RSV: RSV1, Opcode: OpText, Length: 7}, []byte{0xc1, 0x07}},
	{"rsv2", Header{Fin: true, RSV: RSV2, Opcode: OpText}, []byte{0xa1, 0x00}},
	{"rsv3", Header{Fin: true, RSV: RSV3, Opcode: OpText}, []byte{0x91, 0x00}},
	{"all rsv", Header{RSV: RSV1 | RSV2 | RSV3, Opcode: OpBinary}, []byte{0x72, 0x00}},
	{"close", Header{Fin: true, Opcode: OpClose, Length: 2}, []byte{0x88, 0x02}},
	{"ping", Header{Fin: true, Opcode: OpPing}, []byte{0x89, 0x00}},
	{"pong", Header{Fin: true, Opcode: OpPong, Length: 125}, []byte{0x8a, 0x7d}},
	{"reserved data", Header{Fin: true, Opcode: 0x3}, []byte{0x83, 0x00}},
	{"reserved control", Header{Fin: true, Opcode: 0xF}, []byte{0x8f, 0x00}},
	// ParseHeader leaves control frame rules to the connection.
	{"long ping", Header{Fin: false, Opcode: OpPing, Length: 126}, []byte{0x09, 0x7e, 0x00, 0x7e}},
	{"everything", Header{Fin: true, RSV: RSV1 | RSV2 | RSV3, Opcode: 0xF, Masked: true,
		Key: [4]byte{0xff, 0xff, 0xff, 0xff}, Length: math.MaxInt64},
		[]byte{0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
}

func TestPutHeader(t *testing.T) {
	for _, tt := range headerTests {
		var buf [MaxHeaderSize]byte
		n := PutHeader(buf[:], tt.h)
		if got := buf[:n]; !bytes.Equal(got, tt.wire) {
			t.Errorf("%s: PutHeader(%+v) wrote % x, want % x", tt.name, tt.h, got, tt.wire)
		}
		// An exactly sized buffer is enough.
		exact := make([]byte, len(tt.wire))
		if n := PutHeader(exact, tt.h); n != len(tt.wire) || !bytes.Equal(exact, tt.wire) {
			t.Errorf("%s: PutHeader into exact buffer wrote % x, want % x", tt.name, exact[:n], tt.wire)
		}
	}
}

func TestAppendHeader(t *testing.T) {
	for _, tt := range headerTests {
		prefix := []byte("prefix")
		got := AppendHeader(prefix, tt.h)
		want := append([]byte("prefix"), tt.wire...)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: AppendHeader = % x, want % x", tt.name, got, want)
		}
	}
}

func TestPutHeaderIgnoresExtraBits(t *testing.T) {
	h := Header{Fin: true, RSV: 0xff, Opcode: 0xf1, Length: 3}
	var buf [MaxHeaderSize]byte
	n := PutHeader(buf[:], h)
	if want := []byte{0xf1, 0x03}; !bytes.Equal(buf[:n], want) {
		t.Errorf("PutHeader(%+v) = % x, want % x", h, buf[:n], want)
	}
}

func TestPutHeaderPanics(t *testing.T) {
	tests := []struct {
		name string
		size int
		h    Header
	}{
		{"negative length", MaxHeaderSize, Header{Length: -1}},
		{"empty buffer", 0, Header{}},
		{"no room for 16-bit length", 3, Header{Length: 126}},
		{"no room for 64-bit length", 9, Header{Length: 65536}},
		{"no room for key", 5, Header{Masked: true}},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: PutHeader did not panic", tt.name)
				}
			}()
			PutHeader(make([]byte, tt.size), tt.h)
		}()
	}
}

func TestParseHeader(t *testing.T) {
	for _, tt := range headerTests {
		// Trailing payload bytes must not be looked at.
		for _, extra := range [][]byte{nil, {0x81}, bytes.Repeat([]byte{0xff}, 20)} {
			b := append(append([]byte(nil), tt.wire...), extra...)
			h, n, need, err := ParseHeader(b)
			if err != nil || n != len(tt.wire) || need != n || h != tt.h {
				t.Errorf("%s: ParseHeader(% x) = %+v, %d, %d, %v; want %+v, %d, %d, nil",
					tt.name, b, h, n, need, err, tt.h, len(tt.wire), len(tt.wire))
			}
		}
	}
}

func TestParseHeaderShort(t *testing.T) {
	for _, tt := range headerTests {
		for k := 0; k < len(tt.wire); k++ {
			want := len(tt.wire)
			if k < 2 {
				want = 2
			}
			h, n, need, err := ParseHeader(tt.wire[:k])
			if err != nil || n != 0 || need != want || h != (Header{}) {
				t.Errorf("%s: ParseHeader(% x) = %+v, %d, %d, %v; want zero header, 0, %d, nil",
					tt.name, tt.wire[:k], h, n, need, err, want)
			}
		}
	}
}

func TestParseHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		wire []byte
		err  error
	}{
		{"16-bit 0", []byte{0x82, 0x7e, 0x00, 0x00}, ErrNonMinimalLength},
		{"16-bit 125", []byte{0x82, 0x7e, 0x00, 0x7d}, ErrNonMinimalLength},
		{"masked 16-bit 125", []byte{0x82, 0xfe, 0x00, 0x7d, 1, 2, 3, 4}, ErrNonMinimalLength},
		{"64-bit 0", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0}, ErrNonMinimalLength},
		{"64-bit 125", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7d}, ErrNonMinimalLength},
		{"64-bit 126", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x7e}, ErrNonMinimalLength},
		{"64-bit 65535", []byte{0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, ErrNonMinimalLength},
		{"masked 64-bit 65535", []byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}, ErrNonMinimalLength},
		{"64-bit 2^63", []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, ErrLengthOverflow},
		{"64-bit max", []byte{0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, ErrLengthOverflow},
		// Ignoring the top bit would make this look non-minimal.
		{"64-bit 2^63 small low bits", []byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x01}, ErrLengthOverflow},
		{"masked 64-bit 2^63", []byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, ErrLengthOverflow},
	}
	for _, tt := range tests {
		h, n, need, err := ParseHeader(tt.wire)
		if !errors.Is(err, tt.err) || n != 0 || need != 0 || h != (Header{}) {
			t.Errorf("%s: ParseHeader(% x) = %+v, %d, %d, %v; want zero header, 0, 0, %v",
				tt.name, tt.wire, h, n, need, err, tt.err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "frame: ") {
			t.Errorf("%s: error %q lacks the \"frame: \" prefix", tt.name, err)
		}
		// An error is reported only once the whole header is there.
		for k := 0; k < len(tt.wire); k++ {
			if _, n, need, err := ParseHeader(tt.wire[:k]); err != nil || n != 0 || need <= k {
				t.Errorf("%s: ParseHeader(% x) = _, %d, %d, %v; want _, 0, >%d, nil",
					tt.name, tt.wire[:k], n, need, err, k)
			}
		}
	}
}

func BenchmarkParseHeader(b *testing.B) {
	for _, tt := range []struct {
		name string
		h    Header
	}{
		{"7-bit", Header{Fin: true, Opcode: OpText, Length: 100}},
		{"16-bit masked", Header{Fin: true, Opcode: OpText, Masked: true, Key: testKey, Length: 1000}},
		{"64-bit masked", Header{Fin: true, Opcode: OpBinary, Masked: true, Key: testKey, Length: 1 << 20}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			wire := AppendHeader(nil, tt.h)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, n, _, err := ParseHeader(wire); n == 0 || err != nil {
					b.Fatal("ParseHeader failed")
				}
			}
		})
	}
}

func BenchmarkPutHeader(b *testing.B) {
	h := Header{Fin: true, Opcode: OpBinary, Masked: true, Key: testKey, Length: 1000}
	var buf [MaxHeaderSize]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		PutHeader(buf[:], h)
	}
}
