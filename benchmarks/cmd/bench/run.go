package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/load"
	"github.com/wsconn/wsconn/benchmarks/internal/proc"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// Bounds on the runs beyond their own length.
const (
	loadSlack    = 2 * time.Minute // for a throughput run past its window
	idleTimeout  = 2 * time.Minute // for the idle connections to open
	settlePoll   = 100 * time.Millisecond
	settlePolls  = 5                // stable polls in a row that settle RSS
	settleMax    = 10 * time.Second // the longest wait for RSS to settle
	settleChange = 0.005            // the relative change of RSS that counts as stable
)

// sample is what one throughput run measured.
type sample struct {
	msgsPerSec float64
	p50, p99   float64 // round trip, µs
	cpuPerMsg  float64 // server CPU time per message, µs
	peakRSS    int64   // server's VmHWM, bytes
	loadCPU    float64 // the load generator's CPU use, percent
	compressed float64 // the fraction of echoes that came compressed
}

// idleSample is what one idle run measured.
type idleSample struct {
	conns, requested  int
	rssPerConn        float64 // bytes
	heapPerConn       float64 // bytes of live heap objects
	goroutinesPerConn float64
	threads           int
	peakRSS           int64
	settled           bool // RSS stopped changing before settleMax
}

// runner runs workloads against the servers.
type runner struct {
	serverBin, loadBin string
	natsBin            string // built only for the fan-outs across processes
	pin                pinning
	warmup, duration   time.Duration
}

// pinFor returns the CPUs of the server and the load for w.
func (r *runner) pinFor(w workload) pinning {
	if w.oneCore {
		return pinning{server: r.pin.server, load: r.pin.server}
	}
	return r.pin
}

// throughput runs throughput workload w against lib's server over
// HTTP/1.1 on TCP.
func (r *runner) throughput(w workload, lib string) (sample, error) {
	return r.throughputOver(w, lib, transport.TCP)
}

// throughputOver runs throughput workload w against lib's server over
// transport t.
func (r *runner) throughputOver(w workload, lib string, t transport.Transport) (sample, error) {
	pin := r.pinFor(w)
	srv, err := startServer(r.serverBin, lib, "echo", t, w.deflate, pin.server)
	if err != nil {
		return sample{}, err
	}
	args := []string{
		"-url", srv.url,
		"-transport", string(t.OrTCP()),
		"-conns", strconv.Itoa(w.conns),
		"-inflight", strconv.Itoa(w.inflight),
		"-warmup", r.warmup.String(),
		"-duration", r.duration.String(),
		"-server-pid", strconv.Itoa(srv.pid()),
	}
	args = append(args, w.payloadFlags()...)
	ctx, cancel := context.WithTimeout(context.Background(), r.warmup+r.duration+loadSlack)
	defer cancel()
	cmd := command(ctx, pin.load, r.loadBin, args...)
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	out, loadErr := cmd.Output()
	status, statusErr := proc.ReadStatus(srv.pid())
	stopErr := srv.stop()

	var res load.Result
	if loadErr != nil {
		return sample{}, fmt.Errorf("load: %v: %s", loadErr, stderr)
	}
	if err := lastJSONLine(out, &res); err != nil {
		return sample{}, fmt.Errorf("load: %w", err)
	}
	switch {
	case statusErr != nil:
		return sample{}, statusErr
	case stopErr != nil:
		return sample{}, stopErr
	case res.Errors > 0:
		return sample{}, fmt.Errorf("load: %d errors: %s", res.Errors, res.FirstError)
	case res.Messages == 0:
		return sample{}, fmt.Errorf("load: no message in the window")
	}
	return sample{
		msgsPerSec: res.MsgsPerSec,
		p50:        res.P50us,
		p99:        res.P99us,
		cpuPerMsg:  res.ServerCPUPerMsgUs,
		peakRSS:    status.PeakRSS,
		loadCPU:    res.LoadCPUPercent,
		compressed: float64(res.Compressed) / float64(res.Verified),
	}, nil
}

