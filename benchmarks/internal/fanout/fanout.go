// Package fanout names the fan-out protocol that the benchmark's fan-out
// servers speak and its load generator drives, so that the load generator
// shares these names, and none of the servers' code:
//
//   - A WebSocket to any path but PublishPath is a subscriber: it joins
//     the server's one topic and receives every message published from
//     then on. What it sends is read and dropped.
//   - A WebSocket to PublishPath?subscribers=N is the publisher. Once N
//     subscribers have joined, the server sends it ReadyMessage, as text;
//     every message it sends after that is published to all the
//     subscribers, with its type, in the order sent. The publisher is no
//     subscriber.
//
// The server, not the client, knows when the subscribers have joined: a
// client's opening handshake completes before the server's handler has
// joined the connection to the topic.
//
// Servers whose topic spans processes through a broker (wsconn's with
// echoserver -nats) speak the same protocol, each counting its own
// subscribers: a client spreading subscribers over them opens a publisher
// on each, to be told when each server's share has joined, and publishes
// on one of them.
package fanout

import (
	"errors"
	"net/url"
	"strconv"
)

// The protocol's path and message.
const (
	PublishPath  = "/publish"
	ReadyMessage = "ready"
)

// PublisherURL returns the URL of the publisher that waits for n
// subscribers, on the server of the WebSocket URL wsURL.
func PublisherURL(wsURL string, n int) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", err
	}
	u.Path, u.RawPath = PublishPath, ""
	u.RawQuery = url.Values{"subscribers": {strconv.Itoa(n)}}.Encode()
	return u.String(), nil
}

// ParseRequest reports whether the request URI uri (a path and query)
// opens the publisher, and how many subscribers it waits for.
func ParseRequest(uri string) (isPublisher bool, subscribers int, err error) {
	u, err := url.ParseRequestURI(uri)
	if err != nil || u.Path != PublishPath {
		return false, 0, nil // a subscriber; its URI is no concern
	}
	n, err := strconv.Atoi(u.Query().Get("subscribers"))
	if err != nil || n < 0 {
		return true, 0, errors.New("fanout: the publisher's URL needs subscribers=N")
	}
	return true, n, nil
}
