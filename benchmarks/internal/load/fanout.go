package load

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"
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

	// ServerPID, if positive, is the server's process, whose CPU time
	// from the publish to the last delivery is reported.
	ServerPID int
}

// FanoutResult is the outcome of a fan-out run, printed by cmd/load
// -fanout as one JSON line. Its times run from the trigger, the write of
// the publisher's messages.
type FanoutResult struct {
	Subscribers int     `json:"subscribers"`
	Messages    int     `json:"messages"`     // published
	Delivered   int64   `json:"delivered"`    // messages received and checked, on all the subscribers
	Seconds     float64 `json:"seconds"`      // from the trigger to the last delivery
	MsgsPerSec  float64 `json:"msgs_per_sec"` // Delivered / Seconds
	FirstMs     float64 `json:"first_ms"`     // the first delivery
	P50DoneMs   float64 `json:"p50_done_ms"`  // the median subscriber's last delivery
	Compressed  int64   `json:"compressed"`   // deliveries that came compressed
	Inflated    int64   `json:"inflated"`     // of those, the ones the load generator inflated (see verifiedForms)
	DialSeconds float64 `json:"dial_seconds"` // opening the subscribers
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`

	ServerCPUus       float64 `json:"server_cpu_us,omitempty"`         // server CPU time from the trigger to the last delivery, in µs
	ServerCPUPerMsgUs float64 `json:"server_cpu_per_msg_us,omitempty"` // ServerCPUus / Delivered
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
// publisher, waits for the server's ReadyMessage, writes the messages in
// one write (the trigger) and checks that every subscriber receives every
// message, whole and in order, then closes every connection with the
// closing handshake, which also checks that no message came too many. It
// returns the result and, if a connection failed or a message was wrong
// or missing, the first error.
func Fanout(ctx context.Context, cfg FanoutConfig) (FanoutResult, error) {
	res := FanoutResult{Subscribers: cfg.Subscribers, Messages: cfg.Messages}
	fail := func(err error) (FanoutResult, error) {
		res.Errors, res.FirstError = 1, err.Error()
		return res, err
	}
	if err := cfg.check(); err != nil {
		return fail(err)
	}
	pubURL, err := fanout.PublisherURL(cfg.URL, cfg.Subscribers)
	if err != nil {
		return fail(err)
	}
	payload := NewBinaryPayload(cfg.Size)
	if cfg.JSON {
		payload = NewJSONPayload()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dialStart := time.Now()
	opts := wsclient.Options{Deflate: cfg.Deflate, Origin: Origin, ReadBufferSize: fanoutReadBuffer, ShareInflater: true}
	conns, err := dialAll(ctx, &ownConns{url: cfg.URL, opts: opts}, cfg.URL, cfg.Subscribers)
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
	subs := make([]*subscriber, len(conns))
	var fails failures
	var wg sync.WaitGroup
	for i, c := range conns {
		subs[i] = &subscriber{id: i, c: c, p: payload, forms: forms, epoch: epoch}
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

	pub, err := openPublisher(ctx, pubURL)
	if err != nil {
		cancel()
		<-delivered
		return fail(err)
	}
	defer pub.Abort()
	usage0, err := readUsage(cfg.ServerPID)
	if err != nil {
		cancel()
		<-delivered
		return fail(err)
	}
	trigger := time.Since(epoch)
	if err := publish(pub, payload, cfg.Messages); err != nil {
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
	usage1, usageErr := readUsage(cfg.ServerPID)

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
	}
	if err := closeAll(conns, pub); err != nil {
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
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if u.Scheme != "ws" {
		return fmt.Errorf("load: URL %q: a fan-out runs over plain TCP, with a ws:// URL", cfg.URL)
	}
	return nil
}

// openPublisher opens the publisher and waits for the server to say that
// the subscribers have joined.
func openPublisher(ctx context.Context, url string) (*wsclient.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	pub, err := wsclient.Dial(ctx, url, wsclient.Options{Origin: Origin, ReadBufferSize: fanoutReadBuffer})
	if err != nil {
		return nil, fmt.Errorf("load: opening the publisher: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { pub.Abort() })
	op, msg, err := pub.ReadMessage(nil, len(fanout.ReadyMessage))
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err == nil && (op != wsclient.OpText || string(msg) != fanout.ReadyMessage) {
		err = fmt.Errorf("got a %d-byte message of type %d, not %q", len(msg), op, fanout.ReadyMessage)
	}
	if err != nil {
		pub.Abort()
		return nil, fmt.Errorf("load: waiting for the server to say the subscribers joined: %w", err)
	}
	return pub, nil
}

// publish sends messages 0 to n-1 of p on pub, in one write.
func publish(pub *wsclient.Conn, p *Payload, n int) error {
	buf := p.NewBuffer()
	for seq := range n {
		p.Stamp(buf, uint64(seq))
		if err := pub.Queue(p.Opcode(), buf); err != nil {
			return err
		}
	}
	if err := pub.Flush(); err != nil {
		return fmt.Errorf("load: publishing: %w", err)
	}
	return nil
}

// usage is the CPU time this process and the server have used so far.
type usage struct{ self, server time.Duration }

// readUsage reads the CPU time of this process and of the server pid, if
// positive.
func readUsage(pid int) (usage, error) {
	var u usage
	var err error
	if u.self, err = proc.SelfCPUTime(); err != nil || pid <= 0 {
		return u, err
	}
	u.server, err = proc.CPUTime(pid)
	return u, err
}

// collect sums up what the subscribers received; trigger is when the
// messages were written, from the subscribers' epoch.
func (res *FanoutResult) collect(subs []*subscriber, trigger time.Duration) {
	var first, last time.Duration = -1, 0
	done := make([]time.Duration, 0, len(subs))
	for _, s := range subs {
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
	res.Seconds = (last - trigger).Seconds()
	res.FirstMs = float64(first-trigger) / float64(time.Millisecond)
	res.P50DoneMs = float64(done[len(done)/2]) / float64(time.Millisecond)
	if res.Seconds > 0 {
		res.MsgsPerSec = float64(res.Delivered) / res.Seconds
	}
}

// closeAll closes the subscribers and the publisher with the closing
// handshake, dialParallel at a time, and returns the first error: a
// message after the last one expected is one.
func closeAll(subs []*wsclient.Conn, pub *wsclient.Conn) error {
	err := dialEach(len(subs), func(i int) error {
		if err := subs[i].Close(maxDrain); err != nil {
			return fmt.Errorf("subscriber %d: %w", i, err)
		}
		return nil
	})
	if perr := pub.Close(maxDrain); err == nil && perr != nil {
		err = fmt.Errorf("publisher: %w", perr)
	}
	if err != nil {
		return fmt.Errorf("load: closing: %w", err)
	}
	return nil
}
