package main

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
)

// messageTimeout bounds the wait for the messages of an exchange.
const messageTimeout = 30 * time.Second

// A client is a WebSocket client in a room, whose messages the test
// reads.
type client struct {
	name string
	room string
	c    *wsconn.WebsocketConnection
	in   *inbox // the text messages received; a binary one is an error
}

// dialRoom connects a client named name to room on the chat server at
// addr. With deflate it offers permessage-deflate.
func dialRoom(t *testing.T, addr, room, name string, deflate bool) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	opts := &wsconn.DialOptions{}
	if deflate {
		opts.Extensions = extensions.NewRegistry(extensions.NewDeflate(extensions.DeflateOptions{}))
	}
	c, _, err := wsconn.Dial(ctx, roomURL(addr, room), opts)
	if err != nil {
		t.Fatalf("%s: dialing room %q at %s: %v", name, room, addr, err)
	}
	cl := &client{name: name, room: room, c: c, in: newInbox()}
	go cl.receive()
	t.Cleanup(func() {
		c.Abort() // nothing left once the test is over
		cl.in.waitEnd(stopTimeout)
	})
	return cl
}

// roomURL returns the WebSocket URL of room on the server at addr.
func roomURL(addr, room string) string {
	return "ws://" + addr + "/room/" + url.PathEscape(room)
}

// receive puts every message into the inbox until the connection ends.
func (cl *client) receive() {
	for {
		typ, data, err := cl.c.Receive(context.Background())
		if err != nil {
			cl.in.finish(err)
			return
		}
		if typ != wsconn.DataText {
			cl.in.put("unexpected binary message: " + string(data))
			continue
		}
		cl.in.put(string(data))
	}
}

// send sends a text message, failing the test if it cannot be queued.
func (cl *client) send(t *testing.T, msg string) {
	t.Helper()
	if err := cl.c.SendText(msg); err != nil {
		t.Fatalf("%s: SendText: %v", cl.name, err)
	}
}

// closed waits for the end of the connection and returns its status.
func (cl *client) closed(t *testing.T) wsconn.CloseStatus {
	t.Helper()
	select {
	case <-cl.c.Done():
	case <-time.After(stopTimeout):
		t.Fatalf("%s: the connection did not close in %v", cl.name, stopTimeout)
	}
	return cl.c.CloseStatus()
}
