package main

import (
	"fmt"
	"strings"

	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// sharingNote says how the load carries its WebSockets over each
// transport.
const sharingNote = "Over tcp and tls each WebSocket has a TCP connection of its own; over h2 and h3 all the WebSockets of a run are streams of one HTTP/2 or QUIC connection, as a browser's WebSockets to one server are."

// transportTable builds the table of throughput workload w run by wsconn
// over several transports: outs are named by transport.
func transportTable(w workload, outs []*outcome[sample]) *table {
	t := &table{
		title: w.name + " over each transport",
		desc:  w.describe() + "; wsconn only",
		header: []string{"transport", "msgs/s", "vs tls", "vs tcp", "p50 µs", "p99 µs",
			"server CPU µs/msg", "CPU vs tls", "server peak RSS MiB", "load CPU %", "runs"},
	}
	rate, cpu := map[string]float64{}, map[string]float64{}
	for _, o := range outs {
		if len(o.samples) > 0 {
			rate[o.name] = median(o.samples, func(s sample) float64 { return s.msgsPerSec })
			cpu[o.name] = median(o.samples, func(s sample) float64 { return s.cpuPerMsg })
		}
	}
	tls, tcp := string(transport.TLS), string(transport.TCP)
	var leads []string
	for _, o := range outs {
		t.notes = append(t.notes, o.failureNotes()...)
		name := fmt.Sprintf("%s (%s)", o.name, transport.Transport(o.name).Describe())
		if len(o.samples) == 0 {
			t.rows = append(t.rows, []string{name, "FAILED", "-", "-", "-", "-", "-", "-", "-", "-", o.runsCell()})
			continue
		}
		m := func(f func(sample) float64) float64 { return median(o.samples, f) }
		t.rows = append(t.rows, []string{
			name,
			fmt.Sprintf("%.0f", rate[o.name]),
			ratioTo(rate, o.name, tls),
			ratioTo(rate, o.name, tcp),
			fmt.Sprintf("%.1f", m(func(s sample) float64 { return s.p50 })),
			fmt.Sprintf("%.1f", m(func(s sample) float64 { return s.p99 })),
			fmt.Sprintf("%.2f", cpu[o.name]),
			ratioTo(cpu, o.name, tls),
			fmt.Sprintf("%.1f", m(func(s sample) float64 { return float64(s.peakRSS) })/(1<<20)),
			fmt.Sprintf("%.0f", m(func(s sample) float64 { return s.loadCPU })),
			o.runsCell(),
		})
		if z := m(func(s sample) float64 { return s.compressed }); w.deflate && z < 1 {
			t.notes = append(t.notes, fmt.Sprintf("over %s, wsconn sent %.0f%% of its echoes uncompressed", o.name, 100*(1-z)))
		}
		if o.name != tls && o.name != tcp && rate[tls] > 0 && cpu[tls] > 0 {
			leads = append(leads, fmt.Sprintf("over %s %.2f× the msgs/s and %.2f× the server CPU per message of HTTP/1.1 over TLS",
				o.name, rate[o.name]/rate[tls], cpu[o.name]/cpu[tls]))
		}
	}
	if len(leads) > 0 {
		t.lead = subject + ": " + strings.Join(leads, "; ")
	}
	return t
}

// ratioTo writes values[name]/values[base], or "-" if either is missing.
func ratioTo(values map[string]float64, name, base string) string {
	v, ok := values[name]
	b := values[base]
	if !ok || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v/b)
}
