package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests run the command as users do: built once per test run, started
// as a process with its standard streams piped, against servers and
// clients on 127.0.0.1. They wait for lines and events, each wait bounded
// by waitTimeout, never for fixed times.

// waitTimeout bounds each wait for an output line or an exit. It is
// generous: the race detector and a busy machine slow everything down.
const waitTimeout = 30 * time.Second

// binary is the path of the command built for this test run.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wsconn-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "wsconn")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race") // the command's own races fail the tests too
	}
	// go test puts its own toolchain's bin first on PATH.
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building wsconn:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lines collects what a process writes to one stream, line by line, and
// lets tests wait for a line.
type lines struct {
	mu      sync.Mutex
	done    []string
	partial []byte
	changed chan struct{} // closed and replaced at each new line
	closed  bool          // the stream ended
}

func newLines() *lines { return &lines{changed: make(chan struct{})} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	grew := false
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.done = append(l.done, strings.TrimSuffix(string(l.partial[:i]), "\r"))
		l.partial = l.partial[i+1:]
		grew = true
	}
	if grew {
		close(l.changed)
		l.changed = make(chan struct{})
	}
	return len(p), nil
}

// end marks the end of the stream: a partial last line becomes a line.
func (l *lines) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.done = append(l.done, string(l.partial))
		l.partial = nil
	}
	l.closed = true
	close(l.changed)
	l.changed = make(chan struct{})
}

// all returns the lines so far.
func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.done...)
}

func (l *lines) String() string { return strings.Join(l.all(), "\n") }

// waitFor waits until a line satisfies ok and returns it; it fails the test
// after waitTimeout or at the end of the stream.
func (l *lines) waitFor(t *testing.T, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	seen := 0
	for {
		l.mu.Lock()
		for ; seen < len(l.done); seen++ {
			if ok(l.done[seen]) {
				line := l.done[seen]
				l.mu.Unlock()
				return line
			}
		}
		changed, closed := l.changed, l.closed
		l.mu.Unlock()
		if closed {
			t.Fatalf("the stream ended without %s; it had:\n%s", what, l)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %s within %v; so far:\n%s", what, waitTimeout, l)
		}
	}
}

// waitLine waits for a line equal to want.
func (l *lines) waitLine(t *testing.T, want string) {
	t.Helper()
	l.waitFor(t, fmt.Sprintf("line %q", want), func(s string) bool { return s == want })
}

// waitContains waits for a line that contains sub and returns it.
func (l *lines) waitContains(t *testing.T, sub string) string {
	t.Helper()
	return l.waitFor(t, fmt.Sprintf("line containing %q", sub), func(s string) bool { return strings.Contains(s, sub) })
}

// proc is the command running as a process.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *lines
	stderr *lines
	exited chan struct{}
	status int
}

// wsconnCmd returns the command that runs wsconn with args.
func wsconnCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	// A program built with the race detector waits a second before it
	// exits, by default, for reports to be written; the tests would spend
	// most of their time there. A race still fails the test: the program
	// then exits with status 66.
	cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// start runs the command with args, its standard streams piped.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startCmd(t, wsconnCmd(args...))
}

// startCmd starts cmd with its standard streams piped.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, cmd: cmd, stdout: newLines(), stderr: newLines(), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		p.stdout.end()
		p.stderr.end()
		p.status = p.cmd.ProcessState.ExitCode() // -1 when killed by a signal
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s\nstdout:\n%s\nstderr:\n%s", strings.Join(cmd.Args, " "), p.stdout, p.stderr)
		}
	})
	return p
}

// send writes line and a newline to the process's standard input.
func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("writing to standard input: %v", err)
	}
}

// wait waits for the process to exit and returns its exit status.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
		return p.status
	case <-time.After(waitTimeout):
		p.t.Fatalf("wsconn did not exit within %v", waitTimeout)
		return -1
	}
}

// runWsconn runs the command with args and input as its standard input,
// and returns its exit status, standard output and standard error.
func runWsconn(t *testing.T, input string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	p := start(t, args...)
	io.WriteString(p.stdin, input)
	p.stdin.Close()
	status = p.wait()
	return status, p.stdout.String(), p.stderr.String()
}

// wantStatus fails the test unless status is want.
func wantStatus(t *testing.T, status, want int, stderr string) {
	t.Helper()
	if status != want {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", status, want, stderr)
	}
}
