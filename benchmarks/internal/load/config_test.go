package load

import (
	"testing"
	"time"

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

// TestFanoutConfig checks what a fan-out refuses: an interval without
// latency, more servers than subscribers, process IDs that are not the
// peers', a peer over TLS.
func TestFanoutConfig(t *testing.T) {
	ok := FanoutConfig{URL: "ws://127.0.0.1:1/", Peers: []string{"ws://127.0.0.1:2/"}, Subscribers: 2, Messages: 1, JSON: true,
		Latency: true, Interval: time.Millisecond, PeerPIDs: []int{7}}
	if err := ok.check(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*FanoutConfig){
		"interval without latency": func(c *FanoutConfig) { c.Latency = false },
		"negative interval":        func(c *FanoutConfig) { c.Interval = -1 },
		"fewer subscribers":        func(c *FanoutConfig) { c.Subscribers = 1 },
		"PIDs not the peers'":      func(c *FanoutConfig) { c.PeerPIDs = []int{7, 8} },
		"peer over TLS":            func(c *FanoutConfig) { c.Peers = []string{"wss://127.0.0.1:2/"} },
	} {
		cfg := ok
		change(&cfg)
		if err := cfg.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestShare checks the spreading of subscribers over servers.
func TestShare(t *testing.T) {
	for _, c := range []struct{ n, k int }{{10, 3}, {3000, 3}, {1000, 3}, {5, 5}, {7, 1}} {
		sum := 0
		for i := range c.k {
			s := share(c.n, c.k, i)
			if s < c.n/c.k || s > c.n/c.k+1 {
				t.Errorf("share(%d, %d, %d) = %d", c.n, c.k, i, s)
			}
			sum += s
			// Subscriber j goes to server j%k: count them.
			got := 0
			for j := range c.n {
				if j%c.k == i {
					got++
				}
			}
			if got != s {
				t.Errorf("share(%d, %d, %d) = %d; %d subscribers go there", c.n, c.k, i, s, got)
			}
		}
		if sum != c.n {
			t.Errorf("%d subscribers over %d servers: shares sum to %d", c.n, c.k, sum)
		}
	}
}
