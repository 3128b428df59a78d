package transport

import (
	"slices"
	"testing"
)

func TestParseList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Transport
	}{
		{"all", All},
		{"h3, tcp,h3", []Transport{TCP, H3}},
		{"tls", []Transport{TLS}},
	} {
		got, err := ParseList(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseList(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "h2,quic", "TCP"} {
		if _, err := ParseList(bad); err == nil {
			t.Errorf("ParseList(%q) succeeded", bad)
		}
	}
}

func TestScheme(t *testing.T) {
	for tr, want := range map[Transport]string{"": "ws", TCP: "ws", TLS: "wss", H2: "wss", H3: "wss"} {
		if got := tr.Scheme(); got != want {
			t.Errorf("%q: scheme %s, want %s", tr, got, want)
		}
	}
}
