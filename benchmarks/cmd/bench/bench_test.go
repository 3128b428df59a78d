package main

import (
	"bytes"
	"errors"
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
