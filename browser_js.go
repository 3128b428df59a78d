//go:build js && wasm

package wsconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall/js"
	"unicode/utf8"

	"github.com/wsconn/wsconn/internal/frame"
)

// In a browser (GOOS=js, GOARCH=wasm) Dial opens the browser's own
// WebSocket, and the connection runs over a stream that turns the
// browser's messages into frames and back: everything above the stream
// (signals, the pull API, limits, the closing handshake) is the same code
// as elsewhere. The browser does the handshake, permessage-deflate, pings
// and pongs itself, and offers no way to send custom headers, choose an
// Origin, or send a ping.

const inBrowser = true

// dialBrowser is Dial in a browser.
func dialBrowser(ctx context.Context, rawURL string, opts *DialOptions) (*WebsocketConnection, *http.Response, error) {
	ep, err := parseDialTarget(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if err := browserRefuses(opts); err != nil {
		return nil, nil, ep.errorf("%w", err)
	}
	ctx, cancel := handshakeContext(ctx, opts.HandshakeTimeout)
	defer cancel()

	s := newBrowserStream()
	opened := make(chan error, 1)
	if err := s.open(ep.ws.String(), opts.Protocols, opened); err != nil {
		return nil, nil, ep.errorf("%w", err)
	}
	select {
	case err = <-opened:
	case <-ctx.Done():
		err = context.Cause(ctx)
	}
	if err != nil {
		s.Close()
		return nil, nil, ep.errorf("%w", err)
	}
	protocol := s.ws.Get("protocol").String()
	// The browser does not show the handshake's response: this one holds
	// what it tells of it.
	resp := &http.Response{
		Status: "101 Switching Protocols", StatusCode: http.StatusSwitchingProtocols,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header), Body: http.NoBody,
	}
	if protocol != "" {
		resp.Header.Set("Sec-WebSocket-Protocol", protocol)
	}
	if exts := s.ws.Get("extensions").String(); exts != "" {
		resp.Header.Set("Sec-WebSocket-Extensions", exts)
	}
	c := NewWebsocketConnection(s, ep.ws, ConnectionClient, "", protocol, nil, opts.ConnectionOptions)
	return c, resp, nil
}

// errBrowser is wrapped by the errors about what the browser's WebSocket
// does not offer.
var errBrowser = fmt.Errorf("not available with the browser's WebSocket: %w", errors.ErrUnsupported)

// browserRefuses returns an error for the options that a browser cannot
// honour.
func browserRefuses(opts *DialOptions) error {
	switch {
	case len(opts.Header) > 0:
		return fmt.Errorf("custom headers (DialOptions.Header) are %w", errBrowser)
	case opts.Origin != "":
		return fmt.Errorf("an Origin of one's own (DialOptions.Origin) is %w; the browser sends the page's", errBrowser)
	case opts.Extensions != nil:
		return fmt.Errorf("extensions (DialOptions.Extensions) are %w; the browser negotiates permessage-deflate itself", errBrowser)
	case opts.Transport != nil, opts.NetDial != nil, opts.Proxy != nil, opts.TLSConfig != nil, opts.Jar != nil:
		return fmt.Errorf("Transport, NetDial, Proxy, TLSConfig and Jar are %w; the browser uses its own", errBrowser)
	case opts.ConnectionOptions != nil && opts.ConnectionOptions.KeepaliveInterval > 0:
		return fmt.Errorf("keepalive pings (Options.KeepaliveInterval) are %w; the browser answers the server's pings", errBrowser)
	}
	return nil
}

// browserStream is the stream of a connection over a browser WebSocket:
// reads yield the messages it receives as unmasked frames, then the close
// frame and the end of the stream; writes take the connection's masked
// frames and send their messages, or close the WebSocket.
type browserStream struct {
	ws        js.Value
	listeners []listener

	mu     sync.Mutex
	in     []byte // frames to read
	inEnd  bool   // after in, the stream ends
	inErr  error  // ... with this error, or io.EOF
	wake   chan struct{}
	closed bool
	// The close event brought the peer's close frame (peerClosed): the
	// stream ends once the connection has written its answer (closeSent),
	// so that the connection sees its closing handshake complete.
	peerClosed bool
	closeSent  bool

	wmu   sync.Mutex // serializes writes
	out   []byte     // written bytes not yet a whole frame
	msg   []byte     // the fragments of a message in progress
	msgOp frame.Opcode
	inMsg bool
}

