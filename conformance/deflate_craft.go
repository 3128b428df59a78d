package conformance

import "math/bits"

// Hand-made DEFLATE data (RFC 1951) for cases that need what a compressor
// does not make: huge inflated sizes from small inputs, stored blocks,
// several flushes in one message, invalid blocks. None of it refers to
// anything before the message, nor further back than 1 byte, so it is
// valid with any window size and context takeover.

// bitWriter writes DEFLATE's bit stream, least significant bit first.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint
}

// bits writes the n low bits of v, least significant first.
func (w *bitWriter) bits(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes an n-bit Huffman code, most significant bit first.
func (w *bitWriter) code(c uint64, n uint) {
	w.bits(bits.Reverse64(c)>>(64-n), n)
}

// syncEnd ends the data as a sync flush does, without the 00 00 ff ff
// that RFC 7692 section 7.2.1 removes: the 3 header bits of an empty
// stored block, then padding to a byte boundary.
func (w *bitWriter) syncEnd() []byte {
	w.bits(0, 3)
	if w.n > 0 {
		w.bits(0, 8-w.n)
	}
	return w.b
}

// zeroBomb returns the compressed payload of a message of n zero bytes
// (n > 0): one fixed Huffman block of a literal zero and matches of 258
// bytes at distance 1, about 13 bits per 258 bytes.
func zeroBomb(n int) []byte {
	var w bitWriter
	w.bits(0b010, 3) // not final, fixed Huffman codes
	w.code(0x30, 8)  // literal 0
	n--
	for ; n >= 258; n -= 258 {
		w.code(0xc5, 8) // length 258 (code 285)
		w.code(0, 5)    // distance 1 (code 0)
	}
	for ; n > 0; n-- {
		w.code(0x30, 8)
	}
	w.code(0, 7) // end of block (code 256)
	return w.syncEnd()
}

// storedBlocks returns the compressed payload of the concatenation of
// parts, each in a stored block of its own, as RFC 7692 section 7.2.3.3
// shows: each block is a header byte (not final, stored), the length and
// its complement, the bytes; the final 0x00 is the header byte of the
// sync flush's empty stored block, whose 00 00 ff ff is removed.
func storedBlocks(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		n := len(p)
		b = append(b, 0x00, byte(n), byte(n>>8), ^byte(n), ^byte(n>>8))
		b = append(b, p...)
	}
	return append(b, 0x00)
}

// referenceBeforeStart returns compressed data whose first symbol is a
// match of 3 bytes at distance 1, before the start of the message.
func referenceBeforeStart() []byte {
	var w bitWriter
	w.bits(0b010, 3)  // not final, fixed Huffman codes
	w.code(0b1, 7)    // length 3 (code 257)
	w.code(0, 5)      // distance 1 (code 0)
	w.code(0x30+1, 8) // literal 1
	w.code(0, 7)      // end of block
	return w.syncEnd()
}
