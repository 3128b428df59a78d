package utf8check

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// failIndex is the reference for fail-fast validation: it returns the index
// of the first byte of data at which data stops being a prefix of valid
// UTF-8, or len(data) if it never does. It is built on unicode/utf8 alone.
func failIndex(data []byte) int {
	// Once a prefix is invalid, so are all longer ones, so the shortest
	// invalid prefix data[:k+1] can be found by binary search.
	return sort.Search(len(data), func(k int) bool { return !validPrefix(data[:k+1]) })
}

// validPrefix reports whether some bytes can be appended to s to make it
// valid UTF-8: s is valid text followed by at most three bytes that begin,
// but do not finish, a valid encoding (utf8.FullRune is false only for
// such bytes).
func validPrefix(s []byte) bool {
	for k := 0; k <= 3 && k <= len(s); k++ {
		head, tail := s[:len(s)-k], s[len(s)-k:]
		if utf8.Valid(head) && (k == 0 || !utf8.FullRune(tail)) {
			return true
		}
	}
	return false
}

// validatorTests lists crafted streams with the index of their first bad
// byte, or -1 if they are valid prefixes; complete says whether they are
// also valid as a whole.
var validatorTests = []struct {
	name     string
	in       string
	failAt   int
	complete bool
}{
	{"empty", "", -1, true},
	{"ascii", "Hello, world", -1, true},
	{"nul", "\x00", -1, true},
	{"del", "\x7f", -1, true},
	{"two-byte min U+0080", "\xc2\x80", -1, true},
	{"two-byte max U+07FF", "\xdf\xbf", -1, true},
	{"three-byte min U+0800", "\xe0\xa0\x80", -1, true},
	{"U+D7FF", "\xed\x9f\xbf", -1, true},
	{"U+E000", "\xee\x80\x80", -1, true},
	{"U+FFFD", "\xef\xbf\xbd", -1, true},
	{"U+FFFF", "\xef\xbf\xbf", -1, true},
	{"four-byte min U+10000", "\xf0\x90\x80\x80", -1, true},
	{"U+1F600", "\xf0\x9f\x98\x80", -1, true},
	{"U+FFFFF", "\xf3\xbf\xbf\xbf", -1, true},
	{"U+100000", "\xf4\x80\x80\x80", -1, true},
	{"U+10FFFF", "\xf4\x8f\xbf\xbf", -1, true},
	{"mixed", "κόσμε · 世界 · 🌍 ok", -1, true},
	{"long ascii then euro", strings.Repeat("a", 37) + "€" + strings.Repeat("b", 20), -1, true},

	{"incomplete two-byte", "\xc2", -1, false},
	{"incomplete three-byte", "\xe0\xa0", -1, false},
	{"incomplete four-byte", "\xf4\x8f\xbf", -1, false},
	{"ascii then incomplete", "abcdefghij\xf0\x9f\x98", -1, false},

	{"lone continuation", "\x80", 0, false},
	{"lone continuation max", "\xbf", 0, false},
	{"C0", "\xc0\x80", 0, false},
	{"C1", "\xc1\xbf", 0, false},
	{"F5", "\xf5\x80\x80\x80", 0, false},
	{"F8", "\xf8", 0, false},
	{"FE", "\xfe", 0, false},
	{"FF", "\xff", 0, false},
	{"C0 after ascii", "abcdefghijk\xc0", 11, false},
	{"overlong three-byte", "\xe0\x80\x80", 1, false},
	{"overlong three-byte max", "\xe0\x9f\xbf", 1, false},
	{"surrogate min", "\xed\xa0\x80", 1, false},
	{"surrogate max", "\xed\xbf\xbf", 1, false},
	{"overlong four-byte", "\xf0\x80\x80\x80", 1, false},
	{"overlong four-byte max", "\xf0\x8f\xbf\xbf", 1, false},
	{"above U+10FFFF", "\xf4\x90\x80\x80", 1, false},
	{"above U+10FFFF max", "\xf4\xbf\xbf\xbf", 1, false},
	{"ascii for continuation", "\xc2A", 1, false},
	{"lead for continuation", "\xe1\x80\xc2\x80", 2, false},
	{"ascii for last continuation", "\xf1\x80\x80a", 3, false},
	{"two-byte then continuation", "\xc2\x80\x80", 2, false},
	{"bad after valid text", "κόσμε\xed\xa0\x80", 11, false},
	{"bad after bad", "\xff\xff", 0, false},
}

