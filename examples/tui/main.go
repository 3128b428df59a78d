// Tui is a terminal chat client for the rooms of examples/chat, on the
// Bubble Tea UI framework, in which every wsconn callback runs on the UI's
// own event loop.
//
// Usage:
//
//	go run ./examples/tui -url ws://127.0.0.1:8080/room/lobby [-name NAME] [-ping 20s] [-ping-timeout 10s]
//
// The flags are:
//
//	-url URL          the room's WebSocket URL, ws://HOST:PORT/room/NAME
//	                  (default ws://127.0.0.1:8080/room/lobby)
//	-name NAME        the name put before each message sent (default $USER)
//	-ping D           the interval of keepalive pings; 0 turns keepalive off
//	                  (default 20s)
//	-ping-timeout D   how long after a ping with nothing received the
//	                  connection counts as lost; shorter than -ping (default 10s)
//
// The screen shows a status line (connecting, connected, reconnecting,
// closing), the room's messages and an input line. Enter sends the input
// line to the room as the text message "NAME: TEXT"; like everything said
// in the room, it appears once the server has sent it back. Esc or Ctrl+C
// closes the connection with 1000 and quits; pressed again, it quits
// without waiting for the server.
//
// When the connection is lost (no pong within -ping-timeout, a broken TCP
// connection, or a close by the server such as 1001 when it restarts), the
// client reconnects, waiting half a second at first and doubling the wait
// up to 15 seconds.
//
// # Design
//
// Bubble Tea owns the program's event loop: Update runs for every key and
// resize, one message at a time, and View draws the model. The connection
// is run by wsapp.App (dial, keepalive, reconnect) with a
// wsconn.MainContext, uiLoop, that posts every callback of wsapp and of
// the connection into that loop as a message, so that callbacks and key
// presses take turns on one goroutine. The model is therefore plain data
// without locks: a callback sets the status or adds a line, a key press
// reads the open connection to send on, and neither can see the other
// half-done. uiloop.go tells why Invoke must not call Program.Send itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// config is what the flags set.
type config struct {
	url         string
	room        string // from url, for the status line
	name        string
	ping        time.Duration
	pingTimeout time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "ws://127.0.0.1:8080/room/lobby", "the room's WebSocket `URL`")
	flag.StringVar(&cfg.name, "name", defaultName(), "the `name` put before each message sent")
	flag.DurationVar(&cfg.ping, "ping", 20*time.Second, "the `interval` of keepalive pings (0: none)")
	flag.DurationVar(&cfg.pingTimeout, "ping-timeout", 10*time.Second, "how long to wait for a pong, shorter than -ping")
	flag.Parse()
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "tui:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "tui:", err)
		os.Exit(1)
	}
}

// defaultName is the user's login name, or "guest".
func defaultName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "guest"
}

// check validates the flags and sets room.
func (c *config) check() error {
	u, err := url.Parse(c.url)
	if err != nil {
		return fmt.Errorf("-url: %v", err)
	}
	switch u.Scheme {
	case "ws", "wss", "http", "https":
	default:
		return fmt.Errorf("-url %s: not a ws:// or wss:// URL", c.url)
	}
	c.room = strings.TrimPrefix(u.Path, "/room/")
	if c.name = strings.TrimSpace(c.name); c.name == "" {
		return errors.New("-name: empty")
	}
	if c.ping <= 0 {
		c.ping, c.pingTimeout = 0, 0
	}
	if c.pingTimeout < 0 || c.pingTimeout >= c.ping && c.ping > 0 {
		return fmt.Errorf("-ping-timeout %v: must be shorter than -ping %v", c.pingTimeout, c.ping)
	}
	return nil
}

// closeWait bounds the wait for the connection to close after Bubble Tea
// ended on its own (a signal): the close timeout and some.
const closeWait = 10 * time.Second

// run runs the UI and the connection until the user quits.
func run(cfg config) error {
	ui := newUILoop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newModel(cfg, ui, cancel)
	p := tea.NewProgram(m, tea.WithAltScreen())

	forwarding := make(chan struct{})
	go ui.forward(p, forwarding)

	ended := make(chan struct{})
	var runErr error
	go func() {
		runErr = m.app.RunForever(ctx, m.runOptions())
		close(ended)
		p.Send(runEndedMsg{})
	}()

	_, uiErr := p.Run()
	close(forwarding)
	// Usually RunForever has returned: the user quit. Otherwise (the
	// program was interrupted), close the connection, running its last
	// callbacks off the UI loop, which has stopped.
	stop := ui.runDetached()
	cancel()
	select {
	case <-ended:
	case <-time.After(closeWait):
	}
	stop()
	if uiErr != nil {
		return uiErr
	}
	select {
	case <-ended:
		return runErr
	default:
		return errors.New("the connection did not close in time")
	}
}
