package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wsconn/wsconn/hub"
)

// Timing of the processes.
const (
	buildTimeout = 5 * time.Minute  // go build, with a cold cache and the race detector
	startTimeout = 60 * time.Second // a process's ready line
	stopTimeout  = 30 * time.Second // exit after SIGTERM
)

// binDir holds the programs the tests build, once for the test binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chat-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// built is a program built once for all tests.
type built struct {
	once sync.Once
	path string
	err  error
}

var chatProgram, natsProgram built

// chatBinary returns the chat program, built from this directory with
// the race detector when the test has it, so that a data race in the
// servers fails the test.
func chatBinary(t *testing.T) string {
	return build(t, &chatProgram, "chat", ".")
}

// natsBinary returns nats-server, built at the version that the examples
// module requires (a tool of its go.mod). It is built with the race
// detector when the test has it, as the hubnats tests build it, so that
// both share the build cache.
func natsBinary(t *testing.T) string {
	return build(t, &natsProgram, "nats-server", "github.com/nats-io/nats-server/v2")
}

func build(t *testing.T, b *built, name, pkg string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the servers are stopped with SIGTERM")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH:", err)
	}
	b.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		path := filepath.Join(binDir, name)
		args := []string{"build", "-o", path}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, pkg)
		start := time.Now()
		if out, err := exec.CommandContext(ctx, goTool, args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("go %s: %v", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
		b.path = path
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// A process is a running program whose output lines the test reads.
type process struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *inbox
	exited         chan struct{}
	err            error // how it ended; read after exited
	once           sync.Once
	stopErr        error
	checked        atomic.Bool // the test saw how it ended: no check on cleanup
}

// start runs path with args and stops it with SIGTERM when the test ends,
// failing the test if it does not then exit 0.
func start(t *testing.T, name, path string, args ...string) *process {
	t.Helper()
	p := &process{
		name:   strings.Join(append([]string{name}, args...), " "),
		cmd:    exec.Command(path, args...),
		stdout: newInbox(),
		stderr: newInbox(),
		exited: make(chan struct{}),
	}
	outPipe, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	readers.Go(func() { readLines(outPipe, p.stdout) })
	readers.Go(func() { readLines(errPipe, p.stderr) })
	go func() {
		readers.Wait() // Wait closes the pipes: read them to the end first
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if err := p.stop(); err != nil && !p.checked.Load() {
			t.Error(err)
		}
	})
	return p
}

// Stop is stop, for a test that checks its error.
func (p *process) Stop() error {
	p.checked.Store(true)
	return p.stop()
}

// exitCode waits for the process to exit on its own and returns its exit
// status.
func (p *process) exitCode(t *testing.T) int {
	t.Helper()
	p.checked.Store(true)
	select {
	case <-p.exited:
	case <-time.After(startTimeout):
		t.Fatalf("%s did not exit in %v; stderr:\n%s", p.name, startTimeout, p.output(p.stderr))
	}
	return p.cmd.ProcessState.ExitCode()
}

func readLines(r io.Reader, b *inbox) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		b.put(sc.Text())
	}
	b.finish(sc.Err())
}

// waitLine waits for a line of out that re matches and returns its
// submatches.
func (p *process) waitLine(t *testing.T, out *inbox, re *regexp.Regexp) []string {
	t.Helper()
	var m []string
	_, err := out.wait(startTimeout, "a line like "+re.String(), func(lines []string) bool {
		for _, line := range lines {
			if m = re.FindStringSubmatch(line); m != nil {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", p.name, err, p.output(p.stderr))
	}
	return m
}

// output returns the lines of out so far.
func (p *process) output(out *inbox) string {
	lines, _ := out.snapshot()
	return strings.Join(lines, "\n")
}

// stop sends SIGTERM and returns an error unless the process exits 0 in
// time without reporting a data race. Later calls return the same.
func (p *process) stop() error {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			if p.err != nil {
				p.stopErr = fmt.Errorf("%s: %v after SIGTERM; stderr:\n%s", p.name, p.err, p.output(p.stderr))
			}
		case <-time.After(stopTimeout):
			p.cmd.Process.Kill()
			<-p.exited
			p.stopErr = fmt.Errorf("%s did not exit in %v after SIGTERM; stderr:\n%s", p.name, stopTimeout, p.output(p.stderr))
		}
		if p.stopErr == nil && strings.Contains(p.output(p.stderr), "DATA RACE") {
			p.stopErr = fmt.Errorf("%s: data race:\n%s", p.name, p.output(p.stderr))
		}
	})
	return p.stopErr
}

// natsListening is nats-server's line with the address of its clients'
// port.
var natsListening = regexp.MustCompile(`Listening for client connections on (127\.0\.0\.1:[0-9]+)$`)

// startNATS runs nats-server on a free loopback port and returns its URL.
func startNATS(t *testing.T) string {
	t.Helper()
	p := start(t, "nats-server", natsBinary(t), "-a", "127.0.0.1", "-p", "-1")
	m := p.waitLine(t, p.stderr, natsListening)
	p.waitLine(t, p.stderr, regexp.MustCompile(`Server is ready$`))
	return "nats://" + m[1]
}

// A chatProcess is a running chat server.
type chatProcess struct {
	*process
	addr string // 127.0.0.1:PORT of its "listening on" line
}

var chatListening = regexp.MustCompile(`^listening on http://(127\.0\.0\.1:[0-9]+)/$`)

// startChat runs the chat server on a free loopback port with args, and
// waits until it listens.
func startChat(t *testing.T, args ...string) *chatProcess {
	t.Helper()
	p := start(t, "chat", chatBinary(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	m := p.waitLine(t, p.stdout, chatListening)
	return &chatProcess{process: p, addr: m[1]}
}

// serverVars is what the chat server publishes at /debug/vars.
type serverVars struct {
	Hub  hub.Stats `json:"hub"`
	Chat chatVars  `json:"chat"`
}

// vars returns the server's figures now.
func (p *chatProcess) vars(t *testing.T) serverVars {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+"/debug/vars", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: GET /debug/vars: %v", p.name, err)
	}
	defer resp.Body.Close()
	var v serverVars
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: GET /debug/vars: %s", p.name, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s: GET /debug/vars: %v", p.name, err)
	}
	return v
}

// waitVars polls the server's figures until ok holds of them, and
// returns them.
func (p *chatProcess) waitVars(t *testing.T, what string, ok func(serverVars) bool) serverVars {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		v := p.vars(t)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not %s in %v: %+v", p.name, what, startTimeout, v)
		}
		time.Sleep(10 * time.Millisecond) // a poll, bounded by the deadline
	}
}
