package load

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
	"github.com/wsconn/wsconn/benchmarks/internal/proc"
	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// FanoutConfig describes a fan-out run, over plain TCP, against a server
// that speaks the protocol of package fanout.
type FanoutConfig struct {
	URL         string // ws:// URL of the server, which the subscribers open
	Subscribers int    // subscriber connections
	Messages    int    // messages the publisher sends, each to every subscriber
	Size        int    // binary message size in bytes, when not JSON
	JSON        bool   // send the JSONSize-byte JSON document as text
	Deflate     bool   // the subscribers negotiate permessage-deflate

	// Peers are the ws:// URLs of more fan-out servers that share the
	// topic of URL's server through a broker (echoserver -nats): the
	// subscribers are spread over URL and Peers in turn, and the
	// publisher is URL's. Each server says when its share of the
	// subscribers has joined (a publisher is opened on each, of which
	// only URL's publishes).
	Peers []string

	// Latency stamps each message with the time the publisher writes it
	// (a timed payload, NewTimedJSONPayload or NewTimedBinaryPayload),
	// writes each message on its own, and reports the latency of every
	// delivery: from that write to the subscriber's reading of the
	// message, on the clock of this one process. The messages go back to
	// back, or one every Interval if it is positive. Without Latency they
	// go in one write, unstamped.
	Latency  bool
	Interval time.Duration

	// ServerPID, if positive, is the server's process, whose CPU time
	// from the publish to the last delivery is reported; PeerPIDs are
	// those of Peers, whose CPU time is added to it. BrokerPID, if
	// positive, is the broker's (nats-server), reported apart.
	ServerPID int
	PeerPIDs  []int
	BrokerPID int
}