func newBrowserStream() *browserStream {
	return &browserStream{wake: make(chan struct{}, 1)}
}

// open creates the WebSocket; opened receives nil when it opens, or an
// error when it fails first.
func (s *browserStream) open(url string, protocols []string, opened chan<- error) (err error) {
	defer recoverJS(&err)
	args := []any{url}
	if len(protocols) > 0 {
		list := make([]any, len(protocols))
		for i, p := range protocols {
			list[i] = p
		}
		args = append(args, list)
	}
	s.ws = js.Global().Get("WebSocket").New(args...)
	s.ws.Set("binaryType", "arraybuffer")
	var once sync.Once
	report := func(err error) { once.Do(func() { opened <- err }) }
	s.on("open", func(js.Value) { report(nil) })
	s.on("message", s.onMessage)
	s.on("error", func(js.Value) {
		// The browser tells no more than that: the close event follows.
		report(errors.New("the browser's WebSocket failed to connect"))
	})
	s.on("close", func(ev js.Value) {
		report(fmt.Errorf("the browser's WebSocket closed with %d before opening", ev.Get("code").Int()))
		s.onClose(ev)
	})
	return nil
}

// listener is a Go function listening to an event of the WebSocket.
type listener struct {
	event string
	fn    js.Func
}

// on listens to the WebSocket's event name.
func (s *browserStream) on(name string, fn func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	s.listeners = append(s.listeners, listener{name, f})
	s.ws.Call("addEventListener", name, f)
}

// onMessage queues a received message as one unmasked frame.
func (s *browserStream) onMessage(ev js.Value) {
	data := ev.Get("data")
	var payload []byte
	op := frame.OpBinary
	if data.Type() == js.TypeString {
		payload, op = []byte(data.String()), frame.OpText
	} else {
		arr := js.Global().Get("Uint8Array").New(data)
		payload = make([]byte, arr.Get("length").Int())
		js.CopyBytesToGo(payload, arr)
	}
	s.push(frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: op, Length: int64(len(payload))}, payload), false)
}

// onClose queues the server's close frame, as the close event tells it,
// and the end of the stream.
func (s *browserStream) onClose(ev js.Value) {
	code := ev.Get("code").Int()
	var f []byte
	switch CloseCode(code) {
	case CloseAbnormal:
		// No close frame came: the stream just ends.
	case CloseNoStatus:
		f = frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpClose}, nil)
	default:
		reason := ev.Get("reason").String()
		p := make([]byte, 2, 2+len(reason))
		p[0], p[1] = byte(code>>8), byte(code)
		p = append(p, reason...)
		f = frame.AppendFrame(nil, frame.Header{Fin: true, Opcode: frame.OpClose, Length: int64(len(p))}, p)
	}
	// After the peer's close frame, the stream ends when the connection
	// has answered it (see closeWebSocket), or at once if it had closed
	// first; without a close frame, at once.
	s.mu.Lock()
	end := f == nil || s.closeSent
	s.peerClosed = f != nil
	s.mu.Unlock()
	s.push(f, end)
}

