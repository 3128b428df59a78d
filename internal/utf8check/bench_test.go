package utf8check

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// benchInputs returns the texts to benchmark: ASCII and mixed text with
// characters of every length, each of 1 KiB and 64 KiB.
func benchInputs() []struct {
	name string
	data []byte
} {
	const mixed = "The quick brown fox jumps over the lazy dog. " +
		"Größe, façade, naïve. Съешь же ещё этих мягких французских булок. " +
		"敏捷的棕色狐狸跳过了懒狗。 😀🎉🌍 "
	text := func(base string, n int) []byte {
		s := strings.Repeat(base, n/len(base)+1)
		// Cut at a character boundary at or before n bytes.
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		return []byte(s[:n])
	}
	return []struct {
		name string
		data []byte
	}{
		{"ascii-1K", text("The quick brown fox jumps over the lazy dog. ", 1<<10)},
		{"ascii-64K", text("The quick brown fox jumps over the lazy dog. ", 64<<10)},
		{"mixed-1K", text(mixed, 1<<10)},
		{"mixed-64K", text(mixed, 64<<10)},
	}
}

func BenchmarkValidator(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			var v Validator
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				v.Reset()
				if !v.Write(in.data) || !v.Complete() {
					b.Fatal("invalid input")
				}
			}
		})
	}
}

// BenchmarkUTF8Valid is the yardstick for BenchmarkValidator.
func BenchmarkUTF8Valid(b *testing.B) {
	for _, in := range benchInputs() {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if !utf8.Valid(in.data) {
					b.Fatal("invalid input")
				}
			}
		})
	}
}
