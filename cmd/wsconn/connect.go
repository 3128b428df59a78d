package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/handshake"
	"github.com/wsconn/wsconn/http3"
)

const connectAbout = `Connects to the WebSocket server at URL (ws:// or wss://; http:// and https://
are taken as ws:// and wss://), sends each line of standard input as a text
message, and prints each message received followed by a newline: text as it
is, binary in hex or base64 (-binary). When standard input ends it closes
the connection with 1000 and exits when the closing handshake is over; a
first SIGINT or SIGTERM does the same, a second one drops the connection.

When standard input and output are both a terminal it is interactive: a "> "
prompt with line editing and history, received messages printed after "< "
above the line being typed, and Ctrl-D or Ctrl-C to close.

Diagnostics, and with -v the handshake's headers and the ping, pong and
close frames, go to standard error.
`

// connectConfig is what connect's command line asks for.
type connectConfig struct {
	connFlags
	header   headerFlag
	origin   string
	insecure bool
	proxy    string
	http2    bool
	http3    bool
	timeout  time.Duration
}

// newConnectFlags returns connect's command line and the configuration
// its flags fill in.
func newConnectFlags() (*command, *connectConfig) {
	cfg := &connectConfig{}
	cmd := newCommand("connect", "URL", connectAbout)
	fs := cmd.fs
	fs.Var(&cfg.header, "H", "add a `header` to the handshake request, as \"Name: value\" (repeatable)")
	cfg.register(fs, "offer the subprotocol `name` (repeatable, in order of preference)",
		false, "offer permessage-deflate compression")
	fs.StringVar(&cfg.origin, "origin", "", "send `URL` as the Origin header (default: none, unless given with -H)")
	fs.BoolVar(&cfg.insecure, "insecure", false, "do not verify the server's TLS certificate")
	fs.StringVar(&cfg.proxy, "proxy", "", "connect through the proxy at `URL`: http://, https://, socks5:// or socks5h://;\n\"direct\" for none (default: HTTP_PROXY, HTTPS_PROXY and NO_PROXY)")
	fs.BoolVar(&cfg.http2, "http2", false, "run the WebSocket over HTTP/2 (RFC 8441), with no fallback to HTTP/1.1:\nh2 over TLS for wss://, h2c (prior knowledge) for ws://")
	fs.BoolVar(&cfg.http3, "http3", false, "run the WebSocket over HTTP/3 (RFC 9220), over QUIC; wss:// only")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "give the handshake (connection, proxy, TLS, HTTP) at most `duration`")
	return cmd, cfg
}

// check returns what is wrong with the flags, or nil.
func (cfg *connectConfig) check() error {
	if err := cfg.connFlags.check(); err != nil {
		return err
	}
	switch {
	case cfg.http2 && cfg.http3:
		return errors.New("choose -http2 or -http3, not both")
	case cfg.http3 && cfg.proxy != "" && cfg.proxy != "direct":
		return errors.New("-http3 cannot go through a proxy: QUIC goes to the server over UDP")
	case cfg.timeout < 0:
		return errors.New("-timeout cannot be negative")
	}
	return nil
}

// proxyFunc returns the DialOptions.Proxy that -proxy asks for: nil for
// the environment's.
func (cfg *connectConfig) proxyFunc() (func(*http.Request) (*url.URL, error), error) {
	switch cfg.proxy {
	case "":
		return nil, nil
	case "direct":
		return func(*http.Request) (*url.URL, error) { return nil, nil }, nil
	}
	u, err := url.Parse(cfg.proxy)
	if err != nil {
		return nil, fmt.Errorf("bad -proxy: %v", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("bad -proxy %q: the scheme must be http, https, socks5 or socks5h", cfg.proxy)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad -proxy %q: no host", cfg.proxy)
	}
	return http.ProxyURL(u), nil
}

// dialOptions returns the options of the dial; -v traces frames on con.
func (cfg *connectConfig) dialOptions(con *console) (*wsconn.DialOptions, error) {
	proxy, err := cfg.proxyFunc()
	if err != nil {
		return nil, err
	}
	opts := &wsconn.DialOptions{
		Header:            cfg.header.h,
		Origin:            cfg.origin,
		Protocols:         cfg.protocols,
		Proxy:             proxy,
		HandshakeTimeout:  cfg.timeout,
		ConnectionOptions: cfg.options(tracer(cfg.verbose, con, "")),
	}
	if cfg.compress {
		opts.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	}
	if cfg.insecure {
		opts.TLSConfig = &tls.Config{InsecureSkipVerify: true}
	}
	if cfg.http2 {
		// HTTP/2 alone: HTTP2 applies to wss://, UnencryptedHTTP2 to ws://.
		opts.HTTPProtocols.SetHTTP2(true)
		opts.HTTPProtocols.SetUnencryptedHTTP2(true)
	}
	return opts, nil
}

// runConnect runs "wsconn connect" with args and returns the exit status.
func runConnect(args []string, std stdio) int {
	cmd, cfg := newConnectFlags()
	rawURL, status, ok := cmd.parse(args, std)
	if !ok {
		return status
	}
	if err := cfg.check(); err != nil {
		return cmd.usageError(std, err.Error())
	}
	if _, err := cfg.proxyFunc(); err != nil {
		return cmd.usageError(std, err.Error())
	}
	if _, err := checkURL(rawURL, cfg.http3); err != nil {
		fmt.Fprintln(std.err, "wsconn:", err)
		return exitBadURL
	}
	con := newConsole(std, true)
	defer con.close()
	opts, err := cfg.dialOptions(con)
	if err != nil { // checked above
		con.info("wsconn: %v", err)
		return exitUsage
	}
	return connect(rawURL, cfg, opts, con)
}

// connect opens the WebSocket, then runs the session: standard input out
// as text messages, messages in on standard output. It returns the exit
// status.
func connect(rawURL string, cfg *connectConfig, opts *wsconn.DialOptions, con *console) int {
	// A signal during the handshake abandons it; after it, see session.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dialed := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-dialed:
		}
	}()
	dial := wsconn.Dial
	if cfg.http3 {
		dial = http3.Dial
	}
	c, resp, err := dial(ctx, rawURL, opts)
	close(dialed)
	if cfg.verbose && resp != nil {
		req := resp.Request
		if req == nil && c != nil {
			req = c.Request()
		}
		if req != nil {
			printRequest(con, "> ", req, resp.Proto)
		}
		printResponse(con, "< ", resp)
	}
	if err != nil {
		var se *handshake.StatusError
		if errors.As(err, &se) {
			printRefusal(con, se)
			return exitRefused
		}
		status, line := describeDialError(err)
		con.info("wsconn: %s", line)
		return status
	}
	if err := con.startInteractive("> "); err != nil {
		con.info("wsconn: %v", err)
		c.Close(wsconn.CloseGoingAway, "")
		<-c.Done()
		return exitFailure
	}
	proto := describeProto(resp.Proto, c.Protocol(), resp.Header.Get("Sec-WebSocket-Extensions"))
	switch {
	case con.interactive():
		con.info("connected to %s (%s); Ctrl-D or Ctrl-C closes", rawURL, proto)
	case cfg.verbose:
		con.info("connected (%s)", proto)
	}
	return session(c, cfg, con, sigs)
}

// session runs an open connection until it has closed and returns the
// exit status. The first signal from sigs closes the connection, a second
// one drops it.
func session(c *wsconn.WebsocketConnection, cfg *connectConfig, con *console, sigs <-chan os.Signal) int {
	// Messages in, until Receive reports the close. Receiving from a
	// goroutine of our own keeps the output in order and, when standard
	// output is slow, makes the connection stop reading from the server
	// instead of buffering without bound.
	prefix := ""
	if con.interactive() {
		prefix = "< " // typed lines stay on screen after "> "
	}
	closed := make(chan error, 1)
	go func() {
		for {
			typ, data, err := c.Receive(context.Background())
			if err != nil {
				closed <- err
				return
			}
			con.data(prefix + cfg.binary.format(typ, data))
		}
	}()

	// Lines out, until the end of input closes the connection.
	go func() {
		for n := 1; ; n++ {
			line, err := con.readLine()
			if err != nil {
				c.Close(wsconn.CloseNormal, "")
				return
			}
			switch err := sendText(c, line); {
			case errors.Is(err, wsconn.ErrInvalidUTF8):
				con.info("wsconn: line %d is not valid UTF-8; not sent", n)
			case err != nil:
				return // closing or closed: Receive reports why
			}
		}
	}()

	var end error
	for interrupts := 0; end == nil; {
		select {
		case end = <-closed:
		case <-sigs:
			if interrupts++; interrupts == 1 {
				c.Close(wsconn.CloseNormal, "")
			} else {
				c.Abort()
			}
		}
	}

	st := c.CloseStatus()
	var cause error
	if ce, ok := errors.AsType[*wsconn.CloseError](end); ok {
		cause = ce.Err
	}
	if cfg.verbose {
		con.info("%s", st)
	}
	status, line := describeClose(st, cause, "server")
	if line != "" {
		con.info("wsconn: %s", line)
	}
	return status
}

// sendText queues a text message, waiting for the queue to drain when it
// is full: standard input may come faster than the network takes it.
func sendText(c *wsconn.WebsocketConnection, text string) error {
	for {
		err := c.SendText(text)
		if !errors.Is(err, wsconn.ErrQueueFull) {
			return err
		}
		// Flush returns once what was queued is written, or the
		// connection failed; then SendText succeeds or says why not.
		if err := c.Flush(context.Background()); err != nil {
			return err
		}
	}
}
