package benchmarks_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
	"github.com/wsconn/wsconn/benchmarks/internal/load"
	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/extensions"
)

// TestFanout runs every library's fan-out server, and wsconn's without
// package hub, with a small fan-out, with and without
// permessage-deflate, and checks that every subscriber received every
// message whole and in order, compressed with permessage-deflate; that
// wsconn and gobwas compressed each message once for all the
// subscribers; and that the subscribers leave once closed.
func TestFanout(t *testing.T) {
	const subscribers, messages = 20, 5
	type server struct {
		name, lib string
		direct    bool
	}
	var all []server
	for _, lib := range servers.Libraries {
		all = append(all, server{lib, lib, false})
	}
	all = append(all, server{"wsconn-direct", "wsconn", true})
	for _, s := range all {
		for _, deflate := range []bool{false, true} {
			name := s.name
			if deflate {
				name += "-deflate"
			}
			t.Run(name, func(t *testing.T) {
				f := &servers.Fanout{Direct: s.direct}
				url := startServer(t, s.lib, servers.Config{Deflate: deflate, Fanout: f})
				ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
				defer cancel()
				res, err := load.Fanout(ctx, load.FanoutConfig{
					URL: url, Subscribers: subscribers, Messages: messages, JSON: true, Deflate: deflate,
				})
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				const want = subscribers * messages
				if res.Errors != 0 || res.Delivered != want || res.MsgsPerSec <= 0 {
					t.Fatalf("load: %d errors, %d messages delivered at %.0f/s; want 0, %d", res.Errors, res.Delivered, res.MsgsPerSec, want)
				}
				if deflate && res.Compressed != want {
					t.Errorf("load: %d of the %d messages came compressed", res.Compressed, want)
				}
				st := f.Stats()
				if st.Published != messages {
					t.Errorf("the server published %d messages; %d were sent", st.Published, messages)
				}
				if st.Counted && deflate && st.Compressions != messages {
					t.Errorf("the server compressed %d times for %d messages to %d subscribers; want once per message",
						st.Compressions, messages, subscribers)
				}
				if st.Counted != (s.lib == "wsconn" || s.lib == "gobwas") {
					t.Errorf("compressions counted %v", st.Counted)
				}
				waitLeft(t, f)
			})
		}
	}
}

// TestFanoutRefuses checks that the fan-out servers run over plain TCP
// only, and only wsconn's without a hub.
func TestFanoutRefuses(t *testing.T) {
	for _, c := range []struct {
		lib string
		cfg servers.Config
	}{
		{"gorilla", servers.Config{Fanout: &servers.Fanout{Direct: true}}},
		{"wsconn", servers.Config{Fanout: &servers.Fanout{}, Transport: "tls"}},
		{servers.RawTCP, servers.Config{Fanout: &servers.Fanout{}}},
	} {
		if srv, err := servers.Start(c.lib, "127.0.0.1:0", c.cfg); err == nil {
			srv.Close()
			t.Errorf("%s started with %+v", c.lib, c.cfg)
		}
	}
}

// startServer starts lib's server with cfg on a free loopback port and
// returns its URL; the server stops when the test ends.
func startServer(t *testing.T, lib string, cfg servers.Config) string {
	t.Helper()
	srv, err := servers.Start(lib, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("closing the server: %v", err)
		}
	})
	return srv.URL
}

// waitLeft waits until the subscribers, all closed, have left f's server.
func waitLeft(t *testing.T, f *servers.Fanout) {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for f.Stats().Subscribers != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscribers still joined %v after they closed", f.Stats().Subscribers, runTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFanoutCorruptFails checks that the load generator fails a fan-out
// when one subscriber receives a message that differs from what was
// published, compressed or not: compressed bytes unlike those another
// subscriber received are inflated and checked, not taken on trust.
func TestFanoutCorruptFails(t *testing.T) {
	const subscribers = 3
	for _, deflate := range []bool{false, true} {
		opts := &wsconn.AcceptOptions{InsecureSkipOriginCheck: true}
		if deflate {
			opts.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
		}
		var mu sync.Mutex
		var subs []*wsconn.WebsocketConnection
		count := func() int { mu.Lock(); defer mu.Unlock(); return len(subs) }
		h := wsconn.Handler(opts, func(c *wsconn.WebsocketConnection, r *http.Request) {
			if r.URL.Path != fanout.PublishPath {
				mu.Lock()
				subs = append(subs, c)
				mu.Unlock()
				return
			}
			// Publishes each message, one byte of the sequence number
			// changed for the last subscriber.
			c.OnMessage(func(typ wsconn.DataType, data []byte) {
				mu.Lock()
				defer mu.Unlock()
				for i, s := range subs {
					if i == len(subs)-1 {
						data = bytes.Clone(data)
						data[len(data)-3] ^= 1
					}
					s.SendMessage(typ, data)
				}
			})
			go func() {
				for count() < subscribers {
					time.Sleep(time.Millisecond)
				}
				c.SendMessage(wsconn.DataText, []byte(fanout.ReadyMessage))
			}()
		})
		url := serveWith(t, &corrupter{srv: &http.Server{Handler: h}}, "ws")
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		res, err := load.Fanout(ctx, load.FanoutConfig{URL: url, Subscribers: subscribers, Messages: 3, JSON: true, Deflate: deflate})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "differs from what was sent") {
			t.Fatalf("deflate %v: load.Fanout = %v; want an error about a message that differs", deflate, err)
		}
		if res.Errors == 0 || res.FirstError == "" {
			t.Errorf("deflate %v: result %+v reports no error", deflate, res)
		}
	}
}
