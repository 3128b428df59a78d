package httptoken

import "testing"

func TestIsToken(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"websocket", true},
		{"permessage-deflate", true},
		{"x!#$%&'*+-.^_`|~9", true},
		{"", false},
		{"a b", false},
		{"a,b", false},
		{"a;b", false},
		{`"q"`, false},
		{"é", false},
		{"a\x7f", false},
	} {
		if got := IsToken(tt.s); got != tt.want {
			t.Errorf("IsToken(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
	n := 0
	for c := 0; c < 256; c++ {
		if IsTokenChar(byte(c)) {
			n++
		}
	}
	if n != 26+26+10+15 {
		t.Errorf("%d token characters, want 77", n)
	}
}
