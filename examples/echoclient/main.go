// Command echoclient checks a WebSocket echo server, or plays the client
// side of the Autobahn test suite's fuzzing server.
//
//	go run ./examples/echoclient -url ws://HOST:PORT/PATH [-count N] [-size BYTES] [-binary] [-deflate]
//	    [-insecure] [-http2 | -http3]
//
// sends N messages of SIZE bytes (text, valid UTF-8, unless -binary),
// checks that each echo comes back with the same type and bytes, in order,
// and prints one summary line such as
//
//	echoed 100 messages of 1024 bytes: 100 matched, 0 mismatched in 12.3ms
//
// It exits 0 only if every echo matched and the connection closed cleanly;
// otherwise it says why on standard error and exits 1.
//
//	go run ./examples/echoclient -autobahn ws://HOST:PORT [-agent NAME] [-deflate] [-insecure] [-http2 | -http3]
//
// asks the fuzzing server for its number of cases (/getCaseCount), runs
// each case (/runCase?case=I&agent=NAME), echoing every message back with
// its type until the server closes, and then has the server write its
// reports (/updateReports?agent=NAME). A case that fails is reported on
// standard error and the run goes on; the verdicts are in the reports.
//
// The URL may be ws:// or wss://. The WebSocket runs over HTTP/1.1
// (Upgrade) unless -http2 or -http3 says otherwise:
//
//   - -http2 requires HTTP/2 (RFC 8441), with no fallback to HTTP/1.1: h2
//     chosen by ALPN for a wss:// URL, h2c with prior knowledge (HTTP/2
//     over TCP without TLS) for a ws:// URL.
//   - -http3 requires HTTP/3 (RFC 9220) over QUIC, for a wss:// URL.
//   - -insecure skips the verification of the server's certificate, for
//     test servers with self-signed ones such as echoserver -tls.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	target := flag.String("url", "", "`URL` of the echo server, ws://HOST:PORT/PATH or wss://HOST:PORT/PATH")
	count := flag.Int("count", 100, "number of messages to send")
	size := flag.Int("size", 1024, "size of each message in `bytes`")
	binary := flag.Bool("binary", false, "send binary messages instead of text")
	deflate := flag.Bool("deflate", false, "offer permessage-deflate")
	autobahn := flag.String("autobahn", "", "run the cases of the Autobahn fuzzing server at `URL` ws://HOST:PORT (or wss://)")
	agent := flag.String("agent", "wsconn", "agent `name` for the Autobahn reports")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on the echo run, or on each Autobahn case")
	var tr transport
	flag.BoolVar(&tr.insecure, "insecure", false, "do not verify the server's TLS certificate")
	flag.BoolVar(&tr.http2, "http2", false, "require HTTP/2: h2 over TLS for wss:// URLs, h2c (prior knowledge, no TLS) for ws:// URLs")
	flag.BoolVar(&tr.http3, "http3", false, "use HTTP/3 over QUIC (wss:// URLs only)")
	flag.Parse()

	var err error
	switch {
	case flag.NArg() > 0:
		err = usageError(fmt.Sprintf("unexpected arguments %q", flag.Args()))
	case (*target == "") == (*autobahn == ""):
		err = usageError("give either -url or -autobahn")
	case tr.http2 && tr.http3:
		err = usageError("give -http2 or -http3, not both")
	case *target != "" && (*count < 1 || *size < 0):
		err = usageError("-count must be at least 1 and -size not negative")
	case *target != "":
		err = runEcho(echoConfig{
			tr:      tr,
			url:     *target,
			count:   *count,
			size:    *size,
			binary:  *binary,
			exts:    supportedExtensions(*deflate),
			timeout: *timeout,
		})
	default:
		err = runAutobahn(tr, *autobahn, *agent, supportedExtensions(*deflate), *timeout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoclient:", err)
		if _, ok := err.(usageError); ok {
			flag.Usage()
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }
