package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wsconn/wsconn"
)

// defaultMaxMessage is the default of -max-message. The library's own
// default, 128 KiB, suits a server facing the Internet; a tool for trying
// servers out should take the messages they send, within reason.
const defaultMaxMessage = 16 << 20

// command is the command line of one subcommand: its flags and the text of
// its -h.
type command struct {
	name  string // "connect" or "listen"
	arg   string // the positional argument: "URL" or "ADDR"
	about string // what the command does, for -h
	fs    *flag.FlagSet
}

// newCommand returns a command whose flag set reports errors to parse
// instead of printing them.
func newCommand(name, arg, about string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &command{name: name, arg: arg, about: about, fs: fs}
}

// printUsage prints the command's help: its synopsis, what it does, its
// flags and the exit statuses.
func (c *command) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: wsconn %s [flags] %s\n\n%s\nFlags:\n", c.name, c.arg, c.about)
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
	c.fs.SetOutput(io.Discard)
	fmt.Fprint(w, "\n"+exitStatusHelp)
}

// parse parses args, in which flags may come before and after the one
// positional argument, as "wsconn listen :8080 -echo" has them. It
// returns the positional argument, or ok false with the exit status when
// the command must stop there: 0 after -h (its help printed on standard
// output), exitUsage for a bad command line (one line about it on
// standard error).
func (c *command) parse(args []string, std stdio) (arg string, status int, ok bool) {
	var pos []string
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.printUsage(std.out)
			return "", exitOK, false
		}
		if err != nil {
			return "", c.usageError(std, err.Error()), false
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...) // "--" ends the flags
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != 1 {
		return "", c.usageError(std, fmt.Sprintf("expected one %s, got %d arguments", c.arg, len(pos))), false
	}
	return pos[0], 0, true
}

// usageError prints problem on standard error, with how to get help, and
// returns exitUsage.
func (c *command) usageError(std stdio, problem string) int {
	fmt.Fprintf(std.err, "wsconn %s: %s\nRun 'wsconn %s -h' for help.\n", c.name, problem, c.name)
	return exitUsage
}

// stringList is a flag that may be repeated, each time adding a value.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ", ") }

func (l *stringList) Set(v string) error {
	if v == "" {
		return errors.New("empty value")
	}
	*l = append(*l, v)
	return nil
}

// headerFlag is -H: repeated "Name: value" headers of the handshake
// request, in the order given.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string { return "" }

func (f *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || !validHeaderName(name) {
		return errors.New(`want "Name: value"`)
	}
	if f.h == nil {
		f.h = make(http.Header)
	}
	f.h.Add(name, strings.TrimSpace(value))
	return nil
}

// validHeaderName reports whether name is an HTTP token (RFC 9110 section
// 5.6.2), as a header name must be.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// connFlags are the flags about the connection itself, which connect and
// listen share.
type connFlags struct {
	protocols    stringList
	compress     bool
	binary       binaryFormat
	pingInterval time.Duration
	pingTimeout  time.Duration
	maxMessage   int64
	verbose      bool
}

// register adds the flags to fs. The subprotocol and compression flags
// mean a little different things to a client and to a server, hence
// their help texts and default as arguments.
func (f *connFlags) register(fs *flag.FlagSet, protocolHelp string, compress bool, compressHelp string) {
	fs.Var(&f.protocols, "protocol", protocolHelp)
	fs.BoolVar(&f.compress, "compress", compress, compressHelp)
	f.binary = binaryHex
	fs.Var(&f.binary, "binary", "print binary messages in `format` hex or base64")
	fs.DurationVar(&f.pingInterval, "ping-interval", 0, "send a ping every `duration` (0: never)")
	fs.DurationVar(&f.pingTimeout, "ping-timeout", 0, "with -ping-interval: drop the connection when nothing arrives within `duration`\nafter a ping (0: wait forever)")
	fs.Int64Var(&f.maxMessage, "max-message", defaultMaxMessage, "largest incoming message in `bytes` (0: no limit); a larger one closes the\nconnection with 1009")
	fs.BoolVar(&f.verbose, "v", false, "print the handshake's headers and the ping, pong and close frames on standard error")
}

// check returns what is wrong with the flags, or nil.
func (f *connFlags) check() error {
	switch {
	case f.pingInterval < 0 || f.pingTimeout < 0:
		return errors.New("-ping-interval and -ping-timeout cannot be negative")
	case f.pingTimeout > 0 && f.pingInterval == 0:
		return errors.New("-ping-timeout needs -ping-interval: the timeout runs from each ping")
	case f.maxMessage < 0:
		return errors.New("-max-message cannot be negative")
	}
	return nil
}

// options returns the connection options the flags ask for; logger, if
// not nil, receives the library's debug trace (see frameTracer).
func (f *connFlags) options(logger *slog.Logger) *wsconn.Options {
	limit := f.maxMessage
	if limit == 0 {
		limit = -1 // no limit, in the library's terms
	}
	return &wsconn.Options{
		MaxIncomingPayloadSize: limit,
		MaxTotalMessageSize:    limit,
		KeepaliveInterval:      f.pingInterval,
		KeepalivePongTimeout:   f.pingTimeout,
		Logger:                 logger,
	}
}
