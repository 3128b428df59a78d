package examples_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/internal/echotest"
)

func TestEchoPrograms(t *testing.T) {
	server, client := echotest.Build(t, false)
	srv := echotest.StartServer(t, server)
	url, stop := srv.URL, srv.Stop
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	summary := regexp.MustCompile(`^echoed ([0-9]+) messages of ([0-9]+) bytes: ([0-9]+) matched, 0 mismatched in [0-9.]+[µnm]?s( with permessage-deflate)?\n$`)
	tests := []struct {
		name        string
		args        []string
		count, size int
	}{
		{"text", []string{"-count", "50", "-size", "1000"}, 50, 1000},
		{"binary", []string{"-count", "50", "-size", "1000", "-binary"}, 50, 1000},
		{"defaults", nil, 100, 1024},
		{"empty messages", []string{"-count", "3", "-size", "0"}, 3, 0},
		{"text of 1 MiB", []string{"-count", "4", "-size", strconv.Itoa(1 << 20)}, 4, 1 << 20},
		{"binary of 1 MiB", []string{"-count", "4", "-size", strconv.Itoa(1 << 20), "-binary"}, 4, 1 << 20},
		{"deflate text", []string{"-count", "20", "-size", "1000", "-deflate"}, 20, 1000},
		{"deflate binary of 1 MiB", []string{"-count", "4", "-size", strconv.Itoa(1 << 20), "-binary", "-deflate"}, 4, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(client, append([]string{"-url", url + "some/path"}, tt.args...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("echoclient: %v; stderr: %s", err, stderr.String())
			}
			m := summary.FindStringSubmatch(stdout.String())
			if m == nil {
				t.Fatalf("output %q is not a summary line", stdout.String())
			}
			want := []string{strconv.Itoa(tt.count), strconv.Itoa(tt.size), strconv.Itoa(tt.count)}
			if got := m[1:4]; !equal(got, want) {
				t.Errorf("summary numbers %v, want %v", got, want)
			}
			deflate := strings.Contains(strings.Join(tt.args, " "), "-deflate")
			if negotiated := m[4] != ""; negotiated != deflate {
				t.Errorf("permessage-deflate negotiated: %v, want %v", negotiated, deflate)
			}
		})
	}

	t.Run("failure exits non-zero", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		cmd := exec.Command(client, "-url", "ws://"+ln.Addr().String()+"/")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("echoclient against a closed port: %v, want exit status 1", err)
		}
		if !strings.Contains(stderr.String(), "connection refused") {
			t.Errorf("stderr %q does not say why", stderr.String())
		}
	})

	t.Run("SIGTERM closes connections with 1001", func(t *testing.T) {
		// A connection stays open while the server stops.
		ctx, cancel := context.WithTimeout(context.Background(), echotest.Wait)
		defer cancel()
		c, _, err := wsconn.Dial(ctx, url, &wsconn.DialOptions{Protocols: []string{"b", "a"}})
		if err != nil {
			t.Fatal(err)
		}
		closed := make(chan struct{})
		c.OnClosed(func() { close(closed) })
		if got := c.Protocol(); got != "b" {
			t.Errorf("protocol %q, want the first offered, %q", got, "b")
		}
		stopped = true
		if err := stop(); err != nil {
			t.Fatalf("echoserver after SIGTERM: %v", err)
		}
		select {
		case <-closed:
		case <-time.After(echotest.Wait):
			t.Fatal("the connection did not close")
		}
		if st := c.CloseStatus(); st.Code != wsconn.CloseGoingAway || !st.Clean {
			t.Errorf("close status %+v, want a clean close with 1001", st)
		}
	})
}

func equal(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// fuzzingServer is a tiny Autobahn fuzzing server with two cases: each
// sends a message, checks its echo, and closes.
type fuzzingServer struct {
	mu      sync.Mutex
	results []string // what happened, in order
}

func (f *fuzzingServer) record(s string) {
	f.mu.Lock()
	f.results = append(f.results, s)
	f.mu.Unlock()
}

func (f *fuzzingServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/getCaseCount", wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		c.SendText("2")
		c.Close(wsconn.CloseNormal, "")
	}))
	mux.Handle("/runCase", wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		q := r.URL.Query()
		name := "case " + q.Get("case") + " agent " + q.Get("agent")
		want := []struct {
			typ  wsconn.DataType
			data []byte
		}{
			{wsconn.DataText, []byte("text of " + name + " ☃")},
			{wsconn.DataBinary, []byte{0, 1, 2, 0xfe, 0xff}},
		}
		got := 0
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			if got >= len(want) || typ != want[got].typ || !bytes.Equal(data, want[got].data) {
				f.record(name + ": bad echo")
				c.Close(wsconn.ClosePolicyViolation, "bad echo")
				return
			}
			if got++; got == len(want) {
				f.record(name + ": ok")
				c.Close(wsconn.CloseNormal, "")
			}
		})
		for _, m := range want {
			c.SendMessage(m.typ, m.data)
		}
	}))
	mux.Handle("/updateReports", wsconn.Handler(nil, func(c *wsconn.WebsocketConnection, r *http.Request) {
		f.record("reports for " + r.URL.Query().Get("agent"))
		c.Close(wsconn.CloseNormal, "")
	}))
	return mux
}

func TestEchoClientAutobahn(t *testing.T) {
	_, client := echotest.Build(t, false)
	f := &fuzzingServer{}
	srv := httptest.NewServer(f.handler())
	defer srv.Close()

	cmd := exec.Command(client, "-autobahn", "ws://"+srv.Listener.Addr().String(), "-agent", "test agent")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("echoclient -autobahn: %v; stderr: %s", err, stderr.String())
	}
	want := []string{"case 1 agent test agent: ok", "case 2 agent test agent: ok", "reports for test agent"}
	f.mu.Lock()
	got := f.results
	f.mu.Unlock()
	if !equal(got, want) {
		t.Errorf("the fuzzing server saw %q, want %q", got, want)
	}
	if !strings.Contains(stdout.String(), "ran 2 cases") {
		t.Errorf("output %q", stdout.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}
