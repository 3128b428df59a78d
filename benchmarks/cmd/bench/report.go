package main

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/wsconn/wsconn/benchmarks/internal/servers"
)

// subject is the library the benchmark is for; the others are its peers.
const subject = "wsconn"

// outcome is what the rounds of one workload gave one library, or, in
// the transport tables, wsconn over one transport.
type outcome[S any] struct {
	name    string // the library, or the transport
	samples []S
	errs    []error
}

// runsCell says how many runs the medians are of, when some failed.
func (o *outcome[S]) runsCell() string {
	if len(o.errs) == 0 {
		return strconv.Itoa(len(o.samples))
	}
	return fmt.Sprintf("%d/%d", len(o.samples), len(o.samples)+len(o.errs))
}

// failureNotes returns one note per failed run.
func (o *outcome[S]) failureNotes() []string {
	var notes []string
	for _, err := range o.errs {
		notes = append(notes, fmt.Sprintf("%s failed: %v", o.name, err))
	}
	return notes
}

// median returns the median of the values f takes on the samples.
func median[S any](samples []S, f func(S) float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	v := make([]float64, len(samples))
	for i, s := range samples {
		v[i] = f(s)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// isPeer reports whether lib is one of the libraries wsconn is compared to.
func isPeer(lib string) bool { return lib != subject && slices.Contains(servers.Libraries, lib) }

// bestPeer returns the peer with the best value (the largest if higher is
// better, else the smallest) among those with samples, and that value.
func bestPeer(libs []string, values map[string]float64, higherBetter bool) (string, float64) {
	best, bestV := "", 0.0
	for _, lib := range libs {
		v, ok := values[lib]
		if !ok || !isPeer(lib) {
			continue
		}
		if best == "" || (higherBetter && v > bestV) || (!higherBetter && v < bestV) {
			best, bestV = lib, v
		}
	}
	return best, bestV
}

// ratioCell writes v/best, marking the best peer.
func ratioCell(lib, best string, v, bestV float64) string {
	switch {
	case best == "" || bestV == 0:
		return "-"
	case lib == best:
		return "1.00 (best peer)"
	}
	return fmt.Sprintf("%.2f", v/bestV)
}

// throughputTable builds the table of a throughput workload.
func throughputTable(w workload, outs []*outcome[sample]) *table {
	t := &table{
		title:  w.name,
		desc:   w.describe(),
		header: []string{"library", "msgs/s", "vs best peer", "p50 µs", "p99 µs", "server CPU µs/msg", "server peak RSS MiB", "load CPU %", "runs"},
	}
	rate := map[string]float64{}
	var libs []string
	for _, o := range outs {
		libs = append(libs, o.name)
		if len(o.samples) > 0 {
			rate[o.name] = median(o.samples, func(s sample) float64 { return s.msgsPerSec })
		}
	}
	best, bestRate := bestPeer(libs, rate, true)
	for _, o := range outs {
		t.notes = append(t.notes, o.failureNotes()...)
		if len(o.samples) == 0 {
			t.rows = append(t.rows, []string{o.name, "FAILED", "-", "-", "-", "-", "-", "-", o.runsCell()})
			continue
		}
		m := func(f func(sample) float64) float64 { return median(o.samples, f) }
		t.rows = append(t.rows, []string{
			o.name,
			fmt.Sprintf("%.0f", rate[o.name]),
			ratioCell(o.name, best, rate[o.name], bestRate),
			fmt.Sprintf("%.1f", m(func(s sample) float64 { return s.p50 })),
			fmt.Sprintf("%.1f", m(func(s sample) float64 { return s.p99 })),
			fmt.Sprintf("%.2f", m(func(s sample) float64 { return s.cpuPerMsg })),
			fmt.Sprintf("%.1f", m(func(s sample) float64 { return float64(s.peakRSS) })/(1<<20)),
			fmt.Sprintf("%.0f", m(func(s sample) float64 { return s.loadCPU })),
			o.runsCell(),
		})
		if z := m(func(s sample) float64 { return s.compressed }); w.deflate && z < 1 {
			t.notes = append(t.notes, fmt.Sprintf("%s sent %.0f%% of its echoes uncompressed", o.name, 100*(1-z)))
		}
	}
	if v, ok := rate[subject]; ok && best != "" {
		t.lead = fmt.Sprintf("%s: %.2f× the messages per second of the best peer (%s, %.0f msgs/s)", subject, v/bestRate, best, bestRate)
	}
	return t
}

// idleTable builds the table of the idle workload.
func idleTable(w workload, outs []*outcome[idleSample]) *table {
	t := &table{
		title:  w.name,
		desc:   w.describe(),
		header: []string{"library", "connections", "RSS KiB/conn", "vs best peer", "live heap KiB/conn", "goroutines/conn", "OS threads", "server peak RSS MiB", "runs"},
	}
	perConn := map[string]float64{}
	var libs []string
	for _, o := range outs {
		libs = append(libs, o.name)
		if len(o.samples) > 0 {
			perConn[o.name] = median(o.samples, func(s idleSample) float64 { return s.rssPerConn })
		}
	}
	best, bestV := bestPeer(libs, perConn, false)
	for _, o := range outs {
		t.notes = append(t.notes, o.failureNotes()...)
		if len(o.samples) == 0 {
			t.rows = append(t.rows, []string{o.name, "FAILED", "-", "-", "-", "-", "-", "-", o.runsCell()})
			continue
		}
		m := func(f func(idleSample) float64) float64 { return median(o.samples, f) }
		lib, ratio := o.name, ratioCell(o.name, best, perConn[o.name], bestV)
		if lib == servers.RawTCP {
			lib, ratio = "rawtcp (floor)", "-"
		}
		conns := slices.MinFunc(o.samples, func(a, b idleSample) int { return a.conns - b.conns })
		t.rows = append(t.rows, []string{
			lib,
			strconv.Itoa(conns.conns),
			fmt.Sprintf("%.2f", perConn[o.name]/1024),
			ratio,
			fmt.Sprintf("%.2f", m(func(s idleSample) float64 { return s.heapPerConn })/1024),
			fmt.Sprintf("%.2f", m(func(s idleSample) float64 { return s.goroutinesPerConn })),
			fmt.Sprintf("%.0f", m(func(s idleSample) float64 { return float64(s.threads) })),
			fmt.Sprintf("%.1f", m(func(s idleSample) float64 { return float64(s.peakRSS) })/(1<<20)),
			o.runsCell(),
		})
		if conns.conns < conns.requested {
			t.notes = append(t.notes, fmt.Sprintf("%s: only %d of the %d connections asked for could be opened (open-file limit)",
				o.name, conns.conns, conns.requested))
		}
		for _, s := range o.samples {
			if !s.settled {
				t.notes = append(t.notes, fmt.Sprintf("%s: RSS was still changing after %v; the last reading is used", o.name, settleMax))
				break
			}
		}
	}
	if v, ok := perConn[subject]; ok && best != "" {
		t.lead = fmt.Sprintf("%s: %.2f× the memory per idle connection of the best peer (%s, %.2f KiB; lower is better)",
			subject, v/bestV, best, bestV/1024)
	}
	return t
}
