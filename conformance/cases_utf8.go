package conformance

import (
	"fmt"
	"strconv"
)

// utf8Vector is a group of UTF-8 test sequences, after the sections of
// Markus Kuhn's UTF-8 decoder capability and stress test.
type utf8Vector struct {
	what string
	seqs []string
}

// utf8Vectors are the groups of categories 6.5 to 6.23, in order.
var utf8Vectors = []utf8Vector{
	{"valid text in several scripts", []string{
		"κόσμε", "Hello-µ@ßöäüàá-UTF-8!!", "日本語のテキスト", "Ελληνικά кириллица עברית العربية", "emoji 😀🚀👍🏽",
	}},
	{"prefixes of κόσμε", kosmePrefixes()},
	{"first code point of each sequence length", []string{"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80"}},
	{"5- and 6-byte sequences", []string{"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"}},
	{"last code point of each sequence length", []string{"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}},
	{"sequences beyond U+10FFFF", []string{"\xf4\x90\x80\x80", "\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf"}},
	{"other boundary conditions", []string{"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80"}},
	{"unexpected continuation bytes", []string{
		"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", allContinuations(),
	}},
	{"lonely start bytes followed by a space", []string{
		lonelyStarts(0xc0, 0xdf), lonelyStarts(0xe0, 0xef), lonelyStarts(0xf0, 0xf7), lonelyStarts(0xf8, 0xfb), lonelyStarts(0xfc, 0xfd),
		"\xc2 ", "\xe1 ", "\xf1 ",
	}},
	{"sequences without their last continuation byte", []string{
		"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf",
		"\xc2", "\xe1\x80", "\xf1\x80\x80", "\xf4\x8f\xbf",
	}},
	{"incomplete sequences concatenated", []string{
		"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf",
		"\xc2\xe1\x80\xf1\x80\x80",
	}},
	{"impossible bytes", []string{"\xfe", "\xff", "\xfe\xfe\xff\xff", "a\xffb"}},
	{"overlong forms of '/'", []string{"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf"}},
	{"largest overlong forms", []string{"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf"}},
	{"overlong forms of NUL", []string{"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80"}},
	{"single UTF-16 surrogates", []string{
		"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf",
	}},
	{"paired UTF-16 surrogates", []string{
		"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
		"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf",
	}},
	{"noncharacters, which are valid", []string{
		"\xef\xbf\xbe", "\xef\xbf\xbf", "\xf0\x9f\xbf\xbe", "\xf0\x9f\xbf\xbf", "\xf0\xaf\xbf\xbe", "\xf3\xbf\xbf\xbf",
		"\xf4\x8f\xbf\xbe", "\xef\xb7\x90", "\xef\xb7\xaf",
	}},
	{"specials and the byte order mark", []string{"\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbb\xbf"}},
}

// kosmePrefixes returns every non-empty prefix of "κόσμε", many of which
// end inside a character.
func kosmePrefixes() []string {
	const kosme = "κόσμε"
	var ps []string
	for i := 1; i <= len(kosme); i++ {
		ps = append(ps, kosme[:i])
	}
	return ps
}

func allContinuations() string {
	b := make([]byte, 0, 64)
	for c := 0x80; c <= 0xbf; c++ {
		b = append(b, byte(c))
	}
	return string(b)
}

func lonelyStarts(first, last byte) string {
	var b []byte
	for c := int(first); c <= int(last); c++ {
		b = append(b, byte(c), ' ')
	}
	return string(b)
}

// utf8Cases is category 6: valid and invalid UTF-8 in text messages,
// whole, fragmented and split inside characters, and failing fast.
func utf8Cases() []Case {
	hello := []byte("Hello-µ@ßöäüàá-UTF-8!!")
	kosme := []byte("κόσμε")
	bad := []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited") // κόσμε, a surrogate, "edited"
	badAt := invalidAt(bad)
	part1, part2, part3 := []byte("κόσμε"), []byte("\xf4\x90\x80\x80"), []byte("edited") // U+110000 in the middle
	whole := append(append(append([]byte(nil), part1...), part2...), part3...)

	cs := []Case{
		fixed("6.1.1", "empty text message", echoes(textEcho("")), send(text(""))),
		fixed("6.1.2", "text message of 3 empty fragments", echoes(textEcho("")),
			send(frag(OpText, false, nil), frag(OpContinuation, false, nil), frag(OpContinuation, true, nil))),
		fixed("6.1.3", "text message of an empty fragment, a fragment and an empty fragment", echoes(textEcho("middle")),
			send(frag(OpText, false, nil), frag(OpContinuation, false, []byte("middle")), frag(OpContinuation, true, nil))),

		fixed("6.2.1", "valid UTF-8 in one frame", echoes(textEchoB(hello)), send(Frame{Opcode: OpText, Fin: true, Payload: hello})),
		fixed("6.2.2", "valid UTF-8 in 2 fragments split between characters", echoes(textEchoB(hello)),
			send(frag(OpText, false, hello[:7]), frag(OpContinuation, true, hello[7:]))),
		fixed("6.2.3", "valid UTF-8 in fragments of 1 byte, split inside characters", echoes(textEchoB(hello)),
			send(fragments(OpText, hello, 1)...)),
		fixed("6.2.4", "κόσμε in fragments of 1 byte, split inside characters", echoes(textEchoB(kosme)),
			send(fragments(OpText, kosme, 1)...)),
		fixed("6.2.5", "valid UTF-8 in one frame written 1 byte at a time", echoes(textEchoB(hello)),
			chunked(1, Frame{Opcode: OpText, Fin: true, Payload: hello})),

		fixed("6.3.1", "invalid UTF-8 (a surrogate) in one frame", fails(CloseInvalidData),
			send(Frame{Opcode: OpText, Fin: true, Payload: bad})),
		fixed("6.3.2", "invalid UTF-8 (a surrogate) in fragments of 1 byte: fail at the invalid byte", fails(CloseInvalidData),
			send(fragments(OpText, bad, 1)[:badAt+1]...), FailFast{}, send(fragments(OpText, bad, 1)[badAt+1:]...)),

		fixed("6.4.1", "3 fragments, the second makes the text invalid: fail before the third", fails(CloseInvalidData),
			send(frag(OpText, false, part1)), send(frag(OpContinuation, false, part2)), FailFast{}, send(frag(OpContinuation, true, part3))),
		fixed("6.4.2", "3 fragments, the invalid byte starts the second: fail before the third", fails(CloseInvalidData),
			send(frag(OpText, false, whole[:len(part1)+1])), send(frag(OpContinuation, false, whole[len(part1)+1:len(part1)+3])),
			FailFast{}, send(frag(OpContinuation, true, whole[len(part1)+3:]))),
		fixed("6.4.3", "one frame in 3 chunks, the second makes the text invalid: fail before the third", fails(CloseInvalidData),
			Send{Frames: []Frame{{Opcode: OpText, Fin: true, Payload: whole}}, Cut: len(part1)}, Send{Cut: len(part1) + len(part2)},
			FailFast{}, Send{}),
		fixed("6.4.4", "one frame cut right after the invalid byte: fail before the rest", fails(CloseInvalidData),
			Send{Frames: []Frame{{Opcode: OpText, Fin: true, Payload: whole}}, Cut: len(part1) + 2}, FailFast{}, Send{}),
		fixed("6.4.5", "first fragment ends with the invalid byte and the rest never comes", fails(CloseInvalidData),
			send(frag(OpText, false, whole[:len(part1)+2])), FailFast{}, send(frag(OpContinuation, true, whole[len(part1)+2:]))),
		fixed("6.4.6", "first fragment is the single byte 0xff and the rest never comes", fails(CloseInvalidData),
			send(frag(OpText, false, []byte{0xff})), FailFast{}, send(frag(OpContinuation, true, []byte("rest")))),
	}

	// 6.5 to 6.23: each sequence alone in one frame.
	var failFast [][]byte
	for g, v := range utf8Vectors {
		for i, s := range v.seqs {
			p := []byte(s)
			id := fmt.Sprintf("6.%d.%d", g+5, i+1)
			desc := fmt.Sprintf("%s: %s", v.what, strconv.QuoteToASCII(s))
			if validUTF8(p) {
				cs = append(cs, fixed(id, desc+", valid", echoes(textEchoB(p)), send(Frame{Opcode: OpText, Fin: true, Payload: p})))
				continue
			}
			cs = append(cs, fixed(id, desc+", invalid", fails(CloseInvalidData), send(Frame{Opcode: OpText, Fin: true, Payload: p})))
			failFast = append(failFast, p)
		}
	}
	// 6.24: every invalid sequence, between valid text, in a fragment
	// that ends right after the first byte that makes the text invalid;
	// the rest never comes unless the peer waits for it. 6.25: the same
	// in one frame, cut there.
	for i, p := range failFast {
		msg := append(append([]byte("valid start "), p...), " valid end"...)
		at := invalidAt(msg)
		q := strconv.QuoteToASCII(string(p))
		cs = append(cs,
			fixed(fmt.Sprintf("6.24.%d", i+1), "fail fast on "+q+" at the end of the first fragment", fails(CloseInvalidData),
				send(frag(OpText, false, msg[:at+1])), FailFast{}, send(frag(OpContinuation, true, msg[at+1:]))),
			fixed(fmt.Sprintf("6.25.%d", i+1), "fail fast on "+q+" in one frame cut after the invalid byte", fails(CloseInvalidData),
				Send{Frames: []Frame{{Opcode: OpText, Fin: true, Payload: msg}}, Cut: at + 1}, FailFast{}, Send{}))
	}
	return cs
}
