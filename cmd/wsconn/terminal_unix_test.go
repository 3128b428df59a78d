//go:build unix

package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/wsconn/wsconn"
)

// screen collects what a program writes to its pseudo-terminal and lets a
// test wait for text in it.
type screen struct {
	mu      sync.Mutex
	buf     []byte
	changed chan struct{} // closed and replaced at each read
	ended   bool
}

// newScreen reads the terminal's output from its controlling side until
// it fails, as it does once the program has exited.
func newScreen(pt *os.File) *screen {
	s := &screen{changed: make(chan struct{})}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := pt.Read(b)
			s.mu.Lock()
			s.buf = append(s.buf, b[:n]...)
			if err != nil {
				s.ended = true
			}
			close(s.changed)
			s.changed = make(chan struct{})
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

// waitFor waits until text appears at or after offset from, and returns
// the offset just past it.
func (s *screen) waitFor(t *testing.T, from int, text string) int {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if i := bytes.Index(s.buf[from:], []byte(text)); i >= 0 {
			s.mu.Unlock()
			return from + i + len(text)
		}
		changed, ended, seen := s.changed, s.ended, string(s.buf[from:])
		s.mu.Unlock()
		if ended {
			t.Fatalf("the terminal closed without %q; after offset %d it had %q", text, from, seen)
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %q on the terminal within %v; after offset %d it had %q", text, waitTimeout, from, seen)
		}
	}
}

// between returns the output from offset i to offset j.
func (s *screen) between(i, j int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.buf[i:j])
}

// escapes matches the terminal control sequences that x/term's editor
// writes to move the cursor and clear lines.
var escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// TestInteractiveKeepsTypedLine runs connect on a pseudo-terminal: a
// message that arrives while a line is being typed is printed above it,
// and the prompt and the typed text are drawn again below, so that the
// line is sent whole when Enter is pressed. Control characters from the
// server are shown escaped, and Ctrl-D closes with status 0.
func TestInteractiveKeepsTypedLine(t *testing.T) {
	t.Parallel()
	received := make(chan string, 4)
	srv := newServer(t, plainServer, nil, func(c *wsconn.WebsocketConnection, _ *http.Request) {
		c.OnMessage(func(_ wsconn.DataType, data []byte) { received <- string(data) })
	})
	cmd := wsconnCmd("connect", srv.url)
	pt, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if errors.Is(err, pty.ErrUnsupported) {
		t.Skip("no pseudo-terminals here:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan int, 1)
	go func() {
		cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		pt.Close()
	})
	scr := newScreen(pt)

	at := scr.waitFor(t, 0, "Ctrl-D or Ctrl-C closes")
	at = scr.waitFor(t, at, "> ")
	server := srv.next(t).c

	pt.Write([]byte("hel"))
	at = scr.waitFor(t, at, "hel")
	server.SendText("incoming message")
	at = scr.waitFor(t, at, "< incoming message")
	after := scr.waitFor(t, at, "hel")
	if redrawn := escapes.ReplaceAllString(scr.between(at, after), ""); redrawn != "\r\n> hel" {
		t.Errorf("after the message the terminal got %q, want a new line, then the prompt and the typed text again", redrawn)
	}

	pt.Write([]byte("lo\r"))
	select {
	case got := <-received:
		if got != "hello" {
			t.Errorf("the server received %q, want hello", got)
		}
	case <-time.After(waitTimeout):
		t.Fatal("the server received nothing")
	}

	server.SendText("bell\a and \x1b[31mred")
	scr.waitFor(t, after, `< bell\a and \x1b[31mred`)

	pt.Write([]byte{4}) // Ctrl-D
	select {
	case status := <-exited:
		if status != exitOK {
			t.Errorf("exit status %d, want 0", status)
		}
	case <-time.After(waitTimeout):
		t.Fatal("wsconn did not exit after Ctrl-D")
	}
	<-server.Done()
	if st := server.CloseStatus(); st.Code != wsconn.CloseNormal {
		t.Errorf("the server saw %v, want 1000", st)
	}
}

// TestInteractiveListen runs listen on a pseudo-terminal: typed lines go
// to the clients, a client's message does not break the line being typed,
// and Ctrl-C stops the server, which closes its clients with 1001.
func TestInteractiveListen(t *testing.T) {
	t.Parallel()
	cmd := wsconnCmd("listen", "127.0.0.1:0")
	pt, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if errors.Is(err, pty.ErrUnsupported) {
		t.Skip("no pseudo-terminals here:", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan int, 1)
	go func() {
		cmd.Wait()
		exited <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		pt.Close()
	})
	scr := newScreen(pt)

	at := scr.waitFor(t, 0, "listening on ws://")
	end := scr.waitFor(t, at, "/")
	url := "ws://" + scr.between(at, end)
	at = scr.waitFor(t, end, "> ")
	c := dial(t, url, false)
	at = scr.waitFor(t, at, "[1] connected from ")

	pt.Write([]byte("hel"))
	at = scr.waitFor(t, at, "hel")
	c.SendText("from the client")
	at = scr.waitFor(t, at, "[1] from the client")
	after := scr.waitFor(t, at, "hel")
	if redrawn := escapes.ReplaceAllString(scr.between(at, after), ""); redrawn != "\r\n> hel" {
		t.Errorf("after the message the terminal got %q, want a new line, then the prompt and the typed text again", redrawn)
	}
	pt.Write([]byte("lo\r"))
	if got := receive(t, c); got != "hello" {
		t.Errorf("the client received %q, want hello", got)
	}

	pt.Write([]byte{3}) // Ctrl-C
	if st := waitClosed(t, c); st.Code != wsconn.CloseGoingAway {
		t.Errorf("the client saw %v, want 1001", st)
	}
	select {
	case status := <-exited:
		if status != exitOK {
			t.Errorf("exit status %d, want 0", status)
		}
	case <-time.After(waitTimeout):
		t.Fatal("wsconn did not exit after Ctrl-C")
	}
}
