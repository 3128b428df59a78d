// Command wsconn talks WebSocket from the command line, as a client or as a
// server, for trying out and debugging WebSocket servers and clients.
//
//	go install github.com/wsconn/wsconn/cmd/wsconn@latest
//
//	wsconn connect [flags] URL
//	wsconn listen [flags] ADDR
//
// wsconn connect opens a WebSocket to URL (ws://, wss://, or http:// and
// https:// taken as ws:// and wss://), sends each line of standard input
// as a text message, and prints each message it receives on standard
// output, followed by a newline: text as it is, binary in hexadecimal or,
// with -binary base64, in base64. When standard input ends it closes the
// connection with 1000 (normal closure) and exits once the closing
// handshake is over. When standard input and standard output are both a
// terminal, it shows a prompt with line editing and history, and prints
// the messages it receives, after "< ", above the line being typed
// without breaking it; Ctrl-D or Ctrl-C then closes the connection. A
// first SIGINT or SIGTERM closes the connection as the end of standard
// input does; a second one drops it.
//
// wsconn listen serves WebSockets on ADDR (host:port; port 0 picks a free
// port), on any path and from any Origin. It prints "listening on
// ws://ADDR/" ("wss://" with -tls) on standard error when it accepts
// connections, then a line on standard error when a client connects or
// disconnects, and each message a client sends on standard output,
// prefixed by the client's number, such as "[1] hello". Each line of
// standard input goes to every connected client as a text message; with
// -echo, standard input is not read and every message is sent back to
// its sender instead. It serves HTTP/1.1 and HTTP/2 (over TLS with -tls,
// with prior knowledge without), so that connect -http2 reaches it. With
// -tls it uses a self-signed certificate for 127.0.0.1, ::1 and localhost
// made as it starts (clients connect with -insecure), or the PEM files of
// -cert and -key. SIGINT or SIGTERM closes every connection with 1001
// (going away) and ends it with status 0.
//
// Diagnostics go to standard error, so that standard output holds the
// data alone; -v adds the handshake's request and response headers and
// the ping, pong and close frames sent and received.
//
// Exit status:
//
//	0  the connection closed normally: the server sent 1000 or 1001, or
//	   a close frame without a code in a complete closing handshake;
//	   listen: stopped by a signal
//	1  the connection closed otherwise or was lost (the close code and
//	   reason are printed on standard error), or another error
//	2  bad command line
//	3  bad URL
//	4  the server could not be reached: connection refused, host not
//	   found, network unreachable, timeout
//	5  TLS failure: a certificate that is not trusted or not valid for
//	   the host, or a server that does not speak TLS
//	6  the server refused the WebSocket handshake (its HTTP status and the
//	   first lines of its answer are printed on standard error) or gave an
//	   invalid answer
//
// The command is a module of its own, github.com/wsconn/wsconn/cmd/wsconn,
// so that its dependencies (quic-go for -http3, golang.org/x/term for the
// prompt) stay out of the library's.
package main

import (
	"fmt"
	"io"
	"os"

	// Lets net/http's HTTP/2 server pass WebSockets (extended CONNECT,
	// RFC 8441) to listen's handler without GODEBUG=http2xconnect=1 in
	// the environment.
	_ "github.com/wsconn/wsconn/xconnect"
)

// usage is the help of the command as a whole.
const usage = `wsconn talks WebSocket from the command line.

Usage:
  wsconn connect [flags] URL   send stdin lines to the server at URL, print what it sends
  wsconn listen [flags] ADDR   serve WebSockets on ADDR, print what clients send
  wsconn help [connect|listen] show this help, or a command's flags

Flags may come before or after URL and ADDR.

` + exitStatusHelp

// stdio is the command's standard streams. Terminal detection needs the
// files themselves.
type stdio struct {
	in, out, err *os.File
}

func main() {
	os.Exit(run(os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}

// run runs the command line args and returns the exit status.
func run(args []string, std stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, usage)
		return exitUsage
	}
	switch args[0] {
	case "connect":
		return runConnect(args[1:], std)
	case "listen":
		return runListen(args[1:], std)
	case "help", "-h", "-help", "--help":
		return help(args[1:], std.out, std.err)
	}
	fmt.Fprintf(std.err, "wsconn: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// help prints the help of the command, or of the command named in args.
func help(args []string, out, errw io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(out, usage)
		return exitOK
	}
	switch args[0] {
	case "connect":
		cmd, _ := newConnectFlags()
		cmd.printUsage(out)
	case "listen":
		cmd, _ := newListenFlags()
		cmd.printUsage(out)
	default:
		fmt.Fprintf(errw, "wsconn help: unknown command %q\n", args[0])
		return exitUsage
	}
	return exitOK
}
