package benchmarks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/benchmarks/internal/load"
	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/hubnats"
)

// TestFanoutNATS runs the fan-out across processes in one: three of
// wsconn's fan-out servers, each with a hub whose broker is hubnats over
// a connection of its own to a NATS server run in the test, 10
// subscribers on each and 5 messages published on the first; it checks
// that every subscriber of every server received every message whole, in
// order and with the publish time it was stamped with, that the latency
// of each delivery was measured, that only the first server published,
// and that no server reported a broker error. Once with the JSON document
// back to back, once with it compressed (permessage-deflate), once with
// binary messages one every 5 ms.
func TestFanoutNATS(t *testing.T) {
	const perServer, messages = 10, 5
	for _, c := range []struct {
		name string
		cfg  load.FanoutConfig
	}{
		{"json", load.FanoutConfig{JSON: true}},
		{"json-deflate", load.FanoutConfig{JSON: true, Deflate: true}},
		{"binary-paced", load.FanoutConfig{Size: 64, Interval: 5 * time.Millisecond}},
	} {
		t.Run(c.name, func(t *testing.T) {
			natsURL := startNATS(t)
			var errs brokerErrors
			var fanouts []*servers.Fanout
			var urls []string
			for range 3 {
				nc, err := nats.Connect(natsURL, nats.NoReconnect())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(nc.Close) // after the server's
				f := &servers.Fanout{Broker: hubnats.New(nc, &hubnats.Options{Prefix: "wsconn.bench.", OnError: errs.add})}
				fanouts = append(fanouts, f)
				urls = append(urls, startServer(t, "wsconn", servers.Config{Deflate: c.cfg.Deflate, Fanout: f}))
			}
			cfg := c.cfg
			cfg.URL, cfg.Peers = urls[0], urls[1:]
			cfg.Subscribers, cfg.Messages, cfg.Latency = len(urls)*perServer, messages, true
			ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
			defer cancel()
			res, err := load.Fanout(ctx, cfg)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			t.Logf("%d deliveries over %d servers at %.0f/s, latency p50 %.0f µs, p99 %.0f µs",
				res.Delivered, res.Servers, res.MsgsPerSec, res.P50us, res.P99us)
			want := int64(cfg.Subscribers * messages)
			if res.Errors != 0 || res.Delivered != want || res.Servers != len(urls) || res.MsgsPerSec <= 0 {
				t.Fatalf("load: %d errors, %d messages delivered over %d servers at %.0f/s; want 0, %d over %d",
					res.Errors, res.Delivered, res.Servers, res.MsgsPerSec, want, len(urls))
			}
			if res.P50us <= 0 || res.P99us < res.P50us {
				t.Errorf("latency p50 %v µs, p99 %v µs", res.P50us, res.P99us)
			}
			if cfg.Interval > 0 && res.Seconds < (messages-1)*cfg.Interval.Seconds() {
				t.Errorf("%d messages one every %v were all delivered in %.3f s", messages, cfg.Interval, res.Seconds)
			}
			if cfg.Deflate && res.Compressed != want {
				t.Errorf("%d of the %d deliveries came compressed", res.Compressed, want)
			}
			for i, f := range fanouts {
				if p := f.Stats().Published; (i == 0 && p != messages) || (i > 0 && p != 0) {
					t.Errorf("server %d published %d messages", i, p)
				}
			}
			for _, f := range fanouts {
				waitLeft(t, f)
			}
			if err := errs.first(); err != nil {
				t.Errorf("broker: %v", err)
			}
		})
	}
}

// TestFanoutBrokerRefused checks that only wsconn's fan-out server with
// its hub takes a broker.
func TestFanoutBrokerRefused(t *testing.T) {
	var b nopBroker
	for _, c := range []struct {
		lib string
		f   *servers.Fanout
	}{
		{"gorilla", &servers.Fanout{Broker: b}},
		{"wsconn", &servers.Fanout{Broker: b, Direct: true}},
	} {
		if srv, err := servers.Start(c.lib, "127.0.0.1:0", servers.Config{Fanout: c.f}); err == nil {
			srv.Close()
			t.Errorf("%s (direct %v) took a broker", c.lib, c.f.Direct)
		}
	}
}

// nopBroker is a hub.Broker that carries nothing.
type nopBroker struct{}

func (nopBroker) Publish(string, wsconn.DataType, []byte) error { return nil }

func (nopBroker) Subscribe(string, func(wsconn.DataType, []byte)) (func() error, error) {
	return func() error { return nil }, nil
}

// startNATS runs a NATS server in the test process on a free loopback
// port until the test ends, and returns its URL.
func startNATS(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(runTimeout) {
		t.Fatalf("the NATS server was not ready within %v", runTimeout)
	}
	return ns.ClientURL()
}

// brokerErrors keeps the errors that the brokers report.
type brokerErrors struct {
	mu   sync.Mutex
	errs []error
}

func (b *brokerErrors) add(err error) {
	b.mu.Lock()
	b.errs = append(b.errs, err)
	b.mu.Unlock()
}

func (b *brokerErrors) first() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errs) == 0 {
		return nil
	}
	return b.errs[0]
}
