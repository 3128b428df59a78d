package load

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// idleReadBuffer is the read buffer of an idle connection's client, which
// only reads the handshake response.
const idleReadBuffer = 1 << 10

// IdleReport is the line cmd/load -idle prints once its connections are
// open.
type IdleReport struct {
	Idle        int     `json:"idle"`      // connections open
	Requested   int     `json:"requested"` // connections asked for
	NoFileLimit uint64  `json:"nofile_limit"`
	DialSeconds float64 `json:"dial_seconds"`
}

// Idle opens n connections to rawURL and returns them, to be held idle
// and closed by the caller: WebSocket connections after the opening
// handshake for a ws:// URL (wss://: in TLS), plain TCP connections for a
// tcp:// URL.
func Idle(ctx context.Context, rawURL string, n int) ([]io.Closer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	conns := make([]io.Closer, n)
	switch u.Scheme {
	case "ws", "wss":
		s := &ownConns{url: rawURL, opts: wsclient.Options{Origin: Origin, ReadBufferSize: idleReadBuffer, TLSConfig: clientTLS}}
		ws, err := dialAll(ctx, s, rawURL, n)
		if err != nil {
			return nil, err
		}
		for i, c := range ws {
			conns[i] = c.Stream()
		}
	case "tcp":
		var d net.Dialer
		err := dialEach(n, func(i int) error {
			c, err := d.DialContext(ctx, "tcp", u.Host)
			if err == nil {
				conns[i] = c
			}
			return err
		})
		if err != nil {
			CloseAll(conns)
			return nil, fmt.Errorf("load: dialing %s: %w", u.Host, err)
		}
	default:
		return nil, fmt.Errorf("load: URL %q: scheme is not ws, wss or tcp", rawURL)
	}
	return conns, nil
}

// CloseAll closes the connections that Idle returned.
func CloseAll(conns []io.Closer) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}
