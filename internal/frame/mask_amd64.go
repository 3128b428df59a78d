//go:build !purego

package frame

import "golang.org/x/sys/cpu"

// maskVectorMin is the shortest b for which maskVector calls into
// assembly. Up to two of the 64-byte steps of the word loop in Mask are
// as fast as the call; beyond that the vector code wins.
const maskVectorMin = 144

// useAVX2 reports whether maskAsm may use 256-bit AVX2 instructions: the
// CPU has AVX and AVX2 and the operating system saves the YMM registers
// (cpu.X86 counts AVX and AVX2 only then). Otherwise maskAsm uses SSE2,
// which every amd64 CPU has (cpu.X86.HasSSE2).
var useAVX2 = cpu.X86.HasAVX && cpu.X86.HasAVX2

// maskVector masks the longest prefix of b whose length is a multiple of
// 16 and returns the rest, fewer than 16 bytes. k is the masking key for
// b[0] repeated to fill 64 bits (little-endian). Short slices are returned
// untouched.
func maskVector(b []byte, k uint64) []byte {
	if len(b) >= maskVectorMin {
		maskAsm(b, k)
		b = b[len(b)&^15:]
	}
	return b
}

// maskAsm XORs each 8-byte word of the first len(b)&^15 bytes of b with
// k, in place, and leaves the last len(b)&15 bytes alone.
//
//go:noescape
func maskAsm(b []byte, k uint64)
