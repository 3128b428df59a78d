package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// TestRun checks the lines the server prints, its /stats and that it
// returns once its context is done, over TCP and over HTTP/3 (on UDP).
func TestRun(t *testing.T) {
	for _, c := range []struct {
		lib    string
		t      transport.Transport
		prefix string
	}{
		{"gws", transport.TCP, "listening on ws://127.0.0.1:"},
		{"wsconn", transport.H3, "listening on wss://127.0.0.1:"},
	} {
		t.Run(string(c.t), func(t *testing.T) { testRun(t, c.lib, servers.Config{Deflate: true, Transport: c.t}, c.prefix) })
	}
	t.Run("fanout", func(t *testing.T) {
		testRun(t, "wsconn", servers.Config{Deflate: true, Fanout: &servers.Fanout{}}, "listening on ws://127.0.0.1:")
	})
}

func TestParseMode(t *testing.T) {
	for _, c := range []struct {
		mode           string
		fanout, direct bool
		ok             bool
	}{
		{"echo", false, false, true},
		{"fanout", true, false, true},
		{"fanout-direct", true, true, true},
		{"broadcast", false, false, false},
	} {
		f, err := parseMode(c.mode)
		if (err == nil) != c.ok || (f != nil) != c.fanout || (f != nil && f.Direct != c.direct) {
			t.Errorf("parseMode(%q) = %+v, %v", c.mode, f, err)
		}
	}
}

func testRun(t *testing.T, lib string, cfg servers.Config, prefix string) {
	const timeout = 10 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, lib, "127.0.0.1:0", "127.0.0.1:0", cfg, nil, pw)
		pw.Close()
		done <- err
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var statsURL string
	for got := 0; got < 2; got++ {
		select {
		case line := <-lines:
			switch {
			case strings.HasPrefix(line, "stats on http://") && got == 0:
				statsURL = strings.TrimPrefix(line, "stats on ")
			case strings.HasPrefix(line, prefix) && got == 1:
			default:
				t.Fatalf("line %d: %q", got+1, line)
			}
		case <-time.After(timeout):
			t.Fatal("the server did not print its addresses")
		}
	}

	resp, err := (&http.Client{Timeout: timeout}).Get(statsURL)
	if err != nil {
		t.Fatal(err)
	}
	var st servers.Stats
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil || st.Lib != lib || st.Goroutines < 1 || st.Threads < 1 {
		t.Errorf("stats %+v, %v", st, err)
	}
	if (st.Fanout != nil) != (cfg.Fanout != nil) {
		t.Errorf("stats %+v: fan-out figures %v, fan-out server %v", st, st.Fanout != nil, cfg.Fanout != nil)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(timeout):
		t.Fatal("run did not return after its context was done")
	}
}
