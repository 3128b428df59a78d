package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

const listenAbout = `Serves WebSockets on ADDR (host:port; port 0 picks a free one), on any path
and from any Origin, over HTTP/1.1 and HTTP/2. It prints "listening on
ws://ADDR/" (wss:// with -tls) on standard error once it accepts, a line on
standard error when a client connects or disconnects, and each message a
client sends on standard output after the client's number, such as
"[1] hello". Each line of standard input goes to every client as a text
message; with -echo, standard input is not read and each message goes back
to its sender instead.

When standard input and output are both a terminal, lines are typed at a
"> " prompt, and Ctrl-D or Ctrl-C stops the server; otherwise the end of
standard input does not. SIGINT or SIGTERM closes every connection with
1001 (going away) and exits with status 0.
`

// shutdownTimeout bounds how long listen waits, on a signal, for its
// clients to close.
const shutdownTimeout = 5 * time.Second

// listenConfig is what listen's command line asks for.
type listenConfig struct {
	connFlags
	echo     bool
	tls      bool
	certFile string
	keyFile  string
}

// newListenFlags returns listen's command line and the configuration its
// flags fill in.
func newListenFlags() (*command, *listenConfig) {
	cfg := &listenConfig{}
	cmd := newCommand("listen", "ADDR", listenAbout)
	fs := cmd.fs
	cfg.register(fs, "support the subprotocol `name` (repeatable): the first the client offers that is\nsupported is chosen (default: the first the client offers, whatever it is)",
		true, "accept permessage-deflate compression when the client offers it")
	fs.BoolVar(&cfg.echo, "echo", false, "send each message back to its sender, instead of reading standard input")
	fs.BoolVar(&cfg.tls, "tls", false, "serve wss:// (TLS, with HTTP/2 and HTTP/1.1 by ALPN), with a self-signed\ncertificate for 127.0.0.1, ::1 and localhost unless -cert and -key are given")
	fs.StringVar(&cfg.certFile, "cert", "", "with -tls: the certificate (chain) PEM `file`")
	fs.StringVar(&cfg.keyFile, "key", "", "with -tls: the private key PEM `file` of -cert")
	return cmd, cfg
}

// check returns what is wrong with the flags, or nil.
func (cfg *listenConfig) check() error {
	if err := cfg.connFlags.check(); err != nil {
		return err
	}
	switch {
	case (cfg.certFile == "") != (cfg.keyFile == ""):
		return errors.New("give -cert and -key together")
	case cfg.certFile != "" && !cfg.tls:
		return errors.New("-cert and -key need -tls")
	}
	return nil
}

