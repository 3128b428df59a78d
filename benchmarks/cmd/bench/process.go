package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/servers"
	"github.com/wsconn/wsconn/benchmarks/internal/transport"
)

// Bounds on waiting for the processes.
const (
	startTimeout = 10 * time.Second // for the server's addresses, and a /stats answer
	stopTimeout  = 5 * time.Second  // for a process to exit on SIGTERM
)

// pinning says on which CPUs the server and the load run; empty strings
// leave them unpinned.
type pinning struct {
	server, load string
}

// command returns the command running name with args, under taskset -c
// cpus when cpus is not empty. taskset executes the program in its own
// process, so the command's PID is the program's.
func command(ctx context.Context, cpus, name string, args ...string) *exec.Cmd {
	if cpus != "" {
		return exec.CommandContext(ctx, "taskset", append([]string{"-c", cpus, name}, args...)...)
	}
	return exec.CommandContext(ctx, name, args...)
}

// child is a process the benchmark started and reads line by line.
type child struct {
	name    string
	cmd     *exec.Cmd
	lines   chan string // what it prints on stdout (or stderr, see launch)
	stderr  *tailBuffer
	exited  chan struct{} // closed once cmd.Wait has returned
	waitErr error
}

// startChild starts name with args, on the CPUs cpus if not empty; its
// lines are those it prints on stdout.
func startChild(cpus, name string, args ...string) (*child, error) {
	return launch(cpus, false, name, args...)
}

// childLines is how many lines of a child's output wait to be read
// before more are dropped: a few screens of a program's start.
const childLines = 256

// launch starts name with args, on the CPUs cpus if not empty; its lines
// are those it prints on stderr if fromStderr (nats-server logs there),
// else on stdout.
func launch(cpus string, fromStderr bool, name string, args ...string) (*child, error) {
	c := &child{
		name:   filepath.Base(name),
		cmd:    command(context.Background(), cpus, name, args...),
		lines:  make(chan string, childLines),
		stderr: &tailBuffer{},
		exited: make(chan struct{}),
	}
	if fromStderr {
		c.cmd.Stderr = io.MultiWriter(&lineWriter{lines: c.lines}, c.stderr)
	} else {
		c.cmd.Stdout = &lineWriter{lines: c.lines}
		c.cmd.Stderr = c.stderr
	}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// pid returns the process ID.
func (c *child) pid() int { return c.cmd.Process.Pid }

// nextLine returns the next line the process prints, waiting at most
// timeout for it.
func (c *child) nextLine(timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case line := <-c.lines:
		return line, nil
	case <-c.exited:
		select { // Wait returns once all the output has been written
		case line := <-c.lines:
			return line, nil
		default:
		}
		return "", fmt.Errorf("%s exited: %v: %s", c.name, c.waitErr, c.stderr)
	case <-timer.C:
		return "", fmt.Errorf("%s printed nothing more within %v: %s", c.name, timeout, c.stderr)
	}
}

// stop ends the process with SIGTERM, or SIGKILL if it has not exited
// after stopTimeout, and returns an error unless it exited with status 0.
func (c *child) stop() error {
	c.cmd.Process.Signal(syscall.SIGTERM) // fails if it has exited already
	select {
	case <-c.exited:
	case <-time.After(stopTimeout):
		c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%s did not exit within %v of SIGTERM", c.name, stopTimeout)
	}
	if c.waitErr != nil {
		return fmt.Errorf("%s: %v: %s", c.name, c.waitErr, c.stderr)
	}
	return nil
}

// serverProc is a running echo server.
type serverProc struct {
	*child
	url      string // where it serves WebSocket (or TCP, for rawtcp)
	statsURL string // its GET /stats
}

// startServer starts the server of lib over transport t, in mode (echo,
// fanout or fanout-direct, see cmd/echoserver), with the extra arguments
// if any (-nats URL), and waits until it listens.
func startServer(bin, lib, mode string, t transport.Transport, deflate bool, cpus string, extra ...string) (*serverProc, error) {
	args := []string{"-lib", lib, "-mode", mode, "-transport", string(t.OrTCP()), "-addr", "127.0.0.1:0", "-stats", "127.0.0.1:0"}
	if deflate {
		args = append(args, "-deflate")
	}
	args = append(args, extra...)
	c, err := startChild(cpus, bin, args...)
	if err != nil {
		return nil, err
	}
	s := &serverProc{child: c}
	prefix := "listening on " + servers.Scheme(lib, t) + "://"
	deadline := time.Now().Add(startTimeout)
	for s.url == "" {
		line, err := c.nextLine(time.Until(deadline))
		if err != nil {
			c.stop()
			return nil, fmt.Errorf("%s server: %w", lib, err)
		}
		switch {
		case strings.HasPrefix(line, "stats on "):
			s.statsURL = strings.TrimPrefix(line, "stats on ")
		case strings.HasPrefix(line, prefix):
			s.url = strings.TrimPrefix(line, "listening on ")
		}
	}
	if s.statsURL == "" {
		c.stop()
		return nil, fmt.Errorf("%s server did not say where its stats are", lib)
	}
	return s, nil
}

// stats fetches the server's /stats, after a garbage collection if gc.
func (s *serverProc) stats(gc bool) (servers.Stats, error) {
	var st servers.Stats
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	url := s.statsURL
	if gc {
		url += "?gc"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return st, err
	}
	req.Close = true // no keep-alive connection, nor its goroutine, is left in the server
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

// lineWriter sends each line written to it on lines, and drops the lines
// that nobody reads in time. os/exec's copying goroutine is its only
// writer.
type lineWriter struct {
	buf   []byte
	lines chan<- string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- string(w.buf[:i]):
		default:
		}
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// tailBuffer keeps the last bytes written to it: a process's stderr, for
// error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

// tailSize is how much of a process's stderr is kept.
const tailSize = 4 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil)))
}
