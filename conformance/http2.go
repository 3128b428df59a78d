package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	// Go's HTTP/2 server takes extended CONNECT requests only with
	// GODEBUG=http2xconnect=1 as the program starts: this import sets
	// it for FuzzingServer.HTTP2.
	_ "github.com/wsconn/wsconn/xconnect"
)

// WebSocket over HTTP/2 (RFC 8441). The client opens the WebSocket with an
// extended CONNECT request, :protocol websocket, Sec-WebSocket-Version 13
// and the usual Sec-WebSocket-Extensions (no Upgrade, Connection,
// Sec-WebSocket-Key), which the server answers with 200 (no
// Sec-WebSocket-Accept). The frames then go in the request's body and the
// response's body: the cases run unchanged over that stream (a conn).
//
// RFC 8441 section 5 maps the ends of the TCP connection onto the stream:
// an orderly close (FIN) is END_STREAM, an abortive one (RST) is
// RST_STREAM. The suite reads them so:
//
//   - "The peer closed the TCP connection" is the end of its side of the
//     stream: the end of the response body (the server's END_STREAM) or
//     of the request body (the client's). The suite's reader sees io.EOF
//     for END_STREAM and another error for a reset stream, or for an
//     HTTP/2 connection that broke; either ends what the peer sends, as
//     a FIN or a RST ends a TCP connection, and is graded alike (a
//     connection dropped without a close frame, for example). The one
//     exception is judgeStreamEnd.
//   - "The suite closes the TCP connection" ends its side of the stream.
//     In the server role it ends the request body (END_STREAM), stops
//     reading the response (a RST_STREAM CANCEL if the server has not
//     ended it) and closes the HTTP/2 connection, which it opened for
//     this case only. In the client role the handler of the request
//     returns, which ends the response with END_STREAM; Go's server then
//     also resets the stream with NO_ERROR if the client has not ended
//     its side, as RFC 9113 section 8.1 allows after a complete
//     response. A case that the suite gives up on (its deadline, or the
//     run's context) resets the stream.
//   - "The server closes the TCP connection first" (RFC 6455 section
//     7.1.1), which the suite waits for in the server role after the
//     closing handshake, is the server ending its stream.
//
// The suite writes each chunk of a case in its own call, which Go's
// HTTP/2 client and server send in a DATA frame of its own as far as flow
// control lets them, as they reach TCP in a segment of their own over
// HTTP/1.1.

// judgeStreamEnd grades how a server ended its stream over HTTP/2 after a
// closing handshake. The server is to close the TCP connection then (RFC
// 6455 section 7.1.1), an orderly close, which RFC 8441 section 5 makes
// END_STREAM over HTTP/2; a RST_STREAM stands for an abortive close (a TCP
// RST). A server that resets its stream after the closing handshake, or
// that breaks the whole HTTP/2 connection, is NON-STRICT, as one that does
// not close at all. Over TCP the suite does not tell a FIN from a RST, as
// a RST also comes from unread data in the server's socket: this check
// exists over HTTP/2 only.
func (s *session) judgeStreamEnd(v *verdict, o *observed) {
	if !s.http2 || s.role != ServerRole || o.close == nil || !s.sentClose || !o.ended || o.violation != "" {
		return
	}
	if !errors.Is(o.endErr, io.EOF) {
		v.add(NonStrict, "after the closing handshake the server ended its stream abortively (%v), not with END_STREAM (RFC 8441 section 5: END_STREAM stands for the orderly TCP close of RFC 6455 section 7.1.1)", o.endErr)
	}
}

// h2Transport makes the suite's HTTP/2 client connections, one for each
// case. It asks for no compression, so that the requests carry nothing but
// the handshake's headers.
var h2Transport = &http2.Transport{DisableCompression: true}

