package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestSpanTable checks the table of the fan-out across processes: the
// ratios to the baseline on one server, NATS's columns on its row only,
// the lead, a failed row and the notes.
func TestSpanTable(t *testing.T) {
	w, err := selectWorkloads("fanout-nats-3x1k-1KiB")
	if err != nil {
		t.Fatal(err)
	}
	n := w[0].fanout
	outs := []*outcome[spanSample]{
		{name: spanNATS, samples: []spanSample{
			{servers: 3, subscribers: n, msgsPerSec: 100, p50: 2000, p99: 9000, cpuPerMsg: 3, natsPerMsg: 1, natsCPU: 20, natsRSS: 20 << 20},
			{servers: 3, subscribers: n, msgsPerSec: 300, p50: 4000, p99: 11000, cpuPerMsg: 5, natsPerMsg: 1, natsCPU: 40, natsRSS: 20 << 20},
			{servers: 3, subscribers: n, msgsPerSec: 200, p50: 3000, p99: 10000, cpuPerMsg: 4, natsPerMsg: 1, natsCPU: 30, natsRSS: 20 << 20},
		}},
		{name: spanOne, samples: []spanSample{{servers: 1, subscribers: n - 1, msgsPerSec: 400, p50: 1000, p99: 2000, cpuPerMsg: 2.5}}},
	}
	tb := spanTable(w[0], outs)
	want := [][]string{
		{"wsconn, 3 servers + NATS (hubnats)", "3000", "200", "0.50", "3.0", "10.0", "4.00", "30", "20.0"},
		{"wsconn, 1 server, no broker (baseline)", "2999", "400", "1.00", "1.0", "2.0", "2.50", "-", "-"},
	}
	for i, w := range want {
		r := tb.rows[i]
		got := []string{r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[9]}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i, got, w)
		}
	}
	for _, s := range []string{"across 3 processes through NATS: 200 deliveries per second, latency p50 3.0 ms and p99 10.0 ms",
		"5.00 µs of CPU per delivery", "0.50× the deliveries per second and 2.00× the CPU per delivery of one server"} {
		if !strings.Contains(tb.lead, s) {
			t.Errorf("lead %q lacks %q", tb.lead, s)
		}
	}
	if !strings.Contains(tb.desc, "wsconn only") || !strings.Contains(tb.desc, "3000 subscribers spread over the 3") {
		t.Errorf("description %q", tb.desc)
	}
	notes := strings.Join(tb.notes, "\n")
	if !strings.Contains(notes, "only 2999 of the 3000") || !strings.Contains(notes, "latency of a delivery") || !strings.Contains(notes, "back to back") {
		t.Errorf("notes %q", tb.notes)
	}
	paced, err := selectWorkloads("fanout-nats-3x1k-1KiB-paced")
	if err != nil {
		t.Fatal(err)
	}
	tb = spanTable(paced[0], outs)
	notes = strings.Join(tb.notes, "\n")
	if !strings.Contains(notes, "the pace's, not a capacity") || !strings.Contains(tb.desc, "one every 50ms") {
		t.Errorf("paced: description %q, notes %q", tb.desc, tb.notes)
	}
	// The baseline's p99 (2 ms) is under the 50 ms between messages; make
	// it over.
	outs[1].samples[0].p99 = 60000
	if notes := strings.Join(spanTable(paced[0], outs).notes, "\n"); !strings.Contains(notes, "no broker (baseline): p99 60.0 ms is over the 50ms") ||
		strings.Contains(notes, "hubnats): p99") {
		t.Errorf("paced, p99 over the interval: notes %q", notes)
	}
	outs[1].samples[0].p99 = 2000

	outs[0] = &outcome[spanSample]{name: spanNATS, errs: []error{errors.New("boom")}}
	tb = spanTable(w[0], outs)
	if tb.rows[0][1] != "FAILED" || tb.lead != "" || !strings.Contains(strings.Join(tb.notes, "\n"), "wsconn-nats failed: boom") {
		t.Errorf("failed row %q, lead %q, notes %q", tb.rows[0], tb.lead, tb.notes)
	}
	var b bytes.Buffer
	tb.print(&b, true)
	if !strings.Contains(b.String(), "### fanout-nats-3x1k-1KiB") {
		t.Errorf("markdown:\n%s", b.String())
	}
}
