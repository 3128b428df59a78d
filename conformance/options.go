package conformance

import (
	"hash/fnv"
	"time"
)

// Options are the settings common to both roles. The zero value is
// ready to use.
type Options struct {
	// Timeout bounds each case, from the opening handshake to the end of
	// the connection; 0 means 60 seconds.
	Timeout time.Duration
	// FailWait is how long the peer may take to fail the connection, to
	// answer a close frame, or, as a server, to close the TCP connection
	// (over HTTP/2, to end its stream) after the closing handshake; 0
	// means 5 seconds. Only peers that do not do what they should are
	// waited for that long.
	FailWait time.Duration
	// MaxMessage is the largest message the suite accepts from the peer;
	// 0 means 64 MiB.
	MaxMessage int64
	// Short skips the heavy cases (Case.Heavy), which move tens of
	// megabytes each.
	Short bool
	// Match, if not nil, selects the cases to run by their ID.
	Match func(id string) bool
	// Progress, if not nil, is called with each result as soon as its
	// case ends, from the goroutine that runs the cases (over HTTP/2, in
	// the client role, from the handlers of the requests, one call at a
	// time).
	Progress func(Result)
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 60 * time.Second
}

func (o *Options) failWait() time.Duration {
	if o.FailWait > 0 {
		return o.FailWait
	}
	return 5 * time.Second
}

func (o *Options) maxMessage() int64 {
	if o.MaxMessage > 0 {
		return o.MaxMessage
	}
	return 64 << 20
}

// selectCases returns the cases that run with these options, for a peer
// whose message limit is limit (0 if unknown).
func (o *Options) selectCases(cases []Case, limit int64) []*Case {
	var sel []*Case
	for i := range cases {
		c := &cases[i]
		switch {
		case c.NeedsLimit && limit <= 0:
		case c.Heavy && o.Short:
		case o.Match != nil && !o.Match(c.ID):
		default:
			sel = append(sel, c)
		}
	}
	return sel
}

// report calls Progress.
func (o *Options) report(r Result) {
	if o.Progress != nil {
		o.Progress(r)
	}
}

// seed derives the seed of a case's random numbers (masking keys) from
// its ID and role, so that every run sends the same bytes.
func seed(id string, role Role) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64() ^ uint64(role)
}
