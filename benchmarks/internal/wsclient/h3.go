package wsclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// h3Transport makes the HTTP/3 client connections, at quic-go's defaults,
// without asking for gzip.
var h3Transport = &http3.Transport{DisableCompression: true}

// H3Conn is an HTTP/3 connection (QUIC, ALPN h3) on which each WebSocket
// is the stream of an extended CONNECT request (RFC 9220). Many
// WebSockets share it, as those a browser opens to one server share its
// connection to that server. Open may be called from several goroutines.
type H3Conn struct {
	qc *quic.Conn
	cc *http3.ClientConn
}

// DialH3 connects to the server of the wss:// URL rawURL over QUIC, on a
// UDP socket of its own, and waits for the server's HTTP/3 SETTINGS,
// which must allow extended CONNECT; cfg configures TLS (nil: Go's
// defaults). ctx bounds all of it.
func DialH3(ctx context.Context, rawURL string, cfg *tls.Config) (*H3Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	host := hostPort(u)
	qc, err := quic.DialAddr(ctx, host, tlsConfig(cfg, host, http3.NextProtoH3), nil)
	if err != nil {
		return nil, fmt.Errorf("wsclient: connecting to %s over QUIC: %w", host, err)
	}
	cc := h3Transport.NewClientConn(qc)
	select {
	case <-cc.ReceivedSettings():
		if !cc.Settings().EnableExtendedConnect {
			err = errors.New("the server's SETTINGS do not allow extended CONNECT")
		}
	case <-qc.Context().Done():
		err = context.Cause(qc.Context())
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		qc.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeNoError), "")
		return nil, fmt.Errorf("wsclient: starting HTTP/3 with %s: %w", host, err)
	}
	return &H3Conn{qc: qc, cc: cc}, nil
}

// Open opens a WebSocket to the wss:// URL rawURL as a new request stream
// of the connection: it sends the extended CONNECT request's header,
// reads the response's, and then runs the connection on the stream's
// DATA frames. ctx bounds the handshake, not the stream.
func (h *H3Conn) Open(ctx context.Context, rawURL string, opts Options) (*Conn, error) {
	req, err := newConnectRequest(rawURL, opts)
	if err != nil {
		return nil, err
	}
	req.Proto = "websocket" // where quic-go takes the :protocol from
	rs, err := h.cc.OpenRequestStream(ctx)
	if err != nil {
		return nil, fmt.Errorf("wsclient: opening a stream to %s over HTTP/3: %w", rawURL, err)
	}
	s := &h3Stream{rs: rs}
	// ReadResponse takes no context: ctx ends it by resetting the stream.
	stop := context.AfterFunc(ctx, func() { s.Close() })
	err = rs.SendRequestHeader(req)
	if err == nil {
		resp, rerr := rs.ReadResponse()
		if err = rerr; err == nil {
			err = checkConnectResponse(resp, opts.Deflate)
		}
	}
	if !stop() {
		err = ctx.Err()
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("wsclient: extended CONNECT to %s over HTTP/3: %w", rawURL, err)
	}
	return newConn(s, bufio.NewReaderSize(s, readBufferSize(opts)), opts), nil
}

// Close closes the QUIC connection and the streams on it.
func (h *H3Conn) Close() error {
	return h.qc.CloseWithError(quic.ApplicationErrorCode(http3.ErrCodeNoError), "")
}

// h3Stream is the client end of the stream of an extended CONNECT request
// over HTTP/3: each Write is a DATA frame, and reads take the payload of
// the server's DATA frames.
type h3Stream struct {
	rs *http3.RequestStream
}

func (s *h3Stream) Read(p []byte) (int, error)        { return s.rs.Read(p) }
func (s *h3Stream) Write(p []byte) (int, error)       { return s.rs.Write(p) }
func (s *h3Stream) SetReadDeadline(t time.Time) error { return s.rs.SetReadDeadline(t) }

// Close resets both directions of the stream. It may be called while a
// Read or Write waits, which then fails; quic-go's graceful Close (a FIN)
// may not be. When the load closes a connection, its closing handshake
// is over, so nothing in flight is lost.
func (s *h3Stream) Close() error {
	s.rs.CancelWrite(quic.StreamErrorCode(http3.ErrCodeNoError))
	s.rs.CancelRead(quic.StreamErrorCode(http3.ErrCodeNoError))
	return nil
}
