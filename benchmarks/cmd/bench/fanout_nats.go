package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/proc"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// The rows of the tables of the fan-outs across processes: wsconn only,
// the other libraries having no broker.
const (
	// spanNATS is the fan-out of the workload: its servers, each with a
	// hub whose broker is hubnats, connected to one nats-server.
	spanNATS = "wsconn-nats"
	// spanOne is its baseline: the same subscribers and messages on one
	// server, whose hub has no broker.
	spanOne = "wsconn-one"
)

// spanNames are the rows of the tables of the fan-outs across processes.
var spanNames = []string{spanNATS, spanOne}

// spanSample is what one fan-out across processes (or its baseline on
// one) measured.
type spanSample struct {
	servers     int
	subscribers int
	msgsPerSec  float64 // deliveries per second, from the first write to the last delivery
	p50, p99    float64 // latency of a delivery, µs
	cpuPerMsg   float64 // CPU time of the fan-out servers, summed, per delivery, µs
	natsPerMsg  float64 // CPU time of nats-server per delivery, µs
	natsCPU     float64 // CPU time of nats-server over the deliveries, ms
	peakRSS     int64   // the fan-out servers' VmHWM, summed, bytes
	natsRSS     int64   // nats-server's VmHWM, bytes
	loadCPU     float64 // the load generator's CPU use, percent
}

// fanoutNATS runs the fan-out across processes w as name: spanNATS (a
// nats-server and w.servers of wsconn's fan-out servers with -nats, on
// the server's CPUs) or spanOne (one fan-out server).
func (r *runner) fanoutNATS(w workload, name string) (spanSample, error) {
	pin := r.pinFor(w)
	var nats *natsProc
	var srvs []*serverProc
	// Stops the servers, then NATS, whose leaving would make them fail.
	stopAll := func() error {
		var errs []error
		for _, s := range srvs {
			errs = append(errs, s.stop())
		}
		if nats != nil {
			errs = append(errs, nats.stop())
		}
		return errors.Join(errs...)
	}
	n, extra := 1, []string(nil)
	if name == spanNATS {
		var err error
		if nats, err = startNATS(r.natsBin, pin.server); err != nil {
			return spanSample{}, err
		}
		n, extra = w.servers, []string{"-nats", nats.url}
	}
	for range n {
		s, err := startServer(r.serverBin, subject, "fanout", transport.TCP, w.deflate, pin.server, extra...)
		if err != nil {
			return spanSample{}, errors.Join(err, stopAll())
		}
		srvs = append(srvs, s)
	}

	args := []string{
		"-url", srvs[0].url,
		"-fanout", strconv.Itoa(w.fanout),
		"-messages", strconv.Itoa(w.messages),
		"-server-pid", strconv.Itoa(srvs[0].pid()),
		"-latency",
		"-timeout", fanoutTimeout.String(),
	}
	if len(srvs) > 1 {
		var urls, pids []string
		for _, s := range srvs[1:] {
			urls, pids = append(urls, s.url), append(pids, strconv.Itoa(s.pid()))
		}
		args = append(args, "-peers", strings.Join(urls, ","), "-peer-pids", strings.Join(pids, ","))
	}
	if nats != nil {
		args = append(args, "-broker-pid", strconv.Itoa(nats.pid()))
	}
	if w.interval > 0 {
		args = append(args, "-interval", w.interval.String())
	}
	args = append(args, w.payloadFlags()...)
	ctx, cancel := context.WithTimeout(context.Background(), fanoutTimeout+time.Minute)
	defer cancel()
	cmd := command(ctx, pin.load, r.loadBin, args...)
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	out, loadErr := cmd.Output()
	s, measureErr := measureSpan(srvs, nats, w.messages)
	stopErr := stopAll()

	res, err := fanoutResult(out, loadErr, stderr)
	switch {
	case err != nil:
		return spanSample{}, err
	case measureErr != nil:
		return spanSample{}, measureErr
	case stopErr != nil:
		return spanSample{}, stopErr
	case res.Servers != len(srvs):
		return spanSample{}, fmt.Errorf("load: the subscribers went to %d servers, not %d", res.Servers, len(srvs))
	}
	s.servers, s.subscribers = res.Servers, res.Subscribers
	s.msgsPerSec, s.p50, s.p99 = res.MsgsPerSec, res.P50us, res.P99us
	s.cpuPerMsg, s.loadCPU = res.ServerCPUPerMsgUs, res.LoadCPUPercent
	s.natsPerMsg, s.natsCPU = res.BrokerCPUPerMsgUs, res.BrokerCPUus/1000
	return s, nil
}

// measureSpan reads the peak memory of the fan-out servers and of NATS,
// if any, once the load is done, and checks that the first server, the
// publisher's, published the messages and the others none: each
// delivers what NATS brings it.
func measureSpan(srvs []*serverProc, nats *natsProc, messages int) (spanSample, error) {
	var s spanSample
	for i, srv := range srvs {
		stats, err := srv.stats(false)
		if err != nil {
			return s, err
		}
		if stats.Fanout == nil {
			return s, fmt.Errorf("server %d: no fan-out figures in /stats", i)
		}
		want := uint64(0)
		if i == 0 {
			want = uint64(messages)
		}
		if stats.Fanout.Published != want {
			return s, fmt.Errorf("server %d published %d messages, not %d: the first has the publisher", i, stats.Fanout.Published, want)
		}
		status, err := proc.ReadStatus(srv.pid())
		if err != nil {
			return s, err
		}
		s.peakRSS += status.PeakRSS
	}
	if nats != nil {
		status, err := proc.ReadStatus(nats.pid())
		if err != nil {
			return s, err
		}
		s.natsRSS = status.PeakRSS
	}
	return s, nil
}

func describeSpan(s spanSample) string {
	d := fmt.Sprintf("%d subscribers on %d server(s), %.0f msgs/s, latency p50 %.0f µs, p99 %.0f µs, servers %.2f µs/msg",
		s.subscribers, s.servers, s.msgsPerSec, s.p50, s.p99, s.cpuPerMsg)
	if s.natsRSS > 0 {
		d += fmt.Sprintf(", NATS %.0f ms in all", s.natsCPU)
	}
	return d + fmt.Sprintf(", load CPU %.0f%%", s.loadCPU)
}
