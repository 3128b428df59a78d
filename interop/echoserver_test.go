//go:build linux

package interop

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// An echoserverSetup sends a peer's connections to examples/echoserver,
// in a process of its own, instead of the suite's own server: the browser
// loads the echoserver's page and opens its WebSockets to the same origin,
// and the echoserver's -v lines show the HTTP version of each.
type echoserverSetup struct {
	args  []string // its flags besides -addr, -v and -deflate
	proto string   // the HTTP version of its "accepted" lines: HTTP/2.0 or HTTP/1.1
}

// echoserverStopTimeout bounds the wait for the echoserver to exit after
// SIGTERM: it gives its connections 10 s to close.
const echoserverStopTimeout = 20 * time.Second

// An echoProcess is a running echoserver.
type echoProcess struct {
	// origin is the origin of its "listening on" line, https://ADDR or
	// http://ADDR, where the page is.
	origin string
	// wsBase is the same as a WebSocket URL, wss://ADDR or ws://ADDR.
	wsBase string

	cmd    *exec.Cmd
	lines  *inbox[string] // its stdout; "" marks the end
	stderr *tail
	exited chan struct{}
	werr   error // how it ended; read after exited
}

var echoListening = regexp.MustCompile(`^listening on (wss?)://(127\.0\.0\.1:[0-9]+)/$`)

// startEchoserver runs the echoserver at path on a free port of
// 127.0.0.1 with -v, permessage-deflate as deflate says and s.args, and
// waits until it listens.
func startEchoserver(ctx context.Context, path string, s *echoserverSetup, deflate bool) (*echoProcess, error) {
	args := append([]string{"-addr", "127.0.0.1:0", "-v", fmt.Sprintf("-deflate=%t", deflate)}, s.args...)
	cmd := exec.Command(path, args...)
	cmd.Env = agentEnv()
	e := &echoProcess{cmd: cmd, lines: newInbox[string](), stderr: &tail{max: 16 << 10}, exited: make(chan struct{})}
	cmd.Stderr = e.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting echoserver: %w", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); line != "" {
				e.lines.put(line)
			}
		}
		e.werr = cmd.Wait()
		e.lines.put("")
		close(e.exited)
	}()

	ctx, cancel := context.WithTimeout(ctx, agentStartTimeout)
	defer cancel()
	line, err := e.lines.take(ctx, func(l string) bool { return l == "" || echoListening.MatchString(l) })
	if err == nil && line == "" {
		err = errors.New("it exited")
	}
	if err != nil {
		e.kill()
		return nil, fmt.Errorf("echoserver %s did not start: %w%s", strings.Join(args, " "), err, e.stderrNote())
	}
	m := echoListening.FindStringSubmatch(line)
	e.wsBase = m[1] + "://" + m[2]
	e.origin = strings.Replace(m[1], "ws", "http", 1) + "://" + m[2]
	return e, nil
}

// accepted waits for the echoserver's line "accepted PROTO PATH" of the
// WebSocket at path and returns PROTO.
func (e *echoProcess) accepted(ctx context.Context, path string) (string, error) {
	suffix := " " + path
	line, err := e.lines.take(ctx, func(l string) bool {
		return l == "" || strings.HasPrefix(l, "accepted ") && strings.HasSuffix(l, suffix) && strings.Count(l, " ") == 2
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("echoserver: no line \"accepted PROTO %s\": %w%s", path, err, e.stderrNote())
	case line == "":
		return "", fmt.Errorf("echoserver exited before accepting %s: %v%s", path, e.werr, e.stderrNote())
	}
	return strings.Fields(line)[1], nil
}

// stop sends SIGTERM and returns an error unless the echoserver exits 0
// in time without reporting a data race.
func (e *echoProcess) stop() error {
	e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(echoserverStopTimeout):
		e.kill()
		return fmt.Errorf("echoserver did not exit in %v after SIGTERM%s", echoserverStopTimeout, e.stderrNote())
	}
	if e.werr != nil {
		return fmt.Errorf("echoserver after SIGTERM: %v%s", e.werr, e.stderrNote())
	}
	if strings.Contains(e.stderr.String(), "DATA RACE") {
		return fmt.Errorf("echoserver: data race%s", e.stderrNote())
	}
	return nil
}

// kill ends the echoserver at once and waits until it is reaped.
func (e *echoProcess) kill() {
	e.cmd.Process.Kill()
	<-e.exited
}

// stderrNote returns the end of the echoserver's stderr for a failure
// message.
func (e *echoProcess) stderrNote() string {
	s := strings.TrimSpace(e.stderr.String())
	if s == "" {
		return ""
	}
	return "\nechoserver stderr:\n" + s
}
