package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/iostream"
)

// maxRequestHead bounds the request head that AcceptStream reads.
const maxRequestHead = 64 << 10

// AcceptStream does the server handshake over stream, a transport the
// caller has accepted already, such as a unix socket, an SSH channel or a
// pipe: it reads the client's HTTP request, answers it as Accept does with
// the policy of opts, and returns the server end of the connection over
// stream. The request is the connection's Request; its RemoteAddr is the
// stream's, when the stream has one.
//
// ctx bounds the handshake, as for DialStream. A request that fails a check
// is answered with its status, a short text body and Connection: close,
// and AcceptStream returns the error, which errors.As turns into a
// *handshake.Error. A request head larger than 64 KiB is answered with 431.
// The stream belongs to AcceptStream from the call on: on failure it is
// closed, on success it belongs to the connection.
func AcceptStream(ctx context.Context, stream io.ReadWriteCloser, opts *AcceptOptions) (*WebsocketConnection, error) {
	if stream == nil {
		return nil, errors.New("wsconn: AcceptStream: nil stream")
	}
	if opts == nil {
		opts = &AcceptOptions{}
	}
	release := bindContext(ctx, stream)
	c, err := acceptStream(stream, opts)
	if rerr := release(); err == nil && rerr != nil {
		c.Abort()
		c, err = nil, rerr
	}
	if err != nil {
		stream.Close()
		return nil, fmt.Errorf("wsconn: AcceptStream: %w", contextError(ctx, err))
	}
	return c, nil
}

func acceptStream(stream io.ReadWriteCloser, opts *AcceptOptions) (*WebsocketConnection, error) {
	lr := &io.LimitedReader{R: stream, N: maxRequestHead}
	br := bufio.NewReader(lr)
	r, err := http.ReadRequest(br)
	if err != nil {
		if lr.N == 0 {
			writeRefusal(stream, http.StatusRequestHeaderFieldsTooLarge, nil, "request head larger than 64 KiB")
			return nil, fmt.Errorf("request head larger than %d bytes", maxRequestHead)
		}
		return nil, fmt.Errorf("reading the request: %w", err)
	}
	if a, ok := stream.(interface{ RemoteAddr() net.Addr }); ok {
		r.RemoteAddr = a.RemoteAddr().String()
	}
	hs := make(http.Header)
	protocol, exts, err := opts.server().Process(r, hs)
	if err != nil {
		w := &refusalWriter{header: make(http.Header)}
		handshake.WriteError(w, r, err)
		writeRefusal(stream, w.status, w.header, w.body.String())
		return nil, err
	}
	if _, err := stream.Write(responseHead(nil, opts.ResponseHeader, hs)); err != nil {
		return nil, fmt.Errorf("writing the 101 response: %w", err)
	}
	rest, _ := br.Peek(br.Buffered())
	s := iostream.NewPrefixed(bytes.Clone(rest), stream)
	return opts.newConnection(s, r, hs, protocol, exts), nil
}

// refusalWriter collects a refusal that handshake.WriteError writes, for
// a stream that has no http.ResponseWriter.
type refusalWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *refusalWriter) Header() http.Header         { return w.header }
func (w *refusalWriter) WriteHeader(status int)      { w.status = status }
func (w *refusalWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

// writeRefusal writes an HTTP/1.1 response with status, header and a
// text body to w, and asks the client to close the connection.
func writeRefusal(w io.Writer, status int, header http.Header, body string) {
	h := header.Clone()
	if h == nil {
		h = make(http.Header)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	resp := &http.Response{
		StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Header: h, Close: true,
		ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body)),
	}
	resp.Write(w) // adds Connection: close unless the header has it
}
