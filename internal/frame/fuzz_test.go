package frame

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	for _, tt := range headerTests {
		f.Add(tt.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, need, err := ParseHeader(b)
		switch {
		case err != nil:
			if n != 0 || need != 0 || h != (Header{}) {
				t.Fatalf("ParseHeader(% x) = %+v, %d, %d, %v; want zero results with an error", b, h, n, need, err)
			}
			if len(b) < 2 {
				t.Fatalf("ParseHeader(% x) failed before it had two bytes: %v", b, err)
			}
		case n == 0:
			if need <= len(b) || need > MaxHeaderSize || len(b) < 2 && need != 2 {
				t.Fatalf("ParseHeader(% x) = _, 0, %d, nil: bad need", b, need)
			}
		default:
			if need != n || n < 2 || n > MaxHeaderSize || n > len(b) {
				t.Fatalf("ParseHeader(% x) = _, %d, %d, nil: bad sizes", b, n, need)
			}
			var buf [MaxHeaderSize]byte
			m := PutHeader(buf[:], h)
			if !bytes.Equal(buf[:m], b[:n]) {
				t.Fatalf("ParseHeader(% x) = %+v, which re-encodes to % x", b[:n], h, buf[:m])
			}
			// Every proper prefix of the header asks for more bytes,
			// and the first two bytes already know how many.
			for k := 0; k < n; k++ {
				_, pn, pneed, perr := ParseHeader(b[:k])
				want := n
				if k < 2 {
					want = 2
				}
				if pn != 0 || pneed != want || perr != nil {
					t.Fatalf("ParseHeader(% x) = _, %d, %d, %v; want _, 0, %d, nil", b[:k], pn, pneed, perr, want)
				}
			}
		}
	})
}

func FuzzMask(f *testing.F) {
	f.Add(uint32(0x3d21fa37), 0, []byte("Hello"))
	f.Add(uint32(0xffffffff), 3, bytes.Repeat([]byte{0x55}, 100))
	f.Add(uint32(1), 1, []byte{})
	f.Fuzz(func(t *testing.T, k uint32, pos int, data []byte) {
		var key [4]byte
		binary.LittleEndian.PutUint32(key[:], k)
		got := append([]byte(nil), data...)
		want := append([]byte(nil), data...)
		gotNext := Mask(key, pos, got)
		wantNext := maskRef(key, pos&3, want)
		if gotNext != wantNext || !bytes.Equal(got, want) {
			t.Fatalf("Mask(%x, %d, % x) = % x, %d; want % x, %d", key, pos, data, got, gotNext, want, wantNext)
		}
	})
}
