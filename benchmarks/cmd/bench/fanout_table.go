package main

import (
	"fmt"
	"slices"
	"strconv"
)

// compressionNote says how the compressions per message of the fan-out
// tables are known.
const compressionNote = "compressions/msg: counted in the server for wsconn (the ProcessOutgoing calls of its permessage-deflate extension, wrapped) " +
	"and gobwas (its server's own wsflate calls); by design for gorilla (a PreparedMessage compresses once per set of compression options, one here) " +
	"and gws (a Broadcaster compresses once), whose compression is out of sight; coder has no prepared message and compresses in every Write, once per message and subscriber."

// designedCompressions says how often the libraries whose compression
// the server cannot count compress a published message sent to n
// subscribers.
func designedCompressions(lib string, n int) string {
	switch lib {
	case "gorilla", "gws":
		return "1 (by design)"
	case "coder":
		return strconv.Itoa(n) + " (by design)"
	}
	return "?"
}

// fanoutTable builds the table of a fan-out workload; outs are named by
// fanoutNames.
func fanoutTable(w workload, outs []*outcome[fanoutSample]) *table {
	t := &table{
		title: w.name,
		desc:  w.describe(),
		header: []string{"library", "subscribers", "msgs/s", "vs best peer", "server CPU µs/msg", "median done ms",
			"server peak RSS MiB", "load CPU %", "compressions/msg", "runs"},
	}
	rate, cpu := map[string]float64{}, map[string]float64{}
	var names []string
	for _, o := range outs {
		names = append(names, o.name)
		if len(o.samples) > 0 {
			rate[o.name] = median(o.samples, func(s fanoutSample) float64 { return s.msgsPerSec })
			cpu[o.name] = median(o.samples, func(s fanoutSample) float64 { return s.cpuPerMsg })
		}
	}
	best, bestRate := bestPeer(names, rate, true)
	for _, o := range outs {
		t.notes = append(t.notes, o.failureNotes()...)
		name := o.name
		if name == direct {
			name = "wsconn without hub (SendPrepared)"
		}
		if len(o.samples) == 0 {
			t.rows = append(t.rows, []string{name, "FAILED", "-", "-", "-", "-", "-", "-", "-", o.runsCell()})
			continue
		}
		m := func(f func(fanoutSample) float64) float64 { return median(o.samples, f) }
		subs := slices.MinFunc(o.samples, func(a, b fanoutSample) int { return a.subscribers - b.subscribers }).subscribers
		ratio := ratioCell(o.name, best, rate[o.name], bestRate)
		if o.name == direct && bestRate > 0 {
			ratio = fmt.Sprintf("(%.2f)", rate[o.name]/bestRate) // no peer
		}
		zips := "-"
		if w.deflate {
			zips = designedCompressions(o.name, subs)
			if o.samples[0].counted {
				zips = fmt.Sprintf("%.2f (counted)", m(func(s fanoutSample) float64 { return s.compressionsPerMsg }))
			}
		}
		t.rows = append(t.rows, []string{
			name,
			strconv.Itoa(subs),
			fmt.Sprintf("%.0f", rate[o.name]),
			ratio,
			fmt.Sprintf("%.2f", cpu[o.name]),
			fmt.Sprintf("%.0f", m(func(s fanoutSample) float64 { return s.p50DoneMs })),
			fmt.Sprintf("%.1f", m(func(s fanoutSample) float64 { return float64(s.peakRSS) })/(1<<20)),
			fmt.Sprintf("%.0f", m(func(s fanoutSample) float64 { return s.loadCPU })),
			zips,
			o.runsCell(),
		})
		if subs < w.fanout {
			t.notes = append(t.notes, fmt.Sprintf("%s: only %d of the %d subscribers asked for could be opened (open-file limit)", o.name, subs, w.fanout))
		}
		if z := m(func(s fanoutSample) float64 { return s.compressed }); w.deflate && z < 1 {
			t.notes = append(t.notes, fmt.Sprintf("%s sent %.0f%% of its deliveries uncompressed", o.name, 100*(1-z)))
		}
	}
	if w.deflate {
		t.notes = append(t.notes, compressionNote)
	}
	if v, ok := rate[subject]; ok && best != "" && cpu[best] > 0 {
		t.lead = fmt.Sprintf("%s: %.2f× the deliveries per second of the best peer (%s, %.0f msgs/s), at %.2f× its server CPU per delivery",
			subject, v/bestRate, best, bestRate, cpu[subject]/cpu[best])
		if d, ok := rate[direct]; ok {
			t.lead += fmt.Sprintf("; without the hub %.2f× the deliveries per second and %.2f× the CPU per delivery of wsconn with it",
				d/v, cpu[direct]/cpu[subject])
		}
	}
	return t
}
