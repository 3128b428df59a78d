package hubnats

import (
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/hub"
)

// Options configures a Broker. The zero value is ready to use.
type Options struct {
	// Prefix starts the subject of every topic: topic t is subject
	// Prefix+Token(t). It is literal tokens, each followed by '.', such
	// as "chat.prod."; "" means DefaultPrefix. Hubs that share topics
	// share a prefix; hubs with different prefixes on one NATS server
	// are apart.
	Prefix string

	// PendingMsgsLimit and PendingBytesLimit bound what waits in this
	// process for one subscription to take it (nats.go's pending
	// limits): what the server sent faster than the hub delivers it.
	// Past either, nats.go drops the newest messages, and the Broker
	// reports how many to OnError (SlowConsumerError). 0 means
	// nats.go's default (nats.DefaultSubPendingMsgsLimit messages,
	// nats.DefaultSubPendingBytesLimit bytes); negative means no limit.
	PendingMsgsLimit  int
	PendingBytesLimit int

	// SubscribeTimeout bounds how long Subscribe waits, when the
	// connection is up, for the server to confirm a new subscription
	// (one round trip), so that what any server publishes after
	// hub.Join returns reaches the new member. 0 means 5 seconds;
	// negative means Subscribe does not wait.
	SubscribeTimeout time.Duration

	// OnError is called with the errors that no call returns: messages
	// nats.go dropped for a slow subscription (SlowConsumerError), a
	// message of an unknown type (TypeHeader), a subscription the server
	// did not confirm in time. It is called from the goroutine that
	// delivers a subscription's messages, or from Subscribe, and must not
	// block. nil means the standard logger (package log) prints them.
	OnError func(error)
}

// Broker carries the messages of hubs through a NATS connection: it
// implements hub.Broker. Its methods may be called from any goroutine.
type Broker struct {
	nc               *nats.Conn
	prefix           string
	pendingMsgs      int
	pendingBytes     int
	subscribeTimeout time.Duration
	onError          func(error)
}

var _ hub.Broker = (*Broker)(nil)

// New returns a Broker that publishes and subscribes through nc. The
// connection stays the caller's: Close it after the hubs that use the
// Broker (closing a hub unsubscribes its topics). See the package
// documentation for the connection options that matter.
//
// New panics if nc is nil, if Options.Prefix is not literal tokens each
// followed by '.', or if nc was made with nats.NoEcho: a hub receives its
// own messages through NATS, to deliver them to its members.
func New(nc *nats.Conn, opts *Options) *Broker {
	if nc == nil {
		panic("hubnats: New: nil connection")
	}
	if nc.Opts.NoEcho {
		panic("hubnats: New: the connection has NoEcho set; a hub must receive its own messages")
	}
	if opts == nil {
		opts = &Options{}
	}
	b := &Broker{
		nc:               nc,
		prefix:           opts.Prefix,
		pendingMsgs:      opts.PendingMsgsLimit,
		pendingBytes:     opts.PendingBytesLimit,
		subscribeTimeout: opts.SubscribeTimeout,
		onError:          opts.OnError,
	}
	if b.prefix == "" {
		b.prefix = DefaultPrefix
	}
	if err := checkPrefix(b.prefix); err != nil {
		panic(err)
	}
	if b.pendingMsgs == 0 {
		b.pendingMsgs = nats.DefaultSubPendingMsgsLimit
	}
	if b.pendingBytes == 0 {
		b.pendingBytes = nats.DefaultSubPendingBytesLimit
	}
	if b.subscribeTimeout == 0 {
		b.subscribeTimeout = 5 * time.Second
	}
	return b
}

// Subject returns the NATS subject of topic: the prefix and Token(topic).
// It returns ErrTopicTooLong for a subject longer than MaxSubjectLen.
func (b *Broker) Subject(topic string) (string, error) {
	return subject(b.prefix, topic)
}

