package main

import (
	"fmt"
	"slices"
	"strconv"
)

// spanLabel is the label of a row of the table of a fan-out across
// processes.
func spanLabel(name string, w workload) string {
	if name == spanNATS {
		return fmt.Sprintf("wsconn, %d servers + NATS (hubnats)", w.servers)
	}
	return "wsconn, 1 server, no broker (baseline)"
}

// spanLatencyNote says what the latency columns measure.
const spanLatencyNote = "p50 / p99 ms: latency of a delivery, from the load generator's write of the message on the publisher " +
	"(its time is stamped in the message, and checked against what was written) to a subscriber's reading of it, on the clock of " +
	"the one load process, over every delivery of every subscriber."

// spanPaceNotes say what the pace of the messages does to the figures.
const (
	spanBurstNote = "Written back to back, the messages queue behind each other in the servers: the latencies include that wait, " +
		"and the deliveries per second are what the servers and the load generator can do."
	spanPacedNote = "Paced slower than the servers deliver, each message is delivered before the next comes: the latencies are " +
		"those of one message's fan-out, and the deliveries per second are the pace's, not a capacity."
)

// spanTable builds the table of a fan-out across processes; outs are
// named by spanNames.
func spanTable(w workload, outs []*outcome[spanSample]) *table {
	t := &table{
		title: w.name,
		desc:  w.describe() + "; wsconn only: the other libraries have no broker",
		header: []string{"setup", "subscribers", "msgs/s", "vs one server", "p50 ms", "p99 ms", "servers CPU µs/msg",
			"NATS CPU ms", "servers peak RSS MiB", "NATS peak RSS MiB", "load CPU %", "runs"},
	}
	// Medians by row: deliveries per second, CPU per delivery of the
	// servers and NATS together, latencies.
	rate, cpu, p50, p99 := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, o := range outs {
		if len(o.samples) > 0 {
			rate[o.name] = median(o.samples, func(s spanSample) float64 { return s.msgsPerSec })
			cpu[o.name] = median(o.samples, func(s spanSample) float64 { return s.cpuPerMsg + s.natsPerMsg })
			p50[o.name] = median(o.samples, func(s spanSample) float64 { return s.p50 })
			p99[o.name] = median(o.samples, func(s spanSample) float64 { return s.p99 })
		}
	}
	base, hasBase := rate[spanOne]
	for _, o := range outs {
		t.notes = append(t.notes, o.failureNotes()...)
		label := spanLabel(o.name, w)
		if len(o.samples) == 0 {
			t.rows = append(t.rows, []string{label, "FAILED", "-", "-", "-", "-", "-", "-", "-", "-", "-", o.runsCell()})
			continue
		}
		m := func(f func(spanSample) float64) float64 { return median(o.samples, f) }
		subs := slices.MinFunc(o.samples, func(a, b spanSample) int { return a.subscribers - b.subscribers }).subscribers
		ratio, nats, natsRSS := "-", "-", "-"
		if hasBase && base > 0 {
			ratio = fmt.Sprintf("%.2f", rate[o.name]/base)
		}
		if o.name == spanNATS {
			nats = fmt.Sprintf("%.0f", m(func(s spanSample) float64 { return s.natsCPU }))
			natsRSS = fmt.Sprintf("%.1f", m(func(s spanSample) float64 { return float64(s.natsRSS) })/(1<<20))
		}
		t.rows = append(t.rows, []string{
			label,
			strconv.Itoa(subs),
			fmt.Sprintf("%.0f", rate[o.name]),
			ratio,
			fmt.Sprintf("%.1f", p50[o.name]/1000),
			fmt.Sprintf("%.1f", p99[o.name]/1000),
			fmt.Sprintf("%.2f", m(func(s spanSample) float64 { return s.cpuPerMsg })),
			nats,
			fmt.Sprintf("%.1f", m(func(s spanSample) float64 { return float64(s.peakRSS) })/(1<<20)),
			natsRSS,
			fmt.Sprintf("%.0f", m(func(s spanSample) float64 { return s.loadCPU })),
			o.runsCell(),
		})
		if w.interval > 0 && p99[o.name] >= float64(w.interval.Microseconds()) {
			t.notes = append(t.notes, fmt.Sprintf("%s: p99 %.1f ms is over the %v between messages: they queued, the pace was too fast for the servers",
				label, p99[o.name]/1000, w.interval))
		}
		if subs < w.fanout {
			t.notes = append(t.notes, fmt.Sprintf("%s: only %d of the %d subscribers asked for could be opened (open-file limit)", label, subs, w.fanout))
		}
	}
	pace := spanBurstNote
	if w.interval > 0 {
		pace = spanPacedNote
	}
	t.notes = append(t.notes, spanLatencyNote+" "+pace,
		"servers CPU: the user + system CPU time of the fan-out servers, summed, over the deliveries; NATS CPU: nats-server's in all, "+
			"apart (to the 10 ms tick of /proc: its work is per message and server, not per subscriber). "+
			"The fan-out servers and nats-server all run on the server's CPU (CPU 0 when pinned), which they share.")
	if v, ok := rate[spanNATS]; ok {
		t.lead = fmt.Sprintf("wsconn across %d processes through NATS: %.0f deliveries per second, latency p50 %.1f ms and p99 %.1f ms, "+
			"%.2f µs of CPU per delivery (servers and NATS)", w.servers, v, p50[spanNATS]/1000, p99[spanNATS]/1000, cpu[spanNATS])
		if hasBase && base > 0 && cpu[spanOne] > 0 {
			t.lead += fmt.Sprintf("; %.2f× the deliveries per second and %.2f× the CPU per delivery of one server without a broker",
				v/base, cpu[spanNATS]/cpu[spanOne])
		}
	}
	return t
}
