//go:build linux

package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// An event is one JSON line an agent writes on stdout (see doc.go).
type event struct {
	Event          string   `json:"event"`
	ID             string   `json:"id"`
	Type           string   `json:"type"`
	Data           string   `json:"data"`
	Protocol       string   `json:"protocol"`
	Extensions     string   `json:"extensions"`
	ExtensionNames []string `json:"extension_names"`
	Code           int      `json:"code"`
	Reason         string   `json:"reason"`
	Clean          *bool    `json:"clean"` // nil: the peer cannot tell
	Message        string   `json:"message"`
	Port           int      `json:"port"`
	Version        string   `json:"version"`

	at time.Time // when the line was read
}

// String describes e briefly, for failure messages.
func (e event) String() string {
	switch e.Event {
	case "error", "exit":
		return e.Event + " " + strconv.Quote(e.Message)
	case "closed":
		clean := "unknown"
		if e.Clean != nil {
			clean = strconv.FormatBool(*e.Clean)
		}
		return fmt.Sprintf("closed %d %q clean=%s", e.Code, e.Reason, clean)
	case "message":
		return fmt.Sprintf("%s message of %d chars", e.Type, len(e.Data))
	}
	return e.Event
}

// A command is one JSON line written to an agent's stdin (see doc.go).
// Data and Type are always written, as an empty message is a message.
type command struct {
	Op           string   `json:"op"`
	ID           string   `json:"id,omitempty"`
	URL          string   `json:"url,omitempty"`
	Page         string   `json:"page,omitempty"`
	Protocols    []string `json:"protocols,omitempty"`
	Type         string   `json:"type"`
	Data         string   `json:"data"`
	Prefix       string   `json:"prefix,omitempty"`
	Count        int      `json:"count,omitempty"`
	Code         int      `json:"code,omitempty"`
	Reason       string   `json:"reason"`
	PingInterval float64  `json:"ping_interval,omitempty"`
	PingTimeout  float64  `json:"ping_timeout,omitempty"`
}

// agentStartTimeout bounds an agent's start, a browser's included.
const agentStartTimeout = 60 * time.Second

// agentStopTimeout bounds the wait for an agent that was asked to quit.
const agentStopTimeout = 10 * time.Second

// An agent is a running peer program: a script that drives one
// WebSocket implementation on commands and reports what it sees.
type agent struct {
	name    string
	cmd     *exec.Cmd
	events  *inbox[event]
	stderr  *tail
	exited  chan struct{} // closed once stdout is drained and the process reaped
	version string
	port    int // the port an agent in server mode listens on

	wmu   sync.Mutex
	stdin io.WriteCloser

	stopOnce sync.Once
	frozen   atomic.Bool // freeze was called: the agent cannot quit
}

// startAgent runs argv in dir as an agent, with env added to its
// environment, and waits for its ready event.
func startAgent(ctx context.Context, name, dir string, argv []string, env ...string) (*agent, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(agentEnv(), env...)
	// A group of its own, so that nothing the agent starts outlives it
	// unnoticed (see kill).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Wait returns even if something the agent started holds its pipes.
	cmd.WaitDelay = agentStopTimeout
	a := &agent{
		name:   name,
		cmd:    cmd,
		events: newInbox[event](),
		stderr: &tail{max: 16 << 10},
		exited: make(chan struct{}),
	}
	cmd.Stderr = a.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	a.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go a.read(stdout)

	ctx, cancel := context.WithTimeout(ctx, agentStartTimeout)
	defer cancel()
	ev, err := a.events.take(ctx, func(e event) bool { return e.Event == "ready" || e.Event == "exit" })
	if err == nil && ev.Event == "exit" {
		err = errors.New(ev.Message)
	}
	if err != nil {
		a.kill()
		return nil, fmt.Errorf("%s did not start: %w%s", name, err, a.stderrNote())
	}
	a.version, a.port = ev.Version, ev.Port
	return a, nil
}

// read turns the agent's stdout into events, then reaps the process and
// reports its end as an "exit" event.
func (a *agent) read(stdout io.Reader) {
	br := bufio.NewReaderSize(stdout, 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			var ev event
			if jerr := json.Unmarshal(line, &ev); jerr != nil || ev.Event == "" {
				fmt.Fprintf(a.stderr, "[stdout] %s", line)
			} else {
				ev.at = time.Now()
				a.events.put(ev)
			}
		}
		if err != nil {
			break
		}
	}
	werr := a.cmd.Wait()
	a.events.put(event{Event: "exit", Message: fmt.Sprintf("%s exited: %v", a.name, werr), at: time.Now()})
	close(a.exited)
}

