package examples_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wsconn/wsconn/internal/echotest"
)

// An echoProcess is a running echoserver whose output lines the test
// waits for. Unlike echotest.Server, it takes wss:// and keeps every line
// (such as those of -v).
type echoProcess struct {
	// URL is the URL of its "listening on" line: ws:// or wss://.
	URL string
	// Addr is the address in URL, 127.0.0.1:PORT.
	Addr string

	cmd      *exec.Cmd
	args     []string
	lines    *lineInbox
	stderr   *lockedBuffer
	exited   chan struct{}
	err      error // how the process ended; read after exited
	once     sync.Once
	stop     error
	explicit atomic.Bool // the test called Stop and saw its error
}

// acceptedLine matches every line of -v.
var acceptedLine = regexp.MustCompile(`^accepted (HTTP/[0-9.]+) (/.*)$`)

var listeningLine = regexp.MustCompile(`^listening on (wss?)://(127\.0\.0\.1:[0-9]+)/$`)

// startEcho runs the echoserver at path on a free loopback port with
// args, waits for its "listening on" line and stops it when the test
// ends.
func startEcho(t testing.TB, path string, args ...string) *echoProcess {
	t.Helper()
	p := &echoProcess{args: args, lines: newLineInbox(), stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(path, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines.put(sc.Text())
		}
		p.err = p.cmd.Wait()
		p.lines.close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.explicit.Load() {
			return
		}
		if err := p.terminate(); err != nil {
			t.Error(err)
		}
	})
	m, err := p.lines.take(listeningLine, echotest.Wait)
	if err != nil {
		t.Fatalf("echoserver %s: %v; stderr: %s", strings.Join(args, " "), err, p.stderr)
	}
	p.URL, p.Addr = m[1]+"://"+m[2]+"/", m[2]
	return p
}

// waitLine waits for an output line that re matches, which it takes, and
// returns its submatches.
func (p *echoProcess) waitLine(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	m, err := p.lines.take(re, echotest.Wait)
	if err != nil {
		t.Fatalf("echoserver %s: %v; stderr: %s", strings.Join(p.args, " "), err, p.stderr)
	}
	return m
}

// waitAccepted waits for the line "accepted PROTO PATH".
func (p *echoProcess) waitAccepted(t testing.TB, proto, path string) {
	t.Helper()
	p.waitLine(t, regexp.MustCompile("^accepted "+regexp.QuoteMeta(proto+" "+path)+"$"))
}

// Stop sends SIGTERM and returns an error unless the server exits 0 in
// time without reporting a data race. Later calls return the same.
func (p *echoProcess) Stop() error {
	p.explicit.Store(true)
	return p.terminate()
}

// terminate is Stop, for the test's cleanup too.
func (p *echoProcess) terminate() error {
	p.once.Do(func() {
		name := strings.TrimSpace("echoserver " + strings.Join(p.args, " "))
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			if p.err != nil {
				p.stop = fmt.Errorf("%s: %v; stderr: %s", name, p.err, p.stderr)
			}
		case <-time.After(echotest.Wait):
			p.cmd.Process.Kill()
			<-p.exited
			p.stop = fmt.Errorf("%s did not exit after SIGTERM", name)
		}
		if p.stop == nil && strings.Contains(p.stderr.String(), "DATA RACE") {
			p.stop = fmt.Errorf("%s: data race:\n%s", name, p.stderr)
		}
	})
	return p.stop
}

// A lineInbox holds output lines until a test takes them, in any order.
type lineInbox struct {
	mu      sync.Mutex
	lines   []string
	done    bool          // the output ended
	changed chan struct{} // closed and replaced on every change
}

func newLineInbox() *lineInbox { return &lineInbox{changed: make(chan struct{})} }

func (b *lineInbox) put(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *lineInbox) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	close(b.changed)
	b.changed = make(chan struct{})
}

// take removes the first line that re matches and returns its
// submatches, waiting up to wait for it.
func (b *lineInbox) take(re *regexp.Regexp, wait time.Duration) ([]string, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		for i, line := range b.lines {
			if m := re.FindStringSubmatch(line); m != nil {
				b.lines = append(b.lines[:i], b.lines[i+1:]...)
				b.mu.Unlock()
				return m, nil
			}
		}
		done, changed, seen := b.done, b.changed, strings.Join(b.lines, "\n")
		b.mu.Unlock()
		if done {
			return nil, fmt.Errorf("exited without printing a line like %q; it printed:\n%s", re, seen)
		}
		select {
		case <-changed:
		case <-deadline.C:
			return nil, fmt.Errorf("no line like %q in %v; it printed:\n%s", re, wait, seen)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader on
// different goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
