package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/mainloop"
)

// maxCases bounds the case count a fuzzing server may announce.
const maxCases = 100000

// runAutobahn plays the client side of the Autobahn fuzzing server at
// base, reached over tr: it gets the number of cases, runs each one,
// echoing every message, and asks for the reports. A case that cannot run
// is reported and skipped.
func runAutobahn(tr transport, base, agent string, exts *extensions.Registry, timeout time.Duration) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" || u.Host == "" {
		return fmt.Errorf("-autobahn %s: want ws://HOST:PORT or wss://HOST:PORT", base)
	}
	endpoint := func(path, query string) string {
		e := *u
		e.Path = strings.TrimSuffix(u.Path, "/") + path
		e.RawQuery = query
		return e.String()
	}
	// Conformance cases send messages of up to 16 MiB, and faster than
	// they read the echoes.
	opts := wsconn.DialOptions{
		Extensions:        exts,
		ConnectionOptions: &wsconn.Options{MaxIncomingPayloadSize: 64 << 20, MaxTotalMessageSize: 64 << 20, MaxQueuedBytes: -1},
	}
	agentQuery := "agent=" + url.QueryEscape(agent)

	count, err := caseCount(tr, endpoint("/getCaseCount", ""), opts, timeout)
	if err != nil {
		return fmt.Errorf("getting the case count: %w", err)
	}
	failed := 0
	for i := 1; i <= count; i++ {
		query := "case=" + strconv.Itoa(i) + "&" + agentQuery
		if _, err := session(tr, endpoint("/runCase", query), opts, timeout, echoEverything); err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "echoclient: case %d of %d: %v\n", i, count, err)
		}
	}
	if _, err := session(tr, endpoint("/updateReports", agentQuery), opts, timeout, nil); err != nil {
		return fmt.Errorf("updating the reports: %w", err)
	}
	fmt.Printf("ran %d cases as agent %q: %d could not run\n", count, agent, failed)
	return nil
}

// caseCount reads the one text message of /getCaseCount.
func caseCount(tr transport, url string, opts wsconn.DialOptions, timeout time.Duration) (int, error) {
	count := -1
	var bad error
	_, err := session(tr, url, opts, timeout, func(c *wsconn.WebsocketConnection, _ *mainloop.Loop) {
		c.OnMessage(func(typ wsconn.DataType, data []byte) {
			n, err := strconv.Atoi(strings.TrimSpace(string(data)))
			switch {
			case typ != wsconn.DataText || err != nil:
				bad = fmt.Errorf("answer %q is not a number", data)
			case n < 0 || n > maxCases:
				bad = fmt.Errorf("case count %d is not between 0 and %d", n, maxCases)
			default:
				count = n
			}
		})
	})
	switch {
	case err != nil:
		return 0, err
	case bad != nil:
		return 0, bad
	case count < 0:
		return 0, errors.New("the server closed without giving the case count")
	}
	return count, nil
}

// echoEverything sends every message back with its type.
func echoEverything(c *wsconn.WebsocketConnection, _ *mainloop.Loop) {
	c.OnMessage(func(typ wsconn.DataType, data []byte) {
		c.SendMessage(typ, data) // fails only once the connection is closing
	})
}
