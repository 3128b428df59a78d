package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/load"
	"github.com/wsconn/wsconn/benchmarks/internal/proc"
	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// direct names the row of wsconn's fan-out server without package hub
// (echoserver -mode fanout-direct): SendPrepared to each subscriber,
// which shows what the hub itself costs. It is no peer.
const direct = "wsconn-direct"

// fanoutNames are the rows of the fan-out tables: the libraries, and
// wsconn without its hub after wsconn.
var fanoutNames = append([]string{subject, direct}, servers.Libraries[1:]...)

// fanoutTimeout bounds a fan-out run: opening 10,000 connections, the
// server's word that they joined, the deliveries and the closing
// handshakes.
const fanoutTimeout = 10 * time.Minute

// fanoutSample is what one fan-out run measured.
type fanoutSample struct {
	subscribers int
	msgsPerSec  float64 // deliveries per second, from the publish to the last delivery
	cpuPerMsg   float64 // server CPU time per delivery, µs
	p50DoneMs   float64 // when the median subscriber had every message
	peakRSS     int64   // server's VmHWM, bytes
	loadCPU     float64 // the load generator's CPU use, percent
	compressed  float64 // the fraction of deliveries that came compressed
	// compressions per published message, when the server counts them
	compressionsPerMsg float64
	counted            bool
}

// fanout runs fan-out workload w against the fan-out server named name:
// a library, or direct.
func (r *runner) fanout(w workload, name string) (fanoutSample, error) {
	lib, mode := name, "fanout"
	if name == direct {
		lib, mode = subject, "fanout-direct"
	}
	pin := r.pinFor(w)
	srv, err := startServer(r.serverBin, lib, mode, transport.TCP, w.deflate, pin.server)
	if err != nil {
		return fanoutSample{}, err
	}
	args := []string{
		"-url", srv.url,
		"-fanout", strconv.Itoa(w.fanout),
		"-messages", strconv.Itoa(w.messages),
		"-server-pid", strconv.Itoa(srv.pid()),
		"-timeout", fanoutTimeout.String(),
	}
	args = append(args, w.payloadFlags()...)
	ctx, cancel := context.WithTimeout(context.Background(), fanoutTimeout+time.Minute)
	defer cancel()
	cmd := command(ctx, pin.load, r.loadBin, args...)
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	out, loadErr := cmd.Output()
	stats, statsErr := srv.stats(false)
	status, statusErr := proc.ReadStatus(srv.pid())
	stopErr := srv.stop()

	res, err := fanoutResult(out, loadErr, stderr)
	switch {
	case err != nil:
		return fanoutSample{}, err
	case statsErr != nil:
		return fanoutSample{}, statsErr
	case statusErr != nil:
		return fanoutSample{}, statusErr
	case stopErr != nil:
		return fanoutSample{}, stopErr
	case stats.Fanout == nil:
		return fanoutSample{}, fmt.Errorf("%s server: no fan-out figures in /stats", name)
	}
	s := fanoutSample{
		subscribers: res.Subscribers,
		msgsPerSec:  res.MsgsPerSec,
		cpuPerMsg:   res.ServerCPUPerMsgUs,
		p50DoneMs:   res.P50DoneMs,
		peakRSS:     status.PeakRSS,
		loadCPU:     res.LoadCPUPercent,
		compressed:  float64(res.Compressed) / float64(res.Delivered),
		counted:     stats.Fanout.Counted,
	}
	if p := stats.Fanout.Published; p > 0 {
		s.compressionsPerMsg = float64(stats.Fanout.Compressions) / float64(p)
	}
	return s, nil
}

func describeFanout(s fanoutSample) string {
	d := fmt.Sprintf("%d subscribers, %.0f msgs/s, server %.2f µs/msg, median subscriber done at %.0f ms, load CPU %.0f%%",
		s.subscribers, s.msgsPerSec, s.cpuPerMsg, s.p50DoneMs, s.loadCPU)
	if s.counted && s.compressionsPerMsg > 0 {
		d += fmt.Sprintf(", %.2f compressions per message", s.compressionsPerMsg)
	}
	return d
}

// fanoutResult returns the result that a fan-out run of the load
// generator printed, checked: the run succeeded and delivered every
// message to every subscriber.
func fanoutResult(out []byte, loadErr error, stderr *tailBuffer) (load.FanoutResult, error) {
	var res load.FanoutResult
	if loadErr != nil {
		return res, fmt.Errorf("load: %v: %s", loadErr, stderr)
	}
	if err := lastJSONLine(out, &res); err != nil {
		return res, fmt.Errorf("load: %w", err)
	}
	switch {
	case res.Errors > 0:
		return res, fmt.Errorf("load: %d errors: %s", res.Errors, res.FirstError)
	case res.Delivered != int64(res.Subscribers)*int64(res.Messages) || res.Delivered == 0:
		return res, fmt.Errorf("load: %d messages delivered to %d subscribers, not %d each", res.Delivered, res.Subscribers, res.Messages)
	}
	return res, nil
}
