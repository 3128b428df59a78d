// Command echoserver runs the echo server of one library, for the
// benchmark.
//
//	echoserver -lib wsconn|gorilla|coder|gws|gobwas|rawtcp [-addr 127.0.0.1:0] [-stats 127.0.0.1:0] [-deflate] [-cpuprofile FILE]
//
// It prints "stats on http://ADDR/stats", then "listening on ws://ADDR/"
// (tcp:// for rawtcp, a plain TCP echo) once it accepts connections. GET
// /stats on the stats address answers JSON with the number of goroutines,
// OS threads and memory figures. It exits 0 on SIGINT or SIGTERM.
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
)

func main() {
	libs := strings.Join(append(slices.Clone(servers.Libraries), servers.RawTCP), ", ")
	lib := flag.String("lib", "", "the `library` to serve with: "+libs)
	addr := flag.String("addr", "127.0.0.1:0", "`address` to serve WebSocket on; port 0 picks a free port")
	statsAddr := flag.String("stats", "127.0.0.1:0", "`address` to serve GET /stats on")
	deflate := flag.Bool("deflate", false, "accept permessage-deflate")
	cpuProfile := flag.String("cpuprofile", "", "write the server's CPU profile to `file` when it exits")
	flag.Parse()
	if flag.NArg() > 0 || *lib == "" {
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
	if err := run(ctx, *lib, *addr, *statsAddr, *deflate, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// run serves until ctx is done.
func run(ctx context.Context, lib, addr, statsAddr string, deflate bool, out io.Writer) error {
	if _, err := proc.RaiseFileLimit(); err != nil {
		return fmt.Errorf("raising the open-file limit: %w", err)
	}
	srv, err := servers.New(lib, servers.Config{Deflate: deflate})
	if err != nil {
		return err
	}
	sln, err := net.Listen("tcp", statsAddr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		sln.Close()
		return err
	}
	stats := &http.Server{Handler: servers.StatsHandler(lib), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 2)
	go func() {
		if err := stats.Serve(sln); !errors.Is(err, http.ErrServerClosed) {
			served <- fmt.Errorf("stats: %w", err)
		}
	}()
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(out, "stats on http://%s/stats\n", sln.Addr())
	fmt.Fprintf(out, "listening on %s://%s/\n", servers.Scheme(lib), ln.Addr())

	select {
	case <-ctx.Done():
	case err = <-served:
	}
	return errors.Join(err, srv.Close(), stats.Close())
}
