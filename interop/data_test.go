//go:build linux

package interop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// sizes are the message sizes of the echo checks, in bytes: the edges of
// the frame length encodings (125, 126, 65535, 65536) and of wsconn's 64
// KiB fragments, and 1 MiB.
var sizes = []int{0, 1, 125, 126, 65535, 65536, 1 << 20}

// utf8Sizes are the sizes of the multi-byte UTF-8 texts: one 4-byte
// character alone, then the edges above.
var utf8Sizes = []int{4, 125, 126, 65535, 65536, 1 << 20}

// asciiText returns n bytes of printable ASCII.
func asciiText(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?-_"
	r := rand.New(rand.NewPCG(uint64(n), 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// utf8Runes mix characters of 4, 1, 2, 3, 2 and 4 bytes; their lengths add up
// to 19, so that characters straddle the boundaries of 64 KiB fragments.
var utf8Runes = []rune{'😀', 'a', 'é', '€', 'ж', '𝄞', '中'}

// utf8Text returns a valid UTF-8 text of exactly n bytes, made of
// multi-byte characters, 4-byte ones included, padded with ASCII.
func utf8Text(n int) string {
	var b strings.Builder
	b.Grow(n)
	for i := 0; ; i++ {
		r := utf8Runes[i%len(utf8Runes)]
		if b.Len()+utf8.RuneLen(r) > n {
			break
		}
		b.WriteRune(r)
	}
	for b.Len() < n {
		b.WriteByte('z')
	}
	return b.String()
}

// binaryData returns n pseudo-random bytes: they do not compress.
func binaryData(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// compressibleText returns about n bytes of repetitive JSON lines, which
// deflate shrinks many times.
func compressibleText(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "{\"id\":%d,\"kind\":\"interop\",\"tags\":[\"wsconn\",\"deflate\"],\"ok\":true}\n", i)
	}
	return b.String()[:n]
}

// diff describes how got differs from want, or returns "" when they are
// equal.
func diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	if len(want) != len(got) {
		return fmt.Sprintf("got %d bytes, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i] != got[i] {
			return fmt.Sprintf("%d bytes, first difference at byte %d", len(want), i)
		}
	}
	return "differs"
}

// size formats n bytes briefly: 512 B, 64 KiB, 1 MiB, 3.2 KiB.
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
