package frame

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// Lengths on either side of the points where Mask switches between its
// code paths: the 8- and 64-byte steps of the word loop, the 16-, 32-, 64-
// and 128-byte blocks of the vector routines, and the lengths from which
// they are called (144 on amd64) and use AVX2 (64).
var maskEdgeSizes = []int{
	7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 79, 80, 81,
	95, 96, 97, 111, 112, 113, 127, 128, 129, 143, 144, 145, 159, 160, 161,
	191, 192, 193, 255, 256, 257, 4095, 4096, 4096 + 3,
}

// TestMaskEdges checks lengths around the block sizes and thresholds
// against the reference, for slices that start at 32 consecutive offsets,
// so at every distance from a 32-byte boundary.
func TestMaskEdges(t *testing.T) {
	r := rand.NewChaCha8([32]byte{3})
	for _, n := range maskEdgeSizes {
		for off := 0; off < 32; off++ {
			for pos := 0; pos < 4; pos++ {
				key := randKey(r)
				// off guard bytes before the window and 8 after it.
				buf := randBytes(r, off+n+8)
				orig := append([]byte(nil), buf...)
				want := append([]byte(nil), buf...)
				wantNext := maskRef(key, pos, want[off:off+n])

				next := Mask(key, pos, buf[off:off+n])
				if next != wantNext {
					t.Errorf("Mask(%x, %d, b[%d:%d]) = %d, want %d", key, pos, off, off+n, next, wantNext)
				}
				if !bytes.Equal(buf, want) {
					t.Errorf("Mask(%x, %d, b[%d:%d]) differs from the reference", key, pos, off, off+n)
				}
				Mask(key, pos, buf[off:off+n])
				if !bytes.Equal(buf, orig) {
					t.Errorf("Mask(%x, %d, b[%d:%d]) twice did not restore the data", key, pos, off, off+n)
				}
			}
		}
	}
}

// TestMaskUnaligned masks long slices that start one and three bytes into
// an allocation, so that the vector loads and stores are not aligned.
func TestMaskUnaligned(t *testing.T) {
	r := rand.NewChaCha8([32]byte{4})
	for _, n := range []int{64, 1000, 4096 + 3, 65536 + 5} {
		for _, off := range []int{1, 3} {
			for pos := 0; pos < 4; pos++ {
				key := randKey(r)
				b := randBytes(r, n+off)
				want := append([]byte(nil), b...)
				wantNext := maskRef(key, pos, want[off:])
				next := Mask(key, pos, b[off:])
				if next != wantNext || !bytes.Equal(b, want) {
					t.Errorf("Mask(%x, %d, b[%d:]) with len(b) = %d differs from the reference", key, pos, off, n+off)
				}
			}
		}
	}
}

// TestMaskCapacity checks that Mask writes nothing between the end of its
// slice and the end of the slice's capacity.
func TestMaskCapacity(t *testing.T) {
	key := [4]byte{0x11, 0x22, 0x33, 0x44}
	for _, n := range maskEdgeSizes {
		buf := bytes.Repeat([]byte{0xcc}, n+32)
		Mask(key, 2, buf[:n])
		for i := n; i < len(buf); i++ {
			if buf[i] != 0xcc {
				t.Fatalf("Mask of %d bytes wrote byte %d of the capacity", n, i)
			}
		}
	}
}

// BenchmarkMaskUnaligned masks payloads that start one byte into their
// buffer, as payloads that follow a frame header in a read buffer do.
func BenchmarkMaskUnaligned(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			buf := make([]byte, n+1)[1:]
			key := [4]byte{1, 2, 3, 4}
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				Mask(key, 0, buf)
			}
		})
	}
}
