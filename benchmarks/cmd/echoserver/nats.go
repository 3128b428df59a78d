package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wsconn/wsconn/hubnats"
)

// natsSubject is the subject prefix of the fan-out servers' topic on NATS:
// every server of a run shares it, and nothing else on the NATS server
// should.
const natsSubject = "wsconn.bench."

// natsConnectTimeout bounds the connection to NATS at start.
const natsConnectTimeout = 10 * time.Second

// natsLink is a fan-out server's connection to NATS and the Broker over it.
type natsLink struct {
	nc     *nats.Conn
	broker *hubnats.Broker
	// failed receives the first thing that went wrong on the link: the
	// connection lost, or messages nats.go dropped. A benchmark server
	// that missed a message fails at once, rather than leave the load
	// generator waiting for deliveries that will never come.
	failed chan error
}

// connectNATS connects to the NATS server at url for the hub of a
// fan-out server. Unlike hubnats's advice for a service, the connection
// does not reconnect: a run whose link broke has lost messages, and is
// void.
func connectNATS(url string) (*natsLink, error) {
	l := &natsLink{failed: make(chan error, 1)}
	nc, err := nats.Connect(url,
		nats.Name(fmt.Sprintf("wsconn benchmark fan-out server %d", os.Getpid())),
		nats.Timeout(natsConnectTimeout),
		nats.NoReconnect(),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				err = errors.New("disconnected")
			}
			l.fail(fmt.Errorf("nats: %w", err))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { l.fail(fmt.Errorf("nats: %w", err)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	l.nc = nc
	l.broker = hubnats.New(nc, &hubnats.Options{Prefix: natsSubject, OnError: l.fail})
	return l, nil
}

// fail reports err on l.failed, unless something was reported already.
// It does not block: hubnats and nats.go call it from their goroutines.
func (l *natsLink) fail(err error) {
	select {
	case l.failed <- err:
	default:
	}
}

// close closes the connection. Closing calls the disconnect handler,
// which finds l.failed full or unread: nobody waits on it any more.
func (l *natsLink) close() { l.nc.Close() }