// FanoutResult is the outcome of a fan-out run, printed by cmd/load
// -fanout as one JSON line. Its times run from the trigger, the write of
// the publisher's messages.
type FanoutResult struct {
	Servers     int     `json:"servers"` // fan-out servers the subscribers were spread over
	Subscribers int     `json:"subscribers"`
	Messages    int     `json:"messages"`         // published
	Delivered   int64   `json:"delivered"`        // messages received and checked, on all the subscribers
	Seconds     float64 `json:"seconds"`          // from the trigger to the last delivery
	MsgsPerSec  float64 `json:"msgs_per_sec"`     // Delivered / Seconds
	FirstMs     float64 `json:"first_ms"`         // the first delivery
	P50DoneMs   float64 `json:"p50_done_ms"`      // the median subscriber's last delivery
	P50us       float64 `json:"p50_us,omitempty"` // with Latency, the median latency of a delivery
	P99us       float64 `json:"p99_us,omitempty"` // with Latency, its 99th percentile
	Compressed  int64   `json:"compressed"`       // deliveries that came compressed
	Inflated    int64   `json:"inflated"`         // of those, the ones the load generator inflated (see verifiedForms)
	DialSeconds float64 `json:"dial_seconds"`     // opening the subscribers
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`

	ServerCPUus       float64 `json:"server_cpu_us,omitempty"`         // CPU time of the servers, summed, from the trigger to the last delivery, in µs
	ServerCPUPerMsgUs float64 `json:"server_cpu_per_msg_us,omitempty"` // ServerCPUus / Delivered
	BrokerCPUus       float64 `json:"broker_cpu_us,omitempty"`         // the broker's CPU time meanwhile, in µs
	BrokerCPUPerMsgUs float64 `json:"broker_cpu_per_msg_us,omitempty"` // BrokerCPUus / Delivered
	LoadCPUPercent    float64 `json:"load_cpu_pct"`                    // load generator's CPU use meanwhile
}

// Bounds of a fan-out run.
const (
	readyWait       = 2 * time.Minute // for the server to say the subscribers joined
	deliveryTimeout = 5 * time.Minute // from the trigger to the last delivery
	// fanoutReadBuffer is the read buffer of a subscriber: a few 1 KiB
	// messages, not the 64 KiB of the echo connections, for 10,000 of
	// them.
	fanoutReadBuffer = 4 << 10
)

// Fanout runs the fan-out of cfg: it opens the subscribers, then the
// publisher, waits for the server's ReadyMessage (every server's, with
// Peers), writes the messages in one write (the trigger; with Latency,
// one write each, the first being the trigger) and checks that every
// subscriber receives every message, whole and in order, then closes
// every connection with the closing handshake, which also checks that no
// message came too many. It returns the result and, if a connection
// failed or a message was wrong or missing, the first error.
func Fanout(ctx context.Context, cfg FanoutConfig) (FanoutResult, error) {
	urls := append([]string{cfg.URL}, cfg.Peers...)
	res := FanoutResult{Servers: len(urls), Subscribers: cfg.Subscribers, Messages: cfg.Messages}
	fail := func(err error) (FanoutResult, error) {
		res.Errors, res.FirstError = 1, err.Error()
		return res, err
	}
	if err := cfg.check(); err != nil {
		return fail(err)
	}
	readyURLs := make([]string, len(urls)) // the publisher's first, then the peers'
	for i, u := range urls {
		var err error
		if readyURLs[i], err = fanout.PublisherURL(u, share(cfg.Subscribers, len(urls), i)); err != nil {
			return fail(err)
		}
	}
	payload, err := cfg.payload()
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dialStart := time.Now()
	opts := wsclient.Options{Deflate: cfg.Deflate, Origin: Origin, ReadBufferSize: fanoutReadBuffer, ShareInflater: true}
	conns, err := dialSpread(ctx, urls, cfg.Subscribers, opts)
	if err != nil {
		return fail(err)
	}
	res.DialSeconds = time.Since(dialStart).Seconds()
	// Cancelling closes every connection at once, which ends the reads;
	// so does returning, for the connections not closed by then.
	abortAll := func() {
		for _, c := range conns {
			c.Abort()
		}
	}
	stopAborting := context.AfterFunc(ctx, abortAll)
	defer func() {
		stopAborting()
		abortAll()
	}()

	// The subscribers read from now on; the server sends them nothing
	// before the publisher's messages.
	epoch := time.Now()
	forms := newVerifiedForms(cfg.Messages)
	var sent []atomic.Int64 // with Latency, when each message was written, from epoch
	if cfg.Latency {
		sent = make([]atomic.Int64, cfg.Messages)
	}
	subs := make([]*subscriber, len(conns))
	var fails failures
	var wg sync.WaitGroup
	for i, c := range conns {
		subs[i] = &subscriber{id: i, c: c, p: payload, forms: forms, epoch: epoch, sent: sent}
		if cfg.Latency {
			subs[i].latencies = make([]time.Duration, 0, cfg.Messages)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := subs[i].read(cfg.Messages); err != nil && fails.add(err) {
				cancel()
			}
		}()
	}
	delivered := make(chan struct{})
	go func() { wg.Wait(); close(delivered) }()

	// The peers' publishers only say when their subscribers have joined;
	// then the publisher does.
	pubs := make([]*wsclient.Conn, len(readyURLs))
	defer func() {
		for _, p := range pubs {
			if p != nil {
				p.Abort()
			}
		}
	}()
	for i := len(readyURLs) - 1; i >= 0; i-- {
		if pubs[i], err = openPublisher(ctx, readyURLs[i]); err != nil {
			cancel()
			<-delivered
			return fail(err)
		}
	}
	pids := append([]int{cfg.ServerPID}, cfg.PeerPIDs...)
	usage0, err := readUsage(pids, cfg.BrokerPID)
	if err != nil {
		cancel()
		<-delivered
		return fail(err)
	}
	trigger := time.Since(epoch)
	if cfg.Latency {
		err = publishTimed(pubs[0], payload, cfg.Messages, cfg.Interval, epoch, sent)
	} else {
		err = publish(pubs[0], payload, cfg.Messages)
	}
	if err != nil {
		cancel()
		<-delivered
		return fail(err)
	}
	watchdog := time.AfterFunc(deliveryTimeout, func() {
		if fails.add(fmt.Errorf("load: messages still missing %v after the publish", deliveryTimeout)) {
			cancel()
		}
	})
	<-delivered
	watchdog.Stop()
	usage1, usageErr := readUsage(pids, cfg.BrokerPID)

	res.collect(subs, trigger)
	if err := fails.first(); err != nil {
		res.Errors, res.FirstError = fails.count(), err.Error()
		return res, err
	}
	if usageErr != nil {
		return fail(usageErr)
	}
	if res.Seconds > 0 {
		res.LoadCPUPercent = 100 * (usage1.self - usage0.self).Seconds() / res.Seconds
		if cfg.ServerPID > 0 {
			res.ServerCPUus = micros(usage1.server - usage0.server)
			res.ServerCPUPerMsgUs = res.ServerCPUus / float64(res.Delivered)
		}
		if cfg.BrokerPID > 0 {
			res.BrokerCPUus = micros(usage1.broker - usage0.broker)
			res.BrokerCPUPerMsgUs = res.BrokerCPUus / float64(res.Delivered)
		}
	}
	if err := closeAll(conns, pubs); err != nil {
		return fail(err)
	}
	return res, nil
}

// check reports what is wrong with cfg.
func (cfg *FanoutConfig) check() error {
	switch {
	case cfg.Subscribers < 1:
		return errors.New("load: need at least one subscriber")
	case cfg.Messages < 1:
		return errors.New("load: need at least one message")
	case !cfg.JSON && cfg.Size < 1:
		return errors.New("load: message size must be positive")
	case cfg.Interval < 0 || (cfg.Interval > 0 && !cfg.Latency):
		return errors.New("load: an interval between the messages needs Latency, and is not negative")
	case cfg.Subscribers < 1+len(cfg.Peers):
		return fmt.Errorf("load: %d subscribers cannot be spread over %d servers", cfg.Subscribers, 1+len(cfg.Peers))
	case len(cfg.PeerPIDs) > 0 && len(cfg.PeerPIDs) != len(cfg.Peers):
		return fmt.Errorf("load: %d process IDs for %d peers", len(cfg.PeerPIDs), len(cfg.Peers))
	}
	for _, s := range append([]string{cfg.URL}, cfg.Peers...) {
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		if u.Scheme != "ws" {
			return fmt.Errorf("load: URL %q: a fan-out runs over plain TCP, with a ws:// URL", s)
		}
	}
	return nil
}

// payload returns the payload of cfg's messages.
func (cfg *FanoutConfig) payload() (*Payload, error) {
	switch {
	case cfg.JSON && cfg.Latency:
		return NewTimedJSONPayload(), nil
	case cfg.JSON:
		return NewJSONPayload(), nil
	case cfg.Latency:
		return NewTimedBinaryPayload(cfg.Size)
	}
	return NewBinaryPayload(cfg.Size), nil
}

// usage is the CPU time this process, the servers (summed) and the broker
// have used so far.
type usage struct{ self, server, broker time.Duration }

// readUsage reads the CPU time of this process, of the servers pids (the
// positive ones) and of the broker, if positive.
func readUsage(pids []int, broker int) (usage, error) {
	var u usage
	var err error
	if u.self, err = proc.SelfCPUTime(); err != nil {
		return u, err
	}
	for _, pid := range pids {
		if pid > 0 {
			d, err := proc.CPUTime(pid)
			if err != nil {
				return u, err
			}
			u.server += d
		}
	}
	if broker > 0 {
		u.broker, err = proc.CPUTime(broker)
	}
	return u, err
}

// collect sums up what the subscribers received; trigger is when the
// messages were written, from the subscribers' epoch.
func (res *FanoutResult) collect(subs []*subscriber, trigger time.Duration) {
	var first, last time.Duration = -1, 0
	done := make([]time.Duration, 0, len(subs))
	var h histogram
	for _, s := range subs {
		for _, d := range s.latencies {
			h.record(d)
		}
		res.Delivered += s.got
		res.Compressed += s.compressed
		res.Inflated += s.inflated
		if s.got == 0 {
			continue
		}
		if first < 0 || s.first < first {
			first = s.first
		}
		last = max(last, s.last)
		done = append(done, s.last-trigger)
	}
	if len(done) == 0 {
		return
	}
	slices.Sort(done)
	if h.total > 0 {
		res.P50us, res.P99us = micros(h.quantile(0.5)), micros(h.quantile(0.99))
	}
	res.Seconds = (last - trigger).Seconds()
	res.FirstMs = float64(first-trigger) / float64(time.Millisecond)
	res.P50DoneMs = float64(done[len(done)/2]) / float64(time.Millisecond)
	if res.Seconds > 0 {
		res.MsgsPerSec = float64(res.Delivered) / res.Seconds
	}
}

// closeAll closes the subscribers and the publishers with the closing
// handshake, dialParallel at a time, and returns the first error: a
// message after the last one expected is one.
func closeAll(subs []*wsclient.Conn, pubs []*wsclient.Conn) error {
	err := dialEach(len(subs), func(i int) error {
		if err := subs[i].Close(maxDrain); err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
		return nil
	})
	for _, pub := range pubs {
		if perr := pub.Close(maxDrain); err == nil && perr != nil {
			err = fmt.Errorf("publisher: %w", perr)
		}
	}
	if err != nil {
		return fmt.Errorf("load: closing: %w", err)
	}
	return nil
}