// dialHTTP2 connects to the WebSocket server at u over HTTP/2 and opens
// the WebSocket as the stream of an extended CONNECT request, offering
// permessage-deflate with d when d is not nil. It returns the stream, a
// reader of the response's body, and the agreement on permessage-deflate.
// An error wrapping errDeclined means that the server did not negotiate
// permessage-deflate.
func dialHTTP2(ctx context.Context, u *url.URL, d *Deflate, tlsConf *tls.Config) (*h2ClientStream, *bufio.Reader, *agreement, error) {
	scheme, port := "http", "80"
	switch u.Scheme {
	case "ws":
	case "wss":
		scheme, port = "https", "443"
	default:
		return nil, nil, nil, fmt.Errorf("URL %s: want ws:// (h2c) or wss:// (h2 over TLS)", u)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	var dialer net.Dialer
	nc, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, nil, err
	}
	if scheme == "https" {
		cfg := &tls.Config{}
		if tlsConf != nil {
			cfg = tlsConf.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		cfg.NextProtos = []string{"h2"}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, nil, nil, fmt.Errorf("TLS handshake: %w", err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
			nc.Close()
			return nil, nil, nil, fmt.Errorf("the server chose %q in TLS (ALPN), not h2", p)
		}
		nc = tc
	}
	cc, err := h2Transport.NewClientConn(nc)
	if err != nil {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("starting HTTP/2: %w", err)
	}

	// The request's context bounds the stream, not only the handshake:
	// the case's context ends both.
	sctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	target := &url.URL{Scheme: scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if target.Path == "" {
		target.Path = "/"
	}
	fail := func(err error) (*h2ClientStream, *bufio.Reader, *agreement, error) {
		pw.Close()
		cancel()
		cc.Close()
		return nil, nil, nil, err
	}
	req, err := http.NewRequestWithContext(sctx, http.MethodConnect, target.String(), pr)
	if err != nil {
		return fail(err)
	}
	req.ContentLength = -1 // the stream: no Content-Length
	req.Header.Set(":protocol", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	if d != nil {
		req.Header.Set("Sec-WebSocket-Extensions", d.String())
	}
	resp, err := cc.RoundTrip(req)
	if err != nil {
		return fail(fmt.Errorf("sending the extended CONNECT request: %w", err))
	}
	// RFC 8441 section 5: a 2xx status accepts the extended CONNECT, as
	// 101 does the Upgrade (200 as a rule).
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		return fail(fmt.Errorf("extended CONNECT answered %q", resp.Status))
	}
	a, err := answeredExtensions(resp.Header.Values("Sec-WebSocket-Extensions"), d)
	if err != nil {
		resp.Body.Close()
		return fail(err)
	}
	s := &h2ClientStream{cc: cc, pw: pw, body: resp.Body, cancel: cancel}
	return s, bufio.NewReaderSize(s, 4096), a, nil
}

// h2ClientStream is the suite's end of a WebSocket on the stream of an
// extended CONNECT request, in the server role: it writes into the
// request's body through a pipe and reads the response's body.
type h2ClientStream struct {
	cc     *http2.ClientConn
	pw     *io.PipeWriter // the request's body
	body   io.ReadCloser  // the response's
	cancel context.CancelFunc

	mu       sync.Mutex
	deadline time.Time
	timer    *time.Timer // ends the request's body at the write deadline
	closed   bool
}

func (s *h2ClientStream) http2Stream() {}

func (s *h2ClientStream) Read(p []byte) (int, error) { return s.body.Read(p) }

// Write writes p into the request's body; it returns once Go's HTTP/2
// client has taken all of p, to send it in DATA frames as flow control
// lets it.
func (s *h2ClientStream) Write(p []byte) (int, error) { return s.pw.Write(p) }

// SetWriteDeadline makes the writes fail from t on: then it ends the
// request's body with an error, which resets the stream.
func (s *h2ClientStream) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || t.Equal(s.deadline) {
		return nil
	}
	s.deadline = t
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if !t.IsZero() {
		s.timer = time.AfterFunc(time.Until(t), func() { s.pw.CloseWithError(os.ErrDeadlineExceeded) })
	}
	return nil
}

// Close ends the request's body (END_STREAM), stops reading the response
// (which resets the stream if the server has not ended it), and closes
// the HTTP/2 connection of the case.
func (s *h2ClientStream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.mu.Unlock()
	s.pw.Close()
	s.cancel() // first, so that closing the body does not wait for the stream's end
	s.body.Close()
	return s.cc.Close()
}

// serveHTTP2 is Serve for HTTP2: it serves HTTP/2 on ln until a client
// has asked for /updateReports or ctx is done, and runs the WebSockets of
// the requests one at a time, as Serve takes the TCP connections of
// HTTP/1.1 one at a time. It closes ln.
func (f *FuzzingServer) serveHTTP2(ctx context.Context, ln net.Listener, sel []*Case, results []*Result) error {
	var (
		mu       sync.Mutex
		closing  bool // no more requests are served
		handlers sync.WaitGroup
		turn     = make(chan struct{}, 1) // held by the request being served
		finished = make(chan struct{})    // closed after /updateReports
		once     sync.Once
	)
	enter := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if closing {
			return false
		}
		handlers.Add(1)
		return true
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !enter() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer handlers.Done()
		select {
		case turn <- struct{}{}:
		case <-ctx.Done():
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case <-finished:
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer func() { <-turn }()
		if f.serveStream(ctx, w, r, sel, results) {
			once.Do(func() { close(finished) })
		}
	})

	var protocols http.Protocols
	srv := &http.Server{
		Handler:           handler,
		Protocols:         &protocols,
		ReadHeaderTimeout: f.failWait(),
		// No ReadTimeout nor WriteTimeout: over HTTP/2 they would bound
		// every stream. The cases have deadlines of their own.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	served := make(chan error, 1)
	if f.TLSConfig != nil {
		protocols.SetHTTP2(true)
		srv.TLSConfig = f.TLSConfig // ServeTLS adds h2 to a clone's NextProtos
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		protocols.SetUnencryptedHTTP2(true)
		go func() { served <- srv.Serve(ln) }()
	}

	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
	case err = <-served:
		served <- err
	}
	mu.Lock()
	closing = true
	mu.Unlock()
	// Let the stream of /updateReports end, and the client close its
	// connection, as Serve over TCP returns once the connection of
	// /updateReports is closed; then close what is left.
	sctx, cancel := context.WithTimeout(context.Background(), f.failWait())
	if err == nil {
		srv.Shutdown(sctx)
	}
	cancel()
	srv.Close()
	handlers.Wait()
	if serr := <-served; err == nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// serveStream answers a request for the fuzzing server over HTTP/2 and
// runs what it asks for; it returns once the WebSocket is done, and
// reports whether the client asked for the reports.
func (f *FuzzingServer) serveStream(ctx context.Context, w http.ResponseWriter, r *http.Request, sel []*Case, results []*Result) bool {
	start := time.Now()
	deadline := start.Add(f.timeout())
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	exts, bad := checkConnect(r)
	if bad != "" {
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	st := &h2ServerStream{w: w, rc: http.NewResponseController(w), body: r.Body}
	// Keep the stream from being used once the handler returns, which
	// ends it; before that, give up on it when ctx is done.
	defer st.end()
	stop := context.AfterFunc(ctx, st.abort)
	defer stop()
	op := &opening{url: r.URL, exts: exts, nc: st, br: bufio.NewReaderSize(st, 4096), accept: st.accept, reject: st.reject}
	return f.serveOpening(ctx, op, sel, results, start, deadline)
}

// checkConnect checks a request that opens a WebSocket over HTTP/2: an
// extended CONNECT with :protocol websocket (RFC 8441 section 4) and
// Sec-WebSocket-Version 13 (section 5). Sec-WebSocket-Key has no use
// there, and is not looked at. It returns the offered extensions, or what
// is wrong with the request.
func checkConnect(r *http.Request) (exts []extension, bad string) {
	h := r.Header
	switch {
	case r.ProtoMajor != 2:
		return nil, "not over HTTP/2: " + r.Proto
	case r.Method != http.MethodConnect:
		return nil, "method " + r.Method
	case !strings.EqualFold(h.Get(":protocol"), "websocket"):
		return nil, fmt.Sprintf(":protocol %q", h.Values(":protocol"))
	case h.Get("Sec-WebSocket-Version") != "13":
		return nil, fmt.Sprintf("Sec-WebSocket-Version %q", h.Values("Sec-WebSocket-Version"))
	}
	exts, err := parseExtensions(h.Values("Sec-WebSocket-Extensions"))
	if err != nil {
		return nil, err.Error()
	}
	return exts, ""
}

// h2ServerStream is the suite's end of a WebSocket on the stream of an
// extended CONNECT request, in the client role: it reads the request's
// body and writes the response, flushing each write. The stream ends when
// the handler returns.
type h2ServerStream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	body io.ReadCloser

	mu       sync.Mutex // against end, for abort
	ended    bool       // the handler is returning: w may not be used
	deadline time.Time
}

func (s *h2ServerStream) http2Stream() {}

func (s *h2ServerStream) Read(p []byte) (int, error) { return s.body.Read(p) }

// Write writes p into the response and flushes it.
func (s *h2ServerStream) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

// SetWriteDeadline bounds the writes; past it, Go's server resets the
// stream.
func (s *h2ServerStream) SetWriteDeadline(t time.Time) error {
	if t.Equal(s.deadline) {
		return nil
	}
	s.deadline = t
	return s.rc.SetWriteDeadline(t)
}

// Close stops reading the request's body, which makes a read under way
// return. The stream ends with END_STREAM when the handler returns, which
// it does once the session is done.
func (s *h2ServerStream) Close() error { return s.body.Close() }

// abort resets the stream, for a case that the suite gives up on.
func (s *h2ServerStream) abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	s.rc.SetWriteDeadline(time.Unix(1, 0)) // in the past: Go's server resets the stream
	s.body.Close()
}

// end keeps abort from using the stream after the handler has returned.
func (s *h2ServerStream) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
}

// accept answers the extended CONNECT with 200 and the given
// Sec-WebSocket-Extensions value ("" for none), and sends the response's
// headers at once.
func (s *h2ServerStream) accept(extHeader string) error {
	if extHeader != "" {
		s.w.Header().Set("Sec-WebSocket-Extensions", extHeader)
	}
	s.w.WriteHeader(http.StatusOK)
	return s.rc.Flush()
}

func (s *h2ServerStream) reject(status int) { s.w.WriteHeader(status) }
