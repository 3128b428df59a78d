// Command wsconform runs the wsconn conformance suite against any
// WebSocket implementation: its server role through an echo server, or
// its client role through a client that speaks the Autobahn|Testsuite's
// fuzzing server protocol. It belongs to the module in conformance/; run
// it from there.
//
//	go run ./cmd/wsconform -server ws://HOST:PORT/PATH [-limit-server ws://HOST:PORT/PATH -limit BYTES]
//
// connects to the echo server (one that sends every message back with
// its type) once per case. The cases about message size limits run
// against -limit-server, an echo server that fails messages over -limit
// bytes with close code 1009, when it is given.
//
//	go run ./cmd/wsconform -listen 127.0.0.1:9001 [-client-limit BYTES]
//
// is a fuzzing server: point the client at ws://127.0.0.1:9001 (it asks
// /getCaseCount, then /runCase?case=N&agent=NAME for each case, then
// /updateReports?agent=NAME); the run ends with /updateReports. The cases
// about limits run when -client-limit gives the client's message limit.
//
// With -http2, each WebSocket is the stream of an extended CONNECT request
// over HTTP/2 (RFC 8441) instead of an HTTP/1.1 Upgrade. With -server, a
// ws:// URL is reached over cleartext HTTP/2 with prior knowledge (h2c) and
// a wss:// URL over TLS with h2 in ALPN (-insecure skips the verification
// of the server's certificate); each case opens an HTTP/2 connection of
// its own. With -listen, wsconform serves h2c, or HTTP/2 over TLS with
// -cert and -key; the client must open every WebSocket with an extended
// CONNECT, and the cases run one at a time, whatever its connections.
//
//	go run ./cmd/wsconform -http2 -server wss://HOST:PORT/PATH -insecure
//	go run ./cmd/wsconform -http2 -listen 127.0.0.1:9001 [-cert FILE -key FILE]
//
// Over HTTP/2 the end of a stream stands for the end of the TCP connection:
// see the package's documentation.
//
// Either way, wsconform prints a table of the results by category and the
// cases that were not OK, and exits 0 only if every case was OK or
// INFORMATIONAL.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/wsconn/wsconn/conformance"
)

func main() {
	server := flag.String("server", "", "ws:// `URL` of an echo server to check")
	limitServer := flag.String("limit-server", "", "ws:// `URL` of an echo server whose message limit is -limit, for the cases about limits")
	limit := flag.Int64("limit", 0, "message limit of -limit-server in `bytes`")
	listen := flag.String("listen", "", "`address` on which to be a fuzzing server for an Autobahn-protocol client")
	clientLimit := flag.Int64("client-limit", 0, "message limit of the client in `bytes`, for the cases about limits (0: skip them)")
	cases := flag.String("cases", "", "run only the cases whose ID matches this `regexp`, such as '^(5|6)\\.'")
	short := flag.Bool("short", false, "skip the heaviest cases (messages of 8 MiB and more)")
	timeout := flag.Duration("timeout", 60*time.Second, "bound on each case")
	failWait := flag.Duration("fail-wait", 5*time.Second, "how long the peer may take to fail the connection or to answer a close frame")
	verbose := flag.Bool("v", false, "print each result as its case ends")
	list := flag.Bool("list", false, "list the cases and exit")
	http2 := flag.Bool("http2", false, "open each WebSocket as an extended CONNECT stream over HTTP/2 (RFC 8441): h2c for ws://, h2 over TLS for wss:// or with -cert")
	insecure := flag.Bool("insecure", false, "with -server wss://, do not verify the server's certificate")
	certFile := flag.String("cert", "", "with -http2 -listen, serve HTTP/2 over TLS with the certificate in this PEM `file`")
	keyFile := flag.String("key", "", "the private key of -cert, a PEM `file`")
	flag.Parse()

	opts := conformance.Options{Timeout: *timeout, FailWait: *failWait, Short: *short}
	if *cases != "" {
		re, err := regexp.Compile(*cases)
		if err != nil {
			usage(fmt.Sprintf("-cases: %v", err))
		}
		opts.Match = re.MatchString
	}
	if *verbose {
		opts.Progress = func(r conformance.Result) {
			fmt.Printf("%s %-8s %-14s %6s  %s\n", r.Role, r.ID, r.Grade, r.Duration.Round(time.Millisecond), r.Description)
		}
	}
	if *list {
		for _, c := range conformance.Cases() {
			if opts.Match == nil || opts.Match(c.ID) {
				fmt.Printf("%-8s %s\n", c.ID, c.Description)
			}
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var results []conformance.Result
	var err error
	switch {
	case flag.NArg() > 0:
		usage(fmt.Sprintf("unexpected arguments %q", flag.Args()))
	case (*server == "") == (*listen == ""):
		usage("give either -server or -listen")
	case (*limitServer == "") != (*limit == 0):
		usage("give -limit-server and -limit together")
	case (*certFile == "") != (*keyFile == ""):
		usage("give -cert and -key together")
	case *certFile != "" && (!*http2 || *listen == ""):
		usage("-cert and -key are for -http2 -listen")
	case *insecure && *server == "":
		usage("-insecure is for -server")
	case !*http2 && (strings.HasPrefix(*server, "wss:") || strings.HasPrefix(*limitServer, "wss:")):
		usage("wss:// URLs need -http2 (the suite speaks HTTP/1.1 over TCP without TLS)")
	case *server != "":
		fc := &conformance.FuzzingClient{Options: opts, URL: *server, LimitURL: *limitServer, Limit: *limit, HTTP2: *http2}
		if *insecure {
			fc.TLSConfig = &tls.Config{InsecureSkipVerify: true}
		}
		results, err = fc.Run(ctx, conformance.Cases())
	default:
		fs := &conformance.FuzzingServer{Options: opts, Limit: *clientLimit, HTTP2: *http2}
		if *certFile != "" {
			cert, cerr := tls.LoadX509KeyPair(*certFile, *keyFile)
			if cerr != nil {
				fmt.Fprintln(os.Stderr, "wsconform:", cerr)
				os.Exit(1)
			}
			fs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		}
		results, err = serve(ctx, *listen, fs)
	}
	if len(results) > 0 {
		conformance.WriteTable(os.Stdout, results)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wsconform:", err)
		os.Exit(1)
	}
	var sum conformance.Summary
	for _, r := range results {
		sum.Add(r)
	}
	if sum.Cases == 0 || !sum.AllOK() {
		os.Exit(1)
	}
}

// serve runs fs on addr.
func serve(ctx context.Context, addr string, fs *conformance.FuzzingServer) ([]conformance.Result, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	switch {
	case fs.TLSConfig != nil:
		fmt.Printf("fuzzing server listening on wss://%s (HTTP/2 over TLS)\n", ln.Addr())
	case fs.HTTP2:
		fmt.Printf("fuzzing server listening on ws://%s (HTTP/2 with prior knowledge, h2c)\n", ln.Addr())
	default:
		fmt.Printf("fuzzing server listening on ws://%s\n", ln.Addr())
	}
	results, err := fs.Serve(ctx, ln, conformance.Cases())
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted before the client asked for /updateReports")
	}
	return results, err
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, "wsconform:", msg)
	flag.Usage()
	os.Exit(2)
}
