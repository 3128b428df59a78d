package extensions

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"

	"github.com/wsconn/wsconn/internal/bufpool"
)

// deflateDecoder is the inflation half of a deflate extension. With
// context takeover it keeps the end of what the peer sent as the
// dictionary of the next message; the decompressor itself comes from a
// pool for each message, as it is reset with that dictionary anyway.
type deflateDecoder struct {
	dict []byte
}

// inflater is a DEFLATE decompressor with its inputs and the chunks of
// its output.
type inflater struct {
	fr     io.ReadCloser // a flate.Resetter too
	small  bytes.Reader  // over in: the decompressor's fastest input type
	in     []byte        // a copy of a small payload, then inflateTail
	large  tailReader    // a large payload, then inflateTail, without a copy
	chunks []*[]byte     // from bufpool, each of chunkSize bytes
}

var inflaters = sync.Pool{New: func() any {
	f := new(inflater)
	f.fr = flate.NewReader(&f.small)
	return f
}}

// chunkSize is the size of the pieces, taken from bufpool (it is one of
// its classes), that a message inflates into before it is copied whole
// into a slice of its own.
const chunkSize = 64 << 10

// maxKeptChunks is the capacity of the largest list of chunks that an
// inflater keeps for the next message.
const maxKeptChunks = 64

// inflateTail follows a message's payload for the decompressor: the empty
// stored block that the sender removed (RFC 7692 section 7.2.2), then an
// empty final block, so that the decompressor ends with io.EOF where the
// message ends.
var inflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// ProcessIncoming inflates a message that has RSV1 set, as RFC 7692
// section 7.2.2 asks, and clears the bit; it copies any other message, so
// that the result never shares the input's memory.
//
// Inflation stops as soon as the output would exceed limit bytes (0 is no
// limit), with an error wrapping ErrTooBig, so that a message that would
// inflate to gigabytes costs about the limit in memory: the output goes
// into pooled chunks of 64 KiB, and a compressed payload is copied only
// when it is small. A message within the limit is copied from the chunks
// into a slice of its exact size, so that it costs twice its size at
// most while it is inflated. Data that is not valid DEFLATE, or that goes
// on after a final block, fails with an error wrapping ErrCorrupt.
func (d *deflate) ProcessIncoming(msg *Message, limit int) error {
	if msg.RSV&rsv1 == 0 {
		if limit > 0 && len(msg.Payload) > limit {
			return fmt.Errorf("%w: %s: %d bytes", ErrTooBig, deflateName, len(msg.Payload))
		}
		msg.Payload = append(make([]byte, 0, len(msg.Payload)), msg.Payload...)
		return nil
	}
	if !d.configured {
		return errNotConfigured
	}
	if len(msg.Payload) == 0 {
		// Not DEFLATE data, even with the marker put back, but zlib
		// inflates it to nothing without complaint, and so do we.
		msg.Payload, msg.RSV = []byte{}, msg.RSV&^rsv1
		return nil
	}
	var dict []byte
	if !d.inNoCtx {
		dict = d.dec.dict
	}
	out, err := inflate(msg.Payload, dict, limit)
	if err != nil {
		return err
	}
	if !d.inNoCtx {
		d.dec.remember(out, d.inBits)
	}
	msg.Payload = out
	msg.RSV &^= rsv1
	return nil
}

// inflate returns payload inflated after dict, in a slice of its own.
func inflate(payload, dict []byte, limit int) ([]byte, error) {
	f := inflaters.Get().(*inflater)
	defer f.put()
	// The decompressor reads a *bytes.Reader 10 to 15% faster than any
	// other io.ByteReader, so a payload that fits in a buffer that f
	// keeps is copied there before the tail. A larger one is read where
	// it is, then the tail: a copy would cost its size again in memory.
	var src interface {
		io.Reader
		Len() int
	}
	if n := len(payload) + len(inflateTail); n <= maxKeptBuffer {
		if cap(f.in) < n {
			f.in = make([]byte, 0, min(max(n, 2*cap(f.in)), maxKeptBuffer))
		}
		f.in = append(append(f.in[:0], payload...), inflateTail...)
		f.small.Reset(f.in)
		src = &f.small
	} else {
		f.large.reset(payload)
		src = &f.large
	}
	if err := f.fr.(flate.Resetter).Reset(src, dict); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, deflateName, err)
	}
	n, err := f.read(limit)
	if err != nil {
		return nil, err
	}
	// The decompressor reads a few bytes ahead at most, within the tail.
	if src.Len() > len(inflateTail) {
		return nil, fmt.Errorf("%w: %s: data after the final block", ErrCorrupt, deflateName)
	}
	out := make([]byte, n)
	off := 0
	for _, c := range f.chunks {
		off += copy(out[off:], *c)
	}
	return out, nil
}

