package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/wsapp"
)

// Reconnection: the first wait after a lost connection or a failed dial,
// and the most it grows to (it doubles each time, with jitter, and starts
// over once a connection has stayed open that long).
const (
	reconnectDelay    = 500 * time.Millisecond
	maxReconnectDelay = 15 * time.Second
)

// handshakeTimeout bounds each opening handshake, so that a server that
// accepts the TCP connection and never answers leads to a reconnect.
const handshakeTimeout = 10 * time.Second

// newApp returns the wsapp.App that runs the room's connection: it dials,
// keeps the connection alive with pings, and reconnects after a failure.
// Its callbacks are methods of m: they run on the UI loop, since
// runOptions gives RunForever the uiLoop as its MainContext, which both
// wsapp and the connection's signals use.
func (m *model) newApp() *wsapp.App {
	return &wsapp.App{
		URL:       m.cfg.url,
		Dial:      wsconn.DialOptions{HandshakeTimeout: handshakeTimeout},
		OnOpen:    m.onOpen, // every connection, as OnReconnect is nil
		OnMessage: m.onMessage,
		OnError:   m.onError,
		OnClose:   m.onClose,
		// The terminal is the UI's: nothing may write to it behind
		// Bubble Tea's back. Panics of callbacks reach OnError.
		Logger: slog.New(slog.DiscardHandler),
	}
}

// runOptions are those of app.RunForever: keepalive as the flags say, and
// a reconnect after any end the user did not ask for, a close by the
// server included (a chat server going away for a restart, with 1001 or
// 1012, is back soon).
func (m *model) runOptions() wsapp.RunOptions {
	return wsapp.RunOptions{
		PingInterval:      m.cfg.ping,
		PingTimeout:       m.cfg.pingTimeout,
		ReconnectDelay:    reconnectDelay,
		MaxReconnectDelay: maxReconnectDelay,
		ReconnectOnClose:  true,
		MainContext:       m.ui,
	}
}

// onOpen makes c the connection that Enter sends on.
func (m *model) onOpen(c *wsconn.WebsocketConnection) {
	m.conn = c
	m.failures = 0
	m.setState(stateConnected, "")
	if m.opened {
		m.note("reconnected")
	} else {
		m.note(fmt.Sprintf("connected to %s as %s", m.cfg.url, m.cfg.name))
	}
	m.opened = true
}

// onMessage shows a message of the room: its text, which already names
// its sender, as the chat protocol has no other framing.
func (m *model) onMessage(c *wsconn.WebsocketConnection, typ wsconn.DataType, data []byte) {
	if typ != wsconn.DataText {
		m.note(fmt.Sprintf("a binary message of %d bytes", len(data)))
		return
	}
	m.addLines(screenLines(string(data))...)
}

// onError shows what went wrong. A failed dial (c is nil) is followed by
// another after a wait, so it goes to the status line, not to the room's
// lines; an error of the connection (a pong timeout, a lost connection)
// is followed by onClose.
func (m *model) onError(c *wsconn.WebsocketConnection, err error) {
	if m.quitting {
		return
	}
	if c == nil {
		m.failures++
		s := stateConnecting
		if m.opened {
			s = stateReconnecting
		}
		m.setState(s, fmt.Sprintf("attempt %d failed: %v", m.failures, err))
		return
	}
	m.note("error: " + err.Error())
}

// onClose runs when a connection that opened has closed (the closed
// signal): RunForever reconnects next, unless the user quit.
func (m *model) onClose(c *wsconn.WebsocketConnection, code wsconn.CloseCode, reason string) {
	m.conn = nil
	if m.quitting {
		m.setState(stateClosed, "")
		return
	}
	what := fmt.Sprintf("connection lost: %s", code)
	if reason != "" {
		what += fmt.Sprintf(" %q", reason)
	}
	m.setState(stateReconnecting, what)
	m.note(what + ", reconnecting")
}
