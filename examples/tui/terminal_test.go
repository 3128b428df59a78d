package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
)

// waitLimit bounds every wait of the tests.
const waitLimit = 20 * time.Second

// tuiPath is the program under test, built by TestMain.
var tuiPath string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

// runTests builds the program, with the race detector when the test has
// it, so that the program's own races fail the test too, and runs the
// tests.
func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tui-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	tuiPath = filepath.Join(dir, "tui")
	args := []string{"build", "-o", tuiPath}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

// terminal runs the program in a pseudo-terminal of 80x24 and reads what
// it draws. The screen's text is the output with escape sequences
// removed: Bubble Tea redraws a line that changed in full, so a line's
// text appears whole in it. Waits search it from a mark that moves past
// each match, so that they see things in the order they were drawn.
type terminal struct {
	t      testing.TB
	pty    *os.File
	cmd    *exec.Cmd
	stderr bytes.Buffer // written by exec's goroutine until exited
	exited chan struct{}
	err    error // how the program ended; read after exited

	mu     sync.Mutex
	out    []byte        // all the output so far
	update chan struct{} // holds a token when out has grown
	mark   int           // where in the screen's text the next wait searches
}

// startTUI runs the program with args in a terminal and kills it, if it
// is still running, when the test ends.
func startTUI(t testing.TB, args ...string) *terminal {
	t.Helper()
	term := &terminal{t: t, exited: make(chan struct{}), update: make(chan struct{}, 1)}
	term.cmd = exec.Command(tuiPath, args...)
	term.cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	term.cmd.Stderr = &term.stderr
	f, err := pty.StartWithSize(term.cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	term.pty = f
	go term.read()
	go func() {
		term.err = term.cmd.Wait()
		close(term.exited)
	}()
	t.Cleanup(func() {
		term.cmd.Process.Kill()
		<-term.exited
		f.Close()
		if s := term.stderr.String(); strings.Contains(s, "DATA RACE") {
			t.Errorf("the program reported a data race:\n%s", s)
		}
	})
	return term
}

// Queries that the program sends the terminal at start, and the answers
// of a terminal with a black background and the cursor at the top left.
// Bubble Tea v1 asks for the background colour before main runs, and
// waits up to 5 seconds for a terminal that does not answer.
var queries = []struct{ query, answer string }{
	{"\x1b]11;?\x1b\\", "\x1b]11;rgb:0000/0000/0000\x1b\\"}, // OSC 11: background colour
	{"\x1b[6n", "\x1b[1;1R"},                                // DSR: cursor position
}

// read collects the output until the terminal ends (EIO once the program
// has exited and closed its side), and answers queries as a terminal does.
func (term *terminal) read() {
	buf := make([]byte, 32<<10)
	answered := make([]int, len(queries))
	for {
		n, err := term.pty.Read(buf)
		term.mu.Lock()
		term.out = append(term.out, buf[:n]...)
		for i, q := range queries {
			for ; answered[i] < bytes.Count(term.out, []byte(q.query)); answered[i]++ {
				term.pty.Write([]byte(q.answer))
			}
		}
		term.mu.Unlock()
		select {
		case term.update <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// text returns the screen's text drawn so far.
func (term *terminal) text() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return ansi.Strip(string(term.out))
}

// waitFor waits until the program draws s after the mark, and moves the
// mark past it.
func (term *terminal) waitFor(s string) {
	term.t.Helper()
	timeout := time.After(waitLimit)
	for {
		text := term.text()
		if i := strings.Index(text[min(term.mark, len(text)):], s); i >= 0 {
			term.mark += i + len(s)
			return
		}
		select {
		case <-term.update:
		case <-term.exited:
			// What it drew last may still be in the terminal.
			select {
			case <-term.update:
				continue
			case <-time.After(100 * time.Millisecond):
			}
			term.t.Fatalf("the program ended (%v) before drawing %q; it drew:\n%s\nstderr:\n%s",
				term.err, s, tail(term.text()), term.stderrText())
		case <-timeout:
			term.t.Fatalf("waited %v for %q; the program drew:\n%s", waitLimit, s, tail(term.text()))
		}
	}
}

// typeKeys writes keys to the terminal, as typing them does.
func (term *terminal) typeKeys(keys string) {
	term.t.Helper()
	if _, err := term.pty.Write([]byte(keys)); err != nil {
		term.t.Fatal(err)
	}
}

// waitExit waits until the program has exited and returns its exit
// status.
func (term *terminal) waitExit() int {
	term.t.Helper()
	select {
	case <-term.exited:
	case <-time.After(waitLimit):
		term.t.Fatalf("waited %v for the program to exit; it drew:\n%s", waitLimit, tail(term.text()))
	}
	var exit *exec.ExitError
	switch {
	case term.err == nil:
		return 0
	case errors.As(term.err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			term.t.Fatalf("the program was killed by %v", ws.Signal())
		}
		return exit.ExitCode()
	}
	term.t.Fatal(term.err)
	return -1
}

// stderrText returns what the program wrote to its standard error, once
// it has exited.
func (term *terminal) stderrText() string {
	select {
	case <-term.exited:
		return term.stderr.String()
	default:
		return "(still running)"
	}
}

// tail returns the last lines of text, for a failure's message.
func tail(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	return strings.Join(lines[max(len(lines)-40, 0):], "\n")
}
