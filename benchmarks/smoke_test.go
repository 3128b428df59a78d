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
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// runTimeout bounds each load run of the smoke test.
const runTimeout = 30 * time.Second

// serve starts the echo server of lib over tr on a free loopback port
// and returns its URL; the server stops when the test ends.
func serve(t *testing.T, lib string, tr transport.Transport) string {
	t.Helper()
	srv, err := servers.Start(lib, "127.0.0.1:0", servers.Config{Deflate: lib != servers.RawTCP, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		closed := make(chan error, 1)
		go func() { closed <- srv.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("closing the server: %v", err)
			}
		case <-time.After(runTimeout):
			t.Errorf("the server did not stop within %v of Close", runTimeout)
		}
	})
	return srv.URL
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

// run runs the load of cfg against url, over cfg.Transport, and checks
// that every message was echoed and verified.
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
			url := serve(t, lib, transport.TCP)
			for _, l := range loads {
				t.Run(l.name, func(t *testing.T) { run(t, url, l.cfg) })
			}
		})
	}
}

// TestTransports runs wsconn's server over HTTP/1.1 in TLS, HTTP/2 and
// HTTP/3 against the load generator, with a few messages of every size
// and permessage-deflate once: over HTTP/2 and HTTP/3 the connections of
// each load are streams of one connection.
func TestTransports(t *testing.T) {
	loads := []struct {
		name string
		cfg  load.Config
	}{
		{"16B", load.Config{Conns: 3, Inflight: 4, Size: 16, Count: 40}},
		{"1KiB", load.Config{Conns: 2, Inflight: 2, Size: 1 << 10, Count: 20}},
		{"64KiB", load.Config{Conns: 2, Inflight: 2, Size: 64 << 10, Count: 10}},
		{"1MiB", load.Config{Conns: 1, Inflight: 2, Size: 1 << 20, Count: 4}},
		{"json-deflate", load.Config{Conns: 2, Inflight: 2, JSON: true, Deflate: true, Count: 20}},
	}
	for _, tr := range []transport.Transport{transport.TLS, transport.H2, transport.H3} {
		t.Run(string(tr), func(t *testing.T) {
			url := serve(t, "wsconn", tr)
			for _, l := range loads {
				l.cfg.Transport = tr
				t.Run(l.name, func(t *testing.T) { run(t, url, l.cfg) })
			}
		})
	}
}

// TestTLSLibraries runs the other libraries' servers over HTTP/1.1 in TLS
// briefly, with and without permessage-deflate.
func TestTLSLibraries(t *testing.T) {
	for _, lib := range servers.Libraries[1:] {
		t.Run(lib, func(t *testing.T) {
			url := serve(t, lib, transport.TLS)
			run(t, url, load.Config{Transport: transport.TLS, Conns: 2, Inflight: 2, Size: 1 << 10, Count: 20})
			run(t, url, load.Config{Transport: transport.TLS, Conns: 1, Inflight: 2, JSON: true, Deflate: true, Count: 20})
		})
	}
}

// TestServersRefuse checks that only wsconn serves over HTTP/2 and HTTP/3,
// and rawtcp over plain TCP only.
func TestServersRefuse(t *testing.T) {
	for _, c := range []struct {
		lib string
		tr  transport.Transport
	}{{"gorilla", transport.H2}, {"gws", transport.H3}, {servers.RawTCP, transport.TLS}} {
		if srv, err := servers.Start(c.lib, "127.0.0.1:0", servers.Config{Transport: c.tr}); err == nil {
			srv.Close()
			t.Errorf("%s started over %s", c.lib, c.tr)
		}
	}
}

// TestIdle opens idle connections to every server, the plain TCP one
// included, and to wsconn's over TLS.
func TestIdle(t *testing.T) {
	idle := func(t *testing.T, lib string, tr transport.Transport) {
		url := serve(t, lib, tr)
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		defer cancel()
		conns, err := load.Idle(ctx, url, 50)
		if err != nil {
			t.Fatal(err)
		}
		load.CloseAll(conns)
	}
	for _, lib := range append(servers.Libraries, servers.RawTCP) {
		t.Run(lib, func(t *testing.T) { idle(t, lib, transport.TCP) })
	}
	t.Run("wsconn-tls", func(t *testing.T) { idle(t, "wsconn", transport.TLS) })
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
