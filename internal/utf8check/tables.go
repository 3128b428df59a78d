package utf8check

// asciiMask selects the high bit of each byte of a 64-bit word; a word of
// ASCII bytes has none of them set.
const asciiMask = 0x8080808080808080

// The range of a continuation byte in general. The second byte of some
// sequences has a narrower range, recorded in ranges.
const (
	contLo = 0x80
	contHi = 0xBF
)

// byteRange is the inclusive range a continuation byte must fall in.
type byteRange struct{ lo, hi byte }

// ranges holds the allowed ranges of the byte after a lead byte, from the
// table of well-formed byte sequences in the Unicode Standard (section 3.9)
// and RFC 3629. The narrow ones exclude overlong forms, surrogates and code
// points above U+10FFFF.
var ranges = [...]byteRange{
	0: {contLo, contHi},
	1: {0xA0, contHi}, // after E0: no overlong three-byte forms
	2: {contLo, 0x9F}, // after ED: no surrogates U+D800-U+DFFF
	3: {0x90, contHi}, // after F0: no overlong four-byte forms
	4: {contLo, 0x8F}, // after F4: nothing above U+10FFFF
}

// A leads entry describes a byte that starts a character: the low bits give
// the length of the sequence (0 if the byte can never start one, 1 for
// ASCII) and the bits from rangeShift up index ranges for the second byte.
const (
	sizeBits   = 0x07
	rangeShift = 4
)

// leads describes every byte value as the first byte of a character.
var leads = makeLeads()

func makeLeads() (t [256]uint8) {
	set := func(from, to int, size, rng uint8) {
		for c := from; c <= to; c++ {
			t[c] = size | rng<<rangeShift
		}
	}
	// 0x80-0xC1 (continuation bytes and overlong two-byte leads) and
	// 0xF5-0xFF stay 0: they never start a character.
	set(0x00, 0x7F, 1, 0)
	set(0xC2, 0xDF, 2, 0)
	set(0xE0, 0xE0, 3, 1)
	set(0xE1, 0xEC, 3, 0)
	set(0xED, 0xED, 3, 2)
	set(0xEE, 0xEF, 3, 0)
	set(0xF0, 0xF0, 4, 3)
	set(0xF1, 0xF3, 4, 0)
	set(0xF4, 0xF4, 4, 4)
	return t
}
