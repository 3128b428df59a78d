package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// workload is one line of the benchmark: a load every server gets.
type workload struct {
	name     string
	conns    int
	inflight int
	size     int  // binary message size, when not json
	json     bool // the load's 1 KiB JSON document, as text
	deflate  bool // permessage-deflate on both sides
	oneCore  bool // server and load share one CPU
	idle     int  // idle connections to hold, for the memory workload
	fanout   int  // subscribers of a fan-out, for the fan-out workloads
	messages int  // messages published to them
	// servers, if positive, spreads the subscribers of a fan-out over
	// this many of wsconn's fan-out servers sharing the topic through a
	// nats-server (echoserver -nats); the publisher writes each message
	// on its own, stamped with its time, and the latency of each delivery
	// is measured. interval, if positive, paces the messages.
	servers  int
	interval time.Duration
}

// workloads are all the workloads, in the order they run.
var workloads = []workload{
	{name: "pingpong-16B", conns: 1, inflight: 1, size: 16},
	{name: "pingpong-16B-onecore", conns: 1, inflight: 1, size: 16, oneCore: true},
	{name: "c64x16-16B", conns: 64, inflight: 16, size: 16},
	{name: "c16x4-1KiB", conns: 16, inflight: 4, size: 1 << 10},
	{name: "c4x2-64KiB", conns: 4, inflight: 2, size: 64 << 10},
	{name: "c1-1MiB", conns: 1, inflight: 1, size: 1 << 20},
	{name: "c64-json-deflate", conns: 64, inflight: 1, json: true, deflate: true},
	{name: "idle-10k", idle: 10000},
	{name: "fanout-10k-1KiB", fanout: 10000, messages: 100, json: true},
	{name: "fanout-10k-1KiB-deflate", fanout: 10000, messages: 100, json: true, deflate: true},
	{name: "fanout-nats-3x1k-1KiB", fanout: 3000, servers: 3, messages: 100, json: true},
	{name: "fanout-nats-3x1k-1KiB-paced", fanout: 3000, servers: 3, messages: 100, json: true, interval: 50 * time.Millisecond},
}

// payloadFlags are the load generator's flags for the workload's
// messages: the JSON document or binary messages of its size, and
// permessage-deflate.
func (w workload) payloadFlags() []string {
	flags := []string{"-size", strconv.Itoa(w.size)}
	if w.json {
		flags = []string{"-json"}
	}
	if w.deflate {
		flags = append(flags, "-deflate")
	}
	return flags
}

// describe says what the workload does, for the table's title.
func (w workload) describe() string {
	if w.idle > 0 {
		return fmt.Sprintf("%d idle connections: memory per connection", w.idle)
	}
	msg := fmt.Sprintf("%s binary", sizeName(w.size))
	if w.json {
		msg = "1 KiB JSON text"
	}
	if w.servers > 0 {
		pace := "back to back"
		if w.interval > 0 {
			pace = "one every " + w.interval.String()
		}
		return fmt.Sprintf("fan-out across %d wsconn servers through NATS: %d messages (%s) published on one, each written on its own (%s) "+
			"and stamped with its time, to %s spread over the %d, %d deliveries",
			w.servers, w.messages, msg, pace, plural(w.fanout, "subscriber"), w.servers, w.messages*w.fanout)
	}
	if w.fanout > 0 {
		s := fmt.Sprintf("fan-out: %d messages (%s) published to %s of one topic, %d deliveries",
			w.messages, msg, plural(w.fanout, "subscriber"), w.messages*w.fanout)
		if w.deflate {
			s += ", permessage-deflate without context takeover"
		}
		return s
	}
	if w.deflate {
		msg += ", permessage-deflate"
	}
	s := fmt.Sprintf("%s × %d in flight, %s", plural(w.conns, "connection"), w.inflight, msg)
	if w.oneCore {
		s += ", server and load on one CPU"
	}
	return s
}

// plural writes n things.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// sizeName writes a size in B, KiB or MiB.
func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// selectWorkloads returns the workloads named in the comma-separated list
// only, or all of them if it is empty.
func selectWorkloads(only string) ([]workload, error) {
	if only == "" {
		return workloads, nil
	}
	var sel []workload
	for _, name := range strings.Split(only, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, w := range workloads {
			if w.name == name {
				sel = append(sel, w)
				found = true
				break
			}
		}
		if !found {
			names := make([]string, len(workloads))
			for i, w := range workloads {
				names[i] = w.name
			}
			return nil, fmt.Errorf("unknown workload %q; the workloads are %s", name, strings.Join(names, ", "))
		}
	}
	return sel, nil
}