// send writes one command.
func (a *agent) send(c command) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if _, err := a.stdin.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("%s: writing command %s: %w", a.name, c.Op, err)
	}
	return nil
}

// wait returns the first event of connection id whose kind is one of
// kinds. An exit of the agent ends the wait with an error, and so does an
// event of the connection whose kind is one of fatal.
func (a *agent) wait(ctx context.Context, id string, kinds []string, fatal ...string) (event, error) {
	ev, err := a.events.take(ctx, func(e event) bool {
		return e.Event == "exit" || e.ID == id && (slices.Contains(kinds, e.Event) || slices.Contains(fatal, e.Event))
	})
	if err != nil {
		return ev, fmt.Errorf("%s: waiting for %s on %s: %w", a.name, strings.Join(kinds, " or "), id, err)
	}
	if !slices.Contains(kinds, ev.Event) {
		return ev, fmt.Errorf("%s: %s while waiting for %s on %s", a.name, ev, strings.Join(kinds, " or "), id)
	}
	return ev, nil
}

// stop asks the agent to quit, waits a bounded time, and kills whatever
// is left of it and of the processes it started.
func (a *agent) stop() {
	a.stopOnce.Do(func() {
		if a.frozen.Load() {
			a.kill()
			return
		}
		before := processTree(a.cmd.Process.Pid)
		a.send(command{Op: "quit"})
		a.stdin.Close()
		select {
		case <-a.exited:
		case <-time.After(agentStopTimeout):
		}
		a.kill(before...)
	})
}

// kill kills the agent, every process it started and the processes of
// also that are still alive, and waits until the agent is reaped.
func (a *agent) kill(also ...proc) {
	root := a.cmd.Process.Pid
	// List the whole tree before killing anything, so that the children
	// of a killed parent are not missed.
	for _, p := range append(processTree(root), also...) {
		if p.alive() {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
	syscall.Kill(-root, syscall.SIGKILL) // the agent's group (Setpgid)
	select {
	case <-a.exited:
	case <-time.After(agentStopTimeout):
	}
}

// freeze stops the agent and every process it started with SIGSTOP: the
// peer vanishes without closing anything, like a host that went away. Its
// sockets stay open and the kernel still acknowledges what arrives.
func (a *agent) freeze() {
	a.frozen.Store(true)
	for _, p := range processTree(a.cmd.Process.Pid) {
		syscall.Kill(p.pid, syscall.SIGSTOP)
	}
}

// stderrNote returns the end of the agent's stderr for a failure message.
func (a *agent) stderrNote() string {
	s := strings.TrimSpace(a.stderr.String())
	if s == "" {
		return ""
	}
	return "\n" + a.name + " stderr:\n" + s
}

// A proc is a process, told apart from a later one with the same pid by
// its start time.
type proc struct {
	pid   int
	start string // field 22 of /proc/PID/stat, in clock ticks since boot
}

// readProc returns the process pid, its parent and whether it is alive
// (not a zombie).
func readProc(pid int) (p proc, ppid int, ok bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return proc{}, 0, false
	}
	// pid (comm) state ppid ... starttime: comm may hold spaces and
	// parentheses, so fields count from the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return proc{}, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return proc{}, 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	if err != nil {
		return proc{}, 0, false
	}
	return proc{pid: pid, start: f[19]}, ppid, true
}

// alive reports whether p still runs (and is not a zombie).
func (p proc) alive() bool {
	q, _, ok := readProc(p.pid)
	return ok && q.start == p.start
}

// processTree returns the process root and its living descendants, found
// through /proc.
func processTree(root int) []proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := make(map[int][]proc)
	var top proc
	found := false
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, ppid, ok := readProc(pid)
		if !ok {
			continue
		}
		children[ppid] = append(children[ppid], p)
		if pid == root {
			top, found = p, true
		}
	}
	if !found {
		return nil
	}
	tree := []proc{top}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i].pid]...)
	}
	return tree
}

// agentEnv returns the environment of the agents: this process's, without
// proxy settings (everything is on 127.0.0.1) and without Python writing
// bytecode caches into the source tree.
func agentEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasSuffix(strings.ToLower(name), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8")
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
