package hubnats

import (
	"fmt"

	"github.com/nats-io/nats.go"
)

// SlowConsumerError is what a Broker reports to Options.OnError when
// nats.go dropped messages of a subscription that had reached its pending
// limits: the hub took them more slowly than they came. It matches
// nats.ErrSlowConsumer with errors.Is; errors.As gives the count, for a
// metric.
type SlowConsumerError struct {
	Topic   string
	Dropped int // messages dropped since the last report
}

func (e *SlowConsumerError) Error() string {
	return fmt.Sprintf("hubnats: topic %q: %d messages dropped (pending limits): %v", e.Topic, e.Dropped, nats.ErrSlowConsumer)
}

// Unwrap returns nats.ErrSlowConsumer.
func (e *SlowConsumerError) Unwrap() error { return nats.ErrSlowConsumer }
