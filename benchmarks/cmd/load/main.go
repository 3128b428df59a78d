// Command load is the benchmark's load generator. It is none of the
// libraries measured: it speaks WebSocket with a small client of its own
// (package wsclient).
//
//	load -url ws://ADDR/ [-conns N] [-inflight K] [-size BYTES | -json] [-deflate]
//	     [-warmup D] [-duration D | -count N] [-server-pid PID]
//	load -url wss://ADDR/ -transport tls|h2|h3 ...
//	load -url ws://ADDR/ -idle N
//	load -url ws://ADDR/ -fanout N [-messages M] [-size BYTES | -json] [-deflate] [-server-pid PID]
//	     [-peers ws://ADDR2/,ws://ADDR3/ [-peer-pids PID2,PID3] [-broker-pid PID]] [-latency [-interval D]]
//
// It keeps K messages in flight on each of N connections, checks every
// byte of every echo against what was sent, and prints one JSON line: the
// messages per second over the measured window, the p50 and p99 round
// trip (from writing a message to reading its echo), the count, the
// errors and, with -server-pid, the server's CPU time per message. It
// exits 1 if an echo differed or a connection failed.
//
// -transport says how the WebSockets go: over HTTP/1.1 on plain TCP (tcp,
// for a ws:// URL) or in TLS (tls, the default for a wss:// URL), or as
// streams of extended CONNECT requests on one HTTP/2 connection in TLS
// (h2) or on one HTTP/3 connection (h3), as a browser's WebSockets to one
// server share its connection. It does not verify the server's
// certificate.
//
// With -idle it opens N connections (plain TCP ones for a tcp:// URL),
// prints one JSON line saying how many are open, and holds them until
// SIGINT or SIGTERM. The open-file limit may lower N; the line says so.
//
// With -fanout it drives a fan-out server (echoserver -mode fanout): it
// opens N subscribers, then the publisher, waits until the server says
// they have all joined, writes M messages on the publisher at once, and
// checks that every subscriber receives every message, whole and in
// order. It prints one JSON line: the messages delivered per second from
// that write to the last delivery and, with -server-pid, the server's CPU
// time per delivered message. The open-file limit may lower N, as with
// -idle; the line says how many subscribers there were.
//
// -peers names more fan-out servers that share the topic through a broker
// (echoserver -nats): the subscribers are spread over all the servers,
// the publisher stays on -url's, and the load waits until every server
// says that its share has joined. -peer-pids adds their CPU time to
// -server-pid's, and -broker-pid reports the broker's apart. -latency
// stamps each message with the time of its write, writes each on its own
// (back to back, or one every -interval), and reports the p50 and p99
// latency of a delivery, from that write to the subscriber's reading.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/load"
	"github.com/wsconn/wsconn/benchmarks/internal/proc"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// spareFiles is how many descriptors -idle leaves free of connections.
const spareFiles = 64

func main() {
	var cfg load.Config
	flag.StringVar(&cfg.URL, "url", "", "`URL` of the echo server (ws://, wss://, or tcp:// with -idle)")
	tname := flag.String("transport", "", "carry the WebSockets over `transport`: "+transport.List(transport.All)+"; default tcp for a ws:// URL, tls for a wss:// one")
	flag.IntVar(&cfg.Conns, "conns", 1, "`number` of connections")
	flag.IntVar(&cfg.Inflight, "inflight", 1, "`number` of messages in flight on each connection")
	flag.IntVar(&cfg.Size, "size", 16, "message size in `bytes` (binary messages)")
	flag.BoolVar(&cfg.JSON, "json", false, fmt.Sprintf("send a %d-byte JSON document as a text message instead", load.JSONSize))
	flag.BoolVar(&cfg.Deflate, "deflate", false, "negotiate permessage-deflate and compress every message")
	flag.DurationVar(&cfg.Warmup, "warmup", 500*time.Millisecond, "`time` before the measured window")
	flag.DurationVar(&cfg.Duration, "duration", 3*time.Second, "`length` of the measured window")
	flag.IntVar(&cfg.Count, "count", 0, "send this `number` of messages per connection and measure them all, instead of a window")
	flag.IntVar(&cfg.ServerPID, "server-pid", 0, "report the CPU time of this server `process` over the window")
	idle := flag.Int("idle", 0, "open this `number` of idle connections and hold them until SIGINT or SIGTERM")
	subscribers := flag.Int("fanout", 0, "drive a fan-out server with this `number` of subscribers")
	messages := flag.Int("messages", 100, "with -fanout, publish this `number` of messages")
	peers := flag.String("peers", "", "with -fanout, spread the subscribers over these comma-separated `URLs` too, servers sharing -url's topic through a broker")
	peerPIDs := flag.String("peer-pids", "", "with -peers, add the CPU time of these comma-separated `processes` (the peers') to -server-pid's")
	brokerPID := flag.Int("broker-pid", 0, "with -fanout, report the CPU time of the broker `process` too")
	latency := flag.Bool("latency", false, "with -fanout, stamp each message with its publish time, write each on its own and report the latency of each delivery")
	interval := flag.Duration("interval", 0, "with -latency, publish one message every `interval` instead of back to back")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this `time` (with -idle: on opening the connections)")
	cpuProfile := flag.String("cpuprofile", "", "write the load generator's CPU profile to `file`")
	flag.Parse()
	var err error
	if cfg.Transport, err = chooseTransport(*tname, cfg.URL); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
	}
	if flag.NArg() > 0 || cfg.URL == "" || err != nil {
		flag.Usage()
		os.Exit(2)
	}
	if *subscribers > 0 {
		fcfg := load.FanoutConfig{URL: cfg.URL, Subscribers: *subscribers, Messages: *messages,
			Size: cfg.Size, JSON: cfg.JSON, Deflate: cfg.Deflate, ServerPID: cfg.ServerPID,
			Peers: splitList(*peers), BrokerPID: *brokerPID, Latency: *latency, Interval: *interval}
		if fcfg.PeerPIDs, err = parsePIDs(*peerPIDs); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			flag.Usage()
			os.Exit(2)
		}
		if err := runFanout(fcfg, cfg.Transport, *timeout); err != nil {
			fmt.Fprintln(os.Stderr, "load: FAILED:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(cfg, *idle, *timeout, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "load: FAILED:", err)
		os.Exit(1)
	}
}

