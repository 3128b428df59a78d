package wsclient

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/url"

	"golang.org/x/net/http2"
)

// h2Transport makes the HTTP/2 client connections, at the defaults of
// golang.org/x/net/http2 (receive windows of 4 MiB per stream and 1 GiB
// per connection), without asking for gzip.
var h2Transport = &http2.Transport{DisableCompression: true}

// H2Conn is an HTTP/2 connection in TLS (ALPN h2) on which each WebSocket
// is the stream of an extended CONNECT request (RFC 8441). Many
// WebSockets share it, as those a browser opens to one server share its
// connection to that server. Open may be called from several goroutines.
type H2Conn struct {
	cc *http2.ClientConn
}

// DialH2 connects to the server of the wss:// URL rawURL and starts
// HTTP/2 over TLS; cfg configures TLS (nil: Go's defaults). ctx bounds
// the connection and the TLS handshake.
func DialH2(ctx context.Context, rawURL string, cfg *tls.Config) (*H2Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	host := hostPort(u)
	d := tls.Dialer{Config: tlsConfig(cfg, host, "h2")}
	nc, err := d.DialContext(ctx, "tcp", host)
	if err == nil {
		if err = checkALPN(nc.(*tls.Conn), "h2", false); err != nil {
			nc.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("wsclient: connecting to %s for HTTP/2: %w", host, err)
	}
	cc, err := h2Transport.NewClientConn(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("wsclient: starting HTTP/2 with %s: %w", host, err)
	}
	return &H2Conn{cc: cc}, nil
}

// Open opens a WebSocket to the wss:// URL rawURL as a new stream of the
// connection: it sends the extended CONNECT request, whose body is fed
// through a pipe by the connection's writes, and reads the connection
// from the response's body. ctx bounds the handshake, not the stream.
func (h *H2Conn) Open(ctx context.Context, rawURL string, opts Options) (*Conn, error) {
	req, err := newConnectRequest(rawURL, opts)
	if err != nil {
		return nil, err
	}
	req.Header.Set(":protocol", "websocket") // where x/net/http2 takes it from
	sctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	pr, pw := io.Pipe()
	req.Body = pr
	req = req.WithContext(sctx) // cancelling sctx resets the stream
	resp, err := h.cc.RoundTrip(req)
	if !stop() {
		if err == nil {
			resp.Body.Close()
		}
		err = ctx.Err()
	}
	if err == nil {
		if err = checkConnectResponse(resp, opts.Deflate); err != nil {
			resp.Body.Close()
		}
	}
	if err != nil {
		pw.Close()
		cancel()
		return nil, fmt.Errorf("wsclient: extended CONNECT to %s over HTTP/2: %w", rawURL, err)
	}
	s := &h2Stream{body: resp.Body, pw: pw, cancel: cancel}
	return newConn(s, bufio.NewReaderSize(s, readBufferSize(opts)), opts), nil
}

// Close closes the connection and the streams on it.
func (h *H2Conn) Close() error { return h.cc.Close() }

// h2Stream is the client end of the stream of an extended CONNECT request
// over HTTP/2: it writes into the request's body, through a pipe that the
// HTTP/2 connection reads into DATA frames, and reads the response's body.
// Reads do not time out: Conn.Close closes it when its time is up.
type h2Stream struct {
	body   io.ReadCloser  // the response's
	pw     *io.PipeWriter // the request's
	cancel context.CancelFunc
}

func (s *h2Stream) Read(p []byte) (int, error)  { return s.body.Read(p) }
func (s *h2Stream) Write(p []byte) (int, error) { return s.pw.Write(p) }

// Close ends the request's body (END_STREAM), then closes the response's,
// which resets the stream if the server has not ended it yet. It may be
// called while a Read or Write waits, which then fails.
func (s *h2Stream) Close() error {
	s.pw.Close()
	err := s.body.Close()
	s.cancel()
	return err
}
