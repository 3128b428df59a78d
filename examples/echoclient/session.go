package main

import (
	"context"
	"fmt"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/mainloop"
)

// handshakeTimeout bounds each opening handshake.
const handshakeTimeout = 10 * time.Second

// session dials url over tr and runs the connection on a Loop on the calling
// goroutine until it is closed, or aborts it after timeout, so that all
// the state of a session lives on one goroutine. setup connects the
// handlers. session returns the closed connection, or nil when the
// handshake failed.
func session(tr transport, url string, opts wsconn.DialOptions, timeout time.Duration,
	setup func(c *wsconn.WebsocketConnection, loop *mainloop.Loop)) (*wsconn.WebsocketConnection, error) {
	loop := mainloop.New()
	copts := wsconn.Options{}
	if opts.ConnectionOptions != nil {
		copts = *opts.ConnectionOptions
	}
	copts.MainContext = loop
	opts.ConnectionOptions = &copts
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	c, _, err := tr.dial(ctx, url, opts)
	cancel()
	if err != nil {
		return nil, err
	}
	c.OnClosed(loop.Quit)
	if setup != nil {
		setup(c, loop)
	}
	timedOut := false // only touched on the loop
	timer := time.AfterFunc(timeout, func() {
		loop.Invoke(func() {
			timedOut = true
			c.Abort()
		})
	})
	loop.Run()
	timer.Stop()
	if timedOut {
		return c, fmt.Errorf("%s: gave up after %v", url, timeout)
	}
	return c, nil
}

// describe tells how c ended, with err, the first error it reported.
func describe(c *wsconn.WebsocketConnection, err error) string {
	st := c.CloseStatus()
	s := fmt.Sprintf("close code %s", st.Code)
	if st.Reason != "" {
		s += fmt.Sprintf(" %q", st.Reason)
	}
	if err != nil {
		s += ": " + err.Error()
	}
	return s
}
