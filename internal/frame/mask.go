package frame

import (
	"encoding/binary"
	"math/bits"
)

// Mask XORs b in place with the masking key, starting at byte pos of the
// key, and returns the key position for the byte that follows b,
// (pos+len(b))&3. Feeding that position to the next call masks a payload
// in pieces exactly as if it were masked whole. Masking and unmasking are
// the same operation (RFC 6455, section 5.3). Only the low two bits of pos
// are used.
//
// Mask works a 64-bit word at a time (on amd64, 16 or 32 bytes at a time
// with SSE2 or AVX2 for longer slices) and does not allocate.
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	next := (pos + len(b)) & 3
	if len(b) < 8 {
		for i := range b {
			b[i] ^= key[(pos+i)&3]
		}
		return next
	}

	// Rotate the key so that its first byte applies to b[0], and repeat it
	// to fill a word. Every step below consumes a multiple of four bytes,
	// so the word stays in phase with b.
	k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*pos)
	k := uint64(k32)<<32 | uint64(k32)

	// Where the architecture has a vector routine for long payloads, it
	// masks all but the last few bytes of b and leaves those to the loops
	// below.
	b = maskVector(b, k)

	// Eight words per step: the loop is bound by the one store per word,
	// and unrolling keeps the loop overhead off that path.
	for len(b) >= 64 {
		w := b[:64:64]
		binary.LittleEndian.PutUint64(w[0:8], binary.LittleEndian.Uint64(w[0:8])^k)
		binary.LittleEndian.PutUint64(w[8:16], binary.LittleEndian.Uint64(w[8:16])^k)
		binary.LittleEndian.PutUint64(w[16:24], binary.LittleEndian.Uint64(w[16:24])^k)
		binary.LittleEndian.PutUint64(w[24:32], binary.LittleEndian.Uint64(w[24:32])^k)
		binary.LittleEndian.PutUint64(w[32:40], binary.LittleEndian.Uint64(w[32:40])^k)
		binary.LittleEndian.PutUint64(w[40:48], binary.LittleEndian.Uint64(w[40:48])^k)
		binary.LittleEndian.PutUint64(w[48:56], binary.LittleEndian.Uint64(w[48:56])^k)
		binary.LittleEndian.PutUint64(w[56:64], binary.LittleEndian.Uint64(w[56:64])^k)
		b = b[64:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b[:8], binary.LittleEndian.Uint64(b[:8])^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= byte(k >> (8 * i))
	}
	return next
}