func (s *browserStream) push(b []byte, end bool) {
	s.mu.Lock()
	s.in = append(s.in, b...)
	if end && !s.inEnd {
		s.inEnd, s.inErr = true, io.EOF
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *browserStream) Read(p []byte) (int, error) {
	for {
		s.mu.Lock()
		if len(s.in) > 0 {
			n := copy(p, s.in)
			s.in = s.in[n:]
			s.mu.Unlock()
			return n, nil
		}
		if s.inEnd {
			err := s.inErr
			s.mu.Unlock()
			return 0, err
		}
		s.mu.Unlock()
		<-s.wake
	}
}

// Write takes the connection's frames: a message, once whole, is sent
// with the WebSocket's send, and the close frame closes the WebSocket.
func (s *browserStream) Write(p []byte) (n int, err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	defer recoverJS(&err)
	s.out = append(s.out, p...)
	for {
		h, hn, _, perr := frame.ParseHeader(s.out)
		if perr != nil {
			return 0, perr
		}
		if hn == 0 || int64(len(s.out)-hn) < h.Length {
			break
		}
		payload := s.out[hn : hn+int(h.Length)]
		if h.Masked {
			frame.Mask(h.Key, 0, payload)
		}
		if err := s.frame(h, payload); err != nil {
			return 0, err
		}
		s.out = s.out[hn+int(h.Length):]
	}
	if len(s.out) == 0 {
		s.out = nil
	}
	return len(p), nil
}

// frame handles one frame written by the connection.
func (s *browserStream) frame(h frame.Header, payload []byte) error {
	switch h.Opcode {
	case frame.OpText, frame.OpBinary:
		s.msgOp, s.msg, s.inMsg = h.Opcode, append(s.msg[:0], payload...), !h.Fin
	case frame.OpContinuation:
		s.msg = append(s.msg, payload...)
		s.inMsg = !h.Fin
	case frame.OpClose:
		s.closeWebSocket(payload)
		return nil
	default:
		// Pings and pongs: the browser answers the server's pings
		// itself, and the connection sends none here (see Ping).
		return nil
	}
	if s.inMsg {
		return nil
	}
	if s.msgOp == frame.OpText {
		s.ws.Call("send", string(s.msg))
	} else {
		arr := js.Global().Get("Uint8Array").New(len(s.msg))
		js.CopyBytesToJS(arr, s.msg)
		s.ws.Call("send", arr)
	}
	return nil
}

// closeWebSocket closes the WebSocket with the code and reason of a close
// frame's payload. The browser takes 1000 and 3000 to 4999 only; for
// another code (an echo of the server's 1001, say) it closes without one.
func (s *browserStream) closeWebSocket(payload []byte) {
	s.mu.Lock()
	s.closeSent = true
	peer := s.peerClosed
	s.mu.Unlock()
	if peer {
		// The browser answered the peer's close frame already and the
		// WebSocket is closed: the answer is written, the stream ends.
		s.push(nil, true)
		return
	}
	if len(payload) < 2 {
		s.ws.Call("close")
		return
	}
	code := int(payload[0])<<8 | int(payload[1])
	reason := payload[2:]
	if (code == 1000 || code >= 3000 && code <= 4999) && utf8.Valid(reason) {
		s.ws.Call("close", code, string(reason))
		return
	}
	s.ws.Call("close")
}

// Close closes the WebSocket, if the connection has not, and ends the
// stream.
func (s *browserStream) Close() (err error) {
	defer recoverJS(&err)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if !s.inEnd {
		s.inEnd, s.inErr = true, io.EOF
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if s.ws.IsUndefined() {
		return nil
	}
	if state := s.ws.Get("readyState").Int(); state < 2 { // CONNECTING or OPEN
		s.ws.Call("close")
	}
	// Nothing more is read: the events that may still come go nowhere.
	for _, l := range s.listeners {
		s.ws.Call("removeEventListener", l.event, l.fn)
		l.fn.Release()
	}
	return nil
}

// bufferedAmount is what the browser has queued and not sent yet.
func (s *browserStream) bufferedAmount() int64 {
	return int64(s.ws.Get("bufferedAmount").Int())
}

// sendsNoPings tells the connection that it cannot send pings.
func (s *browserStream) sendsNoPings() {}

// recoverJS turns a JavaScript exception thrown into Go into *err.
func recoverJS(err *error) {
	if r := recover(); r != nil {
		if jerr, ok := r.(js.Error); ok {
			*err = fmt.Errorf("wsconn: the browser's WebSocket: %w", jerr)
			return
		}
		panic(r)
	}
}
