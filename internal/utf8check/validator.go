// Package utf8check validates UTF-8 text that arrives in pieces, such as
// the fragments of a WebSocket text message.
//
// RFC 6455, section 8.1, asks an endpoint to fail the connection as soon as
// a text message turns out not to be valid UTF-8, and the fragments of a
// message may split a character anywhere. A Validator therefore keeps the
// state of an unfinished character between pieces and rejects a stream at
// the first byte that no continuation could make valid: an overlong form,
// a surrogate, a code point above U+10FFFF or a misplaced byte.
package utf8check

import "encoding/binary"

// Validator checks that a byte stream fed to it in pieces is valid UTF-8
// as defined by RFC 3629 (the same rules as unicode/utf8.Valid).
//
// The zero value is ready for use and expects the start of a message. A
// Validator must not be used by several goroutines at once.
type Validator struct {
	need   uint8 // continuation bytes still missing from the current character
	lo, hi byte  // the range the next continuation byte must fall in
	failed bool  // the stream can no longer become valid
}

// Write feeds the next piece of the stream and reports whether the stream
// so far is still a prefix of some valid UTF-8 text. It returns false for
// the piece holding the first byte that rules this out, and for every piece
// after it, until Reset. Write does not allocate.
func (v *Validator) Write(p []byte) bool {
	if v.failed {
		return false
	}
	if v.need > 0 {
		var ok bool
		if p, ok = v.resume(p); !ok {
			return false
		}
	}
	p = p[:len(p):len(p)] // lets the compiler skip capacity arithmetic

	for len(p) > 0 {
		c := p[0]
		if c < 0x80 {
			p = p[1:]
			// ASCII tends to come in runs: if a word of it follows,
			// skip it 32, then 8 bytes at a time. Comparing with >
			// rather than >= keeps p from ever being sliced to its
			// very end here, which spares the compiler a pointer
			// adjustment in the loops.
			if len(p) > 8 && word(p[0:8])&asciiMask == 0 {
				p = p[8:]
				for len(p) > 32 && (word(p[0:8])|word(p[8:16])|word(p[16:24])|word(p[24:32]))&asciiMask == 0 {
					p = p[32:]
				}
				for len(p) > 8 && word(p[0:8])&asciiMask == 0 {
					p = p[8:]
				}
			}
			continue
		}
		x := leads[c]
		size := int(x & sizeBits)
		r := ranges[x>>rangeShift]
		if len(p) < size {
			return v.begin(p, size, r)
		}
		switch size {
		case 2:
			if p[1] < r.lo || p[1] > r.hi {
				return v.fail()
			}
			p = p[2:]
		case 3:
			if p[1] < r.lo || p[1] > r.hi || p[2]&0xC0 != 0x80 {
				return v.fail()
			}
			p = p[3:]
		case 4:
			if p[1] < r.lo || p[1] > r.hi || p[2]&0xC0 != 0x80 || p[3]&0xC0 != 0x80 {
				return v.fail()
			}
			p = p[4:]
		default:
			return v.fail() // 0x80-0xC1 or 0xF5-0xFF cannot start a character
		}
	}
	return true
}

// Complete reports whether the stream so far is valid UTF-8 that ends on a
// whole character. It is called at the end of a message; an empty stream is
// complete.
func (v *Validator) Complete() bool {
	return !v.failed && v.need == 0
}

// Reset makes v ready for a new message, forgetting any failure or
// unfinished character.
func (v *Validator) Reset() {
	*v = Validator{}
}

// resume checks the start of p against the rest of the character that an
// earlier piece began, and returns what follows that character. If p ends
// first, it records the progress and returns an empty slice.
func (v *Validator) resume(p []byte) (rest []byte, ok bool) {
	for v.need > 0 {
		if len(p) == 0 {
			return p, true
		}
		if p[0] < v.lo || p[0] > v.hi {
			return nil, v.fail()
		}
		p = p[1:]
		v.need--
		v.lo, v.hi = contLo, contHi
	}
	return p, true
}

// begin handles a character of the given size that starts at p[0] and does
// not end within p. It checks the bytes that are there and records what
// the rest of the character must be.
func (v *Validator) begin(p []byte, size int, r byteRange) bool {
	v.need = uint8(size - 1)
	v.lo, v.hi = r.lo, r.hi
	_, ok := v.resume(p[1:])
	return ok
}

// word returns the first eight bytes of b as a word, for ASCII checks.
func word(b []byte) uint64 {
	return binary.LittleEndian.Uint64(b)
}

// fail records that the stream is invalid and returns false.
func (v *Validator) fail() bool {
	v.failed = true
	return false
}
