package load

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/wsconn/wsconn/benchmarks/internal/wsclient"
)

// subscriber reads and checks the published messages on one connection.
type subscriber struct {
	id    int
	c     *wsclient.Conn
	p     *Payload
	forms *verifiedForms
	epoch time.Time
	in    []byte // the message being read
	// sent, in a run that measures latency, holds when each message was
	// written, from epoch: what its publish time must say.
	sent []atomic.Int64

	// Written by read, read once it has returned.
	got         int64           // messages received and checked
	compressed  int64           // of those, the ones that came compressed
	inflated    int64           // of those, the ones inflated here
	first, last time.Duration   // when the first and the last came, from epoch
	latencies   []time.Duration // with sent, each message's, from its write to its reading
}

// read reads and checks messages 0 to n-1, in order.
func (s *subscriber) read(n int) error {
	for seq := range uint64(n) {
		op, msg, compressed, err := s.c.ReadRaw(s.in, s.p.Len())
		if err != nil {
			return fmt.Errorf("subscriber %d: reading message %d: %w", s.id, seq, err)
		}
		now := time.Since(s.epoch)
		if op != s.p.Opcode() {
			return fmt.Errorf("subscriber %d: message %d has opcode %d; %d was published", s.id, seq, op, s.p.Opcode())
		}
		if compressed {
			err = s.checkCompressed(msg, seq)
		} else {
			s.in = msg
			err = s.check(msg, seq)
		}
		if err != nil {
			return fmt.Errorf("subscriber %d: %w", s.id, err)
		}
		if seq == 0 {
			s.first = now
		}
		s.last = now
		s.got++
		if s.sent != nil {
			// The message says when it was written: checked, it is this.
			s.latencies = append(s.latencies, now-time.Duration(s.sent[seq].Load()))
		}
	}
	return nil
}

// checkCompressed checks z, message seq as it came compressed: by its
// bytes if another subscriber has inflated and checked the same bytes,
// or else by inflating it.
func (s *subscriber) checkCompressed(z []byte, seq uint64) error {
	s.compressed++
	if s.forms.known(seq, z) {
		return nil
	}
	msg, err := s.c.Inflate(s.in, s.p.Len())
	if err != nil {
		return fmt.Errorf("message %d: %w", seq, err)
	}
	s.in = msg
	s.inflated++
	if err := s.check(msg, seq); err != nil {
		return err
	}
	s.forms.learn(seq, z)
	return nil
}

// check checks msg, message seq as received (or inflated): its bytes
// and, in a run that measures latency, its publish time, which must say
// when the publisher wrote it.
func (s *subscriber) check(msg []byte, seq uint64) error {
	if err := s.p.Check(msg, seq); err != nil || s.sent == nil {
		return err
	}
	t, err := s.p.Time(msg)
	if err != nil {
		return fmt.Errorf("message %d: %w", seq, err)
	}
	if want := time.Duration(s.sent[seq].Load()); t != want {
		return fmt.Errorf("message %d says it was published at %v; it was at %v", seq, t, want)
	}
	return nil
}

// verifiedForms holds, for each message of a fan-out, compressed bytes
// that a subscriber inflated and found right. Inflating is deterministic,
// so the same bytes arriving on another connection are right too, and
// need not be inflated again: 10,000 subscribers cost the load generator
// one inflation per message, not 10,000, when the server sends each
// message compressed the same way to all (which it does if it
// compresses each message alike, once or once per connection), and the
// load generator stays cheap next to the server it measures. Different
// bytes are inflated and checked as they come.
type verifiedForms struct {
	forms []atomic.Pointer[[]byte] // by sequence number
}

func newVerifiedForms(n int) *verifiedForms {
	return &verifiedForms{forms: make([]atomic.Pointer[[]byte], n)}
}

// known reports whether z is the verified form of message seq.
func (v *verifiedForms) known(seq uint64, z []byte) bool {
	f := v.forms[seq].Load()
	return f != nil && bytes.Equal(*f, z)
}

// learn records z as a verified form of message seq, if it has none.
func (v *verifiedForms) learn(seq uint64, z []byte) {
	if v.forms[seq].Load() == nil {
		b := bytes.Clone(z)
		v.forms[seq].CompareAndSwap(nil, &b)
	}
}
