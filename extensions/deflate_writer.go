package extensions

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Why github.com/klauspost/compress/flate and not compress/flate: it
// compresses with any window from 256 bytes to 32 KiB (NewWriterWindow),
// which server_max_window_bits and client_max_window_bits need, while
// compress/flate always uses 32 KiB; and it is faster, with smaller
// output. Compressing then inflating one message at level 1, in MB/s of
// message and compressed size over message size, median of 5 runs on the
// project's 2-core machine (BenchmarkFlateLibrary):
//
//	                          klauspost        compress/flate
//	1 KiB JSON, context       27 MB/s  0.237   14 MB/s  0.305
//	1 KiB JSON, no context    26 MB/s  0.319   17 MB/s  0.327
//	64 KiB text, context      59 MB/s  0.349   43 MB/s  0.365
//	64 KiB text, no context   62 MB/s  0.349   39 MB/s  0.365
//
// A compressor takes 0.8 to 1.2 MiB in either library, whatever its level
// and window (800 KiB at klauspost's level 1); an inflater about 40 KiB.
// The fast levels of both (1 to 6 here, 1 in compress/flate) code a
// sync-flushed block shorter than 128 bytes without matches and forget
// their history when they do, which is where the default Threshold comes
// from.

// deflateEncoder is the compression half of a deflate extension.
type deflateEncoder struct {
	// c is kept between messages with context takeover; without, it is
	// nil between messages.
	c *compressor
}

// compressor is a flate.Writer and the buffer it writes to, which holds
// a buffer only while it compresses a message.
type compressor struct {
	fw   *flate.Writer
	out  sliceWriter
	pool *sync.Pool
}

// sliceWriter appends what is written to b.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// compressors pools the compressors of messages sent without context
// takeover: one pool per window bits from 8 to 14 (the windowed
// compressor has no level), then one per level from 1 to 9 for the 32 KiB
// window.
var compressors [maxWindowBits - minWindowBits + 9]sync.Pool

// maxKeptBuffer is the largest buffer capacity that a compressor keeps,
// or that an inflater takes back to its pool, for the next message.
const maxKeptBuffer = 256 << 10

// getCompressor returns a compressor at level for window bits, ready for a
// new stream.
func getCompressor(level, bits int) *compressor {
	pool := &compressors[bits-minWindowBits]
	if bits == maxWindowBits {
		pool = &compressors[maxWindowBits-minWindowBits+level-1]
	}
	if c, ok := pool.Get().(*compressor); ok {
		return c
	}
	c := &compressor{pool: pool}
	var err error
	if bits < maxWindowBits {
		c.fw, err = flate.NewWriterWindow(&c.out, 1<<bits)
	} else {
		c.fw, err = flate.NewWriter(&c.out, level)
	}
	if err != nil {
		panic(err) // NewDeflate checked the level and the window bits
	}
	return c
}

// put resets c and puts it back in its pool.
func (c *compressor) put() {
	c.fw.Reset(&c.out)
	c.pool.Put(c)
}

// syncMarker ends every sync-flushed DEFLATE output: the empty stored
// block that RFC 7692 section 7.2.1 removes from a compressed message.
var syncMarker = []byte{0x00, 0x00, 0xff, 0xff}

var errNotConfigured = errors.New("extensions: " + deflateName + ": not configured")

// ProcessOutgoing compresses msg's payload and sets RSV1, as RFC 7692
// section 7.2.1 asks: raw DEFLATE, flushed with an empty stored block,
// whose last four bytes are removed. A message shorter than the
// threshold, or marked NoCompress, is left as it is. Without context
// takeover, so is a message that compression would not shrink: it costs
// the peer nothing to inflate it, and no history depends on it.
//
// The compressed payload is one new slice of its exact size, owned by the
// message: the connection keeps a message's payload until its last frame
// is written, which may be after later messages went through
// ProcessOutgoing in the same write round, so that a buffer reused from
// one message to the next would be overwritten under it.
func (d *deflate) ProcessOutgoing(msg *Message) error {
	if !d.configured {
		return errNotConfigured
	}
	if msg.NoCompress || len(msg.Payload) < d.threshold {
		return nil
	}
	c := d.enc.c
	if c == nil {
		c = getCompressor(d.opts.Level, d.outBits)
		if d.outNoCtx {
			defer c.put()
		} else {
			d.enc.c = c
		}
	}
	// The output goes to the storage the connection lends (msg.Buf),
	// so that a compressed message costs no allocation.
	out, err := c.compress(msg.Buf[:0], msg.Payload)
	c.out.b = nil
	if err != nil {
		return err
	}
	if d.outNoCtx && len(out) >= len(msg.Payload) {
		return nil
	}
	msg.Payload = out
	msg.RSV |= rsv1
	return nil
}

// OutgoingKey names the compression level, window and threshold that
// ProcessOutgoing's output depends on, when this side sends without
// context takeover: each message is then compressed on its own.
func (d *deflate) OutgoingKey() (string, bool) {
	if !d.configured || !d.outNoCtx {
		return "", false
	}
	return fmt.Sprintf("%s/level=%d/bits=%d/threshold=%d", deflateName, d.opts.Level, d.outBits, d.threshold), true
}

// compress appends p compressed and sync-flushed to buf, and returns it
// without the sync marker.
func (c *compressor) compress(buf, p []byte) ([]byte, error) {
	c.out.b = buf
	if _, err := c.fw.Write(p); err != nil {
		return nil, err
	}
	if err := c.fw.Flush(); err != nil {
		return nil, err
	}
	out, ok := bytes.CutSuffix(c.out.b, syncMarker)
	if !ok {
		return nil, fmt.Errorf("extensions: %s: compressed data lacks the sync marker", deflateName)
	}
	return out, nil
}