func TestValidatorTable(t *testing.T) {
	for _, tt := range validatorTests {
		data := []byte(tt.in)
		wantFail := tt.failAt
		if wantFail < 0 {
			wantFail = len(data)
		}
		if ref := failIndex(data); ref != wantFail {
			t.Errorf("%s: reference failIndex = %d, want %d", tt.name, ref, wantFail)
		}
		if got := utf8.Valid(data); got != tt.complete {
			t.Errorf("%s: utf8.Valid = %v, want %v", tt.name, got, tt.complete)
		}

		var v Validator
		if got := v.Write(data) && v.Complete(); got != tt.complete {
			t.Errorf("%s: whole: valid = %v, want %v", tt.name, got, tt.complete)
		}
		if got := firstFalse(data); got != wantFail {
			t.Errorf("%s: byte at a time: first failure at %d, want %d", tt.name, got, wantFail)
		}
	}
}

// firstFalse feeds data to a Validator one byte at a time and returns the
// index of the first byte for which Write returns false, or len(data).
func firstFalse(data []byte) int {
	var v Validator
	for i := range data {
		if !v.Write(data[i : i+1]) {
			return i
		}
	}
	return len(data)
}

// checkSplits feeds data in every split into one, two and three pieces
// (empty pieces included) and checks each Write against the reference.
func checkSplits(t *testing.T, data []byte) {
	t.Helper()
	fail := failIndex(data)
	valid := utf8.Valid(data)
	var v Validator
	for i := 0; i <= len(data); i++ {
		for j := i; j <= len(data); j++ {
			v.Reset()
			for _, piece := range [][2]int{{0, i}, {i, j}, {j, len(data)}} {
				start, end := piece[0], piece[1]
				if got, want := v.Write(data[start:end]), fail >= end; got != want {
					t.Fatalf("% x split at %d, %d: Write(data[%d:%d]) = %v, want %v",
						data, i, j, start, end, got, want)
				}
			}
			if got := v.Complete(); got != valid {
				t.Fatalf("% x split at %d, %d: Complete() = %v, want %v", data, i, j, got, valid)
			}
		}
	}
}

func TestValidatorSplitsCrafted(t *testing.T) {
	for _, tt := range validatorTests {
		checkSplits(t, []byte(tt.in))
		// Also behind ASCII long enough for the word loop, and followed
		// by more text.
		checkSplits(t, []byte("0123456789"+tt.in+"xyz"))
	}
}

// pieces of UTF-8, valid and broken, to build random test streams from.
var pieces = []string{
	"a", "0123456789abcdef", "\x00", "\x7f",
	"é", "ж", "߿", "€", "世", "\uffff", "\ufffd", "😀", "\U0010ffff", "\U00010000",
	"\x80", "\xbf", "\xc0", "\xc1", "\xc2", "\xdf", "\xe0", "\xe0\x9f", "\xe0\xa0",
	"\xed", "\xed\x9f", "\xed\xa0", "\xef\xbf", "\xf0", "\xf0\x8f", "\xf0\x90",
	"\xf4", "\xf4\x8f", "\xf4\x90", "\xf5", "\xff",
}

func randStream(r *rand.Rand, maxPieces int) []byte {
	var b []byte
	for n := r.IntN(maxPieces + 1); n > 0; n-- {
		if r.IntN(8) == 0 {
			b = append(b, byte(r.Uint32()))
		} else {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
	}
	return b
}

func TestValidatorSplitsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 3000; iter++ {
		checkSplits(t, randStream(r, 8))
	}
	// Mostly valid streams, so that failures come late.
	for iter := 0; iter < 1000; iter++ {
		var b []byte
		for n := r.IntN(12); n > 0; n-- {
			b = utf8.AppendRune(b, rune(r.IntN(utf8.MaxRune+1)))
		}
		if r.IntN(2) == 0 && len(b) > 0 {
			b[r.IntN(len(b))] = byte(r.Uint32())
		}
		checkSplits(t, b)
	}
}

