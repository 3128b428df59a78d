package wsconn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wsconn/wsconn/handshake"
)

// A WebSocket over HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220) runs on the
// stream of an extended CONNECT request: the client writes into the
// request's body and reads the response's, the server reads the request's
// body and writes the response. The stream's end in each direction
// (END_STREAM, or a QUIC FIN) ends the WebSocket's stream as a TCP FIN
// would; a reset is an abnormal end.

// streamError returns err of an HTTP stream's read or write as the
// connection reports it: the end of the stream as it is, any other
// failure as a reset.
func streamError(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return fmt.Errorf("%w: %w", ErrStreamReset, err)
}

// serverStream is the server end of a WebSocket on the stream of an HTTP/2
// or HTTP/3 request: it reads the request's body and writes the response,
// flushing each write. The stream lives as long as the handler: before
// the handler returns, wait or end keeps further writes out.
type serverStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
	r  *http.Request

	closed    chan struct{} // closed by Close: the handler may end
	closeOnce sync.Once

	mu    sync.Mutex // held by a write, against end
	ended bool       // w is not to be used any more
}

func newServerStream(w http.ResponseWriter, r *http.Request, rc *http.ResponseController) *serverStream {
	s := &serverStream{w: w, rc: rc, r: r, closed: make(chan struct{})}
	// A handler that returns before the connection is closed takes the
	// stream with it: from then on w may not be used, and reads fail.
	context.AfterFunc(r.Context(), s.end)
	return s
}

func (s *serverStream) Read(p []byte) (int, error) {
	n, err := s.r.Body.Read(p)
	return n, streamError(err)
}

func (s *serverStream) Write(p []byte) (int, error) {
	bufs := net.Buffers{p}
	n, err := s.WriteBuffers(&bufs)
	return int(n), err
}

// WriteBuffers writes bufs, a write round of the connection, and flushes
// once: a round's frames go out together, in as few DATA frames as the
// peer's frame size allows.
func (s *serverStream) WriteBuffers(bufs *net.Buffers) (n int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return 0, streamError(net.ErrClosed)
	}
	defer func() {
		// net/http panics on a write after the handler returned, which
		// a handler that returns without waiting for the connection can
		// make happen before end runs.
		if recover() != nil {
			n, err = 0, streamError(errors.New("the handler returned while the connection was open"))
		}
	}()
	if n, err = bufs.WriteTo(s.w); err == nil {
		err = s.rc.Flush()
	}
	return n, streamError(err)
}

// Close lets the handler end, which ends the stream: Handler waits for
// it. It does not wait for a write under way; wait does.
func (s *serverStream) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// wait blocks until the connection has closed the stream, then ends it:
// after wait the handler may return, which ends the stream in order
// (END_STREAM). A write still under way then is one that the peer does not
// take: wait interrupts it with a past write deadline, which resets the
// stream, as its abnormal end must. It runs on the handler's goroutine,
// where w may be used.
func (s *serverStream) wait() {
	<-s.closed
	if s.mu.TryLock() {
		s.ended = true
		s.mu.Unlock()
		return
	}
	s.rc.SetWriteDeadline(pastDeadline)
	s.end()
}

// end waits for a write under way and keeps further writes out.
func (s *serverStream) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
}

func (s *serverStream) LocalAddr() net.Addr {
	if a, ok := s.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a
	}
	return nil
}

// RemoteAddr returns the client's address: TCP under HTTP/2, UDP under
// HTTP/3.
func (s *serverStream) RemoteAddr() net.Addr {
	ap, err := netip.ParseAddrPort(s.r.RemoteAddr)
	switch {
	case err != nil:
		return nil
	case s.r.ProtoMajor >= 3:
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

// acceptConnect accepts r, an extended CONNECT request over HTTP/2 or
// HTTP/3, with a 200 response, and returns the connection over its stream.
func acceptConnect(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*WebsocketConnection, error) {
	hs := make(http.Header)
	protocol, exts, err := opts.server().Process(r, hs)
	if err != nil {
		if r.ProtoMajor == 2 && errors.Is(err, handshake.ErrMethod) && !extendedConnectEnabled() {
			err = fmt.Errorf("%w (this server does not offer RFC 8441: run it with GODEBUG=http2xconnect=1, or import github.com/wsconn/wsconn/xconnect)", err)
		}
		handshake.WriteError(w, r, err)
		return nil, fmt.Errorf("wsconn: accept: %w", err)
	}
	h := w.Header()
	nh := responseHeader(h, opts.ResponseHeader, hs)
	clear(h)
	maps.Copy(h, nh)
	rc := http.NewResponseController(w)
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("wsconn: accept: sending the 200 response over %s: %w", r.Proto, err)
	}
	return opts.newConnection(newServerStream(w, r, rc), r, hs, protocol, exts), nil
}

// clientStream is the client end of a WebSocket on the stream of an
// extended CONNECT request: it writes into the request's body through a
// pipe and reads the response's body.
type clientStream struct {
	body   io.ReadCloser  // the response's
	pw     *io.PipeWriter // the request's
	cancel context.CancelFunc
	done   func()      // called once, when the stream is closed
	addrs  addrPair    // the network connection under the stream, if known
	ended  atomic.Bool // the response's body ended (END_STREAM)
	closed atomic.Bool
}

// addrPair is what has a local and a remote address, as a net.Conn does.
type addrPair interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

func (s *clientStream) Read(p []byte) (int, error) {
	n, err := s.body.Read(p)
	if err == io.EOF {
		s.ended.Store(true)
	}
	return n, streamError(err)
}

func (s *clientStream) Write(p []byte) (int, error) {
	n, err := s.pw.Write(p)
	return n, streamError(err)
}

// errStreamAborted ends the request's body of a stream that the client
// closes before the server ended it: HTTP/2 and HTTP/3 transports reset a
// stream whose request body fails.
var errStreamAborted = errors.New("wsconn: stream closed before the server ended it")

// Close ends the stream: after the server has ended its side, by ending
// the request's body (END_STREAM, or a QUIC FIN); before, by resetting
// it, as an abnormal end must be.
func (s *clientStream) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.ended.Load() {
		s.pw.Close()
	} else {
		s.pw.CloseWithError(errStreamAborted)
	}
	err := s.body.Close()
	s.cancel()
	if s.done != nil {
		s.done()
	}
	return err
}

