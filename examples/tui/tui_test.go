package main

import (
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/wsconn/wsconn"
)

// The program shows connected, sends a typed line to the room as
// "NAME: TEXT" on Enter, and shows it once the server has sent it back.
func TestTypedMessageComesBackFromTheServer(t *testing.T) {
	chat := startChat(t)
	term := startTUI(t, "-url", chat.url("lobby"), "-name", "alice")
	term.waitFor("status: connected")
	observer := chat.join(t, "lobby")
	chat.waitJoined(2)

	term.typeKeys("hello from the terminal")
	term.waitFor("> hello from the terminal") // the input line, before Enter
	term.typeKeys("\r")
	observer.waitMessage("alice: hello from the terminal")
	term.waitFor("alice: hello from the terminal")
}

// A message that another client sends to the room appears on the screen,
// without the escape sequences it carries.
func TestOtherClientsMessagesAppear(t *testing.T) {
	chat := startChat(t)
	term := startTUI(t, "-url", chat.url("lobby"), "-name", "alice")
	term.waitFor("status: connected")
	bob := chat.join(t, "lobby")
	chat.waitJoined(2)

	if err := bob.c.SendText("bob: hi alice \x1b[2J\x1b]0;owned\x07!"); err != nil {
		t.Fatal(err)
	}
	bob.waitMessage("bob: hi alice \x1b[2J\x1b]0;owned\x07!")
	term.waitFor("bob: hi alice \ufffd[2J\ufffd]0;owned\ufffd!")
}

// When the server goes away, the status line shows reconnecting and the
// program dials again, with backoff, until the server is back on the same
// port; then it shows connected and messages flow again. The server
// either vanishes (its connections break: 1006) or shuts down cleanly
// (a close frame with 1012).
func TestReconnectsWhenTheServerRestarts(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(c *wsconn.WebsocketConnection)
		lost string
	}{
		{"crash", func(c *wsconn.WebsocketConnection) { c.Abort() }, "connection lost: 1006 (abnormal closure)"},
		{"restart", func(c *wsconn.WebsocketConnection) { c.Close(wsconn.CloseServiceRestart, "restart") }, `connection lost: 1012 (service restart) "restart"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chat := startChat(t)
			term := startTUI(t, "-url", chat.url("lobby"), "-name", "alice")
			term.waitFor("status: connected")
			chat.waitJoined(1)

			chat.down(tc.end)
			term.waitFor("status: reconnecting")
			term.waitFor("* " + tc.lost + ", reconnecting")
			// The server is down: a dial fails, and the program waits longer.
			term.waitFor("status: reconnecting · #lobby as alice · attempt 1 failed")

			chat.up()
			term.waitFor("status: connected")
			term.waitFor("* reconnected")
			bob := chat.join(t, "lobby")
			chat.waitJoined(2)
			term.typeKeys("back again\r")
			bob.waitMessage("alice: back again")
			term.waitFor("alice: back again")
			if err := bob.c.SendText("bob: welcome back"); err != nil {
				t.Fatal(err)
			}
			term.waitFor("bob: welcome back")
		})
	}
}

// Keepalive finds a server that has gone silent without closing anything:
// no pong comes back within -ping-timeout, the program gives the
// connection up and reconnects.
func TestKeepaliveFindsASilentServer(t *testing.T) {
	chat := startChat(t)
	proxy := startBlackhole(t, chat.addr)
	term := startTUI(t, "-url", "ws://"+proxy.addr()+"/room/lobby", "-name", "alice",
		"-ping", "300ms", "-ping-timeout", "200ms")
	term.waitFor("status: connected")
	chat.waitJoined(1)

	proxy.freeze()
	term.waitFor("status: reconnecting")
	term.waitFor("* connection lost: 1006 (abnormal closure), reconnecting")
	if !strings.Contains(term.text(), "* error: wsconn: keepalive pong timeout") {
		t.Errorf("no pong timeout shown; the program drew:\n%s", tail(term.text()))
	}
	term.waitFor("status: connected")
	chat.waitJoined(1)
	term.typeKeys("still here\r")
	term.waitFor("alice: still here")
}

// Esc and Ctrl+C close the connection with 1000 and end the program with
// exit status 0, once the closing handshake is done.
func TestQuitClosesWith1000(t *testing.T) {
	for _, tc := range []struct{ name, key string }{
		{"esc", "\x1b"},
		{"ctrl+c", "\x03"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chat := startChat(t)
			term := startTUI(t, "-url", chat.url("lobby"), "-name", "alice")
			term.waitFor("status: connected")
			chat.waitJoined(1)

			term.typeKeys(tc.key)
			if code := term.waitExit(); code != 0 {
				t.Fatalf("exit status %d; stderr:\n%s", code, term.stderrText())
			}
			st := chat.waitClosed()
			if st.Code != wsconn.CloseNormal || st.Reason != "bye" || !st.Clean {
				t.Errorf("the server saw %v, want a clean close with 1000 \"bye\" from the client", st)
			}
		})
	}
}

// SIGTERM ends Bubble Tea's loop on its own; the program still closes the
// connection, with 1001 "going away", running the last callbacks off the
// stopped UI loop, and exits 0.
func TestTerminateClosesWith1001(t *testing.T) {
	chat := startChat(t)
	term := startTUI(t, "-url", chat.url("lobby"), "-name", "alice")
	term.waitFor("status: connected")
	chat.waitJoined(1)

	if err := term.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := term.waitExit(); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, term.stderrText())
	}
	st := chat.waitClosed()
	if st.Code != wsconn.CloseGoingAway || !st.Clean {
		t.Errorf("the server saw %v, want a clean close with 1001 from the client", st)
	}
}

// Quitting while no connection is open (the server is not there) ends
// the dials and the program at once.
func TestQuitWhileConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	term := startTUI(t, "-url", "ws://"+addr+"/room/lobby", "-name", "alice")
	term.waitFor("status: connecting · #lobby as alice · attempt 1 failed")

	term.typeKeys("\x1b")
	if code := term.waitExit(); code != 0 {
		t.Fatalf("exit status %d; stderr:\n%s", code, term.stderrText())
	}
}