// runListen runs "wsconn listen" with args and returns the exit status.
func runListen(args []string, std stdio) int {
	cmd, cfg := newListenFlags()
	addr, status, ok := cmd.parse(args, std)
	if !ok {
		return status
	}
	if err := cfg.check(); err != nil {
		return cmd.usageError(std, err.Error())
	}
	var tlsConf *tls.Config
	if cfg.tls {
		var err error
		if tlsConf, err = serverTLS(cfg.certFile, cfg.keyFile); err != nil {
			fmt.Fprintln(std.err, "wsconn: TLS certificate:", err)
			return exitFailure
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(std.err, "wsconn:", err)
		return exitFailure
	}
	con := newConsole(std, !cfg.echo)
	defer con.close()
	return serve(ln, tlsConf, cfg, con)
}

// serve serves WebSockets on ln until a signal, or the end of interactive
// input, stops it, and returns the exit status.
func serve(ln net.Listener, tlsConf *tls.Config, cfg *listenConfig, con *console) int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	s := &server{cfg: cfg, con: con, clients: make(map[int]*wsconn.WebsocketConnection)}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if tlsConf != nil {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true) // connect -http2 to a ws:// URL
	}
	srv := &http.Server{
		Handler:           s,
		Protocols:         &protocols,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second, // cuts off handshakes that never come
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       30 * time.Second, // closes idle keep-alive connections
		// TLS handshake failures and the like, on standard error, through
		// the console so that they do not break a line being typed.
		ErrorLog: log.New(infoWriter{con}, "wsconn: ", 0),
	}
	served := make(chan error, 1)
	scheme := "ws"
	if tlsConf != nil {
		scheme = "wss"
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	con.info("listening on %s://%s/", scheme, ln.Addr())
	if tlsConf != nil && cfg.certFile == "" {
		con.info("self-signed certificate for 127.0.0.1, ::1 and localhost (clients connect with -insecure), SHA-256 %s",
			fingerprint(tlsConf.Certificates[0]))
	}

	status := exitOK
	quit := make(chan struct{}) // the end of interactive input
	if err := con.startInteractive("> "); err != nil {
		con.info("wsconn: %v", err)
		status = exitFailure
		close(quit) // shut down at once
	} else if !cfg.echo {
		go s.readInput(quit)
	}
	select {
	case err := <-served:
		con.info("wsconn: %v", err)
		status = exitFailure
	case <-sigs:
	case <-quit:
	}

	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	s.closeAll(ctx)
	// Shutdown stops accepting and waits for the HTTP/2 streams, whose
	// handlers return as their WebSockets close; HTTP/1.1 WebSockets were
	// handed over and closeAll closed them.
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	s.wait(ctx)
	return status
}

// infoWriter writes the lines of a log.Logger as diagnostics.
type infoWriter struct{ con *console }

func (w infoWriter) Write(p []byte) (int, error) {
	w.con.info("%s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// server is listen's http.Handler: it accepts every WebSocket and keeps
// the open ones, by number, for the lines of standard input.
type server struct {
	cfg *listenConfig
	con *console

	mu       sync.Mutex
	lastID   int
	clients  map[int]*wsconn.WebsocketConnection
	stopping bool           // closeAll was called: no new clients
	active   sync.WaitGroup // the handlers running
}

// ServeHTTP accepts a WebSocket, prints what it sends and, with -echo,
// sends it back, until it closes. Over HTTP/2 the WebSocket is the
// request's stream and must not outlive ServeHTTP; over HTTP/1.1 staying
// costs nothing, the goroutine is the connection's anyway.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Done()
	s.mu.Lock()
	s.lastID++
	id := s.lastID
	s.mu.Unlock()
	mark := fmt.Sprintf("[%d] ", id)
	if s.cfg.verbose {
		printRequest(s.con, mark+"< ", r, r.Proto)
	}

	opts := &wsconn.AcceptOptions{
		Protocols:               s.cfg.protocols,
		InsecureSkipOriginCheck: true, // a tool for trying clients out, browsers included
		ConnectionOptions:       s.cfg.options(tracer(s.cfg.verbose, s.con, mark)),
	}
	if len(opts.Protocols) == 0 {
		opts.Protocols = firstOffered(r)
	}
	if s.cfg.compress {
		opts.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	}
	c, err := wsconn.Accept(w, r, opts)
	if err != nil {
		s.con.info("%srefused %s %s from %s: %s", mark, r.Method, r.URL.Path, r.RemoteAddr, strings.TrimPrefix(err.Error(), "wsconn: "))
		return
	}
	if !s.add(id, c) {
		c.Close(wsconn.CloseGoingAway, "server shutting down")
	}
	proto := describeProto(r.Proto, c.Protocol(), extensionNames(c.Extensions()))
	s.con.info("%sconnected from %s to %s (%s)", mark, r.RemoteAddr, r.URL.Path, proto)

	// Messages are printed and echoed from a message handler rather than
	// a Receive loop: when the client closes right after its last
	// messages, the connection holds its answering close frame until the
	// handlers of the messages before it have run, so their echoes still
	// go out.
	var causeMu sync.Mutex
	var cause error
	closed := make(chan struct{})
	c.Hold(func() {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			s.con.data(mark + s.cfg.binary.format(typ, data))
			if s.cfg.echo {
				echo(c, typ, data)
			}
		})
		c.OnError(func(err error) {
			causeMu.Lock()
			defer causeMu.Unlock()
			if cause == nil {
				cause = err
			}
		})
		// The last signal, after the handlers of every message and
		// error: the disconnection line comes after their lines.
		c.OnClosed(func() { close(closed) })
	})
	<-closed
	s.remove(id)

	st := c.CloseStatus()
	causeMu.Lock()
	_, line := describeClose(st, cause, "client")
	causeMu.Unlock()
	if line == "" {
		line = "closed by this server with " + codeAndReason(st.SentCode, st.SentReason)
	}
	s.con.info("%sdisconnected: %s", mark, line)
}

