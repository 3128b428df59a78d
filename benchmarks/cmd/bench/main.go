// Command bench measures wsconn side by side with other Go WebSocket
// libraries, over loopback TCP.
//
//	go run ./cmd/bench [-rounds 3] [-warmup 0.5s] [-duration 3s] [-only NAME,NAME] [-quick] [-md]
//	go run ./cmd/bench -transports tcp,tls,h2,h3 [the same flags]
//
// It builds the echo server (cmd/echoserver) and the load generator
// (cmd/load) once, then runs every workload against every library's
// server, in rounds: each round runs every library once, starting with a
// different one each time. On a machine with two CPUs or more and
// taskset, the server runs on CPU 0 and the load on CPU 1. It prints a
// table per workload with the medians over the rounds, and exits 1 if a
// run failed (an echo that differed from what was sent fails a run).
//
// The fan-out workloads run each library's fan-out server (echoserver
// -mode fanout), and wsconn's without package hub: 100 messages published
// to 10,000 subscribers, every delivery checked, with the deliveries per
// second, the server CPU per delivery and, with permessage-deflate, the
// compressions per message.
//
// The fan-out across processes (fanout-nats-3x1k-1KiB) runs wsconn alone:
// a nats-server, built from the module cache at the version this module's
// go.mod pins (a tool), and three fan-out servers whose hubs share the
// topic through it (echoserver -nats, module hubnats), with the
// subscribers spread over the three and the publisher on one; the load
// generator stamps each message with its write time and reports the
// deliveries per second, the p50 and p99 latency of a delivery, and the
// CPU per delivery of the servers (summed) and of NATS. A baseline row
// runs the same load on one server without a broker.
//
// With -transports it measures wsconn alone over the transports listed
// instead (HTTP/1.1 over TCP or TLS, HTTP/2 over TLS, HTTP/3), on the
// same throughput workloads, and prints each transport's ratio to
// HTTP/1.1 over TLS and over TCP: the cost of carrying WebSocket on the
// stream of an HTTP/2 or HTTP/3 request. The other libraries speak
// WebSocket over HTTP/1.1 only.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// Settings of -quick.
const (
	quickWarmup   = 100 * time.Millisecond
	quickDuration = 300 * time.Millisecond
	quickIdle     = 200  // idle connections
	quickFanout   = 1000 // subscribers of a fan-out
)

// The packages of the two programs the benchmark runs.
const (
	serverPkg = "github.com/wsconn/wsconn/benchmarks/cmd/echoserver"
	loadPkg   = "github.com/wsconn/wsconn/benchmarks/cmd/load"
)

// options are the command's flags.
type options struct {
	rounds           int
	warmup, duration time.Duration
	only             string
	transports       string // comma-separated; empty: compare the libraries
	quick            bool
	md               bool
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 3, "run every library this `number` of times per workload; the tables show medians")
	flag.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "`time` before each measured window")
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "`length` of each measured window")
	flag.StringVar(&o.only, "only", "", "run only these comma-separated `workloads`")
	flag.StringVar(&o.transports, "transports", "", "measure wsconn alone over these comma-separated `transports` ("+
		transport.List(transport.All)+", or all) instead of the libraries over TCP; the idle workload is skipped")
	flag.BoolVar(&o.quick, "quick", false, "smoke run: 0.3 s windows, 1 round, 200 idle connections, fan-outs to 1,000 subscribers")
	flag.BoolVar(&o.md, "md", false, "print the tables as Markdown")
	flag.Parse()
	if flag.NArg() > 0 || o.rounds < 1 || o.duration <= 0 || o.warmup < 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run runs the benchmark, printing the tables to out and progress to log.
