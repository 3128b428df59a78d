package main

import (
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// subjectPrefix starts the NATS subjects of the rooms: room NAME is
// subject "wsconn.chat." followed by NAME escaped into one token
// (hubnats.Token). Every chat server on a NATS server shares it.
const subjectPrefix = "wsconn.chat."

// natsReconnectBuf bounds what the hub's messages may hold in nats.go
// while the link to NATS is down; past it a message is refused, and its
// sender told (1013).
const natsReconnectBuf = 1 << 20

// natsFlushTimeout bounds the wait for the last messages to reach NATS
// on shutdown.
const natsFlushTimeout = 2 * time.Second

// connectNATS connects to the NATS server(s) at urls, with the options
// that hubnats's documentation asks for, but for one: it fails at once
// when NATS cannot be reached, rather than start a server that would
// share its rooms with nobody. name identifies this server in NATS's
// monitoring (with the host's name).
func connectNATS(urls, name string) (*nats.Conn, error) {
	host, _ := os.Hostname()
	nc, err := nats.Connect(urls,
		nats.Name("wsconn chat "+host+" "+name),
		nats.MaxReconnects(-1),          // never give up: a closed connection drops its reconnect buffer
		nats.ReconnectWait(time.Second), // between tries
		nats.ReconnectBufSize(natsReconnectBuf),
		nats.PingInterval(10*time.Second), // notice a silent break sooner than the 2 minutes default
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Printf("nats: disconnected: %v", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Printf("nats: reconnected to %s", redact(nc.ConnectedUrl())) }),
		nats.ClosedHandler(func(*nats.Conn) { log.Print("nats: connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Printf("nats: %v", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to NATS at %s: %w", redact(urls), err)
	}
	log.Printf("nats: connected to %s", redact(nc.ConnectedUrl()))
	return nc, nil
}

// closeNATS sends what nc still holds, within natsFlushTimeout, and
// closes it.
func closeNATS(nc *nats.Conn) {
	if err := nc.FlushTimeout(natsFlushTimeout); err != nil && nc.IsConnected() {
		log.Printf("nats: flushing on shutdown: %v", err)
	}
	nc.Close()
}

// redact returns the comma-separated NATS URLs of urls with their
// passwords or tokens replaced by "xxxxx", for logs.
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil && u.User != nil {
			if _, hasPassword := u.User.Password(); !hasPassword {
				u.User = url.User("xxxxx") // a token
			}
			p = u.Redacted()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}
