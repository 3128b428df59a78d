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
// Either way, wsconform prints a table of the results by category and the
// cases that were not OK, and exits 0 only if every case was OK or
// INFORMATIONAL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"regexp"
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
	case *server != "":
		fc := &conformance.FuzzingClient{Options: opts, URL: *server, LimitURL: *limitServer, Limit: *limit}
		results, err = fc.Run(ctx, conformance.Cases())
	default:
		results, err = serve(ctx, *listen, opts, *clientLimit)
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

// serve is the fuzzing server on addr.
func serve(ctx context.Context, addr string, opts conformance.Options, limit int64) ([]conformance.Result, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Printf("fuzzing server listening on ws://%s\n", ln.Addr())
	fs := &conformance.FuzzingServer{Options: opts, Limit: limit}
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