// lastJSONLine decodes the last non-empty line of out into v.
func lastJSONLine(out []byte, v any) error {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	last := lines[len(lines)-1]
	if len(last) == 0 {
		return fmt.Errorf("no result line")
	}
	if err := json.Unmarshal(last, v); err != nil {
		return fmt.Errorf("result line %q: %w", last, err)
	}
	return nil
}

// idle runs the idle workload w against lib's server.
func (r *runner) idle(w workload, lib string) (idleSample, error) {
	pin := r.pinFor(w)
	srv, err := startServer(r.serverBin, lib, "echo", transport.TCP, false, pin.server)
	if err != nil {
		return idleSample{}, err
	}
	s, err := r.measureIdle(srv, w.idle, pin.load)
	if stopErr := srv.stop(); err == nil {
		err = stopErr
	}
	return s, err
}

// measureIdle opens n idle connections to srv and measures what they cost
// it.
func (r *runner) measureIdle(srv *serverProc, n int, cpus string) (idleSample, error) {
	before, err := proc.ReadStatus(srv.pid())
	if err != nil {
		return idleSample{}, err
	}
	stats0, err := srv.stats(true)
	if err != nil {
		return idleSample{}, err
	}
	ld, err := startChild(cpus, r.loadBin, "-url", srv.url, "-idle", strconv.Itoa(n), "-timeout", idleTimeout.String())
	if err != nil {
		return idleSample{}, err
	}
	s, err := measureHeld(srv, ld, before.RSS, stats0.Goroutines, stats0.HeapAlloc)
	if stopErr := ld.stop(); err == nil {
		err = stopErr
	}
	return s, err
}

// measureHeld measures srv once the load ld holds its idle connections,
// against its resident memory, goroutines and live heap before them.
func measureHeld(srv *serverProc, ld *child, rss0 int64, goroutines0 int, heap0 uint64) (idleSample, error) {
	line, err := ld.nextLine(idleTimeout)
	if err != nil {
		return idleSample{}, err
	}
	var rep load.IdleReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		return idleSample{}, fmt.Errorf("load -idle: line %q: %w", line, err)
	}
	if rep.Idle == 0 {
		return idleSample{}, fmt.Errorf("load -idle opened no connection: %s", ld.stderr)
	}
	rss, settled, err := settleRSS(srv.pid())
	if err != nil {
		return idleSample{}, err
	}
	status, err := proc.ReadStatus(srv.pid())
	if err != nil {
		return idleSample{}, err
	}
	stats, err := srv.stats(true) // after reading RSS, which the collection may lower
	if err != nil {
		return idleSample{}, err
	}
	n := float64(rep.Idle)
	return idleSample{
		conns:             rep.Idle,
		requested:         rep.Requested,
		rssPerConn:        float64(rss-rss0) / n,
		heapPerConn:       (float64(stats.HeapAlloc) - float64(heap0)) / n,
		goroutinesPerConn: float64(stats.Goroutines-goroutines0) / n,
		threads:           status.Threads,
		peakRSS:           status.PeakRSS,
		settled:           settled,
	}, nil
}

// settleRSS polls the resident memory of process pid until it has changed
// by less than settleChange over settlePolls polls in a row, for at most
// settleMax, and returns the last reading and whether it settled.
func settleRSS(pid int) (rss int64, settled bool, err error) {
	deadline := time.Now().Add(settleMax)
	var history []int64
	for {
		st, err := proc.ReadStatus(pid)
		if err != nil {
			return 0, false, err
		}
		history = append(history, st.RSS)
		if len(history) > settlePolls {
			lo, hi := st.RSS, st.RSS
			for _, v := range history[len(history)-settlePolls-1:] {
				lo, hi = min(lo, v), max(hi, v)
			}
			if float64(hi-lo) <= settleChange*float64(hi) {
				return st.RSS, true, nil
			}
		}
		if time.Now().After(deadline) {
			return st.RSS, false, nil
		}
		time.Sleep(settlePoll)
	}
}
