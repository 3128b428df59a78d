package hubnats_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wsconn/wsconn/hubnats"
)

func TestToken(t *testing.T) {
	for topic, want := range map[string]string{
		"room":      "room",
		"Room-1_b":  "Room-1_b",
		"":          "%",
		"a.b":       "a%2Eb",
		"*":         "%2A",
		">":         "%3E",
		"a b\t\r\n": "a%20b%09%0D%0A",
		"%":         "%25",
		"%2E":       "%252E",
		"ä":         "%C3%A4",
		"$SYS":      "%24SYS",
		"\x00\xff":  "%00%FF",
	} {
		assert.Equal(t, want, hubnats.Token(topic), "topic %q", topic)
	}
}

// unescape inverts Token, or reports that tok is no token of it.
func unescape(tok string) (string, bool) {
	if tok == "%" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(tok) {
			return "", false
		}
		v, err := strconv.ParseUint(tok[i+1:i+3], 16, 8)
		if err != nil || strings.ToUpper(tok[i+1:i+3]) != tok[i+1:i+3] {
			return "", false
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), true
}

// FuzzToken: every topic is one valid, literal subject token, and no two
// topics share one (Token can be undone).
func FuzzToken(f *testing.F) {
	for _, s := range []string{"", "a", "a.b", "*", ">", "%", "%25", " ", "ä", "a..b", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		tok := hubnats.Token(topic)
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, ". \t\r\n*>") {
			t.Fatalf("topic %q: token %q is not one literal token", topic, tok)
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] < 0x21 || tok[i] > 0x7e {
				t.Fatalf("topic %q: token %q has byte %#x", topic, tok, tok[i])
			}
		}
		back, ok := unescape(tok)
		if !ok || back != topic {
			t.Fatalf("topic %q: token %q decodes to %q, %v", topic, tok, back, ok)
		}
	})
}
