package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/wsconn/wsconn/benchmarks/internal/servers"
)

// TestRunNATS serves wsconn's fan-out with a hub over NATS, then stops
// the NATS server: the echoserver must stop with an error, its run being
// void, rather than serve on without the other servers' messages.
func TestRunNATS(t *testing.T) {
	const timeout = 10 * time.Second
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(timeout) {
		t.Fatal("the NATS server did not start")
	}
	link, err := connectNATS(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer link.close()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cfg := servers.Config{Fanout: &servers.Fanout{Broker: link.broker}}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, "wsconn", "127.0.0.1:0", "127.0.0.1:0", cfg, link.failed, pw)
		pw.Close()
	}()
	// The two lines: the stats address, then the WebSocket one.
	buf := make([]byte, 256)
	var out strings.Builder
	for strings.Count(out.String(), "\n") < 2 {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("reading the server's lines: %v (got %q)", err, out.String())
		}
		out.Write(buf[:n])
	}
	go io.Copy(io.Discard, pr)
	if !strings.Contains(out.String(), "listening on ws://127.0.0.1:") {
		t.Fatalf("lines %q", out.String())
	}

	ns.Shutdown()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "nats") {
			t.Errorf("run returned %v once NATS was gone; want the link's error", err)
		}
	case <-ctx.Done():
		t.Fatal("the server still ran after NATS was gone")
	}
}

// TestConnectNATSFails checks that a server whose NATS cannot be reached
// does not start.
func TestConnectNATSFails(t *testing.T) {
	if l, err := connectNATS("nats://127.0.0.1:1"); err == nil {
		l.close()
		t.Fatal("connected to nothing")
	}
}