// read inflates into f.chunks, taking chunks from bufpool as they fill,
// and returns how many bytes came out. It stops after limit+1 bytes,
// enough to tell that the output exceeds limit, so that the chunks never
// hold more than limit+1 bytes: less than limit+chunkSize of memory.
func (f *inflater) read(limit int) (int, error) {
	total := 0
	var buf []byte // the unfilled end of the last chunk
	for {
		if len(buf) == 0 {
			c := bufpool.Get(chunkSize)
			f.chunks = append(f.chunks, c)
			buf = *c
			if limit > 0 && len(buf) > limit-total {
				buf = buf[:limit-total+1]
			}
		}
		n, err := f.fr.Read(buf)
		buf = buf[n:]
		total += n
		if limit > 0 && total > limit {
			return 0, fmt.Errorf("%w: %s: inflates past %d bytes", ErrTooBig, deflateName, limit)
		}
		switch err {
		case nil:
		case io.EOF:
			return total, nil
		default:
			return 0, fmt.Errorf("%w: %s: %v", ErrCorrupt, deflateName, err)
		}
	}
}

// put returns f's chunks to bufpool and f to its pool.
func (f *inflater) put() {
	f.small.Reset(nil)
	f.large.reset(nil)
	for i, c := range f.chunks {
		bufpool.Put(c)
		f.chunks[i] = nil
	}
	f.chunks = f.chunks[:0]
	if cap(f.chunks) > maxKeptChunks {
		f.chunks = nil
	}
	inflaters.Put(f)
}

// tailReader reads a message's payload and then inflateTail, without
// copying them together. It is an io.ByteReader, so that the
// decompressor reads from it directly rather than through a bufio.Reader.
type tailReader struct {
	b    []byte // the payload, then inflateTail
	i    int    // the next byte of b to read
	tail bool   // whether b is inflateTail
}

func (r *tailReader) reset(payload []byte) {
	*r = tailReader{b: payload}
}

func (r *tailReader) ReadByte() (byte, error) {
	if r.i == len(r.b) && !r.next() {
		return 0, io.EOF
	}
	c := r.b[r.i]
	r.i++
	return c, nil
}

func (r *tailReader) Read(p []byte) (int, error) {
	if r.i == len(r.b) && !r.next() {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

// next moves on to the tail at the end of the payload, and reports
// whether there is anything left to read.
func (r *tailReader) next() bool {
	if r.tail {
		return false
	}
	r.b, r.i, r.tail = inflateTail, 0, true
	return true
}

// Len returns the number of bytes not yet read.
func (r *tailReader) Len() int {
	n := len(r.b) - r.i
	if !r.tail {
		n += len(inflateTail)
	}
	return n
}

// remember keeps the last bytes of out, after those kept before, as the
// dictionary of the next message: 1<<bits bytes, the window that the peer
// compresses with, but at least 512 bytes, as zlib compresses with a
// 512-byte window when asked for 256.
func (dec *deflateDecoder) remember(out []byte, bits int) {
	size := 1 << max(bits, 9)
	if dec.dict == nil {
		dec.dict = make([]byte, 0, size)
	}
	if len(out) >= size {
		dec.dict = append(dec.dict[:0], out[len(out)-size:]...)
		return
	}
	if excess := len(dec.dict) + len(out) - size; excess > 0 {
		dec.dict = dec.dict[:copy(dec.dict, dec.dict[excess:])]
	}
	dec.dict = append(dec.dict, out...)
}