func run(o options, out, log io.Writer) error {
	wls, err := selectWorkloads(o.only)
	if err != nil {
		return err
	}
	var ts []transport.Transport
	if o.transports != "" {
		if ts, err = transport.ParseList(o.transports); err != nil {
			return err
		}
	}
	r := &runner{warmup: o.warmup, duration: o.duration, pin: choosePinning()}
	if o.quick {
		o.rounds, r.warmup, r.duration = 1, quickWarmup, quickDuration
	}
	dir, err := os.MkdirTemp("", "wsconn-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(log, "building the echo server and the load generator")
	if r.serverBin, r.loadBin, err = build(dir); err != nil {
		return err
	}
	if ts == nil && slices.ContainsFunc(wls, func(w workload) bool { return w.servers > 0 }) {
		fmt.Fprintf(log, "building nats-server (%s, the version go.mod pins)\n", natsPkg)
		if r.natsBin, err = buildNATS(dir); err != nil {
			return err
		}
	}

	fmt.Fprintln(out, environment(o, r, ts))
	failed := 0
	for _, w := range wls {
		var t *table
		if w.idle > 0 && o.quick {
			w.idle = quickIdle
		}
		if w.fanout > 0 && o.quick {
			w.fanout = quickFanout
		}
		if ts != nil {
			if w.idle > 0 || w.fanout > 0 {
				fmt.Fprintf(log, "%s: skipped, the transports are compared on the throughput workloads only\n", w.name)
				continue
			}
			names := make([]string, len(ts))
			for i, tr := range ts {
				names[i] = string(tr)
			}
			measure := func(w workload, name string) (sample, error) {
				return r.throughputOver(w, subject, transport.Transport(name))
			}
			outs := rounds(o.rounds, names, w, log, measure, describeSample)
			t, failed = transportTable(w, outs), failed+countFailures(outs)
		} else if w.servers > 0 {
			outs := rounds(o.rounds, spanNames, w, log, r.fanoutNATS, describeSpan)
			t, failed = spanTable(w, outs), failed+countFailures(outs)
		} else if w.fanout > 0 {
			outs := rounds(o.rounds, fanoutNames, w, log, r.fanout, describeFanout)
			t, failed = fanoutTable(w, outs), failed+countFailures(outs)
		} else if w.idle > 0 {
			outs := rounds(o.rounds, append(servers.Libraries, servers.RawTCP), w, log, r.idle, describeIdle)
			t, failed = idleTable(w, outs), failed+countFailures(outs)
		} else {
			outs := rounds(o.rounds, servers.Libraries, w, log, r.throughput, describeSample)
			t, failed = throughputTable(w, outs), failed+countFailures(outs)
		}
		t.print(out, o.md)
	}
	if failed > 0 {
		return fmt.Errorf("%d runs failed (see the notes under the tables)", failed)
	}
	return nil
}

// rounds runs workload w n times against each of names (libraries, or
// in the transport tables the transports wsconn runs over), each round
// measuring each name once and starting one name further than the round
// before, so that none always runs first or after the same one.
func rounds[S any](n int, names []string, w workload, log io.Writer, measure func(workload, string) (S, error), describe func(S) string) []*outcome[S] {
	outs := make([]*outcome[S], len(names))
	for i, name := range names {
		outs[i] = &outcome[S]{name: name}
	}
	for round := range n {
		for k := range names {
			o := outs[(round+k)%len(names)]
			s, err := measure(w, o.name)
			if err != nil {
				o.errs = append(o.errs, err)
				fmt.Fprintf(log, "%s round %d/%d: %s FAILED: %v\n", w.name, round+1, n, o.name, err)
				continue
			}
			o.samples = append(o.samples, s)
			fmt.Fprintf(log, "%s round %d/%d: %s %s\n", w.name, round+1, n, o.name, describe(s))
		}
	}
	return outs
}

func describeSample(s sample) string {
	return fmt.Sprintf("%.0f msgs/s, p50 %.1f µs, p99 %.1f µs, server %.2f µs/msg, load CPU %.0f%%",
		s.msgsPerSec, s.p50, s.p99, s.cpuPerMsg, s.loadCPU)
}

func describeIdle(s idleSample) string {
	return fmt.Sprintf("%d connections, RSS %.2f KiB/conn, live heap %.2f KiB/conn, %.2f goroutines/conn, %d threads",
		s.conns, s.rssPerConn/1024, s.heapPerConn/1024, s.goroutinesPerConn, s.threads)
}

// countFailures returns the number of failed runs.
func countFailures[S any](outs []*outcome[S]) int {
	n := 0
	for _, o := range outs {
		n += len(o.errs)
	}
	return n
}

// build builds the echo server and the load generator into dir.
func build(dir string) (serverBin, loadBin string, err error) {
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), serverPkg, loadPkg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("go build (run bench from inside the benchmarks module): %w", err)
	}
	return filepath.Join(dir, "echoserver"), filepath.Join(dir, "load"), nil
}

// choosePinning puts the server on CPU 0 and the load on CPU 1 when the
// machine has two CPUs or more and taskset is installed.
func choosePinning() pinning {
	if runtime.NumCPU() < 2 {
		return pinning{}
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return pinning{}
	}
	return pinning{server: "0", load: "1"}
}

// environment describes the machine and the method, for the top of the
// output; ts are the transports compared, if any.
func environment(o options, r *runner, ts []transport.Transport) string {
	pin := "server on CPU 0, load on CPU 1 (taskset); the onecore workload puts both on CPU 0"
	if r.pin.server == "" {
		pin = "unpinned (taskset missing or fewer than 2 CPUs), the onecore workload too"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wsconn benchmarks: %s %s/%s, %s, %d CPUs\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, cpuModel(), runtime.NumCPU())
	if ts != nil {
		fmt.Fprintf(&b, "%s; %d round(s) of %v warm-up + %v measured per transport and workload; medians over the rounds.\n",
			pin, o.rounds, r.warmup, r.duration)
		fmt.Fprintf(&b, "wsconn alone over %s: the other libraries speak WebSocket over HTTP/1.1 only. %s\n",
			transport.List(ts), sharingNote)
		b.WriteString("vs tls, vs tcp: msgs/s over wsconn's over HTTP/1.1 in TLS, over plain TCP; CPU vs tls: server CPU per message over that in TLS. Every echo is checked byte for byte.")
	} else {
		fmt.Fprintf(&b, "%s; %d round(s) of %v warm-up + %v measured per library and workload; medians over the rounds.\n",
			pin, o.rounds, r.warmup, r.duration)
		b.WriteString("vs best peer: ratio to the best of gorilla, coder, gws and gobwas. Every echo is checked byte for byte.")
	}
	if o.md {
		return strings.ReplaceAll(b.String(), "\n", "\n\n")
	}
	return b.String()
}

// cpuModel returns the model name of the first CPU in /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}
