package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// printRequest prints, for -v, a handshake request as curl -v does: its
// request line, then its headers in order of name, each after mark.
func printRequest(con *console, mark string, req *http.Request, proto string) {
	target := req.URL.RequestURI()
	if req.RequestURI != "" { // a server's request, as it came
		target = req.RequestURI
	}
	con.info("%s%s %s %s", mark, req.Method, target, proto)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	con.info("%sHost: %s", mark, host)
	printHeader(con, mark, req.Header)
}

// printResponse prints, for -v, a handshake response: its status line and
// its headers, each after mark.
func printResponse(con *console, mark string, resp *http.Response) {
	con.info("%s%s %s", mark, resp.Proto, resp.Status)
	printHeader(con, mark, resp.Header)
}

// printHeader prints h's fields in order of name, one line per value.
func printHeader(con *console, mark string, h http.Header) {
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			con.info("%s%s: %s", mark, name, v)
		}
	}
}

// frameTracer is the slog.Handler given to the connection as its
// Options.Logger with -v. The library traces every frame it sends and
// receives at debug level; frameTracer prints those of control frames
// (ping, pong, close), with mark and an arrow for the direction, and drops
// the rest: data frames are the output itself, and the handshake is
// printed from the request and response. It is the only way to see the
// pings the connection sends on its own (-ping-interval) and the pongs it
// answers with.
type frameTracer struct {
	con  *console
	mark string // before each line: "" for connect, "[N] " for listen
}

func (t frameTracer) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelDebug
}

func (t frameTracer) Handle(_ context.Context, r slog.Record) error {
	var arrow string
	switch {
	case strings.HasSuffix(r.Message, "frame sent"):
		arrow = "> "
	case strings.HasSuffix(r.Message, "frame received"):
		arrow = "< "
	default:
		return nil
	}
	var opcode, length string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "opcode":
			opcode = a.Value.String()
		case "length":
			length = a.Value.String()
		}
		return true
	})
	switch opcode {
	case "ping", "pong", "close":
		t.con.info("%s%s%s frame (%s bytes)", t.mark, arrow, opcode, length)
	}
	return nil
}

func (t frameTracer) WithAttrs([]slog.Attr) slog.Handler { return t }
func (t frameTracer) WithGroup(string) slog.Handler      { return t }

// tracer returns the logger of -v for a connection, or nil without it.
func tracer(verbose bool, con *console, mark string) *slog.Logger {
	if !verbose {
		return nil
	}
	return slog.New(frameTracer{con: con, mark: mark})
}

// describeProto names the HTTP version a WebSocket runs over and, when
// there are any, its subprotocol and extensions, for the line that says a
// connection is open.
func describeProto(proto, protocol, exts string) string {
	s := proto
	if protocol != "" {
		s += fmt.Sprintf(", subprotocol %q", protocol)
	}
	if exts != "" {
		s += ", extensions " + exts
	}
	return s
}
