package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// A FuzzingClient checks a WebSocket server: for each case it connects to
// an echo server (one that sends every message back with its type),
// sends the case's frames and grades what comes back.
type FuzzingClient struct {
	Options
	// URL is the echo server's ws:// URL (wss:// only with HTTP2);
	// every case connects to it.
	URL string
	// LimitURL, if not empty, is an echo server whose message limit is
	// Limit bytes (it fails a connection with 1009 past it); the cases
	// about limits run against it. They are skipped without it.
	LimitURL string
	Limit    int64
	// HTTP2 opens each case's WebSocket as the stream of an extended
	// CONNECT request over HTTP/2 (RFC 8441) instead of with an
	// HTTP/1.1 Upgrade, on an HTTP/2 connection of its own: over TLS,
	// with h2 in ALPN, for a wss:// URL, and in cleartext with prior
	// knowledge (h2c) for a ws:// URL.
	HTTP2 bool
	// TLSConfig configures TLS for wss:// URLs; nil means the defaults.
	TLSConfig *tls.Config
}

// Run runs the cases that the options select, one after the other, and
// returns their results in order. It returns early, with the results so
// far, when ctx is done.
func (f *FuzzingClient) Run(ctx context.Context, cases []Case) ([]Result, error) {
	u, err := url.Parse(f.URL)
	if err != nil {
		return nil, err
	}
	var lu *url.URL
	limit := int64(0)
	if f.LimitURL != "" {
		if lu, err = url.Parse(f.LimitURL); err != nil {
			return nil, err
		}
		if f.Limit <= 0 {
			return nil, errors.New("conformance: LimitURL without a Limit")
		}
		limit = f.Limit
	}
	var results []Result
	for _, c := range f.selectCases(cases, limit) {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		target := u
		if c.NeedsLimit {
			target = lu
		}
		r := f.runCase(ctx, c, target, limit)
		results = append(results, r)
		f.report(r)
	}
	return results, nil
}

// runCase runs one case against the server at u.
func (f *FuzzingClient) runCase(ctx context.Context, c *Case, u *url.URL, limit int64) Result {
	start := time.Now()
	r := Result{ID: c.ID, Description: c.Description, Role: ServerRole}
	deadline := start.Add(f.timeout())
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	rng := newRand(seed(c.ID, ServerRole))
	var key [16]byte // drawn over HTTP/2 too, so that the frames are the same
	for i := range key {
		key[i] = byte(rng.Uint32())
	}
	var (
		nc  conn
		br  *bufio.Reader
		a   *agreement
		err error
	)
	if f.HTTP2 {
		nc, br, a, err = dialHTTP2(ctx, u, c.Deflate, f.TLSConfig)
	} else {
		nc, br, a, err = dial(ctx, u, c.Deflate, base64.StdEncoding.EncodeToString(key[:]))
	}
	if err != nil {
		r.Grade, r.Detail = Failed, "opening handshake: "+err.Error()
		if errors.Is(err, errDeclined) {
			r.Grade, r.Detail = Unimplemented, err.Error()
		}
		r.Duration = time.Since(start)
		return r
	}
	plan := c.Build(Env{Role: ServerRole, Limit: limit})
	s := newSession(ServerRole, nc, br, a, &f.Options, deadline, rng)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	r.Grade, r.Detail = s.run(plan)
	stop()
	if err := ctx.Err(); err != nil && r.Grade != Failed {
		r.Grade, r.Detail = Failed, fmt.Sprintf("case ended early: %v; %s", err, r.Detail)
	}
	r.Duration = time.Since(start)
	return r
}
