package conformance

import (
	"math/rand/v2"
	"strconv"
	"unicode/utf8"
)

// Payload generators. Each is deterministic for a seed, so that a case
// sends the same bytes in every run and its failures can be reproduced.

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// words is the vocabulary of compressibleText.
var words = []string{
	"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "frame",
	"message", "socket", "deflate", "window", "context", "takeover", "close",
	"ping", "pong", "text", "binary", "server", "client", "payload", "mask",
}

// compressibleText returns n bytes of ASCII text that compresses well:
// JSON-like records built from a small vocabulary.
func compressibleText(n int, seed uint64) []byte {
	r := newRand(seed)
	b := make([]byte, 0, n+64)
	for i := 0; len(b) < n; i++ {
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"word":"`...)
		b = append(b, words[r.IntN(len(words))]...)
		b = append(b, `","value":`...)
		b = strconv.AppendInt(b, int64(r.IntN(1000)), 10)
		b = append(b, "}\n"...)
	}
	return b[:n]
}

// randomText returns n bytes of valid UTF-8 made of random code points of
// one to four bytes, which compresses badly.
func randomText(n int, seed uint64) []byte {
	r := newRand(seed)
	b := make([]byte, 0, n)
	for len(b) < n {
		var c rune
		switch left := n - len(b); {
		case left < 4:
			c = rune(0x20 + r.IntN(0x5f))
		default:
			switch r.IntN(4) {
			case 0:
				c = rune(0x20 + r.IntN(0x5f))
			case 1:
				c = rune(0x80 + r.IntN(0x780))
			case 2:
				c = rune(0x800 + r.IntN(0xd800-0x800))
			default:
				c = rune(0x10000 + r.IntN(0x100000))
			}
		}
		b = utf8.AppendRune(b, c)
	}
	return b
}

// randomBinary returns n random bytes, which do not compress.
func randomBinary(n int, seed uint64) []byte {
	r := newRand(seed)
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := i; j < n && j < i+8; j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	return b
}

// compressibleBinary returns n bytes of binary records with much
// repetition, including every byte value.
func compressibleBinary(n int, seed uint64) []byte {
	r := newRand(seed)
	b := make([]byte, 0, n+16)
	for len(b) < n {
		rec := byte(r.IntN(16))
		b = append(b, 0x00, 0xff, rec, rec^0x80, 0x10, 0x20, 0x30, 0x40, byte(len(b)), 0xfe)
	}
	return b[:n]
}

// asciiText returns n bytes of printable ASCII, cheap to make at any
// size.
func asciiText(n int) []byte {
	const pattern = "Hello, WebSocket! 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
	b := make([]byte, n)
	for i := 0; i < n; i += len(pattern) {
		copy(b[i:], pattern)
	}
	return b
}

// binaryPattern returns n bytes cycling through all byte values, cheap
// to make at any size.
func binaryPattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}
