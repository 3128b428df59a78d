package http3

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/quic-go/quic-go"
	quichttp3 "github.com/quic-go/quic-go/http3"
)

// stream is the client end of an extended CONNECT request stream once the
// response head has arrived. It is the response's Body, and sends the
// request's body on the stream as it comes.
//
// The end of the request's body ends the request stream (QUIC FIN) once
// the response has ended too. Closing the response's body before the
// response ended, or the end of the request's context, resets the stream
// in both directions instead: a caller that closes both bodies while the
// server is still sending, as wsconn does when a connection is aborted or
// times out, resets the stream, and the server learns of an abort rather
// than of an orderly end. (Ending the request stream at once would race
// with that reset, and the server would see either.) A failure to read
// the request's body resets the stream too. The stream's hold on its QUIC
// connection ends when both bodies are done.
type stream struct {
	rs            *quichttp3.RequestStream
	body          io.ReadCloser // the request's; nil when it has none
	bodyCloseOnce sync.Once
	stopCtx       func() bool // stops resetting the stream when the request's context ends

	mu       sync.Mutex
	respDone chan struct{} // closed once ended or aborted is set
	ended    bool          // the response has been read to its end
	aborted  bool          // the stream was reset

	closeOnce sync.Once
	parts     atomic.Int32 // of request body and response, those not done yet
	release   func()       // called once, when both are done
}

// sendBufferSize is the size of the buffer through which the request's
// body goes to the stream, held for the stream's life: small, as most
// WebSockets are idle most of the time, and larger than a QUIC packet.
const sendBufferSize = 8 << 10

// newStream returns the stream of rs, whose request head has been sent,
// and starts sending body, if not nil, on it.
func newStream(rs *quichttp3.RequestStream, body io.ReadCloser, release func()) *stream {
	s := &stream{
		rs:       rs,
		body:     body,
		release:  release,
		stopCtx:  func() bool { return true },
		respDone: make(chan struct{}),
	}
	s.parts.Store(1)
	if body != nil {
		s.parts.Store(2)
		go s.send()
	} else {
		rs.Close()
	}
	return s
}

// send copies the request's body to the stream, then ends the stream once
// the response has ended, or resets it when the body fails.
func (s *stream) send() {
	defer s.done()
	defer s.closeBody()
	if _, err := io.CopyBuffer(s.rs, s.body, make([]byte, sendBufferSize)); err != nil {
		// The body failed, or the stream did, as when the server reset
		// it: the writer of a pipe learns why.
		s.rs.CancelWrite(quic.StreamErrorCode(quichttp3.ErrCodeRequestCanceled))
		if p, ok := s.body.(interface{ CloseWithError(error) error }); ok {
			p.CloseWithError(err)
		}
		return
	}
	<-s.respDone
	s.mu.Lock()
	fin := !s.aborted
	s.mu.Unlock()
	if fin {
		s.rs.Close()
	}
}

// Read reads the response's body.
func (s *stream) Read(p []byte) (int, error) {
	n, err := s.rs.Read(p)
	if err == io.EOF {
		s.mu.Lock()
		if !s.ended && !s.aborted {
			s.ended = true
			close(s.respDone)
		}
		s.mu.Unlock()
	}
	return n, err
}

// Close closes the response's body; before the response's end, it resets
// the stream.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		s.stopCtx()
		s.mu.Lock()
		ended := s.ended
		s.mu.Unlock()
		if !ended {
			s.abort()
		}
		s.done()
	})
	return nil
}

// abort resets the stream in both directions and stops sending the
// request's body.
func (s *stream) abort() {
	s.mu.Lock()
	if !s.ended && !s.aborted {
		close(s.respDone)
	}
	s.aborted = true
	s.mu.Unlock()
	s.rs.CancelRead(quic.StreamErrorCode(quichttp3.ErrCodeRequestCanceled))
	s.rs.CancelWrite(quic.StreamErrorCode(quichttp3.ErrCodeRequestCanceled))
	if s.body != nil {
		s.closeBody() // a sender blocked in Read returns
	}
}

// closeBody closes the request's body, once.
func (s *stream) closeBody() {
	s.bodyCloseOnce.Do(func() { s.body.Close() })
}

// done counts the end of the request's body or of the response's.
func (s *stream) done() {
	if s.parts.Add(-1) == 0 {
		s.release()
	}
}
