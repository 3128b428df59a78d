//go:build linux

package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// maxMessage bounds incoming frames and messages on wsconn's side: the
// suite sends 1 MiB, over wsconn's 128 KiB default.
const maxMessage = 4 << 20

// serverProtocols are the subprotocols wsconn's server supports. It picks
// the first one the client offers.
var serverProtocols = []string{"wsconn.interop.v1", "wsconn.interop.v2"}

// connOptions configure every wsconn connection of the suite.
func connOptions() *wsconn.Options {
	return &wsconn.Options{MaxIncomingPayloadSize: maxMessage, MaxTotalMessageSize: maxMessage}
}

// registry returns the extensions wsconn supports: permessage-deflate
// with its defaults when deflate is set, none otherwise.
func registry(deflate bool) *extensions.Registry {
	if !deflate {
		return nil
	}
	return extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
}

// A wsEvent is something wsconn reported on one connection.
type wsEvent struct {
	kind string // "message", "ping", "pong", "error" or "closed"
	typ  wsconn.DataType
	data []byte
	err  error
	at   time.Time
}

// An endpoint is wsconn's end of one connection of the suite, with what
// wsconn reported on it.
type endpoint struct {
	c       *wsconn.WebsocketConnection
	id      string
	ext     string   // the agreed Sec-WebSocket-Extensions, as wsconn has it
	names   []string // the names of the extensions wsconn applies
	addr    string   // the address of the connection's other end, as a tap knows it
	events  *inbox[wsEvent]
	closed  chan struct{}
	closeAt time.Time // when closed was reported; read after closed
}

// newEndpoint connects handlers to c. An echoing endpoint sends every
// message back, as the echo programs do; others keep them for the checks.
func newEndpoint(c *wsconn.WebsocketConnection, id, ext, addr string, echo bool) *endpoint {
	ep := &endpoint{c: c, id: id, ext: ext, addr: addr, events: newInbox[wsEvent](), closed: make(chan struct{})}
	for _, e := range c.Extensions() {
		ep.names = append(ep.names, e.Name())
	}
	put := func(ev wsEvent) {
		ev.at = time.Now()
		ep.events.put(ev)
	}
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		if echo {
			echoMessage(c, typ, data)
			return
		}
		put(wsEvent{kind: "message", typ: typ, data: data})
	})
	c.OnPing(func(p []byte) { put(wsEvent{kind: "ping", data: append([]byte(nil), p...)}) })
	c.OnPong(func(p []byte) { put(wsEvent{kind: "pong", data: append([]byte(nil), p...)}) })
	c.OnError(func(err error) { put(wsEvent{kind: "error", err: err}) })
	c.OnClosed(func() {
		ep.closeAt = time.Now()
		put(wsEvent{kind: "closed"})
		close(ep.closed)
	})
	return ep
}

// echoMessage sends a message back. When the peer reads slower than it
// sends, the queue fills: it then waits for the queue to drain, which also
// pauses reading from the peer.
func echoMessage(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
	err := c.SendMessage(typ, data)
	if errors.Is(err, wsconn.ErrQueueFull) {
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		defer cancel()
		if c.Flush(ctx) == nil {
			c.SendMessage(typ, data)
		}
	}
}

// wait returns the next event of one of kinds, or an error when the
// connection closed first or ctx is done.
func (ep *endpoint) wait(ctx context.Context, kinds ...string) (wsEvent, error) {
	ev, err := ep.events.take(ctx, func(e wsEvent) bool {
		return e.kind == "closed" || slices.Contains(kinds, e.kind)
	})
	if err != nil {
		return ev, fmt.Errorf("wsconn: waiting for %s on %s: %w", strings.Join(kinds, " or "), ep.id, err)
	}
	if ev.kind == "closed" && !slices.Contains(kinds, "closed") {
		ep.events.put(ev) // for whoever waits for it
		return ev, fmt.Errorf("wsconn: connection %s closed (%+v) while waiting for %s%s",
			ep.id, ep.c.CloseStatus(), strings.Join(kinds, " or "), ep.errorsNote())
	}
	return ev, nil
}

// waitClosed waits until wsconn reports the connection closed.
func (ep *endpoint) waitClosed(ctx context.Context) error {
	select {
	case <-ep.closed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wsconn: connection %s not closed in time (state %s)", ep.id, ep.c.State())
	}
}

