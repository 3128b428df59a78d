package benchmarks_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/benchmarks/internal/load"
	"github.com/wsconn/wsconn/benchmarks/internal/servers"
)

// runTimeout bounds each load run of the smoke test.
const runTimeout = 30 * time.Second

// serve starts the echo server of lib on a free loopback port and returns
// its URL; the server stops when the test ends.
func serve(t *testing.T, lib string) string {
	t.Helper()
	srv, err := servers.New(lib, servers.Config{Deflate: lib != servers.RawTCP})
	if err != nil {
		t.Fatal(err)
	}
	return serveWith(t, srv, servers.Scheme(lib))
}

// serveWith serves srv on a free loopback port and returns its URL.
func serveWith(t *testing.T, srv servers.Server, scheme string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing the server: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(runTimeout):
			t.Errorf("Serve did not return within %v of Close", runTimeout)
		}
	})
	return scheme + "://" + ln.Addr().String() + "/"
}

// run runs the load of cfg against url and checks that every message was
// echoed and verified.
func run(t *testing.T, url string, cfg load.Config) {
	t.Helper()
	cfg.URL = url
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res, err := load.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := int64(cfg.Conns * cfg.Count)
	if res.Errors != 0 || res.Verified != want || res.Messages != want {
		t.Fatalf("load: %d errors, %d echoes verified and %d measured; want 0, %d, %d", res.Errors, res.Verified, res.Messages, want, want)
	}
	if cfg.Deflate && cfg.JSON && res.Compressed != want { // random data may go uncompressed
		t.Errorf("load: %d of the %d echoes came compressed", res.Compressed, want)
	}
	if res.P50us <= 0 || res.P99us < res.P50us {
		t.Errorf("latencies p50 %v µs, p99 %v µs", res.P50us, res.P99us)
	}
}

// TestEcho runs every library's server against the load generator with
// every message size of the workloads, and with permessage-deflate, and
// checks that every echo came back intact. 1 MiB messages are fewer, so
// that the test stays well under a minute with -race on two loaded cores.
func TestEcho(t *testing.T) {
	loads := []struct {
		name string
		cfg  load.Config
	}{
		{"16B", load.Config{Conns: 2, Inflight: 8, Size: 16, Count: 300}},
		{"1KiB", load.Config{Conns: 2, Inflight: 4, Size: 1 << 10, Count: 300}},
		{"64KiB", load.Config{Conns: 2, Inflight: 2, Size: 64 << 10, Count: 200}},
		{"1MiB", load.Config{Conns: 1, Inflight: 2, Size: 1 << 20, Count: 40}},
		{"json-deflate", load.Config{Conns: 2, Inflight: 4, JSON: true, Deflate: true, Count: 300}},
		{"64KiB-deflate", load.Config{Conns: 1, Inflight: 2, Size: 64 << 10, Deflate: true, Count: 100}},
	}
	for _, lib := range servers.Libraries {
		t.Run(lib, func(t *testing.T) {
			url := serve(t, lib)
			for _, l := range loads {
				t.Run(l.name, func(t *testing.T) { run(t, url, l.cfg) })
			}
		})
	}
}

// TestIdle opens idle connections to every server, the plain TCP one
// included.
func TestIdle(t *testing.T) {
	for _, lib := range append(servers.Libraries, servers.RawTCP) {
		t.Run(lib, func(t *testing.T) {
			url := serve(t, lib)
			ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
			defer cancel()
			conns, err := load.Idle(ctx, url, 50)
			if err != nil {
				t.Fatal(err)
			}
			load.CloseAll(conns)
		})
	}
}

// corrupter is an echo server that flips the last byte of every echo.
type corrupter struct{ srv *http.Server }

func (c *corrupter) Serve(ln net.Listener) error {
	if err := c.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (c *corrupter) Close() error { return c.srv.Close() }

// TestCorruptEchoFails checks that the load generator fails a run when an
// echo differs from what was sent.
func TestCorruptEchoFails(t *testing.T) {
	h := wsconn.Handler(&wsconn.AcceptOptions{InsecureSkipOriginCheck: true}, func(c *wsconn.WebsocketConnection, _ *http.Request) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			bad := bytes.Clone(data)
			bad[len(bad)-1] ^= 1
			c.SendMessage(typ, bad)
		})
	})
	url := serveWith(t, &corrupter{srv: &http.Server{Handler: h}}, "ws")
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	res, err := load.Run(ctx, load.Config{URL: url, Conns: 1, Inflight: 1, Size: 64, Count: 10})
	if err == nil || !strings.Contains(err.Error(), "differs from what was sent at byte 63") {
		t.Fatalf("load.Run = %v; want an error about byte 63", err)
	}
	if res.Errors == 0 || res.FirstError == "" {
		t.Errorf("result %+v reports no error", res)
	}
}
