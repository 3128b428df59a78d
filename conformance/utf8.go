package conformance

import "unicode/utf8"

// validUTF8 reports whether b is valid UTF-8 (RFC 3629: no surrogates,
// no overlong forms, nothing beyond U+10FFFF).
func validUTF8(b []byte) bool { return utf8.Valid(b) }

// invalidAt returns the index of the first byte of b at which b stops
// being the beginning of valid UTF-8, the byte a fail-fast validator
// rejects; or -1 if b is valid UTF-8 or is valid UTF-8 cut inside its last
// character.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		// The number of continuation bytes and the range of the first
		// one, from table 3-7 of the Unicode standard.
		var n int
		lo, hi := byte(0x80), byte(0xbf)
		switch {
		case c >= 0xc2 && c <= 0xdf:
			n = 1
		case c == 0xe0:
			n, lo = 2, 0xa0
		case c >= 0xe1 && c <= 0xec, c == 0xee, c == 0xef:
			n = 2
		case c == 0xed:
			n, hi = 2, 0x9f
		case c == 0xf0:
			n, lo = 3, 0x90
		case c >= 0xf1 && c <= 0xf3:
			n = 3
		case c == 0xf4:
			n, hi = 3, 0x8f
		default:
			return i
		}
		for k := 1; k <= n; k++ {
			if i+k == len(b) {
				return -1 // cut inside the character
			}
			if d := b[i+k]; d < lo || d > hi {
				return i + k
			}
			lo, hi = 0x80, 0xbf
		}
		i += n + 1
	}
	return -1
}
