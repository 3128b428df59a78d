package load

import (
	"testing"

	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// TestConfigTransport checks that a URL's scheme must be its transport's.
func TestConfigTransport(t *testing.T) {
	for _, c := range []struct {
		url string
		t   transport.Transport
		ok  bool
	}{
		{"ws://127.0.0.1:1/", "", true},
		{"ws://127.0.0.1:1/", transport.TCP, true},
		{"wss://127.0.0.1:1/", transport.TLS, true},
		{"wss://127.0.0.1:1/", transport.H2, true},
		{"wss://127.0.0.1:1/", transport.H3, true},
		{"wss://127.0.0.1:1/", "", false},
		{"ws://127.0.0.1:1/", transport.H2, false},
		{"wss://127.0.0.1:1/", "quic", false},
	} {
		cfg := Config{URL: c.url, Transport: c.t, Conns: 1, Inflight: 1, Size: 16, Count: 1}
		if err := cfg.check(); (err == nil) != c.ok {
			t.Errorf("%s over %q: %v", c.url, c.t, err)
		}
	}
}