// echo sends a message back to its sender. When the client reads slower
// than it sends, the queue fills: echo then waits for it to drain, which
// holds up the next messages and so, in the end, reading from the client.
func echo(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
	err := c.SendMessage(typ, data)
	if errors.Is(err, wsconn.ErrQueueFull) && c.Flush(context.Background()) == nil {
		c.SendMessage(typ, data)
	}
	// Other errors mean the connection is closing: nothing to echo to.
}

// firstOffered returns the first subprotocol that r offers, as the one to
// choose without -protocol: clients such as browsers and Node's ws fail a
// handshake that does not choose one of the subprotocols they offered.
func firstOffered(r *http.Request) []string {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				return []string{p}
			}
		}
	}
	return nil
}

// extensionNames lists the names of exts, for the line about a new client.
func extensionNames(exts []extensions.Extension) string {
	names := make([]string, len(exts))
	for i, e := range exts {
		names[i] = e.Name()
	}
	return strings.Join(names, ", ")
}

// add registers c as client id, unless the server is stopping.
func (s *server) add(id int, c *wsconn.WebsocketConnection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.clients[id] = c
	return true
}

// remove forgets client id.
func (s *server) remove(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, id)
}

// snapshot returns the ids of the open clients in order, and the clients.
func (s *server) snapshot() ([]int, map[int]*wsconn.WebsocketConnection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.clients)), maps.Clone(s.clients)
}

// readInput sends each line of standard input to every client. At the end
// of interactive input (Ctrl-D, Ctrl-C) it closes quit, which stops the
// server; the end of a file or a pipe only ends the input.
func (s *server) readInput(quit chan<- struct{}) {
	for {
		line, err := s.con.readLine()
		if err != nil {
			if s.con.interactive() {
				close(quit)
			} else if err != io.EOF {
				s.con.info("wsconn: reading standard input: %v", err)
			}
			return
		}
		s.broadcast(line)
	}
}

// broadcast sends line to every client as a text message. A client whose
// queue is full misses it, with a note, rather than holding the others up.
func (s *server) broadcast(line string) {
	ids, clients := s.snapshot()
	if len(ids) == 0 {
		s.con.info("wsconn: no client connected; line not sent")
		return
	}
	for _, id := range ids {
		switch err := clients[id].SendText(line); {
		case errors.Is(err, wsconn.ErrInvalidUTF8):
			s.con.info("wsconn: the line is not valid UTF-8; not sent")
			return
		case errors.Is(err, wsconn.ErrQueueFull):
			s.con.info("[%d] its outgoing queue is full; line not sent to it", id)
		}
	}
}

// closeAll stops taking clients and closes every open one with 1001, then
// waits for them to close, until ctx is done: then it drops those left.
func (s *server) closeAll(ctx context.Context) {
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	ids, clients := s.snapshot()
	for _, id := range ids {
		clients[id].Close(wsconn.CloseGoingAway, "server shutting down")
	}
	for _, id := range ids {
		select {
		case <-clients[id].Done():
		case <-ctx.Done():
			clients[id].Abort()
		}
	}
}

// wait waits for the handlers to finish, and so to print their last
// lines, until ctx is done.
func (s *server) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.active.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
