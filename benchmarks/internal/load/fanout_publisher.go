package load

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/fanout"
	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// openPublisher opens the publisher and waits for the server to say that
// the subscribers have joined.
func openPublisher(ctx context.Context, url string) (*wsclient.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	pub, err := wsclient.Dial(ctx, url, wsclient.Options{Origin: Origin, ReadBufferSize: fanoutReadBuffer})
	if err != nil {
		return nil, fmt.Errorf("load: opening the publisher: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { pub.Abort() })
	op, msg, err := pub.ReadMessage(nil, len(fanout.ReadyMessage))
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err == nil && (op != wsclient.OpText || string(msg) != fanout.ReadyMessage) {
		err = fmt.Errorf("got a %d-byte message of type %d, not %q", len(msg), op, fanout.ReadyMessage)
	}
	if err != nil {
		pub.Abort()
		return nil, fmt.Errorf("load: waiting for the server to say the subscribers joined: %w", err)
	}
	return pub, nil
}

// publish sends messages 0 to n-1 of p on pub, in one write.
func publish(pub *wsclient.Conn, p *Payload, n int) error {
	buf := p.NewBuffer()
	for seq := range n {
		p.Stamp(buf, uint64(seq))
		if err := pub.Queue(p.Opcode(), buf); err != nil {
			return err
		}
	}
	if err := pub.Flush(); err != nil {
		return fmt.Errorf("load: publishing: %w", err)
	}
	return nil
}

// publishTimed sends messages 0 to n-1 of p, a timed payload, on pub,
// each in a write of its own stamped with the time of the write from
// epoch, which it records in sent; one every interval from the first, if
// it is positive.
func publishTimed(pub *wsclient.Conn, p *Payload, n int, interval time.Duration, epoch time.Time, sent []atomic.Int64) error {
	buf := p.NewBuffer()
	start := time.Now()
	for seq := range n {
		if interval > 0 {
			time.Sleep(time.Until(start.Add(time.Duration(seq) * interval)))
		}
		t := time.Since(epoch)
		sent[seq].Store(int64(t))
		p.Stamp(buf, uint64(seq))
		p.StampTime(buf, t)
		if err := pub.Queue(p.Opcode(), buf); err != nil {
			return err
		}
		if err := pub.Flush(); err != nil {
			return fmt.Errorf("load: publishing: %w", err)
		}
	}
	return nil
}
