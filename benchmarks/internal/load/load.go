// Package load is the load generator: it opens connections to an echo
// server with the hand-written client of package wsclient, keeps a number
// of messages in flight on each, checks every echoed byte, and measures
// throughput and round-trip latency over a window. Fanout drives a
// fan-out server instead, checking every message on every subscriber.
package load

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/transport"
	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// Origin is the Origin header the load generator sends: a foreign one, so
// that a server that checks origins refuses it.
const Origin = "http://load-generator.invalid"

// Config describes a run.
type Config struct {
	URL      string // ws:// URL of the echo server, wss:// over the transports in TLS or QUIC
	Conns    int    // connections
	Inflight int    // messages in flight on each connection
	Size     int    // binary message size in bytes, when not JSON
	JSON     bool   // send the JSONSize-byte JSON document as text
	Deflate  bool   // negotiate permessage-deflate

	// Transport carries the WebSockets; empty means TCP. Over HTTP/2 and
	// HTTP/3 the Conns WebSockets are streams of one connection.
	Transport transport.Transport

	// Warmup and Duration are the time before the measured window and the
	// window's length.
	Warmup, Duration time.Duration

	// Count, if positive, replaces the window: each connection sends Count
	// messages, all of them measured.
	Count int

	// ServerPID, if positive, is the server's process, whose CPU time
	// over the window is reported.
	ServerPID int
}

// Result is the outcome of a run, printed by cmd/load as one JSON line.
type Result struct {
	Messages   int64   `json:"messages"`     // echoes received in the window
	Seconds    float64 `json:"seconds"`      // the window's length
	MsgsPerSec float64 `json:"msgs_per_sec"` // Messages / Seconds
	P50us      float64 `json:"p50_us"`       // median round trip, in µs
	P99us      float64 `json:"p99_us"`       // 99th percentile round trip, in µs
	Verified   int64   `json:"verified"`     // echoes checked, warm-up and drain included
	Compressed int64   `json:"compressed"`   // echoes that came compressed
	Errors     int64   `json:"errors"`       // failed connections
	FirstError string  `json:"first_error,omitempty"`

	ServerCPUus       float64 `json:"server_cpu_us,omitempty"`         // server CPU time in the window, in µs
	ServerCPUPerMsgUs float64 `json:"server_cpu_per_msg_us,omitempty"` // ServerCPUus / Messages
	LoadCPUPercent    float64 `json:"load_cpu_pct"`                    // load generator's CPU use in the window
}

// maxDrain bounds the wait for the echoes still in flight at the end of
// the window, and for the closing handshakes.
const maxDrain = 10 * time.Second

// Run runs the load of cfg. It returns the result and, if a connection
// failed or an echo differed from what was sent, the first error; the
// run stops at the first error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.check(); err != nil {
		return Result{}, err
	}
	payload := NewBinaryPayload(cfg.Size)
	if cfg.JSON {
		payload = NewJSONPayload()
	}
	var z *deflater
	if cfg.Deflate {
		z = newDeflater(payload)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var fails failures
	fail := func(err error) {
		if fails.add(err) {
			cancel()
		}
	}

	sess, err := newSession(ctx, cfg.Transport, cfg.URL, wsclient.Options{Deflate: cfg.Deflate, Origin: Origin})
	if err != nil {
		return Result{Errors: 1, FirstError: err.Error()}, err
	}
	defer sess.Close() // after the WebSockets' closing handshakes
	conns, err := dialAll(ctx, sess, cfg.URL, cfg.Conns)
	if err != nil {
		return Result{Errors: 1, FirstError: err.Error()}, err
	}
	// Cancelling closes every connection, which ends their reads and
	// writes at once.
	stopAborting := context.AfterFunc(ctx, func() {
		for _, c := range conns {
			c.Abort()
		}
	})
	defer stopAborting()

	start := time.Now()
	w := window{start: start, from: cfg.Warmup, to: cfg.Warmup + cfg.Duration, count: cfg.Count}
	if cfg.Count > 0 {
		w.from, w.to = 0, 1<<62
	}
	workers := make([]*worker, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		workers[i] = newWorker(i, c, payload, z, cfg.Inflight, &w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := workers[i].run(); err != nil {
				fail(err)
			}
		}()
	}
	var usage cpuUsage // none in count mode, which has no window
	if cfg.Count == 0 {
		usage = measureCPU(ctx, start, w.from, w.to, cfg.ServerPID)
		// A server that stops echoing would hold the readers forever.
		watchdog := time.AfterFunc(w.to+2*maxDrain, func() {
			fail(fmt.Errorf("load: echoes or close frames still missing %v after the window", 2*maxDrain))
		})
		defer watchdog.Stop()
	}
	wg.Wait()
	end := time.Now()
	if cfg.Count > 0 {
		w.to = end.Sub(start)
	}

	var res Result
	var hist histogram
	for _, wk := range workers {
		res.Messages += wk.measured
		res.Verified += wk.verified
		res.Compressed += wk.c.CompressedRead()
		hist.merge(&wk.hist)
	}
	res.Seconds = (w.to - w.from).Seconds()
	res.MsgsPerSec = float64(res.Messages) / res.Seconds
	res.P50us = micros(hist.quantile(0.50))
	res.P99us = micros(hist.quantile(0.99))
	if usage != nil {
		if u := <-usage; u.err != nil {
			fail(u.err)
		} else if u.ok {
			res.LoadCPUPercent = 100 * u.self.Seconds() / res.Seconds
			if cfg.ServerPID > 0 && res.Messages > 0 {
				res.ServerCPUus = micros(u.server)
				res.ServerCPUPerMsgUs = res.ServerCPUus / float64(res.Messages)
			}
		}
	}
	err = fails.first()
	res.Errors = fails.count()
	if err != nil {
		res.FirstError = err.Error()
	}
	return res, err
}

// check reports what is wrong with cfg.
func (cfg *Config) check() error {
	switch {
	case cfg.Conns < 1:
		return errors.New("load: need at least one connection")
	case cfg.Inflight < 1:
		return errors.New("load: need at least one message in flight")
	case !cfg.JSON && cfg.Size < 1:
		return errors.New("load: message size must be positive")
	case cfg.Count <= 0 && cfg.Duration <= 0:
		return errors.New("load: need a duration or a count")
	case cfg.Warmup < 0:
		return errors.New("load: negative warm-up")
	}
	if _, err := transport.Parse(string(cfg.Transport.OrTCP())); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if want := cfg.Transport.OrTCP().Scheme(); u.Scheme != want {
		return fmt.Errorf("load: URL %q: a WebSocket over %s has a %s:// URL", cfg.URL, cfg.Transport.OrTCP().Describe(), want)
	}
	return nil
}

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// failures collects the errors of a run.
type failures struct {
	mu   sync.Mutex
	n    int64
	err0 error
}

// add counts err and reports whether it is the first.
func (f *failures) add(err error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.err0 == nil {
		f.err0 = err
		return true
	}
	return false
}

func (f *failures) count() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *failures) first() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err0
}
