package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	id := func(v float64) float64 { return v }
	for _, c := range []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.v, id); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestSelectWorkloads(t *testing.T) {
	all, err := selectWorkloads("")
	if err != nil || len(all) != len(workloads) {
		t.Fatalf("all workloads: %d, %v", len(all), err)
	}
	sel, err := selectWorkloads("c1-1MiB, pingpong-16B")
	if err != nil || len(sel) != 2 || sel[0].name != "c1-1MiB" || sel[1].name != "pingpong-16B" {
		t.Errorf("selected %v, %v", sel, err)
	}
	if _, err := selectWorkloads("nope"); err == nil {
		t.Error("an unknown workload was accepted")
	}
}

// TestThroughputTable checks the ratios to the best peer and the
// reporting of failed runs.
func TestThroughputTable(t *testing.T) {
	outs := []*outcome[sample]{
		{name: "wsconn", samples: []sample{{msgsPerSec: 90}, {msgsPerSec: 110}, {msgsPerSec: 100}}},
		{name: "gorilla", samples: []sample{{msgsPerSec: 200}}, errs: []error{errors.New("boom")}},
		{name: "coder", errs: []error{errors.New("bang")}},
		{name: "gws", samples: []sample{{msgsPerSec: 50}}},
	}
	tb := throughputTable(workloads[0], outs)
	if !strings.Contains(tb.lead, "0.50× the messages per second of the best peer (gorilla, 200 msgs/s)") {
		t.Errorf("lead %q", tb.lead)
	}
	want := [][]string{
		{"wsconn", "100", "0.50"},
		{"gorilla", "200", "1.00 (best peer)"},
		{"coder", "FAILED", "-"},
		{"gws", "50", "0.25"},
	}
	for i, w := range want {
		if got := tb.rows[i][:3]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i, got, w)
		}
	}
	if runs := tb.rows[1][len(tb.rows[1])-1]; runs != "1/2" {
		t.Errorf("gorilla runs %q, want 1/2", runs)
	}
	if len(tb.notes) != 2 {
		t.Errorf("notes %q, want one per failed run", tb.notes)
	}
	for _, md := range []bool{false, true} {
		var b bytes.Buffer
		tb.print(&b, md)
		if !strings.Contains(b.String(), "pingpong-16B") || !strings.Contains(b.String(), "1.00 (best peer)") {
			t.Errorf("printed table (md %v):\n%s", md, b.String())
		}
	}
}

// TestTransportTable checks the ratios to HTTP/1.1 over TLS and over TCP,
// and a transport whose runs all failed.
func TestTransportTable(t *testing.T) {
	outs := []*outcome[sample]{
		{name: "tcp", samples: []sample{{msgsPerSec: 400, cpuPerMsg: 1}}},
		{name: "tls", samples: []sample{{msgsPerSec: 200, cpuPerMsg: 2}}},
		{name: "h2", samples: []sample{{msgsPerSec: 100, cpuPerMsg: 3}}},
		{name: "h3", errs: []error{errors.New("boom")}},
	}
	tb := transportTable(workloads[0], outs)
	want := [][]string{
		{"tcp (HTTP/1.1 over TCP)", "400", "2.00", "1.00", "1.00", "0.50"},
		{"tls (HTTP/1.1 over TLS)", "200", "1.00", "0.50", "2.00", "1.00"},
		{"h2 (HTTP/2 over TLS)", "100", "0.50", "0.25", "3.00", "1.50"},
		{"h3 (HTTP/3 over QUIC)", "FAILED", "-", "-", "-", "-"},
	}
	for i, w := range want {
		r := tb.rows[i]
		got := []string{r[0], r[1], r[2], r[3], r[6], r[7]}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i, got, w)
		}
	}
	if !strings.Contains(tb.lead, "over h2 0.50× the msgs/s and 1.50× the server CPU per message of HTTP/1.1 over TLS") {
		t.Errorf("lead %q", tb.lead)
	}
	if len(tb.notes) != 1 || !strings.Contains(tb.notes[0], "h3 failed: boom") {
		t.Errorf("notes %q", tb.notes)
	}
	if !strings.Contains(tb.desc, "wsconn only") {
		t.Errorf("description %q does not say the rows are wsconn's only", tb.desc)
	}
}

// TestFanoutTable checks the fan-out table: the ratios to the best peer,
// wsconn without its hub being none, and the compressions per message,
// counted or by design.
func TestFanoutTable(t *testing.T) {
	var w workload
	for _, wl := range workloads {
		if wl.fanout > 0 && wl.deflate {
			w = wl
		}
	}
	if w.name == "" {
		t.Fatal("no fan-out workload with permessage-deflate")
	}
	n := w.fanout
	outs := []*outcome[fanoutSample]{
		{name: "wsconn", samples: []fanoutSample{{subscribers: n, msgsPerSec: 150, cpuPerMsg: 2, compressed: 1, counted: true, compressionsPerMsg: 1}}},
		{name: direct, samples: []fanoutSample{{subscribers: n, msgsPerSec: 300, cpuPerMsg: 1, compressed: 1, counted: true, compressionsPerMsg: 1}}},
		{name: "gorilla", samples: []fanoutSample{{subscribers: n, msgsPerSec: 100, cpuPerMsg: 4, compressed: 1}}},
		{name: "coder", samples: []fanoutSample{{subscribers: n - 1, msgsPerSec: 50, cpuPerMsg: 8, compressed: 0.5}}},
		{name: "gws", errs: []error{errors.New("boom")}},
	}
	tb := fanoutTable(w, outs)
	want := [][]string{
		{"wsconn", "150", "1.50", "1.00 (counted)"},
		{"wsconn without hub (SendPrepared)", "300", "(3.00)", "1.00 (counted)"},
		{"gorilla", "100", "1.00 (best peer)", "1 (by design)"},
		{"coder", "50", "0.50", fmt.Sprintf("%d (by design)", n-1)},
		{"gws", "FAILED", "-", "-"},
	}
	for i, w := range want {
		r := tb.rows[i]
		got := []string{r[0], r[2], r[3], r[8]}
		if i == 4 {
			got = []string{r[0], r[1], r[2], r[3]}
		}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i, got, w)
		}
	}
	if !strings.Contains(tb.lead, "1.50× the deliveries per second of the best peer (gorilla, 100 msgs/s), at 0.50× its server CPU") ||
		!strings.Contains(tb.lead, "without the hub 2.00× the deliveries per second and 0.50× the CPU") {
		t.Errorf("lead %q", tb.lead)
	}
	notes := strings.Join(tb.notes, "\n")
	for _, s := range []string{"gws failed: boom", "coder: only 9999 of the 10000", "coder sent 50% of its deliveries uncompressed", "compressions/msg: counted"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes %q lack %q", tb.notes, s)
		}
	}
}
