//go:build !purego

package frame

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestMaskVectorPaths runs the masking tests once for each vector routine
// the CPU supports, so the SSE2 code is covered on machines with AVX2 too.
func TestMaskVectorPaths(t *testing.T) {
	saved := useAVX2
	t.Cleanup(func() { useAVX2 = saved })
	for _, avx2 := range []bool{false, true} {
		name := "SSE2"
		if avx2 {
			name = "AVX2"
		}
		t.Run(name, func(t *testing.T) {
			if avx2 && !saved {
				t.Skip("CPU or OS does not support AVX2")
			}
			useAVX2 = avx2
			TestMask(t)
			TestMaskEdges(t)
			TestMaskUnaligned(t)
			TestMaskCapacity(t)
			TestMaskPieces(t)
			testMaskAsm(t)
		})
	}
}

// testMaskAsm checks maskAsm directly, including lengths below the
// threshold at which Mask calls it: it masks the first len(b)&^15 bytes
// and touches nothing else.
func testMaskAsm(t *testing.T) {
	r := rand.NewChaCha8([32]byte{5})
	for n := 0; n <= 300; n++ {
		for off := 0; off < 32; off++ {
			key := randKey(r)
			buf := randBytes(r, off+n+16)
			want := append([]byte(nil), buf...)
			maskRef(key, 0, want[off:off+n&^15])
			k32 := binary.LittleEndian.Uint32(key[:])
			maskAsm(buf[off:off+n], uint64(k32)<<32|uint64(k32))
			if !bytes.Equal(buf, want) {
				t.Fatalf("maskAsm(b[%d:%d], %x) differs from the reference", off, off+n, key)
			}
		}
	}
}

func TestHasAVX2(t *testing.T) {
	t.Logf("cpu.X86.HasAVX2 = %v, cpu.X86.HasSSE2 = %v", cpu.X86.HasAVX2, cpu.X86.HasSSE2)
	if !cpu.X86.HasSSE2 {
		t.Error("amd64 without SSE2: maskAsm needs it")
	}
}
