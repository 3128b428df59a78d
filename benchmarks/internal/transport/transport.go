// Package transport names the ways the benchmark carries a WebSocket from
// the load generator to an echo server: HTTP/1.1 over TCP or over TLS, and
// the stream of an extended CONNECT request over HTTP/2 (RFC 8441) or
// HTTP/3 (RFC 9220). The servers and the load generator share these names,
// and nothing else, so that the load generator stays free of the code it
// measures.
package transport

import (
	"fmt"
	"strings"
)

// Transport is one way of carrying a WebSocket.
type Transport string

// The transports. The zero value is not one of them; OrTCP turns it into
// TCP.
const (
	TCP Transport = "tcp" // HTTP/1.1 Upgrade over plain TCP
	TLS Transport = "tls" // HTTP/1.1 Upgrade over TLS
	H2  Transport = "h2"  // extended CONNECT over HTTP/2 over TLS
	H3  Transport = "h3"  // extended CONNECT over HTTP/3 over QUIC
)

// All lists the transports, in the order the benchmark runs them.
var All = []Transport{TCP, TLS, H2, H3}

// Parse returns the transport named s.
func Parse(s string) (Transport, error) {
	for _, t := range All {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown transport %q; the transports are %s", s, List(All))
}

// ParseList returns the transports of a comma-separated list, in the
// order of All, each once; "all" names them all.
func ParseList(s string) ([]Transport, error) {
	if strings.TrimSpace(s) == "all" {
		return All, nil
	}
	want := map[Transport]bool{}
	for _, name := range strings.Split(s, ",") {
		t, err := Parse(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		want[t] = true
	}
	var ts []Transport
	for _, t := range All {
		if want[t] {
			ts = append(ts, t)
		}
	}
	return ts, nil
}

// List writes ts as a comma-separated list.
func List(ts []Transport) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// OrTCP returns t, or TCP if t is empty.
func (t Transport) OrTCP() Transport {
	if t == "" {
		return TCP
	}
	return t
}

// Scheme returns the scheme of a WebSocket URL over t: ws over plain TCP,
// wss over the others, which all run over TLS (QUIC's included).
func (t Transport) Scheme() string {
	if t.OrTCP() == TCP {
		return "ws"
	}
	return "wss"
}

// Describe says what t is.
func (t Transport) Describe() string {
	switch t.OrTCP() {
	case TLS:
		return "HTTP/1.1 over TLS"
	case H2:
		return "HTTP/2 over TLS"
	case H3:
		return "HTTP/3 over QUIC"
	}
	return "HTTP/1.1 over TCP"
}
