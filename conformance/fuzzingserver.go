package conformance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// A FuzzingServer checks WebSocket clients. It speaks the client protocol
// of the Autobahn|Testsuite's fuzzing server: a client asks for the number
// of cases at /getCaseCount (a text message), connects to
// /runCase?case=N&agent=NAME for each case from 1 to that number and
// echoes every message back with its type until the server closes, and
// finally connects to /updateReports?agent=NAME.
type FuzzingServer struct {
	Options
	// Limit, if not 0, is the clients' message limit in bytes (they fail
	// a connection with 1009 past it); the cases about limits run only
	// when it is known.
	Limit int64
	// HTTP2 makes Serve an HTTP/2 server on which each WebSocket is the
	// stream of an extended CONNECT request (RFC 8441) instead of an
	// HTTP/1.1 Upgrade: over TLS when TLSConfig is set, in cleartext
	// with prior knowledge (h2c) otherwise. Go's HTTP/2 server takes
	// extended CONNECT only with GODEBUG=http2xconnect=1 in the
	// environment as the program starts, which this package's import of
	// github.com/wsconn/wsconn/xconnect arranges.
	HTTP2 bool
	// TLSConfig, with HTTP2, serves HTTP/2 over TLS with its
	// certificates (h2 in ALPN).
	TLSConfig *tls.Config
}

// Serve accepts connections on ln, one at a time, and runs the cases
// that the options select, in the order the client asks for them. It
// returns the results of the cases that ran, in order of their case
// numbers, when a client has asked for /updateReports, or when ctx is
// done. It closes ln. With HTTP2, it serves HTTP/2 on ln and runs the
// WebSockets of the requests one at a time.
func (f *FuzzingServer) Serve(ctx context.Context, ln net.Listener, cases []Case) ([]Result, error) {
	sel := f.selectCases(cases, f.Limit)
	results := make([]*Result, len(sel))
	collect := func() []Result {
		var rs []Result
		for _, r := range results {
			if r != nil {
				rs = append(rs, *r)
			}
		}
		return rs
	}
	if f.HTTP2 {
		err := f.serveHTTP2(ctx, ln, sel, results)
		return collect(), err
	}
	if f.TLSConfig != nil {
		ln.Close()
		return nil, errors.New("conformance: FuzzingServer.TLSConfig is for HTTP2 only")
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()

	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return collect(), ctx.Err()
			}
			return collect(), err
		}
		if f.serveConn(ctx, nc, sel, results) {
			return collect(), nil
		}
	}
}

// serveConn handles one connection of the Autobahn protocol and reports
// whether the client asked for the reports, the end of a run.
func (f *FuzzingServer) serveConn(ctx context.Context, nc net.Conn, sel []*Case, results []*Result) bool {
	start := time.Now()
	deadline := start.Add(f.timeout())
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	defer nc.Close()

	nc.SetDeadline(start.Add(f.failWait()))
	up, err := readUpgrade(nc)
	if err != nil {
		return false
	}
	nc.SetDeadline(time.Time{})
	op := &opening{
		url: up.req.URL, exts: up.exts, nc: nc, br: up.br,
		accept: func(extHeader string) error { return up.accept(nc, extHeader) },
		reject: func(status int) { reject(nc, status) },
	}
	return f.serveOpening(ctx, op, sel, results, start, deadline)
}

// serveOpening answers an opening handshake of the Autobahn protocol and
// runs what it asks for, until deadline, and reports whether the client
// asked for the reports, the end of a run.
func (f *FuzzingServer) serveOpening(ctx context.Context, op *opening, sel []*Case, results []*Result, start, deadline time.Time) bool {
	switch op.url.Path {
	case "/getCaseCount":
		if op.accept("") == nil {
			f.talk(op, deadline, text(strconv.Itoa(len(sel))))
		}
	case "/runCase":
		n, err := strconv.Atoi(op.url.Query().Get("case"))
		if err != nil || n < 1 || n > len(sel) {
			op.reject(http.StatusNotFound)
			return false
		}
		r := f.runCase(ctx, op, sel[n-1], deadline)
		r.Duration = time.Since(start)
		results[n-1] = &r
		f.report(r)
	case "/updateReports":
		if op.accept("") == nil {
			f.talk(op, deadline)
		}
		return true
	default:
		op.reject(http.StatusNotFound)
	}
	return false
}

// talk sends frames, then closes the connection normally.
func (f *FuzzingServer) talk(op *opening, deadline time.Time, frames ...Frame) {
	s := newSession(ClientRole, op.nc, op.br, nil, &f.Options, deadline, newRand(0))
	s.run(Plan{Steps: []Step{Send{Frames: frames}}})
}

// runCase runs one case with a client that has connected to /runCase.
func (f *FuzzingServer) runCase(ctx context.Context, op *opening, c *Case, deadline time.Time) Result {
	r := Result{ID: c.ID, Description: c.Description, Role: ClientRole}
	var a *agreement
	if c.Deflate != nil {
		answer, agreed, err := c.Deflate.answerOffers(op.exts)
		if err != nil {
			// Run nothing: accept without extensions and close.
			if op.accept("") == nil {
				f.talk(op, deadline)
			}
			r.Grade, r.Detail = Unimplemented, err.Error()
			return r
		}
		if err := op.accept(answer); err != nil {
			r.Grade, r.Detail = Failed, fmt.Sprintf("sending the handshake response: %v", err)
			return r
		}
		a = &agreed
	} else if err := op.accept(""); err != nil {
		r.Grade, r.Detail = Failed, fmt.Sprintf("sending the handshake response: %v", err)
		return r
	}
	rng := newRand(seed(c.ID, ClientRole))
	s := newSession(ClientRole, op.nc, op.br, a, &f.Options, deadline, rng)
	r.Grade, r.Detail = s.run(c.Build(Env{Role: ClientRole, Limit: f.Limit}))
	if err := ctx.Err(); err != nil && r.Grade != Failed {
		r.Grade, r.Detail = Failed, fmt.Sprintf("case ended early: %v; %s", err, r.Detail)
	}
	return r
}
