// Package echotest builds and runs the echo programs of examples/ for the
// tests that drive them (the examples' own test and the conformance suite).
package echotest

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// module is the module that holds the echo programs.
const module = "github.com/wsconn/wsconn"

// Wait bounds every wait for a program.
const Wait = 60 * time.Second

// Build builds examples/echoserver and examples/echoclient (see
// BuildExamples) and returns their paths. It skips t where the programs
// cannot be built or stopped with SIGTERM.
func Build(t testing.TB, race bool) (server, client string) {
	t.Helper()
	paths := BuildExamples(t, race, "echoserver", "echoclient")
	return paths[0], paths[1]
}

// BuildExamples builds the programs names of examples/, in the examples
// module beside the github.com/wsconn/wsconn module that the calling test
// uses, into a temporary directory, with the race detector when race is
// set, and returns their paths in the order of names. It skips t where
// the programs cannot be built or stopped with SIGTERM.
func BuildExamples(t testing.TB, race bool, names ...string) []string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("stopping the example programs needs SIGTERM")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	// Build in the examples' own module, beside wsconn's, with its go.mod
	// and go.sum, also for a test of another module (the conformance
	// suite's, which requires wsconn and replaces it with ../).
	list := exec.Command(goTool, "list", "-m", "-f", "{{.Dir}}", module)
	var stderr bytes.Buffer
	list.Stderr = &stderr
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v\n%s", module, err, stderr.Bytes())
	}
	moduleDir := strings.TrimSpace(string(out))
	if moduleDir == "" {
		t.Fatalf("go list -m %s: no directory", module)
	}
	examples := filepath.Join(moduleDir, "examples")
	dir := t.TempDir()
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = filepath.Join(dir, name)
		args := []string{"build", "-o", paths[i]}
		if race {
			args = append(args, "-race")
		}
		args = append(args, "./"+name)
		cmd := exec.Command(goTool, args...)
		cmd.Dir = examples
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), examples, err, out)
		}
	}
	return paths
}

// Server is a running echoserver.
type Server struct {
	// URL is the ws:// URL it printed in its "listening on" line.
	URL string

	cmd    *exec.Cmd
	args   []string
	stderr syncBuffer
	exited chan error
	once   sync.Once
	err    error
}

var listening = regexp.MustCompile(`^listening on (ws://127\.0\.0\.1:[0-9]+/)$`)

// StartServer runs echoserver on a free loopback port with extra args and
// waits for its "listening on ws://ADDR/" line.
func StartServer(t testing.TB, path string, args ...string) *Server {
	t.Helper()
	s := &Server{args: args, exited: make(chan error, 1)}
	s.cmd = exec.Command(path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stderr = &s.stderr
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
		s.exited <- s.cmd.Wait()
	}()
	select {
	case line := <-first:
		m := listening.FindStringSubmatch(line)
		if m == nil {
			s.Stop()
			t.Fatalf("echoserver printed %q, want \"listening on ws://127.0.0.1:PORT/\"", line)
		}
		s.URL = m[1]
		return s
	case err := <-s.exited:
		t.Fatalf("echoserver exited: %v; stderr: %s", err, s.stderr.String())
	case <-time.After(Wait):
		s.cmd.Process.Kill()
		<-s.exited
		t.Fatal("echoserver printed nothing")
	}
	return nil
}

// Stop sends SIGTERM and returns an error unless the server exits 0 in
// time without reporting a data race. Later calls return the same.
func (s *Server) Stop() error {
	s.once.Do(func() {
		name := strings.TrimSpace("echoserver " + strings.Join(s.args, " "))
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-s.exited:
			if err != nil {
				s.err = fmt.Errorf("%s: %v; stderr: %s", name, err, s.stderr.String())
			}
		case <-time.After(Wait):
			s.cmd.Process.Kill()
			<-s.exited
			s.err = fmt.Errorf("%s did not exit after SIGTERM", name)
		}
		if s.err == nil && strings.Contains(s.stderr.String(), "DATA RACE") {
			s.err = fmt.Errorf("%s: data race:\n%s", name, s.stderr.String())
		}
	})
	return s.err
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader on
// different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