// Publish sends a message on topic to the hubs subscribed to it, this
// one's included. It returns nats.go's error when the connection does not
// take the message, which is then lost: nats.ErrReconnectBufExceeded
// while the connection is down and its reconnect buffer is full,
// nats.ErrConnectionClosed, nats.ErrMaxPayload. While the connection is
// down a message that fits the reconnect buffer is accepted, and sent
// after the connection is back (see the package documentation).
//
// It also returns wsconn.ErrInvalidUTF8 for a text message that is not
// UTF-8, which every hub would refuse to deliver, and ErrTopicTooLong.
func (b *Broker) Publish(topic string, typ wsconn.DataType, data []byte) error {
	subj, err := subject(b.prefix, topic)
	if err != nil {
		return err
	}
	switch typ {
	case wsconn.DataText:
		if !utf8.Valid(data) {
			return wsconn.ErrInvalidUTF8
		}
		return b.nc.Publish(subj, data)
	case wsconn.DataBinary:
		return b.nc.PublishMsg(&nats.Msg{Subject: subj, Header: binaryHeader, Data: data})
	}
	return fmt.Errorf("hubnats: cannot publish a message of type %v", typ)
}

// Subscribe starts delivering the messages of topic, through a NATS
// subscription of its own, whose messages nats.go hands to one goroutine
// that calls deliver for one message at a time, in the order the server
// sent them. While the connection is down the subscription stays, and
// nats.go sends it again to the server it reconnects to.
//
// The unsubscribe function it returns ends the subscription without
// waiting for a deliver call in progress (a hub calls it holding the lock
// that deliver takes): once it returns, no message but one already being
// handed over reaches deliver. A second call does nothing. On a
// connection that is closed or draining it returns nil: the server has
// forgotten the subscription, or is about to.
func (b *Broker) Subscribe(topic string, deliver func(typ wsconn.DataType, data []byte)) (unsubscribe func() error, err error) {
	subj, err := subject(b.prefix, topic)
	if err != nil {
		return nil, err
	}
	s := &subscription{b: b, topic: topic, deliver: deliver}
	s.sub, err = b.nc.Subscribe(subj, s.receive)
	if err != nil {
		return nil, err
	}
	if err := s.sub.SetPendingLimits(b.pendingMsgs, b.pendingBytes); err != nil {
		s.unsubscribe()
		return nil, err
	}
	if b.subscribeTimeout > 0 && b.nc.IsConnected() {
		if err := b.nc.FlushTimeout(b.subscribeTimeout); err != nil {
			switch {
			case b.nc.IsClosed():
				s.unsubscribe()
				return nil, nats.ErrConnectionClosed
			case errors.Is(err, nats.ErrTimeout):
				// The subscription stays: the server takes it late, or
				// nats.go sends it again after a reconnect. What is
				// published meanwhile may miss this hub.
				b.report(fmt.Errorf("hubnats: topic %q: the server did not confirm the subscription within %v", topic, b.subscribeTimeout))
			}
			// Otherwise the link went down during the round trip, and
			// nats.go subscribes again after reconnecting.
		}
	}
	return s.unsubscribe, nil
}

// report hands err to OnError, or to the standard logger.
func (b *Broker) report(err error) {
	if b.onError != nil {
		b.onError(err)
		return
	}
	log.Print(err)
}

// subscription is a topic's NATS subscription.
type subscription struct {
	b       *Broker
	topic   string
	deliver func(wsconn.DataType, []byte)
	sub     *nats.Subscription // set before Subscribe returns

	done    atomic.Bool // unsubscribed: deliver no more
	once    sync.Once
	dropped int // messages dropped so far and reported; receive's alone
}

// receive is the NATS message handler: nats.go calls it from the
// subscription's own goroutine, one message at a time.
func (s *subscription) receive(m *nats.Msg) {
	if s.done.Load() {
		return
	}
	// Messages are dropped when the pending queue is full, so there are
	// messages after the dropped ones, and this sees the count.
	if n, err := m.Sub.Dropped(); err == nil && n > s.dropped {
		s.b.report(&SlowConsumerError{Topic: s.topic, Dropped: n - s.dropped})
		s.dropped = n
	}
	typ, err := messageType(m.Header)
	if err != nil {
		s.b.report(fmt.Errorf("hubnats: topic %q: message dropped: %w", s.topic, err))
		return
	}
	s.deliver(typ, m.Data)
}

// unsubscribe ends the subscription, once.
func (s *subscription) unsubscribe() error {
	var err error
	s.once.Do(func() {
		s.done.Store(true)
		err = s.sub.Unsubscribe()
		if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionDraining) {
			err = nil
		}
	})
	return err
}