// chooseTransport returns the transport named, or if none is, the one of
// the URL's scheme.
func chooseTransport(name, url string) (transport.Transport, error) {
	switch {
	case name != "":
		return transport.Parse(name)
	case strings.HasPrefix(url, "wss://"):
		return transport.TLS, nil
	}
	return transport.TCP, nil
}

// run runs the load of cfg, or holds idle connections if idle is positive.
func run(cfg load.Config, idle int, timeout time.Duration, cpuProfile string) error {
	if cpuProfile != "" {
		stopProfile, err := startProfile(cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if idle > 0 {
		if t := cfg.Transport; t == transport.H2 || t == transport.H3 {
			return fmt.Errorf("-idle opens connections over HTTP/1.1 only, not over %s", t)
		}
		return holdIdle(ctx, cfg.URL, idle, timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := load.Run(ctx, cfg)
	if perr := printJSON(res); err == nil {
		err = perr
	}
	return err
}

// startProfile starts profiling the CPU into file and returns the function
// that stops it.
func startProfile(file string) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
		}
	}, nil
}

// holdIdle opens n idle connections, as many as the open-file limit
// allows, reports them and holds them until ctx is done.
func holdIdle(ctx context.Context, url string, n int, timeout time.Duration) error {
	limit, err := proc.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the open-file limit: %w", err)
	}
	r := load.IdleReport{Requested: n, NoFileLimit: limit, Idle: n}
	if room := int(min(limit, 1<<30)) - spareFiles; r.Idle > room {
		r.Idle = max(room, 0)
		fmt.Fprintf(os.Stderr, "load: the open-file limit %d allows only %d of the %d connections asked for\n", limit, r.Idle, n)
	}
	dctx, cancel := context.WithTimeout(ctx, timeout) // bounds the dialling only
	defer cancel()
	start := time.Now()
	conns, err := load.Idle(dctx, url, r.Idle)
	if err != nil {
		return err
	}
	defer load.CloseAll(conns)
	r.DialSeconds = time.Since(start).Seconds()
	if err := printJSON(r); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// splitList returns the items of a comma-separated list, none for "".
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// parsePIDs returns the process IDs of a comma-separated list.
func parsePIDs(s string) ([]int, error) {
	var pids []int
	for _, item := range splitList(s) {
		pid, err := strconv.Atoi(item)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%q is no process ID", item)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// printJSON prints v as one line of JSON on stdout.
func printJSON(v any) error { return json.NewEncoder(os.Stdout).Encode(v) }

// runFanout runs the fan-out of cfg, with as many subscribers as the
// open-file limit allows, and prints its result.
func runFanout(cfg load.FanoutConfig, t transport.Transport, timeout time.Duration) error {
	if t != transport.TCP {
		return fmt.Errorf("-fanout runs over plain TCP only, not over %s", t)
	}
	limit, err := proc.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the open-file limit: %w", err)
	}
	if room := int(min(limit, 1<<30)) - spareFiles; cfg.Subscribers > room {
		fmt.Fprintf(os.Stderr, "load: the open-file limit %d allows only %d of the %d subscribers asked for\n", limit, room, cfg.Subscribers)
		cfg.Subscribers = max(room, 1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := load.Fanout(ctx, cfg)
	if perr := printJSON(res); err == nil {
		err = perr
	}
	return err
}
