package http3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/quic-go/quic-go"
	quichttp3 "github.com/quic-go/quic-go/http3"
)

// errConnRefusedStream is wrapped by the error of a connection that opens
// no new stream, as after the server's GOAWAY: the request was not sent.
var errConnRefusedStream = errors.New("the QUIC connection takes no new stream")

// maxInformational bounds the 1xx responses skipped before the final one.
const maxInformational = 5

// dial opens a QUIC connection to addr with the settings of rt.t and
// starts HTTP/3 on it.
func (rt *roundTripper) dial(ctx context.Context, addr string) (*quic.Conn, *quichttp3.ClientConn, error) {
	tlsConf := &tls.Config{}
	if rt.t.TLSClientConfig != nil {
		tlsConf = rt.t.TLSClientConfig.Clone()
	}
	if tlsConf.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, nil, err
		}
		tlsConf.ServerName = host
	}
	tlsConf.NextProtos = []string{quichttp3.NextProtoH3}
	qconf := &quic.Config{KeepAlivePeriod: quicKeepAlive}
	if rt.t.QUICConfig != nil {
		qconf = rt.t.QUICConfig.Clone()
	}
	if qconf.MaxIncomingStreams == 0 {
		qconf.MaxIncomingStreams = -1 // an HTTP/3 server opens no request streams
	}
	dial := rt.t.Dial
	if dial == nil {
		dial = quic.DialAddr
	}
	qc, err := dial(ctx, addr, tlsConf, qconf)
	if err != nil {
		return nil, nil, err
	}
	return qc, rt.t.NewClientConn(qc), nil
}

// openStream waits for c's dial and the server's SETTINGS, then opens a
// request stream on c.
func openStream(ctx context.Context, c *conn) (*quichttp3.RequestStream, error) {
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if c.err != nil {
		return nil, fmt.Errorf("wsconn/http3: QUIC connection to %s: %w", c.key.addr, c.err)
	}
	select {
	case <-c.cc.ReceivedSettings():
	case <-c.qc.Context().Done():
		return nil, fmt.Errorf("wsconn/http3: QUIC connection to %s lost before its SETTINGS: %w", c.key.addr, context.Cause(c.qc.Context()))
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if !c.cc.Settings().EnableExtendedConnect {
		return nil, fmt.Errorf("wsconn/http3: %s: %w", c.key.addr, errNoExtendedConnect)
	}
	rs, err := c.cc.OpenRequestStream(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		connPool.retire(c)
		return nil, fmt.Errorf("wsconn/http3: %s: %w: %w", c.key.addr, errConnRefusedStream, err)
	}
	return rs, nil
}

// roundTrip sends out, the head of req, on rs, starts sending req's body,
// and returns the response once its head has arrived, with rs as its
// body. release is called when the stream has ended.
func roundTrip(ctx context.Context, rs *quichttp3.RequestStream, req, out *http.Request, release func()) (*http.Response, error) {
	if err := rs.SendRequestHeader(out); err != nil {
		rs.CancelRead(quic.StreamErrorCode(quichttp3.ErrCodeRequestCanceled))
		rs.CancelWrite(quic.StreamErrorCode(quichttp3.ErrCodeRequestCanceled))
		release()
		closeBody(req)
		return nil, fmt.Errorf("wsconn/http3: sending the request: %w", err)
	}
	var body io.ReadCloser
	if req.Body != nil && req.Body != http.NoBody {
		body = req.Body
	}
	s := newStream(rs, body, release)
	stop := context.AfterFunc(ctx, s.abort)
	resp, err := readResponse(rs)
	if !stop() {
		s.Close()
		return nil, context.Cause(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("wsconn/http3: reading the response: %w", err)
	}
	s.stopCtx = context.AfterFunc(ctx, s.abort)
	resp.Body = s
	resp.Request = req
	return resp, nil
}

// readResponse reads the final response of rs, skipping up to
// maxInformational 1xx responses other than 101.
func readResponse(rs *quichttp3.RequestStream) (*http.Response, error) {
	for i := 0; ; i++ {
		resp, err := rs.ReadResponse()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode/100 != 1 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
		if i == maxInformational {
			rs.CancelRead(quic.StreamErrorCode(quichttp3.ErrCodeExcessiveLoad))
			rs.CancelWrite(quic.StreamErrorCode(quichttp3.ErrCodeExcessiveLoad))
			return nil, fmt.Errorf("more than %d informational (1xx) responses", maxInformational)
		}
	}
}
