package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/wsconn/wsconn"
	"github.com/wsconn/wsconn/extensions"
	"github.com/wsconn/wsconn/mainloop"
)

// echoConfig is what -url mode runs.
type echoConfig struct {
	tr      transport
	url     string
	count   int
	size    int
	binary  bool
	exts    *extensions.Registry
	timeout time.Duration
}

// Bounds of the messages in flight: sent and not yet echoed.
const (
	maxInFlight      = 64
	maxInFlightBytes = 8 << 20
)

// runEcho sends cfg.count messages and checks their echoes, keeping a few
// in flight. It prints the summary line and returns why the run failed,
// if it did.
func runEcho(cfg echoConfig) error {
	limit := max(int64(cfg.size), 64<<20)
	opts := wsconn.DialOptions{
		Extensions:        cfg.exts,
		ConnectionOptions: &wsconn.Options{MaxIncomingPayloadSize: limit, MaxTotalMessageSize: limit},
	}
	r := &echoRun{
		cfg:    cfg,
		typ:    wsconn.DataText,
		rng:    rand.New(rand.NewPCG(uint64(cfg.count), uint64(cfg.size))),
		window: min(maxInFlight, max(1, maxInFlightBytes/max(cfg.size, 1))),
	}
	if cfg.binary {
		r.typ = wsconn.DataBinary
	}
	var start time.Time
	c, err := session(cfg.tr, cfg.url, opts, cfg.timeout, func(c *wsconn.WebsocketConnection, loop *mainloop.Loop) {
		r.c = c
		c.OnMessage(r.onMessage)
		c.OnError(func(err error) {
			if r.err == nil {
				r.err = err
			}
		})
		start = time.Now()
		loop.Invoke(r.fill)
	})
	if c == nil {
		return err
	}
	elapsed := time.Since(start)
	var negotiated string
	for _, e := range c.Extensions() {
		negotiated += ", " + e.Name()
	}
	if negotiated != "" {
		negotiated = " with" + negotiated[1:]
	}
	fmt.Printf("echoed %d messages of %d bytes: %d matched, %d mismatched in %v%s\n",
		r.matched+r.mismatched, cfg.size, r.matched, r.mismatched, elapsed.Round(time.Microsecond), negotiated)
	switch {
	case err != nil:
		return err
	case r.mismatched > 0:
		return fmt.Errorf("%d echoes did not match; first: %s", r.mismatched, r.firstMismatch)
	case r.matched < cfg.count:
		return fmt.Errorf("connection ended after %d of %d echoes: %s", r.matched, cfg.count, describe(c, r.err))
	case !c.CloseStatus().Clean:
		return fmt.Errorf("connection did not close cleanly: %s", describe(c, r.err))
	}
	return nil
}

// echoRun is the state of a run. It is only touched on the session's loop.
type echoRun struct {
	cfg    echoConfig
	c      *wsconn.WebsocketConnection
	typ    wsconn.DataType
	rng    *rand.Rand
	window int

	pending       [][]byte // sent, not yet echoed, oldest first
	sent          int
	matched       int
	mismatched    int
	firstMismatch string
	err           error // the first error the connection reported
}

// fill sends messages until the window is full or all are sent.
func (r *echoRun) fill() {
	for r.sent < r.cfg.count && len(r.pending) < r.window {
		msg := r.payload()
		if err := r.c.SendMessage(r.typ, msg); err != nil {
			if r.err == nil {
				r.err = fmt.Errorf("sending message %d: %w", r.sent+1, err)
			}
			r.c.Abort()
			return
		}
		r.pending = append(r.pending, msg)
		r.sent++
	}
}

func (r *echoRun) onMessage(typ wsconn.DataType, data []byte) {
	n := r.matched + r.mismatched + 1
	switch {
	case len(r.pending) == 0:
		r.mismatch(fmt.Sprintf("message %d of %d bytes was never sent", n, len(data)))
		return
	case typ != r.typ:
		r.mismatch(fmt.Sprintf("echo %d is a %s message, want %s", n, typ, r.typ))
	case !bytes.Equal(data, r.pending[0]):
		r.mismatch(fmt.Sprintf("echo %d differs: %d bytes, %s", n, len(data), firstDifference(data, r.pending[0])))
	default:
		r.matched++
	}
	r.pending[0] = nil
	r.pending = r.pending[1:]
	if r.matched+r.mismatched == r.cfg.count {
		r.c.Close(wsconn.CloseNormal, "done")
		return
	}
	r.fill()
}

func (r *echoRun) mismatch(what string) {
	if r.mismatched == 0 {
		r.firstMismatch = what
	}
	r.mismatched++
}

// firstDifference describes where got and want first differ.
func firstDifference(got, want []byte) string {
	for i := 0; i < min(len(got), len(want)); i++ {
		if got[i] != want[i] {
			return fmt.Sprintf("first difference at byte %d", i)
		}
	}
	return fmt.Sprintf("want %d bytes", len(want))
}

// textPieces make up text messages: mostly ASCII, with characters of two,
// three and four bytes in UTF-8.
var textPieces = []string{
	"The quick brown fox jumps over the lazy dog. ", "wsconn echo test ", "0123456789\n",
	"Jörg ", "Жюль ", "☃ ", "😀 ",
}

// payload returns a new message of cfg.size bytes: valid UTF-8 for text,
// random bytes for binary.
func (r *echoRun) payload() []byte {
	size := r.cfg.size
	if r.typ == wsconn.DataBinary {
		b := make([]byte, size+8)
		for i := 0; i < size; i += 8 {
			binary.LittleEndian.PutUint64(b[i:], r.rng.Uint64())
		}
		return b[:size]
	}
	b := make([]byte, 0, size)
	for len(b) < size {
		p := textPieces[r.rng.IntN(len(textPieces))]
		if len(b)+len(p) > size {
			p = "."
		}
		b = append(b, p...)
	}
	return b
}
