//go:build linux

package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timing of the chat program in TestChat.
const (
	chatStartTimeout = 60 * time.Second // its "listening on" line
	chatStopTimeout  = 30 * time.Second // its exit after SIGTERM
)

// A chatServer is a running examples/chat.
type chatServer struct {
	addr   string // 127.0.0.1:PORT of its "listening on" line
	cmd    *exec.Cmd
	stderr *tail
	exited chan struct{}
	err    error // how it ended; read after exited
	once   sync.Once
	stop   error
}

var chatListening = regexp.MustCompile(`^listening on http://(127\.0\.0\.1:[0-9]+)/$`)

// startChat runs the chat program at path on a free loopback port with
// args and waits until it listens. It is stopped when the test ends.
func startChat(t *testing.T, path string, args ...string) *chatServer {
	t.Helper()
	s := &chatServer{stderr: &tail{max: 64 << 10}, exited: make(chan struct{})}
	s.cmd = exec.Command(path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	s.cmd.Env = agentEnv()
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		for sc.Scan() {
		}
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.Stop() })
	select {
	case line := <-first:
		m := chatListening.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("chat printed %q, want \"listening on http://127.0.0.1:PORT/\"", line)
		}
		s.addr = m[1]
		return s
	case <-s.exited:
		t.Fatalf("chat exited: %v; stderr:\n%s", s.err, s.stderr)
	case <-time.After(chatStartTimeout):
		t.Fatalf("chat printed nothing in %v; stderr:\n%s", chatStartTimeout, s.stderr)
	}
	return nil
}

// Stop sends SIGTERM and returns an error unless the server exits 0 in
// time without reporting a data race. Later calls return the same.
func (s *chatServer) Stop() error {
	s.once.Do(func() {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
			if s.err != nil {
				s.stop = fmt.Errorf("chat: %v after SIGTERM; stderr:\n%s", s.err, s.stderr)
			}
		case <-time.After(chatStopTimeout):
			s.cmd.Process.Kill()
			<-s.exited
			s.stop = fmt.Errorf("chat did not exit in %v after SIGTERM; stderr:\n%s", chatStopTimeout, s.stderr)
		}
		if s.stop == nil && strings.Contains(s.stderr.String(), "DATA RACE") {
			s.stop = fmt.Errorf("chat: data race:\n%s", s.stderr)
		}
	})
	return s.stop
}

// chatHubStats are the figures of the chat server's hub that TestChat
// waits on, from expvar "hub" at /debug/vars.
type chatHubStats struct {
	Connections int // connections in a room
	Topics      int // rooms with a connection
}

// waitHub polls the server's hub figures until ok holds of them.
func (s *chatServer) waitHub(ctx context.Context, what string, ok func(chatHubStats) bool) error {
	var last chatHubStats
	for {
		var vars struct {
			Hub chatHubStats `json:"hub"`
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.addr+"/debug/vars", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("chat: GET /debug/vars: %w (waiting for %s; last %+v)", err, what, last)
		}
		err = json.NewDecoder(resp.Body).Decode(&vars)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("chat: GET /debug/vars: %w", err)
		}
		if last = vars.Hub; ok(last) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("chat: not %s: %w (last %+v)", what, context.Cause(ctx), last)
		case <-time.After(10 * time.Millisecond): // a poll, bounded by ctx
		}
	}
}
