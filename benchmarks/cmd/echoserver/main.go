// Command echoserver runs the echo server of one library, or its fan-out
// server, for the benchmark.
//
//	echoserver -lib wsconn|gorilla|coder|gws|gobwas|rawtcp [-transport tcp|tls|h2|h3]
//	           [-addr 127.0.0.1:0] [-stats 127.0.0.1:0] [-deflate] [-cpuprofile FILE]
//	echoserver -lib wsconn|gorilla|coder|gws|gobwas -mode fanout [-deflate] ...
//	echoserver -lib wsconn -mode fanout-direct [-deflate] ...
//	echoserver -lib wsconn -mode fanout -nats nats://HOST:PORT [-deflate] ...
//
// It prints "stats on http://ADDR/stats", then "listening on ws://ADDR/"
// (tcp:// for rawtcp, a plain TCP echo) once it accepts connections. GET
// /stats on the stats address answers JSON with the number of goroutines,
// OS threads and memory figures. It exits 0 on SIGINT or SIGTERM.
//
// -transport serves WebSocket over HTTP/1.1 in TLS (any library but
// rawtcp), or, for wsconn only, over HTTP/2 in TLS (net/http's server,
// extended CONNECT turned on by wsconn's package xconnect) or over HTTP/3
// (quic-go's server on a UDP socket). The URL printed is then
// wss://ADDR/, ADDR being a UDP address for h3; the certificate is a
// self-signed one made at start.
//
// -mode fanout serves the fan-out protocol of package servers instead of
// echoing, over plain TCP: every WebSocket is a subscriber of one topic
// but the publisher's, at /publish?subscribers=N, which is told "ready"
// once N subscribers have joined and whose messages are then published to
// all of them, with the library's way of sending one message to many
// connections (wsconn: package hub; gorilla: PreparedMessage; gws:
// Broadcaster). /stats then holds the fan-out figures too: subscribers,
// messages published and, for wsconn and gobwas, the permessage-deflate
// compressions. -mode fanout-direct has wsconn send with SendPrepared to
// each subscriber itself, without package hub.
//
// -nats gives the hub of wsconn's fan-out server a broker over NATS
// (module hubnats): the fan-out servers connected to the same NATS server
// share the topic, and a message published on one reaches the
// subscribers of all. The server exits 1 if its link to NATS breaks or
// NATS drops a message for it: the run has lost messages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/proc"
	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

func main() {
	libs := strings.Join(append(slices.Clone(servers.Libraries), servers.RawTCP), ", ")
	lib := flag.String("lib", "", "the `library` to serve with: "+libs)
	tname := flag.String("transport", "tcp", "serve WebSocket over `transport`: "+transport.List(transport.All)+" (h2 and h3: wsconn only)")
	addr := flag.String("addr", "127.0.0.1:0", "`address` to serve WebSocket on; port 0 picks a free port")
	statsAddr := flag.String("stats", "127.0.0.1:0", "`address` to serve GET /stats on")
	deflate := flag.Bool("deflate", false, "accept permessage-deflate")
	cpuProfile := flag.String("cpuprofile", "", "write the server's CPU profile to `file` when it exits")
	mode := flag.String("mode", "echo", "what the server does: echo, fanout, or fanout-direct (wsconn without package hub)")
	natsURL := flag.String("nats", "", "with -lib wsconn -mode fanout, share the topic with the fan-out servers connected to the NATS server at `URL`")
	flag.Parse()
	t, err := transport.Parse(*tname)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
	}
	fanout, modeErr := parseMode(*mode)
	if modeErr != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", modeErr)
	}
	if *natsURL != "" && (*lib != "wsconn" || *mode != "fanout") && modeErr == nil {
		modeErr = fmt.Errorf("-nats needs -lib wsconn -mode fanout")
		fmt.Fprintln(os.Stderr, "echoserver:", modeErr)
	}
	if flag.NArg() > 0 || *lib == "" || err != nil || modeErr != nil {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "echoserver:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	cfg := servers.Config{Deflate: *deflate, Transport: t, Fanout: fanout}
	var brokerFailed <-chan error
	var link *natsLink
	if *natsURL != "" {
		if link, err = connectNATS(*natsURL); err != nil {
			fmt.Fprintln(os.Stderr, "echoserver:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		fanout.Broker, brokerFailed = link.broker, link.failed
	}
	err = run(ctx, *lib, *addr, *statsAddr, cfg, brokerFailed, os.Stdout)
	if link != nil {
		link.close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// run serves until ctx is done, or the server fails: on its own, or, for
// a server whose hub has a broker, on word from brokerFailed (nil for
// none).
func run(ctx context.Context, lib, addr, statsAddr string, cfg servers.Config, brokerFailed <-chan error, out io.Writer) error {
	if _, err := proc.RaiseFileLimit(); err != nil {
		return fmt.Errorf("raising the open-file limit: %w", err)
	}
	sln, err := net.Listen("tcp", statsAddr)
	if err != nil {
		return err
	}
	srv, err := servers.Start(lib, addr, cfg)
	if err != nil {
		sln.Close()
		return err
	}
	stats := &http.Server{Handler: servers.StatsHandler(lib, cfg.Fanout), ReadHeaderTimeout: 10 * time.Second}
	statsFailed := make(chan error, 1)
	go func() {
		if err := stats.Serve(sln); !errors.Is(err, http.ErrServerClosed) {
			statsFailed <- fmt.Errorf("stats: %w", err)
		}
	}()
	fmt.Fprintf(out, "stats on http://%s/stats\n", sln.Addr())
	fmt.Fprintf(out, "listening on %s\n", srv.URL)

	select {
	case <-ctx.Done():
	case <-srv.Done(): // Close returns its error
	case err = <-statsFailed:
	case err = <-brokerFailed:
	}
	return errors.Join(err, srv.Close(), stats.Close())
}

// parseMode returns the fan-out settings of mode, nil for echo.
func parseMode(mode string) (*servers.Fanout, error) {
	switch mode {
	case "echo":
		return nil, nil
	case "fanout":
		return &servers.Fanout{}, nil
	case "fanout-direct":
		return &servers.Fanout{Direct: true}, nil
	}
	return nil, fmt.Errorf("unknown mode %q: echo, fanout or fanout-direct", mode)
}
