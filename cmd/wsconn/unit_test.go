package main

import (
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wsconn/wsconn"
)

// TestLineReader splits input at "\n" and "\r\n", and keeps a last line
// without an end of line.
func TestLineReader(t *testing.T) {
	r := newLineReader(strings.NewReader("one\ntwo\r\n\nlast"))
	var got []string
	for {
		line, err := r.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		got = append(got, line)
	}
	if want := []string{"one", "two", "", "last"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	if _, err := r.next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v, want io.EOF", err)
	}
}

// TestEscapeControls shows control characters other than newline and tab
// as escapes, and leaves everything else alone.
func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode ✓": "plain text, ünïcode ✓",
		"tab\tand\nnewline":     "tab\tand\nnewline",
		"\x1b[31mred\x07":       `\x1b[31mred\a`,
		"cr\rdel\x7f\u0085":     `cr\rdel\x7f\u0085`,
	} {
		if got := escapeControls(in); got != want {
			t.Errorf("escapeControls(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseFlagsAnywhere takes flags before and after the positional
// argument, and everything after "--" as positional.
func TestParseFlagsAnywhere(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	std := stdio{in: devNull, out: devNull, err: devNull}

	cmd, cfg := newListenFlags()
	addr, _, ok := cmd.parse([]string{"-v", ":8080", "-echo", "-protocol", "a", "-protocol=b"}, std)
	if !ok || addr != ":8080" || !cfg.echo || !cfg.verbose || !slices.Equal(cfg.protocols, []string{"a", "b"}) {
		t.Errorf("got %q, ok %v, %+v", addr, ok, cfg)
	}

	cmd, ccfg := newConnectFlags()
	url, _, ok := cmd.parse([]string{"-H", "A: 1", "--", "-not-a-flag"}, std)
	if !ok || url != "-not-a-flag" || ccfg.header.h.Get("A") != "1" {
		t.Errorf("got %q, ok %v", url, ok)
	}

	cmd, _ = newConnectFlags()
	if _, status, ok := cmd.parse([]string{"ws://a/", "-compress", "ws://b/"}, std); ok || status != exitUsage {
		t.Errorf("two URLs: ok %v, status %d", ok, status)
	}
}

// TestDescribeClose gives status 0 to normal closes only, and a line that
// says who closed, with which code and reason.
func TestDescribeClose(t *testing.T) {
	for _, tc := range []struct {
		st     wsconn.CloseStatus
		cause  error
		status int
		line   string
	}{
		{wsconn.CloseStatus{Code: 1000, SentCode: 1000, Clean: true}, nil, exitOK, ""},
		{wsconn.CloseStatus{Code: 1005, SentCode: 1000, Clean: true}, nil, exitOK, ""},
		{wsconn.CloseStatus{Code: 1005, SentCode: 1005, Clean: true, Remote: true}, nil, exitOK,
			"the server closed the connection: 1005 (no status received)"},
		{wsconn.CloseStatus{Code: 1001, Reason: "bye", SentCode: 1001, Clean: true, Remote: true}, nil, exitOK,
			`the server closed the connection: 1001 (going away) "bye"`},
		{wsconn.CloseStatus{Code: 4001, Reason: "no", SentCode: 4001, Clean: true, Remote: true}, nil, exitFailure,
			`the server closed the connection: 4001 (private) "no"`},
		{wsconn.CloseStatus{Code: 1006}, errors.New("wsconn: EOF"), exitFailure,
			"connection lost without a closing handshake (1006): EOF"},
		{wsconn.CloseStatus{Code: 1009, SentCode: 1009, Clean: true}, errors.New("too big"), exitFailure,
			"closed with 1009 (message too big) because too big; the server sent 1009 (message too big)"},
	} {
		status, line := describeClose(tc.st, tc.cause, "server")
		if status != tc.status || line != tc.line {
			t.Errorf("%+v: got %d %q, want %d %q", tc.st, status, line, tc.status, tc.line)
		}
	}
}
