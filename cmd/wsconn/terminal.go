package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/term"
)

// console is where a command's lines come from and go to: the standard
// streams as they are, or, when standard input and standard output are
// both a terminal, that terminal in raw mode under golang.org/x/term's
// line editor. The editor shows a prompt, edits the line (arrows, Ctrl-A,
// Ctrl-E, Ctrl-W...), keeps a history, and prints lines that arrive while
// one is being typed above it, redrawing the prompt and the typed text
// below them: messages never break the line being typed.
//
// Standard output alone is not enough for the editor: with output going to
// a file or a pipe, the prompt and the redrawing would land in it.
type console struct {
	std   stdio
	reads bool // the command reads standard input

	mu    sync.Mutex // keeps each printed line whole; guards the fields below
	out   io.Writer  // data: standard output, or the terminal
	diag  io.Writer  // diagnostics: standard error, or the terminal
	input func() (string, error)

	term    *term.Terminal // nil unless interactive
	restore func()         // puts the terminal back as it was
}

// newConsole returns the console of std, on plain streams: standard
// input is read line by line, unless readInput is false, when the command
// never reads it.
func newConsole(std stdio, readInput bool) *console {
	c := &console{std: std, reads: readInput, out: std.out, diag: std.err, restore: func() {}}
	if readInput {
		c.input = newLineReader(std.in).next
	} else {
		c.input = func() (string, error) { return "", io.EOF }
	}
	return c
}

// startInteractive makes the console interactive, with prompt as its
// prompt, when standard input and standard output are both a terminal
// and the command reads its input; otherwise it does nothing. It puts the
// terminal in raw mode, where Ctrl-C is a key and no longer a signal: it
// is called once the command is ready for input, so that Ctrl-C
// interrupts whatever comes before, such as a slow handshake.
func (c *console) startInteractive(prompt string) error {
	inFd, outFd := int(c.std.in.Fd()), int(c.std.out.Fd())
	if !c.reads || !term.IsTerminal(inFd) || !term.IsTerminal(outFd) {
		return nil
	}
	state, err := term.MakeRaw(inFd)
	if err != nil {
		return fmt.Errorf("setting the terminal up: %w", err)
	}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{c.std.in, c.std.out}, prompt)
	if w, h, err := term.GetSize(outFd); err == nil && w > 0 && h > 0 {
		t.SetSize(w, h)
	}
	stopResize := watchResize(outFd, t)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.term, c.out, c.diag, c.input = t, t, t, t.ReadLine
	c.restore = func() {
		stopResize()
		// The editor has drawn the prompt again under the last line:
		// clear it, so that the shell's prompt starts on a clean line.
		io.WriteString(c.std.out, "\r\x1b[K")
		term.Restore(inFd, state)
	}
	return nil
}

// interactive reports whether the console is a terminal with a prompt.
func (c *console) interactive() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.term != nil
}

// readLine returns the next line of input, without its end of line, or
// io.EOF at the end of input: end of file, or Ctrl-D on an empty line or
// Ctrl-C at a prompt.
func (c *console) readLine() (string, error) {
	c.mu.Lock()
	input := c.input
	c.mu.Unlock()
	return input()
}

// data prints one line of data on standard output.
func (c *console) data(line string) {
	c.print(false, line)
}

// info prints one line of diagnostics on standard error.
func (c *console) info(format string, args ...any) {
	c.print(true, fmt.Sprintf(format, args...))
}

// print writes line and a newline in one write, to the diagnostics with
// toDiag, else to the data. On a terminal, the
// control characters of line are shown escaped, so that what a peer sends
// cannot move the cursor, change colours or retitle the window.
func (c *console) print(toDiag bool, line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.out
	if toDiag {
		w = c.diag
	}
	if c.term != nil {
		line = escapeControls(line)
	}
	io.WriteString(w, line+"\n")
}

// close puts the terminal back as it was; it does nothing on plain
// streams.
func (c *console) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.restore()
	c.restore = func() {}
}

// escapeControls returns s with its control characters, other than
// newline and tab, written as Go escapes, such as \x1b.
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, isEscaped) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isEscaped(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isEscaped(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }

// lineReader reads lines from a stream that is not a terminal.
type lineReader struct {
	r   *bufio.Reader
	err error // the error that ended the stream, once seen
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReader(r)}
}

// next returns the next line, without its "\n" or "\r\n". A last line
// without an end of line is a line too; after it, next returns the
// stream's error, io.EOF at its end.
func (l *lineReader) next() (string, error) {
	if l.err != nil {
		return "", l.err
	}
	line, err := l.r.ReadString('\n')
	if err != nil {
		l.err = err
		if line == "" {
			return "", err
		}
		return line, nil
	}
	line = strings.TrimSuffix(line[:len(line)-1], "\r")
	return line, nil
}