// errors returns the errors wsconn reported so far.
func (ep *endpoint) errors() []error {
	var errs []error
	for {
		ev, err := ep.events.take(expired, func(e wsEvent) bool { return e.kind == "error" })
		if err != nil {
			return errs
		}
		errs = append(errs, ev.err)
	}
}

// errorsNote describes the errors wsconn reported, for a failure message.
func (ep *endpoint) errorsNote() string {
	var b strings.Builder
	ep.events.find(func(e wsEvent) bool {
		if e.kind == "error" {
			fmt.Fprintf(&b, "; wsconn error: %v", e.err)
		}
		return false
	})
	return b.String()
}

// expired is a context that is done: take with it only looks.
var expired = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// wsServer is wsconn's server for the peers' clients: it serves the
// Chromium agent's page on / and accepts WebSocket connections on /c/ID,
// echoing every message.
type wsServer struct {
	srv  *http.Server
	ln   net.Listener
	opts wsconn.AcceptOptions

	mu      sync.Mutex
	waiting map[string]chan acceptResult
	all     []*endpoint
}

type acceptResult struct {
	ep  *endpoint
	err error
}

// page is what the Chromium agent loads: its script (see
// peers/chromium.js) opens the WebSockets, with this page's origin.
const page = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wsconn interop</title>
<p>wsconn interoperability suite: the browser's WebSockets are opened from this page.
`

// startServer starts wsconn's server on a free port of 127.0.0.1. It
// checks Origin as a server does by default: the browser's page comes from
// the server itself.
func startServer(deflate bool) (*wsServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &wsServer{
		ln: ln,
		opts: wsconn.AcceptOptions{
			Protocols:         serverProtocols,
			Extensions:        registry(deflate),
			ConnectionOptions: connOptions(),
		},
		waiting: make(map[string]chan acceptResult),
	}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	go s.srv.Serve(ln)
	return s, nil
}

// addr returns the host:port the server listens on.
func (s *wsServer) addr() string { return s.ln.Addr().String() }

func (s *wsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, page)
	case strings.HasPrefix(r.URL.Path, "/c/"):
		id := path.Base(r.URL.Path)
		c, err := wsconn.Accept(w, r, &s.opts)
		var ep *endpoint
		if err == nil {
			var answer []extensions.Offer
			for _, e := range c.Extensions() {
				answer = append(answer, extensions.Offer{Name: e.Name(), Params: e.ResponseParams()})
			}
			ep = newEndpoint(c, id, extensions.FormatHeader(answer), r.RemoteAddr, true)
			s.mu.Lock()
			s.all = append(s.all, ep)
			s.mu.Unlock()
		}
		select {
		case s.result(id) <- acceptResult{ep, err}:
		default: // a second connection with the same name: no check waits for it
			if ep != nil {
				ep.c.Abort()
			}
		}
	default:
		http.NotFound(w, r)
	}
}

// result returns the channel of the connection named id.
func (s *wsServer) result(id string) chan acceptResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.waiting[id]
	if !ok {
		ch = make(chan acceptResult, 1)
		s.waiting[id] = ch
	}
	return ch
}

// accepted waits for the connection named id.
func (s *wsServer) accepted(ctx context.Context, id string) (*endpoint, error) {
	select {
	case r := <-s.result(id):
		if r.err != nil {
			return nil, fmt.Errorf("wsconn: accepting %s: %w", id, r.err)
		}
		return r.ep, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wsconn: no connection %s in time", id)
	}
}

// close stops the server and ends every connection it accepted.
func (s *wsServer) close() {
	s.srv.Close()
	s.mu.Lock()
	all := s.all
	s.mu.Unlock()
	for _, ep := range all {
		ep.c.Abort()
	}
}

// dial opens wsconn's client connection named id to rawURL, offering
// protocols and, with deflate, permessage-deflate.
func dial(ctx context.Context, rawURL, id string, protocols []string, deflate bool) (*endpoint, error) {
	var local string
	opts := &wsconn.DialOptions{
		Protocols:         protocols,
		Extensions:        registry(deflate),
		ConnectionOptions: connOptions(),
		Proxy:             func(*http.Request) (*url.URL, error) { return nil, nil },
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				local = c.LocalAddr().String()
			}
			return c, err
		},
	}
	c, resp, err := wsconn.Dial(ctx, rawURL, opts)
	if err != nil {
		return nil, fmt.Errorf("wsconn: dialing %s: %w", rawURL, err)
	}
	return newEndpoint(c, id, resp.Header.Get("Sec-WebSocket-Extensions"), local, false), nil
}
