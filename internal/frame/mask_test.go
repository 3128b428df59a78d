package frame

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// maskRef is the byte-at-a-time definition of masking in RFC 6455,
// section 5.3.
func maskRef(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

func randBytes(r *rand.ChaCha8, n int) []byte {
	b := make([]byte, n)
	r.Read(b)
	return b
}

func randKey(r *rand.ChaCha8) [4]byte {
	var k [4]byte
	r.Read(k[:])
	return k
}

func TestMask(t *testing.T) {
	r := rand.NewChaCha8([32]byte{1})
	var sizes []int
	for n := 0; n <= 100; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 255, 256, 257, 1000, 4096+3, 65536+5, 1<<20+7)
	for _, n := range sizes {
		for pos := 0; pos < 4; pos++ {
			key := randKey(r)
			data := randBytes(r, n)
			// Mask a window that does not start on a word boundary,
			// with guard bytes around it that must stay untouched.
			buf := append(append([]byte{0xa5}, data...), 0x5a)
			want := append([]byte(nil), data...)
			wantNext := maskRef(key, pos, want)

			next := Mask(key, pos, buf[1:1+n])
			if next != wantNext {
				t.Errorf("Mask(%x, %d, [%d]byte) = %d, want %d", key, pos, n, next, wantNext)
			}
			if !bytes.Equal(buf[1:1+n], want) {
				t.Errorf("Mask(%x, %d, [%d]byte) differs from the reference", key, pos, n)
			}
			if buf[0] != 0xa5 || buf[n+1] != 0x5a {
				t.Errorf("Mask(%x, %d, [%d]byte) wrote outside its slice", key, pos, n)
			}
			// Masking again restores the data.
			Mask(key, pos, buf[1:1+n])
			if !bytes.Equal(buf[1:1+n], data) {
				t.Errorf("Mask(%x, %d, [%d]byte) twice did not restore the data", key, pos, n)
			}
		}
	}
}

func TestMaskPosHighBits(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for _, pos := range []int{4, 5, 6, 7, 1 << 20, -1, -4} {
		got := bytes.Repeat([]byte{0xee}, 37)
		want := bytes.Repeat([]byte{0xee}, 37)
		gotNext := Mask(key, pos, got)
		wantNext := maskRef(key, pos&3, want)
		if gotNext != wantNext || !bytes.Equal(got, want) {
			t.Errorf("Mask with pos %d does not act as pos %d", pos, pos&3)
		}
	}
}

func TestMaskPieces(t *testing.T) {
	src := rand.NewChaCha8([32]byte{2})
	r := rand.New(src)
	for iter := 0; iter < 500; iter++ {
		n := r.IntN(3000)
		key := randKey(src)
		pos := r.IntN(4)
		data := randBytes(src, n)
		want := append([]byte(nil), data...)
		wantNext := Mask(key, pos, want)

		got := append([]byte(nil), data...)
		next := pos
		for rest := got; len(rest) > 0; {
			k := r.IntN(min(len(rest), 70) + 1)
			next = Mask(key, next, rest[:k])
			rest = rest[k:]
		}
		if next != wantNext || !bytes.Equal(got, want) {
			t.Fatalf("masking %d bytes in pieces differs from masking them whole (key %x, pos %d)", n, key, pos)
		}
	}
}

func TestMaskAllocs(t *testing.T) {
	buf := make([]byte, 4096)
	key := [4]byte{1, 2, 3, 4}
	if n := testing.AllocsPerRun(100, func() { Mask(key, 1, buf) }); n != 0 {
		t.Errorf("Mask allocates %v times per call, want 0", n)
	}
}

var benchSizes = []int{16, 1024, 65536, 1 << 20}

func BenchmarkMask(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			buf := make([]byte, n)
			key := [4]byte{1, 2, 3, 4}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Mask(key, 0, buf)
			}
		})
	}
}

// BenchmarkCopy is the yardstick for BenchmarkMask: copy moves the same
// number of bytes at memory speed.
func BenchmarkCopy(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			src := make([]byte, n)
			dst := make([]byte, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				copy(dst, src)
			}
		})
	}
}