func (s *clientStream) LocalAddr() net.Addr {
	if s.addrs == nil {
		return nil
	}
	return s.addrs.LocalAddr()
}

func (s *clientStream) RemoteAddr() net.Addr {
	if s.addrs == nil {
		return nil
	}
	return s.addrs.RemoteAddr()
}

// dialConnect opens the WebSocket of req, prepared as an extended
// CONNECT, as a stream of rt, which speaks HTTP/2 or HTTP/3. conn is the
// network connection under rt when known, for the addresses (otherwise a
// response body with LocalAddr and RemoteAddr methods gives them); done,
// if not nil, is called once when the stream is closed or the dial fails.
func dialConnect(ctx context.Context, ep *dialTarget, req *http.Request, origin string,
	rt http.RoundTripper, conn net.Conn, done func(), opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	// ctx bounds the handshake, not the stream: the request gets a
	// context of its own, which closing the stream cancels.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	pr, pw := io.Pipe()
	req = req.WithContext(sctx)
	req.Body = pr
	fail := func(resp *http.Response, err error) (*WebsocketConnection, *http.Response, error) {
		pw.Close()
		cancel()
		if done != nil {
			done()
		}
		return nil, resp, err
	}

	log := opts.ConnectionOptions.logger()
	if log != nil {
		log.Debug("wsconn: handshake request", "url", req.URL.Redacted(), "method", req.Method, "header", req.Header)
	}
	resp, err := rt.RoundTrip(req)
	if !stop() {
		if resp != nil {
			resp.Body.Close()
		}
		return fail(nil, ep.errorf("sending the extended CONNECT request: %w", context.Cause(ctx)))
	}
	if err != nil {
		return fail(nil, ep.errorf("sending the extended CONNECT request: %w", describeConnectError(err)))
	}
	protocol, exts, err := opts.verifyResponse(ep, req, resp)
	if err != nil {
		return fail(resp, err)
	}
	s := &clientStream{body: resp.Body, pw: pw, cancel: cancel, done: done}
	if conn != nil {
		s.addrs = conn
	} else if a, ok := resp.Body.(addrPair); ok {
		s.addrs = a
	}
	answer := *resp
	answer.Body = http.NoBody // the body is the connection's stream
	copts := opts.ConnectionOptions.withRequest(req)
	return NewWebsocketConnection(s, ep.ws, ConnectionClient, origin, protocol, exts, copts), &answer, nil
}

// keepErrorBody replaces the body of resp, a refusal, by up to
// maxErrorBody bytes of it, readable after the transport has closed: the
// caller may want the reason of a 401 or 403.
func keepErrorBody(resp *http.Response) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
}

// extendedConnectEnabled reports whether net/http's HTTP/2 server offers
// extended CONNECT, as it does with GODEBUG=http2xconnect=1 when the
// program starts (see package xconnect). It reads the environment as
// net/http does.
func extendedConnectEnabled() bool {
	return strings.Contains(os.Getenv("GODEBUG"), "http2xconnect=1")
}

// errNoExtendedConnect is how golang.org/x/net/http2 and net/http say that
// a server's SETTINGS did not allow extended CONNECT; neither exports it.
const errNoExtendedConnect = "net/http: extended connect not supported by peer"

// errNoExtendedConnectHint is wrapped by the error of a Dial whose server
// did not allow extended CONNECT.
var errNoExtendedConnectHint = errors.New("the server did not send SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441); a Go server needs GODEBUG=http2xconnect=1, or to import github.com/wsconn/wsconn/xconnect")

// describeConnectError adds to err, when it says that the server does not
// allow extended CONNECT, what a Go server needs for it.
func describeConnectError(err error) error {
	if err.Error() == errNoExtendedConnect {
		return fmt.Errorf("%w: %w", err, errNoExtendedConnectHint)
	}
	return err
}
