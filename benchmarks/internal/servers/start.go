package servers

import (
	"errors"
	"fmt"
	"net"

	"github.com/wsconn/wsconn/benchmarks/internal/transport"
	"github.com/wsconn/wsconn/internal/selfsigned"
)

// Running is an echo server serving on its own socket.
type Running struct {
	// URL is where clients reach it: ws://ADDR/, wss://ADDR/ over TLS,
	// HTTP/2 and HTTP/3 (ADDR then being a UDP address), or tcp://ADDR/
	// for RawTCP.
	URL string

	done  chan struct{} // closed once Serve has returned
	err   error         // Serve's error, once done is closed
	close func() error  // stops Serve and closes the socket
}

// Start listens on addr (host:port; port 0 picks a free port) with the
// socket cfg.Transport needs, a TCP listener or, for HTTP/3, a UDP
// socket, and serves lib's echo server on it until Close.
func Start(lib, addr string, cfg Config) (*Running, error) {
	if err := check(lib, cfg.Transport, cfg.Fanout != nil); err != nil {
		return nil, err
	}
	t := cfg.Transport.OrTCP()
	if t == transport.H3 {
		return startH3(addr, cfg)
	}
	srv, err := New(lib, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := newRunning(Scheme(lib, t), ln.Addr(), srv.Close)
	go r.serve(func() error { return srv.Serve(ln) })
	return r, nil
}

// startH3 serves wsconn's echo server over HTTP/3 on a UDP socket.
func startH3(addr string, cfg Config) (*Running, error) {
	if cfg.TLS == nil {
		var err error
		if cfg.TLS, err = selfsigned.ServerConfig("wsconn benchmark echo server"); err != nil {
			return nil, err
		}
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	srv := newH3Server(wsconnHandler(cfg), cfg.TLS)
	r := newRunning(transport.H3.Scheme(), pc.LocalAddr(), func() error {
		// The server leaves the socket it was given open.
		return errors.Join(srv.Close(), pc.Close())
	})
	go r.serve(func() error { return srv.Serve(pc) })
	return r, nil
}

func newRunning(scheme string, addr net.Addr, close func() error) *Running {
	return &Running{URL: fmt.Sprintf("%s://%s/", scheme, addr), done: make(chan struct{}), close: close}
}

// serve runs the server's Serve and records its error.
func (r *Running) serve(serve func() error) {
	defer close(r.done)
	r.err = serve()
}

// Done is closed when the server has stopped serving, by Close or on an
// error, which Close then returns.
func (r *Running) Done() <-chan struct{} { return r.done }

// Close stops the server, waits for it to stop serving and returns the
// error it stopped on, if any. The connections already accepted over
// HTTP/1.1 are left to their peers; HTTP/2 and HTTP/3 ones are closed.
func (r *Running) Close() error {
	err := r.close()
	<-r.done
	return errors.Join(r.err, err)
}
