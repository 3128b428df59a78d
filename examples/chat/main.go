// Command chat is a chat server: a web page and WebSocket rooms, on one
// server or on several that share their rooms through NATS.
//
//	go run ./examples/chat [-addr 127.0.0.1:8080] [-nats nats://HOST:PORT] [-v]
//
// It prints "listening on http://ADDR/" once it accepts connections, with
// the address it is bound to (-addr 127.0.0.1:0 picks a free port).
//
//   - GET / is the chat page: a small self-contained HTML page (no external
//     resources) with a room name (from the URL's fragment, such as
//     http://127.0.0.1:8080/#lobby, or "lobby"), a message field and the
//     list of the room's messages. Its script opens a WebSocket to the
//     page's own origin, /room/NAME.
//   - A WebSocket at /room/NAME joins room NAME (NAME is the path after
//     /room/, percent-decoded, 1 to 200 bytes). Every text message a client
//     sends there is delivered, unchanged, to every client in room NAME,
//     the sender included. A binary message closes the sender's connection
//     with 1003 (unsupported data): the page sends text only, and a
//     client that sends something else learns it at once rather than
//     wondering why nobody answers. A message is at most 64 KiB (past
//     that, 1009); a client that cannot keep up with its room is closed
//     with 1008 (see hubOptions).
//   - GET /debug/vars is expvar's JSON, with the hub's figures as "hub"
//     (hub.Stats: connections, topics, messages published, delivered and
//     dropped) and the server's own as "chat".
//
// With -nats, the server connects to that NATS server (or cluster: a
// comma-separated list of URLs) before it listens, and fails at once,
// exiting 1, if it cannot reach it; every server connected to the same
// NATS shares its rooms: a message sent on one reaches the clients of the
// room on all of them, in the order its sender sent it. Once connected,
// a server rides out NATS outages: it reconnects for ever, and holds what
// its clients send meanwhile, up to 1 MiB; past that a message is lost,
// and its sender closed with 1013 (try again later). Without -nats it
// runs alone, with an in-process hub.
//
// The WebSocket handshake checks Origin: a browser connects only from a
// page of this server's own origin, such as the chat page (programs that
// send no Origin are accepted). On SIGINT or SIGTERM it closes every
// WebSocket with 1001 (going away), waits a bounded time for them to
// close, and exits 0. Logs go to the standard error; -v also logs each
// WebSocket joining and leaving its room.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/wsconn/wsconn/hub"
	"github.com/wsconn/wsconn/hubnats"
)

// shutdownTimeout bounds the wait for connections to close on a signal.
const shutdownTimeout = 10 * time.Second

// config is what the command line asks for.
type config struct {
	addr    string
	natsURL string
	verbose bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "`address` to listen on; port 0 picks a free port")
	flag.StringVar(&cfg.natsURL, "nats", "", "share rooms with every chat server connected to the NATS server at `URL` (nats://HOST:PORT); without it, run alone")
	flag.BoolVar(&cfg.verbose, "v", false, "log each WebSocket joining and leaving its room")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "chat: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds | log.Lmsgprefix)
	log.SetPrefix("chat: ")
	if err := run(cfg); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// run serves until a signal comes, or the server fails.
func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := hubOptions()
	if cfg.natsURL != "" {
		// NATS first, so that a server that prints its listening line
		// shares its rooms.
		nc, err := connectNATS(cfg.natsURL, cfg.addr)
		if err != nil {
			return err
		}
		defer closeNATS(nc)
		opts.Broker = hubnats.New(nc, &hubnats.Options{Prefix: subjectPrefix, OnError: logError})
	}
	h := hub.New(opts)
	defer h.Close() // after the WebSockets have closed: closing it unsubscribes its rooms

	s := newChatServer(h, cfg.verbose)
	publishVars(h, s)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second, // cuts off slow handshakes
		MaxHeaderBytes:    16 << 10,
		// Closes keep-alive connections left idle after a page load:
		// ReadHeaderTimeout only starts once a request's first bytes
		// arrive. WebSockets are no longer the server's once accepted.
		IdleTimeout: 30 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("listening on http://%s/\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Shutdown stops accepting and waits for the page requests; it
	// neither waits for nor closes the WebSockets, which net/http handed
	// over: closeAll closes them meanwhile.
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Shutdown(sctx); err != nil {
			log.Printf("shutting down HTTP: %v", err)
		}
	})
	if err := s.closeAll(sctx); err != nil {
		log.Print(err)
	}
	wg.Wait()
	return nil
}

// logError logs the errors that the hub and the broker report.
func logError(err error) { log.Print(err) }
