// Command echoserver is a WebSocket echo server for tests and conformance
// suites such as the Autobahn test suite's client mode, and for browsers.
//
//	go run ./examples/echoserver [-addr 127.0.0.1:9001] [-deflate=true] [-max-message BYTES]
//	    [-tls [-cert FILE -key FILE] [-http3]] [-http2=true] [-v]
//
// It prints "listening on ws://ADDR/" once it accepts connections, with
// the address it is bound to ("listening on wss://ADDR/" with -tls). It
// sends every message back with its type, on any path, from any Origin
// (it is a test server). When the client offers subprotocols, it selects
// the first one offered. On SIGINT or SIGTERM it closes every connection
// with 1001 (going away), waits a bounded time for them to close, and
// exits 0.
//
// WebSockets come as HTTP/1.1 Upgrade requests, and as extended CONNECT
// requests over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220). Without -tls it
// serves HTTP/1.1 and HTTP/2 without TLS with prior knowledge (h2c, which
// echoclient -http2 speaks for ws:// URLs). With -tls it serves HTTPS,
// HTTP/2 and HTTP/1.1 as the client chooses by ALPN, with the certificate
// and key of the PEM files -cert and -key, or else with a self-signed
// ECDSA certificate for 127.0.0.1, ::1 and localhost that it makes as it
// starts and keeps in memory only (clients skip its verification:
// echoclient -insecure, a browser's --ignore-certificate-errors).
// -http2=false serves HTTP/1.1 alone, with or without TLS. With -tls and
// -http3 it also serves HTTP/3 on the same port number over UDP, and
// advertises it in an Alt-Svc header on its HTTP/1.1 and HTTP/2
// responses.
//
// A GET that is not a WebSocket handshake (over HTTP/1.1, one without
// Upgrade: websocket; over HTTP/2 and HTTP/3, every GET) gets a small HTML
// page whose script opens a WebSocket to the page's own origin, path
// /echo, and shows the echoes. A browser opens a WebSocket over HTTP/2
// only on the HTTP/2 connection of a page of the same origin: loading
// this page opens it.
//
// With -v it prints "accepted PROTO PATH" for each WebSocket it accepts,
// PROTO being HTTP/1.1, HTTP/2.0 or HTTP/3.0 and PATH the URL's path
// without its query, such as
//
//	accepted HTTP/2.0 /echo
//
// A WebSocket URL with the query parameter close=CODE, CODE being 1000 or
// from 3000 to 4999, has the server close the connection with that code,
// and the reason "close=CODE asked for it", once it has echoed the first
// message: a client can see the server start the closing handshake. Any
// other value is refused with 400.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/quic-go/quic-go/http3"

	// Lets net/http's HTTP/2 server take WebSockets (extended CONNECT)
	// without GODEBUG=http2xconnect=1 in the environment.
	_ "github.com/wsconn/wsconn/xconnect"
)

// shutdownTimeout bounds the wait for connections to close on a signal.
const shutdownTimeout = 10 * time.Second

// maxHeaderBytes bounds a request's head, over every HTTP version.
const maxHeaderBytes = 64 << 10

// config is what the command line asks for.
type config struct {
	addr              string
	deflate           bool
	maxMessage        int64
	tls               bool
	certFile, keyFile string
	http2, http3      bool
	verbose           bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:9001", "`address` to listen on; port 0 picks a free port")
	flag.BoolVar(&cfg.deflate, "deflate", true, "accept permessage-deflate offers")
	flag.Int64Var(&cfg.maxMessage, "max-message", 64<<20, "largest incoming frame and message in `bytes` (0: no limit)")
	flag.BoolVar(&cfg.tls, "tls", false, "serve HTTPS (wss://): HTTP/2 and HTTP/1.1, chosen by ALPN")
	flag.StringVar(&cfg.certFile, "cert", "", "with -tls: PEM certificate (chain) `file`; without -cert and -key, a self-signed certificate for 127.0.0.1, ::1 and localhost")
	flag.StringVar(&cfg.keyFile, "key", "", "with -tls: PEM private key `file` of -cert")
	flag.BoolVar(&cfg.http2, "http2", true, "serve HTTP/2 as well as HTTP/1.1: by ALPN with -tls, with prior knowledge (h2c) without")
	flag.BoolVar(&cfg.http3, "http3", false, "with -tls: also serve HTTP/3 on the same port number over UDP, advertised by Alt-Svc")
	flag.BoolVar(&cfg.verbose, "v", false, `print "accepted PROTO PATH" for each WebSocket accepted`)
	flag.Parse()
	var usage string
	switch {
	case flag.NArg() > 0:
		usage = fmt.Sprintf("unexpected arguments %q", flag.Args())
	case (cfg.certFile == "") != (cfg.keyFile == ""):
		usage = "give -cert and -key together"
	case cfg.certFile != "" && !cfg.tls:
		usage = "-cert and -key need -tls"
	case cfg.http3 && !cfg.tls:
		usage = "-http3 needs -tls"
	}
	if usage != "" {
		fmt.Fprintln(os.Stderr, "echoserver:", usage)
		flag.Usage()
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var tlsConf *tls.Config
	if cfg.tls {
		var err error
		if tlsConf, err = tlsConfig(cfg.certFile, cfg.keyFile); err != nil {
			return err
		}
	}
	ln, udp, err := listen(cfg.addr, cfg.http3)
	if err != nil {
		return err
	}
	s := newEchoServer(cfg.deflate, cfg.maxMessage)
	if cfg.verbose {
		s.accepted = os.Stdout
	}
	srv := &http.Server{
		Handler:           s,
		Protocols:         serverProtocols(cfg.tls, cfg.http2),
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 10 * time.Second, // cuts off slow handshakes
		MaxHeaderBytes:    maxHeaderBytes,
		// Closes keep-alive connections left idle between requests, such
		// as after a plain HTTP request: ReadHeaderTimeout only starts
		// once the next request's first bytes arrive.
		IdleTimeout: 30 * time.Second,
	}
	var h3 *http3.Server
	if udp != nil {
		h3 = newHTTP3Server(s, tlsConf)
		s.altSvc = altSvc(udp.LocalAddr().(*net.UDPAddr).Port)
	}
	served := make(chan error, 2)
	scheme := "ws"
	if tlsConf != nil {
		scheme = "wss"
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	if h3 != nil {
		go func() { served <- fmt.Errorf("HTTP/3: %w", h3.Serve(udp)) }()
	}
	fmt.Printf("listening on %s://%s/\n", scheme, ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Shutdown stops accepting. It neither waits for nor closes the
	// WebSockets over HTTP/1.1, which the HTTP server handed over; those
	// over HTTP/2 and HTTP/3 are requests, which it waits for: closeAll
	// closes them all meanwhile.
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Shutdown(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "echoserver: shutting down HTTP:", err)
		}
	})
	if h3 != nil {
		wg.Go(func() { h3.Shutdown(sctx) })
	}
	if err := s.closeAll(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
	}
	if h3 != nil {
		// Clients keep their QUIC connections after their last request:
		// close them rather than wait for the deadline.
		h3.Close()
	}
	wg.Wait()
	return nil
}