func TestValidatorAllRunes(t *testing.T) {
	var v Validator
	var buf [utf8.UTFMax]byte
	for r := rune(0); r <= utf8.MaxRune; r++ {
		b := utf8.AppendRune(buf[:0], r)
		want := true
		if r >= 0xD800 && r <= 0xDFFF {
			// AppendRune writes U+FFFD for surrogates; encode them by
			// hand, as CESU-8 would.
			b = append(buf[:0], 0xed, byte(0x80|r>>6&0x3f), byte(0x80|r&0x3f))
			want = false
		}
		v.Reset()
		if got := v.Write(b) && v.Complete(); got != want {
			t.Fatalf("U+%04X (% x): valid = %v, want %v", r, b, got, want)
		}
		// Split after each byte in turn as the code points go by.
		split := 1 + int(r)%len(b)
		v.Reset()
		if got := v.Write(b[:split]) && v.Write(b[split:]) && v.Complete(); got != want {
			t.Fatalf("U+%04X (% x) split at %d: valid = %v, want %v", r, b, split, got, want)
		}
	}
}

func TestValidatorTwoBytes(t *testing.T) {
	var v Validator
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			data := []byte{byte(a), byte(b)}
			fail := failIndex(data)
			v.Reset()
			if got := v.Write(data[:1]); got != (fail >= 1) {
				t.Fatalf("% x: first Write = %v, want %v", data, got, fail >= 1)
			}
			if got := v.Write(data[1:]); got != (fail >= 2) {
				t.Fatalf("% x: second Write = %v, want %v", data, got, fail >= 2)
			}
			v.Reset()
			if got := v.Write(data); got != (fail >= 2) {
				t.Fatalf("% x: Write = %v, want %v", data, got, fail >= 2)
			}
			if got := v.Complete(); got != utf8.Valid(data) {
				t.Fatalf("% x: Complete = %v, want %v", data, got, !got)
			}
		}
	}
}

func TestValidatorSticky(t *testing.T) {
	var v Validator
	if v.Write([]byte("ok \xff")) {
		t.Fatal("Write accepted 0xFF")
	}
	if v.Write([]byte("fine")) || v.Write(nil) || v.Complete() {
		t.Error("Validator forgot the failure")
	}
	v.Reset()
	if !v.Write([]byte("fine")) || !v.Complete() {
		t.Error("Reset did not clear the failure")
	}
}

func TestValidatorResetMidCharacter(t *testing.T) {
	var v Validator
	if !v.Write([]byte("\xe2\x82")) || v.Complete() {
		t.Fatal("an unfinished € is a valid but incomplete prefix")
	}
	v.Reset()
	if !v.Complete() {
		t.Error("Reset did not forget the unfinished character")
	}
	if !v.Write([]byte("a")) || !v.Complete() {
		t.Error("after Reset, a new message began inside the old character")
	}
}

func TestValidatorEmptyWrites(t *testing.T) {
	var v Validator
	for _, p := range []string{"", "\xf0", "", "\x9f", "", "\x98", "", "\x80", ""} {
		if !v.Write([]byte(p)) {
			t.Fatalf("Write(%q) = false", p)
		}
	}
	if !v.Complete() {
		t.Error("U+1F600 fed with empty pieces in between is not complete")
	}
}

func TestValidatorAllocs(t *testing.T) {
	data := []byte(strings.Repeat("κόσμε abc 世界 😀 ", 50))
	var v Validator
	n := testing.AllocsPerRun(100, func() {
		v.Reset()
		v.Write(data[:101])
		v.Write(data[101:])
		v.Complete()
	})
	if n != 0 {
		t.Errorf("Validator allocates %v times per message, want 0", n)
	}
}
